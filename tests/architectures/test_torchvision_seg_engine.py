"""deeplabv3, lraspp and fcn on Ultralytics' semantic engine: train, val, predict and ONNX export through ``zoo.load``.

One tiny training run per family (synthetic data, 64 px, 1 epoch), on the cheapest scale: ``deeplabv3-n``
(logits at stride 16, with the auxiliary head), ``lraspp-n`` (stride 8, no auxiliary head), ``fcn-m`` (stride 8, aux).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import ultralytics

from zoo.api import load
from zoo.data import make_semantic_dataset

BUS = Path(ultralytics.__file__).parent / "assets" / "bus.jpg"
RUN = {"imgsz": 64, "batch": 4, "workers": 0, "device": "cpu", "amp": False, "plots": False, "exist_ok": True}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_semantic_dataset(tmp_path_factory.mktemp("semantic"), n_train=8, n_val=4, imgsz=64, nc=4, seed=0)


@pytest.fixture(scope="module", params=["deeplabv3-n", "lraspp-n", "fcn-m"])
def trained(request, data, tmp_path_factory):
    """(model name, ZooModel after one epoch, train metrics, project dir)."""
    project = tmp_path_factory.mktemp(f"runs-{request.param}")
    model = load(request.param, task="segment")
    metrics = model.train(data=str(data), epochs=1, project=str(project), name="train", **RUN)
    return request.param, model, metrics, project


def test_train_and_val_report_semantic_metrics(trained, data):
    name, model, metrics, project = trained
    assert model.task == "semantic" and model.model.nc == 4
    assert {"metrics/mIoU", "metrics/pixel_acc"} <= set(metrics.results_dict)
    val = model.val(data=str(data), project=str(project), name="val", **RUN)
    assert 0.0 <= val.results_dict["metrics/mIoU"] <= 1.0
    # the aux head trains too (deeplabv3, fcn): its loss column is logged non-zero
    assert (float(model.trainer.tloss["aux_loss"]) > 0) == (name != "lraspp-n")


def test_predict_bus_gives_mask_at_image_size(trained):
    _, model, _, _ = trained
    (result,) = model.predict(str(BUS), imgsz=64, device="cpu")
    h, w = cv2.imread(str(BUS)).shape[:2]
    assert tuple(result.semantic_mask.shape) == (h, w)
    assert int(result.semantic_mask.data.max()) < 4  # class ids of the 4-class dataset


def test_onnx_class_map_equals_torch(trained, data):
    """ONNX Runtime's baked class map equals the torch eval logits upsampled to the input and arg-maxed."""
    ort = pytest.importorskip("onnxruntime")
    _, model, _, _ = trained
    onnx_file = model.export(format="onnx", imgsz=64, simplify=False, device="cpu")
    image = next((Path(data).parent / "images" / "val").glob("*.png"))
    x = cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None].astype(np.float32) / 255
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    (onnx_map,) = session.run(None, {session.get_inputs()[0].name: x})
    net = model.model.float().eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(x))
    torch_map = F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False).argmax(1).numpy()
    assert onnx_map.shape == (1, 64, 64) and onnx_map.dtype == np.uint8
    assert (onnx_map == torch_map).mean() > 0.999
