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
    """

    def __init__(self, c1: int, name: str, out_indices=(1, 2, 3, 4), output_stride: int = 32):
        super().__init__()
        import timm

        kwargs = {"output_stride": output_stride} if output_stride != 32 else {}
        self.model = timm.create_model(
            name, pretrained=False, features_only=True, in_chans=c1, out_indices=tuple(out_indices), **kwargs
        )
        self.out_channels = list(self.model.feature_info.channels())
        self.reductions = list(self.model.feature_info.reduction())

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the feature maps, shallow to deep."""
        return self.model(x)


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
