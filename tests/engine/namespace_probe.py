"""Run in a fresh interpreter: snapshot Ultralytics' namespaces, use zoo end to end, compare.

Prints ``UNTOUCHED`` when no module-level name or class attribute of the Ultralytics modules zoo uses
was added, removed or rebound; otherwise prints the differences and exits 1.
"""

import importlib
import inspect
import sys
from pathlib import Path

MODULES = [
    "ultralytics.nn.tasks", "ultralytics.nn.modules", "ultralytics.nn.modules.conv", "ultralytics.nn.modules.block",
    "ultralytics.nn.modules.head", "ultralytics.engine.model", "ultralytics.engine.trainer",
    "ultralytics.engine.exporter", "ultralytics.models.yolo.detect.train", "ultralytics.models.yolo.semantic.train",
    "ultralytics.models.yolo.classify.train", "ultralytics.utils.loss", "ultralytics.utils.dist",
]


# Caches the interpreter itself writes (warnings' registry, copyreg's slot names for pickling), whoever runs.
INTERPRETER_CACHES = {"__warningregistry__", "__slotnames__"}


def snapshot() -> dict:
    state = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for key, value in vars(module).items():
            if key in INTERPRETER_CACHES:
                continue
            state[(name, key)] = value
            if inspect.isclass(value) and value.__module__.startswith("ultralytics"):
                for attr, attr_value in vars(value).items():
                    if attr not in INTERPRETER_CACHES:
                        state[(name, key, attr)] = attr_value
    return state


before = snapshot()

import zoo  # noqa: E402
from zoo.data import make_detection_dataset  # noqa: E402

root = Path(sys.argv[1])
data = make_detection_dataset(root / "data", n_train=4, n_val=2, imgsz=64)
model = zoo.load("yolo26n.yaml", task="detect")
model.train(data=str(data), epochs=1, imgsz=64, batch=2, workers=0, device="cpu", amp=False, plots=False,
            project=str(root / "runs"), name="ns", verbose=False)
model.export(format="onnx", imgsz=64, simplify=False)
zoo.load("yolo26n-sem.yaml", task="semantic")

after = snapshot()
changed = sorted(str(k) for k in before.keys() | after.keys() if before.get(k) is not after.get(k))
print("\n".join(changed) if changed else "UNTOUCHED")
sys.exit(1 if changed else 0)
