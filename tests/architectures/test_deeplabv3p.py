"""DeepLabV3+: shapes, stride handling, output modes and exact conversion of smp checkpoints."""

from __future__ import annotations

import copy
import math
from types import SimpleNamespace

import pytest
import torch
from semantic_helpers import assert_reference_bn, build, imagenet_normalized, read_smp, save_smp, upsample_like

from zoo.architectures.deeplabv3p.convert import from_smp


@pytest.fixture(scope="module")
def model():
    m = build("deeplabv3p-s", nc=5)
    return m.eval()


@pytest.mark.parametrize("size", [(64, 64), (96, 128), (100, 100), (65, 97)])
def test_eval_logits_at_stride_4_for_any_size(model, size):
    """Sizes not divisible by the stride work: logits come at ceil(size / 4)."""
    with torch.no_grad():
        y = model(torch.rand(2, 3, *size))
    assert y.shape == (2, 5, *(math.ceil(s / 4) for s in size))


def test_train_output_is_logits_and_loss_runs(model):
    """Training output is stride-4 logits that Ultralytics' semantic loss accepts (ignore label 255 included)."""
    m = copy.deepcopy(model).train()
    m.args = SimpleNamespace(data="")  # the loss reads the dataset name from model.args
    x = torch.rand(2, 3, 64, 64)
    out = m(x)
    assert isinstance(out, torch.Tensor) and out.shape == (2, 5, 16, 16)
    masks = torch.randint(0, 5, (2, 64, 64))
    masks[:, :4] = 255
    loss, _ = m.loss({"semantic_mask": masks, "img": x}, out)
    assert torch.isfinite(loss).all()


def test_export_mode_gives_class_map_at_input_size(model):
    m = copy.deepcopy(model)
    head = m.model[-1]
    head.export, head.format = True, "onnx"
    with torch.no_grad():
        y = m(torch.rand(1, 3, 96, 64))
    assert y.shape == (1, 96, 64) and y.dtype == torch.uint8


def test_input_smaller_than_output_stride_is_a_clear_error(model):
    with pytest.raises(ValueError, match="smaller than the encoder's output stride 16"):
        model(torch.rand(1, 3, 8, 64))


def test_scales_and_output_stride_8():
    m = build("deeplabv3p-n", nc=3, overrides={"symbols": {"output_stride": 8, "rates": [24, 48, 72]}}).eval()
    aspp = m.model[2]
    assert [c[0][0].dilation[0] for c in list(aspp.convs)[1:4]] == [24, 48, 72]
    with torch.no_grad():
        assert m(torch.rand(1, 3, 64, 64)).shape == (1, 3, 16, 16)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"encoder_name": "resnet18"},  # smp's own (torchvision) ResNet, uniformly dilated
        {"encoder_name": "tu-resnet18"},  # timm universal encoder
        {"encoder_name": "resnet18", "encoder_output_stride": 8, "decoder_atrous_rates": (24, 48, 72)},
    ],
    ids=["resnet18", "tu-resnet18", "resnet18-os8"],
)
def test_smp_checkpoint_converts_exactly(tmp_path, kwargs):
    ref = save_smp("DeepLabV3Plus", tmp_path, classes=4, **kwargs)
    state_dict, overrides = from_smp(*read_smp(tmp_path))
    zoo_model = build("deeplabv3p-s", overrides)
    assert_reference_bn(zoo_model)
    result = zoo_model.load_state_dict(state_dict, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    zoo_model.eval()
    x = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        expected = ref(imagenet_normalized(x))  # zoo standardises inside the model, smp's users before it
        got = upsample_like(zoo_model(x), expected.shape[-2:], align_corners=True)  # smp upsamples x4 this way
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=0)


def test_smp_options_zoo_does_not_mirror_are_refused():
    with pytest.raises(ValueError, match="decoder_channels"):
        from_smp({}, {"encoder_name": "resnet18", "decoder_channels": 128})
    with pytest.raises(ValueError, match="no exact timm equivalent"):
        from_smp({}, {"encoder_name": "efficientnet-b0"})


def test_weights_subsystem_loads_smp_files_and_notes_the_dilation(tmp_path):
    """``load_weights(..., converter=rename_keys)`` takes smp files; a dilation mismatch is said in the report."""
    from zoo.weights import load_weights

    from zoo.architectures.deeplabv3p.convert import rename_keys

    save_smp("DeepLabV3Plus", tmp_path, encoder_name="resnet34", classes=21)
    model = build("deeplabv3p-s")  # resnet34 with timm's dilation, smp's own ResNet is dilated uniformly
    report = load_weights(model, tmp_path / "model.safetensors", model_name="deeplabv3p-s", converter=rename_keys)
    assert report.ok, report
    assert any("dilation" in n and "'uniform'" in n for n in report.notes)
