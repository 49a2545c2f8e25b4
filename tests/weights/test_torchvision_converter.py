"""The ``torchvision`` layout: ResNet classifiers go into timm-based encoders, checked against both libraries."""

from __future__ import annotations

import pytest
import timm
import torch
import torchvision

from zoo.weights.converters import get_converter
from zoo.weights.errors import WeightsError


@pytest.mark.parametrize("arch", ["resnet18", "resnet34", "resnet50", "resnet101"])
def test_torchvision_and_timm_resnets_name_and_shape_tensors_alike(arch):
    """The converter keeps key names: that is only right while both libraries agree, for every shipped depth."""
    tv = getattr(torchvision.models, arch)(weights=None).state_dict()
    tm = timm.create_model(arch, pretrained=False).state_dict()
    assert list(tv) == list(tm)
    assert all(tv[k].shape == tm[k].shape for k in tv)


class Holder(torch.nn.Module):
    """A model holding timm's ResNet-18 encoder two levels down, as zoo's TimmEncoder layer does."""

    def __init__(self):
        super().__init__()
        self.model = torch.nn.ModuleList([torch.nn.Module()])
        self.model[0].model = timm.create_model("resnet18", pretrained=False, features_only=True)


def test_resnet_file_goes_under_the_encoder():
    sd = torchvision.models.resnet18(weights=None).state_dict()
    out = get_converter("torchvision")({f"module.{k}": v for k, v in sd.items()}, Holder())  # DDP prefix stripped
    assert set(out) == {f"model.0.model.{k}" for k in sd}
    assert out.notes == ["torchvision ResNet keys (timm's names) placed under 'model.0.model.'"]


def test_other_torchvision_families_are_refused_by_name():
    sd = torchvision.models.mobilenet_v3_large(weights=None).state_dict()
    with pytest.raises(WeightsError, match=r"are not a torchvision ResNet classifier's \(e\.g\. features\.0\.0\.weight"):
        get_converter("torchvision")(sd, Holder())


def test_a_file_already_in_the_models_keys_is_taken_as_is():
    """A model made of torchvision modules (not a ResNet here) takes its own state dict unchanged."""
    net = torchvision.models.mobilenet_v3_large(weights=None)
    sd = net.state_dict()
    out = get_converter("torchvision")(sd, net)
    assert list(out) == list(sd) and all(out[k] is sd[k] for k in sd)
