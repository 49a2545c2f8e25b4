"""vit-t-cls through Ultralytics' classify engine: train, val, predict, ONNX export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import ultralytics

import zoo
from zoo.architectures.vit.modules import ViTClassify
from zoo.data import make_classification_dataset

ASSETS = Path(ultralytics.__file__).parent / "assets"
TRAIN = dict(epochs=1, imgsz=64, batch=4, workers=0, device="cpu", amp=False, plots=False, verbose=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """vit-t-cls trained one epoch on a tiny synthetic set; returns (model, data dir)."""
    root = tmp_path_factory.mktemp("vitcls")
    data = make_classification_dataset(root / "data", n_train=8, n_val=4, imgsz=64, nc=2)
    model = zoo.load("vit-t-cls", task="classify")
    model.train(data=str(data), project=str(root / "runs"), name="cls", exist_ok=True, **TRAIN)
    return model, data


def test_head_resized_to_the_dataset(trained):
    model, _ = trained
    head = model.model.model[-1]
    assert isinstance(head, ViTClassify) and head.linear.out_features == 2
    assert list(model.model.names) == [0, 1] and model.model.names[1].endswith("rectangle")


def test_val_and_predict(trained, tmp_path):
    model, data = trained
    metrics = model.val(data=str(data), imgsz=64, batch=4, workers=0, device="cpu", plots=False, project=str(tmp_path))
    assert {"metrics/accuracy_top1", "metrics/accuracy_top5"} <= set(metrics.results_dict)
    result = model.predict(ASSETS / "bus.jpg", imgsz=64, device="cpu", verbose=False)[0]
    assert result.probs is not None and result.probs.data.shape == (2,)
    assert float(result.probs.data.sum()) == pytest.approx(1.0, abs=1e-4)


def test_onnx_matches_torch(trained):
    ort = pytest.importorskip("onnxruntime")
    model, _ = trained
    onnx_file = model.export(format="onnx", imgsz=64, simplify=False, device="cpu")
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    session = ort.InferenceSession(onnx_file, providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        probs, _ = model.model.eval()(x)
    np.testing.assert_allclose(onnx_out, probs.numpy(), rtol=1e-4, atol=1e-5)


def test_imgsz_not_divisible_by_patch(trained):
    model, _ = trained
    with pytest.raises(ValueError, match="divisible by its patch size"):
        model.model.eval()(torch.rand(1, 3, 72, 72))
