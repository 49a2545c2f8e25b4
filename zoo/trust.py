"""The trust rule: which modules zoo may import on behalf of a model file, and the explicit way to allow more.

A dotted name in a model YAML (``pkg.module.Class``) or a ``modules:`` key never makes a file run
code. A module is imported only when it is already imported, is zoo's own (``zoo.*`` or one of the
registry's block locations), was passed to :func:`zoo.registry.allow_modules`, or belongs to a package
declared in a trusted entry-point group (:data:`zoo.plugins.TRUSTED_GROUPS`). Anything else is refused
with :class:`ModuleNotAllowedError` before any import, and the message lists the three ways to allow it.

The functions here hold the rule; :class:`zoo.registry.Registry` keeps the state (the allowed list,
its locations, its groups) and calls them. Torch-free.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from typing import Callable

from zoo.errors import InvalidNameError, ModuleImportError, clip_text, short_repr
from zoo.names import is_module_path
from zoo.plugins import ENTRY_POINT_GROUP, declaring_entry_point

__all__ = ["module_allowed", "not_allowed_message", "import_checked", "module_paths", "import_for_allow"]


def module_allowed(
    module: str, *, own: Callable[[], list[str]], allowed: list[str], trusted_groups: tuple[str, ...]
) -> str | None:
    """Why ``module`` may be imported on behalf of a model file, or None when it may not.

    Nothing is imported to decide: the answer comes from ``sys.modules``, zoo's own namespace,
    the trusted entry-point groups' declarations and the allowed list.

    Args:
        module (str): A dotted module path.
        own (Callable[[], list[str]]): zoo's own block modules beyond ``zoo.*`` (called only when needed).
        allowed (list[str]): Modules the user allowed explicitly; their submodules are allowed too.
        trusted_groups (tuple[str, ...]): Entry-point groups whose declared packages are trusted.

    Returns:
        (str | None): ``"already imported"``, ``"zoo's own"``, ``"entry point <name> = <value>"``,
            ``"allowed by allow_modules"``, or None.
    """
    if module in sys.modules:
        return "already imported"
    parts = module.split(".")
    if any(p.startswith("__") for p in parts):  # zoo.__main__ runs the command line when imported
        return None
    if parts[0] == "zoo" or module in own():
        return "zoo's own"
    if any(module == m or module.startswith(m + ".") for m in allowed):
        return "allowed by allow_modules"
    return declaring_entry_point(module, trusted_groups)


def not_allowed_message(module: str, source: str, trusted_groups: tuple[str, ...]) -> str:
    """The refusal for ``module``: why zoo does not import it and the three ways to allow it."""
    where = f"{source}: " if source else ""
    return (
        f"{where}module {module!r} is not imported and zoo may not import it on a model file's behalf "
        "(a file never makes code run). Imported are only zoo's own modules, packages declared in the "
        f"{' or '.join(repr(g) for g in trusted_groups) or 'no'} entry-point group, and modules you allow. "
        f"Fixes: import {module} yourself before loading (its blocks register); allow it explicitly with "
        f"zoo.load(..., modules=[{module!r}]) (modules={module} on the command line, "
        f"zoo.registry.allow_modules in code); or declare it in your package's pyproject.toml: "
        f'[project.entry-points."{ENTRY_POINT_GROUP}"] blocks = "{module}".'
    )


def import_checked(module: str, *, why: str, source: str = "") -> None:
    """Import an allowed ``module`` unless it is imported already.

    Raises:
        ModuleImportError: Naming ``source``, the module and why it was allowed, when its import fails.
    """
    if module not in sys.modules:
        try:
            importlib.import_module(module)
        except Exception as e:  # noqa: BLE001 - the module's own code may raise anything
            raise ModuleImportError(
                f"{source}{': ' if source else ''}module {module!r} ({why}) failed to import: "
                f"{clip_text(f'{type(e).__name__}: {e}', 300)}. Check the name, install its package or "
                "put its folder on PYTHONPATH."
            ) from e


def module_paths(names: Iterable[str] | str) -> list[str]:
    """The module paths given to :func:`allow_modules`, split on commas when a string, without duplicates.

    Raises:
        InvalidNameError: For something that is not a dotted module path (nothing is imported).
    """
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    wanted = list(dict.fromkeys(names))
    for module in wanted:
        if not isinstance(module, str) or not is_module_path(module):
            raise InvalidNameError(
                f"allow_modules: {short_repr(module)} is not a module path; write e.g. 'my_package.blocks'"
            )
    return wanted


def import_for_allow(module: str) -> None:
    """Import a module the user allows explicitly (its top-level code runs: that is the point).

    Raises:
        ModuleImportError: Naming the module and how to make it importable.
    """
    try:
        importlib.import_module(module)
    except Exception as e:  # noqa: BLE001 - the module's own code may raise anything
        raise ModuleImportError(
            f"allow_modules: module {module!r} failed to import: {clip_text(f'{type(e).__name__}: {e}', 300)}. "
            "Check the name, install its package or put its folder on PYTHONPATH (a module in the "
            "working folder is importable as 'name' when Python runs from there)."
        ) from e
