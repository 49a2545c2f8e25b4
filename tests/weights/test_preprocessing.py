"""Preprocessing follows the weights: each entry's mean/std is applied once, inside the model, on every path.

Ultralytics hands every model ``[0, 1]`` images (train, val, predict) and exports the same graph, so zoo's encoders
standardise inside the model with the statistics of the weights they carry. The upstream networks are fed as their
own pipelines feed them: standardised by the entry's mean/std.
"""

from __future__ import annotations

import pytest
import torch
from shipped_helpers import serve_entry
from test_shipped_outputs import resnet_stages
from ultralytics.utils import ASSETS

import zoo

ATOL = 1e-4
BUS = ASSETS / "bus.jpg"  # shipped with Ultralytics


def standardized(x: torch.Tensor, mean, std) -> torch.Tensor:
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


@pytest.fixture
def through_mirror(tmp_path, monkeypatch):
    """``through_mirror(entry_name, model_name, **changes)`` -> (upstream, zoo model, entry fields as loaded)."""

    def load(entry_name: str, model_name: str, **changes):
        upstream, manifest = serve_entry(entry_name, tmp_path, monkeypatch, **changes)
        entry = manifest.get(entry_name)
        model = zoo.load(model_name, weights=f"{model_name}.{entry.tag}", manifest=manifest)
        return upstream, model, {**entry.meta, **changes}

    return load


def test_predict_feeds_raw_images_and_the_encoder_standardises_once(through_mirror):
    """bus.jpg through ``predict``: the encoder's features equal torchvision's ResNet-18 on the standardised image."""
    upstream, model, meta = through_mirror("unet-s.tv_in1k", "unet-s")
    encoder = model.model.model[0]
    seen = {}
    hook = encoder.register_forward_hook(lambda m, args, out: seen.update(x=args[0].detach(), feats=out))
    try:
        model.predict(BUS, imgsz=128, verbose=False)
    finally:
        hook.remove()
    x = seen["x"].float()
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.9, "the predictor must feed [0, 1] images"
    with torch.no_grad():
        want = resnet_stages(upstream, standardized(x, meta["mean"], meta["std"]))
    assert len(seen["feats"]) == len(want)
    for got, ref in zip(seen["feats"], want):
        torch.testing.assert_close(got.float(), ref, atol=ATOL, rtol=0)


def test_the_entrys_statistics_replace_the_models_defaults(through_mirror):
    """An entry's own mean/std (here unlike timm's defaults) is what the model then applies, and the report says so."""
    mean, std = [0.3, 0.4, 0.5], [0.2, 0.25, 0.3]
    upstream, model, _ = through_mirror("vit-t-cls.augreg_in21k_ft_in1k", "vit-t-cls", mean=mean, std=std)
    assert any("standardises inputs with" in n and str(mean) in n for n in model.load_report.notes), model.load_report
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        _, logits = model.model.eval()(x)
        torch.testing.assert_close(logits, upstream(standardized(x, mean, std)), atol=ATOL, rtol=0)


def test_an_encoder_built_without_standardisation_is_reported(tmp_path, monkeypatch):
    """``normalize: false`` and ImageNet weights: the weights load, and the report tells the user to standardise."""
    from zoo.nn.models import ZooSemanticModel, model_dict
    from zoo.weights import load_weights

    _, manifest = serve_entry("unet-s.tv_in1k", tmp_path, monkeypatch)
    entry = manifest.get("unet-s.tv_in1k")
    d = model_dict("unet-s")
    d["symbols"]["normalize"] = False  # as in a user's copy of unet.yaml
    model = ZooSemanticModel(d, nc=21, verbose=False)
    report = load_weights(model, f"unet-s.{entry.tag}", model_name="unet-s", manifest=manifest)
    assert any("built with normalize off" in n for n in report.notes), report


def test_files_without_statistics_leave_the_model_as_built(tmp_path):
    """A bare file (no entry, so no declared mean/std) keeps the encoder's own standardisation, unchanged."""
    import timm

    from zoo.weights import load_weights

    model = zoo.load("unet-s").model
    encoder = model.model[0]
    before = (encoder.mean.clone(), encoder.std.clone(), encoder.normalize)
    file = tmp_path / "resnet18.pth"
    torch.save(timm.create_model("resnet18", pretrained=False).state_dict(), file)
    report = load_weights(model, file, allow_pickle=True)
    assert not any("standardis" in n for n in report.notes), report
    assert torch.equal(encoder.mean, before[0]) and torch.equal(encoder.std, before[1]) and encoder.normalize


def test_the_entrys_input_size_is_the_default_imgsz(through_mirror):
    """vit-t-cls with its 224-pixel weights predicts at 224 unless told otherwise (timm's data config does so)."""
    _, model, meta = through_mirror("vit-t-cls.augreg_in21k_ft_in1k", "vit-t-cls")
    shapes = []
    hook = model.model.model[0].register_forward_hook(lambda m, args, out: shapes.append(tuple(args[0].shape[-2:])))
    try:
        model.predict(BUS, verbose=False)
        default = shapes[-1]  # the image's forward pass comes last (after the backend's warm-up)
        model.predict(BUS, imgsz=64, verbose=False)
        given = shapes[-1]
    finally:
        hook.remove()
    assert meta["input_size"][-2:] == [224, 224]
    assert (default, given) == ((224, 224), (64, 64))
