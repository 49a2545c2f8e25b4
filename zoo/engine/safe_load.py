"""Let Ultralytics' restricted checkpoint loading (``ULTRALYTICS_SAFE_LOAD=1``) accept zoo's classes.

Restricted loading unpickles with ``torch.load(weights_only=True)`` and an allow-list; classes outside
Ultralytics and torch are refused. zoo allow-lists, for one checkpoint, only the classes it references
that are ``nn.Module`` subclasses defined in zoo, in zoo's architectures, in timm (zoo's encoders), or
registered in zoo's module registry. Anything else stays refused.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import torch

from zoo.registry import MODULES

__all__ = ["allow_zoo_globals"]

_TRUSTED_PREFIXES = ("zoo.", "architectures.", "timm.")


def _resolve(name: str):
    module, _, attr = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr, None)
    except ImportError:
        return None


def allow_zoo_globals(checkpoint: str | Path) -> list[str]:
    """Register with torch's safe globals the zoo, architecture, timm and registered module classes a checkpoint names.

    Args:
        checkpoint (str | Path): A ``torch.save`` zip checkpoint.

    Returns:
        (list[str]): The names allowed.
    """
    try:
        needed = torch.serialization.get_unsafe_globals_in_checkpoint(str(checkpoint))
    except ValueError:  # not a zip checkpoint: torch.load reports the format itself
        return []
    allowed = []
    for name in needed:
        if not name.startswith(_TRUSTED_PREFIXES) and "." in name:
            obj = _resolve(name)  # user blocks: only when registered with zoo
            if obj is None or MODULES.entry_for_class(obj) is None:
                continue
        obj = _resolve(name)
        if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
            torch.serialization.add_safe_globals([(obj, name)])
            allowed.append(name)
    return allowed
