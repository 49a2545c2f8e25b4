"""Safe loading and validation of model YAML files.

A model YAML is data: this module parses it with a safe loader, checks its shape row by row and
reports any problem with the file, the row and what to change. Nothing in a YAML is executed:
``!!python/*`` tags are refused, activations are parsed (``nn.SiLU()``, ``nn.LeakyReLU(0.1)``)
rather than evaluated, and string arguments are YAML symbols, Python literals or plain words.

Torch-free: listing architectures reads their YAMLs through this module.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from typing import Any

import yaml

from zoo.registry import InvalidNameError, validate_name

__all__ = [
    "ModelConfigError",
    "load_yaml",
    "load_model_yaml",
    "resolve_yaml_path",
    "validate_model_dict",
    "parse_activation",
    "resolve_arg",
    "SYMBOLS",
    "find_stock_yaml",
]

# YAML symbols an argument may name; their values come from the model dictionary.
SYMBOLS = ("nc", "kpt_shape", "reg_max", "end2end")

_ACTIVATION = re.compile(r"^\s*(?:torch\.)?nn\.([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$", re.S)
_PLAIN_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_SCALE_SUFFIX = re.compile(r"^(yolo(?:e-)?v?\d+)([nslmxtcebw])(.*)$")  # yolo26n-sem → yolo26 + n + -sem

try:  # libyaml is 10x faster; both loaders are safe
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


class ModelConfigError(ValueError):
    """A model YAML that zoo refuses, with the file, the row and the problem."""


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping safely.

    Args:
        path (str | Path): The file.

    Returns:
        (dict): The parsed mapping.

    Raises:
        ModelConfigError: For a missing file, non-UTF-8 bytes, YAML syntax, ``!!python`` tags or a
            document that is not a mapping.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ModelConfigError(f"{path}: no such model YAML file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelConfigError(
            f"{path}: not UTF-8 text (invalid byte 0x{raw[e.start]:02x} at offset {e.start}); save the file as UTF-8"
        ) from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.constructor.ConstructorError as e:
        mark = f" at line {e.problem_mark.line + 1}" if e.problem_mark else ""
        raise ModelConfigError(
            f"{path}{mark}: tag refused ({e.problem}); model YAMLs hold data only, no Python objects"
        ) from None
    except yaml.YAMLError as e:
        raise ModelConfigError(f"{path}: invalid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ModelConfigError(f"{path}: expected a mapping with 'backbone' and 'head', got {type(data).__name__}")
    return data


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
    if file.exists():
        return file, None
    stock, scale = find_stock_yaml(file.name)
    if stock is None:
        raise ModelConfigError(f"{path}: no such model YAML file (nor an Ultralytics stock YAML of that name)")
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
    return ModelConfigError(f"{source}: layer {index} {row!r}: {problem}")


def validate_model_dict(d: dict, source: str = "<model dict>") -> None:
    """Check a model dictionary's shape before anything is built.

    Checks sections, row shapes, ``from`` indices, repeat counts, module names, arguments and the
    activation. Module names are checked for syntax here and resolved by the parser.

    Raises:
        ModelConfigError: Naming ``source``, the layer index and the problem.
    """
    for key in ("backbone", "head"):
        if key not in d:
            raise ModelConfigError(f"{source}: missing '{key}' section (a list of [from, repeats, module, args] rows)")
        if not isinstance(d[key], list):
            raise ModelConfigError(f"{source}: '{key}' must be a list of rows, got {type(d[key]).__name__}")
    if "activation" in d and d["activation"] is not None:
        try:
            parse_activation(d["activation"])
        except ValueError as e:
            raise ModelConfigError(f"{source}: {e}") from None
    scales = d.get("scales")
    if scales is not None:
        if not isinstance(scales, dict) or not all(
            isinstance(v, (list, tuple)) and len(v) == 3 and all(isinstance(x, (int, float)) for x in v)
            for v in scales.values()
        ):
            raise ModelConfigError(f"{source}: 'scales' must map letters to [depth, width, max_channels]")
        if d.get("scale") and d["scale"] not in scales:
            raise ModelConfigError(f"{source}: scale {d['scale']!r} not in scales {sorted(scales)}")
    symbols = d.get("symbols")
    if symbols is not None:
        if not isinstance(symbols, dict) or not all(isinstance(k, str) and k.isidentifier() for k in symbols):
            raise ModelConfigError(f"{source}: 'symbols' must map identifiers to values or to {{scale: value}}")
        for k, v in symbols.items():
            if isinstance(v, dict) and scales and set(v) != set(scales):
                raise ModelConfigError(
                    f"{source}: symbol {k!r} gives values for scales {sorted(v)}, the model has {sorted(scales)}"
                )
    rows = d["backbone"] + d["head"]
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple)) or len(row) != 4:
            raise _row_error(source, i, row, "expected [from, repeats, module, args]")
        f, n, name, args = row
        sources = [f] if isinstance(f, int) and not isinstance(f, bool) else f
        if not isinstance(sources, list) or not sources or not all(
            isinstance(x, int) and not isinstance(x, bool) for x in sources
        ):
            raise _row_error(source, i, row, "'from' must be an int or a list of ints")
        for x in sources:
            if (x != -1) if i == 0 else not (-i <= x < i):
                allowed = "-1 (the input)" if i == 0 else f"0..{i - 1} or -1..-{i}"
                raise _row_error(source, i, row, f"'from' index {x} is out of range; layer {i} can read {allowed}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise _row_error(source, i, row, f"repeats must be a positive int, got {n!r}")
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
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise ValueError(
            f"argument {value!r} is neither a YAML symbol ({', '.join(SYMBOLS)}), a Python literal nor a plain word; "
            "model YAMLs cannot run code"
        ) from None


def parse_activation(spec: str) -> tuple[str, list]:
    """Parse an activation spec such as ``nn.SiLU()`` or ``nn.LeakyReLU(0.1)`` without evaluating it.

    Returns:
        (tuple[str, list]): The ``torch.nn`` class name and its literal arguments.

    Raises:
        ValueError: If the spec is not ``nn.Name(literal, ...)``.
    """
    if not isinstance(spec, str) or not (m := _ACTIVATION.match(spec)):
        raise ValueError(
            f"activation {spec!r} must look like 'nn.SiLU()' or 'nn.LeakyReLU(0.1)': a torch.nn class with literal "
            "arguments; it is parsed, never evaluated"
        )
    name, inner = m.groups()
    try:
        args = ast.literal_eval(f"[{inner}]") if inner.strip() else []
    except (ValueError, SyntaxError):
        raise ValueError(f"activation {spec!r}: arguments must be Python literals") from None
    return name, args
