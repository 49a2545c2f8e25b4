"""``zoo demo``: the README's main command with default settings, a fast run, and no surprises for the caller."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cli_helpers import run_zoo, zoo_command

from zoo.demo import DEFAULT_MODEL

DEMO_MIOU = 0.5  # the seeded default run reached 0.802 (README); learning must be well above chance (0.25)
PROBE = Path(__file__).with_name("demo_state_probe.py")


def _check_outputs(project: Path) -> dict:
    """The files the demo promises, each non-empty, under ``project``; returns metrics.json."""
    summary = json.loads((project / "metrics.json").read_text())
    for key in ("checkpoint", "weights", "manifest", "bus_overlay", "val_overlay", "data"):
        path = Path(summary[key])
        assert path.is_relative_to(project) and path.exists(), (key, path)
        assert path.is_dir() or path.stat().st_size > 0, (key, path)
    assert (project / "train" / "weights" / "best.pt").is_file()
    assert (project / "train" / "results.csv").is_file()
    entry = json.loads(Path(summary["manifest"]).read_text())["weights"][f"{Path(summary['model']).stem}.demo"]
    assert entry["size"] == Path(summary["weights"]).stat().st_size and entry["metrics"] == summary["metrics"]
    return summary


def test_demo_default_settings(tmp_path):
    """The README's main command as a newcomer runs it: no YOLO_CONFIG_DIR, a fresh home (~60-90 s on 2 cores)."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("YOLO_CONFIG_DIR", "XDG_CONFIG_HOME")}
    out = subprocess.run([*zoo_command(), "demo"], capture_output=True, text=True,
                         cwd=tmp_path, env={**env, "HOME": str(home)}, timeout=900)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    project = tmp_path / "zoo-demo"
    summary = _check_outputs(project)
    assert summary["model"] == DEFAULT_MODEL == "deeplabv3p-n" and summary["epochs"] == 12 and summary["imgsz"] == 128
    print(f"zoo demo default: {summary['model']} mIoU {summary['metrics']['metrics/mIoU']} in {summary['seconds']} s")
    assert summary["metrics"]["metrics/mIoU"] >= DEMO_MIOU, summary["metrics"]
    assert f"mIoU        {summary['metrics']['metrics/mIoU']:.3f}" in out.stdout
    # The font and Ultralytics' settings went to the demo's own folder, not the user's config.
    assert (project / "config" / "Ultralytics" / "Arial.ttf").is_file()
    assert (project / "config" / "Ultralytics" / "settings.json").is_file()
    assert not (home / ".config" / "Ultralytics").exists()
    assert not list(home.rglob("Arial*.ttf"))


def test_demo_fast(tmp_path):
    out = run_zoo("demo", "model=yolo26n-sem.yaml", "epochs=1", "imgsz=64", f"project={tmp_path / 'demo'}",
                  cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "mIoU" in out.stdout and "overlays" in out.stdout
    summary = _check_outputs(tmp_path / "demo")
    assert summary["model"] == "yolo26n-sem.yaml" and 0.0 <= summary["metrics"]["metrics/mIoU"] <= 1.0


def test_run_demo_restores_the_callers_environment(tmp_path):
    """A Python caller gets back its os.environ, random generators and torch switches; no font is written."""
    config = tmp_path / "config"  # the caller's own Ultralytics config folder, without Arial.ttf
    env = {**os.environ, "YOLO_CONFIG_DIR": str(config)}
    out = subprocess.run([sys.executable, str(PROBE), str(tmp_path / "demo")], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {}
    assert not list(config.rglob("*.ttf")), "run_demo wrote a font without consent"
    assert "plots off" in out.stdout and "fonts=True" in out.stdout
