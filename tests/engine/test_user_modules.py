"""A user's own blocks, registered in their own file, through the whole Ultralytics engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import zoo
from zoo.data import make_detection_dataset

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Train the user's detector one epoch on a tiny synthetic set; returns (model, run dir, data yaml)."""
    sys.path.insert(0, str(HERE))
    import user_blocks  # noqa: F401  (registers Widen and FuseUp)

    root = tmp_path_factory.mktemp("user")
    data = make_detection_dataset(root / "data", n_train=8, n_val=4, imgsz=64, nc=3)
    model = zoo.load(HERE / "user_model.yaml", task="detect")
    model.train(data=str(data), epochs=1, imgsz=64, batch=4, workers=0, device="cpu", amp=False, plots=False,
                project=str(root / "runs"), name="user", exist_ok=True, verbose=False)
    yield model, Path(model.trainer.save_dir), data
    sys.path.remove(str(HERE))


def test_channels_follow_the_users_blocks(trained):
    model, _, _ = trained
    layers = model.model.model
    assert type(layers[1]).__name__ == "Widen" and layers[1].conv.conv.out_channels == 24
    assert layers[2].conv.in_channels == 24  # the layer after the channel-changing block sees 24
    fuse = layers[5]
    assert (fuse.fine.conv.in_channels, fuse.coarse.conv.in_channels) == (48, 64)
    assert [m.f for m in layers] == [-1, -1, -1, -1, -1, [3, 4], 4, [5, 6]]


def test_train_val_predict(trained, tmp_path):
    model, save_dir, data = trained
    assert (save_dir / "weights" / "best.pt").exists()
    metrics = model.val(data=str(data), imgsz=64, batch=4, workers=0, device="cpu", plots=False,
                        project=str(tmp_path), name="val")
    assert "metrics/mAP50(B)" in metrics.results_dict
    import ultralytics

    bus = Path(ultralytics.__file__).parent / "assets" / "bus.jpg"
    result = model.predict(bus, imgsz=64, device="cpu", verbose=False)[0]
    assert result.orig_shape == (1080, 810)
    assert result.boxes.data.shape[1] == 6


def test_onnx_export_matches_torch(trained):
    ort = pytest.importorskip("onnxruntime")
    model, _, _ = trained
    onnx_file = model.export(format="onnx", imgsz=64, simplify=False, device="cpu")
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    session = ort.InferenceSession(onnx_file, providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    torch_model = model.model.eval()
    with torch.no_grad():
        torch_out = torch_model(x)
    torch_out = torch_out[0] if isinstance(torch_out, (tuple, list)) else torch_out
    assert onnx_out.shape == tuple(torch_out.shape)
    np.testing.assert_allclose(onnx_out, torch_out.numpy(), rtol=1e-3, atol=1e-3)


def test_best_pt_reloads_in_a_fresh_process(trained):
    """A fresh process reads ``best.pt`` once the user names their block module; without it, nothing is imported."""
    _, save_dir, _ = trained
    script = (
        "import sys, zoo\n"
        "from zoo.weights.errors import UnsafeCheckpointError\n"
        "try:\n    zoo.load(sys.argv[1])\nexcept UnsafeCheckpointError as e:\n    print('REFUSED', e)\n"
        "assert 'user_blocks' not in sys.modules\n"
        "m = zoo.load(sys.argv[1], modules=['user_blocks'])\n"
        "assert m.task == 'detect', m.task\n"
        "names = [type(l).__name__ for l in m.model.model]; assert 'Widen' in names and 'FuseUp' in names, names\n"
        "r = m.predict(sys.argv[2], imgsz=64, device='cpu', verbose=False)[0]; print('OK', r.orig_shape)\n"
    )
    import ultralytics

    bus = Path(ultralytics.__file__).parent / "assets" / "bus.jpg"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", script, str(save_dir / "weights" / "best.pt"), str(bus)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "REFUSED" in out.stdout and "user_blocks.Widen" in out.stdout and "modules=" in out.stdout
    assert "OK (1080, 810)" in out.stdout


def test_tune_and_multi_dataset_training_keep_zoos_classes(trained, tmp_path):
    """Ultralytics would relaunch its own CLI here and rebuild the model without the user's blocks."""
    import json

    model, _, data = trained
    common = dict(epochs=1, imgsz=64, batch=4, workers=0, device="cpu", amp=False, plots=False, verbose=False)
    metrics = model.train(data=[str(data), str(data)], project=str(tmp_path / "multi"), name="m", **common)
    assert len(metrics) == 2 and all("metrics/mAP50(B)" in m for m in metrics.values())

    tune_dir = model.tune(data=str(data), iterations=2, project=str(tmp_path / "tune"), name="t", **common)
    records = [json.loads(line) for line in (tune_dir / "tune_results.ndjson").read_text().splitlines()]
    assert [r["iteration"] for r in records] == [1, 2]
    for record in records:  # a failed in-subprocess run would leave only a zero fitness and failed_datasets
        assert "failed_datasets" not in record
        assert all("metrics/mAP50(B)" in m for m in record["datasets"].values())
    assert (tune_dir / "best_hyperparameters.yaml").exists()
