"""The syntax of a module name: a Python identifier, or a dotted import path.

A model YAML, a ``modules:`` key and :func:`zoo.registry.allow_modules` name modules by text; this
module decides which texts are names at all, before anything is looked up or imported.

Torch-free.
"""

from __future__ import annotations

import re
from typing import Any

from zoo.errors import InvalidNameError, short_repr

__all__ = ["validate_name", "is_module_path", "MAX_NAME"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
MAX_NAME = 200  # longer than any real import path; keeps messages and regex work small


def is_module_path(text: str) -> bool:
    """True when ``text`` is an identifier or a dotted path (no length bound: :func:`allow_modules` input)."""
    return bool(_IDENTIFIER.match(text) or _DOTTED.match(text))


def validate_name(name: Any, *, dotted: bool = False) -> str:
    """Check that ``name`` is an identifier (or, with ``dotted``, a dotted import path).

    Raises:
        InvalidNameError: If it contains path separators, spaces, calls or other syntax.
    """
    if not isinstance(name, str) or not name:
        raise InvalidNameError(f"module names are non-empty strings, got {short_repr(name)}")
    if len(name) <= MAX_NAME and (_IDENTIFIER.match(name) or (dotted and _DOTTED.match(name))):
        return name
    hint = "use a Python identifier such as 'MyBlock'"
    if dotted:
        hint += " or a dotted import path such as 'my_package.blocks.MyBlock'"
    raise InvalidNameError(
        f"invalid module name {short_repr(name)}: {hint} (at most {MAX_NAME} characters; "
        "no path separators, spaces or calls)"
    )
