"""Loading, resolving and validating model YAML files.

A model YAML is data: this module finds it (on disk, or shipped with Ultralytics under a scaled name),
reads it through :mod:`zoo.yaml_reader`, checks its shape row by row and reports any problem with the
file, the row and what to change. Nothing in a YAML is executed: activations are parsed
(``nn.SiLU()``, ``nn.LeakyReLU(0.1)``) rather than evaluated, and string arguments are YAML symbols,
Python literals or plain words. Layers, repeats and classes are checked against :func:`limits`
(:mod:`zoo.limits`) before anything is built.

The limits, the YAML reader and the errors live in their own modules; their public names are
importable from here too (``zoo.config.using_limits``, ``zoo.config.load_yaml``, ...).

Torch-free: listing architectures reads their YAMLs through this module.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import re
from pathlib import Path
from typing import Any

from zoo.errors import InvalidNameError, LimitExceededError, ModelConfigError, short_repr
from zoo.limits import LIMITS, Limits, limit_error, limits, using_limits
from zoo.names import validate_name
from zoo.registry import MODULES
from zoo.yaml_reader import load_yaml, parse_yaml_text, path_text

__all__ = [
    "ModelConfigError",
    "LimitExceededError",
    "Limits",
    "LIMITS",
    "limits",
    "using_limits",
    "load_yaml",
    "load_model_yaml",
    "resolve_yaml_path",
    "validate_model_dict",
    "parse_activation",
    "resolve_arg",
    "SYMBOLS",
    "find_stock_yaml",
    "parse_yaml_text",
    "declared_modules",
    "limit_error",
]

# YAML symbols an argument may name; their values come from the model dictionary.
SYMBOLS = ("nc", "kpt_shape", "reg_max", "end2end")

_ACTIVATION = re.compile(r"^\s*(?:torch\.)?nn\.([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$", re.S)
_PLAIN_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_MAX_LITERAL = 1000  # characters of a string argument read as a Python literal
_SCALE_SUFFIX = re.compile(r"^(yolo(?:e-)?v?\d+)([nslmxtcebw])(.*)$")  # yolo26n-sem → yolo26 + n + -sem


def load_model_yaml(path: str | Path, scale: str | None = None) -> dict:
    """Load and validate a model YAML; the scale comes from ``scale`` or the stock file name.

    ``yolo26n-sem.yaml`` resolves to Ultralytics' shipped ``yolo26-sem.yaml`` at scale ``n``.

    Args:
        path (str | Path): A model YAML path, or the name of a YAML shipped with Ultralytics.
        scale (str | None): Scale to select (overrides the one in the file name).

    Returns:
        (dict): The validated model dictionary with ``yaml_file`` and ``scale`` set.
    """
    file, guessed = resolve_yaml_path(path)
    d = load_yaml(file)
    d["yaml_file"] = str(path)
    if scale or guessed:
        d["scale"] = scale or guessed
    validate_model_dict(d, source=str(path))
    return d


def resolve_yaml_path(path: str | Path) -> tuple[Path, str | None]:
    """A model YAML on disk, else the Ultralytics stock YAML of that name, with the scale its name gives.

    Raises:
        ModelConfigError: If neither exists.
    """
    file = Path(path)
    try:
        if file.exists():
            return file, None
    except OSError:  # e.g. a name too long: load_yaml names the problem
        return file, None
    stock, scale = find_stock_yaml(file.name) if len(file.name) <= 255 else (None, None)
    if stock is None:
        raise ModelConfigError(
            f"{path_text(file)}: no such model YAML file (nor an Ultralytics stock YAML of that name)"
        )
    return stock, scale


def find_stock_yaml(name: str) -> tuple[Path | None, str | None]:
    """Find a YAML shipped with Ultralytics by file name, allowing a scale letter in the name.

    Args:
        name (str): e.g. ``yolo11n.yaml`` or ``yolo26-sem.yaml``.

    Returns:
        (tuple[Path | None, str | None]): The file (or None) and the scale letter found in the name.
    """
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        return None, None
    root = Path(next(iter(spec.submodule_search_locations))) / "cfg" / "models"
    stem, suffix = Path(name).stem, Path(name).suffix or ".yaml"
    candidates = [(stem, None)]
    if m := _SCALE_SUFFIX.match(stem):
        candidates.append((m.group(1) + m.group(3), m.group(2)))
    for candidate, scale in candidates:
        hits = sorted(root.rglob(candidate + suffix))
        if hits:
            return hits[0], scale
    return None, None


def _row_error(source: str, index: int, row: Any, problem: str) -> ModelConfigError:
    return ModelConfigError(f"{source}: layer {index} {short_repr(row)}: {problem}")


def validate_model_dict(d: dict, source: str = "<model dict>") -> None:
    """Check a model dictionary's shape and bounds before anything is built.

    Checks sections, model options (``nc``, ``scales``, ``symbols``, ``activation``, ``init``, ``task``,
    ``modules``), row shapes, ``from`` indices, repeat counts, module names, arguments, and the counts in
    :func:`limits`. Module names are checked for syntax here and resolved by the parser.

    Raises:
        ModelConfigError: Naming ``source``, the key or layer index and the problem.
        LimitExceededError: For more layers, repeats or classes than :func:`limits` allows.
    """
    lim = limits()
    for key in ("backbone", "head"):
        if key not in d:
            raise ModelConfigError(f"{source}: missing '{key}' section (a list of [from, repeats, module, args] rows)")
        if not isinstance(d[key], list):
            raise ModelConfigError(f"{source}: '{key}' must be a list of rows, got {type(d[key]).__name__}")
    _validate_options(d, source, lim)
    rows = d["backbone"] + d["head"]
    if len(rows) > lim.layers:
        raise limit_error(source, "number of layers", len(rows), "layers", lim)
    for i, row in enumerate(rows):
        _validate_row(i, row, source, lim)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _validate_options(d: dict, source: str, lim: Limits) -> None:
    """Model-level keys: classes, scales, symbols, activation, init policy, task and block modules."""
    nc = d.get("nc")
    if nc is not None:
        if not _is_int(nc) or nc < 1:
            raise ModelConfigError(f"{source}: nc must be a positive int (the number of classes), got {short_repr(nc, 60)}")
        if nc > lim.nc:
            raise limit_error(source, "nc", nc, "nc", lim)
    if "activation" in d and d["activation"] is not None:
        try:
            parse_activation(d["activation"])
        except ValueError as e:
            raise ModelConfigError(f"{source}: {e}") from None
    for key in ("depth_multiple", "width_multiple"):
        if key in d and not (_is_number(d[key]) and d[key] > 0):
            raise ModelConfigError(f"{source}: {key} must be a positive number, got {short_repr(d[key], 60)}")
    scales = d.get("scales")
    if scales is not None:
        if not isinstance(scales, dict) or not scales or not all(
            isinstance(k, str) and isinstance(v, (list, tuple)) and len(v) == 3 and all(_is_number(x) and x > 0 for x in v)
            for k, v in scales.items()
        ):
            raise ModelConfigError(
                f"{source}: 'scales' must map letters to [depth, width, max_channels] (positive numbers), "
                f"got {short_repr(scales)}"
            )
        scale = d.get("scale")
        if scale is not None and (not isinstance(scale, str) or scale not in scales):
            raise ModelConfigError(f"{source}: scale {short_repr(scale, 60)} not in scales {sorted(scales)}")
    symbols = d.get("symbols")
    if symbols is not None:
        if not isinstance(symbols, dict) or not all(isinstance(k, str) and k.isidentifier() for k in symbols):
            raise ModelConfigError(f"{source}: 'symbols' must map identifiers to values or to {{scale: value}}")
        for k, v in symbols.items():
            if isinstance(v, dict) and (not scales or set(v) != set(scales)):
                have = sorted(scales) if scales else "no scales"
                raise ModelConfigError(
                    f"{source}: symbol {k!r} gives per-scale values for {short_repr(list(v), 80)}, the model has {have}"
                )
    if "init" in d and d["init"] not in ("ultralytics", "torch"):
        raise ModelConfigError(f"{source}: init must be 'ultralytics' or 'torch', got {short_repr(d['init'], 60)}")
    if "task" in d and d["task"] is not None:
        from zoo.catalog import TASK_ALIASES, TASKS  # catalog imports this module

        task = d["task"]
        if not isinstance(task, str) or TASK_ALIASES.get(task.lower(), task.lower()) not in TASKS:
            raise ModelConfigError(
                f"{source}: task {short_repr(task, 60)} is not one of zoo's tasks ({', '.join(TASKS)}; aliases in zoo.tasks)"
            )
    for module in _declared_modules(d, source):
        if MODULES.module_allowed(module) is None:
            raise ModelConfigError(f"{source}: 'modules: {module}' refused: {MODULES.not_allowed_message(module, '')}")


def _declared_modules(d: dict, source: str) -> list[str]:
    """The YAML's ``modules:`` key (the module(s) registering its blocks) as a list of module paths."""
    declared = d.get("modules")
    if declared is None:
        return []
    names = [declared] if isinstance(declared, str) else declared
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ModelConfigError(f"{source}: 'modules' must be a module path or a list of them, got {short_repr(declared)}")
    for name in names:
        try:
            validate_name(name, dotted=True)
        except InvalidNameError as e:
            raise ModelConfigError(f"{source}: 'modules': {e}") from None
    return names


def declared_modules(d: dict, source: str = "<model dict>") -> list[str]:
    """Module paths a model dictionary's ``modules:`` key names (validated syntax; nothing imported)."""
    return _declared_modules(d, source)


def _validate_row(i: int, row: Any, source: str, lim: Limits) -> None:
    if not isinstance(row, (list, tuple)) or len(row) != 4:
        raise _row_error(source, i, row, "expected [from, repeats, module, args]")
    f, n, name, args = row
    sources = [f] if _is_int(f) else f
    if not isinstance(sources, list) or not sources or not all(_is_int(x) for x in sources):
        raise _row_error(source, i, row, "'from' must be an int or a list of ints")
    for x in sources:
        if (x != -1) if i == 0 else not (-i <= x < i):
            allowed = "-1 (the input)" if i == 0 else f"0..{i - 1} or -1..-{i}"
            raise _row_error(source, i, row, f"'from' index {short_repr(x, 40)} is out of range; layer {i} can read {allowed}")
    if not _is_int(n) or n < 1:
        raise _row_error(source, i, row, f"repeats must be a positive int, got {short_repr(n, 60)}")
    if n > lim.repeats:
        raise limit_error(f"{source}: layer {i}", "repeats", n, "repeats", lim)
    try:
        validate_name(name, dotted=True)
    except InvalidNameError as e:
        raise _row_error(source, i, row, str(e)) from None
    if not isinstance(args, list):
        raise _row_error(source, i, row, f"args must be a list, got {type(args).__name__}")
    for a in args:
        try:
            resolve_arg(a, {})
        except ValueError as e:
            raise _row_error(source, i, row, str(e)) from None


def resolve_arg(value: Any, symbols: dict) -> Any:
    """Resolve one YAML argument: a symbol (``nc``), a Python literal string, or a plain word.

    Args:
        value (Any): The argument as YAML parsed it.
        symbols (dict): Symbol values; names in :data:`SYMBOLS` missing here are left as strings.

    Returns:
        The resolved value.

    Raises:
        ValueError: For strings that are neither, such as code (``__import__('os')``).
    """
    if not isinstance(value, str):
        return value
    if value in symbols:
        return symbols[value]
    if value in SYMBOLS or _PLAIN_WORD.match(value):
        try:
            return ast.literal_eval(value)  # True/None written as strings
        except (ValueError, SyntaxError):
            return value
    problem = f"argument {short_repr(value, 100)} is neither a YAML symbol ({', '.join(SYMBOLS)}), a Python literal nor a plain word"
    if len(value) > _MAX_LITERAL:
        raise ValueError(f"{problem} of at most {_MAX_LITERAL} characters; model YAMLs cannot run code")
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):  # deep nesting exhausts the parser
        raise ValueError(f"{problem}; model YAMLs cannot run code") from None


def parse_activation(spec: str) -> tuple[str, list]:
    """Parse an activation spec such as ``nn.SiLU()`` or ``nn.LeakyReLU(0.1)`` without evaluating it.

    Returns:
        (tuple[str, list]): The ``torch.nn`` class name and its literal arguments.

    Raises:
        ValueError: If the spec is not ``nn.Name(literal, ...)``.
    """
    if not isinstance(spec, str) or len(spec) > _MAX_LITERAL or not (m := _ACTIVATION.match(spec)):
        raise ValueError(
            f"activation {short_repr(spec, 100)} must look like 'nn.SiLU()' or 'nn.LeakyReLU(0.1)': a torch.nn class with literal "
            "arguments; it is parsed, never evaluated"
        )
    name, inner = m.groups()
    try:
        args = ast.literal_eval(f"[{inner}]") if inner.strip() else []
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        raise ValueError(f"activation {short_repr(spec, 100)}: arguments must be Python literals") from None
    return name, args
