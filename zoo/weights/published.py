"""Read what :func:`zoo.weights.publish` stores in a safetensors file's metadata. Stdlib only.

``zoo.load("x.safetensors")`` rebuilds the model from the YAML kept in the file's ``__metadata__``
before loading its tensors. The metadata is strings only (safetensors' rule); the YAML and the class
names are JSON inside them, and a corrupt or foreign file must not end in a ``JSONDecodeError``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo.weights.errors import WeightsFormatError
from zoo.weights.quoting import short
from zoo.weights.safetensors_header import read_header


@dataclass(frozen=True)
class Published:
    """The model description a zoo-published file carries.

    Attributes:
        yaml (dict[str, Any]): The model YAML (as a dict) to build before loading.
        names (list[str] | None): Class names, if recorded.
        metadata (dict[str, str]): The raw ``__metadata__`` strings.
    """

    yaml: dict[str, Any]
    names: list[str] | None
    metadata: dict[str, str]


def read_published(path: str | os.PathLike) -> Published:
    """Read and check the model description of a zoo-published safetensors file.

    Args:
        path (str | os.PathLike): ``.safetensors`` file written by :func:`zoo.weights.publish`.

    Returns:
        (Published): YAML dict, class names and raw metadata.

    Raises:
        SafetensorsHeaderError: If the file is not a well-formed safetensors file.
        WeightsFormatError: If it is not zoo-published (no zoo layout or YAML), or its YAML or names are
            not the JSON that publish writes; the message says to load the file into a named model.
    """
    path = Path(path)
    meta = read_header(path).metadata
    hint = "load it into a model instead: zoo.load('<model name>', weights=path)"
    if meta.get("layout") != "zoo" or "yaml" not in meta:
        raise WeightsFormatError(f"{path}: not a zoo-published file (no zoo layout and YAML in its metadata); {hint}")
    yaml = _json(path, meta, "yaml")
    if not isinstance(yaml, dict):
        raise WeightsFormatError(f"{path}: its metadata 'yaml' is a {type(yaml).__name__}, not a model YAML; {hint}")
    names = _json(path, meta, "names") if meta.get("names") else None
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise WeightsFormatError(f"{path}: its metadata 'names' must be a JSON list of strings, got {short(names)}")
    return Published(yaml=yaml, names=names, metadata=dict(meta))


def _json(path: Path, meta: dict[str, str], key: str) -> Any:
    try:
        return json.loads(meta[key])
    except RecursionError:
        raise WeightsFormatError(f"{path}: its metadata {key!r} is nested too deeply") from None
    except ValueError as e:  # JSONDecodeError, or an integer too long to convert
        raise WeightsFormatError(
            f"{path}: its metadata {key!r} is not the JSON zoo.weights.publish writes ({short(str(e))}); "
            "re-publish the file, or load it into a model: zoo.load('<model name>', weights=path)"
        ) from None
