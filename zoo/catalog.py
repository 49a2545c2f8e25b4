"""The architecture catalog: model names, tasks and YAML files, read from metadata alone.

Each architecture is a model YAML with zoo metadata at its top level (``arch``, ``task``, optional
``name`` template, ``description``, ``paper``, ``modules``, ``converters``). zoo's own live in the
``zoo.architectures`` package (the repo's ``architectures/`` folder, installed under zoo's namespace so
that no folder named ``architectures`` on ``sys.path`` is ever scanned); installed packages add folders of
such YAMLs through the ``zoo.architectures`` entry-point group (the entry point names an importable package; its folder
is scanned, the package is not imported). Nothing here imports torch or Ultralytics.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import importlib.util
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from zoo import tasks as _tasks
from zoo.config import ModelConfigError, load_yaml

__all__ = [
    "TASKS",
    "TASK_ALIASES",
    "Architecture",
    "UnknownModelError",
    "architectures",
    "model_names",
    "resolve",
    "get_architecture",
    "normalize_task",
    "ENTRY_POINT_GROUP",
]

ENTRY_POINT_GROUP = "zoo.architectures"
# Derived from the task table (zoo.tasks, torch-free). 'segment' is a row of its own (instance segmentation)
# and means semantic only against a semantic architecture: zoo.tasks' docstring states the rule.
TASKS = _tasks.names()
TASK_ALIASES = _tasks.aliases()


class UnknownModelError(LookupError):
    """A model name that no architecture in the catalog provides."""


@dataclass(frozen=True)
class Architecture:
    """One architecture family and its scales.

    Attributes:
        arch (str): Family name, e.g. ``deeplabv3p``.
        task (str): A row name of the task table (:mod:`zoo.tasks`): ``semantic``, ``detect``, ``pose``...
        yaml_file (Path): The model YAML.
        scales (tuple[str, ...]): Scale letters (empty: a single model).
        name_template (str): Model-name template, ``{arch}-{scale}`` by default.
        description (str): One line for listings.
        paper (str): Source paper or reference URL.
        modules (str | None): Import path that registers the architecture's blocks.
        converters (dict[str, str]): Weight layout → ``"module:function"`` converting such checkpoints.
        nc (int | None): Default number of classes.
    """

    arch: str
    task: str
    yaml_file: Path
    scales: tuple[str, ...] = ()
    name_template: str = "{arch}-{scale}"
    description: str = ""
    paper: str = ""
    modules: str | None = None
    converters: dict = field(default_factory=dict)
    nc: int | None = None

    def model_name(self, scale: str | None) -> str:
        """The public model name of one scale."""
        return self.name_template.format(arch=self.arch, scale=scale) if scale else self.arch

    def model_names(self) -> list[str]:
        """Public model names, one per scale."""
        return [self.model_name(s) for s in self.scales] if self.scales else [self.arch]

    def import_modules(self) -> None:
        """Import the module that registers this architecture's blocks (before building).

        Only a module the registry may import (zoo's own, an entry-point package's, an allowed one) is
        imported: a YAML's ``modules:`` never makes other code run.

        Raises:
            ModelConfigError: If the module is not allowed or fails to import (naming the YAML and the fix).
        """
        if self.modules:
            from zoo.registry import MODULES, RegistryError

            try:
                MODULES.import_trusted(self.modules, source=f"{self.yaml_file}: 'modules'")
            except RegistryError as e:
                raise ModelConfigError(str(e)) from e

    def model_dict(self, scale: str | None = None) -> dict:
        """The validated model dictionary at ``scale`` (default: the first)."""
        from zoo.config import validate_model_dict

        d = load_yaml(self.yaml_file)
        d["yaml_file"] = str(self.yaml_file)
        if self.scales:
            d["scale"] = scale or self.scales[0]
        d["zoo_model"] = self.model_name(d.get("scale"))
        validate_model_dict(d, source=str(self.yaml_file))
        return d


def _read_architecture(path: Path) -> Architecture | None:
    d = load_yaml(path)
    if "arch" not in d:
        return None  # a helper YAML, not an architecture
    task = normalize_task(d.get("task"), source=str(path))
    return Architecture(
        arch=str(d["arch"]),
        task=task,
        yaml_file=path,
        scales=tuple(d.get("scales") or ()),
        name_template=d.get("name", "{arch}-{scale}"),
        description=d.get("description", ""),
        paper=d.get("paper", ""),
        modules=d.get("modules"),
        converters=dict(d.get("converters") or {}),
        nc=d.get("nc"),
    )


def _architecture_dirs() -> list[Path]:
    """Folders to scan for architecture YAMLs: ``zoo.architectures`` and each entry point's package.

    Returns:
        list[Path]: Package folders, zoo's own first.
    """
    spec = importlib.util.find_spec("zoo.architectures")
    roots = [Path(p) for p in spec.submodule_search_locations] if spec and spec.submodule_search_locations else []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        ep_spec = importlib.util.find_spec(ep.value)
        if ep_spec and ep_spec.submodule_search_locations:
            roots.extend(Path(p) for p in ep_spec.submodule_search_locations)
    return roots


@functools.lru_cache(maxsize=1)
def architectures() -> dict[str, Architecture]:
    """All architectures by family name (cached; torch-free).

    Raises:
        ModelConfigError: If two architectures share a family name or a model name.
    """
    found: dict[str, Architecture] = {}
    owners: dict[str, str] = {}
    for root in _architecture_dirs():
        for path in sorted(root.glob("*/*.yaml")):
            a = _read_architecture(path)
            if a is None:
                continue
            if a.arch in found:
                raise ModelConfigError(f"architecture {a.arch!r} defined twice: {found[a.arch].yaml_file} and {path}")
            for name in a.model_names():
                if name in owners:
                    raise ModelConfigError(f"model name {name!r} given by both {owners[name]} and {path}")
                owners[name] = str(path)
            found[a.arch] = a
    return found


def model_names() -> dict[str, tuple[Architecture, str | None]]:
    """Every model name → (architecture, scale)."""
    out = {}
    for a in architectures().values():
        for s in a.scales or (None,):
            out[a.model_name(s)] = (a, s)
    return out


def resolve(name: str) -> tuple[Architecture, str | None]:
    """Resolve a model name (``deeplabv3p-s``) or family name (first scale) to (architecture, scale).

    Raises:
        UnknownModelError: Listing the closest model names.
    """
    names = model_names()
    if name in names:
        return names[name]
    if name in architectures():
        a = architectures()[name]
        return a, (a.scales[0] if a.scales else None)
    close = difflib.get_close_matches(name, sorted(names), n=5, cutoff=0.5)
    hint = f" Closest: {', '.join(close)}." if close else ""
    raise UnknownModelError(
        f"no model named {name!r} in zoo's catalog.{hint} See zoo.list_models() or `zoo list` for all names."
    )


def get_architecture(model_name: str) -> Architecture:
    """The architecture providing ``model_name`` (a model or family name)."""
    return resolve(model_name)[0]


def normalize_task(task: str | None, *, arch_task: str | None = None, source: str = "") -> str:
    """Map a task as users write it onto a row of the task table, against the architecture's task.

    The rule (``segment`` is semantic only for a semantic architecture) is :mod:`zoo.tasks`'s; this returns
    the row's name.

    Args:
        task (str | None): ``semantic``, ``segment``, ``detect``, ``pose``, an alias...; None takes ``arch_task``.
        arch_task (str | None): The architecture's own task.
        source (str): What is being checked, for the error message.

    Raises:
        ValueError: For unknown tasks, or a task the architecture does not do (both named).
    """
    arch = _tasks.resolve(arch_task, source=source).name if arch_task is not None else None
    return _tasks.resolve(task, arch=arch, source=source).name
