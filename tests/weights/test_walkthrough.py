"""README's fine-tuning walkthrough, run step by step: DEFAULT weights -> fine-tune -> publish -> load by name.

One semantic model (``lraspp-n``: torchvision's whole trained model, new classes) and one detection model
(``sharedhead-n``: YOLO26n's backbone and neck, fresh head). The DEFAULT files are the upstreams' own formats with
random weights, served from a folder mirror (``ZOO_WEIGHTS_MIRROR``) under a manifest that pins their digests; the
README's commands are otherwise the same.
"""

from __future__ import annotations

import pytest
import yaml
import torch
from shipped_helpers import serve_entry
from ultralytics.utils import ASSETS

import zoo
from zoo.data import make_detection_dataset, make_semantic_dataset
from zoo.weights import publish

COMMON = dict(epochs=1, imgsz=64, batch=4, workers=0, device="cpu", amp=False, plots=False, verbose=False)

CASES = {
    # model: (DEFAULT entry, dataset maker, what the new-nc report must re-initialise)
    "lraspp-n": ("lraspp-n.coco_with_voc_labels_v1", make_semantic_dataset, ("model.3.classifier.low_classifier.",
                                                                              "model.3.classifier.high_classifier.")),
    "sharedhead-n": ("yolo26n.coco", make_detection_dataset, ()),
}


@pytest.mark.parametrize("model_name", CASES)
def test_default_weights_to_a_published_finetuned_model(model_name, tmp_path, monkeypatch):
    entry_name, make_dataset, reinitialised = CASES[model_name]
    _, manifest = serve_entry(entry_name, tmp_path, monkeypatch)
    data = make_dataset(tmp_path / "data", n_train=8, n_val=4, imgsz=64, nc=3)

    # 1. DEFAULT weights, 3 classes of one's own: the report says what loaded and what starts fresh.
    model = zoo.load(model_name, weights="DEFAULT", nc=3, manifest=manifest)
    report = model.load_report
    assert report.loaded, report
    if reinitialised:  # a whole trained model: everything but the last classifier layers keeps its weights
        assert report.mismatched and all(k.startswith(reinitialised) for k in report.mismatched), report
        assert not report.missing and not report.unexpected, report
    else:  # backbone + neck: the file's head is left out, the model's is fresh, and the report says so
        head = f"model.{len(model.model.model) - 1}."
        assert "cover the backbone+neck" in str(report) and not report.mismatched, report
        assert report.missing and all(k.startswith(head) for k in report.missing + report.unexpected), report

    # 2. fine-tune
    model.train(data=str(data), project=str(tmp_path / "runs"), name="finetune", **COMMON)

    # 3. publish best.pt (read with the restricted unpickler) as safetensors + a manifest entry
    published = tmp_path / "release" / "weights.json"
    entry = publish(model.trainer.best, name=f"{model_name}.shapes", out_dir=tmp_path / "release",
                    manifest=published, allow_pickle=True, dataset="synthetic shapes")
    assert entry.nc == 3

    # 4. anyone with the manifest loads it by name: every tensor, the same values
    monkeypatch.setenv("ZOO_MANIFEST", str(published))
    again = zoo.load(model_name, weights=f"{model_name}.shapes")
    assert again.load_report.ok and len(again.load_report.loaded) == len(again.model.state_dict())
    best = zoo.load(model.trainer.best).model.float().state_dict()
    for key, value in again.model.state_dict().items():
        torch.testing.assert_close(value, best[key], atol=0, rtol=0, msg=key)
    result = again.predict(ASSETS / "bus.jpg", imgsz=64, verbose=False)[0]
    names = yaml.safe_load(data.read_text())["names"]
    assert list(result.names.values()) == (list(names.values()) if isinstance(names, dict) else names)
