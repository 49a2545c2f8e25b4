"""U-Net blocks: the classic U-Net (Ronneberger et al., 2015) and a U-Net decoder on timm encoders.

Classic: ``DoubleConv`` stem, four ``Down`` (max-pool, double conv) and four ``UpConcat`` (transposed conv,
concatenate the skip, double conv), a ``1×1`` classifier. Convolutions are padded and batch-normalised (as most
re-implementations), so the output has the input's size.

Encoder U-Net: ``UNetUp`` mirrors segmentation_models_pytorch's ``UnetDecoderBlock`` (nearest upsampling to the skip's
size, concatenate, two conv-BN-ReLU) so that an smp ``Unet`` checkpoint converts by renaming keys (``convert.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from zoo import rules
from zoo.nn.heads import SemanticHead
from zoo.registry import register_module
from zoo.rules import LayerInputs, LayerPlan

__all__ = ["DoubleConv", "Down", "UpConcat", "UNetUp", "UNetHead"]


def _conv_bn_relu(c1: int, c2: int) -> nn.Sequential:
    # bias-free conv before BN; keys (0: conv, 1: bn) match smp's Conv2dReLU
    return nn.Sequential(nn.Conv2d(c1, c2, 3, padding=1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(inplace=True))


def _skip_rule(x: LayerInputs) -> LayerPlan:
    """``Block(c_in, c_skip, c2, *rest)`` from ``[x, skip]`` inputs (``c_skip`` 0 with a single input)."""
    if len(x.channels) not in (1, 2):
        raise ValueError(f"expects [x] or [x, skip] inputs, got {len(x.channels)}")
    c_in, c_skip = x.channels[0], x.channels[1] if len(x.channels) == 2 else 0
    c2 = x.width(x.args[0])
    return LayerPlan([c_in, c_skip, c2, *x.args[1:]], c2, x.repeats)


@register_module(rule=rules.conv())
class DoubleConv(nn.Sequential):
    """Two ``3×3`` conv-BN-ReLU layers (the U-Net's basic unit).

    Args:
        c1 (int): Input channels.
        c2 (int): Output channels.
    """

    def __init__(self, c1: int, c2: int):
        super().__init__(_conv_bn_relu(c1, c2), _conv_bn_relu(c2, c2))


@register_module(rule=rules.conv())
class Down(nn.Module):
    """``2×2`` max-pool then :class:`DoubleConv`: halves the resolution.

    Args:
        c1 (int): Input channels.
        c2 (int): Output channels.
    """

    def __init__(self, c1: int, c2: int):
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.conv = DoubleConv(c1, c2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Downsample by 2 and convolve."""
        if not torch.jit.is_tracing() and min(x.shape[-2:]) < 2:
            raise ValueError(
                f"U-Net Down block got a {tuple(x.shape[-2:])} feature map, too small to halve: the input image is "
                "smaller than the network's total stride (16 for unet-classic)"
            )
        return self.conv(self.pool(x))


@register_module(rule=rules.custom(_skip_rule))
class UpConcat(nn.Module):
    """Classic U-Net up step: ``2×2`` transposed conv halving the channels, pad to the skip, concat, double conv.

    Args:
        c_in (int): Channels of the deeper input.
        c_skip (int): Channels of the skip connection.
        c2 (int): Output channels.
    """

    def __init__(self, c_in: int, c_skip: int, c2: int):
        super().__init__()
        self.up = nn.ConvTranspose2d(c_in, c_in // 2, 2, stride=2)
        self.conv = DoubleConv(c_in // 2 + c_skip, c2)

    def forward(self, x: list[torch.Tensor]) -> torch.Tensor:
        """Upsample ``x[0]``, pad it to ``x[1]``'s size (odd sizes), concatenate and convolve."""
        x, skip = x
        x = self.up(x)
        dy, dx = skip.shape[-2] - x.shape[-2], skip.shape[-1] - x.shape[-1]
        if dy or dx:  # odd input sizes: the pooled map was floored, pad it back (instead of the paper's crop)
            x = F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(torch.cat([skip, x], 1))


@register_module(rule=rules.custom(_skip_rule))
class UNetUp(nn.Module):
    """U-Net decoder block on encoder features (smp's ``UnetDecoderBlock``, no attention).

    Upsamples ``x`` (nearest) to the skip's size, or by 2 without a skip, concatenates and applies two
    conv-BN-ReLU layers.

    Args:
        c_in (int): Channels of the deeper input.
        c_skip (int): Channels of the skip connection (0: none).
        c2 (int): Output channels.
    """

    def __init__(self, c_in: int, c_skip: int, c2: int):
        super().__init__()
        self.conv1 = _conv_bn_relu(c_in + c_skip, c2)
        self.conv2 = _conv_bn_relu(c2, c2)

    def forward(self, x: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
        """Upsample, fuse the skip (if any) and convolve."""
        if isinstance(x, (list, tuple)) and len(x) == 2:
            x, skip = x
            x = torch.cat([F.interpolate(x, size=skip.shape[-2:], mode="nearest"), skip], 1)
        else:
            x = x[0] if isinstance(x, (list, tuple)) else x
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.conv2(self.conv1(x))


@register_module(rule=rules.head())
class UNetHead(SemanticHead):
    """A convolution from decoder features to class logits (``k×k``, padded).

    Args:
        nc (int): Number of classes.
        k (int): Kernel size (1 for the classic U-Net, 3 for smp's Unet).
        output_stride (int): Stride of the input features, hence of the logits (1 for a full U-Net).
        ch (list[int]): Channels of the single input (filled in by the parser).
    """

    def __init__(self, nc: int, k: int = 1, output_stride: int = 1, ch: list[int] = ()):
        if len(ch) != 1:
            raise ValueError(f"UNetHead reads one feature map, got {len(ch)} inputs")
        super().__init__(nc, ch, output_stride)
        self.classifier = nn.Conv2d(ch[0], nc, k, padding=k // 2)

    def logits(self, x: list[torch.Tensor]) -> torch.Tensor:
        """Class logits at the input features' resolution."""
        return self.classifier(x[0])
