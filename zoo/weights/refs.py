"""Parse what a user passes as ``weights=``: ``"DEFAULT"``, a tag, ``"<model>.<tag>"``, a path or a URL.

Stdlib only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zoo.weights.errors import UnknownWeightsError, WeightsNameError
from zoo.weights.manifest import Manifest, WeightsEntry
from zoo.weights.names import DEFAULT_ALIAS, TAG_RE, check_no_traversal, split_name
from zoo.weights.quoting import short

_WEIGHT_EXTS = (".safetensors", ".pt", ".pth", ".bin", ".ckpt")


@dataclass(frozen=True)
class WeightsRef:
    """A resolved weights reference: exactly one of ``entry``, ``url``, ``path`` is set."""

    entry: WeightsEntry | None = None
    url: str | None = None
    path: Path | None = None

    @property
    def label(self) -> str:
        """Name for messages and reports."""
        return self.entry.name if self.entry else (self.url or str(self.path))


def resolve_ref(weights: str | os.PathLike, *, model_name: str | None, manifest: Manifest,
                names_only: bool = False) -> WeightsRef:
    """Resolve a weights reference.

    Args:
        weights (str | os.PathLike): ``"DEFAULT"``, a tag (``"voc"``), ``"<model>.<tag>"``, a file path
            or a URL (``https://…``, ``hf://…``).
        model_name (str | None): zoo model name; needed for ``"DEFAULT"`` and bare tags.
        manifest (Manifest): Where names are looked up.
        names_only (bool): Refuse file paths (for :func:`zoo.weights.fetch`, which takes names/URLs).

    Returns:
        (WeightsRef): The reference.

    Raises:
        UnknownWeightsError: Unknown name, or DEFAULT for a model without default weights.
        UnsafeNameError: A name containing path separators or ``..`` where a name is expected.
        WeightsNameError: An empty or malformed name.
    """
    if isinstance(weights, os.PathLike):
        return WeightsRef(path=Path(weights))
    if not isinstance(weights, str):
        raise TypeError(f"weights must be a name, path or URL string, got {short(weights)}")
    if not weights.strip():
        raise WeightsNameError(f"weights={short(weights)} is empty; pass 'DEFAULT', a tag, '<model>.<tag>', a file or a URL")
    if "://" in weights:
        return WeightsRef(url=weights)
    looks_like_path = "/" in weights or os.sep in weights or weights.lower().endswith(_WEIGHT_EXTS)
    if looks_like_path and not names_only:
        try:
            return WeightsRef(path=Path(weights).expanduser())
        except RuntimeError:  # '~someone/w.pt' for a user this machine does not know
            return WeightsRef(path=Path(weights))  # then 'does not exist', naming the path as written
    check_no_traversal(weights, what="weights name")
    if weights == DEFAULT_ALIAS:
        if not model_name:
            raise UnknownWeightsError("weights='DEFAULT' needs the model name (pass model_name=...)")
        entry = manifest.default_for(model_name)
        if entry is None:
            have = ", ".join(e.name for e in manifest.for_model(model_name)) or "none"
            raise UnknownWeightsError(
                f"model {model_name!r} has no DEFAULT weights in the manifest (available for it: {have})"
            )
        return WeightsRef(entry=entry)
    if "." not in weights:
        if not model_name or not TAG_RE.match(weights):
            raise UnknownWeightsError(
                f"{short(weights)} is not '<model>.<tag>'; pass model_name=... to use a bare tag"
            )
        weights = f"{model_name}.{weights}"
    split_name(weights)
    return WeightsRef(entry=manifest.get(weights))
