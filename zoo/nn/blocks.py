"""Generic blocks zoo's architectures share: a timm feature encoder and a selector of one of its outputs."""

from __future__ import annotations

import torch
from torch import nn

from zoo import rules
from zoo.registry import register_module
from zoo.rules import LayerInputs, LayerPlan

__all__ = ["TimmEncoder", "Pick"]


def _pick_rule(x: LayerInputs) -> LayerPlan:
    (levels,) = x.channels
    index = x.args[0]
    if not isinstance(levels, (list, tuple)):
        raise ValueError(f"Pick reads a multi-output layer, but its input has a single output ({levels} channels)")
    if not -len(levels) <= index < len(levels):
        raise ValueError(f"Pick index {index} out of range for an input with {len(levels)} outputs {levels}")
    return LayerPlan([index], levels[index], x.repeats)


@register_module(rule=rules.from_module())
class TimmEncoder(nn.Module):
    """A timm backbone in ``features_only`` mode: one layer whose output is the list of its feature maps.

    Pretrained weights are never fetched by timm here; zoo's weights manifest loads them (verified).

    Args:
        c1 (int): Input channels.
        name (str): timm model name, e.g. ``resnet34``.
        out_indices (list[int]): Feature levels to return (timm's indices; 0 is the stem at stride 2).
        output_stride (int): 32, 16 or 8; below 32 the last stages are dilated.
        dilation (str): How stages are dilated below output stride 32. ``"timm"``: timm's own scheme (a dilated
            stage's first block keeps the previous rate, as torchvision does). ``"uniform"``: every convolution of a
            dilated stage takes the stage's full rate, as segmentation_models_pytorch dilates its own (non ``tu-``)
            encoders; needed for smp checkpoints to convert exactly.

    Raises:
        ValueError: In ``forward``, for an input smaller than the encoder's output stride.
    """

    def __init__(self, c1: int, name: str, out_indices=(1, 2, 3, 4), output_stride: int = 32, dilation: str = "timm"):
        super().__init__()
        import timm

        if dilation not in ("timm", "uniform"):
            raise ValueError(f"dilation must be 'timm' or 'uniform', got {dilation!r}")
        uniform = dilation == "uniform" and output_stride != 32
        kwargs = {"output_stride": output_stride} if output_stride != 32 and not uniform else {}
        self.model = timm.create_model(
            name, pretrained=False, features_only=True, in_chans=c1, out_indices=tuple(out_indices), **kwargs
        )
        if uniform:
            _dilate_uniformly(self.model, output_stride)
        self.out_channels = list(self.model.feature_info.channels())
        self.reductions = [min(r, output_stride) for r in self.model.feature_info.reduction()]
        self.stride = max(self.reductions)
        self.output_stride, self.dilation = output_stride, dilation  # read by weight converters (smp)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the feature maps, shallow to deep."""
        if not torch.jit.is_tracing() and min(x.shape[-2:]) < self.stride:
            raise ValueError(
                f"input of {tuple(x.shape[-2:])} pixels is smaller than the encoder's output stride {self.stride}: "
                f"use images of at least {self.stride}x{self.stride} pixels"
            )
        return self.model(x)


def _dilate_uniformly(model: nn.Module, output_stride: int) -> None:
    """Replace the strides of stages deeper than ``output_stride`` with dilation (smp's ``make_dilated``).

    Every ``Conv2d`` of a stage at reduction ``r > output_stride`` gets stride 1 and dilation ``r // output_stride``.
    """
    for info in model.feature_info.info:
        if info["reduction"] <= output_stride:
            continue
        name, rate = info["module"], info["reduction"] // output_stride
        try:
            stage = model.get_submodule(name)
        except AttributeError:  # FeatureListNet flattens dotted names
            stage = model.get_submodule(name.replace(".", "_"))
        for m in stage.modules():
            if isinstance(m, nn.Conv2d):
                kh, kw = m.kernel_size
                m.stride, m.dilation, m.padding = (1, 1), (rate, rate), ((kh // 2) * rate, (kw // 2) * rate)


@register_module(rule=rules.custom(_pick_rule))
class Pick(nn.Module):
    """Select one output of a multi-output layer (``[-1, 1, Pick, [2]]``).

    Args:
        index (int): Which output.
    """

    def __init__(self, index: int):
        super().__init__()
        self.index = index

    def forward(self, x: list[torch.Tensor]) -> torch.Tensor:
        """Return ``x[index]``."""
        return x[self.index]
