"""DeepLabV3+ and U-Net on Ultralytics' semantic engine: train, val, predict and ONNX export through ``zoo.load``.

One tiny training run per family (synthetic data, 64 px, 1 epoch) is shared by the tests of this module.
"""

from __future__ import annotations

import re
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
FAMILIES = ["deeplabv3p-s", "unet-s"]
RUN = {"imgsz": 64, "batch": 4, "workers": 0, "device": "cpu", "amp": False, "plots": False, "exist_ok": True}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_semantic_dataset(tmp_path_factory.mktemp("semantic"), n_train=8, n_val=4, imgsz=64, nc=4, seed=0)


@pytest.fixture(scope="module", params=FAMILIES)
def trained(request, data, tmp_path_factory):
    """(model name, ZooModel after one epoch, train metrics, project dir)."""
    project = tmp_path_factory.mktemp(f"runs-{request.param}")
    model = load(request.param, task="segment")
    metrics = model.train(data=str(data), epochs=1, project=str(project), name="train", **RUN)
    return request.param, model, metrics, project


def test_train_and_val_report_semantic_metrics(trained, data):
    name, model, metrics, project = trained
    assert model.task == "semantic"
    assert {"metrics/mIoU", "metrics/pixel_acc"} <= set(metrics.results_dict)
    val = model.val(data=str(data), project=str(project), name="val", **RUN)
    assert 0.0 <= val.results_dict["metrics/mIoU"] <= 1.0
    assert 0.0 <= val.results_dict["metrics/pixel_acc"] <= 1.0


def test_predict_bus_gives_mask_at_image_size_and_saves_overlay(trained):
    _, model, _, project = trained
    (result,) = model.predict(str(BUS), imgsz=64, device="cpu", save=True, project=str(project), name="predict")
    h, w = cv2.imread(str(BUS)).shape[:2]
    assert tuple(result.semantic_mask.shape) == (h, w)
    assert (Path(result.save_dir) / BUS.name).is_file()


@pytest.mark.parametrize("channels", [1, 4], ids=["grayscale", "rgba"])
def test_predict_grayscale_and_rgba_images(trained, tmp_path, channels):
    _, model, _, _ = trained
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (50, 70) if channels == 1 else (50, 70, 4), dtype=np.uint8)
    path = tmp_path / f"image-{channels}.png"
    cv2.imwrite(str(path), image)
    (result,) = model.predict(str(path), imgsz=64, device="cpu")
    assert tuple(result.semantic_mask.shape) == (50, 70)


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


def test_weights_with_another_nc_reinitialise_the_head(trained, tmp_path):
    """A checkpoint for 4 classes into a 3-class model: everything loads except the classifier, which is reported."""
    from safetensors.torch import save_file

    name, model, _, _ = trained
    file = tmp_path / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in model.model.float().state_dict().items()}, str(file))
    other = load(name, task="segment", weights=str(file), nc=3)
    report = other.load_report
    head = f"model.{len(other.model.model) - 1}."
    assert report.mismatched and all(k.startswith(head) for k in report.mismatched)
    assert f"{head}classifier.weight" in report.mismatched
    assert any(k.startswith("model.0.") for k in report.loaded)


def test_mask_ids_outside_the_classes_are_a_dataset_error(tmp_path):
    """A mask holding id 7 in a 4-class dataset stops training with an error naming the file and the ids."""
    from zoo.engine.dataset_checks import DatasetError

    data = make_semantic_dataset(tmp_path / "bad", n_train=4, n_val=2, imgsz=64, nc=4, seed=1)
    mask_file = sorted((data.parent / "masks" / "train").glob("*.png"))[0]
    mask = cv2.imread(str(mask_file), cv2.IMREAD_GRAYSCALE)
    mask[:4, :4] = 7
    cv2.imwrite(str(mask_file), mask)
    model = load("unet-s", task="segment")
    image = data.parent / "images" / "train" / mask_file.name
    with pytest.raises(DatasetError, match=rf"(?s){re.escape(str(image))}.*mask ids \[7\]"):
        model.train(data=str(data), epochs=1, project=str(tmp_path / "runs"), name="bad", **RUN)
