"""The content-addressed weights cache: location, offline switch, hashing, per-file locks.

Layout: ``<cache>/<sha256>/<filename>`` (plus ``<filename>.lock`` and, while a download is under
way, ``<filename>.incomplete``). Weights without a pinned digest (explicitly allowed unverified
sources) live under ``<cache>/unverified/<key>/<filename>`` with a ``.sha256`` sidecar recorded at
download time, so later loads still detect a changed file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from zoo.weights.errors import ChecksumError, UnsafeNameError
from zoo.weights.names import SHA256_RE, check_filename

CHUNK = 1 << 20  # 1 MiB: large enough for hashing at disk speed, small enough for a smooth progress bar
_TRUE = ("1", "true", "yes", "on")


def cache_dir() -> Path:
    """Return the cache root: ``$ZOO_CACHE_DIR`` or ``~/.cache/zoo/weights``.

    Returns:
        (Path): Cache directory (not created here).
    """
    env = os.environ.get("ZOO_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "zoo" / "weights"


def is_offline() -> bool:
    """Whether downloads are forbidden (``ZOO_OFFLINE=1`` or Ultralytics' ``YOLO_OFFLINE=1``).

    Returns:
        (bool): True when offline.
    """
    return any(os.environ.get(v, "").strip().lower() in _TRUE for v in ("ZOO_OFFLINE", "YOLO_OFFLINE"))


def cached_path(sha256: str, filename: str, root: Path | None = None) -> Path:
    """Return where a file with this digest is cached (whether or not it is there).

    Args:
        sha256 (str): Full hex digest.
        filename (str): File name; checked to be one safe component.
        root (Path | None): Cache root; default :func:`cache_dir`.

    Returns:
        (Path): ``<root>/<sha256>/<filename>``.

    Raises:
        UnsafeNameError: If the digest or file name could escape the cache.
    """
    if not isinstance(sha256, str) or not SHA256_RE.match(sha256):
        raise UnsafeNameError(f"not a sha256 digest: {sha256!r}")
    return (root or cache_dir()) / sha256 / check_filename(filename)


def sha256_file(path: Path) -> str:
    """Hash a file.

    Args:
        path (Path): File.

    Returns:
        (str): Lowercase hex sha256.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def check_file(path: Path, *, sha256: str | None, size: int | None, what: str) -> None:
    """Verify a file's size (cheap, first) and sha256 against expected values.

    Args:
        path (Path): File to check.
        sha256 (str | None): Expected digest (None: not checked).
        size (int | None): Expected size in bytes (None: not checked).
        what (str): Name for messages (the entry name or the file).

    Raises:
        ChecksumError: With both values, on any mismatch.
    """
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        raise ChecksumError(f"{what}: size mismatch for {path}: expected {size} bytes, got {actual_size}")
    if sha256 is not None:
        actual = sha256_file(path)
        if actual != sha256:
            raise ChecksumError(f"{what}: sha256 mismatch for {path}: expected {sha256}, got {actual}")


def remove_quietly(path: Path) -> None:
    """Delete a file if it exists (used on error paths, where a second error must not mask the first)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def ensure_inside(root: Path, path: Path) -> Path:
    """Return ``path`` after checking it resolves inside ``root`` (defence in depth after name checks).

    Args:
        root (Path): Directory that must contain the path.
        path (Path): Candidate.

    Returns:
        (Path): The same path.

    Raises:
        UnsafeNameError: If it resolves outside ``root``.
    """
    if not path.resolve().is_relative_to(root.resolve()):
        raise UnsafeNameError(f"{path} resolves outside the weights cache {root}")
    return path
