"""SharedDetect: a detection head whose towers are shared across pyramid levels (FCOS/ATSS/GFL style).

Stock ``Detect`` gives every level its own box and class branch. Here each branch is one tower used
by all levels, after a per-level 1x1 projection to a common width; GroupNorm replaces BatchNorm
(statistics that do not depend on the batch, and one tower sees three levels' statistics); a learnable
per-level ``Scale`` multiplies the box output so the shared predictor can serve strides 8 to 32
(Tian et al., FCOS, 2019). The output contract is ``Detect``'s, so Ultralytics' losses, NMS,
validator, predictor and exporter work unchanged (see README.md).
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn
from ultralytics.nn.modules.head import Detect

from zoo.registry import register_module
from zoo.rules import LayerInputs, LayerPlan

__all__ = ["ConvGN", "SharedBranch", "SharedDetect"]


def _groups(c: int) -> int:
    """GroupNorm groups: 16 channels per group, at most 32 groups (FCOS: 32 groups of 8 at 256 channels)."""
    return max(1, min(32, c // 16))


class ConvGN(nn.Module):
    """Conv2d (no bias) + GroupNorm + SiLU; a ``k > 1`` kernel is depthwise-separable.

    Separable kernels keep the towers cheap at stride 8, where most locations are (stock ``Detect``'s
    class branch uses depthwise convs for the same reason).

    Args:
        c1 (int): Input channels.
        c2 (int): Output channels.
        k (int): Kernel size (odd; same padding).
    """

    def __init__(self, c1: int, c2: int, k: int = 1):
        super().__init__()
        self.dw = nn.Conv2d(c1, c1, k, padding=k // 2, groups=c1, bias=False) if k > 1 else None
        self.conv = nn.Conv2d(c1, c2, 1, bias=False)
        self.gn = nn.GroupNorm(_groups(c2), c2)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(Depthwise) convolve, project, normalise, activate."""
        if self.dw is not None:
            x = self.dw(x)
        return self.act(self.gn(self.conv(x)))


class SharedBranch(nn.Module):
    """One prediction branch for all levels: per-level 1x1 projection, shared separable 3x3 tower and predictor.

    Args:
        ch (list[int]): Input channels per level.
        c (int): Tower width.
        c_out (int): Predicted channels per location.
        n (int): Separable 3x3 convs in the shared tower.
        scale (bool): Multiply each level's output by a learnable scalar (initialised to 1).
    """

    def __init__(self, ch: list[int], c: int, c_out: int, n: int = 2, scale: bool = False):
        super().__init__()
        self.proj = nn.ModuleList(ConvGN(x, c, 1) for x in ch)
        self.tower = nn.Sequential(*(ConvGN(c, c, 3) for _ in range(n)))
        self.pred = nn.Conv2d(c, c_out, 1)
        self.scale = nn.Parameter(torch.ones(len(ch))) if scale else None

    def forward(self, x: list[torch.Tensor]) -> list[torch.Tensor]:
        """Return the prediction map of each level."""
        out = []
        for i, xi in enumerate(x):
            y = self.pred(self.tower(self.proj[i](xi)))
            out.append(y * self.scale[i] if self.scale is not None else y)
        return out


def _shared_detect_rule(x: LayerInputs) -> LayerPlan:
    """``[nc, (width), (tower depth)]`` -> ``SharedDetect(nc, reg_max, end2end, ch, width, n)``; width is scaled."""
    nc, *rest = x.args
    width = x.width(rest[0]) if rest and rest[0] else None
    args = [nc, x.options.get("reg_max", 16), bool(x.options.get("end2end")), list(x.channels), width, *rest[1:]]
    return LayerPlan(args, x.channels[0], x.repeats)


@register_module(rule=_shared_detect_rule)
class SharedDetect(Detect):
    """A ``Detect`` head with level-shared GroupNorm towers and per-level learnable box scales.

    Keeps ``Detect``'s contract: training returns ``{"boxes", "scores", "feats"}`` (or ``one2many`` /
    ``one2one`` dicts when ``end2end``), eval returns ``(y, preds)``, export returns ``y``. The branches
    are named ``cv2`` (box) and ``cv3`` (class) and their end-to-end copies ``one2one_cv2`` / ``one2one_cv3``,
    so ``Detect.fuse`` and the ``end2end`` switch work as for the stock head.

    Args:
        nc (int): Number of classes.
        reg_max (int): DFL bins (1: direct distances, as YOLO26).
        end2end (bool): Add a one-to-one branch (NMS-free inference, trained on detached features).
        ch (list[int]): Input channels per level.
        c (int | None): Tower width; default the first level's channels (at least 32).
        n (int): 3x3 convs per tower.
    """

    def __init__(self, nc: int = 80, reg_max: int = 16, end2end: bool = False, ch=(), c: int | None = None, n: int = 2):
        super().__init__(nc, reg_max, False, ch)  # sets nc, nl, no, stride, dfl; its per-level branches are replaced
        c = c or max(32, ch[0])
        self.cv2 = SharedBranch(ch, c, 4 * reg_max, n, scale=True)
        self.cv3 = SharedBranch(ch, c, nc, n)
        if end2end:
            self.one2one_cv2 = copy.deepcopy(self.cv2)
            self.one2one_cv3 = copy.deepcopy(self.cv3)

    def forward_head(self, x: list[torch.Tensor], box_head: SharedBranch | None = None,
                     cls_head: SharedBranch | None = None) -> dict[str, torch.Tensor]:
        """Concatenate the levels' box and class predictions (``Detect.forward_head``'s layout)."""
        if box_head is None or cls_head is None:  # a branch removed by fuse()
            return {}
        bs = x[0].shape[0]
        boxes = torch.cat([b.view(bs, 4 * self.reg_max, -1) for b in box_head(x)], dim=-1)
        scores = torch.cat([s.view(bs, self.nc, -1) for s in cls_head(x)], dim=-1)
        return {"boxes": boxes, "scores": scores, "feats": x}

    def bias_init(self) -> None:
        """Initialise predictor biases as ``Detect`` does; one class bias serves all levels.

        ``Detect`` uses a per-level prior ``5 / nc / (640 / stride)**2`` (about 0.01 objects per location on
        a 640 image); the shared classifier takes the geometric mean over levels. Requires ``stride``.
        """
        prior = sum(math.log(5 / self.nc / (640 / float(s)) ** 2) for s in self.stride) / self.nl
        for box, cls in ((self.cv2, self.cv3), (getattr(self, "one2one_cv2", None), getattr(self, "one2one_cv3", None))):
            if box is None or cls is None:
                continue
            box.pred.bias.data[:] = 2.0
            cls.pred.bias.data[:] = prior
