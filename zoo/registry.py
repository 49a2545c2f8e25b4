"""zoo's module registry: the names a model YAML may use, each with its channel rule.

Contract:
    * ``@register_module`` (bare, or ``name=``, ``rule=``, ``force=``) records a class under a name.
      A name already taken raises :class:`DuplicateNameError` naming where the existing entry came
      from, unless ``force=True``.
    * :meth:`Registry.get` resolves, in order: registered entries; modules contributed by installed
      packages through the ``zoo.modules`` entry-point group (loaded on the first miss, so import
      order never matters); zoo's own architecture blocks (imported on the first miss); Ultralytics'
      stock modules, ``nn.*`` and ``torchvision.ops.*``; a dotted path ``pkg.module.Class``.
    * A dotted path never makes a file run code: it resolves to a registered class of that
      ``module.qualname``, or to a registered class of a module that is already imported; the module
      is imported only when it is zoo's own (``zoo.*``), belongs to a package declared in the
      ``zoo.modules`` (or ``zoo.architectures``) entry-point group, or was passed to
      :func:`allow_modules`. Anything else raises :class:`ModuleNotAllowedError` before any import.
    * An unknown name raises :class:`UnknownNameError` naming the registry and the closest names.
    * A ``zoo.modules`` entry point whose import fails is reported by name (a :class:`PluginImportWarning`
      at discovery and a line in unknown-name errors); lookups of every other name keep working.

The pieces live beside it: the trust rule for dotted names in :mod:`zoo.trust`, entry-point discovery
in :mod:`zoo.plugins`, name syntax in :mod:`zoo.names`, the errors in :mod:`zoo.errors`. Their public
names are importable from here too.

This module imports no torch: listing and registering are instant.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from zoo import rules as _rules
from zoo import trust as _trust
from zoo.errors import (
    DuplicateNameError,
    InvalidNameError,
    ModuleImportError,
    ModuleNotAllowedError,
    PluginImportWarning,
    RegistryError,
    UnknownNameError,
    clip_text,
    short_repr,
)
from zoo.names import validate_name
from zoo.plugins import ENTRY_POINT_GROUP, TRUSTED_GROUPS, load_entry_points
from zoo.rules import Rule

__all__ = [
    "Entry",
    "Registry",
    "MODULES",
    "register_module",
    "RegistryError",
    "UnknownNameError",
    "DuplicateNameError",
    "InvalidNameError",
    "ModuleNotAllowedError",
    "ModuleImportError",
    "PluginImportWarning",
    "allow_modules",
    "short_repr",
    "clip_text",
    "ENTRY_POINT_GROUP",
]


@dataclass(frozen=True)
class Entry:
    """One registered module.

    Attributes:
        name (str): The name YAML files use.
        obj (type): The module class.
        rule (Rule): How its arguments and output channels follow from its inputs.
        source (str): Where it was defined, for error messages.
    """

    name: str
    obj: Any
    rule: Rule
    source: str


def _source_of(obj: Any) -> str:
    """Describe where ``obj`` was defined: ``module.Qualname (file:line)``."""
    where = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', obj)}"
    try:
        file = inspect.getsourcefile(obj)
        line = inspect.getsourcelines(obj)[1]
        return f"{where} ({file}:{line})"
    except (TypeError, OSError):
        return where


class Registry:
    """A name → module-class mapping with lazy discovery (see the module docstring for the contract).

    Args:
        name (str): The registry's name, used in error messages.
        entry_point_group (str | None): Entry-point group whose modules are imported on the first miss.
        locations (Callable[[], list[str]] | None): Returns import paths to import on the first miss.
        fallback (str | None): ``"module:function"`` resolving names the registry does not hold
            (stock modules); imported only when needed.
        fallback_names (Callable[[], list[str]] | None): Names the fallback knows, torch-free, used for
            duplicate checks and suggestions.
        trusted_groups (tuple[str, ...]): Entry-point groups whose packages a dotted name may import
            (default: ``entry_point_group`` alone).
    """

    def __init__(
        self,
        name: str,
        *,
        entry_point_group: str | None = None,
        locations: Callable[[], list[str]] | None = None,
        fallback: str | None = None,
        fallback_names: Callable[[], list[str]] | None = None,
        trusted_groups: tuple[str, ...] | None = None,
    ):
        self.name = name
        self._entries: dict[str, Entry] = {}
        self._by_class: dict[int, Entry] = {}
        self._entry_point_group = entry_point_group
        self._trusted_groups = trusted_groups if trusted_groups is not None else (entry_point_group,) * bool(
            entry_point_group
        )
        self._locations = locations
        self._location_names: list[str] | None = None
        self._fallback = fallback
        self._fallback_names = fallback_names
        self._discovered = False
        self._broken: dict[str, str] = {}  # entry point "name = value" -> why its import failed
        self._allowed: list[str] = []  # modules the user allowed explicitly (allow_modules)
        self._lock = threading.RLock()

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """Registered names (without stock modules), sorted."""
        return sorted(self._entries)

    def register(self, obj: type, *, name: str | None = None, rule: Rule | None = None, force: bool = False) -> type:
        """Record ``obj`` under ``name`` (default: its class name). See :func:`register_module`."""
        if not isinstance(obj, type):
            raise TypeError(f"register_module expects a class, got {obj!r}")
        name = validate_name(obj.__name__ if name is None else name)
        rule = rule or _rules.conv()
        if not callable(rule):
            raise TypeError(f"rule for {name!r} must be callable (see zoo.rules), got {rule!r}")
        entry = Entry(name, obj, rule, _source_of(obj))
        with self._lock:
            existing = self._entries.get(name)
            if existing is not None and not force:
                if _same_definition(existing.obj, obj):  # a module re-executed (reload, cloudpickle)
                    self._add(entry)
                    return obj
                raise DuplicateNameError(
                    f"{self.name} registry already has {name!r} from {existing.source}; "
                    f"refusing to overwrite it with {entry.source}. Pick another name= or pass force=True."
                )
            if existing is None and not force and name in self._stock_names():
                raise DuplicateNameError(
                    f"{name!r} is an Ultralytics stock module in the {self.name} registry; "
                    f"registering {entry.source} under it would shadow it. Pick another name= or pass force=True."
                )
            self._add(entry)
        return obj

    def _add(self, entry: Entry) -> None:
        self._entries[entry.name] = entry
        self._by_class[id(entry.obj)] = entry

    def unregister(self, name: str) -> None:
        """Remove a registered name (tests and interactive sessions)."""
        with self._lock:
            entry = self._entries.pop(name)
            self._by_class.pop(id(entry.obj), None)

    def get(self, name: str) -> Entry:
        """Resolve ``name`` to an :class:`Entry` (see the module docstring for the order).

        Raises:
            InvalidNameError: For names with path separators or other syntax.
            ModuleNotAllowedError: For a dotted name whose module zoo may not import (nothing is imported).
            UnknownNameError: When nothing resolves; lists the closest names.
        """
        validate_name(name, dotted=True)
        if name in self._entries:
            return self._entries[name]
        self._discover()
        if name in self._entries:
            return self._entries[name]
        entry = self._resolve_fallback(name)
        if entry is not None:
            return entry
        if "." in name and not name.startswith(("nn.", "torchvision.ops.")):
            return self._resolve_dotted(name)
        raise UnknownNameError(self._unknown_message(name))

    def entry_for_class(self, cls: type) -> Entry | None:
        """The entry registered for ``cls``, if any."""
        return self._by_class.get(id(cls))

    @property
    def broken_plugins(self) -> dict[str, str]:
        """Entry points (``name = value``) whose import failed at discovery, with the reason."""
        return dict(self._broken)

    def discover(self) -> None:
        """Import the entry-point contributions and zoo's own block modules now (once; later calls are free)."""
        self._discover()

    def _discover(self) -> None:
        """Import entry-point contributions and zoo's own block modules, once.

        A plugin that fails to import is recorded and warned about by name; it never hides the others.
        """
        with self._lock:
            if self._discovered:
                return
            self._discovered = True
            if self._entry_point_group:  # the warning points at the caller of get() / discover()
                load_entry_points(self._entry_point_group, self._broken, stacklevel=3)
            for location in self._location_modules():
                importlib.import_module(location)

    def _location_modules(self) -> list[str]:
        if self._location_names is None:
            self._location_names = list(self._locations()) if self._locations else []
        return self._location_names

    def _resolve_fallback(self, name: str) -> Entry | None:
        if not self._fallback:
            return None
        module, _, func = self._fallback.partition(":")
        return getattr(importlib.import_module(module), func)(name)

    def module_allowed(self, module: str) -> str | None:
        """Why ``module`` may be imported on behalf of a model file, or None when it may not.

        Nothing is imported to decide: the answer comes from ``sys.modules``, zoo's own namespace,
        the trusted entry-point groups' declarations and :func:`allow_modules`.

        Returns:
            (str | None): ``"already imported"``, ``"zoo's own"``, ``"entry point <name> = <value>"``,
                ``"allowed by allow_modules"``, or None.
        """
        return _trust.module_allowed(
            module, own=self._location_modules, allowed=self._allowed, trusted_groups=self._trusted_groups
        )

    def import_trusted(self, module: str, *, source: str = "") -> str:
        """Import ``module`` if :meth:`module_allowed` says so; used for dotted names and ``modules:`` keys.

        Args:
            module (str): A dotted module path.
            source (str): Who asks (a YAML file and row), for the error message.

        Returns:
            (str): Why the import was allowed.

        Raises:
            ModuleNotAllowedError: Before any import, when the module is not allowed.
            ModuleImportError: When an allowed module fails to import.
        """
        why = self.module_allowed(module)
        if why is None:
            raise ModuleNotAllowedError(self.not_allowed_message(module, source))
        _trust.import_checked(module, why=why, source=source)
        return why

    def allow(self, names: Iterable[str] | str) -> list[str]:
        """Import modules the user trusts (see :func:`allow_modules`)."""
        wanted = _trust.module_paths(names)
        for module in wanted:
            _trust.import_for_allow(module)
            with self._lock:
                if module not in self._allowed:
                    self._allowed.append(module)
        return wanted

    def _resolve_dotted(self, name: str) -> Entry:
        for entry in list(self._entries.values()):  # a registered class by its own module.qualname
            if f"{entry.obj.__module__}.{entry.obj.__qualname__}" == name:
                return entry
        module_path, _, attr = name.rpartition(".")
        module = sys.modules.get(module_path)
        if module is None:
            if self.module_allowed(module_path) is None:
                close = self._closest(attr)
                hint = f" Registered names close to {attr!r}: {', '.join(close)}." if close else ""
                raise ModuleNotAllowedError(self.not_allowed_message(module_path, repr(name)) + hint)
            try:
                self.import_trusted(module_path, source=repr(name))
            except ModuleImportError as e:
                raise UnknownNameError(f"{name!r}: cannot import {module_path!r}: {e}") from e
            module = sys.modules[module_path]
        cls = getattr(module, attr, None)
        if cls is None:
            raise UnknownNameError(f"{name!r}: module {module_path!r} has no attribute {attr!r}")
        entry = self.entry_for_class(cls)
        if entry is None:
            raise UnknownNameError(
                f"{name!r} was imported but is not registered: decorate {attr} with @zoo.register_module "
                "so that zoo knows its channel rule"
            )
        return entry

    def not_allowed_message(self, module: str, source: str = "") -> str:
        """The refusal for ``module``: why zoo does not import it and the three ways to allow it."""
        return _trust.not_allowed_message(module, source, self._trusted_groups)

    def _stock_names(self) -> list[str]:
        return self._fallback_names() if self._fallback_names else []

    def _closest(self, name: str) -> list[str]:
        known = set(self._entries) | set(self._stock_names())
        return difflib.get_close_matches(name, sorted(known), n=5, cutoff=0.6)

    def _unknown_message(self, name: str) -> str:
        close = self._closest(name)
        msg = f"{name!r} is not in the {self.name} registry."
        if close:
            msg += f" Closest names: {', '.join(close)}."
        msg += (
            " Register your class with @zoo.register_module, install a package that contributes it through the "
            f"{self._entry_point_group!r} entry-point group, or allow its module (zoo.load(..., modules=[...]))."
        )
        if self._broken:
            failed = "; ".join(f"{k} ({v})" for k, v in self._broken.items())
            msg += f" Entry points that failed to import (their blocks are missing): {failed}."
        return msg


def _same_definition(a: type, b: type) -> bool:
    """True when two classes are the same definition re-executed (same module and qualified name)."""
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def _architecture_block_modules() -> list[str]:
    """Import paths of zoo's generic blocks and of the block modules in ``zoo.architectures`` (found on disk).

    Only zoo's own namespace is named: a folder called ``architectures`` elsewhere on ``sys.path`` (the
    working directory, say) is never imported.
    """
    from zoo import architectures

    root = Path(architectures.__file__).parent
    shipped = sorted(f"zoo.architectures.{p.parent.name}.modules" for p in root.glob("*/modules.py"))
    return ["zoo.nn.blocks", "zoo.nn.heads", *shipped]


def _stock_names() -> list[str]:
    from zoo.stock import STOCK_NAMES

    return STOCK_NAMES


MODULES = Registry(
    "modules",
    entry_point_group=ENTRY_POINT_GROUP,
    locations=_architecture_block_modules,
    fallback="zoo.nn.stock:resolve",
    fallback_names=_stock_names,
    trusted_groups=TRUSTED_GROUPS,
)


def allow_modules(names: Iterable[str] | str) -> list[str]:
    """Import modules that the user explicitly trusts, so that the blocks they register can be named.

    This is the explicit step that lets a model YAML use blocks from a module that is neither zoo's own
    nor declared through the ``zoo.modules`` entry-point group. zoo never imports a module just because
    a file names it; this function is how a user says "this one is fine". Importing runs the module's
    top-level code (that is the point: its ``@register_module`` decorators run), so pass only modules you
    would import yourself. Later dotted names under an allowed module may be imported on lookup.

    Args:
        names (Iterable[str] | str): Module paths, e.g. ``["my_package.blocks"]``; a string is split on
            commas (``"pkg.blocks,pkg.heads"``, the command line's ``modules=`` form).

    Returns:
        (list[str]): The modules now imported and allowed, in the order given, without duplicates.

    Raises:
        InvalidNameError: For something that is not a dotted module path (nothing is imported).
        ModuleImportError: Naming the module that failed to import and how to make it importable; the
            modules before it stay imported and allowed.
    """
    return MODULES.allow(names)


def register_module(obj: type | None = None, *, name: str | None = None, rule: Rule | None = None, force: bool = False):
    """Register a block, head or backbone class so that model YAMLs can name it.

    Usable bare (``@register_module``) or with options (``@register_module(name="ASPP", rule=rules.conv())``).

    Args:
        obj (type | None): The class (when used bare).
        name (str | None): YAML name, default the class name. A Python identifier.
        rule (Rule | None): How constructor arguments and output channels follow from the inputs
            (see :mod:`zoo.rules`). Default :func:`zoo.rules.conv`: ``Module(c1, c2, *rest)`` with ``c2``
            scaled by the model's width.
        force (bool): Replace an existing entry of the same name instead of raising.

    Returns:
        The class itself (decorator) or a decorator.

    Raises:
        DuplicateNameError: If the name is taken and ``force`` is False; names where the existing entry came from.
    """

    def decorate(cls: type) -> type:
        return MODULES.register(cls, name=name, rule=rule, force=force)

    return decorate(obj) if obj is not None else decorate
