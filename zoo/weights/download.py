"""Streaming, verified, resumable, locked downloads (stdlib ``urllib``).

One call downloads one file into the cache:

* an inter-process lock per file (on ``<file>.lock``, see :mod:`zoo.weights.locking`), and a
  re-check of the cache once the lock is held, so N processes fetching the same file download it once;
* bytes stream into ``<file>.incomplete`` while their sha256 is computed; the file appears under
  its final name only through ``os.replace`` after size and digest match, so a crash or
  ``kill -9`` can leave a partial ``.incomplete`` (resumed next time) but never a corrupt file;
* the ``.incomplete`` file is opened without following links (:mod:`zoo.weights.safe_files`): a
  link planted at that name is removed, never written through, and the file renamed into place
  must still be the one written;
* bounded retries with exponential backoff on transient failures (5xx, 429, connection reset,
  timeouts, a body shorter than its Content-Length), resuming with ``Range``; a server that
  ignores ``Range`` (status 200) is handled by restarting from zero;
* permanent failures (404, an HTML page served with status 200, a redirect loop, a digest
  mismatch) raise at once and cache nothing;
* a file whose size the manifest does not give (only its digest is published) is capped at
  :data:`MAX_UNSIZED_BYTES` (4 GiB; ``ZOO_MAX_DOWNLOAD_BYTES`` changes it): a server that announces or sends
  more is cut off and nothing is cached, so an unknown size never means an unbounded download.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import socket
import stat
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from zoo.weights.cache import CHUNK, check_file, is_offline, remove_quietly
from zoo.weights.locking import file_lock
from zoo.weights.errors import CacheError, ChecksumError, DownloadError, WeightsNotCachedError
from zoo.weights.safe_files import open_partial

_HTML_PREFIXES = (b"<!doctype html", b"<html", b"<head", b"<?xml")
_TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
#: Most bytes zoo downloads for a file of unknown size (the digest still decides whether they are the file).
MAX_UNSIZED_BYTES = 4 * 2**30


def max_unsized_bytes() -> int:
    """The cap on a download whose size is unknown: ``ZOO_MAX_DOWNLOAD_BYTES`` if set, else 4 GiB.

    Raises:
        DownloadError: If ``ZOO_MAX_DOWNLOAD_BYTES`` is not a positive whole number of bytes.
    """
    raw = os.environ.get("ZOO_MAX_DOWNLOAD_BYTES", "").strip()
    if not raw:
        return MAX_UNSIZED_BYTES
    if not raw.isdigit() or int(raw) <= 0:
        raise DownloadError(f"ZOO_MAX_DOWNLOAD_BYTES={raw[:40]!r} is not a positive number of bytes")
    return int(raw)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try.

    Attributes:
        attempts (int): Total attempts per download (transient failures only).
        base_delay (float): First backoff in seconds; doubled after each failure.
        max_delay (float): Cap on one backoff.
        timeout (float): Socket timeout (connect and each read), seconds.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    timeout: float = 30.0

    def delay(self, failures: int) -> float:
        """Backoff before the next attempt after ``failures`` failures."""
        return min(self.max_delay, self.base_delay * 2 ** (failures - 1))


DEFAULT_RETRY = RetryPolicy()


class _Transient(Exception):
    """A failure worth retrying (the partial file is kept for a ranged resume)."""


class _Restart(Exception):
    """The partial file is unusable: delete it and retry from byte zero."""


def download(
    url: str,
    dest: Path,
    *,
    sha256: str | None,
    size: int | None,
    name: str,
    headers: dict[str, str] | None = None,
    progress: bool = True,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> tuple[Path, str]:
    """Download ``url`` to ``dest`` (atomically), verifying size and sha256 while streaming.

    Args:
        url (str): ``http(s)://`` URL.
        dest (Path): Final path (its folder is created).
        sha256 (str | None): Expected digest; None only for sources the user allowed unverified.
        size (int | None): Expected size in bytes, if known.
        name (str): Weights name, for messages.
        headers (dict[str, str] | None): Extra request headers (e.g. a Hub token).
        progress (bool): Show a progress bar on stderr.
        retry (RetryPolicy): Retry policy.

    Returns:
        (tuple[Path, str]): ``dest`` and the sha256 of its content.

    Raises:
        WeightsNotCachedError: If offline mode is on (no socket is opened).
        DownloadError: On permanent failures or when retries run out.
        ChecksumError: If the downloaded bytes do not match (nothing is cached).
    """
    if is_offline():
        raise WeightsNotCachedError(
            f"{name}: {dest.name} is not cached and downloads are off (ZOO_OFFLINE/YOLO_OFFLINE); "
            f"run `zoo weights fetch {name}` while online"
        )
    with file_lock(dest):
        # another process may have finished the download while we waited for the lock
        if dest.exists():
            try:
                check_file(dest, sha256=sha256, size=size, what=name)
                return dest, sha256 or _hash_path(dest)
            except ChecksumError:
                remove_quietly(dest)
        tmp = dest.with_name(dest.name + ".incomplete")
        failures, restarted_after_mismatch, last = 0, False, None
        while True:
            try:
                digest, got, resumed, written = _attempt(url, tmp, size=size, name=name, headers=headers or {},
                                                         progress=progress, timeout=retry.timeout)
            except _Restart as e:
                remove_quietly(tmp)
                last = e
            except _Transient as e:
                last = e
            except BaseException:
                # permanent error (or KeyboardInterrupt): leave no partial file behind
                remove_quietly(tmp)
                raise
            else:
                if (size is not None and got != size) or (sha256 is not None and digest != sha256):
                    remove_quietly(tmp)
                    if resumed and not restarted_after_mismatch:
                        # a stale partial from an older, different file can poison a resume: retry once cleanly
                        restarted_after_mismatch = True
                        continue
                    raise ChecksumError(
                        f"{name}: downloaded file does not match the manifest (nothing was cached): "
                        f"expected sha256 {sha256} ({size} bytes), got sha256 {digest} ({got} bytes) from {url}"
                    )
                if not _is_same_file(tmp, written):
                    raise CacheError(f"{tmp} was replaced while zoo wrote it; nothing was cached. Another "
                                     "process is tampering with the weights cache")
                os.replace(tmp, dest)  # atomic: readers see the old state or the whole verified file
                return dest, digest
            failures += 1
            if failures >= retry.attempts:
                remove_quietly(tmp)
                raise DownloadError(
                    f"{name}: download of {url} failed after {failures} attempts: {last}. "
                    "Check the network and retry; partial data was discarded"
                )
            time.sleep(retry.delay(failures))


def _attempt(url: str, tmp: Path, *, size: int | None, name: str, headers: dict[str, str],
             progress: bool, timeout: float) -> tuple[str, int, bool, tuple[int, int]]:
    """One HTTP request, appending to ``tmp``.

    Returns:
        (tuple[str, int, bool, tuple[int, int]]): sha256, total bytes, whether it resumed, and the
            (inode, device) of the file written, checked again before it is renamed into place.
    """
    with open_partial(tmp) as f:
        written = _identity(os.fstat(f.fileno()))
        offset = os.fstat(f.fileno()).st_size
        if size is not None and offset > size:
            raise _Restart(f"partial file is larger than {size} bytes")
        if size is not None and offset == size:
            # complete but never renamed (killed between last write and rename): just verify it
            hasher = hashlib.sha256()
            _hash_open(hasher, f)
            return hasher.hexdigest(), offset, True, written
        digest, total, resumed = _request_into(f, url, offset=offset, size=size, name=name, headers=headers,
                                               progress=progress, timeout=timeout, label=tmp.name)
        f.flush()
        os.fsync(f.fileno())  # make the bytes durable before the rename publishes them
        return digest, total, resumed, written


def _request_into(f, url: str, *, offset: int, size: int | None, name: str, headers: dict[str, str],
                  progress: bool, timeout: float, label: str) -> tuple[str, int, bool]:
    """Fetch ``url`` into the open partial file ``f`` (resuming at ``offset``).

    Returns:
        (tuple[str, int, bool]): sha256 of the whole file, its size, and whether the server resumed.
    """
    req_headers = {"User-Agent": "zoo-weights", "Accept-Encoding": "identity", **headers}
    if offset:
        req_headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=req_headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        raise _http_error(e, url=url, name=name, resuming=bool(offset)) from None
    except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout,
            http.client.HTTPException) as e:
        raise _Transient(f"{type(e).__name__}: {getattr(e, 'reason', e)}") from None
    with response:
        _reject_html_content_type(response, url=url, name=name)
        if response.status == 206 and offset:
            m = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not m or int(m.group(1)) != offset:
                raise _Restart(f"server answered a resume with a range that does not start at {offset}")
        elif offset:
            # status 200 to a Range request: the server ignored Range and sends the whole file
            offset = 0
        length = response.headers.get("Content-Length")
        expected_body = int(length) if length and length.isdigit() else None
        cap = max_unsized_bytes() if size is None else None
        if cap is not None and expected_body is not None and offset + expected_body > cap:
            raise _too_large(name, url, cap, offset + expected_body)
        hasher = hashlib.sha256()
        _hash_open(hasher, f, limit=offset)
        f.seek(offset)
        f.truncate()
        received = 0
        bar = _progress_bar(label.removesuffix(".incomplete"), size, offset, progress)
        try:
            while True:
                try:
                    # read1: return what has arrived (up to CHUNK) so progress and the partial
                    # file advance steadily instead of in 1 MiB steps
                    chunk = response.read1(CHUNK)
                except (ConnectionError, TimeoutError, socket.timeout, http.client.HTTPException) as e:
                    raise _Transient(f"connection broke after {offset + received} bytes: {e!r}") from None
                if not chunk:
                    break
                if received == 0 and offset == 0:
                    _reject_html_body(chunk, url=url, name=name)
                f.write(chunk)
                hasher.update(chunk)
                received += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
                if size is not None and offset + received > size:
                    raise _Restart(f"server sent more than the expected {size} bytes")
                if cap is not None and offset + received > cap:
                    raise _too_large(name, url, cap, offset + received)
        finally:
            if bar is not None:
                bar.close()
            f.flush()  # what arrived stays in the partial file for a resume
        if expected_body is not None and received < expected_body:
            raise _Transient(f"short body: got {received} of {expected_body} bytes (Content-Length)")
        return hasher.hexdigest(), offset + received, offset > 0


def _too_large(name: str, url: str, cap: int, got: int) -> DownloadError:
    """The permanent error for a download of unknown size that passes the cap (nothing is cached)."""
    return DownloadError(
        f"{name}: {url} sends at least {got} bytes, above the {cap}-byte cap on a file whose size the manifest does "
        "not give; nothing was cached. If the file is really that large, raise ZOO_MAX_DOWNLOAD_BYTES"
    )


def _http_error(e: urllib.error.HTTPError, *, url: str, name: str, resuming: bool) -> Exception:
    """Map an HTTP error status to a transient or a permanent, explained error."""
    code = e.code
    with contextlib.suppress(Exception):
        e.close()
    if 300 <= code < 400:
        # urllib follows redirects itself; a 3xx reaching us means a loop or too many hops
        return DownloadError(
            f"{name}: {url} redirects in a loop (or more than 10 times); the server is misconfigured "
            "or the URL is stale. Check the entry's source"
        )
    if code == 416 and resuming:
        return _Restart("server rejected the resume range (416)")
    if code in _TRANSIENT_STATUS:
        return _Transient(f"HTTP {code} {e.reason}")
    if code in (404, 410):
        return DownloadError(
            f"{name}: {url} does not exist (HTTP {code}). The manifest entry {name!r} points to a missing "
            "file: update its source, or report it to the entry's publisher"
        )
    if code in (401, 403):
        return DownloadError(
            f"{name}: access to {url} was refused (HTTP {code}). For a gated Hugging Face repository, "
            "accept its terms and log in (`hf auth login`)"
        )
    return DownloadError(f"{name}: {url} answered HTTP {code} {e.reason}")


def _reject_html_content_type(response, *, url: str, name: str) -> None:
    ctype = response.headers.get_content_type()
    if ctype in ("text/html", "application/xhtml+xml"):
        raise DownloadError(
            f"{name}: {url} returned an HTML page (Content-Type {ctype}) instead of a weights file "
            "(a login, error or consent page?). Nothing was cached; check the URL in a browser"
        )


def _reject_html_body(first: bytes, *, url: str, name: str) -> None:
    head = first[:512].lstrip().lower()
    if head.startswith(_HTML_PREFIXES):
        raise DownloadError(
            f"{name}: {url} returned an HTML page instead of a weights file (a login, error or consent "
            "page?). Nothing was cached; check the URL in a browser"
        )


def _progress_bar(desc: str, total: int | None, initial: int, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm import tqdm  # installed with ultralytics; optional
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                desc=desc, file=sys.stderr, leave=False)


def _hash_into(hasher, path: Path) -> None:
    with open(path, "rb") as f:
        _hash_open(hasher, f)


def _hash_open(hasher, f, limit: int | None = None) -> None:
    """Hash an open file from its start (up to ``limit`` bytes)."""
    f.seek(0)
    left = limit
    while left is None or left > 0:
        chunk = f.read(CHUNK if left is None else min(CHUNK, left))
        if not chunk:
            break
        hasher.update(chunk)
        if left is not None:
            left -= len(chunk)


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_ino, st.st_dev


def _is_same_file(path: Path, identity: tuple[int, int]) -> bool:
    """Whether ``path`` (not following a link) is still the regular file with this identity."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    return stat.S_ISREG(st.st_mode) and _identity(st) == identity


def _hash_path(path: Path) -> str:
    h = hashlib.sha256()
    _hash_into(h, path)
    return h.hexdigest()
