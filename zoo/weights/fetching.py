"""``fetch`` and ``verify``: bring weights into the cache and check files. Stdlib only."""

from __future__ import annotations

import os
from pathlib import Path

from zoo.weights.cache import check_file, sha256_file
from zoo.weights.download import DEFAULT_RETRY, RetryPolicy
from zoo.weights.errors import WeightsError
from zoo.weights.manifest import Manifest, load_manifest
from zoo.weights.names import SHA256_RE
from zoo.weights.refs import WeightsRef, resolve_ref
from zoo.weights.quoting import short_path
from zoo.weights.resolve import entry_path, is_file, url_path


def fetch(name_or_url: str, *, progress: bool = True, allow_unverified: bool = False,
          model_name: str | None = None, manifest: Manifest | None = None,
          retry: RetryPolicy = DEFAULT_RETRY) -> Path:
    """Download (if needed) and verify weights; return the local file.

    Args:
        name_or_url (str): ``"<model>.<tag>"`` (or ``"DEFAULT"``/a tag with ``model_name``), or a URL
            (``https://…#sha256=<hex>``, ``hf://org/repo@<rev>/<file>``).
        progress (bool): Show a progress bar.
        allow_unverified (bool): Accept entries/URLs without a pinned digest.
        model_name (str | None): Model, for ``"DEFAULT"`` or a bare tag.
        manifest (Manifest | None): Manifest to use; default :func:`load_manifest`.
        retry (RetryPolicy): Download retry policy.

    Returns:
        (Path): Verified local file.
    """
    ref = resolve_ref(name_or_url, model_name=model_name, manifest=manifest or load_manifest(), names_only=True)
    return ref_path(ref, progress=progress, allow_unverified=allow_unverified, retry=retry)


def ref_path(ref: WeightsRef, *, progress: bool = True, allow_unverified: bool = False,
             retry: RetryPolicy = DEFAULT_RETRY) -> Path:
    """Return the verified local file for a resolved reference."""
    if ref.entry is not None:
        return entry_path(ref.entry, progress=progress, allow_unverified=allow_unverified, retry=retry)
    if ref.url is not None:
        return url_path(ref.url, progress=progress, allow_unverified=allow_unverified, retry=retry)
    if not is_file(ref.path):
        raise WeightsError(f"weights file {short_path(ref.path)} does not exist")
    return ref.path


def verify(name_or_path: str | os.PathLike, *, sha256: str | None = None,
           manifest: Manifest | None = None) -> bool:
    """Check a cached entry or a file, without downloading anything.

    * A weights name: its cached (or local-source) file must exist and match size and sha256.
    * A path: checked against ``sha256`` if given, else against the digest in its content-addressed
      cache folder (``<cache>/<sha256>/<file>``), else against any manifest entry with the same digest.

    Args:
        name_or_path (str | os.PathLike): Weights name or file path.
        sha256 (str | None): Expected digest for a path.
        manifest (Manifest | None): Manifest to use; default :func:`load_manifest`.

    Returns:
        (bool): True when verified.

    Raises:
        ChecksumError: The file does not match (both values in the message).
        WeightsNotCachedError: A named entry is not in the cache.
        WeightsError: A path with nothing to verify it against.
    """
    manifest = manifest or load_manifest()
    ref = resolve_ref(name_or_path, model_name=None, manifest=manifest)
    if ref.entry is not None:
        _offline_entry_path(ref)
        return True
    if ref.url is not None:
        raise WeightsError("verify() takes a weights name or a file path, not a URL; use fetch()")
    path = ref.path
    if not is_file(path):
        raise WeightsError(f"{short_path(path)} does not exist")
    expected = sha256 or (path.parent.name if SHA256_RE.match(path.parent.name) else None)
    if expected:
        check_file(path, sha256=expected, size=None, what=str(path))
        return True
    digest = sha256_file(path)
    if any(e.sha256 == digest and e.size == path.stat().st_size for e in manifest):
        return True
    raise WeightsError(
        f"{path}: sha256 {digest} matches no manifest entry and no expected digest was given; "
        "pass sha256=... to verify it"
    )


def _offline_entry_path(ref: WeightsRef) -> Path:
    """Check an entry's file in the cache; never downloads and never deletes (verify only looks)."""
    return entry_path(ref.entry, progress=False, allow_unverified=True, offline=True, repair=False)
