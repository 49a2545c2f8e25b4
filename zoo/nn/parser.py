"""zoo's model builder: a model dictionary → ``(nn.Sequential, save)``, a drop-in for Ultralytics' ``parse_model``.

Each YAML row ``[from, repeats, module, args]`` is resolved through :data:`zoo.registry.MODULES`; the
module's own channel rule (:mod:`zoo.rules`) says what to construct and how many channels come out.
The parser itself knows no module by name.

Process-wide state that construction reads (``Conv.default_act`` for the YAML's activation, class
attributes such as ``Detect.legacy``) is set only for the duration of the build and restored after,
even when the build fails.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import torch
from ultralytics.nn.modules import Conv
from ultralytics.utils import LOGGER

from zoo.config import ModelConfigError, parse_activation, resolve_arg, validate_model_dict
from zoo.registry import MODULES, RegistryError
from zoo.rules import LayerInputs

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
    if not spec:
        return None
    name, args = parse_activation(spec)
    cls = getattr(torch.nn, name, None)
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise ValueError(f"activation {spec!r}: torch.nn has no module {name!r}")
    return cls(*args)


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
    validate_model_dict(d, source)
    scale, depth, width, max_channels = _select_scale(d)
    try:
        activation = _activation(d.get("activation"))
    except ValueError as e:
        raise ModelConfigError(f"{source}: {e}") from None
    symbols = {k: d[k] for k in ("nc", "kpt_shape", "end2end") if k in d}
    symbols["reg_max"] = d.get("reg_max", 16)
    for name, value in (d.get("symbols") or {}).items():  # per-scale values, e.g. an encoder name per scale
        symbols[name] = value[scale] if isinstance(value, dict) else value
    options = {"reg_max": symbols["reg_max"], "end2end": d.get("end2end")}
    state = {"legacy": True}  # Ultralytics' heads build legacy branches unless a modern block is present

    if verbose:
        LOGGER.info(f"\n{'':>3}{'from':>20}{'n':>3}{'params':>10}  {'module':<45}{'arguments':<30}")
    with _BUILD_LOCK, _class_attrs(Conv, {"default_act": activation} if activation is not None else {}):
        layers, save, channels = [], [], [ch]
        for i, row in enumerate(d["backbone"] + d["head"]):
            f, n, name, args = row
            try:
                entry = MODULES.get(name)
            except RegistryError as e:
                raise ModelConfigError(f"{source}: layer {i} {row!r}: {e}") from None
            sources = [f] if isinstance(f, int) else list(f)
            repeats = max(round(n * depth), 1) if n > 1 else n
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
                with _class_attrs(entry.obj, plan.class_attrs):
                    blocks = [entry.obj(*plan.args) for _ in range(plan.repeats)]
            except Exception as e:
                raise ModelConfigError(
                    f"{source}: layer {i} {row!r}: building {entry.name} ({entry.source}) failed: "
                    f"{type(e).__name__}: {e}"
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
            channels.append(plan.c_out if plan.c_out is not None else _out_channels(blocks[-1], source, i, row))
    return torch.nn.Sequential(*layers), sorted(save)


def _out_channels(module: torch.nn.Module, source: str, i: int, row: list) -> Any:
    """Output channels a module reports itself (rules returning ``c_out=None``)."""
    c_out = getattr(module, "out_channels", None)
    if c_out is None:
        raise ModelConfigError(f"{source}: layer {i} {row!r}: its rule leaves output channels to the module, "
                               f"but {type(module).__name__} has no 'out_channels' attribute")
    return c_out


def _type_name(cls: Any) -> str:
    return f"{cls.__module__}.{cls.__qualname__}".replace("__main__.", "")
