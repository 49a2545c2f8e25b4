"""FCN segmentation head (Long, Shelhamer, Darrell, 2015, https://arxiv.org/abs/1411.4038), torchvision's layout.

``FCNSemanticHead.classifier`` and ``.aux_head`` are torchvision's ``FCNHead`` (``zoo.nn.blocks.FCNHead``, same
submodules), so a torchvision state dict converts by renaming prefixes only (``convert.py``).
"""

from __future__ import annotations

import torch

from zoo import rules
from zoo.nn.blocks import FCNHead
from zoo.nn.heads import SemanticHead
from zoo.registry import register_module

__all__ = ["FCNSemanticHead"]


@register_module(rule=rules.head())
class FCNSemanticHead(SemanticHead):
    """FCN classifier on the deep features, FCN auxiliary classifier on the mid ones (torchvision's ``FCN``).

    Inputs are ``[deep, mid]`` (torchvision's ``out`` and ``aux`` features: ResNet layer4 and layer3). Logits come out
    at the deep features' stride (8); Ultralytics' loss, validator and predictor resize them bilinearly to the mask
    or image, as torchvision's model resizes them to the input.

    Outputs: training ``(logits, aux_logits)`` (``logits`` alone with ``aux=False``); eval logits; export the
    class map at input size (see :class:`zoo.nn.heads.SemanticHead`).

    Args:
        nc (int): Number of classes.
        aux (bool): Build the auxiliary classifier (torchvision's ``aux_loss=True``).
        output_stride (int): Stride of the deep features.
        ch (list[int]): Channels of ``[deep, mid]`` (filled in by the parser).
    """

    def __init__(self, nc: int, aux: bool = True, output_stride: int = 8, ch: list[int] = ()):
        if len(ch) != 2:
            raise ValueError(f"FCNSemanticHead reads [deep, mid] features, got {len(ch)} inputs")
        # the base builds Ultralytics' stock layers from ch before they are replaced: tiny widths keep that cheap
        super().__init__(nc, [8, 8], output_stride)
        c_deep, c_mid = ch
        self.classifier = FCNHead(c_deep, nc)
        self.aux_head = FCNHead(c_mid, nc) if aux else None

    def logits(self, x: list[torch.Tensor]) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Logits at ``output_stride``; with aux logits in training when the aux head exists."""
        deep, mid = x
        out = self.classifier(deep)
        if self.training and self.aux_head is not None:
            return out, self.aux_head(mid)
        return out
