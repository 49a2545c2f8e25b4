"""Benchmark: every architecture in zoo's catalog, and its reference implementation, on this machine.

Measures each model (and, where one is registered, the timm / segmentation-models-pytorch /
Ultralytics implementation of the same network) in its own process with :mod:`zoo.bench`: params,
GFLOPs, latency (median, p90) and throughput at batch 1 and batch N, peak memory. Writes CSV, JSON,
Markdown and PNG under ``benchmarks/results/architectures/`` and prints the README's table.

Run: ``python benchmarks/bench_architectures.py [--imgsz 256] [--batch 4] [--iters 10] [--models unet-s ...]``.
CPU defaults take about 10-20 minutes for the whole catalog on 2 cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from zoo.bench import BenchSettings, run_benchmark, select_models, write_results

STOCK = ["yolo26n.yaml", "yolo26n-sem.yaml"]  # Ultralytics stock YAMLs built by zoo's parser, vs Ultralytics' build


def readme_table(result: dict) -> str:
    """The README's architecture table: one line per zoo model, with its reference's throughput ratio."""
    s = result["settings"]
    lines = [
        f"| Model | Task | Params (M) | GFLOPs @{s['imgsz']} | img/s b1 | img/s b{s['batch']} | Peak MB "
        "| vs reference |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in result["results"]:
        if r.get("kind") != "zoo":
            continue
        if "error" in r:
            lines.append(f"| {r['model']} | | error: {r['error'][:60]} | | | | | |")
            continue
        ref = f"{r['speed_vs_ref']:.2f}x {r['reference']}" if r.get("speed_vs_ref") else "-"
        lines.append(f"| {r['model']} | {r['task']} | {r['params'] / 1e6:.2f} | {r['gflops']:.2f} | "
                     f"{r['b1_throughput']:.1f} | {r['bN_throughput']:.1f} | {r['peak_mem_mb']:.0f} | {ref} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--imgsz", type=int, default=256)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--models", nargs="*", help="names or patterns; default the whole catalog plus stock YAMLs")
    p.add_argument("--no-reference", action="store_true")
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "architectures"))
    a = p.parse_args()
    models = select_models(a.models) if a.models else [*select_models(None), *STOCK]
    settings = BenchSettings(imgsz=a.imgsz, batch=a.batch, iters=a.iters, warmup=a.warmup, device=a.device,
                             reference=not a.no_reference, project=str(Path(a.out).parent), name=Path(a.out).name)
    result = run_benchmark(models, settings)
    files = write_results(result, a.out)
    print(readme_table(result))
    print("\nwritten: " + ", ".join(str(f) for f in files.values()))


if __name__ == "__main__":
    main()
