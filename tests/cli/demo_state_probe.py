"""Child process of ``test_demo.py``: snapshot process-wide state, run ``run_demo()``, print what changed.

Usage: ``python demo_state_probe.py PROJECT``. Prints one JSON object: the names of the globals whose value
after the demo differs from before (``{}`` when the caller's state came back untouched).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import sys

import numpy as np
import torch
import ultralytics  # noqa: F401  # the caller already uses Ultralytics: import-time effects are not the demo's

from zoo.demo import run_demo

# A caller that set none of the variables the demo defaults (the child keeps YOLO_OFFLINE: no DNS probe).
for key in ("ZOO_OFFLINE", "HF_HUB_OFFLINE", "MPLBACKEND", "CUBLAS_WORKSPACE_CONFIG", "PYTHONHASHSEED"):
    os.environ.pop(key, None)
os.environ["ZOO_PROBE_CALLER"] = "kept"
torch.set_num_threads(1)  # differs from Ultralytics' NUM_THREADS, so a reset shows
random.seed(1234)
np.random.seed(1234)
torch.manual_seed(1234)


def _digest(obj) -> str:
    return hashlib.sha256(repr(obj).encode()).hexdigest()[:16]


def snapshot() -> dict:
    """Every process-wide value the demo (or Ultralytics' trainer under it) could leave changed."""
    import matplotlib

    return {
        "os.environ": dict(os.environ),
        "cwd": os.getcwd(),
        "sys.path": list(sys.path),
        "torch.num_threads": torch.get_num_threads(),
        "torch.deterministic": (torch.are_deterministic_algorithms_enabled(),
                                torch.is_deterministic_algorithms_warn_only_enabled()),
        "torch.fill_uninitialized_memory": torch.utils.deterministic.fill_uninitialized_memory,
        "cudnn": (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark),
        "torch.default_dtype": str(torch.get_default_dtype()),
        "torch.grad_enabled": torch.is_grad_enabled(),
        "rng.random": _digest(random.getstate()),
        "rng.numpy": _digest(np.random.get_state()[1].tolist()),
        "rng.torch": _digest(torch.get_rng_state().tolist()),
        "matplotlib.backend": matplotlib.get_backend(),
        "logging.ultralytics": logging.getLogger("ultralytics").level,
    }


before = snapshot()
run_demo(model="yolo26n-sem.yaml", project=sys.argv[1], epochs=1, imgsz=64, batch=8)
after = snapshot()
changed = {k: {"before": before[k], "after": after[k]} for k in before if before[k] != after[k]}
if "os.environ" in changed:  # name only the keys that differ
    b, a = before["os.environ"], after["os.environ"]
    changed["os.environ"] = {k: [b.get(k), a.get(k)] for k in sorted(set(b) | set(a)) if b.get(k) != a.get(k)}
print(json.dumps(changed))
