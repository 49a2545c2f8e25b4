"""``ZOO_WEIGHTS_MIRROR``: fetch every pinned weights file from a local mirror instead of its source. Stdlib only.

For air-gapped machines and tests. A mirror is content-addressed like zoo's cache::

    <mirror>/<sha256>/<file name>      e.g. <mirror>/0676ba61…e722fb8a/resnet50-0676ba61.pth

so a copy of a zoo weights cache folder (``ZOO_CACHE_DIR``) is a valid mirror. ``ZOO_WEIGHTS_MIRROR`` is either

* a folder (``/srv/zoo-mirror`` or ``file:///srv/zoo-mirror``): files are read in place, nothing is copied and no
  socket is opened, so it works with ``ZOO_OFFLINE=1``;
* an ``http://`` or ``https://`` URL: files are downloaded from ``<url>/<sha256>/<file name>`` into the cache
  (a download, so not with ``ZOO_OFFLINE=1``).

Every file is still checked against the manifest's sha256 (and size when known): a mirror can withhold a file,
never substitute one. Only sources with a pinned digest can be mirrored; an unpinned one is refused while a
mirror is set, since nothing would tie the mirrored bytes to the source.
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from zoo.weights.errors import WeightsError
from zoo.weights.names import SHA256_RE, check_filename

ENV = "ZOO_WEIGHTS_MIRROR"


@dataclass(frozen=True)
class Mirror:
    """Where ``ZOO_WEIGHTS_MIRROR`` points.

    Attributes:
        folder (Path | None): A local mirror folder.
        url (str | None): An HTTP(S) mirror's base URL, without a trailing slash.
    """

    folder: Path | None = None
    url: str | None = None

    def locate(self, sha256: str, filename: str) -> Path | str:
        """The mirror's copy of one file: a path for a folder mirror, a URL for an HTTP one.

        Args:
            sha256 (str): The file's pinned digest (64 lowercase hex).
            filename (str): The source's file name (one safe path component).

        Returns:
            (Path | str): ``<mirror>/<sha256>/<filename>``.
        """
        if not SHA256_RE.match(sha256):
            raise WeightsError(f"{ENV}: a mirror is addressed by full sha256, got {sha256[:80]!r}")
        check_filename(filename)  # one path component: never climbs out of the mirror
        if self.folder is not None:
            return self.folder / sha256 / filename
        return f"{self.url}/{sha256}/{urllib.parse.quote(filename)}"


def mirror() -> Mirror | None:
    """Read ``ZOO_WEIGHTS_MIRROR``; None when unset or empty.

    Returns:
        (Mirror | None): The mirror.

    Raises:
        WeightsError: For a value that is neither a folder path nor an ``http(s)://`` or ``file://`` URL.
    """
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme in ("http", "https"):
        if not parts.netloc:
            raise WeightsError(f"{ENV}={raw[:200]!r}: an HTTP mirror needs a host, e.g. http://127.0.0.1:8000/weights")
        return Mirror(url=raw.rstrip("/"))
    if parts.scheme == "file":
        return Mirror(folder=Path(urllib.request.url2pathname(parts.path)))
    if "://" in raw:
        raise WeightsError(f"{ENV}={raw[:200]!r}: use a folder, file:///folder or an http(s):// URL")
    return Mirror(folder=Path(raw).expanduser())
