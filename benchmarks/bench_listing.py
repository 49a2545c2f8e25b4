"""Benchmark: listing zoo's models in a fresh process vs importing Ultralytics.

Each command runs in a fresh interpreter, ``--runs`` times, interleaved (so drifting machine load
hits every command alike); the median wall time of each is reported, and the ratio of listing to
``import ultralytics``. Goal: listing takes at most 1/5 of the import. All commands run with
``YOLO_OFFLINE=1`` (no DNS probe at the Ultralytics import, which favours the import).

Run: ``python benchmarks/bench_listing.py [--runs 15]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

GOAL = 1 / 5


def commands() -> dict[str, list[str]]:
    """The timed commands, by label."""
    zoo_cli = shutil.which("zoo")
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "zoo list": [zoo_cli, "list"] if zoo_cli else [sys.executable, "-m", "zoo", "list"],
        "import zoo; zoo.list_models()": [sys.executable, "-c", "import zoo; zoo.list_models()"],
        "import ultralytics": [sys.executable, "-c", "import ultralytics"],
    }


def time_once(cmd: list[str], env: dict) -> float:
    """Wall time of one run of ``cmd``, in seconds (output discarded; a failure raises)."""
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=15)
    a = p.parse_args()
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    cmds = commands()
    for cmd in cmds.values():  # warm the OS file cache once
        time_once(cmd, env)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(a.runs):
        for label, cmd in cmds.items():
            times[label].append(time_once(cmd, env))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"median of {a.runs} interleaved runs (fresh process each):")
    for label, m in med.items():
        print(f"  {label:32s} {m * 1e3:8.0f} ms")
    for label in ("zoo list", "import zoo; zoo.list_models()"):
        ratio = med[label] / med["import ultralytics"]
        verdict = "meets" if ratio <= GOAL else "misses"
        print(f"{label} / import ultralytics = {ratio:.3f} ({verdict} the goal <= {GOAL:.2f})")


if __name__ == "__main__":
    main()
