"""zoo.weights: pinned, verified, cached weights and per-key load reports.

Importing this package imports no torch: the manifest, resolver and downloader are stdlib-only,
and the torch-dependent parts (reading, loading, publishing) are imported on first use.

Public API::

    fetch(name_or_url, *, progress=True, allow_unverified=False) -> Path
    verify(name_or_path, *, sha256=None) -> bool
    load_weights(model, weights, *, model_name=None, allow_pickle=False, allow_unverified=False) -> LoadReport
    publish(checkpoint_or_model, *, name, out_dir, metrics=None, manifest=None) -> WeightsEntry
    load_manifest(path=None) -> Manifest
    load_into(model, state_dict, *, converter=None, strict=False) -> LoadReport
    register_converter(layout, arch=None)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zoo.weights.errors import (
    CacheError,
    ChecksumError,
    DownloadError,
    ManifestError,
    NonFiniteWeightsError,
    NonFiniteWeightsWarning,
    PartialLoadWarning,
    PickleRefusedError,
    SafetensorsHeaderError,
    StrictLoadError,
    UnknownWeightsError,
    UnsafeNameError,
    UnverifiedWeightsError,
    WeightsError,
    WeightsFormatError,
    WeightsNameError,
    WeightsNotCachedError,
    WeightsWarning,
)
from zoo.weights.fetching import fetch, verify
from zoo.weights.manifest import Manifest, WeightsEntry, load_manifest

# name -> module; resolved on first attribute access (PEP 562) so torch loads only when needed
_LAZY = {
    "load_weights": "zoo.weights.loading",
    "publish": "zoo.weights.publish",
    "load_into": "zoo.weights.report",
    "LoadReport": "zoo.weights.report",
    "register_converter": "zoo.weights.converters",
    "get_converter": "zoo.weights.converters",
    "read_state_dict": "zoo.weights.io",
}

__all__ = [
    "fetch", "verify", "load_weights", "publish", "load_manifest", "load_into", "LoadReport",
    "register_converter", "get_converter", "read_state_dict", "Manifest", "WeightsEntry",
    "WeightsError", "ManifestError", "UnknownWeightsError", "UnsafeNameError", "UnverifiedWeightsError",
    "DownloadError", "ChecksumError", "WeightsNotCachedError", "WeightsFormatError", "PickleRefusedError",
    "CacheError", "SafetensorsHeaderError", "StrictLoadError", "NonFiniteWeightsError", "WeightsNameError",
    "WeightsWarning", "PartialLoadWarning", "NonFiniteWeightsWarning",
]

if TYPE_CHECKING:
    from zoo.weights.converters import get_converter, register_converter
    from zoo.weights.io import read_state_dict
    from zoo.weights.loading import load_weights
    from zoo.weights.publish import publish
    from zoo.weights.report import LoadReport, load_into


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'zoo.weights' has no attribute {name!r}")
