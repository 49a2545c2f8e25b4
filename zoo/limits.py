"""Work limits: bounds on what one model YAML may ask zoo to do, and the ways to raise them.

:data:`LIMITS` holds the defaults; ``ZOO_MAX_<FIELD>`` environment variables and :func:`using_limits`
(for one ``with`` block, this thread or task only) change them; :func:`limits` says which are in force.
The YAML reader, the validator, the parser and the stride probe all check against :func:`limits`, and
:func:`limit_error` words every refusal the same way: what exceeded which limit, and how to raise it.

Torch-free.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from zoo.errors import LimitExceededError, short_repr

__all__ = ["Limits", "LIMITS", "limits", "using_limits", "limit_error", "LimitExceededError"]


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
