"""DeepLabV3 (torchvision's layout): exact reproduction of torchvision's models, output modes, fine-tuning."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from semantic_helpers import build
from torchvision_seg_helpers import (
    SIZES,
    assert_entry_reproduces_torchvision,
    entries,
    reference,
    save_torchvision,
    zoo_logits,
)

import zoo
from zoo.architectures.deeplabv3.convert import from_torchvision


@pytest.mark.parametrize("entry", entries("deeplabv3"))
def test_shipped_entry_reproduces_torchvision(tmp_path, entry):
    """Each shipped entry, sourced from a torchvision file with random weights: all keys, same logits."""
    assert_entry_reproduces_torchvision(entry, tmp_path)


@pytest.fixture(scope="module")
def tv_file(tmp_path_factory):
    """(path, torchvision model) of ``deeplabv3_mobilenet_v3_large(aux_loss=True)`` saved as torchvision does."""
    path = tmp_path_factory.mktemp("tv") / "deeplabv3_mobilenet_v3_large.pth"
    return path, save_torchvision("deeplabv3-n", path)


def test_torchvision_file_by_path(tv_file):
    """``zoo.load(name, weights=path, allow_pickle=True, converter=...)``: a torchvision ``.pth`` loads exactly."""
    path, tv_model = tv_file
    model = zoo.load("deeplabv3-n", weights=path, allow_pickle=True, converter=from_torchvision)
    assert model.load_report.ok and len(model.load_report.loaded) == len(tv_model.state_dict())
    x = torch.rand(1, 3, *SIZES[1])
    torch.testing.assert_close(zoo_logits(model.model.eval(), x), reference(tv_model, x), atol=1e-4, rtol=0)


def test_training_output_is_main_and_aux_and_the_loss_uses_both(tv_file):
    """Training returns (logits at stride 16, aux logits at stride 8); Ultralytics' loss adds a non-zero aux term."""
    model = build("deeplabv3-n", nc=21)
    model.load_state_dict(from_torchvision(torch.load(tv_file[0], weights_only=True)))
    model.train()
    model.args = SimpleNamespace(data="")  # the loss reads the dataset name from model.args
    x = torch.rand(2, 3, 64, 96)
    main, aux = model(x)
    assert main.shape == (2, 21, 4, 6) and aux.shape == (2, 21, 8, 12)
    masks = torch.randint(0, 21, (2, 64, 96))
    masks[:, :4] = 255
    loss, items = model.loss({"semantic_mask": masks, "img": x}, (main, aux))
    assert torch.isfinite(loss).all() and items["aux_loss"] > 0
    model.eval()
    with torch.no_grad():
        assert isinstance(model(x), torch.Tensor)  # eval: main logits only, the aux head is not run


def test_new_nc_keeps_everything_but_the_last_classifier_layers(tv_file):
    """Fine-tuning to 4 classes: only the two final 1×1 convolutions (main and aux) start fresh."""
    model = zoo.load("deeplabv3-n", weights=tv_file[0], allow_pickle=True, converter=from_torchvision, nc=4)
    report = model.load_report
    expected = [f"model.3.{m}.4.{p}" for m in ("aux_head", "classifier") for p in ("bias", "weight")]
    assert sorted(report.mismatched) == expected
    assert not report.missing and not report.unexpected


def test_without_aux_head_the_aux_keys_are_reported_unexpected(tv_file):
    from zoo.weights import load_weights

    model = build("deeplabv3-n", overrides={"symbols": {"aux": False}})
    report = load_weights(model, tv_file[0], model_name="deeplabv3-n", allow_pickle=True, converter=from_torchvision)
    assert report.unexpected and all(k.startswith("model.3.aux_head.") for k in report.unexpected)
    assert not report.missing and not report.mismatched


def test_converter_refuses_keys_outside_the_layout():
    with pytest.raises(ValueError, match=r"DeepLabV3 layout: \['fc.weight'\]"):
        from_torchvision({"backbone.conv1.weight": torch.zeros(1), "fc.weight": torch.zeros(1)})

