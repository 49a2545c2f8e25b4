"""``zoo benchmark [NAMES...] key=value ...``: measure architectures and write the results folder."""

from __future__ import annotations

from dataclasses import fields

from zoo.bench.runner import BenchSettings, run_benchmark, select_models

__all__ = ["main", "HELP", "write_results"]

HELP = """
    zoo benchmark [NAMES...] [key=value ...]

        NAMES       model names (unet-s), families (unet), patterns ('deeplabv3p-*') or model YAMLs
                    (yolo26n.yaml); none: every model in the catalog (slow on CPU: name a few)
        imgsz=224   square input size              batch=8     batch N (batch 1 is always measured)
        iters=10    timed passes per batch size    warmup=3    untimed passes first
        device=cpu  cpu, cuda, cuda:1 or 0         half        FP16 (CUDA only)
        reference=True   also measure each model's reference implementation (timm, smp, Ultralytics)
        task=...    only models of this task       timeout=900 seconds per measured network
        project=runs/zoo-benchmark  name=<time>    results folder: project/name
        formats=torch,torch-bf16,onnx,openvino  time these inference variants of each model instead, batch 1,
                    each in its own process, interleaved in rounds (rounds=5; iters= passes per round):
                    torch (fp32 eager, the baseline), torch-fused[-cl], torch-bf16[-cl] (bf16 autocast;
                    -cl: channels-last), onnx, openvino (exported; Ultralytics' runtimes). Writes formats.md/csv/json
                    threads=N: pin every variant to N CPUs (torch threads too)

    Each network is measured in a fresh process: params, GFLOPs, latency (median, p90) and throughput at
    batch 1 and N, peak memory (CPU: growth of the process's peak RSS; CUDA: max_memory_allocated).
    Writes benchmark.csv, benchmark.json (with machine, versions and settings), benchmark.md, benchmark.png.

    Example:
        zoo benchmark deeplabv3p-n unet-s imgsz=256 batch=4
    """


def write_results(result: dict, save_dir) -> dict:
    """Write CSV, JSON, Markdown and PNG files of a benchmark result.

    Args:
        result (dict): From :func:`zoo.bench.runner.run_benchmark`.
        save_dir (str | Path): Folder (created).

    Returns:
        (dict): ``csv``, ``json``, ``md``, ``png`` → file paths.
    """
    from pathlib import Path

    from zoo.bench.chart import plot_benchmark
    from zoo.bench.report import write_csv, write_json, write_markdown

    save_dir = Path(save_dir)
    save_dir.mkdir(parents=True, exist_ok=True)
    return {
        "csv": write_csv(result, save_dir / "benchmark.csv"),
        "json": write_json(result, save_dir / "benchmark.json"),
        "md": write_markdown(result, save_dir / "benchmark.md"),
        "png": plot_benchmark(result, save_dir / "benchmark.png"),
    }


def main(args: list[str]) -> int:
    """Run ``zoo benchmark``.

    Args:
        args (list[str]): Words after ``zoo benchmark``.

    Returns:
        (int): 0 when every network was measured, 1 when some failed (the others are still written).
    """
    from zoo import catalog
    from zoo.bench.report import format_table
    from zoo.cli import UsageError, _wants_help, parse_simple_args

    if _wants_help(args):
        print(HELP)
        return 0
    defaults = {f.name: f.default for f in fields(BenchSettings)}
    names, opts = parse_simple_args(
        args, defaults, "benchmark", flags=("half",), strings=("name", "task", "device", "formats")
    )
    settings = BenchSettings(**opts)
    if not (isinstance(settings.imgsz, int) and settings.imgsz >= 32 and isinstance(settings.batch, int)
            and settings.batch >= 1 and isinstance(settings.iters, int) and settings.iters >= 1):
        raise UsageError("zoo benchmark: imgsz (>= 32), batch (>= 1) and iters (>= 1) must be integers")
    try:
        models = select_models(names, task=settings.task)
    except (catalog.UnknownModelError, ValueError) as e:
        raise UsageError(f"zoo benchmark: {e}") from None
    save_dir = settings.save_dir()
    settings.name = save_dir.name
    if settings.formats:
        return _run_formats(models, settings, save_dir)
    result = run_benchmark(models, settings)
    files = write_results(result, save_dir)
    print(format_table(result))
    print(f"\nResults in {save_dir}: " + ", ".join(p.name for p in files.values()))
    failed = [r for r in result["results"] if "error" in r and not str(r["error"]).startswith("ReferenceUnavailable")]
    return 1 if failed else 0


def _run_formats(models: list[str], settings: BenchSettings, save_dir) -> int:
    """``formats=...``: interleaved rounds of inference variants (see :mod:`zoo.bench.rounds`)."""
    from zoo.bench.formats_report import formats_table, write_formats_results
    from zoo.bench.rounds import run_formats
    from zoo.bench.variants import FORMATS
    from zoo.cli import UsageError

    formats = [f.strip() for f in str(settings.formats).split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not isinstance(settings.rounds, int) or settings.rounds < 1:
        raise UsageError(f"zoo benchmark: formats must be among {', '.join(FORMATS)} (got {', '.join(unknown)}) "
                         "and rounds an integer >= 1")
    result = run_formats(models, settings, formats)
    files = write_formats_results(result, save_dir)
    print("\n".join(formats_table(result)))
    print(f"\nResults in {save_dir}: " + ", ".join(p.name for p in files.values()))
    return 1 if any("error" in r for r in result["results"]) else 0
