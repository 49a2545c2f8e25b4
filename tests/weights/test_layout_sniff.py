"""Bare torchvision files loaded by path (no manifest entry, no ``converter=``) are recognised by their keys."""

from __future__ import annotations

import pytest
import torch
import torchvision

import zoo
from zoo.weights import load_weights
from zoo.weights.loading import _guess_layout


def test_a_torchvision_resnet_file_fills_the_timm_encoder(tmp_path):
    """``torch.save(resnet18().state_dict())`` into unet-s: every encoder tensor loads, only ``fc`` is left over."""
    net = torchvision.models.resnet18(weights=None)
    file = tmp_path / "resnet18-custom.pth"
    torch.save(net.state_dict(), file)
    model = zoo.load("unet-s").model
    report = load_weights(model, file, allow_pickle=True)
    encoder_keys = {k for k in model.state_dict() if k.startswith("model.0.")}
    assert set(report.loaded) == encoder_keys, report
    assert sorted(report.unexpected) == ["model.0.model.fc.bias", "model.0.model.fc.weight"], report
    torch.testing.assert_close(model.state_dict()["model.0.model.layer4.1.conv2.weight"],
                               net.state_dict()["layer4.1.conv2.weight"], atol=0, rtol=0)


def test_a_torchvision_segmentation_file_goes_to_its_family_converter(tmp_path):
    """``torch.save(lraspp_mobilenet_v3_large().state_dict())`` into lraspp-n: the whole model, nothing missing."""
    net = torchvision.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None)
    file = tmp_path / "lraspp.pth"
    torch.save(net.state_dict(), file)
    model = zoo.load("lraspp-n").model
    report = load_weights(model, file, allow_pickle=True)
    assert not report.missing and not report.unexpected and not report.mismatched, report


@pytest.mark.parametrize(
    "keys, layout",
    [
        (["conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "fc.weight"], "torchvision"),
        (["module.conv1.weight", "module.layer4.1.bn2.running_var"], "torchvision"),  # saved from DataParallel
        (["backbone.conv1.weight", "classifier.0.weight", "aux_classifier.4.bias"], "torchvision"),
        (["classifier.0.weight"], "zoo"),  # no backbone: not a torchvision segmentation file
        (["conv1.weight", "head.fc.weight"], "zoo"),  # not a ResNet classifier
    ],
)
def test_layout_guessed_from_keys(tmp_path, keys, layout):
    state_dict = dict.fromkeys(keys, torch.zeros(1))
    file = tmp_path / "w.pth"
    torch.save(state_dict, file)
    assert _guess_layout(file, state_dict) == layout
