"""The SharedDetect detectors (YOLO26 body, ViT body) through Ultralytics' detect engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import ultralytics
from ultralytics import YOLO

import zoo
from zoo.architectures.sharedhead.modules import SharedDetect
from zoo.data import make_detection_dataset

ASSETS = Path(ultralytics.__file__).parent / "assets"
TRAIN = dict(epochs=1, imgsz=64, batch=4, workers=0, device="cpu", amp=False, plots=False, verbose=False)
MODELS = ["sharedhead-n", "vitdet-t"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_detection_dataset(tmp_path_factory.mktemp("det") / "data", n_train=8, n_val=4, imgsz=64, nc=3)


@pytest.fixture(scope="module", params=MODELS)
def trained(request, data, tmp_path_factory):
    """Each detector trained one epoch on the tiny synthetic set."""
    model = zoo.load(request.param, task="detect")
    runs = tmp_path_factory.mktemp("runs")
    model.train(data=str(data), project=str(runs), name=request.param, exist_ok=True, **TRAIN)
    return model


def test_trained_head_is_shared_detect(trained):
    head = trained.model.model[-1]
    assert isinstance(head, SharedDetect) and head.nc == 3
    assert (Path(trained.trainer.save_dir) / "weights" / "best.pt").exists()


def test_val_reports_map(trained, data, tmp_path):
    metrics = trained.val(data=str(data), imgsz=64, batch=4, workers=0, device="cpu", plots=False,
                          project=str(tmp_path))
    assert {"metrics/mAP50(B)", "metrics/mAP50-95(B)"} <= set(metrics.results_dict)


@pytest.mark.parametrize("image", ["bus.jpg", "zidane.jpg"])
def test_predict_boxes_in_original_image_coordinates(trained, image):
    result = trained.predict(ASSETS / image, imgsz=64, conf=0.0, max_det=50, device="cpu", verbose=False)[0]
    h, w = result.orig_shape
    assert (h, w) == {"bus.jpg": (1080, 810), "zidane.jpg": (720, 1280)}[image]
    boxes = result.boxes
    assert len(boxes) > 0 and boxes.data.shape[1] == 6
    xyxy = boxes.xyxy
    assert (xyxy[:, [0, 2]] >= 0).all() and (xyxy[:, [0, 2]] <= w).all()
    assert (xyxy[:, [1, 3]] >= 0).all() and (xyxy[:, [1, 3]] <= h).all()
    assert xyxy[:, 2:].max() > 64  # scaled back from the 64-pixel letterbox to the original image


def test_onnx_matches_torch(trained):
    ort = pytest.importorskip("onnxruntime")
    onnx_file = trained.export(format="onnx", imgsz=64, simplify=False, device="cpu")
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    session = ort.InferenceSession(onnx_file, providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    net = trained.model.eval()
    with torch.no_grad():
        torch_out = net(x)
    torch_out = torch_out[0] if isinstance(torch_out, (tuple, list)) else torch_out
    assert onnx_out.shape == tuple(torch_out.shape)
    np.testing.assert_allclose(onnx_out, torch_out.numpy(), rtol=1e-3, atol=1e-3)


def test_fine_tune_from_yolo26_weights(data, tmp_path):
    """Ultralytics' YOLO26 weights -> sharedhead-n: backbone and neck transferred, then trained on another nc."""
    torch.manual_seed(0)
    source = YOLO("yolo26n.yaml").model.half()
    torch.save({"model": source, "train_args": {}}, tmp_path / "yolo26n.pt")
    model = zoo.load("sharedhead-n", weights=tmp_path / "yolo26n.pt", allow_pickle="trusted")
    report, state = model.load_report, model.model.state_dict()
    layer = {k: int(k.split(".")[1]) for k in state}
    body = {k for k in state if layer[k] < 23}
    assert set(report.loaded) == body  # every backbone and neck tensor (layers 0-22), nothing of the head
    assert set(report.missing) | set(report.mismatched) == set(state) - body  # fresh: exactly the head's tensors
    assert report.missing and all(layer[k] == 23 for k in report.missing)
    assert report.unexpected and all(k.startswith("model.23.") for k in report.unexpected)  # YOLO26's own head
    src = source.state_dict()
    assert all(torch.equal(state[k], src[k].to(state[k].dtype)) for k in body)  # the values, not only the names
    stem = model.model.model[0].conv.weight.detach().clone()
    model.train(data=str(data), project=str(tmp_path), name="ft", **TRAIN)
    assert model.model.model[-1].nc == 3
    after = model.model.model[0].conv.weight.detach().float().cpu()
    # one short epoch moves the transferred stem only slightly: training started from the YOLO26 weights
    assert torch.nn.functional.cosine_similarity(after.flatten(), stem.float().flatten(), dim=0) > 0.9
