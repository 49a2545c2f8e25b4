"""Entry-point plugins: the installed packages that contribute blocks to zoo's module registry.

A package contributes blocks by declaring a module in the ``zoo.modules`` entry-point group; the
registry imports those modules on its first miss (:func:`load_entry_points`). Packages declared in
:data:`TRUSTED_GROUPS` are also trusted for dotted names (:func:`declaring_entry_point`): installing
them was the user's decision. A plugin that fails to import is recorded and warned about by name; it
never hides the others.

Torch-free: entry points are read from installed metadata.
"""

from __future__ import annotations

import warnings
from importlib import metadata

from zoo.errors import PluginImportWarning, clip_text

__all__ = ["ENTRY_POINT_GROUP", "TRUSTED_GROUPS", "load_entry_points", "declaring_entry_point"]

ENTRY_POINT_GROUP = "zoo.modules"
# Packages declared in these groups are trusted: installing them was the user's decision.
TRUSTED_GROUPS = (ENTRY_POINT_GROUP, "zoo.architectures")


def load_entry_points(group: str, broken: dict[str, str], *, stacklevel: int = 2) -> None:
    """Import every entry point of ``group``; record each failure in ``broken`` and warn about it.

    Args:
        group (str): The entry-point group.
        broken (dict[str, str]): Filled with ``"name = value"`` -> why its import failed.
        stacklevel (int): ``warnings.warn`` stack level, counted from the caller of this function.
    """
    for ep in metadata.entry_points(group=group):
        try:
            ep.load()
        except Exception as e:  # noqa: BLE001 - any error in a third party's import
            label = f"{ep.name} = {ep.value}"
            broken[label] = clip_text(f"{type(e).__name__}: {e}", 300)
            warnings.warn(
                f"zoo: entry point {label!r} of group {group!r} failed to import "
                f"({broken[label]}); its blocks are unavailable. Fix or uninstall its package.",
                PluginImportWarning,
                stacklevel=stacklevel + 1,
            )


def declaring_entry_point(module: str, groups: tuple[str, ...]) -> str | None:
    """The entry point of ``groups`` that declares ``module`` or a package above it, described; else None.

    Nothing is imported: the answer comes from installed metadata.
    """
    for group in groups:
        for ep in metadata.entry_points(group=group):
            declared = ep.module
            if module == declared or module.startswith(declared + "."):
                return f"entry point {ep.name} = {ep.value} ({group})"
    return None
