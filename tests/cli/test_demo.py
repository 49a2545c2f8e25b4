"""``zoo demo``: a fast run on Ultralytics' smallest semantic YAML, and the full default run (slow)."""

import json

import pytest
from cli_helpers import run_zoo

from zoo.demo import smallest_model

import zoo


def _check_outputs(project):
    summary = json.loads((project / "metrics.json").read_text())
    assert 0.0 <= summary["metrics"]["metrics/mIoU"] <= 1.0
    for key in ("checkpoint", "weights", "manifest", "bus_overlay", "val_overlay", "data"):
        assert (project / summary[key]).exists(), key  # absolute paths under project
    assert (project / "train" / "weights" / "best.pt").is_file()
    return summary


def test_demo_fast(tmp_path):
    out = run_zoo("demo", "model=yolo26n-sem.yaml", "epochs=1", "imgsz=64", f"project={tmp_path / 'demo'}",
                  cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "mIoU" in out.stdout and "overlays" in out.stdout
    summary = _check_outputs(tmp_path / "demo")
    assert summary["model"] == "yolo26n-sem.yaml"


def test_smallest_model_is_the_smallest():
    name, params = smallest_model("semantic")
    assert name in zoo.list_models(task="semantic") and params > 0


@pytest.mark.slow
def test_demo_default(tmp_path):
    """The README's main command, as a user runs it (about 2 minutes on 2 CPU cores)."""
    out = run_zoo("demo", cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    summary = _check_outputs(tmp_path / "zoo-demo")
    assert summary["metrics"]["metrics/mIoU"] > 0.4 and summary["seconds"] < 180
