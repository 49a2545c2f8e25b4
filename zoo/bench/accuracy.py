"""Accuracy of each inference variant on a validation set (``zoo benchmark formats=... data=...``).

A variant's speed is only worth having at the same accuracy, so with ``data=`` each variant also runs Ultralytics'
validator on the dataset's validation split, the way a user would run it: eager formats through
``ZooModel.val`` (``half=True`` for the bf16 ones: zoo's bf16 validator), exported ones through
``zoo.load(exported_path).val`` (Ultralytics' ``AutoBackend`` runs ONNX Runtime or OpenVINO). Each variant runs in
a fresh process of its own, after the timing rounds, with the same thread count. The reference implementation has
its own random weights, so it is not validated.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["VALIDATED", "validate_variant", "with_accuracy_deltas"]

# formats validated; the reference rows run other weights
VALIDATED = ("torch", "torch-fused", "torch-fused-cl", "torch-bf16", "torch-bf16-cl", "onnx", "openvino",
             "openvino-int8")


def validate_variant(spec: dict, fmt: str) -> dict:
    """Validate one variant on ``spec["data"]`` and return the task's metrics.

    Args:
        spec (dict): The prepared spec (``model``, ``task``, ``imgsz``, ``workdir``, ``data``).
        fmt (str): One of :data:`VALIDATED`.

    Returns:
        (dict): ``metrics``: the task row's metric keys (``metrics/mIoU``...) and their values; ``val_dtypes``: the
            dtypes the network's first convolution produced during validation (eager formats; empty for exported).

    Raises:
        ValueError: For a format that is not validated here.
    """
    import torch

    import zoo
    from zoo import tasks
    from zoo.bench.variants import EXPORTED, _first, _load

    if fmt not in VALIDATED:
        raise ValueError(f"format {fmt!r} is not validated (it runs other weights); validated: {', '.join(VALIDATED)}")
    workdir = Path(spec["workdir"])
    if fmt in EXPORTED:
        prepared = json.loads((workdir / "prepared.json").read_text(encoding="utf-8"))
        model = zoo.load(prepared["exports"][fmt], task=spec["task"])
    else:
        model = _load(spec["model"], spec.get("task"), workdir)
    # dtypes the first convolution or linear layer produced (eager only; hooks travel with the validator's copy;
    # a matmul layer, because autocast keeps normalisation layers in fp32)
    seen: set[str] = set()
    first = None if fmt in EXPORTED else next(
        m for m in model.model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)))
    hook = first.register_forward_hook(lambda m, a, out: seen.add(str(_first(out).dtype))) if first else None
    try:
        # The validator fuses a PyTorch model itself and runs it channels-last on x86 (AutoBackend), as predict
        # does. rect=False for every variant: Ultralytics validates fixed-shape exports with square letterboxes but
        # PyTorch models with rectangular ones by default, which moved sharedhead-n's mAP50 by 0.03 with outputs
        # equal to 1e-7; the deltas must come from the runtime, not from the preprocessing.
        results = model.val(data=spec["data"], imgsz=spec["imgsz"], batch=1, device="cpu", half="bf16" in fmt,
                            rect=False, workers=0, plots=False, verbose=False, project=str(workdir / "val"),
                            name=fmt, exist_ok=True)
    finally:
        if hook is not None:
            hook.remove()
    keys = tasks.resolve(spec["task"]).metrics
    return {"metrics": {k: float(results.results_dict[k]) for k in keys if k in results.results_dict},
            "val_dtypes": sorted(d.removeprefix("torch.") for d in seen)}


def with_accuracy_deltas(rows: list[dict], baseline: str) -> None:
    """Add ``metric_deltas`` (variant minus baseline, per metric) to every row that has ``metrics``.

    Args:
        rows (list[dict]): One model's rows (``format``, ``metrics`` where validated).
        baseline (str): The format whose metrics the others are compared with (fp32 eager).
    """
    base = next((r.get("metrics") for r in rows if r.get("format") == baseline), None)
    if not base:
        return
    for row in rows:
        if row.get("metrics"):
            row["metric_deltas"] = {k: row["metrics"][k] - base[k] for k in row["metrics"] if k in base}
