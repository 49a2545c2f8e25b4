"""Channel rules of Ultralytics' stock modules, declared in one table.

Ultralytics 8.4 YAMLs name these modules; each gets the rule that reproduces the arguments and
channels Ultralytics' own builder gives it, so zoo's parser builds every stock YAML identically
without a single ``if module is X`` branch. The table is torch-free: rules that need an Ultralytics
class (the legacy SPPF activation) import it when they run.

Quirks of the stock YAMLs, kept here so the parser stays generic:
    * ``C3k2``, ``A2C2f`` and ``C2fCIB`` mark a model as non-legacy; detection heads read that
      flag (``legacy``) when they are constructed.
    * ``C3k2`` turns on its ``c3k`` option at scales m/l/x; ``A2C2f`` adds residual scaling at l/x.
    * ``SPPF`` rows with three arguments predate the unactivated YOLO26 SPPF and keep the default
      activation on ``cv1``.
"""

from __future__ import annotations

from zoo import rules
from zoo.rules import LayerInputs, LayerPlan

__all__ = ["STOCK_RULES", "STOCK_NAMES", "TORCH_NN_RULES", "DETECT_HEADS"]

_BASE = ("Conv", "ConvTranspose", "GhostConv", "Bottleneck", "GhostBottleneck", "SPP", "SPPF", "DWConv",
         "Focus", "RepNCSPELAN4", "ELAN1", "ADown", "AConv", "SPPELAN", "DWConvTranspose2d", "PSA", "SCDown")
_REPEATING = ("BottleneckCSP", "C1", "C2", "C2f", "C3", "C3TR", "C3Ghost", "C3x", "RepC3", "C2fPSA", "C2PSA")
_NON_LEGACY = ("C3k2", "A2C2f", "C2fCIB")

# Heads that take (..., reg_max, end2end, [input channels]) and read the legacy flag at construction.
DETECT_HEADS = ("Detect", "YOLOEDetect", "Segment", "Segment26", "YOLOESegment", "YOLOESegment26",
                "Pose", "Pose26", "OBB", "OBB26")
_MASK_HEADS = ("Segment", "Segment26", "YOLOESegment", "YOLOESegment26")


def _non_legacy(name: str) -> rules.Rule:
    """A repeating YOLO block that also marks the model as non-legacy, with its scale-dependent options."""
    base = rules.conv(repeats_at=2)

    def rule(x: LayerInputs) -> LayerPlan:
        plan = base(x)
        x.state["legacy"] = False
        if name == "C3k2" and x.scale in {"m", "l", "x"}:
            plan.args[3:4] = [True]  # c3k; slice assignment also supplies it when the YAML omits it
        elif name == "A2C2f" and x.scale in {"l", "x"}:
            plan.args.extend((True, 1.2))  # residual connection with layer scaling
        return plan

    return rule


def _sppf(x: LayerInputs) -> LayerPlan:
    plan = rules.conv()(x)
    if len(plan.args) <= 3:

        def legacy_activation(module) -> None:
            from ultralytics.nn.modules import Conv

            module.cv1.act = Conv.default_act

        plan.post = legacy_activation
    return plan


def _c2f_attn(x: LayerInputs) -> LayerPlan:
    """C2fAttn: heads scale with width (capped), hidden channels follow from c2 and the expansion."""
    args = list(x.args)
    c2 = x.width(args[0])
    heads = args[2]
    if heads > 1:
        heads = int(max(round(min(heads, x.max_channels // 2 // 32)) * x.width_gain, 1))
    args[2] = heads
    hidden = int(c2 * (args[6] if len(args) > 6 else 0.5))
    if hidden % heads:
        raise ValueError(f"C2fAttn hidden channels {hidden} (from c2={c2}) must be divisible by nh={heads}")
    args[1] = hidden
    return LayerPlan([x.c1, c2, x.repeats, *args[1:]], c2)


def _detect_head(name: str) -> rules.Rule:
    def rule(x: LayerInputs) -> LayerPlan:
        args = [*x.args, x.options.get("reg_max", 16), x.options.get("end2end"), list(x.channels)]
        if name in _MASK_HEADS:
            args[2] = x.width(args[2])  # prototype channels
        attrs = {"legacy": x.state.get("legacy", True)} if name in DETECT_HEADS else {}
        return LayerPlan(args, x.channels[0], x.repeats, class_attrs=attrs)

    return rule


def _hg(repeats_at: int | None) -> rules.Rule:
    """HGStem / HGBlock: ``(c1, cm, c2, ...)`` with unscaled channels."""

    def rule(x: LayerInputs) -> LayerPlan:
        args = [x.c1, *x.args]
        repeats = x.repeats
        if repeats_at is not None:
            args.insert(repeats_at, repeats)
            repeats = 1
        return LayerPlan(args, x.args[1], repeats)

    return rule


def _resnet_layer(x: LayerInputs) -> LayerPlan:
    c2 = x.args[1] if x.args[3] else x.args[1] * 4  # first layer keeps c2; bottlenecks expand by 4
    return LayerPlan(list(x.args), c2, x.repeats)


def _prepend_input(x: LayerInputs) -> LayerPlan:
    return LayerPlan([x.c1, *x.args], x.c1, x.repeats)


def _cb_linear(x: LayerInputs) -> LayerPlan:
    return LayerPlan([x.c1, *x.args], x.args[0], x.repeats)


def _cb_fuse(x: LayerInputs) -> LayerPlan:
    return LayerPlan(list(x.args), x.channels[-1], x.repeats)


def _declared_out(x: LayerInputs) -> LayerPlan:
    """TorchVision / Index: the first argument declares output channels and is not passed on."""
    return LayerPlan(list(x.args[1:]), x.args[0], x.repeats)


def _depth(x: LayerInputs) -> LayerPlan:
    return LayerPlan([*x.args[:1], list(x.channels)], x.channels[0], x.repeats)


STOCK_RULES: dict[str, rules.Rule] = {
    **{name: rules.conv() for name in _BASE},
    **{name: rules.conv(repeats_at=2) for name in _REPEATING},
    **{name: _non_legacy(name) for name in _NON_LEGACY},
    "SPPF": _sppf,
    "C2fAttn": _c2f_attn,
    "Classify": rules.conv(scale_out=False),
    "Concat": rules.concat(),
    "AIFI": _prepend_input,
    "HGStem": _hg(None),
    "HGBlock": _hg(4),
    "ResNetLayer": _resnet_layer,
    "CBLinear": _cb_linear,
    "CBFuse": _cb_fuse,
    "TorchVision": _declared_out,
    "Index": _declared_out,
    "Depth": _depth,
    "SemanticSegment": rules.head(),
    "v10Detect": rules.head(),
    "ImagePoolingAttn": rules.head(insert_at=1),
    "RTDETRDecoder": rules.head(insert_at=1),
    "WorldDetect": _detect_head("WorldDetect"),
    **{name: _detect_head(name) for name in DETECT_HEADS},
}

# torch.nn modules named as ``nn.X``; any other nn.X keeps its input channels.
TORCH_NN_RULES: dict[str, rules.Rule] = {
    "BatchNorm2d": _prepend_input,
    "ConvTranspose2d": rules.conv(),
    "Conv2d": rules.explicit(1),
    "Linear": rules.explicit(1),
}

# Names Ultralytics' YAMLs use beyond the table, which keep their input channels.
_SHAPE_KEEPING = ("Upsample", "Silence", "Identity", "ContrastiveHead", "BNContrastiveHead")

STOCK_NAMES: list[str] = sorted({*STOCK_RULES, *_SHAPE_KEEPING})
