"""Run the architecture benchmark: pick models, measure each in its own process, pair them with references."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from zoo import catalog
from zoo.bench.environment import environment
from zoo.bench.worker import MARKER

__all__ = ["BenchSettings", "select_models", "run_benchmark"]


@dataclass
class BenchSettings:
    """Settings of one benchmark run (all recorded with the results).

    Attributes:
        imgsz (int): Square input size.
        batch (int): The larger batch size N (batch 1 is always measured too).
        iters (int): Timed forward passes per batch size.
        warmup (int): Untimed passes before timing.
        device (str): ``cpu``, ``cuda``, ``cuda:1`` or ``0``.
        half (bool): FP16 on CUDA (ignored on CPU).
        reference (bool): Also measure each model's reference implementation, where one is registered.
        timeout (float): Seconds allowed per measurement process.
        project (str): Parent folder of results.
        name (str | None): Results folder name; default the start time ``YYYYmmdd-HHMMSS``.
        task (str | None): Only models of this task (when no names are given, or names are patterns).
        formats (str | None): Comma-separated inference variants (``torch,torch-bf16,onnx,openvino``, see
            :mod:`zoo.bench.variants`): then each model's variants are timed in interleaved rounds at batch 1
            (:mod:`zoo.bench.rounds`) instead of the architecture benchmark.
        rounds (int): Interleaved rounds with ``formats``; ``iters`` is then the timed passes per variant and round.
        threads (int | tuple[int, ...] | None): With ``formats``: CPUs (affinity) and torch threads of every
            variant; default all. A tuple (``threads=1,2``) asks for a search (see ``search``).
        search (bool): Find each model's best (threads, batch) by images/s (:mod:`zoo.bench.search`): every
            combination of ``threads`` (default 1, 2, 4... up to the CPUs) and ``batch`` (default 1 and 4; a
            tuple ``batch=1,4`` lists them) for each eager format in ``formats`` (default ``torch-fused-cl``).
        data (str | None): With ``formats``: a dataset YAML (or classification folder) whose validation split every
            variant is also validated on (:mod:`zoo.bench.accuracy`), with its metric's delta to fp32 eager.
        weights (str | None): With ``formats``: weights to benchmark instead of random ones (``DEFAULT``, a manifest
            name, a file, or a trained ``best.pt``, read by zoo's restricted unpickler).
        predict (bool): With ``formats``: time one ``model.predict(image)`` call per pass (pre- and post-processing
            included, :mod:`zoo.bench.predict_variant`) instead of the network's forward pass; ratios are then to
            fp32 ``predict`` (``torch-fused-cl``).
    """

    imgsz: int = 224
    batch: int | tuple[int, ...] = 8
    iters: int = 10
    warmup: int = 3
    device: str = "cpu"
    half: bool = False
    reference: bool = True
    timeout: float = 900.0
    project: str = "runs/zoo-benchmark"
    name: str | None = None
    task: str | None = None
    formats: str | None = None
    rounds: int = 5
    threads: int | tuple[int, ...] | None = None
    search: bool = False
    data: str | None = None
    weights: str | None = None
    predict: bool = False

    def save_dir(self) -> Path:
        """The folder results go to."""
        return Path(self.project) / (self.name or datetime.now().strftime("%Y%m%d-%H%M%S"))


def select_models(names: list[str] | None, task: str | None = None) -> list[str]:
    """Expand model names, fnmatch patterns and YAML paths into the list of models to measure.

    Args:
        names (list[str] | None): Model names (``unet-s``), families (``unet``: every scale), patterns
            (``deeplabv3p-*``) or model YAML paths (``yolo26n.yaml``); empty means every catalog model.
        task (str | None): Keep only catalog models of this task.

    Returns:
        (list[str]): Models in the order given, without duplicates.

    Raises:
        catalog.UnknownModelError: For a name that matches nothing (with the closest names).
    """
    import zoo

    known = zoo.list_models(task=task)
    if not names:
        return known
    out: list[str] = []
    for name in names:
        if name.lower().endswith((".yaml", ".yml")):
            out.append(name)
        elif any(c in name for c in "*?["):
            hits = fnmatch.filter(known, name)
            if not hits:
                raise catalog.UnknownModelError(f"pattern {name!r} matches no model{_task_note(task)}; see `zoo list`")
            out.extend(hits)
        elif name in catalog.architectures() and name not in catalog.model_names():
            out.extend(n for n in catalog.architectures()[name].model_names() if n in known)
        else:
            catalog.resolve(name)  # raises with close matches
            out.append(name)
    return list(dict.fromkeys(out))


def _task_note(task: str | None) -> str:
    return f" of task {task!r}" if task else ""


def _run_worker(spec: dict, timeout: float) -> dict:
    """Measure one network in a fresh Python process and return its row (``error`` set on failure)."""
    cmd = [sys.executable, "-m", "zoo.bench.worker", json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"model": spec["model"], "kind": spec["kind"], "error": f"timed out after {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"model": spec["model"], "kind": spec["kind"],
            "error": f"worker exited with {proc.returncode}: " + " | ".join(tail)}


def _weights_metrics(model: str) -> dict:
    """Metrics recorded with the model's DEFAULT weights in the manifest (empty when there are none)."""
    try:
        from zoo.weights.manifest import load_manifest

        entry = load_manifest().default_for(model)
    except Exception:  # a broken user manifest must not stop a benchmark
        return {}
    return dict((entry.meta.get("metrics") or {}) if entry else {})


def _pair(row: dict, ref: dict) -> None:
    """Add the reference's figures and zoo/reference ratios to a zoo row."""
    row["reference"] = ref.get("label")
    if "error" in ref:
        row["reference_error"] = ref["error"]
        return
    row.update(
        ref_params=ref["params"], ref_gflops=ref["gflops"], ref_b1_median_ms=ref["b1_median_ms"],
        ref_bN_throughput=ref["bN_throughput"],
        speed_vs_ref=row["bN_throughput"] / ref["bN_throughput"],  # > 1: zoo is faster
        b1_speed_vs_ref=ref["b1_median_ms"] / row["b1_median_ms"],
        params_vs_ref=row["params"] / ref["params"] if ref["params"] else None,
    )


def run_benchmark(models: list[str], settings: BenchSettings, *, progress: bool = True) -> dict:
    """Measure ``models`` (and their references) one process at a time.

    Args:
        models (list[str]): From :func:`select_models`.
        settings (BenchSettings): Sizes, iterations, device.
        progress (bool): Show a progress bar on stderr.

    Returns:
        (dict): ``environment``, ``settings`` and ``results`` (one row per measured network; zoo rows
            carry their reference's figures and the ratios ``speed_vs_ref``, ``b1_speed_vs_ref``,
            ``params_vs_ref``).
    """
    from ultralytics.utils import TQDM

    from zoo.bench.references import reference_key

    env = environment()
    base = {k: getattr(settings, k) for k in ("imgsz", "batch", "iters", "warmup", "device", "half")}
    jobs = [(m, bool(settings.reference and reference_key(m)[0])) for m in models]
    bar = TQDM(total=sum(1 + r for _, r in jobs), desc="benchmark", disable=not progress, unit="net")
    rows = []
    for model, with_ref in jobs:
        bar.set_description(f"benchmark {model}")
        row = _run_worker({**base, "kind": "zoo", "model": model, "task": settings.task}, settings.timeout)
        bar.update(1)
        if "error" not in row:
            row["weights_metrics"] = _weights_metrics(model)
        rows.append(row)
        if with_ref:
            bar.set_description(f"benchmark {model} (reference)")
            if "error" in row:
                ref = {"model": model, "kind": "reference", "error": "skipped: the zoo model failed"}
            else:
                ref = _run_worker({**base, "kind": "reference", "model": model, "task": row["task"], "nc": row["nc"]},
                                  settings.timeout)
                _pair(row, ref)
            bar.update(1)
            rows.append(ref)
    bar.close()
    return {"environment": env, "settings": {**asdict(settings), "models": models}, "results": rows}
