"""Safe loading and validation of model YAML files.

A model YAML is data: this module parses it with a safe loader, checks its shape row by row and
reports any problem with the file, the row and what to change. Nothing in a YAML is executed:
``!!python/*`` tags are refused, activations are parsed (``nn.SiLU()``, ``nn.LeakyReLU(0.1)``)
rather than evaluated, and string arguments are YAML symbols, Python literals or plain words.

The work a file may ask for is bounded (:data:`LIMITS`): its size, its node count with YAML aliases
expanded, its nesting, layers, repeats, channels, classes and an estimated parameter count are checked
before anything is built. Duplicate keys are refused rather than letting the last one win.

Torch-free: listing architectures reads their YAMLs through this module.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import dataclasses
import errno
import importlib.util
import math
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from zoo.registry import MODULES, InvalidNameError, clip_text, short_repr, validate_name

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

try:  # libyaml is 10x faster; both loaders are safe
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


class ModelConfigError(ValueError):
    """A model YAML that zoo refuses, with the file, the row and the problem."""


class LimitExceededError(ModelConfigError):
    """A model YAML that asks for more work than :func:`limits` allows; the message says how to raise it."""


@dataclass(frozen=True)
class Limits:
    """Bounds on the work one model YAML may ask for. Real models stay far below each one.

    Every field can be raised (or lowered) for one process with the environment variable
    ``ZOO_MAX_<FIELD>`` (``ZOO_MAX_PARAMS=3e9``), or in code for a block with
    ``with zoo.config.using_limits(params=3_000_000_000): ...``, which wins over the environment.

    Attributes:
        yaml_bytes (int): Size of a model YAML file (stock YAMLs are under 10 KB).
        yaml_nodes (int): YAML nodes counted with aliases expanded (a stock YAML has about 1,000); stops
            "billion laughs" files that expand a few anchors into 10^9 items.
        yaml_depth (int): Nesting of lists and mappings (a model YAML needs about 6).
        layers (int): Rows in ``backbone`` plus ``head`` (stock YAMLs have at most about 60).
        repeats (int): A row's repeat count, before and after depth scaling (stock YAMLs: at most 9).
        channels (int): Output channels of one layer (real models: a few thousand).
        nc (int): Number of classes (ImageNet-21k has 21,841).
        params (int): Parameters of the whole model, counted per layer by building it on the ``meta`` device
            (no memory) before the real build. Layers whose constructor cannot run on ``meta`` are not counted.
        activations (int): Elements of one layer's output in the 256x256 stride probe, measured on a ``meta``
            copy of the model before the real probe runs (1 GiB of float32 by default).
    """

    yaml_bytes: int = 1 << 20
    yaml_nodes: int = 100_000
    yaml_depth: int = 50
    layers: int = 1_000
    repeats: int = 1_000
    channels: int = 1 << 16
    nc: int = 1 << 16
    params: int = 1_000_000_000
    activations: int = 1 << 28


LIMITS = Limits()
_OVERRIDES: contextvars.ContextVar[dict] = contextvars.ContextVar("zoo_limits", default={})


def limits() -> Limits:
    """The limits in force: :data:`LIMITS`, then ``ZOO_MAX_<FIELD>`` variables, then :func:`using_limits`.

    Raises:
        ValueError: For a ``ZOO_MAX_*`` variable that is not a positive number.
    """
    changes = {}
    for f in dataclasses.fields(Limits):
        var = f"ZOO_MAX_{f.name.upper()}"
        if (raw := os.environ.get(var)) is not None:
            try:
                value = int(float(raw))
            except (ValueError, OverflowError):
                value = 0
            if value < 1:
                raise ValueError(f"environment variable {var}={short_repr(raw)} must be a positive number, e.g. {var}=1e9")
            changes[f.name] = value
    changes.update(_OVERRIDES.get())
    return dataclasses.replace(LIMITS, **changes) if changes else LIMITS


@contextlib.contextmanager
def using_limits(**changes: int) -> Iterator[Limits]:
    """Raise (or lower) limits for the code in the ``with`` block (this thread or task only).

    Args:
        **changes (int): Fields of :class:`Limits`, e.g. ``params=3_000_000_000``.

    Yields:
        (Limits): The limits in force inside the block.
    """
    names = {f.name for f in dataclasses.fields(Limits)}
    if unknown := sorted(set(changes) - names):
        raise TypeError(f"using_limits: unknown limit(s) {unknown}; the limits are {sorted(names)}")
    token = _OVERRIDES.set({**_OVERRIDES.get(), **{k: int(v) for k, v in changes.items()}})
    try:
        yield limits()
    finally:
        _OVERRIDES.reset(token)


def limit_error(source: str, what: str, value: Any, field: str, lim: Limits | None = None) -> LimitExceededError:
    """A :class:`LimitExceededError` naming the file, what exceeded which limit, and how to raise it."""
    bound = getattr(lim or limits(), field)
    return LimitExceededError(
        f"{source}: {what} {short_repr(value, 60)} exceeds the limit {bound:,} ({field}); a real model stays far "
        f"below it. If this model is real, raise it: ZOO_MAX_{field.upper()}=<n> in the environment or "
        f"zoo.config.using_limits({field}=<n>)."
    )


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping safely, within :func:`limits`.

    Args:
        path (str | Path): The file.

    Returns:
        (dict): The parsed mapping.

    Raises:
        ModelConfigError: For a missing or unreadable file (a directory, a path too long, no permission),
            non-UTF-8 bytes, YAML syntax, ``!!python`` tags, duplicate keys, recursive aliases or a
            document that is not a mapping.
        LimitExceededError: For a file, an alias expansion or a nesting beyond :func:`limits`.
    """
    path = Path(path)
    source = _path_text(path)
    lim = limits()
    raw = _read_bounded(path, source, lim)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelConfigError(
            f"{source}: not UTF-8 text (invalid byte 0x{raw[e.start]:02x} at offset {e.start}); save the file as UTF-8"
        ) from None
    data = parse_yaml_text(text, source, lim)
    if not isinstance(data, dict):
        raise ModelConfigError(f"{source}: expected a mapping with 'backbone' and 'head', got {type(data).__name__}")
    return data


def _path_text(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 300 else f"{text[:150]}...{text[-140:]} ({len(text)} characters)"


def _read_bounded(path: Path, source: str, lim: Limits) -> bytes:
    """The file's bytes, refusing what is not a regular file or is larger than ``lim.yaml_bytes``."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ModelConfigError(f"{source}: is a directory, not a model YAML file")
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            raise ModelConfigError(f"{source}: not a regular file; a model YAML is a file on disk")
        if info.st_size > lim.yaml_bytes:
            raise limit_error(source, "file size (bytes)", info.st_size, "yaml_bytes", lim)
        with open(path, "rb") as f:
            raw = f.read(lim.yaml_bytes + 1)
    except FileNotFoundError:
        raise ModelConfigError(f"{source}: no such model YAML file") from None
    except OSError as e:
        if e.errno == errno.ENAMETOOLONG:
            raise ModelConfigError(f"{source}: path too long for this system ({os.strerror(e.errno)})") from None
        raise ModelConfigError(f"{source}: cannot read the model YAML ({type(e).__name__}: {e.strerror or e})") from None
    if len(raw) > lim.yaml_bytes:  # grew while we read it
        raise limit_error(source, "file size (bytes)", len(raw), "yaml_bytes", lim)
    return raw


def parse_yaml_text(text: str, source: str = "<yaml>", lim: Limits | None = None) -> Any:
    """Parse YAML text with a safe loader, after checking its size with aliases expanded.

    Args:
        text (str): The document.
        source (str): Its name, for messages.
        lim (Limits | None): Limits to apply (default :func:`limits`).

    Returns:
        The parsed document.

    Raises:
        ModelConfigError: For syntax, refused tags, duplicate keys or recursive aliases.
        LimitExceededError: For more nodes (aliases expanded) or deeper nesting than allowed.
    """
    lim = lim or limits()
    if len(text) > lim.yaml_bytes:
        raise limit_error(source, "text size (characters)", len(text), "yaml_bytes", lim)
    try:
        _check_events(text, source, lim)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_duplicate_keys(loader, node, source)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as e:
        mark = f" at line {e.problem_mark.line + 1}" if e.problem_mark else ""
        if "could not determine a constructor" in str(e.problem):
            raise ModelConfigError(
                f"{source}{mark}: tag refused ({short_repr(e.problem, 200)}); model YAMLs hold data only, no Python objects"
            ) from None
        raise ModelConfigError(f"{source}{mark}: {short_repr(e.problem, 200)}") from None
    except yaml.YAMLError as e:
        raise ModelConfigError(f"{source}: invalid YAML: {clip_text(str(e), 500)}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as e:
        if isinstance(e, ModelConfigError):
            raise
        # e.g. an int of 5,000 digits, a date like 2001-13-45: values Python refuses to construct
        raise ModelConfigError(f"{source}: a value cannot be read ({type(e).__name__}: {clip_text(str(e), 200)})") from None


def _check_events(text: str, source: str, lim: Limits) -> None:
    """Count nodes with aliases expanded and nesting depth from the event stream, before composing.

    Iterative and memory-flat: an anchored node's expanded size is remembered, each alias adds it, and the
    count stops at the budget. Composing first is unsafe: libyaml recurses in C and crashes on deep nesting.
    """
    loader = _Loader(text)
    try:
        nodes, sizes, open_nodes = 0, {}, []  # open_nodes: (anchor, node count at start)
        while not _next_event_ready(loader, source, lim):
            event = loader.get_event()
            if isinstance(event, yaml.ScalarEvent):
                nodes += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                nodes += 1
                open_nodes.append((event.anchor, nodes))
                if len(open_nodes) > lim.yaml_depth:
                    raise limit_error(
                        f"{source} at line {event.start_mark.line + 1}", "nesting depth", len(open_nodes), "yaml_depth", lim
                    )
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                anchor, start = open_nodes.pop()
                if anchor:
                    sizes[anchor] = nodes - start + 1
            elif isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for anchor, _ in open_nodes):
                    raise ModelConfigError(
                        f"{source} at line {event.start_mark.line + 1}: alias *{short_repr(event.anchor, 60)} refers to "
                        "a node that contains it (a recursive structure); model YAMLs are trees"
                    )
                nodes += sizes.get(event.anchor, 1)
            if nodes > lim.yaml_nodes:
                raise limit_error(
                    f"{source} at line {event.start_mark.line + 1}", "node count with aliases expanded (at least)",
                    nodes, "yaml_nodes", lim,
                )
    finally:
        loader.dispose()


def _next_event_ready(loader: Any, source: str, lim: Limits) -> bool:
    """``check_event(StreamEnd)``, with libyaml's own nesting refusal reported as the depth limit.

    Recent libyaml scanners stop at 1,000 flow levels while reading ahead, before the event that would
    cross zoo's lower limit reaches the counter; either way the file nests deeper than the limit.
    """
    try:
        return loader.check_event(yaml.StreamEndEvent)
    except yaml.YAMLError as e:
        if "nesting depth" not in str(getattr(e, "problem", "")):
            raise
        line = e.problem_mark.line + 1 if getattr(e, "problem_mark", None) else "?"
        raise limit_error(f"{source} at line {line}", "nesting depth (at least)", lim.yaml_depth + 1, "yaml_depth",
                          lim) from None


def _check_duplicate_keys(loader: Any, root: yaml.Node, source: str) -> None:
    """Refuse a mapping that names a key twice (YAML loaders keep the last silently)."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key, value in node.value:
                stack.append(value)
                if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                    stack.append(key)
                    continue
                try:
                    ident = loader.construct_object(key)  # 1, 0x1 and true are one Python key
                    line = first.setdefault(ident, key.start_mark.line + 1)
                except TypeError:  # unhashable: the constructor refuses it with its own message
                    continue
                if line != key.start_mark.line + 1:
                    raise ModelConfigError(
                        f"{source} at line {key.start_mark.line + 1}: duplicate key {short_repr(key.value, 60)} "
                        f"(first at line {line}); remove one, YAML would silently keep the last"
                    )
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


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
            f"{_path_text(file)}: no such model YAML file (nor an Ultralytics stock YAML of that name)"
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
