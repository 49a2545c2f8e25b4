"""``zoo train|val|predict|export`` on a stock YAML built by zoo's parser, on tiny synthetic data."""

from cli_helpers import run_zoo

COMMON = ("imgsz=64", "device=cpu", "workers=0", "batch=4")


def test_train_val_predict_export(detect_data, tmp_path):
    out = run_zoo("train", "model=yolo26n.yaml", "task=detect", f"data={detect_data}", "epochs=1", "amp=False",
                  "plots=False", f"project={tmp_path}", "name=train", *COMMON)
    assert out.returncode == 0, out.stderr[-3000:]
    best = tmp_path / "train" / "weights" / "best.pt"
    assert best.is_file()

    out = run_zoo("val", f"model={best}", f"data={detect_data}", "plots=False", f"project={tmp_path}", "name=val",
                  *COMMON)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "all" in out.stdout + out.stderr  # the validator's summary line

    out = run_zoo("detect", "predict", f"model={best}", f"source={detect_data.parent / 'images' / 'val'}", "save",
                  f"project={tmp_path}", "name=pred", "imgsz=64", "device=cpu")
    assert out.returncode == 0, out.stderr[-3000:]
    assert len(list((tmp_path / "pred").glob("*.*"))) == 4

    out = run_zoo("export", f"model={best}", "format=onnx", "imgsz=64", "simplify=False")
    assert out.returncode == 0, out.stderr[-3000:]
    assert best.with_suffix(".onnx").is_file()
