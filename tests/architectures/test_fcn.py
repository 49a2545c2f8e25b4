"""FCN (torchvision's layout): exact reproduction of torchvision's models and the auxiliary head in training."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from semantic_helpers import build
from torchvision_seg_helpers import assert_entry_reproduces_torchvision, entries

from zoo.architectures.fcn.convert import from_torchvision


@pytest.mark.parametrize("entry", entries("fcn"))
def test_shipped_entry_reproduces_torchvision(tmp_path, entry):
    """Each shipped entry, sourced from a torchvision file with random weights: all keys, same logits."""
    assert_entry_reproduces_torchvision(entry, tmp_path)


def test_training_output_is_main_and_aux_at_stride_8():
    """Both FCN heads read stride-8 features (layer4, layer3); Ultralytics' loss adds the aux term."""
    model = build("fcn-m", nc=3).train()
    model.args = SimpleNamespace(data="")  # the loss reads the dataset name from model.args
    x = torch.rand(1, 3, 64, 48)
    main, aux = model(x)
    assert main.shape == aux.shape == (1, 3, 8, 6)
    loss, items = model.loss({"semantic_mask": torch.randint(0, 3, (1, 64, 48)), "img": x}, (main, aux))
    assert torch.isfinite(loss).all() and items["aux_loss"] > 0


def test_converter_refuses_keys_outside_the_layout():
    with pytest.raises(ValueError, match=r"FCN layout: \['backbone_fc.weight'\]"):
        from_torchvision({"backbone_fc.weight": torch.zeros(1)})
