"""Parse the ``source`` of a manifest entry: ``https://…``, ``hf://…`` or a local path.

Stdlib only. Turning an ``hf://`` source into a download URL imports ``huggingface_hub`` lazily,
and only then, so the endpoint (``HF_ENDPOINT``) and token follow the user's Hub settings.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from zoo.weights.errors import ManifestError
from zoo.weights.names import REVISION_RE, check_filename, check_relative_path
from zoo.weights.quoting import short


@dataclass(frozen=True)
class Source:
    """Where a weights file comes from.

    Attributes:
        kind (str): ``"url"``, ``"hf"`` or ``"local"``.
        raw (str): The source string as written.
        filename (str): Base file name, checked to be one safe path component.
        url (str | None): ``http(s)://`` URL for ``kind == "url"``.
        repo_id (str | None): ``org/repo`` for ``kind == "hf"``.
        revision (str | None): Pinned 40-hex commit for ``kind == "hf"``.
        path_in_repo (str | None): File path inside the Hub repository.
        path (Path | None): Absolute local path for ``kind == "local"``.
    """

    kind: str
    raw: str
    filename: str
    url: str | None = None
    repo_id: str | None = None
    revision: str | None = None
    path_in_repo: str | None = None
    path: Path | None = None

    def download_url(self) -> str:
        """Return the HTTP(S) URL to download from (``hf://`` is resolved through huggingface_hub).

        Returns:
            (str): URL.
        """
        if self.kind == "url":
            return self.url  # type: ignore[return-value]
        if self.kind == "hf":
            from huggingface_hub import hf_hub_url  # lazy: only hf:// sources need it

            return hf_hub_url(self.repo_id, self.path_in_repo, revision=self.revision)
        raise ValueError(f"local source {self.raw!r} has no download URL")

    def auth_headers(self) -> dict[str, str]:
        """Return the Authorization header for gated Hub repositories, if the user has a token.

        Returns:
            (dict[str, str]): Headers, possibly empty.
        """
        if self.kind != "hf":
            return {}
        try:
            from huggingface_hub import get_token

            token = get_token()
        except Exception:  # a broken token store must not stop public downloads
            token = None
        return {"Authorization": f"Bearer {token}"} if token else {}


def parse_source(raw: str, *, base_dir: Path | None, where: str = "source") -> Source:
    """Parse a source string.

    Args:
        raw (str): ``https://host/file``, ``hf://org/repo@<40-hex>/<file>`` or a local path.
        base_dir (Path | None): Directory that relative local paths are resolved against.
        where (str): Context for error messages (e.g. the entry name).

    Returns:
        (Source): Parsed source.

    Raises:
        ManifestError: If the source is malformed or unsafe.
    """
    if not isinstance(raw, str) or not raw:
        raise ManifestError(f"{where}: 'source' must be a non-empty string, got {short(raw)}")
    try:
        if raw.startswith("hf://"):
            return _parse_hf(raw)
        if "://" in raw:
            return _parse_url(raw)
        return _parse_local(raw, base_dir)
    except ManifestError as e:
        raise ManifestError(f"{where}: {e}") from None
    except ValueError as e:  # UnsafeNameError and friends
        raise ManifestError(f"{where}: bad source {short(raw)}: {e}") from None


def _parse_hf(raw: str) -> Source:
    body = raw[len("hf://") :]
    repo_part, sep, path_in_repo = body.partition("/")  # org
    repo_name, sep2, rest = path_in_repo.partition("/")
    repo_name, at, revision = repo_name.partition("@")
    if not (sep and sep2 and at and repo_part and repo_name and rest):
        raise ManifestError(f"bad hf:// source {short(raw)}: expected 'hf://<org>/<repo>@<revision>/<file>'")
    if not REVISION_RE.match(revision):
        raise ManifestError(
            f"bad hf:// source {short(raw)}: the revision must be a full 40-hex commit id (pin what you "
            f"download), got {short(revision)}"
        )
    for part in rest.split("/"):
        check_filename(part)
    return Source(
        kind="hf",
        raw=raw,
        filename=PurePosixPath(rest).name,
        repo_id=f"{repo_part}/{repo_name}",
        revision=revision,
        path_in_repo=rest,
    )


def _parse_url(raw: str) -> Source:
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ManifestError(f"bad URL source {short(raw)}: only http:// and https:// URLs are supported")
    # unquote first so that '%2e%2e%2f' cannot smuggle a traversal past the check
    filename = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])
    return Source(kind="url", raw=raw, filename=check_filename(filename), url=raw)


def _parse_local(raw: str, base_dir: Path | None) -> Source:
    p = Path(raw)
    if p.is_absolute():
        if ".." in p.parts:
            raise ManifestError(f"bad local source {short(raw)}: '..' components are not allowed")
        check_filename(p.name)
        return Source(kind="local", raw=raw, filename=p.name, path=p)
    check_relative_path(raw)
    if base_dir is None:
        raise ManifestError(f"relative local source {short(raw)} needs a manifest directory")
    return Source(kind="local", raw=raw, filename=p.name, path=base_dir / raw)
