"""``zoo benchmark formats=... data=...``: each variant validated on a dataset, with the delta to fp32 eager."""

from __future__ import annotations

import json
import logging

import pytest
import torch

import zoo
from zoo.bench.accuracy import with_accuracy_deltas
from zoo.bench.formats_report import formats_table
from zoo.data import make_classification_dataset


def test_deltas_are_taken_against_the_baseline():
    rows = [{"format": "torch", "metrics": {"metrics/mIoU": 0.80}},
            {"format": "openvino", "metrics": {"metrics/mIoU": 0.795}},
            {"format": "reference"}]  # other weights: never validated
    with_accuracy_deltas(rows, "torch")
    assert rows[0]["metric_deltas"] == {"metrics/mIoU": 0.0}
    assert rows[1]["metric_deltas"]["metrics/mIoU"] == pytest.approx(-0.005)
    assert "metric_deltas" not in rows[2]


def test_table_gets_an_accuracy_column_only_when_validated():
    row = {"model": "m", "format": "onnx", "precision": "fp32", "layout": "runtime", "median_ms": 5.0, "p90_ms": 6.0,
           "images_per_s": 200.0, "speedup": 3.0, "speedup_min": 2.0, "speedup_max": 4.0}
    assert "Accuracy" not in formats_table({"results": [row]})[0]
    row.update(metrics={"metrics/mIoU": 0.795}, metric_deltas={"metrics/mIoU": -0.005})
    lines = formats_table({"results": [row]})
    assert "Accuracy on data=" in lines[0] and lines[-1].endswith("| mIoU 0.7950 (-0.0050) |")


def test_variants_are_validated_like_model_val(tmp_path, monkeypatch):
    """The benchmark's fp32 and bf16 top-1 equal what ``model.val`` gives for the same weights and data."""
    from zoo.bench.cli import main

    monkeypatch.setenv("ZOO_CPU_BF16", "1")  # the bf16 variant runs on any CPU (emulated where not native)
    data = make_classification_dataset(tmp_path / "data", n_train=3, n_val=6, imgsz=32, nc=3)
    rc = main(["vit-t-cls", "imgsz=32", "formats=torch,torch-bf16", "rounds=1", "iters=1", "warmup=0", "threads=1",
               f"data={data}", f"project={tmp_path}", "name=f"])
    assert rc == 0
    rows = {r["format"]: r for r in json.loads((tmp_path / "f" / "formats.json").read_text())["results"]}
    for fmt in ("torch", "torch-bf16"):
        assert set(rows[fmt]["metrics"]) == {"metrics/accuracy_top1", "metrics/accuracy_top5"}, rows[fmt]
    assert rows["torch"]["val_dtypes"] == ["float32"] and rows["torch-bf16"]["val_dtypes"] == ["bfloat16"]
    assert rows["torch"]["metric_deltas"] == {"metrics/accuracy_top1": 0.0, "metrics/accuracy_top5": 0.0}
    delta = rows["torch-bf16"]["metrics"]["metrics/accuracy_top1"] - rows["torch"]["metrics"]["metrics/accuracy_top1"]
    assert rows["torch-bf16"]["metric_deltas"]["metrics/accuracy_top1"] == pytest.approx(delta)

    # the same weights through the user's own path
    workdir = tmp_path / "f" / "work" / "vit-t-cls"
    model = zoo.load("vit-t-cls", nc=json.loads((workdir / "prepared.json").read_text())["nc"])
    model.model.load_state_dict(torch.load(workdir / "weights.pt", weights_only=True))
    direct = model.val(data=str(data), imgsz=32, batch=1, device="cpu", workers=0, plots=False, verbose=False,
                       project=str(tmp_path / "direct"))
    assert rows["torch"]["metrics"]["metrics/accuracy_top1"] == pytest.approx(direct.results_dict["metrics/accuracy_top1"])


def test_int8_needs_calibration_images(tmp_path):
    from zoo.bench.cli import main
    from zoo.cli import UsageError

    with pytest.raises(UsageError, match="calibrated on images: give data="):
        main(["vit-t-cls", "imgsz=32", "formats=torch,openvino-int8", f"project={tmp_path}", "name=x"])


def test_openvino_int8_is_calibrated_timed_and_validated(tmp_path):
    """int8 through Ultralytics' exporter (NNCF) on the data= images; it runs in OpenVINO and gets its metrics."""
    pytest.importorskip("nncf")
    from zoo.bench.cli import main

    data = make_classification_dataset(tmp_path / "data", n_train=3, n_val=6, imgsz=32, nc=3)
    rc = main(["vit-t-cls", "imgsz=32", "formats=torch,openvino-int8", "rounds=1", "iters=1", "warmup=0",
               "threads=1", f"data={data}", f"project={tmp_path}", "name=q"])
    assert rc == 0
    rows = {r["format"]: r for r in json.loads((tmp_path / "q" / "formats.json").read_text())["results"]}
    int8 = rows["openvino-int8"]
    assert int8["precision"].startswith("int8") and int8["layout"] == "runtime", int8
    assert "metrics/accuracy_top1" in int8["metrics"] and int8["val_dtypes"] == []  # validated through OpenVINO
    xml = next((tmp_path / "q" / "work" / "vit-t-cls").glob("*int8_openvino_model/*.xml"))
    assert "FakeQuantize" in xml.read_text() or "FakeConvert" in xml.read_text()  # the graph is quantised


def test_int8_calibrates_on_the_training_split_not_the_scored_one(tmp_path):
    """The accuracy column scores the val split, so int8 must have been calibrated on other images (train)."""
    pytest.importorskip("nncf")
    from ultralytics.utils import LOGGER

    from zoo.bench.variants import prepare

    data = make_classification_dataset(tmp_path / "data", n_train=3, n_val=6, imgsz=32, nc=3)
    n_train, n_val = (sum(1 for f in (tmp_path / "data" / split).rglob("*.png")) for split in ("train", "val"))
    assert n_train != n_val
    (tmp_path / "work").mkdir()
    messages = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())
    level, disabled = LOGGER.level, LOGGER.disabled  # other tests' verbose=False may have raised it
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.disabled = False
    try:
        prepare({"model": "vit-t-cls", "imgsz": 32, "batch": 1, "formats": ["openvino-int8"],
                 "workdir": str(tmp_path / "work"), "data": str(data)})
    finally:
        LOGGER.removeHandler(handler)
        LOGGER.setLevel(level)
        LOGGER.disabled = disabled
    counts = [m for m in messages if "INT8 calibration, found" in m]  # Ultralytics' count of what it calibrated on
    assert counts and all(f"found {n_train} images" in m for m in counts), counts


def test_outputs_are_compared_on_a_validation_image(tmp_path):
    """With data=, every variant runs the dataset's first validation image (RGB, in [0, 1]), not noise."""
    import cv2

    from zoo.bench.variants import _first_val_image, prepare

    data = make_classification_dataset(tmp_path / "data", n_train=3, n_val=6, imgsz=32, nc=3)
    (tmp_path / "work").mkdir()
    prepare({"model": "vit-t-cls", "imgsz": 48, "batch": 1, "formats": [], "workdir": str(tmp_path / "work"),
             "data": str(data)})
    x = torch.load(tmp_path / "work" / "input.pt", weights_only=True)
    assert x.shape == (1, 3, 48, 48)
    assert (x * 255 - (x * 255).round()).abs().max() < 1e-4  # 8-bit pixel values, not noise
    first = sorted((tmp_path / "data" / "val").rglob("*.png"))[0]
    assert _first_val_image(str(data)) == first
    rgb_means = cv2.imread(str(first))[:, :, ::-1].reshape(-1, 3).mean(0) / 255
    assert torch.allclose(x[0].mean((1, 2)), torch.tensor(rgb_means.copy(), dtype=torch.float32), atol=0.02)
