"""Multi-GPU training state survives Ultralytics' DDP launcher: a fresh interpreter rebuilds zoo's trainer and model.

Ultralytics' launcher cloudpickles {trainer class, args, model, callbacks} and each worker process
rebuilds the trainer from it. This runs the launcher's own file generator, then does what a worker
does, on CPU, in a fresh interpreter.
"""

import os
import subprocess
import sys

from ultralytics.utils.dist import generate_ddp_file

from zoo.data import make_detection_dataset
from zoo.engine.trainers import ZooDetectionTrainer

WORKER = """
import sys, torch
from ultralytics.utils import DEFAULT_CFG_DICT
from ultralytics.utils.patches import torch_load
state = torch_load(sys.argv[1], map_location="cpu")
cfg = DEFAULT_CFG_DICT.copy()
cfg.update(save_dir="")
trainer = state["trainer"](cfg=cfg, overrides=state["args"], _callbacks=state["callbacks"])
print("TRAINER", type(trainer).__module__, type(trainer).__name__)
print("MODEL", type(state["model"]).__module__, type(state["model"]).__name__)
rebuilt = trainer.get_model(cfg=state["args"]["model"], verbose=False)  # what setup_model does from args alone
print("REBUILT", type(rebuilt).__name__, sum(p.numel() for p in rebuilt.parameters()))
out = state["model"].eval()(torch.zeros(1, 3, 64, 64))
print("FORWARD", type(out).__name__)
"""


def test_ddp_worker_rebuilds_zoo_trainer_and_model(tmp_path):
    data = make_detection_dataset(tmp_path / "data", n_train=4, n_val=2, imgsz=64)
    trainer = ZooDetectionTrainer(overrides={"model": "yolo26n.yaml", "data": str(data), "imgsz": 64, "device": "cpu",
                                             "project": str(tmp_path / "runs"), "name": "ddp", "workers": 0})
    trainer.model = trainer.get_model(cfg="yolo26n.yaml", verbose=False)
    file = generate_ddp_file(trainer)
    state_file = file[: -len(".py")] + ".pt"
    try:
        out = subprocess.run([sys.executable, "-c", WORKER, state_file], capture_output=True, text=True,
                             env=dict(os.environ), timeout=300)
    finally:
        for f in (file, state_file):
            os.remove(f)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "TRAINER zoo.engine.trainers ZooDetectionTrainer" in out.stdout
    assert "MODEL zoo.nn.models ZooDetectionModel" in out.stdout
    params = sum(p.numel() for p in trainer.model.parameters())
    assert f"REBUILT ZooDetectionModel {params}" in out.stdout
    assert "FORWARD" in out.stdout
