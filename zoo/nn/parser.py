"""zoo's model builder: a model dictionary → ``(nn.Sequential, save)``, a drop-in for Ultralytics' ``parse_model``.

Each YAML row ``[from, repeats, module, args]`` is resolved through :data:`zoo.registry.MODULES`; the
module's own channel rule (:mod:`zoo.rules`) says what to construct and how many channels come out.
The parser itself knows no module by name.

Process-wide state that construction reads (``Conv.default_act`` for the YAML's activation, class
attributes such as ``Detect.legacy``) is set only for the duration of the build and restored after,
even when the build fails.

Work is bounded before it is done (:func:`zoo.config.limits`): every module name is resolved before the
first layer is built (a name zoo may not import fails first), each row's repeats and output channels are
checked, and each layer is first built on the ``meta`` device (no memory, no initialisation) to count its
parameters against the model's budget before the real build allocates them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import torch
from ultralytics.nn.modules import Conv
from ultralytics.utils import LOGGER

from zoo.config import (
    Limits,
    ModelConfigError,
    declared_modules,
    limit_error,
    limits,
    parse_activation,
    resolve_arg,
    validate_model_dict,
)
from zoo.registry import MODULES, Entry, RegistryError, short_repr
from zoo.rules import LayerInputs, LayerPlan

__all__ = ["parse_model"]

_BUILD_LOCK = threading.RLock()  # builds temporarily set class attributes; one at a time
_MISSING = object()


@contextlib.contextmanager
def _class_attrs(cls: type, attrs: dict) -> Iterator[None]:
    """Set class attributes for the duration of a construction, then restore them exactly."""
    saved = {k: cls.__dict__.get(k, _MISSING) for k in attrs}
    try:
        for k, v in attrs.items():
            setattr(cls, k, v)
        yield
    finally:
        for k, v in saved.items():
            if v is _MISSING:
                delattr(cls, k)
            else:
                setattr(cls, k, v)


def _activation(spec: str | None) -> torch.nn.Module | None:
    """The YAML's activation: a ``torch.nn`` activation class (``nn.SiLU()``), never any other module."""
    if not spec:
        return None
    name, args = parse_activation(spec)
    cls = getattr(torch.nn, name, None)
    is_activation = isinstance(cls, type) and issubclass(cls, torch.nn.Module) and (
        cls.__module__ == "torch.nn.modules.activation" or cls is torch.nn.Identity
    )
    if not is_activation or cls is torch.nn.MultiheadAttention:
        raise ValueError(f"activation {short_repr(spec, 100)}: {name!r} is not a torch.nn activation (SiLU, ReLU, ...)")
    try:
        return cls(*args)
    except Exception as e:  # noqa: BLE001 - wrong argument types or counts
        raise ValueError(f"activation {short_repr(spec, 100)}: {type(e).__name__}: {short_repr(str(e), 200)}") from None


def _select_scale(d: dict) -> tuple[str | None, float, float, float]:
    """Return (scale, depth, width, max_channels) for the model dictionary."""
    scales, scale = d.get("scales"), d.get("scale")
    if scales:
        if not scale:
            scale = next(iter(scales))
            LOGGER.warning(f"no model scale passed. Assuming scale='{scale}'.")
        depth, width, max_channels = scales[scale]
        return scale, depth, width, max_channels
    return scale, d.get("depth_multiple", 1.0), d.get("width_multiple", 1.0), float("inf")


def parse_model(d: dict, ch: int, verbose: bool = True) -> tuple[torch.nn.Sequential, list[int]]:
    """Build the layers of a model dictionary.

    Args:
        d (dict): Model dictionary (``backbone``, ``head``, optional ``nc``, ``scales``, ``scale``,
            ``activation``, ``reg_max``, ``end2end``, ``kpt_shape``...).
        ch (int): Input channels.
        verbose (bool): Log a table of the layers.

    Returns:
        (tuple[nn.Sequential, list[int]]): The layers, each with ``.i``, ``.f``, ``.type`` and ``.np``,
            and the sorted indices of layers whose outputs later layers read.

    Raises:
        ModelConfigError: Naming the YAML file, the layer and the problem.
    """
    source = str(d.get("yaml_file", "<model dict>"))
    lim = limits()
    validate_model_dict(d, source)
    scale, depth, width, max_channels = _select_scale(d)
    try:
        activation = _activation(d.get("activation"))
    except ValueError as e:
        raise ModelConfigError(f"{source}: {e}") from None
    rows = d["backbone"] + d["head"]
    _import_declared_modules(d, source)
    entries = [_resolve(row[2], source, i, row) for i, row in enumerate(rows)]  # refuse before building anything
    symbols = {k: d[k] for k in ("nc", "kpt_shape", "end2end") if k in d}
    symbols["reg_max"] = d.get("reg_max", 16)
    for name, value in (d.get("symbols") or {}).items():  # per-scale values, e.g. an encoder name per scale
        symbols[name] = value[scale] if isinstance(value, dict) else value
    options = {"reg_max": symbols["reg_max"], "end2end": d.get("end2end")}
    state = {"legacy": True}  # Ultralytics' heads build legacy branches unless a modern block is present

    if verbose:
        LOGGER.info(f"\n{'':>3}{'from':>20}{'n':>3}{'params':>10}  {'module':<45}{'arguments':<30}")
    with _BUILD_LOCK, _class_attrs(Conv, {"default_act": activation} if activation is not None else {}):
        layers, save, channels, budget = [], [], [ch], _Budget(source, lim)
        for i, (row, entry) in enumerate(zip(rows, entries)):
            f, n, _, args = row
            where = f"{source}: layer {i} {short_repr(row)}"
            sources = [f] if isinstance(f, int) else list(f)
            repeats = max(round(n * depth), 1) if n > 1 else n
            if repeats > lim.repeats:
                raise limit_error(f"{source}: layer {i}", f"repeats after depth scaling ({n} x {depth})", repeats,
                                  "repeats", lim)
            inputs = LayerInputs(
                channels=[channels[x] for x in sources],
                args=[resolve_arg(a, symbols) for a in args],
                repeats=repeats,
                width_gain=width,
                max_channels=max_channels,
                nc=d.get("nc"),
                scale=scale,
                options=options,
                state=state,
            )
            try:
                plan = entry.rule(inputs)
                _check_plan(plan, where, lim)
                with _class_attrs(entry.obj, plan.class_attrs):
                    budget.count(entry, plan, i)
                    blocks = [entry.obj(*plan.args) for _ in range(plan.repeats)]
            except ModelConfigError:
                raise
            except Exception as e:
                raise ModelConfigError(
                    f"{where}: building {entry.name} ({entry.source}) failed: {type(e).__name__}: {short_repr(str(e), 300)}"
                ) from e
            if plan.post is not None:
                for block in blocks:
                    plan.post(block)
            module = torch.nn.Sequential(*blocks) if plan.repeats > 1 else blocks[0]
            module.i, module.f, module.type = i, f, _type_name(entry.obj)
            module.np = sum(p.numel() for p in module.parameters())
            if verbose:
                LOGGER.info(f"{i:>3}{f!s:>20}{repeats:>3}{module.np:10.0f}  {module.type:<45}{plan.args!s:<30}")
            save.extend(x % i for x in sources if x != -1)
            layers.append(module)
            if i == 0:
                channels = []
            c_out = plan.c_out if plan.c_out is not None else _out_channels(blocks[-1], source, i, row)
            _check_channels(c_out, where, lim)
            channels.append(c_out)
    return torch.nn.Sequential(*layers), sorted(save)


def _import_declared_modules(d: dict, source: str) -> None:
    """Import the YAML's ``modules:`` if the registry allows it (zoo's own, entry points, allowed or imported)."""
    for module in declared_modules(d, source):
        try:
            MODULES.import_trusted(module, source=f"{source}: 'modules'")
        except RegistryError as e:
            raise ModelConfigError(str(e)) from e


def _resolve(name: str, source: str, i: int, row: list) -> Entry:
    try:
        return MODULES.get(name)
    except RegistryError as e:
        raise ModelConfigError(f"{source}: layer {i} {short_repr(row)}: {e}") from e


def _check_plan(plan: LayerPlan, where: str, lim: Limits) -> None:
    if not isinstance(plan.repeats, int) or not 1 <= plan.repeats <= lim.repeats:
        raise limit_error(where, "repeats", plan.repeats, "repeats", lim)
    if plan.c_out is not None:
        _check_channels(plan.c_out, where, lim)


def _check_channels(c_out: Any, where: str, lim: Limits) -> None:
    """Output channels are positive ints (or lists of them, for multi-output layers) within the limit."""
    stack, seen = [c_out], 0
    while stack:
        c = stack.pop()
        if isinstance(c, (list, tuple)) and seen < 1000:
            stack.extend(c)
            seen += 1
        elif not isinstance(c, int) or isinstance(c, bool) or c < 1:
            raise ModelConfigError(f"{where}: output channels must be positive ints, got {short_repr(c_out, 100)}")
        elif c > lim.channels:
            raise limit_error(where, "output channels", c, "channels", lim)


class _Budget:
    """The model's parameter count so far, each layer counted on the ``meta`` device before it is built."""

    def __init__(self, source: str, lim: Limits):
        self.source, self.lim, self.total = source, lim, 0

    def count(self, entry: Entry, plan: LayerPlan, i: int) -> None:
        """Add one layer's parameters; raise :class:`LimitExceededError` before the real build if over budget.

        A constructor that cannot run on ``meta`` (one calling ``.item()`` on a tensor it makes, say) is left
        uncounted: its real build still runs, and what it allocated counts towards later layers' check.
        """
        try:
            with torch.device("meta"):
                probe = entry.obj(*plan.args)
            n = sum(p.numel() for p in probe.parameters()) * plan.repeats
        except Exception:  # noqa: BLE001 - the real build below reports real errors
            return
        if self.total + n > self.lim.params:
            raise limit_error(
                f"{self.source}: layer {i} ({entry.name})", f"parameters (model so far {self.total:,} + this layer)",
                self.total + n, "params", self.lim,
            )
        self.total += n


def _out_channels(module: torch.nn.Module, source: str, i: int, row: list) -> Any:
    """Output channels a module reports itself (rules returning ``c_out=None``)."""
    c_out = getattr(module, "out_channels", None)
    if c_out is None:
        raise ModelConfigError(f"{source}: layer {i} {short_repr(row)}: its rule leaves output channels to the module, "
                               f"but {type(module).__name__} has no 'out_channels' attribute")
    return c_out


def _type_name(cls: Any) -> str:
    return f"{cls.__module__}.{cls.__qualname__}".replace("__main__.", "")
