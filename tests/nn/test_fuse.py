"""zoo's fuse(): BatchNorm folded into the convolution before it in timm's, zoo's and Ultralytics' blocks.

Tolerance: fused logits equal unfused ones within 1e-4 of the largest logit (eval mode, fp32). BatchNorm
statistics are randomised first, so that folding moves the weights (fresh BatchNorm is nearly an identity).
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

import zoo
from zoo.nn.fuse import conv_fed_batchnorms, fold_batchnorm

REL = 1e-4
# model -> what it tests: timm MobileNetV3 (BatchNormAct2d) + zoo's ASPP; timm ResNet; U-Net decoder; Ultralytics Conv
FAMILIES = {"deeplabv3p-n": 64, "deeplabv3p-s": 64, "unet-s": 64, "sharedhead-n": 64}


def _randomise_batchnorm(model: nn.Module) -> None:
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=g) - 0.5)


def _first(out):
    """The logits tensor of an eval-mode output (detection eval returns ``(y, preds)``)."""
    return out[0] if isinstance(out, (list, tuple)) else out


def _rel_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / a.abs().max()).item()


@pytest.mark.parametrize("name", FAMILIES)
def test_fuse_folds_every_batchnorm_and_keeps_outputs(name):
    torch.manual_seed(0)
    model = zoo.load(name).model
    _randomise_batchnorm(model)
    x = torch.rand(1, 3, FAMILIES[name], FAMILIES[name], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = _first(model.eval()(x))
    assert conv_fed_batchnorms(model, x), "the family has conv+BatchNorm pairs to fold"

    fused = copy.deepcopy(model).train()  # Ultralytics' AutoBackend fuses before eval(): the probe must not train
    fused.fuse(verbose=False)
    fused.eval()

    assert not [n for n, m in fused.named_modules() if isinstance(m, nn.BatchNorm2d)]
    assert conv_fed_batchnorms(fused, x) == []
    with torch.no_grad():
        assert _rel_diff(ref, _first(fused(x))) <= REL


def test_fuse_is_idempotent():
    torch.manual_seed(0)
    model = zoo.load("unet-s").model.eval()
    x = torch.rand(1, 3, 64, 64)
    once = copy.deepcopy(model).fuse(verbose=False)
    twice = copy.deepcopy(once).fuse(verbose=False)
    with torch.no_grad():
        assert torch.equal(once(x), twice(x))


class _Residual(nn.Module):
    """conv output read by a BatchNorm and by a residual sum: folding would change the sum."""

    def __init__(self):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4)
        self.after_act = nn.Sequential(nn.Conv2d(4, 4, 1), nn.ReLU(), nn.BatchNorm2d(4))

    def forward(self, x):
        y = self.conv(x)
        return self.bn(y) + y + self.after_act(x)


def test_shared_conv_output_and_non_conv_input_are_not_folded():
    model = _Residual().eval()
    _randomise_batchnorm(model)
    x = torch.rand(1, 4, 8, 8)
    with torch.no_grad():
        ref = model(x)
    report = fold_batchnorm(model, x)
    assert report.folded == []
    assert sorted(report.kept) == ["after_act.2", "bn"]
    with torch.no_grad():
        assert torch.equal(model(x), ref)


def test_timm_batchnorm_act_keeps_its_activation():
    from timm.layers import BatchNormAct2d

    model = nn.Sequential(nn.Conv2d(3, 8, 3), BatchNormAct2d(8, act_layer=nn.ReLU)).eval()
    _randomise_batchnorm(model)
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        ref = model(x)
    report = fold_batchnorm(model, x)
    assert report.folded == [("0", "1")]
    assert [type(m).__name__ for m in model[1]] == ["Identity", "ReLU"]  # drop (none) and act
    with torch.no_grad():
        assert _rel_diff(ref, model(x)) <= REL


def test_fold_refuses_training_mode():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    with pytest.raises(RuntimeError, match="eval mode"):
        fold_batchnorm(model, torch.rand(1, 3, 4, 4))


def test_predict_runs_the_folded_model():
    torch.manual_seed(0)
    model = zoo.load("deeplabv3p-n")
    model.predict(torch.rand(1, 3, 64, 64), imgsz=64, device="cpu", verbose=False)
    inner = model.predictor.model.model
    assert not [n for n, m in inner.named_modules() if isinstance(m, nn.BatchNorm2d)]
    assert [n for n, m in model.model.named_modules() if isinstance(m, nn.BatchNorm2d)]  # the user's model untouched
