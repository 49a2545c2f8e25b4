"""Backbone-only weights (timm layout) fill a zoo architecture's encoder and leave its decoder fresh."""

from __future__ import annotations

import hashlib
import json

import timm
import torch
from safetensors.torch import save_file

import zoo


def test_timm_encoder_weights_fill_the_encoder(tmp_path, monkeypatch):
    encoder = timm.create_model("resnet18", pretrained=False)
    state = {k: v.contiguous() for k, v in encoder.state_dict().items()}
    file = tmp_path / "resnet18.safetensors"
    save_file(state, str(file))
    data = file.read_bytes()
    entry = {"source": file.name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
             "format": "safetensors", "layout": "timm", "coverage": "backbone", "license": "apache-2.0"}
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"schema_version": 1, "weights": {"unet-s.in1k": entry}}))
    monkeypatch.setenv("ZOO_MANIFEST", str(manifest))

    model = zoo.load("unet-s", weights="unet-s.in1k")  # by name: the shipped manifest holds unet-s's DEFAULT
    report = model.load_report
    encoder_keys = {k for k in model.model.state_dict() if k.startswith("model.0.")}
    assert set(report.loaded) == encoder_keys  # every encoder tensor, nothing else
    assert report.missing and all(not k.startswith("model.0.") for k in report.missing)
    assert sorted(k.rsplit(".", 2)[-2] for k in report.unexpected) == ["fc", "fc"]  # the classifier, unused
    assert torch.equal(model.model.state_dict()["model.0.model.conv1.weight"], state["conv1.weight"])
