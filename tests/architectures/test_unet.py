"""U-Net: the classic network's size, shapes for any input size, exact conversion of smp checkpoints."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from semantic_helpers import assert_reference_bn, build, imagenet_normalized, read_smp, save_smp

from zoo.architectures.unet.convert import from_smp


@pytest.fixture(scope="module")
def classic():
    return build("unet-classic", nc=2).eval()


@pytest.fixture(scope="module")
def unet_s():
    return build("unet-s", nc=3).eval()


def test_classic_parameter_count(classic):
    """Ronneberger et al.'s U-Net (64..1024 channels) has 31.0M parameters for 3 input channels and 2 classes."""
    n = sum(p.numel() for p in classic.parameters())
    assert n == 31_037_698


@pytest.mark.parametrize("size", [(64, 64), (48, 80), (50, 70), (33, 47)])
def test_classic_logits_at_input_size(classic, size):
    with torch.no_grad():
        assert classic(torch.rand(1, 3, *size)).shape == (1, 2, *size)


@pytest.mark.parametrize("size", [(64, 64), (96, 160), (100, 70)])
def test_encoder_unet_logits_at_stride_1(unet_s, size):
    """Not a multiple of 32: every decoder step resizes to its skip; the last one doubles the stride-2 map."""
    with torch.no_grad():
        y = unet_s(torch.rand(2, 3, *size))
    assert y.shape == (2, 3, *(2 * math.ceil(s / 2) for s in size))


def test_export_mode_gives_class_map(unet_s):
    m = copy.deepcopy(unet_s)
    m.model[-1].export, m.model[-1].format = True, "onnx"
    with torch.no_grad():
        y = m(torch.rand(1, 3, 64, 96))
    assert y.shape == (1, 64, 96) and y.dtype == torch.uint8


def test_inputs_smaller_than_the_stride_are_clear_errors(classic, unet_s):
    with pytest.raises(ValueError, match="smaller than the network's total stride"):
        classic(torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError, match="smaller than the encoder's output stride 32"):
        unet_s(torch.rand(1, 3, 16, 64))


@pytest.mark.parametrize("encoder", ["resnet18", "tu-resnet18"])
def test_smp_checkpoint_converts_exactly(tmp_path, encoder):
    ref = save_smp("Unet", tmp_path, encoder_name=encoder, classes=4)
    state_dict, overrides = from_smp(*read_smp(tmp_path))
    zoo_model = build("unet-s", overrides)
    assert_reference_bn(zoo_model)
    result = zoo_model.load_state_dict(state_dict, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    zoo_model.eval()
    x = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        torch.testing.assert_close(zoo_model(x), ref(imagenet_normalized(x)), atol=1e-4, rtol=0)


def test_smp_options_zoo_does_not_mirror_are_refused():
    with pytest.raises(ValueError, match="decoder_attention_type"):
        from_smp({}, {"encoder_name": "resnet18", "decoder_attention_type": "scse"})
    with pytest.raises(ValueError, match="without a zoo counterpart"):
        from_smp({"decoder.center.0.0.weight": torch.zeros(1)}, {"encoder_name": "resnet18"})
