"""Benchmark: sharedhead-<scale> (YOLO26 body + SharedDetect) vs stock YOLO26 of the same scale at 640x640.

Reports parameters (whole model and head), GFLOPs (Ultralytics' ``get_flops``) and CPU inference
throughput of the fused eval model (``model.fuse()``, as Ultralytics' predictor runs it), both with the
same ``end2end`` setting. Runs alternate between the two models; the median of ``--repeats`` is used.
Optionally (``--vit``) adds vitdet-<t|s|b> rows.

Run: ``python benchmarks/bench_detect.py [--scales n s] [--batch 1] [--threads N] [--vit t]``.
"""

from __future__ import annotations

import argparse
import statistics
import time


def _build(name: str):
    from ultralytics import YOLO

    from zoo.nn.models import ZooDetectionModel

    m = YOLO(f"{name}.yaml").model if name.startswith("yolo") else ZooDetectionModel(name, verbose=False)
    return m.eval().fuse(verbose=False)


def _stats(model, imgsz: int) -> tuple[float, float, float]:
    from ultralytics.utils.torch_utils import get_flops

    params = sum(p.numel() for p in model.parameters())
    head = sum(p.numel() for p in model.model[-1].parameters())
    return params, head, get_flops(model, imgsz)


def bench_pair(names: list[str], imgsz: int, batch: int, repeats: int, warmup: int) -> list[dict]:
    """Alternate timed forwards of the given models; return one row per model."""
    import torch

    models = [_build(n) for n in names]
    x = torch.rand(batch, 3, imgsz, imgsz)
    times = [[] for _ in models]
    with torch.inference_mode():
        for m in models:
            for _ in range(warmup):
                m(x)
        for _ in range(repeats):
            for m, t in zip(models, times):
                start = time.perf_counter()
                m(x)
                t.append(time.perf_counter() - start)
    rows = []
    for name, m, t in zip(names, models, times):
        params, head, flops = _stats(m, imgsz)
        rows.append({"name": name, "params": params, "head": head, "gflops": flops, "fps": batch / statistics.median(t)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["n", "s"])
    parser.add_argument("--vit", nargs="*", default=[], help="also time vitdet-<scale> (t, s, b)")
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"Detectors at {args.imgsz}x{args.imgsz}, batch {args.batch}, fused eval, CPU, "
          f"{torch.get_num_threads()} threads, median of {args.repeats}\n")
    print("| model | params | head params | GFLOPs | img/s | params vs YOLO26 | speed vs YOLO26 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for scale in args.scales:
        stock, ours = bench_pair([f"yolo26{scale}", f"sharedhead-{scale}"], args.imgsz, args.batch, args.repeats,
                                 args.warmup)
        for r in (stock, ours):
            rel = f"{r['params'] / stock['params']:.3f}x | {r['fps'] / stock['fps']:.3f}x"
            print(f"| {r['name']} | {r['params'] / 1e6:.2f}M | {r['head'] / 1e6:.3f}M | {r['gflops']:.1f} | "
                  f"{r['fps']:.2f} | {rel} |")
    for scale in args.vit:
        (r,) = bench_pair([f"vitdet-{scale}"], args.imgsz, args.batch, args.repeats, args.warmup)
        print(f"| {r['name']} | {r['params'] / 1e6:.2f}M | {r['head'] / 1e6:.3f}M | {r['gflops']:.1f} | "
              f"{r['fps']:.2f} | | |")


if __name__ == "__main__":
    main()
