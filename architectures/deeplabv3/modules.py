"""DeepLabV3 head (Chen et al., 2017, https://arxiv.org/abs/1706.05587), laid out as torchvision's.

``DeepLabV3Head.classifier`` is torchvision's ``DeepLabHead`` (ASPP, ``3×3`` conv-BN-ReLU, ``1×1`` classifier) and
``DeepLabV3Head.aux_head`` its ``FCNHead`` auxiliary classifier, submodule for submodule, so that a torchvision
state dict converts by renaming prefixes only (``convert.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from zoo import rules
from zoo.nn.blocks import FCNHead
from zoo.nn.heads import SemanticHead
from zoo.registry import register_module

__all__ = ["DeepLabV3Head"]


def _conv_bn_relu(c1: int, c2: int, k: int = 1, dilation: int = 1) -> nn.Sequential:
    pad = dilation * (k // 2)
    conv = nn.Conv2d(c1, c2, k, padding=pad, dilation=dilation, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(c2), nn.ReLU())


class _ASPPPooling(nn.Sequential):
    """Image-level features: global average pool, ``1×1`` conv-BN-ReLU, resized back to the input's size."""

    def __init__(self, c1: int, c2: int):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c1, c2, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pool, project and upsample to ``x``'s size (bilinear from 1×1 is a broadcast, kept as torchvision's)."""
        size = x.shape[-2:]
        for m in self:
            x = m(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class DeepLabV3ASPP(nn.Module):
    """torchvision's DeepLabV3 ``ASPP``: ``1×1``, three ``3×3`` atrous conv-BN-ReLU branches, image pooling;
    concatenated and projected to ``c2`` channels (with dropout 0.5). Unlike DeepLabV3+'s ``ASPP`` no separable
    convolutions and no refinement after the projection.

    Args:
        c1 (int): Input channels.
        rates (list[int]): Three atrous rates.
        c2 (int): Branch and output channels (256).
    """

    def __init__(self, c1: int, rates=(12, 24, 36), c2: int = 256):
        super().__init__()
        if len(rates) != 3:
            raise ValueError(f"ASPP takes three atrous rates, got {list(rates)}")
        self.convs = nn.ModuleList(
            [_conv_bn_relu(c1, c2), *(_conv_bn_relu(c1, c2, 3, r) for r in rates), _ASPPPooling(c1, c2)]
        )
        self.project = nn.Sequential(
            nn.Conv2d(5 * c2, c2, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(), nn.Dropout(0.5)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``c2`` context features at the input's resolution."""
        return self.project(torch.cat([conv(x) for conv in self.convs], 1))


@register_module(rule=rules.head())
class DeepLabV3Head(SemanticHead):
    """DeepLabV3 classifier on the deep features, FCN auxiliary classifier on the mid ones.

    Inputs are ``[deep, mid]`` (torchvision's ``out`` and ``aux`` features). Logits come out at the deep features'
    stride, ``output_stride``; Ultralytics' loss, validator and predictor resize them bilinearly to the mask or
    image, as torchvision's model resizes them to the input.

    Outputs: training ``(logits, aux_logits)`` (``logits`` alone with ``aux=False``); eval logits; export the
    class map at input size (see :class:`zoo.nn.heads.SemanticHead`).

    Args:
        nc (int): Number of classes.
        rates (list[int]): ASPP atrous rates.
        aux (bool): Build the auxiliary classifier (torchvision's ``aux_loss=True``).
        output_stride (int): Stride of the deep features.
        ch (list[int]): Channels of ``[deep, mid]`` (filled in by the parser).
    """

    def __init__(self, nc: int, rates=(12, 24, 36), aux: bool = True, output_stride: int = 8, ch: list[int] = ()):
        if len(ch) != 2:
            raise ValueError(f"DeepLabV3Head reads [deep, mid] features, got {len(ch)} inputs")
        # the base builds Ultralytics' stock layers from ch before they are replaced: tiny widths keep that cheap
        super().__init__(nc, [8, 8], output_stride)
        c_deep, c_mid = ch
        # torchvision's DeepLabHead: ASPP, 3×3 conv-BN-ReLU, 1×1 classifier (indices 0-4, as its keys)
        self.classifier = nn.Sequential(
            DeepLabV3ASPP(c_deep, rates), *_conv_bn_relu(256, 256, 3), nn.Conv2d(256, nc, 1)
        )
        self.aux_head = FCNHead(c_mid, nc) if aux else None

    def logits(self, x: list[torch.Tensor]) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Logits at ``output_stride``; with ``(aux logits at stride 8)`` in training when the aux head exists."""
        deep, mid = x
        out = self.classifier(deep)
        if self.training and self.aux_head is not None:
            return out, self.aux_head(mid)
        return out
