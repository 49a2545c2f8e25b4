"""Test session setup: offline, no auto-installs, local font, and a guard that refuses non-loopback sockets.

Ultralytics reads its environment when imported, so everything here happens before any test imports it.
The socket guard (``tests/_offline/sitecustomize.py``) runs in this process and, through ``PYTHONPATH``
in ``os.environ``, in every Python subprocess a test starts with this environment.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_CONFIG_DIR = Path(tempfile.mkdtemp(prefix="zoo-tests-config-"))
os.environ.update(
    {
        "YOLO_OFFLINE": "1",  # no DNS probe at import
        "YOLO_AUTOINSTALL": "False",  # never pip-install a missing module
        "YOLO_CONFIG_DIR": str(_CONFIG_DIR),  # settings and fonts in a throwaway folder
        "ZOO_OFFLINE": "1",
        "ZOO_CACHE_DIR": str(_CONFIG_DIR / "zoo-cache"),
        "HF_HUB_OFFLINE": "1",
        "MPLBACKEND": "Agg",
    }
)


def _install_local_font() -> None:
    """Plots ask for Arial.ttf and download it when missing; give them matplotlib's DejaVu Sans instead."""
    import matplotlib

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    target = _CONFIG_DIR / "Ultralytics"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        shutil.copy(font, target / name)


_install_local_font()

OFFLINE_GUARD_DIR = Path(__file__).resolve().parent / "_offline"


def _install_offline_guard() -> None:
    """Refuse non-loopback sockets here, and make every child Python process do the same at start-up."""
    # Children import tests/_offline/sitecustomize.py at start-up because its folder leads PYTHONPATH.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(OFFLINE_GUARD_DIR), os.environ.get("PYTHONPATH")]))
    # This process started before that: load the same file by path, under a name that is not "sitecustomize".
    spec = importlib.util.spec_from_file_location("zoo_tests_offline_guard", OFFLINE_GUARD_DIR / "sitecustomize.py")
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    guard.install()


_install_offline_guard()


@pytest.fixture(scope="session")
def config_dir() -> Path:
    """The throwaway Ultralytics/zoo configuration directory of this test session."""
    return _CONFIG_DIR
