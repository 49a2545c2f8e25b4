"""zoo's typed errors for names and model files, and the helpers that keep their messages short.

Two families, each under one base: :class:`RegistryError` for module names (unknown, duplicate,
invalid, not allowed, failed to import) and :class:`ModelConfigError` for model YAMLs (with
:class:`LimitExceededError` for work beyond :func:`zoo.limits.limits`). Each docstring says the fix.
The classes live here, apart from the code that raises them, so that the registry, the limits and
the YAML reader can all import them without a cycle.

Torch-free and zoo-free: this module imports nothing from zoo.
"""

from __future__ import annotations

import reprlib
from typing import Any

__all__ = [
    "RegistryError",
    "UnknownNameError",
    "DuplicateNameError",
    "InvalidNameError",
    "ModuleNotAllowedError",
    "ModuleImportError",
    "PluginImportWarning",
    "ModelConfigError",
    "LimitExceededError",
    "short_repr",
    "clip_text",
]


class RegistryError(Exception):
    """Base class of registry errors."""


class UnknownNameError(RegistryError, LookupError):
    """A name that no registered, contributed or stock module carries."""


class DuplicateNameError(RegistryError, ValueError):
    """A registration under a name that is already taken."""


class InvalidNameError(RegistryError, ValueError):
    """A name that is not a Python identifier or a dotted import path."""


class ModuleNotAllowedError(UnknownNameError):
    """A dotted name whose module zoo may not import: not zoo's, not an entry-point package, not allowed.

    Fix: import the module yourself before loading (its blocks register), pass it to
    :func:`allow_modules` (``zoo.load(..., modules=[...])``, ``modules=`` on the command line), or
    declare it in your package's ``zoo.modules`` entry-point group.
    """


class ModuleImportError(RegistryError, ImportError):
    """A module passed to :func:`allow_modules` (or a trusted one a YAML names) that failed to import.

    Fix: check the name, install its package or put its folder on ``PYTHONPATH``.
    """


class PluginImportWarning(RuntimeWarning):
    """A ``zoo.modules`` entry point failed to import; its blocks are unavailable, all other names work."""


class ModelConfigError(ValueError):
    """A model YAML that zoo refuses, with the file, the row and the problem."""


class LimitExceededError(ModelConfigError):
    """A model YAML that asks for more work than :func:`limits` allows; the message says how to raise it."""


_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxlevel = 80, 80, 12, 12, 12, 4


def short_repr(value: Any, limit: int = 200) -> str:
    """``repr`` of ``value`` cut to about ``limit`` characters, for error messages.

    A row of a YAML whose aliases expand to millions of items must not turn into a message of megabytes.
    """
    return clip_text(_REPR.repr(value), limit)


def clip_text(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters (an exception's message quoting a huge value, say)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
