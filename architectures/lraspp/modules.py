"""Lite R-ASPP head (Howard et al., 2019, https://arxiv.org/abs/1905.02244), laid out as torchvision's.

``LRASPPHead.classifier`` holds torchvision's ``LRASPPHead`` submodules (``cbr``, ``scale``, ``low_classifier``,
``high_classifier``) under the same names, so a torchvision state dict converts by renaming prefixes (``convert.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from zoo import rules
from zoo.nn.heads import SemanticHead
from zoo.registry import register_module

__all__ = ["LiteRASPP", "LRASPPHead"]


class LiteRASPP(nn.Module):
    """torchvision's LR-ASPP: high features, ``1×1`` conv-BN-ReLU gated by a pooled sigmoid, upsampled to the low
    features; both classified by ``1×1`` convolutions and summed.

    Args:
        c_low (int): Low-level feature channels.
        c_high (int): High-level feature channels.
        nc (int): Number of classes.
        inter (int): Channels of the high-level branch.
    """

    def __init__(self, c_low: int, c_high: int, nc: int, inter: int = 128):
        super().__init__()
        self.cbr = nn.Sequential(nn.Conv2d(c_high, inter, 1, bias=False), nn.BatchNorm2d(inter), nn.ReLU(inplace=True))
        self.scale = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c_high, inter, 1, bias=False), nn.Sigmoid())
        self.low_classifier = nn.Conv2d(c_low, nc, 1)
        self.high_classifier = nn.Conv2d(inter, nc, 1)

    def forward(self, high: torch.Tensor, low: torch.Tensor) -> torch.Tensor:
        """Logits at the low-level features' resolution."""
        x = self.cbr(high) * self.scale(high)
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=False)
        return self.low_classifier(low) + self.high_classifier(x)


@register_module(rule=rules.head())
class LRASPPHead(SemanticHead):
    """Lite R-ASPP segmentation head on ``[high, low]`` features (torchvision's ``high`` and ``low``).

    Logits come out at the low-level features' stride (8); Ultralytics' loss, validator and predictor resize them
    bilinearly to the mask or image, as torchvision's model resizes them to the input. No auxiliary head (torchvision
    has none for LR-ASPP). Outputs follow :class:`zoo.nn.heads.SemanticHead`.

    Args:
        nc (int): Number of classes.
        inter (int): Channels of the high-level branch (128).
        output_stride (int): Stride of the low-level features, hence of the logits.
        ch (list[int]): Channels of ``[high, low]`` (filled in by the parser).
    """

    def __init__(self, nc: int, inter: int = 128, output_stride: int = 8, ch: list[int] = ()):
        if len(ch) != 2:
            raise ValueError(f"LRASPPHead reads [high, low] features, got {len(ch)} inputs")
        # the base builds Ultralytics' stock layers from ch before they are replaced: tiny widths keep that cheap
        super().__init__(nc, [8], output_stride)
        c_high, c_low = ch
        self.classifier = LiteRASPP(c_low, c_high, nc, inter)

    def logits(self, x: list[torch.Tensor]) -> torch.Tensor:
        """Logits at ``output_stride``, in training and eval alike."""
        high, low = x
        return self.classifier(high, low)
