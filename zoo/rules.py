"""Channel rules: how a module's constructor arguments and output channels follow from its inputs.

Every module a model YAML can name carries one rule, declared where the module is registered
(``@register_module(rule=rules.conv(repeats_at=2))``). zoo's parser never special-cases a module:
it hands the rule a :class:`LayerInputs` and builds what the returned :class:`LayerPlan` says.

This module is torch-free so that the registry stays importable without torch.

Example:
    >>> plan = conv()(LayerInputs(channels=[32], args=[64, 3], width_gain=0.5))
    >>> plan.args, plan.c_out
    ([32, 32, 3], 32)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = [
    "LayerInputs",
    "LayerPlan",
    "Rule",
    "make_divisible",
    "same",
    "conv",
    "concat",
    "head",
    "explicit",
    "from_module",
    "custom",
]


def make_divisible(x: float, divisor: int = 8) -> int:
    """Round ``x`` up to the nearest multiple of ``divisor`` (the YOLO width rule)."""
    return int(math.ceil(x / divisor) * divisor)


@dataclass
class LayerInputs:
    """What the parser knows when it reaches one YAML row.

    Attributes:
        channels (list[int]): Output channels of each ``from`` layer, in ``from`` order.
        args (list): The row's arguments with YAML symbols (``nc``, ``reg_max``...) already resolved.
        repeats (int): The row's repeat count after depth scaling.
        width_gain (float): Width multiple of the selected scale.
        max_channels (float): Channel cap of the selected scale.
        nc (int | None): Number of classes of the model.
        scale (str | None): Selected scale letter, e.g. ``"s"``.
        options (dict): Model-level YAML options (``reg_max``, ``end2end``...).
        state (dict): Mutable state shared by the rows of one build (e.g. Ultralytics' ``legacy`` flag).
    """

    channels: list[int]
    args: list = field(default_factory=list)
    repeats: int = 1
    width_gain: float = 1.0
    max_channels: float = float("inf")
    nc: int | None = None
    scale: str | None = None
    options: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)

    @property
    def c1(self) -> int:
        """The single input's channels; an error for multi-input rows."""
        if len(self.channels) != 1:
            raise ValueError(f"expects one input but 'from' names {len(self.channels)} layers")
        return self.channels[0]

    def width(self, c: int) -> int:
        """Scale a channel count by the model's width multiple and cap (YOLO convention)."""
        return make_divisible(min(c, self.max_channels) * self.width_gain, 8)


@dataclass
class LayerPlan:
    """What to build for one YAML row.

    Attributes:
        args (list): Positional constructor arguments.
        c_out (int | list[int] | None): Output channels seen by later rows; None reads the built
            module's ``out_channels`` attribute.
        repeats (int): Stack this many copies in an ``nn.Sequential`` (1: a single module).
        class_attrs (dict): Class attributes set on the module class only while it is constructed
            and restored right after (Ultralytics' heads read ``legacy`` in ``__init__``).
        post (Callable | None): Called with each built module, e.g. to adjust a legacy activation.
    """

    args: list
    c_out: Any
    repeats: int = 1
    class_attrs: dict = field(default_factory=dict)
    post: Callable[[Any], None] | None = None


Rule = Callable[[LayerInputs], LayerPlan]


def same() -> Rule:
    """Arguments as written; output channels equal to the (first) input's.

    For activations, upsampling, pooling and other shape-keeping modules.
    """

    def rule(x: LayerInputs) -> LayerPlan:
        return LayerPlan(list(x.args), x.channels[0], x.repeats)

    rule.__name__ = "same"
    return rule


def conv(*, repeats_at: int | None = None, scale_out: bool = True) -> Rule:
    """The YOLO block convention ``Module(c1, c2, *rest)`` with ``c2 = args[0]``.

    Args:
        repeats_at (int | None): Insert the depth-scaled repeat count at this constructor position
            (the block repeats internally) instead of stacking copies.
        scale_out (bool): Scale ``c2`` by the width multiple. False for class-count outputs.
    """

    def rule(x: LayerInputs) -> LayerPlan:
        if not x.args:
            raise ValueError("expects output channels as its first argument, got no arguments")
        c2 = x.args[0]
        if not isinstance(c2, int):
            raise ValueError(f"expects output channels (int) as its first argument, got {c2!r}")
        if scale_out:
            c2 = x.width(c2)
        args = [x.c1, c2, *x.args[1:]]
        repeats = x.repeats
        if repeats_at is not None:
            args.insert(repeats_at, repeats)
            repeats = 1
        return LayerPlan(args, c2, repeats)

    rule.__name__ = "conv"
    return rule


def concat() -> Rule:
    """Output channels are the sum of all inputs (channel concatenation)."""

    def rule(x: LayerInputs) -> LayerPlan:
        return LayerPlan(list(x.args), sum(x.channels), x.repeats)

    rule.__name__ = "concat"
    return rule


def head(*, insert_at: int | None = None, c_out: int | None = None) -> Rule:
    """A head that receives the list of its inputs' channels.

    Args:
        insert_at (int | None): Position of the channel list in the arguments (default: appended).
        c_out (int | None): Output channels to report, default the first input's.
    """

    def rule(x: LayerInputs) -> LayerPlan:
        args = list(x.args)
        chs = list(x.channels)
        if insert_at is None:
            args.append(chs)
        else:
            args.insert(insert_at, chs)
        return LayerPlan(args, x.channels[0] if c_out is None else c_out, x.repeats)

    rule.__name__ = "head"
    return rule


def explicit(out_index: int) -> Rule:
    """Arguments as written (input channels included); output channels are ``args[out_index]``.

    For modules such as ``nn.Conv2d(c1, c2, k)`` or ``nn.Linear(c1, c2)`` whose YAML spells every argument.
    """

    def rule(x: LayerInputs) -> LayerPlan:
        if len(x.args) <= out_index:
            raise ValueError(f"expects output channels at argument {out_index}, got {len(x.args)} arguments")
        return LayerPlan(list(x.args), x.args[out_index], x.repeats)

    rule.__name__ = "explicit"
    return rule


def from_module() -> Rule:
    """``Module(c1, *args)``; output channels read from the built module's ``out_channels``.

    For blocks whose channels only the built module knows, such as a pretrained encoder
    (``out_channels`` may be a list for multi-output blocks).
    """

    def rule(x: LayerInputs) -> LayerPlan:
        return LayerPlan([x.c1, *x.args], None, x.repeats)

    rule.__name__ = "from_module"
    return rule


def custom(fn: Callable[[LayerInputs], LayerPlan]) -> Rule:
    """Use ``fn`` as the rule itself (for modules with their own argument layout)."""
    return fn
