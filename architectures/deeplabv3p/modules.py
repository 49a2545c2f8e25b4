"""DeepLabV3+ blocks (Chen et al., 2018, https://arxiv.org/abs/1802.02611): ASPP and the decoder head.

The submodule layout mirrors segmentation_models_pytorch's ``DeepLabV3PlusDecoder`` so that an smp checkpoint
converts by renaming key prefixes only (see ``convert.py``): ``ASPP.convs``/``ASPP.project`` are smp's
``decoder.aspp.0.*``, ``ASPP.refine`` is ``decoder.aspp.{1,2}``, the head's ``low``/``fuse``/``classifier`` are
``decoder.block1``, ``decoder.block2`` and ``segmentation_head.0``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from zoo import rules
from zoo.nn.heads import SemanticHead
from zoo.registry import register_module

__all__ = ["SeparableConv2d", "ASPP", "DeepLabV3PlusHead"]


class SeparableConv2d(nn.Sequential):
    """Depthwise ``k×k`` (optionally dilated) convolution followed by a pointwise ``1×1`` one.

    Args:
        c1 (int): Input channels.
        c2 (int): Output channels.
        k (int): Depthwise kernel size.
        dilation (int): Depthwise dilation; padding keeps the spatial size.
        bias (bool): Bias on the pointwise convolution.
    """

    def __init__(self, c1: int, c2: int, k: int = 3, dilation: int = 1, bias: bool = False):
        super().__init__(
            nn.Conv2d(c1, c1, k, padding=dilation * (k // 2), dilation=dilation, groups=c1, bias=False),
            nn.Conv2d(c1, c2, 1, bias=bias),
        )


def _conv_bn_relu(conv: nn.Module, c2: int) -> nn.Sequential:
    return nn.Sequential(conv, nn.BatchNorm2d(c2), nn.ReLU())


class _ImagePooling(nn.Sequential):
    """Image-level features: global average pool, ``1×1`` conv-BN-ReLU, broadcast back to the input size."""

    def __init__(self, c1: int, c2: int):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c1, c2, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pool, project and upsample to ``x``'s size."""
        size = x.shape[-2:]
        for m in self:
            x = m(x)
        # bilinear from a 1×1 map is a broadcast; kept as interpolate to match smp (and its ONNX graph)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


@register_module(rule=rules.conv())
class ASPP(nn.Module):
    """Atrous spatial pyramid pooling, then a ``3×3`` (separable) conv-BN-ReLU, as DeepLabV3+ uses it.

    Five parallel branches (``1×1``, three ``3×3`` atrous convolutions, image pooling) are concatenated and
    projected to ``c2`` channels. The rates are the actual dilations: the paper's 12/24/36 at encoder output
    stride 16, doubled (24/48/72) at output stride 8.

    Args:
        c1 (int): Input channels (the deepest encoder features).
        c2 (int): Output channels (256 in the paper).
        rates (list[int]): Three atrous rates.
        separable (bool): Atrous separable convolutions (DeepLabV3+) instead of plain ones (DeepLabV3).
        dropout (float): Dropout after the projection (training only).
    """

    def __init__(self, c1: int, c2: int, rates=(12, 24, 36), separable: bool = True, dropout: float = 0.5):
        super().__init__()
        if len(rates) != 3:
            raise ValueError(f"ASPP takes three atrous rates, got {list(rates)}")

        def atrous(r: int) -> nn.Module:
            if separable:
                return _conv_bn_relu(SeparableConv2d(c1, c2, 3, dilation=r), c2)
            return _conv_bn_relu(nn.Conv2d(c1, c2, 3, padding=r, dilation=r, bias=False), c2)

        self.convs = nn.ModuleList(
            [_conv_bn_relu(nn.Conv2d(c1, c2, 1, bias=False), c2), *(atrous(r) for r in rates), _ImagePooling(c1, c2)]
        )
        self.project = nn.Sequential(
            nn.Conv2d(5 * c2, c2, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(), nn.Dropout(dropout)
        )
        self.refine = _conv_bn_relu(SeparableConv2d(c2, c2, 3), c2)
        self.out_channels = c2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``c2`` context features at the input's resolution."""
        return self.refine(self.project(torch.cat([conv(x) for conv in self.convs], 1)))


@register_module(rule=rules.head())
class DeepLabV3PlusHead(SemanticHead):
    """DeepLabV3+ decoder and classifier: upsample ASPP features to the low-level map, fuse, classify.

    Inputs are ``[aspp, low_level]``: ASPP output (stride 16 or 8) and encoder features at stride 4, which are
    projected to ``c_low`` (48) channels so that they do not outweigh the context features.
    Logits come out at the low-level map's stride (4); the ASPP features are resized to the low-level map's exact
    size, so inputs whose size is not a multiple of 16 work too.

    Args:
        nc (int): Number of classes.
        c_low (int): Channels of the low-level projection (48 in the paper).
        output_stride (int): Stride of the low-level features, hence of the logits.
        ch (list[int]): Channels of ``[aspp, low_level]`` (filled in by the parser).
    """

    def __init__(self, nc: int, c_low: int = 48, output_stride: int = 4, ch: list[int] = ()):
        if len(ch) != 2:
            raise ValueError(f"DeepLabV3PlusHead reads [aspp, low_level] features, got {len(ch)} inputs")
        super().__init__(nc, ch, output_stride)
        c_mid, c_in_low = ch
        self.low = _conv_bn_relu(nn.Conv2d(c_in_low, c_low, 1, bias=False), c_low)
        self.fuse = _conv_bn_relu(SeparableConv2d(c_mid + c_low, c_mid, 3), c_mid)
        self.classifier = nn.Conv2d(c_mid, nc, 1)

    def logits(self, x: list[torch.Tensor]) -> torch.Tensor:
        """Class logits at the low-level features' resolution."""
        context, low = x
        # align_corners=True as the reference implementations (and smp) upsample the ASPP output
        context = F.interpolate(context, size=low.shape[-2:], mode="bilinear", align_corners=True)
        return self.classifier(self.fuse(torch.cat([context, self.low(low)], 1)))
