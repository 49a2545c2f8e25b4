"""Turn a weights reference (entry, URL, path) into a verified local file. Stdlib only.

This is where the verification rule lives: every load re-checks size and sha256 of the cached
file; a bad cached file is deleted and downloaded again (repaired), or, offline, reported with a
typed error that names the command which fetches it.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.parse
from pathlib import Path

from zoo.weights.cache import cache_dir, cached_path, check_file, ensure_inside, is_offline, remove_quietly
from zoo.weights.download import DEFAULT_RETRY, RetryPolicy, download
from zoo.weights.errors import ChecksumError, UnverifiedWeightsError, WeightsError, WeightsNotCachedError
from zoo.weights.manifest import WeightsEntry
from zoo.weights.mirror import ENV, mirror
from zoo.weights.quoting import short_path
from zoo.weights.names import SHA256_RE, check_filename
from zoo.weights.safe_files import write_atomic
from zoo.weights.sources import Source, parse_source

LOGGER = logging.getLogger("zoo.weights")


def entry_path(entry: WeightsEntry, *, progress: bool = True, allow_unverified: bool = False,
               retry: RetryPolicy = DEFAULT_RETRY, offline: bool | None = None, repair: bool = True) -> Path:
    """Return a verified local copy of an entry's file, downloading it if needed and allowed.

    Args:
        entry (WeightsEntry): Manifest entry.
        progress (bool): Show a progress bar when downloading.
        allow_unverified (bool): Accept an entry marked ``unverified`` (no pinned digest/size).
        retry (RetryPolicy): Download retry policy.
        offline (bool | None): Forbid downloads; None reads ``ZOO_OFFLINE``/``YOLO_OFFLINE``.
        repair (bool): Delete (and, online, re-download) a cached file that fails verification;
            False raises :class:`ChecksumError` and leaves the file for inspection.

    Returns:
        (Path): Local file whose size and sha256 match the entry.

    Raises:
        UnverifiedWeightsError: For an unverified entry without ``allow_unverified``.
        WeightsNotCachedError: Offline and not (validly) cached.
        ChecksumError: A local source does not match its entry.
        DownloadError: The download failed.
    """
    if entry.unverified and not allow_unverified:
        raise UnverifiedWeightsError(
            f"weights {entry.name!r} are marked unverified in {entry.manifest} (no pinned sha256/size "
            "established by the publisher). Pass allow_unverified=True to use them anyway"
        )
    return source_path(entry.source, sha256=entry.sha256, size=entry.size, name=entry.name,
                       progress=progress, retry=retry, offline=offline, repair=repair)


def url_path(url: str, *, progress: bool = True, allow_unverified: bool = False,
             retry: RetryPolicy = DEFAULT_RETRY) -> Path:
    """Return a verified local copy of a URL's file.

    A pinned digest can ride in the fragment, as pip does: ``https://host/w.safetensors#sha256=<hex>``.
    Without one the URL is refused unless ``allow_unverified=True``; then its digest is recorded
    at first download (trust on first use) and checked on every later load.

    Args:
        url (str): ``http(s)://`` or ``hf://org/repo@<rev>/<file>`` URL, optionally ``#sha256=<hex>``.
        progress (bool): Show a progress bar when downloading.
        allow_unverified (bool): Accept a URL without a pinned digest.
        retry (RetryPolicy): Download retry policy.

    Returns:
        (Path): Local file.
    """
    base, _, fragment = url.partition("#")
    params = urllib.parse.parse_qs(fragment)
    sha256 = params.get("sha256", [None])[0]
    if sha256 is not None and not SHA256_RE.match(sha256):
        raise WeightsError(f"bad '#sha256=' in {url!r}: expected 64 lowercase hex characters")
    source = parse_source(base, base_dir=None, where=f"URL {base!r}")
    if sha256 is None and not allow_unverified:
        raise UnverifiedWeightsError(
            f"{base} has no pinned digest. Append '#sha256=<64 hex>' to the URL, add it to a manifest "
            "(ZOO_MANIFEST), or pass allow_unverified=True"
        )
    return source_path(source, sha256=sha256, size=None, name=base, progress=progress, retry=retry)


def source_path(source: Source, *, sha256: str | None, size: int | None, name: str,
                progress: bool = True, retry: RetryPolicy = DEFAULT_RETRY, offline: bool | None = None,
                repair: bool = True) -> Path:
    """Return a verified local file for a parsed source (see :func:`entry_path`)."""
    offline = is_offline() if offline is None else offline
    if source.kind == "local":
        path = source.path
        if not is_file(path):
            raise WeightsError(f"{name}: local weights file {short_path(path)} does not exist")
        check_file(path, sha256=sha256, size=size, what=name)
        return path
    mirrored = mirror()
    if mirrored is not None and sha256 is None:
        raise UnverifiedWeightsError(
            f"{name}: {source.raw} has no pinned sha256, so it cannot be taken from the mirror {ENV} names (a "
            f"mirror is addressed by digest). Pin the digest in a manifest, or unset {ENV}"
        )
    if mirrored is not None and mirrored.folder is not None:
        return _mirror_file(mirrored.locate(sha256, source.filename), sha256=sha256, size=size, name=name)
    root = cache_dir()
    if sha256 is None:
        return _unpinned_path(source, name=name, root=root, progress=progress, retry=retry, offline=offline)
    dest = ensure_inside(root, cached_path(sha256, source.filename, root))
    if dest.exists():
        try:
            check_file(dest, sha256=sha256, size=size, what=name)
            return dest
        except ChecksumError as e:
            if not repair:
                raise
            remove_quietly(dest)  # never keep a file we know is wrong
            if offline:
                raise WeightsNotCachedError(
                    f"{e}. The corrupt cached file was deleted and downloads are off "
                    f"(ZOO_OFFLINE/YOLO_OFFLINE); run `zoo weights fetch {name}` while online"
                ) from None
            LOGGER.warning("%s; deleted it, downloading again", e)
    elif offline:
        raise WeightsNotCachedError(
            f"{name}: {source.filename} is not in the weights cache ({dest}) and downloads are off "
            f"(ZOO_OFFLINE/YOLO_OFFLINE). Fetch it while online with `zoo weights fetch {name}`, "
            "or point ZOO_CACHE_DIR at a cache that has it"
        )
    if mirrored is not None:  # an HTTP mirror: same verified download, another address, no Hub token sent
        url, headers = mirrored.locate(sha256, source.filename), {}
    else:
        url, headers = source.download_url(), source.auth_headers()
    path, _ = download(url, dest, sha256=sha256, size=size, name=name, headers=headers, progress=progress,
                       retry=retry)
    return path


def _mirror_file(path: Path, *, sha256: str, size: int | None, name: str) -> Path:
    """A file in a folder mirror, checked in place (a bad one is reported, never deleted: the mirror is not ours)."""
    if not is_file(path):
        raise WeightsNotCachedError(
            f"{name}: {short_path(path)} is not in the mirror {ENV} names (layout <mirror>/<sha256>/<file name>). "
            f"Copy it there from a machine that has it (`zoo weights fetch {name}` puts it in the cache, whose "
            "folders have the same layout), or unset the variable"
        )
    check_file(path, sha256=sha256, size=size, what=f"{name} (mirror {ENV})")
    return path


def _unpinned_path(source: Source, *, name: str, root: Path, progress: bool, retry: RetryPolicy,
                   offline: bool) -> Path:
    """Cache an explicitly allowed unpinned source, trusting its digest on first use."""
    key = hashlib.sha256(source.raw.encode()).hexdigest()[:32]
    dest = ensure_inside(root, root / "unverified" / key / check_filename(source.filename))
    sidecar = dest.with_name(dest.name + ".sha256")
    if dest.exists() and sidecar.exists():
        recorded = sidecar.read_text(errors="replace").strip()  # a corrupt sidecar is a mismatch, not a crash
        try:
            check_file(dest, sha256=recorded, size=None, what=name)
            return dest
        except ChecksumError as e:
            remove_quietly(dest)
            if offline:
                raise WeightsNotCachedError(f"{e}; the file was deleted and downloads are off") from None
    elif offline:
        raise WeightsNotCachedError(
            f"{name}: not in the weights cache and downloads are off (ZOO_OFFLINE/YOLO_OFFLINE); "
            f"fetch it while online with `zoo weights fetch {name}`"
        )
    LOGGER.warning("%s has no pinned sha256; recording the digest of this download (trust on first use)", name)
    path, digest = download(source.download_url(), dest, sha256=None, size=None, name=name,
                            headers=source.auth_headers(), progress=progress, retry=retry)
    write_atomic(sidecar, (digest + "\n").encode())  # never through a link planted at the sidecar's name
    return path


def is_file(path: Path) -> bool:
    """``Path.is_file`` that answers False, not OSError, for a name the OS cannot even look up (too long)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False
