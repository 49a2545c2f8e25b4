"""Speed-ups of the fast inference paths with the accuracy they keep, on models trained here (issue 12's targets).

Trains each model briefly on a ``zoo.data`` synthetic set (offline; the point is a trained network whose metric can
move, not a good model), then runs ``zoo benchmark MODEL formats=... weights=best.pt data=...``: every variant in
its own process, shuffled interleaved rounds, then each variant validated on the same validation split (int8 is
calibrated on the training split); a second run per model times ``model.predict(image)`` calls (``predict``). The tables in ``benchmarks/RESULTS-inference.md`` come from these runs.

Usage:
    python benchmarks/bench_trained_formats.py [--models deeplabv3p-s,sharedhead-n,vit-s-cls] [--rounds 5]
        [--threads 2] [--out runs/trained-formats] [--train-only]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

# model -> dataset (maker, image side, train/val images, classes), training stages (image size, arguments; each
# stage starts from the previous one's best.pt) and benchmark runs (imgsz, validate on data=, through predict).
# deeplabv3p-s learns its shapes at 128 px, then fine-tunes at 512 on the same 512 px images, so the 512 px
# validation that scores the fast paths is the size the model was trained at (an int8 delta measured on a model
# that has only seen 128 px is a delta on inputs it does not know). sharedhead-n trains as its learning check does;
# its accuracy is taken at the size it was trained at (at 640 its objects are five times larger than any it saw),
# its speed at 640.
SETUPS = {
    "deeplabv3p-s": {"data": ("make_semantic_dataset", 512, (96, 32), 4),
                     "stages": [(128, {"epochs": 12, "batch": 8}), (512, {"epochs": 4, "batch": 4, "lr0": 0.002})],
                     "runs": [(512, True, False), (512, True, True)]},
    "sharedhead-n": {"data": ("make_detection_dataset", 128, (128, 32), 3),
                     "stages": [(128, {"epochs": 40, "batch": 16, "amp": False, "close_mosaic": 8})],
                     "runs": [(128, True, False), (640, False, False), (640, False, True)]},
    "vit-s-cls": {"data": ("make_classification_dataset", 64, (64, 16), 4),
                  "stages": [(64, {"epochs": 10, "batch": 8})],
                  "runs": [(224, True, False), (224, True, True)]},
}
FORMATS = "torch,torch-fused-cl,torch-bf16-cl,onnx,openvino,openvino-int8,reference"
PREDICT_FORMATS = "torch-fused-cl,torch-bf16-cl,onnx,openvino,openvino-int8"  # timed as model.predict(image) calls


def train(model: str, out: Path) -> tuple[Path, Path]:
    """Train ``model`` on its synthetic set, stage by stage; return (data.yaml or folder, last stage's best.pt)."""
    import zoo
    import zoo.data

    setup = SETUPS[model]
    maker, side, (n_train, n_val), nc = setup["data"]
    data = getattr(zoo.data, maker)(out / "data" / model, n_train=n_train, n_val=n_val, imgsz=side, nc=nc)
    best = None
    for i, (imgsz, train_args) in enumerate(setup["stages"]):
        zm = zoo.load(model, nc=nc) if best is None else zoo.load(str(best))
        zm.train(data=str(data), imgsz=imgsz, workers=0, device="cpu", plots=False, verbose=False,
                 project=str(out / "train"), name=f"{model}-{i}", exist_ok=True, **train_args)
        best = Path(zm.trainer.best)
    return Path(data), best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(SETUPS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="runs/trained-formats")
    parser.add_argument("--train-only", action="store_true", help="train and print best.pt, benchmark nothing")
    a = parser.parse_args()
    out = Path(a.out).resolve()
    for model in a.models.split(","):
        data, best = train(model, out)
        print(f"{model}: data={data} weights={best}", flush=True)
        if a.train_only:
            continue
        for imgsz, validate, predict in SETUPS[model]["runs"]:
            # int8 needs data= to calibrate even where the accuracy column is not meaningful ("-speed" runs)
            name = f"{model}-{imgsz}" + ("" if validate else "-speed") + ("-predict" if predict else "")
            cmd = [sys.executable, "-m", "zoo", "benchmark", model, f"imgsz={imgsz}",
                   f"formats={PREDICT_FORMATS if predict else FORMATS}", *(["predict"] if predict else []),
                   f"rounds={a.rounds}", f"iters={a.iters}", f"threads={a.threads}", f"weights={best}",
                   f"data={data}", f"project={out / 'bench'}", f"name={name}"]
            print(" ".join(cmd), flush=True)
            subprocess.run(cmd, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
