"""The stride probe zoo's model classes run once while building, with errors that name the failing layer."""

from __future__ import annotations

import itertools
from copy import deepcopy
from typing import Any

import torch

from zoo.config import ModelConfigError, limit_error, limits
from zoo.registry import short_repr

__all__ = ["PROBE", "probe"]

PROBE = 256  # square input used once to measure strides
_PROBE = PROBE


def probe(model: torch.nn.Module, ch: int) -> Any:
    """Run the stride probe (a zero image of ``_PROBE`` pixels) with errors that name the layer.

    First a ``meta`` copy of the model (no memory, no compute) runs the probe to check each layer's output
    size against ``limits().activations``; then the real probe runs. A failure names the layer index, its
    module type, the input shape(s) it got and the input channels it was built for; the original exception
    is chained.

    Raises:
        LimitExceededError: For a layer whose probe output would exceed the activation limit.
        ModelConfigError: For a layer that cannot take its input (shapes that do not fit).
    """
    source = str(model.yaml.get("yaml_file", "model"))
    _check_activations(model, ch, source)
    current: dict = {}

    def before(layer, args):
        current.update(layer=layer, inputs=args[0] if args else None, done=False)

    def after(_layer, _args, _out):
        current["done"] = True

    handles = [h for layer in model.model for h in (layer.register_forward_pre_hook(before), layer.register_forward_hook(after))]
    try:
        with torch.no_grad():
            return model.forward(torch.zeros(1, ch, _PROBE, _PROBE))
    except Exception as e:
        raise _probe_error(source, current, e) from e
    finally:
        for h in handles:
            h.remove()


def _check_activations(model: torch.nn.Module, ch: int, source: str) -> None:
    """Measure each layer's probe output on a ``meta`` copy; refuse one above the activation limit.

    A model whose forward cannot run on ``meta`` (it mixes in a real tensor attribute, or reads values) is
    not measured here; the real probe still runs.
    """
    lim = limits()
    tensors = itertools.chain(model.parameters(), model.buffers())
    memo = {id(t): (torch.nn.Parameter(t.detach().to("meta"), t.requires_grad) if isinstance(t, torch.nn.Parameter)
                    else t.detach().to("meta")) for t in tensors}
    try:
        twin = deepcopy(model, memo)
    except Exception:  # noqa: BLE001 - an uncopyable attribute: the real probe still runs
        return

    def measure(layer, _args, out):
        for t in _tensors(out):
            if t.numel() > lim.activations:
                raise limit_error(
                    f"{source}: layer {layer.i} ({layer.type})", f"output of the {_PROBE}x{_PROBE} stride probe "
                    f"{list(t.shape)} (elements)", t.numel(), "activations", lim,
                )

    for layer in twin.model:
        layer.register_forward_hook(measure)
    try:
        with torch.no_grad():
            twin.forward(torch.zeros(1, ch, _PROBE, _PROBE, device="meta"))
    except ModelConfigError:
        raise
    except Exception:  # noqa: BLE001 - meta cannot run everything; the real probe reports real errors
        return


def _tensors(value: Any) -> list[torch.Tensor]:
    """The tensors in a layer's output (a tensor, or lists, tuples and dicts of them)."""
    found, stack = [], [value]
    while stack and len(found) < 1000:
        v = stack.pop()
        if isinstance(v, torch.Tensor):
            found.append(v)
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return found


def _shapes(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return list(value.shape)
    if isinstance(value, (list, tuple)):
        return [_shapes(v) for v in value[:8]]
    return type(value).__name__


def _probe_error(source: str, current: dict, e: Exception) -> ModelConfigError:
    cause = f"{type(e).__name__}: {short_repr(str(e), 300)}"
    layer = current.get("layer")
    if layer is None:
        return ModelConfigError(f"{source}: the {_PROBE}x{_PROBE} stride probe failed before the first layer: {cause}")
    where = f"{source}: layer {getattr(layer, 'i', '?')} ({getattr(layer, 'type', type(layer).__name__)}, from {layer.f})"
    if current.get("done"):
        return ModelConfigError(f"{where} ran, then the model's output failed in the stride probe: {cause}")
    built_for = next(
        (f"; it was built for {n} input channels ({type(m).__name__})" for m in layer.modules()
         if isinstance(n := getattr(m, "in_channels", getattr(m, "in_features", None)), int)),
        "",
    )
    return ModelConfigError(
        f"{where} cannot take its input in the stride probe: got shape(s) {short_repr(_shapes(current['inputs']))}"
        f"{built_for}. {cause}. Check this row's 'from' and the channels of the layers it reads."
    )
