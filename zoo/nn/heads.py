"""Head bases zoo's architectures share."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from ultralytics.nn.modules.head import SemanticSegment

__all__ = ["SemanticHead"]


class SemanticHead(SemanticSegment):
    """Base of zoo's semantic segmentation heads, keeping Ultralytics' ``SemanticSegment`` contract.

    Subclasses build their layers in ``__init__`` (after ``super().__init__(nc, ch)``, whose stock
    layers they replace) and implement :meth:`logits`. Being a ``SemanticSegment``, the head is
    recognised by Ultralytics' semantic model, loss, validator, predictor and exporter.

    Outputs:
        * training: logits at the head's output stride, or ``(logits, aux)``;
        * eval: logits (valid loss input; the validator and predictor resize them);
        * export: the class map at input size, ``[B, H, W]`` uint8 (ONNX/OpenVINO/MNN), or logits
          upsampled to input size for other formats, as Ultralytics' semantic exports give.

    Args:
        nc (int): Number of classes.
        ch (list[int]): Input channels of the head's inputs.
        output_stride (int): Stride of the logits relative to the input image.
    """

    def __init__(self, nc: int, ch: list[int], output_stride: int):
        super().__init__(nc, ch)
        self.classifier = None  # replaced by the subclass
        self.aux_head = None
        self.output_stride = output_stride

    def logits(self, x: list[torch.Tensor]) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Compute logits (or ``(logits, aux)`` in training) from the head inputs."""
        raise NotImplementedError

    def forward(self, x: list[torch.Tensor]):
        """Logits in training and eval; the input-size class map in export mode."""
        out = self.logits(x)
        if self.training:
            return out
        logits = out[0] if isinstance(out, tuple) else out
        if not self.export:
            return logits
        y = F.interpolate(logits, scale_factor=self.output_stride, mode="bilinear", align_corners=False)
        if self.format in {"onnx", "mnn", "openvino"} or (self.format in {"engine", "hailo"} and self.bake_argmax):
            cls = y.argmax(1) if self.nc > 1 else y.squeeze(1) > 0
            return cls.to(torch.uint8 if self.nc <= 256 else torch.int32)
        return y
