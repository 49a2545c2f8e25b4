"""``zoo benchmark formats=...``: every inference variant of a model in its own process, timed in interleaved rounds.

Why rounds: on a shared machine the speed drifts by tens of percent within minutes, so latencies measured one
variant after another compare the machine's moods, not the variants. Here each variant lives in its own process
(a fresh one per variant: runtimes with their own thread pools, ORT and OpenVINO, slow torch eager when they share
a process), all are started first, then every round times each variant once, in a shuffled order (a variant
timed right after a bf16 one was measured slower: shuffling spreads that over all). A variant's speed-up is the
ratio of the fp32 eager baseline's median to its own *within each round*; the report gives the median ratio and
its spread (min–max over rounds), which says how far a figure can be trusted on this machine today.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from zoo.bench.environment import environment
from zoo.bench.measure import _percentile
from zoo.bench.variants import REFERENCE_PAIRS
from zoo.bench.worker import MARKER

__all__ = ["run_formats", "time_rounds", "prepare_model", "Variant", "BASELINE"]

BASELINE = "torch"  # every ratio is against fp32 eager, unfused (fp32 predict, with predict: see baseline_format)
SETTLE_S = 0.3  # pause between turns: lets a runtime's spinning threads go to sleep before the next variant


def baseline_format(predict: bool) -> str:
    """The format every ratio is taken against: fp32 eager as built, or fp32 ``predict`` (fused, channels-last)."""
    from zoo.bench.predict_variant import PREDICT_BASELINE

    return PREDICT_BASELINE if predict else BASELINE


@dataclass(frozen=True)
class Variant:
    """One thing timed in the rounds: a format run with some threads at some batch size.

    Attributes:
        key (str): Unique label (the format alone in ``formats=`` runs).
        fmt (str): One of :data:`zoo.bench.variants.FORMATS`.
        threads (int | None): CPUs (affinity) and torch threads of its process; None: all.
        batch (int): Images per forward pass.
    """

    key: str
    fmt: str
    threads: int | None = None
    batch: int = 1


class _Worker:
    """One ``zoo.bench.variant_worker serve`` process."""

    def __init__(self, spec: dict, fmt: str, timeout: float):
        cmd = [sys.executable, "-m", "zoo.bench.variant_worker", "serve", json.dumps(spec), fmt]
        self.fmt, self.timeout = fmt, timeout
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1)

    def read(self) -> dict:
        """The next result line (``error`` when the process ended without one)."""
        for line in self.proc.stdout:
            if line.startswith(MARKER):
                return json.loads(line[len(MARKER):])
        return {"error": f"worker for {self.fmt} exited with {self.proc.wait()}"}

    def ask(self, iters: int, warmup: int) -> dict:
        self.proc.stdin.write(json.dumps({"iters": iters, "warmup": warmup}) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> None:
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


def prepare_model(spec: dict, timeout: float) -> dict:
    """Write the shared weights, input, reference output and exports in a fresh process; its result line."""
    return _run_worker(["prepare", json.dumps(spec)], "prepare", timeout)


def _run_worker(args: list[str], what: str, timeout: float) -> dict:
    """Run one ``zoo.bench.variant_worker`` command in a fresh process; its result line (``error`` if none)."""
    cmd = [sys.executable, "-m", "zoo.bench.variant_worker", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"{what} timed out after {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    return {"error": f"{what} exited with {proc.returncode}: {(proc.stderr or '').strip()[-300:]}"}


def _row(model: str, fmt: str, ready: dict, times: list[list[float]], base: list[list[float]] | None) -> dict:
    """Aggregate one variant's rounds (and its per-round ratios to the baseline)."""
    every = [t for r in times for t in r]
    median = statistics.median(every)
    row = {"model": model, "format": fmt, **{k: v for k, v in ready.items() if k != "ready"},
           "median_ms": median, "p90_ms": _percentile(every, 90), "images_per_s": 1e3 / median,
           "rounds": len(times), "passes": len(every)}
    if base:
        ratios = [statistics.median(b) / statistics.median(t) for b, t in zip(base, times)]
        row.update(speedup=statistics.median(ratios), speedup_min=min(ratios), speedup_max=max(ratios),
                   speedups=[round(r, 3) for r in ratios])
    return row


def _zoo_vs_reference(row: dict, zoo_times: list[list[float]] | None, ref_times: list[list[float]],
                      zoo_cpu: list[list[float]] | None = None, ref_cpu: list[list[float]] | None = None) -> None:
    """On a reference row: zoo's speed over the reference's, per round (> 1: zoo faster), against its paired format.

    ``zoo_vs_ref`` compares wall-clock medians; ``zoo_vs_ref_cpu`` the processes' CPU time per pass, which leaves
    out time spent descheduled by other work on the machine (meaningful with ``threads=1``).
    """
    if not zoo_times:
        return
    ratios = [statistics.median(r) / statistics.median(z) for z, r in zip(zoo_times, ref_times)]
    row.update(zoo_vs_ref=statistics.median(ratios), zoo_vs_ref_min=min(ratios), zoo_vs_ref_max=max(ratios),
               zoo_vs_ref_rounds=[round(r, 3) for r in ratios], zoo_format=REFERENCE_PAIRS[row["format"]])
    if zoo_cpu and ref_cpu:
        cpu = [statistics.median(r) / statistics.median(z) for z, r in zip(zoo_cpu, ref_cpu)]
        row.update(zoo_vs_ref_cpu=statistics.median(cpu), zoo_vs_ref_cpu_min=min(cpu), zoo_vs_ref_cpu_max=max(cpu))


def time_rounds(spec: dict, variants: list[Variant], settings, rng: random.Random) -> tuple[dict, dict, list]:
    """Start one worker per variant, then time every variant once per round in a shuffled order.

    Args:
        spec (dict): The prepared model's spec (``workdir`` written by :func:`prepare_model`).
        variants (list[Variant]): What to time; each worker gets the spec with its own ``threads`` and ``batch``.
        settings: ``rounds``, ``iters`` per turn, ``warmup`` before the first turn, ``timeout``.
        rng (random.Random): Shuffles the order of each round.

    Returns:
        (tuple): ``(ready, times, orders, cpu)``: variant key -> its ready line (``error`` when it failed to
            start; ``peak_mb`` added: the worker's peak memory growth over its turns); key -> per-round lists of
            pass times (ms) of the variants that started; the order of each round; key -> per-round lists of the
            worker's CPU time per pass (ms).

    Raises:
        RuntimeError: When a started variant fails during the rounds.
    """
    workers, ready = {}, {}
    try:
        for v in variants:  # one at a time, so that builds do not overlap
            w = _Worker({**spec, "threads": v.threads, "batch": v.batch}, v.fmt, settings.timeout)
            ready[v.key] = w.read()
            if "error" in ready[v.key]:
                w.close()
            else:
                workers[v.key] = w
        times: dict[str, list[list[float]]] = {k: [] for k in workers}
        cpu: dict[str, list[list[float]]] = {k: [] for k in workers}
        orders = []
        for r in range(settings.rounds):
            order = list(workers)
            rng.shuffle(order)
            orders.append(order)
            for key in order:
                got = workers[key].ask(settings.iters, settings.warmup if r == 0 else 1)
                if "error" in got:
                    raise RuntimeError(f"{spec['model']} {key}: {got['error']}")
                times[key].append(got["times_ms"])
                cpu[key].append(got["cpu_ms"])
                ready[key]["peak_mb"] = max(ready[key].get("peak_mb", 0.0), got.get("peak_mb", 0.0))
                time.sleep(SETTLE_S)
    finally:
        for w in workers.values():
            w.close()
    return ready, times, orders, cpu


def _measure_model(model: str, settings, formats: list[str], workdir: Path, rng: random.Random) -> list[dict]:
    data, weights = (_absolute(getattr(settings, k, None)) for k in ("data", "weights"))
    spec = {"model": model, "task": settings.task, "imgsz": settings.imgsz, "batch": 1, "formats": formats,
            "workdir": str(workdir), "threads": settings.threads, "data": data, "weights": weights}
    prep = prepare_model(spec, settings.timeout)
    if "error" in prep:
        return [{"model": model, "format": f, "error": prep["error"]} for f in formats]
    spec["task"] = prep["task"]
    predict = bool(getattr(settings, "predict", False))
    baseline = baseline_format(predict)
    ready, times, orders, cpu = time_rounds({**spec, "predict": predict},
                                            [Variant(f, f, settings.threads, 1) for f in formats], settings, rng)
    rows = [{**row, "orders": orders} for row in format_rows(model, formats, ready, times, cpu, baseline)]
    if data:
        _validate(spec, rows, settings.timeout, baseline)
    return rows


def _absolute(path: str | None) -> str | None:
    """An existing file's absolute path (the worker processes may change directory), else the value as given."""
    return str(Path(path).resolve()) if path and Path(path).exists() else path


def _validate(spec: dict, rows: list[dict], timeout: float, baseline: str = BASELINE) -> None:
    """Validate every timed variant on ``spec["data"]``, each in a fresh process after the rounds (no timing runs
    meanwhile); add its ``metrics`` (or ``accuracy_error``) and the deltas to ``baseline``'s."""
    from zoo.bench.accuracy import VALIDATED, with_accuracy_deltas

    for row in rows:
        if "error" in row or row["format"] not in VALIDATED:
            continue
        got = _run_worker(["accuracy", json.dumps(spec), row["format"]], f"validation of {row['format']}", timeout)
        if "error" in got:
            row["accuracy_error"] = got["error"]
        else:
            row["metrics"], row["val_dtypes"] = got["metrics"], got.get("val_dtypes", [])
    with_accuracy_deltas(rows, baseline)


def format_rows(model: str, formats: list[str], ready: dict, times: dict, cpu: dict,
                baseline: str = BASELINE) -> list[dict]:
    """One row per format: failures first, then medians, speed-ups to ``baseline`` (wall and CPU time, per round)
    and, on reference rows, zoo's speed over the reference's (see :func:`time_rounds` for the inputs)."""
    rows = [{"model": model, "format": f, "error": ready[f]["error"]} for f in formats if "error" in ready[f]]
    base = times.get(baseline)
    rows += [_row(model, f, ready[f], times[f], base) for f in times]
    for row in rows:
        f = row["format"]
        if f in REFERENCE_PAIRS and "error" not in row:
            _zoo_vs_reference(row, times.get(REFERENCE_PAIRS[f]), times[f], cpu.get(REFERENCE_PAIRS[f]), cpu[f])
        if "error" not in row:
            row["cpu_median_ms"] = statistics.median([t for r in cpu[f] for t in r])
            if baseline in cpu:  # the speed-up by CPU time too: an A/A pair shows the noise floor of both
                ratios = [statistics.median(b) / statistics.median(t) for b, t in zip(cpu[baseline], cpu[f])]
                row.update(speedup_cpu=statistics.median(ratios), speedup_cpu_min=min(ratios),
                           speedup_cpu_max=max(ratios))
    return rows


def run_formats(models: list[str], settings, formats: list[str], *, progress: bool = True) -> dict:
    """Time every format of every model in interleaved rounds (see the module docstring).

    Args:
        models (list[str]): Model names.
        settings: :class:`zoo.bench.runner.BenchSettings` (``imgsz``, ``iters`` per turn, ``warmup`` before the
            first turn, ``rounds``, ``timeout``, ``task``); batch 1.
        formats (list[str]): From :data:`zoo.bench.variants.FORMATS`; the baseline (``torch``; ``torch-fused-cl``
            with ``settings.predict``) is added first when missing.
        progress (bool): Print one line per model.

    Returns:
        (dict): ``environment`` (with the load average at the end too), ``settings`` and ``results`` (one row
            per model and format).
    """
    from dataclasses import asdict

    base = baseline_format(bool(getattr(settings, "predict", False)))
    formats = [base] + [f for f in dict.fromkeys(formats) if f != base]
    env = environment()
    rng = random.Random(0)
    save_dir = settings.save_dir()
    rows = []
    for model in models:
        if progress:
            print(f"benchmark {model}: {', '.join(formats)} x {settings.rounds} rounds", file=sys.stderr, flush=True)
        rows += _measure_model(model, settings, formats, save_dir / "work" / model, rng)
    env["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {"environment": env, "settings": {**asdict(settings), "models": models, "formats": formats}, "results": rows}
