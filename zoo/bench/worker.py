"""One benchmark measurement in a fresh process: ``python -m zoo.bench.worker '<json spec>'``.

A fresh process per model keeps peak-memory readings (the peak resident set only grows) and allocator state
from leaking from one model into the next. The spec is a JSON object with ``kind`` (``zoo`` or
``reference``), ``model``, ``task``, ``imgsz``, ``batch``, ``iters``, ``warmup``, ``device``, ``half``
and, for references, ``nc``. The last line of stdout is ``ZOO_BENCH_RESULT <json row>``.
"""

from __future__ import annotations

import json
import sys
import time
import traceback

MARKER = "ZOO_BENCH_RESULT "

__all__ = ["MARKER", "measure", "main"]


def _device(spec: str):
    """``cpu``, ``cuda``, ``cuda:1`` or a bare index (``0``) → ``torch.device``."""
    import torch

    spec = str(spec).strip().lower()
    if spec.isdigit():
        spec = f"cuda:{spec}"
    device = torch.device(spec)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device={spec} requested but CUDA is not available")
    return device


def _preload(spec: dict) -> None:
    """Import what building will import, so the memory baseline excludes library code."""
    import importlib

    import timm  # noqa: F401  (encoders of zoo's architectures)

    import zoo.engine.model  # noqa: F401  (Ultralytics' engine and zoo's model classes)
    from zoo import catalog

    if spec["kind"] == "reference":
        try:
            importlib.import_module("segmentation_models_pytorch")
        except ImportError:
            pass
    elif not str(spec["model"]).lower().endswith((".yaml", ".yml", ".pt")):
        catalog.resolve(spec["model"])[0].import_modules()


def _build(spec: dict, device) -> tuple:
    """Build the measured network: (module, label, task, nc)."""
    if spec["kind"] == "reference":
        from zoo.bench.references import build_reference

        module, label = build_reference(spec["model"], nc=spec["nc"], imgsz=spec["imgsz"])
        return module, label, spec.get("task"), spec["nc"]
    import zoo

    zm = zoo.load(spec["model"], task=spec.get("task"))
    module = zm.model
    nc = getattr(module, "nc", None) or module.yaml.get("nc")
    return module, f"zoo:{spec['model']}", zm.task, nc


def measure(spec: dict) -> dict:
    """Build one network from ``spec`` and measure it (see :mod:`zoo.bench.measure` for the methods).

    Args:
        spec (dict): See the module docstring.

    Returns:
        (dict): A result row: identity, ``params``, ``gflops``, latency and throughput at batch 1 and
            batch N, ``peak_mem_mb`` and how it was measured, ``threads``, ``build_s``.
    """
    import torch

    from zoo.bench.measure import MemoryProbe, count_flops, count_params, time_forward

    device = _device(spec.get("device", "cpu"))
    dtype = torch.float16 if spec.get("half") and device.type == "cuda" else torch.float32
    _preload(spec)
    probe = MemoryProbe(device)
    probe.start()
    t0 = time.perf_counter()
    module, label, task, nc = _build(spec, device)
    module = module.to(device=device, dtype=dtype).eval()
    build_s = time.perf_counter() - t0
    imgsz, n = int(spec["imgsz"]), int(spec["batch"])
    timings = {}
    for b in dict.fromkeys((1, n)):
        x = torch.rand(b, 3, imgsz, imgsz, device=device, dtype=dtype)
        timings[b] = time_forward(module, x, iters=int(spec["iters"]), warmup=int(spec["warmup"]))
    peak = probe.peak_mb()
    gflops = count_flops(module, torch.rand(1, 3, imgsz, imgsz, device=device, dtype=dtype))
    row = {
        "model": spec["model"], "kind": spec["kind"], "label": label, "task": task, "nc": nc,
        "params": count_params(module), "gflops": round(gflops, 3), "imgsz": imgsz, "batch": n,
        "b1_median_ms": timings[1].median_ms, "b1_p90_ms": timings[1].p90_ms, "b1_throughput": timings[1].throughput,
        "bN_median_ms": timings[n].median_ms, "bN_p90_ms": timings[n].p90_ms, "bN_throughput": timings[n].throughput,
        "peak_mem_mb": round(peak, 1), "mem_method": probe.method, "threads": torch.get_num_threads(),
        "device": str(device), "dtype": str(dtype).replace("torch.", ""), "build_s": round(build_s, 2),
    }
    if device.type == "cuda":
        row["device_name"] = torch.cuda.get_device_name(device)
    return row


def main(argv: list[str] | None = None) -> int:
    """Run one measurement and print its row after :data:`MARKER`; errors become a row with ``error``."""
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(argv[0])
    try:
        row, rc = measure(spec), 0
    except Exception as e:  # reported by the parent, which carries on with the next model
        from zoo.bench.references import ReferenceUnavailable

        row = {"model": spec.get("model"), "kind": spec.get("kind"), "error": f"{type(e).__name__}: {e}"}
        if not isinstance(e, ReferenceUnavailable):
            row["traceback"] = traceback.format_exc(limit=8)
        rc = 1
    sys.stdout.write("\n" + MARKER + json.dumps(row) + "\n")
    sys.stdout.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main())
