"""A user's own blocks, in the user's own file: what zoo's registry replaces monkey patching for.

``Widen`` changes channels (monkey patching leaves later layers with the old channel count);
``FuseUp`` reads two layers of different channels and sizes (monkey patching cannot give it both).
"""

import torch
import torch.nn.functional as F
from torch import nn
from ultralytics.nn.modules import Conv

import zoo
from zoo.rules import LayerInputs, LayerPlan


@zoo.register_module  # default rule: Widen(c1, c2) with c2 = args[0] scaled by width
class Widen(nn.Module):
    """A 3x3 convolution that changes the channel count."""

    def __init__(self, c1: int, c2: int):
        super().__init__()
        self.conv = Conv(c1, c2, 3)

    def forward(self, x):
        return self.conv(x)


def fuse_up_rule(x: LayerInputs) -> LayerPlan:
    """FuseUp([c_fine, c_coarse], c2): both inputs' channels, output c2 (scaled)."""
    c2 = x.width(x.args[0])
    return LayerPlan([list(x.channels), c2], c2)


@zoo.register_module(rule=fuse_up_rule)
class FuseUp(nn.Module):
    """Project a fine and a coarse map to c2 channels, upsample the coarse one and add them."""

    def __init__(self, chs: list, c2: int):
        super().__init__()
        self.fine = Conv(chs[0], c2, 1)
        self.coarse = Conv(chs[1], c2, 1)

    def forward(self, x):
        fine, coarse = x
        return self.fine(fine) + F.interpolate(self.coarse(coarse), size=fine.shape[-2:], mode="nearest")
