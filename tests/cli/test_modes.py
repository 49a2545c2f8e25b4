"""``zoo train|val|predict|export`` on a stock YAML built by zoo's parser, on tiny synthetic data."""

import csv
import re

import cv2
import numpy as np
from cli_helpers import run_zoo

COMMON = ("imgsz=64", "device=cpu", "workers=0", "batch=4")


def test_train_val_predict_export(detect_data, tmp_path):
    out = run_zoo("train", "model=yolo26n.yaml", "task=detect", f"data={detect_data}", "epochs=1", "amp=False",
                  "plots=False", f"project={tmp_path}", "name=train", *COMMON)
    assert out.returncode == 0, out.stderr[-3000:]
    best = tmp_path / "train" / "weights" / "best.pt"
    assert best.is_file() and (tmp_path / "train" / "weights" / "last.pt").is_file()
    with open(tmp_path / "train" / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1] and float(rows[0]["train/box_loss"]) > 0
    assert "metrics/mAP50(B)" in rows[0]

    out = run_zoo("val", f"model={best}", f"data={detect_data}", "plots=False", f"project={tmp_path}", "name=val",
                  *COMMON)
    assert out.returncode == 0, out.stderr[-3000:]
    # The validator's summary row: every val image and every labelled instance, then P, R, mAP50, mAP50-95.
    labels = sorted((detect_data.parent / "labels" / "val").glob("*.txt"))
    instances = sum(len([ln for ln in f.read_text().splitlines() if ln.strip()]) for f in labels)
    row = re.search(r"^\s*all\s+(\d+)\s+(\d+)((?:\s+[\d.]+){4})\s*$", out.stdout + out.stderr, re.M)
    assert row, out.stdout[-2000:]
    assert (int(row[1]), int(row[2])) == (len(labels), instances)
    assert all(0 <= float(v) <= 1 for v in row[3].split())

    out = run_zoo("detect", "predict", f"model={best}", f"source={detect_data.parent / 'images' / 'val'}", "save",
                  f"project={tmp_path}", "name=pred", "imgsz=64", "device=cpu")
    assert out.returncode == 0, out.stderr[-3000:]
    sources = sorted((detect_data.parent / "images" / "val").glob("*.*"))
    saved = sorted((tmp_path / "pred").glob("*.*"))
    assert [f.stem for f in saved] == [f.stem for f in sources]  # one annotated image per input
    for src, dst in zip(sources, saved):
        assert cv2.imread(str(dst)).shape == cv2.imread(str(src)).shape  # drawn on the original image

    out = run_zoo("export", f"model={best}", "format=onnx", "imgsz=64", "simplify=False")
    assert out.returncode == 0, out.stderr[-3000:]
    onnx_file = best.with_suffix(".onnx")
    assert f"zoo export: {onnx_file}" in out.stdout
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == [1, 3, 64, 64]
    (y, *_) = session.run(None, {session.get_inputs()[0].name: np.zeros((1, 3, 64, 64), np.float32)})
    assert y.shape[0] == 1 and np.isfinite(y).all()
