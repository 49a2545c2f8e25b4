"""LR-ASPP (torchvision's layout): exact reproduction of torchvision's model, output modes, fine-tuning."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from semantic_helpers import build
from torchvision_seg_helpers import assert_entry_reproduces_torchvision, entries, save_torchvision

import zoo
from zoo.architectures.lraspp.convert import from_torchvision


@pytest.mark.parametrize("entry", entries("lraspp"))
def test_shipped_entry_reproduces_torchvision(tmp_path, entry):
    """Each shipped entry, sourced from a torchvision file with random weights: all keys, same logits."""
    assert_entry_reproduces_torchvision(entry, tmp_path)


def test_logits_at_stride_8_in_training_and_eval_and_the_loss_runs():
    """No auxiliary head: training and eval both give stride-8 logits, which Ultralytics' loss takes."""
    model = build("lraspp-n", nc=5).train()
    model.args = SimpleNamespace(data="")  # the loss reads the dataset name from model.args
    x = torch.rand(2, 3, 64, 96)
    out = model(x)
    assert isinstance(out, torch.Tensor) and out.shape == (2, 5, 8, 12)
    masks = torch.randint(0, 5, (2, 64, 96))
    loss, items = model.loss({"semantic_mask": masks, "img": x}, out)
    assert torch.isfinite(loss).all() and items["aux_loss"] == 0
    with torch.no_grad():
        assert model.eval()(x).shape == (2, 5, 8, 12)


def test_new_nc_keeps_everything_but_the_two_classifiers(tmp_path):
    """Fine-tuning to 4 classes: only LR-ASPP's low and high 1×1 classifiers start fresh."""
    path = tmp_path / "lraspp_mobilenet_v3_large.pth"
    save_torchvision("lraspp-n", path)
    model = zoo.load("lraspp-n", weights=path, allow_pickle=True, converter=from_torchvision, nc=4)
    report = model.load_report
    expected = [f"model.3.classifier.{c}_classifier.{p}" for c in ("high", "low") for p in ("bias", "weight")]
    assert sorted(report.mismatched) == expected
    assert not report.missing and not report.unexpected


def test_converter_refuses_an_aux_classifier():
    """torchvision's LR-ASPP has no auxiliary head: such keys are not silently dropped."""
    with pytest.raises(ValueError, match=r"LR-ASPP layout: \['aux_classifier.0.weight'\]"):
        from_torchvision({"backbone.0.0.weight": torch.zeros(1), "aux_classifier.0.weight": torch.zeros(1)})


def test_one_channel_input_rebuilds_the_stem_and_skips_normalisation():
    """``ch=1``: the stem convolution takes one channel and the ImageNet standardisation (3 channels) is off."""
    model = build("lraspp-n", nc=2, ch=1).eval()
    backbone = model.model[0]
    assert backbone.body["0"][0].in_channels == 1 and not backbone.normalize
    with torch.no_grad():
        assert model(torch.rand(1, 1, 64, 64)).shape == (1, 2, 8, 8)
