"""zoo: a registry-based model zoo for Ultralytics.

Importing zoo is instant and torch-free: listing reads metadata, and the heavy parts load on first use.

Examples:
    >>> import zoo
    >>> zoo.list_models("deeplab*")
    >>> model = zoo.load("deeplabv3p-s", task="segment")
"""

from __future__ import annotations

from zoo.api import info, list_models, load
from zoo.registry import allow_modules, register_module
from zoo import rules

__version__ = "0.1.0"
__all__ = ["load", "list_models", "info", "register_module", "allow_modules", "rules", "__version__"]
