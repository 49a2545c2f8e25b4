"""Do zoo's semantic models learn? Train each family on the synthetic dataset under a time budget, report mIoU.

Goal: mIoU >= 0.80 on the validation split within 10 minutes on 2 CPU cores, from random weights (no downloads).
Training is Ultralytics' own (``time=`` caps the wall clock, in hours), through ``zoo.load``.

Usage:
    python benchmarks/learn_semantic.py                         # deeplabv3p-s and unet-s, 10 minutes each
    python benchmarks/learn_semantic.py --models unet-s --minutes 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATASET = {"n_train": 96, "n_val": 24, "imgsz": 64, "nc": 4, "seed": 0}
TRAIN = {  # small images, no mosaic: the synthetic shapes are whole objects, crops of them only confuse
    "imgsz": 64,
    "batch": 8,
    "workers": 0,
    "device": "cpu",
    "amp": False,
    "plots": False,
    "mosaic": 0.0,
    "val": True,
    "exist_ok": True,
    "patience": 1000,
    "verbose": False,
}


def _offline_environment() -> None:
    """Offline Ultralytics with a local plotting font (as the tests set it up)."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if "YOLO_CONFIG_DIR" not in os.environ:
        import matplotlib

        config = Path(tempfile.mkdtemp(prefix="zoo-learn-"))
        (config / "Ultralytics").mkdir()
        font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        shutil.copy(font, config / "Ultralytics" / "Arial.ttf")
        os.environ["YOLO_CONFIG_DIR"] = str(config)


def learn(name: str, root: Path, minutes: float | None = 10.0, epochs: int = 300, **overrides) -> dict:
    """Train ``name`` on the synthetic dataset for ``epochs`` (or at most ``minutes``); return the final metrics.

    Args:
        name (str): zoo model name, e.g. ``unet-s``.
        root (Path): Working folder (dataset and runs).
        minutes (float | None): Wall-clock budget of the training (Ultralytics' ``time=``); None: epochs alone,
            so the result does not depend on the machine's speed (what tests use).
        epochs (int): Epochs to train (with ``minutes``, an upper bound the time budget usually ends first).
        **overrides: More Ultralytics training arguments.

    Returns:
        (dict): ``model``, ``mIoU``, ``pixel_acc``, ``minutes`` (training wall clock).
    """
    _offline_environment()
    from zoo.api import load
    from zoo.data import make_semantic_dataset

    data = make_semantic_dataset(root / "data", **DATASET)
    model = load(name, task="segment")
    t = time.perf_counter()
    args = {**TRAIN, **overrides}
    if minutes is not None:
        args["time"] = minutes / 60
    model.train(data=str(data), epochs=epochs, project=str(root / "runs"), name=name, **args)
    elapsed = (time.perf_counter() - t) / 60
    metrics = model.val(data=str(data), imgsz=TRAIN["imgsz"], batch=8, workers=0, device="cpu", plots=False,
                        project=str(root / "runs"), name=f"{name}-val", exist_ok=True)
    return {
        "model": name,
        "mIoU": metrics.results_dict["metrics/mIoU"],
        "pixel_acc": metrics.results_dict["metrics/pixel_acc"],
        "minutes": elapsed,
    }


def main(argv: list[str] | None = None) -> None:
    """Train each model and print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["deeplabv3p-s", "unet-s"])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--root", type=Path, default=None)
    args = ap.parse_args(argv)
    root = args.root or Path(tempfile.mkdtemp(prefix="zoo-learn-"))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rows = [learn(m, root, args.minutes) for m in args.models]
    print(f"\n{cores} CPU cores; dataset {DATASET}\n")
    print("| model | mIoU | pixel acc | train minutes |\n|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['mIoU']:.3f} | {r['pixel_acc']:.3f} | {r['minutes']:.1f} |")


if __name__ == "__main__":
    main()
