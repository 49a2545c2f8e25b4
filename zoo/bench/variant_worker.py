"""A process that holds one inference variant and times it on request (``zoo benchmark formats=...``).

``python -m zoo.bench.variant_worker prepare '<spec>'`` writes the shared weights, input, reference output and
exports (:func:`zoo.bench.variants.prepare`) and prints one result line.

``python -m zoo.bench.variant_worker serve '<spec>' <format>`` builds the variant, runs it once to compare its
output with the reference, prints a ``ready`` line, then answers each stdin line ``{"iters": n, "warmup": w}``
with the per-pass times of ``w`` untimed and ``n`` timed passes and the process's peak memory growth since just
before the variant was built (MiB; see :class:`zoo.bench.measure.MemoryProbe`), until ``quit`` or end of input.
Between turns it waits on stdin, so it uses no CPU while the other variants are timed.

``python -m zoo.bench.variant_worker accuracy '<spec>' <format>`` validates the variant on ``spec["data"]``
(:func:`zoo.bench.accuracy.validate_variant`) and prints its metrics.

Every answer is one stdout line starting with :data:`MARKER`.
"""

from __future__ import annotations

import json
import sys
import traceback

from zoo.bench.worker import MARKER

__all__ = ["MARKER", "main"]


def _say(obj: dict) -> None:
    sys.stdout.write("\n" + MARKER + json.dumps(obj) + "\n")
    sys.stdout.flush()


def _pin(threads: int | None) -> None:
    """Use ``threads`` CPUs: affinity first (ONNX Runtime and OpenVINO size their pools by it), then torch's pool.

    On a machine shared with other work, two torch threads on two busy cores wait on each other at every
    operator (measured 4-6x slower than one thread here), so the benchmark takes the thread count as a setting
    and applies it to every variant alike.
    """
    import os

    if threads and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:threads]))
    import torch

    if threads:
        torch.set_num_threads(threads)


def _serve(spec: dict, fmt: str) -> None:
    _pin(spec.get("threads"))
    import torch

    from zoo.bench.measure import MemoryProbe, time_forward
    from zoo.bench.variants import build_variant, output_delta

    memory = MemoryProbe(torch.device("cpu"))
    memory.start()  # before the variant is built: its weights, runtime libraries and activations count
    run, x, info = build_variant(spec, fmt)
    with torch.inference_mode():
        out = run(x)
    # the reference has other weights; predict returns Results (its accuracy is the data= column's business)
    delta = {} if "reference" in info or spec.get("predict") else output_delta(spec, out, spec["task"])
    _say({"ready": True, **info, **delta, "threads": torch.get_num_threads(), "batch": len(x)})
    for line in sys.stdin:
        line = line.strip()
        if not line or line == "quit":
            break
        ask = json.loads(line)
        timing = time_forward(run, x, iters=int(ask["iters"]), warmup=int(ask["warmup"]))
        _say({"times_ms": [t * 1e3 for t in timing.times], "cpu_ms": [t * 1e3 for t in timing.cpu_times],
              "peak_mb": memory.peak_mb()})


def main(argv: list[str] | None = None) -> int:
    """Run ``prepare`` or ``serve``; an error becomes a line with ``error`` and exit code 1."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[0] == "prepare":
            from zoo.bench.variants import prepare

            _say(prepare(json.loads(argv[1])))
        elif argv[0] == "serve":
            _serve(json.loads(argv[1]), argv[2])
        elif argv[0] == "accuracy":
            spec = json.loads(argv[1])
            _pin(spec.get("threads"))
            from zoo.bench.accuracy import validate_variant

            _say(validate_variant(spec, argv[2]))
        else:
            raise ValueError(f"unknown command {argv[0]!r}: prepare, serve or accuracy")
    except Exception as e:  # reported by the parent, which carries on with the other variants
        _say({"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(limit=6)})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
