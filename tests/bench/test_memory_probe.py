"""The benchmark's CPU peak-memory probe measures what its own process allocates, not what started it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np

CHILD = textwrap.dedent("""
    import numpy as np, torch
    from zoo.bench.measure import MemoryProbe
    probe = MemoryProbe(torch.device("cpu"))
    probe.start()
    block = np.ones(64 * 2**20 // 8)  # 64 MiB, touched
    print(round(probe.peak_mb()))
""")


def test_a_worker_does_not_read_the_peak_of_the_process_that_started_it():
    """Linux keeps ``ru_maxrss`` across fork and exec, so a worker spawned by a large process would report that
    process's size; the probe reads the worker's own peak."""
    parent_ballast = np.ones(768 * 2**20 // 8)  # this process holds 768 MiB more than the worker ever will
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=300)
    assert parent_ballast.sum() > 0
    assert 56 <= int(out.stdout.strip().splitlines()[-1]) <= 160  # the worker's 64 MiB, plus allocator slack
