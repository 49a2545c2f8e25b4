"""Speed-ups of the fast inference paths with the accuracy they keep, on models trained here (issue 12's targets).

Trains each model briefly on a ``zoo.data`` synthetic set (offline; the point is a trained network whose metric can
move, not a good model), then runs ``zoo benchmark MODEL formats=... weights=best.pt data=...``: every variant in
its own process, shuffled interleaved rounds, then each variant validated on the same validation split.

Usage:
    python benchmarks/bench_trained_formats.py [--models deeplabv3p-s,sharedhead-n,vit-s-cls] [--rounds 5]
        [--threads 2] [--out runs/trained-formats]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

# model -> (dataset maker, dataset size, training epochs, benchmark imgsz)
SETUPS = {
    "deeplabv3p-s": ("make_semantic_dataset", 128, 12, 512),
    "sharedhead-n": ("make_detection_dataset", 128, 30, 640),
    "vit-s-cls": ("make_classification_dataset", 64, 10, 224),
}
FORMATS = "torch,torch-fused-cl,torch-bf16-cl,onnx,openvino,openvino-int8,reference"


def train(model: str, out: Path) -> tuple[Path, Path]:
    """Train ``model`` on its synthetic set; return (data.yaml or folder, best.pt)."""
    import zoo
    import zoo.data

    maker, size, epochs, _ = SETUPS[model]
    data = getattr(zoo.data, maker)(out / "data" / model, n_train=64, n_val=16, imgsz=size, nc=4)
    zm = zoo.load(model, nc=4)
    zm.train(data=str(data), epochs=epochs, imgsz=size, batch=8, workers=0, device="cpu", plots=False,
             verbose=False, project=str(out / "train"), name=model, exist_ok=True)
    return Path(data), Path(zm.trainer.best)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(SETUPS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="runs/trained-formats")
    a = parser.parse_args()
    out = Path(a.out).resolve()
    for model in a.models.split(","):
        data, best = train(model, out)
        cmd = [sys.executable, "-m", "zoo", "benchmark", model, f"imgsz={SETUPS[model][3]}", f"formats={FORMATS}",
               f"rounds={a.rounds}", f"iters={a.iters}", f"threads={a.threads}", f"weights={best}", f"data={data}",
               f"project={out / 'bench'}", f"name={model}"]
        print(" ".join(cmd), flush=True)
        subprocess.run(cmd, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
