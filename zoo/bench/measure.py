"""Measure one built network in this process: parameters, FLOPs, latency, throughput and peak memory.

Memory, decided once for all models:
    * CUDA: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats`` taken before the
      model is built: the peak of tensors allocated for weights and activations (not the caching
      allocator's reserve, not the CUDA context).
    * CPU: ``tracemalloc`` does not see torch's allocations, so the benchmark runs each model in a
      fresh process (see :mod:`zoo.bench.worker`) and reports the growth of the process's peak
      resident set over its resident size just before the model is built: weights, activations and
      allocator overhead at the largest batch. On Linux the peak is ``VmHWM`` of ``/proc/self/status``,
      reset to the current size when the measurement starts (``/proc/self/clear_refs``), not
      ``getrusage``'s ``ru_maxrss``: a child started by ``subprocess`` inherits its parent's
      ``ru_maxrss`` across ``exec``, so a worker spawned by a 1.5 GB process read 1.5 GB before
      building anything. Elsewhere ``ru_maxrss`` is the fallback.

FLOPs come from ``torch.utils.flop_counter.FlopCounterMode`` at batch 1 (convolutions, matrix
products and attention; 2 FLOPs per multiply-add), so zoo models and third-party references are
counted by the same rule. Ultralytics' thop-based ``get_flops`` reads a few percent higher.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable

import torch

__all__ = ["Timing", "time_forward", "count_flops", "count_params", "MemoryProbe"]


@dataclass(frozen=True)
class Timing:
    """Latency of repeated forward passes at one batch size.

    Attributes:
        batch (int): Images per forward pass.
        median_ms (float): Median latency per pass, milliseconds.
        p90_ms (float): 90th percentile latency per pass, milliseconds.
        throughput (float): Images per second at the median latency.
        times (tuple[float, ...]): Every timed pass, seconds.
        cpu_times (tuple[float, ...]): CPU time of this process (all its threads) during each timed pass, seconds:
            on a shared machine, time spent descheduled is not in it, so single-thread comparisons drift less.
    """

    batch: int
    median_ms: float
    p90_ms: float
    throughput: float
    times: tuple[float, ...] = ()
    cpu_times: tuple[float, ...] = ()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile ``q`` (0-100) of ``values``."""
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def time_forward(model: torch.nn.Module | Callable, x: torch.Tensor | list, *, iters: int, warmup: int) -> Timing:
    """Time ``model(x)`` under ``torch.inference_mode``.

    Args:
        model (torch.nn.Module | Callable): The network, in eval mode, on ``x``'s device (or any callable that
            runs it, e.g. an exported model's backend).
        x (torch.Tensor | list): Input batch (a tensor, or a list of images for a ``predict`` call).
        iters (int): Timed passes (>= 1).
        warmup (int): Untimed passes first.

    Returns:
        (Timing): Median and p90 latency and throughput.
    """
    device = getattr(x, "device", torch.device("cpu"))
    batch = x.shape[0] if isinstance(x, torch.Tensor) else len(x)
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        _sync(device)
        times, cpu_times = [], []
        for _ in range(max(1, iters)):
            c, t = time.process_time(), time.perf_counter()
            model(x)
            _sync(device)
            times.append(time.perf_counter() - t)
            cpu_times.append(time.process_time() - c)
    median = statistics.median(times)
    return Timing(
        batch=batch,
        median_ms=median * 1e3,
        p90_ms=_percentile(times, 90) * 1e3,
        throughput=batch / median,
        times=tuple(times),
        cpu_times=tuple(cpu_times),
    )


def count_flops(model: torch.nn.Module, x: torch.Tensor) -> float:
    """GFLOPs of one forward pass on ``x`` (use a batch of 1 for per-image GFLOPs)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(x)
    return counter.get_total_flops() / 1e9


def count_params(model: torch.nn.Module) -> int:
    """Number of parameters (shared tensors counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def _rss_bytes() -> int:
    """Current resident set size of this process, in bytes."""
    import psutil

    return psutil.Process().memory_info().rss


def _status_kb(field: str) -> int | None:
    """A ``/proc/self/status`` memory field (``VmHWM``, ``VmRSS``) in kB, or None where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> None:
    """Reset this process's peak resident set (``VmHWM``) to its current size, where Linux allows it."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        pass


def _maxrss_bytes() -> int:
    """Peak resident set size of this process, in bytes: ``VmHWM`` on Linux, else ``ru_maxrss`` (kB, or bytes on
    macOS), which a process started by another one may have inherited from it."""
    hwm = _status_kb("VmHWM")
    if hwm is not None:
        return hwm * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class MemoryProbe:
    """Peak memory of what happens between :meth:`start` and :meth:`peak_mb` (see the module docstring).

    Args:
        device (torch.device): Where the model runs.
    """

    def __init__(self, device: torch.device):
        self.device = device
        self.method = ("cuda.max_memory_allocated" if device.type == "cuda"
                       else "peak RSS growth (own process; VmHWM on Linux, else ru_maxrss)")
        self._base = 0

    def start(self) -> None:
        """Mark the baseline (call before building the model)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
        else:
            _reset_peak_rss()  # earlier peaks (imports, another process's inherited ru_maxrss) do not count
            self._base = _rss_bytes()

    def peak_mb(self) -> float:
        """Peak memory above the baseline, MiB."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
        else:
            peak = _maxrss_bytes()
        return max(0, peak - self._base) / 2**20
