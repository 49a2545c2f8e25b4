"""Fine-tuning from published weights, end to end: train, publish, serve over HTTP, load by name with another nc, train."""

from __future__ import annotations

import json
from pathlib import Path

import zoo
from zoo.data import make_detection_dataset
from zoo.weights import publish

COMMON = dict(epochs=1, imgsz=64, batch=4, workers=0, device="cpu", amp=False, plots=False, verbose=False)


def test_publish_serve_load_with_other_nc_and_finetune(tmp_path, server, monkeypatch):
    data3 = make_detection_dataset(tmp_path / "data3", n_train=8, n_val=4, imgsz=64, nc=3)
    data2 = make_detection_dataset(tmp_path / "data2", n_train=8, n_val=4, imgsz=64, nc=2, seed=1)

    # A team trains and publishes.
    base = zoo.load("yolo26n.yaml", task="detect")
    base.train(data=str(data3), project=str(tmp_path / "runs"), name="base", **COMMON)
    entry = publish(base.model, name="yolo26n.shapes3", out_dir=tmp_path / "published",
                    metrics={"metrics/mAP50(B)": 0.0}, dataset="synthetic shapes")
    payload = (tmp_path / "published" / "yolo26n.shapes3.safetensors").read_bytes()
    server.routes["/yolo26n.shapes3.safetensors"] = lambda h, i: h.send_bytes(payload)

    # Their manifest points at the server; another user fine-tunes from it by name, with 2 classes.
    manifest = tmp_path / "team_manifest.json"
    raw = {"source": server.url("/yolo26n.shapes3.safetensors"), "sha256": entry.sha256, "size": entry.size,
           "format": "safetensors", "layout": "zoo", "coverage": "model", "license": "unspecified", "nc": 3,
           "default": True}
    manifest.write_text(json.dumps({"schema_version": 1, "weights": {"yolo26n.shapes3": raw}}))
    monkeypatch.setenv("ZOO_MANIFEST", str(manifest))

    model = zoo.load("yolo26n.yaml", task="detect", weights="yolo26n.shapes3", nc=2)
    report = model.load_report
    assert report.loaded and report.mismatched  # backbone and neck copied, class outputs re-initialised
    assert all(".cv3." in k or "one2one_cv3" in k for k in report.mismatched), sorted(report.mismatched)
    assert all(report.mismatched[k][0][0] == 3 and report.mismatched[k][1][0] == 2 for k in report.mismatched)
    assert not report.missing and not report.unexpected
    before = {k: v.clone() for k, v in model.model.state_dict().items() if k.startswith("model.0.")}
    published = zoo.load(tmp_path / "published" / "yolo26n.shapes3.safetensors")
    for k, v in before.items():
        assert (v == published.model.state_dict()[k]).all(), k

    metrics = model.train(data=str(data2), project=str(tmp_path / "runs"), name="finetune", **COMMON)
    assert "metrics/mAP50(B)" in metrics.results_dict
    assert Path(model.trainer.best).exists()
