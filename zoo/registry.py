"""zoo's module registry: the names a model YAML may use, each with its channel rule.

Contract:
    * ``@register_module`` (bare, or ``name=``, ``rule=``, ``force=``) records a class under a name.
      A name already taken raises :class:`DuplicateNameError` naming where the existing entry came
      from, unless ``force=True``.
    * :meth:`Registry.get` resolves, in order: registered entries; modules contributed by installed
      packages through the ``zoo.modules`` entry-point group (loaded on the first miss, so import
      order never matters); zoo's own architecture blocks (imported on the first miss); Ultralytics'
      stock modules, ``nn.*`` and ``torchvision.ops.*``; a dotted import path ``pkg.module.Class``
      whose import registers the class.
    * An unknown name raises :class:`UnknownNameError` naming the registry and the closest names.

This module imports no torch: listing and registering are instant.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from zoo import rules as _rules
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
    "ENTRY_POINT_GROUP",
]

ENTRY_POINT_GROUP = "zoo.modules"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


class RegistryError(Exception):
    """Base class of registry errors."""


class UnknownNameError(RegistryError, LookupError):
    """A name that no registered, contributed or stock module carries."""


class DuplicateNameError(RegistryError, ValueError):
    """A registration under a name that is already taken."""


class InvalidNameError(RegistryError, ValueError):
    """A name that is not a Python identifier or a dotted import path."""


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


def validate_name(name: Any, *, dotted: bool = False) -> str:
    """Check that ``name`` is an identifier (or, with ``dotted``, a dotted import path).

    Raises:
        InvalidNameError: If it contains path separators, spaces, calls or other syntax.
    """
    if not isinstance(name, str) or not name:
        raise InvalidNameError(f"module names are non-empty strings, got {name!r}")
    if _IDENTIFIER.match(name) or (dotted and _DOTTED.match(name)):
        return name
    hint = "use a Python identifier such as 'MyBlock'"
    if dotted:
        hint += " or a dotted import path such as 'my_package.blocks.MyBlock'"
    raise InvalidNameError(f"invalid module name {name!r}: {hint} (no path separators, spaces or calls)")


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
    """

    def __init__(
        self,
        name: str,
        *,
        entry_point_group: str | None = None,
        locations: Callable[[], list[str]] | None = None,
        fallback: str | None = None,
        fallback_names: Callable[[], list[str]] | None = None,
    ):
        self.name = name
        self._entries: dict[str, Entry] = {}
        self._by_class: dict[int, Entry] = {}
        self._entry_point_group = entry_point_group
        self._locations = locations
        self._fallback = fallback
        self._fallback_names = fallback_names
        self._discovered = False
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
            UnknownNameError: When nothing resolves; lists the closest names.
        """
        validate_name(name, dotted=True)
        if name in self._entries:
            return self._entries[name]
        if "." not in name:
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

    def discover(self) -> None:
        """Import the entry-point contributions and zoo's own block modules now (done once; later calls are free)."""
        self._discover()

    def _discover(self) -> None:
        """Import entry-point contributions and zoo's own block modules, once."""
        with self._lock:
            if self._discovered:
                return
            self._discovered = True
            if self._entry_point_group:
                for ep in metadata.entry_points(group=self._entry_point_group):
                    try:
                        ep.load()
                    except Exception as e:  # a broken plugin must not hide the others
                        raise RegistryError(
                            f"entry point {ep.name!r} = {ep.value!r} of group {self._entry_point_group!r} "
                            f"failed to import: {e}"
                        ) from e
            for location in self._locations() if self._locations else []:
                importlib.import_module(location)

    def _resolve_fallback(self, name: str) -> Entry | None:
        if not self._fallback:
            return None
        module, _, func = self._fallback.partition(":")
        return getattr(importlib.import_module(module), func)(name)

    def _resolve_dotted(self, name: str) -> Entry:
        module_path, _, attr = name.rpartition(".")
        try:
            module = importlib.import_module(module_path)
        except ImportError as e:
            raise UnknownNameError(f"{name!r}: cannot import {module_path!r} ({e})") from e
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

    def _stock_names(self) -> list[str]:
        return self._fallback_names() if self._fallback_names else []

    def _unknown_message(self, name: str) -> str:
        known = set(self._entries) | set(self._stock_names())
        close = difflib.get_close_matches(name, sorted(known), n=5, cutoff=0.6)
        msg = f"{name!r} is not in the {self.name} registry."
        if close:
            msg += f" Closest names: {', '.join(close)}."
        msg += (
            " Register your class with @zoo.register_module, install a package that contributes it through the "
            f"{self._entry_point_group!r} entry-point group, or use a dotted import path (my_package.blocks.MyBlock)."
        )
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
)


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
