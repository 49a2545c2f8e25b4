"""ViT backbone and classifier: timm as the numerical oracle, parameter counts, loading and bad input."""

from __future__ import annotations

import pytest
import timm
import torch
from safetensors.torch import save_file

import zoo
from zoo.architectures.vit.convert import EmbeddingWidthError, from_timm
from zoo.architectures.vit.modules import VARIANTS, ViTBackbone
from zoo.nn.models import ZooClassificationModel


def _timm(variant: str, **kwargs) -> torch.nn.Module:
    torch.manual_seed(0)
    return timm.create_model(VARIANTS[variant], pretrained=False, **kwargs).eval()


def _backbone_from(reference: torch.nn.Module, variant: str = "tiny") -> ViTBackbone:
    block = ViTBackbone(3, variant).eval()
    block.vit.load_state_dict(reference.state_dict(), strict=False)  # timm's head is not part of the backbone
    return block


@pytest.mark.parametrize("hw", [(224, 224), (160, 96)])
def test_features_equal_timm(hw):
    """Same weights, same tokens: at the pre-training grid and, resampled like timm's dynamic size, at another."""
    reference = _timm("tiny", dynamic_img_size=hw != (224, 224))
    block = _backbone_from(reference)
    x = torch.randn(2, 3, *hw, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(block.forward_features(x), reference.forward_features(x), rtol=0, atol=1e-5)


def test_forward_outputs_pooled_and_map_of_standardised_input():
    reference = _timm("tiny")
    block = _backbone_from(reference)
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))  # Ultralytics' [0, 1] images
    with torch.no_grad():
        pooled, fmap = block(x)
        tokens = reference.forward_features((x - 0.5) / 0.5)  # the weights' mean/std
    assert block.out_channels == [192, 192] and fmap.shape == (2, 192, 14, 14)
    torch.testing.assert_close(pooled, tokens[:, 0], rtol=0, atol=1e-5)
    torch.testing.assert_close(fmap.flatten(2).transpose(1, 2), tokens[:, 1:], rtol=0, atol=1e-5)


@pytest.mark.parametrize("scale", ["t", "s", "b"])
def test_parameter_counts_match_timm(scale):
    variant = {"t": "tiny", "s": "small", "b": "base"}[scale]
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    reference = timm.create_model(VARIANTS[variant], pretrained=False, num_classes=10)
    model = ZooClassificationModel(f"vit-{scale}-cls", nc=10, verbose=False)
    assert count(model.model[0]) == count(reference) - count(reference.head)  # timm's network without classifier
    assert count(model) == count(reference)  # + timm's head Linear


def test_size_not_divisible_by_patch_is_a_clear_error():
    block = ViTBackbone(3, "tiny")
    with pytest.raises(ValueError, match=r"divisible by its patch size 16x16, got 100x64.*imgsz=112"):
        block(torch.rand(1, 3, 100, 64))


def test_unknown_variant_lists_the_known_ones():
    with pytest.raises(ValueError, match="base.*small.*tiny"):
        ViTBackbone(3, "huge")


def _timm_file(tmp_path, variant="tiny", **kwargs):
    reference = _timm(variant, **kwargs)
    path = tmp_path / f"{variant}.safetensors"
    save_file({k: v.contiguous() for k, v in reference.state_dict().items()}, str(path), metadata={"layout": "timm"})
    return reference, path


def test_timm_checkpoint_gives_timm_logits(tmp_path):
    reference, path = _timm_file(tmp_path)
    model = zoo.load("vit-t-cls", weights=path)
    assert model.load_report.ok, str(model.load_report)
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    net = model.model.eval()
    with torch.no_grad():
        probs, logits = net(x)
        torch.testing.assert_close(logits, reference((x - 0.5) / 0.5), rtol=0, atol=1e-4)
    torch.testing.assert_close(probs, logits.softmax(1))


def test_checkpoint_of_another_width_names_both_widths(tmp_path):
    _, path = _timm_file(tmp_path, "small")
    with pytest.raises(EmbeddingWidthError, match=r"width 384 \(vit_small_patch16_224\).*width 192 \(vit_tiny"):
        zoo.load("vit-t-cls", weights=path)


def test_other_number_of_classes_reinitialises_only_the_head(tmp_path):
    _, path = _timm_file(tmp_path)
    report = zoo.load("vit-t-cls", weights=path, nc=7).load_report
    assert report.mismatched == {"model.2.linear.weight": ((1000, 192), (7, 192)), "model.2.linear.bias": ((1000,), (7,))}
    assert not report.missing and not report.unexpected
    assert sum(k.startswith("model.0.vit.") for k in report.loaded) == len(ViTBackbone(3, "tiny").vit.state_dict())


def test_checkpoint_at_another_grid_is_resampled(tmp_path):
    reference, path = _timm_file(tmp_path, img_size=112)  # 7x7 position grid, as a checkpoint trained at 112
    model = ZooClassificationModel("vit-t-cls", verbose=False)
    report = zoo.weights.load_weights(model, path, converter=from_timm)  # explicit converter: no layout needed
    assert report.ok, str(report)
    expected = timm.layers.resample_abs_pos_embed(reference.pos_embed, new_size=(14, 14), num_prefix_tokens=1)
    torch.testing.assert_close(model.model[0].vit.pos_embed.data, expected.data)


def test_timm_checkpoint_into_the_detector_loads_the_backbone(tmp_path):
    _, path = _timm_file(tmp_path)
    report = zoo.load("vitdet-t", weights=path, nc=3).load_report
    assert sorted(report.loaded) == sorted(k for k in zoo.load("vitdet-t").model.state_dict() if k.startswith("model.0."))
    assert report.unexpected == ["timm.head.weight", "timm.head.bias"]  # no classifier in a detector
    assert {k.split(".")[1] for k in report.missing} == {"2", "6"}  # pyramid and head start fresh
