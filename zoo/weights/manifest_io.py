"""Read a manifest file into JSON, with every way the bytes can be wrong turned into a ManifestError.

Stdlib only. :mod:`zoo.weights.manifest` validates the schema; this module owns the file: its
size (bounded before reading), its encoding (UTF-8), its JSON (duplicate keys refused, nesting
bounded by Python's recursion limit), and the one indirection a manifest may have: a symbolic
link that git checked out as a small text file holding the target path (git on Windows without
symlink support does this to ``zoo/weights_manifest.json -> ../weights_manifest.json``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from zoo.weights.errors import ManifestError
from zoo.weights.quoting import short, short_path

#: A manifest above this size is refused before it is read; the shipped one is a few kB. Split a
#: larger one into several files listed in ``ZOO_MANIFEST``.
MAX_MANIFEST_BYTES = 32 << 20
#: A git symlink stub holds a path, never more than this; a larger non-JSON file is just bad JSON.
_MAX_LINK_BYTES = 1024
_MAX_LINK_HOPS = 8  # a chain of stubs longer than this is a loop


def reject_duplicate_keys(path: Path):
    """Build an ``object_pairs_hook`` that fails on a key repeated inside one JSON object.

    ``json.load`` keeps the last of duplicate keys silently, which would hide a second entry.

    Args:
        path (Path): Manifest file, for messages.

    Returns:
        (Callable): The hook.
    """

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ManifestError(
                    f"{short_path(path)}: duplicate key {short(key)} in one JSON object (entry or field defined twice)"
                )
            out[key] = value
        return out

    return hook


def read_manifest_json(path: Path) -> tuple[Any, Path]:
    """Read a manifest file as JSON, following a git symlink stub if the file is one.

    Args:
        path (Path): Manifest file.

    Returns:
        (tuple[Any, Path]): The parsed document and the file it was read from (the stub's target
            when ``path`` is a stub; relative local sources are resolved against its folder).

    Raises:
        ManifestError: Unreadable, a directory, too large, not UTF-8, not JSON, nested too deeply, or a
            stub whose target is missing; the message names the file.
    """
    origin = path
    for _ in range(_MAX_LINK_HOPS):
        data = _read_bytes(path)
        target = _link_stub_target(path, data)
        if target is None:
            return _parse(path, data), path
        if not _is_file(target):
            raise ManifestError(
                f"{short_path(path)} holds only the path {short(data.decode())}: a symbolic link that git checked "
                f"out as a text file (symlinks disabled, e.g. on Windows), and its target {short_path(target)} does "
                "not exist. Enable symlinks (`git config core.symlinks true`, then check out again) or list the "
                "real manifest in ZOO_MANIFEST"
            )
        path = target
    raise ManifestError(f"{short_path(origin)}: more than {_MAX_LINK_HOPS} link stubs in a row (a loop?)")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise ManifestError(
                f"{short_path(path)} is a directory; a weights manifest is a JSON file "
                "(ZOO_MANIFEST lists files, separated by os.pathsep)"
            )
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise ManifestError(
                f"{short_path(path)} is {size} bytes, above the {MAX_MANIFEST_BYTES}-byte limit for a weights "
                "manifest; split it into several files listed in ZOO_MANIFEST"
            )
        with open(path, "rb") as f:
            return f.read(MAX_MANIFEST_BYTES + 1)[:MAX_MANIFEST_BYTES]  # bounded even if it grew meanwhile
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the path
        reason = getattr(e, "strerror", None) or str(e)
        raise ManifestError(f"cannot read weights manifest {short_path(path)}: {reason}") from None


def _link_stub_target(path: Path, data: bytes) -> Path | None:
    """The path a git symlink stub points to, or None when ``data`` is not such a stub.

    A stub is one line (git writes no newline) naming a ``.json`` file; JSON never looks like that.
    """
    if not data or len(data) > _MAX_LINK_BYTES or b"\n" in data.rstrip(b"\n") or b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    if not text.lower().endswith(".json") or text.startswith(("{", "[", '"')):
        return None
    # normpath, not resolve(): '..' is taken lexically, as git wrote it, and no other link is followed
    return Path(os.path.normpath(path.parent / text))


def _parse(path: Path, data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (Windows editors write one) is not an error
    except UnicodeDecodeError as e:
        raise ManifestError(
            f"{short_path(path)}: not UTF-8 text (invalid byte {short(data[e.start:e.start + 1])} at offset {e.start}); "
            "save the manifest as UTF-8 JSON"
        ) from None
    try:
        return json.loads(text, object_pairs_hook=reject_duplicate_keys(path))
    except ManifestError:  # from the duplicate-key hook (a ValueError too): already says what is wrong
        raise
    except json.JSONDecodeError as e:
        raise ManifestError(f"{short_path(path)}: not valid JSON: {e}") from None
    except RecursionError:
        raise ManifestError(
            f"{short_path(path)}: JSON nested too deeply; a manifest is two levels of objects (weights -> entry)"
        ) from None
    except ValueError as e:  # e.g. an integer with more digits than Python converts
        raise ManifestError(f"{short_path(path)}: unreadable JSON value: {short(str(e))}") from None
