"""Helpers of the CLI tests: run the installed ``zoo`` script in a subprocess, offline.

tests/conftest.py has already set YOLO_OFFLINE, YOLO_AUTOINSTALL, YOLO_CONFIG_DIR (with the local
Arial.ttf), ZOO_OFFLINE, ZOO_CACHE_DIR and HF_HUB_OFFLINE in ``os.environ``; children inherit them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

OFFLINE_KEYS = ("YOLO_OFFLINE", "YOLO_AUTOINSTALL", "YOLO_CONFIG_DIR", "ZOO_OFFLINE", "ZOO_CACHE_DIR", "HF_HUB_OFFLINE")


def zoo_command() -> list[str]:
    """The console script next to this interpreter, else on PATH, else ``python -m zoo``."""
    beside = Path(sys.executable).with_name("zoo")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("zoo")
    return [found] if found else [sys.executable, "-m", "zoo"]


def offline_env(**extra: str) -> dict:
    """This session's environment (offline, throwaway config dir with the font) plus ``extra``."""
    missing = [k for k in OFFLINE_KEYS if k not in os.environ]
    assert not missing, f"tests/conftest.py should have set {missing}"
    return {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1", **extra}


def run_zoo(*args: str, cwd: str | Path | None = None, timeout: float = 240, **env: str) -> subprocess.CompletedProcess:
    """Run ``zoo ARGS`` and return the completed process (text stdout/stderr)."""
    return subprocess.run([*zoo_command(), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=offline_env(**env), timeout=timeout)
