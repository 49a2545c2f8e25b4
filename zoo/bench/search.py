"""``zoo benchmark search`` / ``threads=1,2 batch=1,4``: the best (threads, batch) of each model, measured here.

Why measure instead of assume: on this project's 2-core VM, batch 4 was slower *per image* than batch 1 for 512²
segmentation (activations leave the cache), and 1 torch thread beat 2 whenever the other core was busy (each
operator waits for the descheduled thread). Which wins depends on the model, the input size and the machine's
load, so ``zoo benchmark`` measures every (format, threads, batch) candidate in its own process, in interleaved
rounds (:func:`zoo.bench.rounds.time_rounds`), and reports the one with the most images per second.

Throughput of a candidate: ``batch / median pass time`` over all its timed passes. Its spread: the same figure
per round (min–max), and its ratio to the chosen candidate *within each round* (median [min–max]): a ratio whose
range straddles 1 says the two are not told apart on this machine today.

Only eager formats are searched: exported graphs are traced at one batch size.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
from itertools import product

from zoo.bench.environment import environment
from zoo.bench.measure import _percentile
from zoo.bench.rounds import Variant, prepare_model, time_rounds
from zoo.bench.variants import EXPORTED, FORMATS

__all__ = ["SEARCHABLE", "DEFAULT_FORMAT", "candidates", "default_threads", "search_rows", "run_search"]

SEARCHABLE = tuple(f for f in FORMATS if f not in EXPORTED and not f.startswith("reference"))
DEFAULT_FORMAT = "torch-fused-cl"  # what predict runs in fp32 (AutoBackend fuses and goes channels-last on x86)


def default_threads() -> tuple[int, ...]:
    """1, then powers of two, up to the CPUs this process may use (1 and 2 on a 2-CPU machine)."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    out, t = [1], 2
    while t < n:
        out.append(t)
        t *= 2
    return tuple(dict.fromkeys([*out, n]))


def candidates(formats: list[str], threads: tuple[int, ...], batches: tuple[int, ...]) -> list[Variant]:
    """Every (format, threads, batch) combination, keyed ``format t<threads> b<batch>``."""
    return [Variant(f"{f} t{t} b{b}", f, t, b) for f, t, b in product(formats, threads, batches)]


def _row(model: str, v: Variant, ready: dict, times: list[list[float]]) -> dict:
    """One candidate's throughput over all passes and per round."""
    every = [t for r in times for t in r]
    median = statistics.median(every)
    per_round = [v.batch * 1e3 / statistics.median(r) for r in times]
    return {"model": model, "format": v.fmt, "threads": v.threads, "batch": v.batch,
            **{k: ready[k] for k in ("precision", "layout", "delta_rel", "pixels_equal", "top1_equal") if k in ready},
            "median_ms": median, "p90_ms": _percentile(every, 90), "ms_per_image": median / v.batch,
            "images_per_s": v.batch * 1e3 / median, "round_images_per_s": [round(x, 3) for x in per_round],
            "images_per_s_min": min(per_round), "images_per_s_max": max(per_round),
            "rounds": len(times), "passes": len(every), "torch_threads": ready.get("threads"),
            "ran_batch": ready.get("batch")}


def search_rows(model: str, variants: list[Variant], ready: dict, times: dict) -> tuple[list[dict], dict | None]:
    """Rows of one model's candidates and its best one (the largest ``images_per_s``; None if none ran).

    Every row gets ``vs_best`` (its per-round throughput over the best's, median) with ``vs_best_min`` /
    ``vs_best_max``; the best row gets ``best: True``.
    """
    rows = [{"model": model, "format": v.fmt, "threads": v.threads, "batch": v.batch, "error": ready[v.key]["error"]}
            for v in variants if "error" in ready.get(v.key, {"error": "not started"})]
    ran = [(v, _row(model, v, ready[v.key], times[v.key])) for v in variants if v.key in times]
    if not ran:
        return rows, None
    best_v, best = max(ran, key=lambda vr: vr[1]["images_per_s"])
    for v, row in ran:
        ratios = [(v.batch / statistics.median(t)) / (best_v.batch / statistics.median(b))
                  for t, b in zip(times[v.key], times[best_v.key])]
        row.update(vs_best=statistics.median(ratios), vs_best_min=min(ratios), vs_best_max=max(ratios),
                   best=row is best)
    summary = {k: best[k] for k in ("model", "format", "threads", "batch", "images_per_s", "images_per_s_min",
                                    "images_per_s_max", "ms_per_image")}
    return rows + [r for _, r in ran], summary


def run_search(models: list[str], settings, formats: list[str], threads: tuple[int, ...],
               batches: tuple[int, ...], *, progress: bool = True) -> dict:
    """Time every (format, threads, batch) candidate of every model in interleaved rounds; pick the best.

    Args:
        models (list[str]): Model names.
        settings: :class:`zoo.bench.runner.BenchSettings` (``imgsz``, ``iters`` per turn, ``warmup``, ``rounds``,
            ``timeout``, ``task``).
        formats (list[str]): Eager formats from :data:`SEARCHABLE`.
        threads (tuple[int, ...]): Thread counts to try.
        batches (tuple[int, ...]): Batch sizes to try.
        progress (bool): Print one line per model.

    Returns:
        (dict): ``environment`` (load average at the end too), ``settings``, ``results`` (one row per model and
            candidate) and ``best`` (model -> its best candidate: format, threads, batch, images/s and range).
    """
    from dataclasses import asdict

    env = environment()
    rng = random.Random(0)
    save_dir = settings.save_dir()
    variants = candidates(formats, threads, batches)
    rows, best = [], {}
    for model in models:
        if progress:
            print(f"search {model}: {len(variants)} candidates x {settings.rounds} rounds", file=sys.stderr, flush=True)
        spec = {"model": model, "task": settings.task, "imgsz": settings.imgsz, "batch": max(batches),
                "formats": formats, "workdir": str(save_dir / "work" / model)}
        prep = prepare_model(spec, settings.timeout)
        if "error" in prep:
            rows += [{"model": model, "format": v.fmt, "threads": v.threads, "batch": v.batch, "error": prep["error"]}
                     for v in variants]
            continue
        spec["task"] = prep["task"]
        ready, times, orders, _ = time_rounds(spec, variants, settings, rng)
        model_rows, best[model] = search_rows(model, variants, ready, times)
        rows += [{**r, "orders": orders} for r in model_rows]
    env["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {"environment": env, "results": rows, "best": best,
            "settings": {**asdict(settings), "models": models, "formats": formats, "threads": list(threads),
                         "batches": list(batches)}}
