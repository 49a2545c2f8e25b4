"""Learning check (default suite): vit-t-cls learns the synthetic classification set from scratch.

The budget is epochs, not wall clock: 10 epochs (top-1 passes 0.9 at epoch 6 of a 20-epoch run and stays at
0.98-1.0), about 2-3.5 minutes on 2 shared CPU cores.
"""

from __future__ import annotations

import torch

import zoo
from zoo.data import make_classification_dataset

EPOCHS = 10
TOP1 = 0.9


def test_vit_t_cls_reaches_top1(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        data = make_classification_dataset(tmp_path / "data", n_train=240, n_val=60, imgsz=64, nc=4)
        model = zoo.load("vit-t-cls", task="classify")
        model.train(data=str(data), epochs=EPOCHS, imgsz=64, batch=16, workers=0, device="cpu", amp=False, plots=False,
                    project=str(tmp_path), name="learn", verbose=False)
        metrics = model.val(data=str(data), imgsz=64, batch=16, workers=0, device="cpu", plots=False,
                            project=str(tmp_path), name="val")
    finally:
        torch.set_num_threads(threads)
    top1 = metrics.results_dict["metrics/accuracy_top1"]
    print(f"vit-t-cls: top-1 {top1:.3f} after {EPOCHS} epochs")
    assert top1 >= TOP1
