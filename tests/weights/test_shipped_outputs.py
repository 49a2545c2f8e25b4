"""Shipped entries give the upstream's numbers: one check per layout, on the smallest model that has it.

Where an entry covers a whole network (encoder, ViT, YOLO26 backbone and neck, whole YOLO26 models), the covered part's
outputs equal the upstream model's with the same (random) weights, within 1e-4. Key coverage of every entry and every
model it serves is in ``test_shipped_entries.py``; the upstream files are built the same way.
"""

from __future__ import annotations

import pytest
import torch
from shipped_helpers import build_upstream, upstream_of
from test_shipped_entries import load_through_mirror

from zoo.weights.manifest import load_manifest

ATOL = 1e-4


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    """``loaded(entry_name, model_name)`` -> (upstream model, zoo model) with the same random weights."""

    def make(entry_name: str, model_name: str):
        entry = load_manifest().get(entry_name)
        file = tmp_path / "upstream" / entry.source.filename
        file.parent.mkdir()
        upstream = build_upstream(*upstream_of(entry), file)
        return upstream, load_through_mirror(entry, model_name, file, tmp_path, monkeypatch).model.float().eval()

    return make


def resnet_stages(net: torch.nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """A torchvision or timm ResNet's features at strides 2, 4, 8, 16, 32 (the stem's activation, then layer1-4)."""
    act = getattr(net, "relu", None) or net.act1  # torchvision calls it relu, timm act1
    y = act(net.bn1(net.conv1(x)))
    feats = [y]
    y = net.maxpool(y)
    for i in range(1, 5):
        y = getattr(net, f"layer{i}")(y)
        feats.append(y)
    return feats


def as_trained(x: torch.Tensor, entry_name: str) -> torch.Tensor:
    """``x`` standardised with the mean/std the entry declares: what the upstream network was trained on."""
    meta = load_manifest().get(entry_name).meta
    return (x - torch.tensor(meta["mean"]).view(1, 3, 1, 1)) / torch.tensor(meta["std"]).view(1, 3, 1, 1)


def assert_all_close(got: list[torch.Tensor], want: list[torch.Tensor]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, atol=ATOL, rtol=0)


@pytest.mark.parametrize("entry_name", ["unet-s.tv_in1k", "unet-s.a1_in1k"])
def test_resnet_encoder_features_equal_the_upstream(loaded, entry_name):
    """torchvision's and timm's ResNet-18 files fill unet-s's timm encoder: the same five feature maps.

    zoo's encoder takes ``[0, 1]`` images and standardises them itself with the entry's mean/std; the upstream
    network takes them standardised, as its own preprocessing gives them.
    """
    upstream, model = loaded(entry_name, "unet-s")
    x = torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert_all_close(model.model[0](x), resnet_stages(upstream, as_trained(x, entry_name)))


def test_mobilenetv3_encoder_features_equal_timm(loaded):
    """timm's MobileNetV3-Large file fills deeplabv3p-n's encoder (output stride 16, as the model builds it)."""
    import timm

    upstream, model = loaded("deeplabv3p-n.ra_in1k", "deeplabv3p-n")
    encoder = model.model[0]
    ref = timm.create_model("mobilenetv3_large_100", features_only=True, out_indices=(0, 1, 2, 3, 4), output_stride=16)
    missing, _ = ref.load_state_dict(upstream.state_dict(), strict=False)  # timm's own loading of its own file
    assert not missing
    x = torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert_all_close(encoder(x), ref.eval()(as_trained(x, "deeplabv3p-n.ra_in1k")))


def test_vit_classifier_logits_equal_timm(loaded):
    """vit-t-cls with its DEFAULT file is timm's ViT-Tiny: same logits (zoo standardises by the weights' 0.5/0.5)."""
    upstream, model = loaded("vit-t-cls.augreg_in21k_ft_in1k", "vit-t-cls")
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        _, logits = model(x)  # eval: (probabilities, logits), as Ultralytics' Classify
        torch.testing.assert_close(logits, upstream((x - 0.5) / 0.5), atol=ATOL, rtol=0)


def _outputs(net: torch.nn.Module, x: torch.Tensor, layers: tuple[int, ...]) -> list[torch.Tensor]:
    """The outputs of some layers of an Ultralytics-style model, captured with forward hooks."""
    seen: dict[int, torch.Tensor] = {}
    hooks = [net.model[i].register_forward_hook(lambda m, a, out, i=i: seen.__setitem__(i, out)) for i in layers]
    try:
        with torch.no_grad():
            net(x)
    finally:
        for h in hooks:
            h.remove()
    return [seen[i] for i in layers]


def test_yolo26_backbone_and_neck_equal_ultralytics_in_sharedhead(loaded):
    """yolo26n.pt fills sharedhead-n's layers 0-22: its P3/P4/P5 neck outputs are Ultralytics' own."""
    upstream, model = loaded("yolo26n.coco", "sharedhead-n")
    x = torch.rand(1, 3, 128, 160, generator=torch.Generator().manual_seed(1))
    assert_all_close(_outputs(model, x, (16, 19, 22)), _outputs(upstream, x, (16, 19, 22)))


@pytest.mark.parametrize("entry_name, model_name", [("yolo26n.coco", "yolo26n"), ("yolo26n-sem.cityscapes", "yolo26n-sem")])
def test_whole_yolo26_models_equal_ultralytics(loaded, entry_name, model_name):
    """The stock YAMLs with their DEFAULT files are Ultralytics' models: every layer's output is equal."""
    upstream, model = loaded(entry_name, model_name)
    layers = tuple(range(len(upstream.model)))
    x = torch.rand(1, 3, 128, 160, generator=torch.Generator().manual_seed(1))
    got, want = _outputs(model, x, layers), _outputs(upstream, x, layers)
    for g, w in zip(got, want):
        assert_all_close(*(_tensors(v) for v in (g, w)))


def _tensors(value) -> list[torch.Tensor]:
    """Every tensor in a layer's output (heads return tuples and dicts of them), in a fixed order."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for k in sorted(value) for t in _tensors(value[k])]
    return [t for v in value for t in _tensors(v)]
