"""The machine and software a benchmark ran on, recorded with its results."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata

__all__ = ["environment"]

_PACKAGES = (
    "zoo-for-ultralytics", "ultralytics", "torch", "torchvision", "timm", "segmentation-models-pytorch", "numpy",
    "onnxruntime", "openvino",
)


def _cpu_name() -> str:
    """The CPU model name (``/proc/cpuinfo`` on Linux, else ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    """Total RAM in GiB, if psutil can tell."""
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        return None


def _versions() -> dict[str, str | None]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def environment() -> dict:
    """Machine, software versions and load at the time of the call.

    Returns:
        (dict): ``time`` (UTC ISO 8601), ``machine`` (platform, CPU, cores, RAM, load average),
            ``versions`` (python and key packages), ``argv``.
    """
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        load = None
    return {
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpu": _cpu_name(),
            "cpu_count": os.cpu_count(),
            "ram_gb": _memory_gb(),
            "loadavg_1_5_15": load,
        },
        "versions": _versions(),
        "argv": sys.argv,
    }
