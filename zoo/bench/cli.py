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
        reference=True   also measure each model's reference implementation (timm, smp, torchvision, Ultralytics)
        task=...    only models of this task       timeout=900 seconds per measured network
        project=runs/zoo-benchmark  name=<time>    results folder: project/name
        formats=torch,torch-bf16,onnx,openvino  time these inference variants of each model instead, batch 1,
                    each in its own process, interleaved in rounds (rounds=5; iters= passes per round):
                    torch (fp32 eager, the baseline), torch-fused[-cl], torch-bf16[-cl] (bf16 autocast;
                    -cl: channels-last), onnx, openvino, openvino-int8 (exported; Ultralytics' runtimes; int8
                    is calibrated on data='s train split and needs nncf), reference[-cl] (the model's
                    timm/smp/torchvision/Ultralytics reference: zoo's speed over it per round, against
                    torch[-fused-cl]).
                    Writes formats.md/csv/json
                    threads=N: pin every variant to N CPUs (torch threads too)
                    data=DATA.yaml: also validate every variant on DATA's val split (mIoU / mAP / top-1 and
                    the delta to fp32 eager); weights=best.pt|DEFAULT|NAME: benchmark these weights
                    predict: time model.predict(image) per pass (pre- and post-processing included; one
                    square image: data='s first validation image, else bus.jpg's centre square)
                    instead of the forward pass, for torch-fused-cl (fp32 predict, the baseline then),
                    torch-bf16-cl (half=True), onnx, openvino, openvino-int8
        search      find each model's best (threads, batch) by images/s: every combination of threads
                    (threads=1,2; default 1, 2, 4... up to the CPUs) and batch (batch=1,4; default 1 and 4) of
                    the eager formats in formats= (default torch-fused-cl, what predict runs), each in its own
                    process, interleaved in rounds. Writes search.md/csv/json with the chosen one per model.
                    Giving threads= or batch= a list (threads=1,2) implies search. zoo's predict keeps torch's
                    thread count (one per core; OMP_NUM_THREADS=N sets it) and Ultralytics' batch=1: apply what
                    the search found with OMP_NUM_THREADS=T zoo predict ... batch=B

    Each network is measured in a fresh process: params, GFLOPs, latency (median, p90) and throughput at
    batch 1 and N, peak memory (CPU: growth of the process's peak RSS; CUDA: max_memory_allocated).
    Writes benchmark.csv, benchmark.json (with machine, versions and settings), benchmark.md, benchmark.png.

    Examples:
        zoo benchmark deeplabv3p-n unet-s imgsz=256 batch=4
        zoo benchmark deeplabv3p-s imgsz=512 threads=1,2 batch=1,4 rounds=5 iters=3
        zoo benchmark deeplabv3p-s imgsz=512 formats=torch,torch-bf16-cl,openvino weights=best.pt data=d.yaml
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
    from zoo.bench.report import format_table
    from zoo.cli import UsageError, _wants_help, parse_simple_args

    if _wants_help(args):
        print(HELP)
        return 0
    defaults = {f.name: f.default for f in fields(BenchSettings)}
    names, opts = parse_simple_args(
        args, defaults, "benchmark", flags=("half", "search", "predict"),
        strings=("name", "task", "device", "formats", "data", "weights"),
    )
    if opts.get("search") or isinstance(opts.get("threads"), tuple) or isinstance(opts.get("batch"), tuple):
        return _run_search(names, opts)
    settings = BenchSettings(**opts)
    if not (isinstance(settings.imgsz, int) and settings.imgsz >= 32 and isinstance(settings.batch, int)
            and settings.batch >= 1 and isinstance(settings.iters, int) and settings.iters >= 1):
        raise UsageError("zoo benchmark: imgsz (>= 32), batch (>= 1) and iters (>= 1) must be integers")
    models, save_dir = _models_and_folder(names, settings)
    if settings.formats:
        return _run_formats(models, settings, save_dir)
    result = run_benchmark(models, settings)
    files = write_results(result, save_dir)
    print(format_table(result))
    print(f"\nResults in {save_dir}: " + ", ".join(p.name for p in files.values()))
    failed = [r for r in result["results"] if "error" in r and not str(r["error"]).startswith("ReferenceUnavailable")]
    return 1 if failed else 0


def _models_and_folder(names: list[str], settings: BenchSettings):
    """The models ``names`` select and the results folder (its name recorded in ``settings``).

    Raises:
        UsageError: For names or a task that select nothing valid.
    """
    from zoo import catalog
    from zoo.cli import UsageError

    try:
        models = select_models(names, task=settings.task)
    except (catalog.UnknownModelError, ValueError) as e:
        raise UsageError(f"zoo benchmark: {e}") from None
    save_dir = settings.save_dir()
    settings.name = save_dir.name
    return models, save_dir


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
    if settings.predict:
        from zoo.bench.predict_variant import PREDICT_FORMATS

        if any(f not in PREDICT_FORMATS for f in formats):
            raise UsageError(f"zoo benchmark: with predict, formats must be among {', '.join(PREDICT_FORMATS)} (the "
                             f"ones a predict call can run; got {','.join(formats)})")
    if "openvino-int8" in formats and not settings.data:
        raise UsageError("zoo benchmark: formats=openvino-int8 is calibrated on images: give data=DATA.yaml")
    result = run_formats(models, settings, formats)
    files = write_formats_results(result, save_dir)
    print("\n".join(formats_table(result)))
    print(f"\nResults in {save_dir}: " + ", ".join(p.name for p in files.values()))
    return 1 if any("error" in r for r in result["results"]) else 0


def _int_list(value, name: str) -> tuple[int, ...]:
    """``1`` or ``(1, 2)`` (``threads=1,2``) as a tuple of positive integers."""
    from zoo.cli import UsageError

    values = value if isinstance(value, tuple) else (value,)
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values):
        raise UsageError(f"zoo benchmark: {name} must be a positive integer or a list of them (e.g. {name}=1,2)")
    return tuple(dict.fromkeys(values))


def _run_search(names: list[str], opts: dict) -> int:
    """``search`` (or list-valued ``threads=``/``batch=``): the best (threads, batch) per model."""
    from zoo.bench.search import DEFAULT_FORMAT, SEARCHABLE, default_threads, run_search
    from zoo.bench.search_report import best_lines, search_table, write_search_results
    from zoo.cli import UsageError

    threads = _int_list(opts.pop("threads"), "threads") if opts.get("threads") is not None else default_threads()
    batches = _int_list(opts.pop("batch"), "batch") if "batch" in opts else (1, 4)
    available = max(default_threads())
    if max(threads) > available:
        raise UsageError(f"zoo benchmark: threads={max(threads)} but this process may use {available} CPUs")
    formats = [f.strip() for f in str(opts.pop("formats", None) or DEFAULT_FORMAT).split(",") if f.strip()]
    if not formats or any(f not in SEARCHABLE for f in formats):
        raise UsageError(f"zoo benchmark: search times eager formats only ({', '.join(SEARCHABLE)}); exported "
                         f"graphs are traced at one batch size (got formats={','.join(formats)})")
    settings = BenchSettings(**{**opts, "search": True, "threads": threads, "batch": max(batches)})
    if not (isinstance(settings.imgsz, int) and settings.imgsz >= 32 and isinstance(settings.iters, int)
            and settings.iters >= 1 and isinstance(settings.rounds, int) and settings.rounds >= 1):
        raise UsageError("zoo benchmark: imgsz (>= 32), iters (>= 1) and rounds (>= 1) must be integers")
    models, save_dir = _models_and_folder(names, settings)
    result = run_search(models, settings, formats, threads, batches)
    files = write_search_results(result, save_dir)
    print("\n".join(search_table(result) + [""] + best_lines(result)))
    print(f"\nResults in {save_dir}: " + ", ".join(p.name for p in files.values()))
    return 1 if any("error" in r for r in result["results"]) else 0
