"""Learning check (slow): sharedhead-n learns the synthetic detection set from scratch on 2 CPU cores.

The budget is 40 epochs, not wall clock (about 10 minutes on 2 CPU cores: too long for the default suite).
"""

from __future__ import annotations

import time

import pytest
import torch

import zoo
from zoo.data import make_detection_dataset

EPOCHS = 40
MAP50 = 0.5


@pytest.mark.slow
def test_sharedhead_n_reaches_map50(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        data = make_detection_dataset(tmp_path / "data", n_train=128, n_val=32, imgsz=128, nc=3)
        start = time.perf_counter()
        model = zoo.load("sharedhead-n", task="detect")
        model.train(data=str(data), epochs=EPOCHS, imgsz=128, batch=16, workers=0, device="cpu", amp=False, plots=False,
                    close_mosaic=8, project=str(tmp_path), name="learn", verbose=False)
        metrics = model.val(data=str(data), imgsz=128, batch=16, workers=0, device="cpu", plots=False,
                            project=str(tmp_path), name="val")
        elapsed = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    map50 = metrics.results_dict["metrics/mAP50(B)"]
    print(f"sharedhead-n: mAP50 {map50:.3f}, mAP50-95 {metrics.results_dict['metrics/mAP50-95(B)']:.3f}, {elapsed:.0f}s")
    assert map50 >= MAP50
