"""Load reports, converters, structural alignment, load_weights and publish."""

from __future__ import annotations

import logging
import sys
import types

import pytest
import torch
from torch import nn

from zoo.weights import (
    LoadReport,
    PickleRefusedError,
    WeightsError,
    load_into,
    load_manifest,
    load_weights,
    publish,
    register_converter,
    verify,
)
from zoo.weights.converters import get_converter, infer_prefix
from zoo.weights.io import read_safetensors_metadata


class Net(nn.Module):
    """Tiny stand-in for a zoo model: a body and a classification head."""

    def __init__(self, nc=4):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
        self.head = nn.Linear(8, nc)
        self.nc = nc
        self.names = {i: f"c{i}" for i in range(nc)}
        self.yaml = {"nc": nc, "scale": "s", "backbone": [[-1, 1, "Conv", [8, 3]]]}


def test_report_lists_every_key_and_groups_by_layer():
    src, dst = Net(nc=4), Net(nc=2)
    sd = src.state_dict()
    sd["extra.weight"] = torch.zeros(1)
    del sd["body.1.running_var"]
    report = load_into(dst, sd, verbose=False)
    assert isinstance(report, LoadReport)
    assert report.mismatched == {"head.weight": ((4, 8), (2, 8)), "head.bias": ((4,), (2,))}
    assert report.missing == ["body.1.running_var"]
    assert report.unexpected == ["extra.weight"]
    assert "body.0.weight" in report.loaded and torch.equal(dst.body[0].weight, src.body[0].weight)
    text = str(report)
    assert "reinitialised 2" in text and "head: weight (4, 8) -> (2, 8)" in text
    assert "missing 1: body.1 (1)" in text and "unexpected 1: extra (1)" in text


def test_strict_raises_and_loads_nothing():
    src, dst = Net(nc=4), Net(nc=2)
    before = dst.body[0].weight.clone()
    with pytest.raises(RuntimeError, match="(?s)strict loading failed.*head: weight"):
        load_into(dst, src.state_dict(), strict=True, verbose=False)
    assert torch.equal(dst.body[0].weight, before)


def test_converter_registry_rejects_duplicates_and_finds_by_arch():
    @register_converter("smp", arch="testarch")
    def conv(sd, model):
        return sd

    with pytest.raises(WeightsError, match="already registered"):
        register_converter("smp", arch="testarch")(lambda sd, m: sd)
    assert get_converter("smp", arch="testarch") is conv
    with pytest.raises(WeightsError, match="no converter for layout 'smp' and architecture 'other'"):
        get_converter("smp", arch="other")


def test_converter_named_in_catalog_metadata_is_imported(monkeypatch):
    module = types.ModuleType("fake_arch_convert")
    module.to_zoo = lambda sd, m: {"renamed." + k: v for k, v in sd.items()}
    monkeypatch.setitem(sys.modules, "fake_arch_convert", module)
    catalog = types.ModuleType("zoo.catalog")
    info = types.SimpleNamespace(arch="fakearch", task="semantic", converters={"smp": "fake_arch_convert:to_zoo"})
    catalog.get_architecture = lambda name: info if name == "fakearch-s" else (_ for _ in ()).throw(KeyError(name))
    monkeypatch.setitem(sys.modules, "zoo.catalog", catalog)
    assert get_converter("smp", model_name="fakearch-s") is module.to_zoo


def test_timm_converter_infers_the_backbone_prefix():
    class Wrapper(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = nn.Sequential(nn.Module())
            self.model[0].backbone = Net()
            self.model[0].decoder = nn.Conv2d(8, 2, 1)

    timm_sd = {"module." + k: v for k, v in Net().state_dict().items()}  # DDP-wrapped timm checkpoint
    w = Wrapper()
    assert infer_prefix(Net().state_dict(), w.state_dict()) == "model.0.backbone."
    report = load_into(w, timm_sd, converter=get_converter("timm"), verbose=False)
    assert not report.unexpected and not report.mismatched
    assert report.missing == ["model.0.decoder.weight", "model.0.decoder.bias"]
    assert any("model.0.backbone." in n for n in report.notes)


class Yolo(nn.Module):
    """Ultralytics-shaped model: ``model.<i>`` layers."""

    def __init__(self, insert=False, nc=3):
        super().__init__()
        layers = [nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Conv2d(8, 16, 3)]
        if insert:
            layers.insert(2, nn.Conv2d(8, 8, 1))  # a layer inserted into the YAML
        layers.append(nn.Linear(16, nc))
        self.model = nn.Sequential(*layers)


def test_structural_alignment_after_a_layer_is_inserted():
    ckpt = Yolo(nc=3).state_dict()
    model = Yolo(insert=True, nc=5)
    report = load_into(model, ckpt, converter=get_converter("ultralytics"), verbose=False)
    assert "model.3.weight" in report.loaded  # old layer 2 found at its new index 3
    assert torch.equal(model.model[3].weight, ckpt["model.2.weight"])
    assert report.mismatched == {"model.4.weight": ((3, 16), (5, 16)), "model.4.bias": ((3,), (5,))}
    assert report.missing == ["model.2.weight", "model.2.bias"] and not report.unexpected
    assert any("2-3 -> 3-4" in n for n in report.notes), report.notes


def test_load_weights_by_name_with_nc_change_logs_head_reinit(tmp_path, write_manifest, caplog):
    src = Net(nc=4)
    entry_ = publish(src, name="net-s.toy", out_dir=tmp_path / "pub", metrics={"top1": 0.5},
                     manifest=tmp_path / "toy.json", default=True)
    assert entry_.sha256 and entry_.meta["metrics"] == {"top1": 0.5} and entry_.nc == 4
    manifest = load_manifest(tmp_path / "toy.json")
    model = Net(nc=2)
    from ultralytics.utils import LOGGER

    LOGGER.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO):
            report = load_weights(model, "DEFAULT", model_name="net-s", manifest=manifest)
    finally:
        LOGGER.removeHandler(caplog.handler)
    assert set(report.mismatched) == {"head.weight", "head.bias"} and not report.missing
    assert "Head re-initialised: net-s.toy was trained with nc=4, the model has nc=2" in caplog.text
    assert torch.equal(model.body[0].weight, src.body[0].weight)
    assert verify("net-s.toy", manifest=manifest)


def test_publish_writes_metadata_and_roundtrips_by_path(tmp_path):
    src = Net(nc=4)
    e = publish(src, name="net-s.toy", out_dir=tmp_path)
    path = tmp_path / "net-s.toy.safetensors"
    meta = read_safetensors_metadata(path)
    assert meta["layout"] == "zoo" and meta["scale"] == "s" and meta["nc"] == "4"
    assert meta["names"] == '["c0", "c1", "c2", "c3"]' and '"backbone"' in meta["yaml"]
    assert e.source.raw == "net-s.toy.safetensors" and e.format == "safetensors" and e.layout == "zoo"
    dst = Net(nc=4)
    report = load_weights(dst, str(path))
    assert report.ok and torch.equal(dst.head.weight, src.head.weight)
    assert not list(tmp_path.glob("*.incomplete"))


def test_publish_from_pickled_checkpoint_needs_trust(tmp_path):
    path = tmp_path / "best.pt"
    torch.save({"model": Net(nc=4).half(), "ema": None, "train_metrics": {"metrics/mIoU": 0.7}}, path)
    with pytest.raises(PickleRefusedError, match=r"best.pt reads a pickled checkpoint; pass allow_pickle=True"):
        publish(path, name="net-s.run1", out_dir=tmp_path)
    e = publish(path, name="net-s.run1", out_dir=tmp_path, allow_pickle="trusted")
    assert e.meta["metrics"] == {"metrics/mIoU": 0.7}
