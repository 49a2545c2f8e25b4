"""Test session setup: offline, no auto-installs, local font, and a guard that refuses non-loopback sockets.

Ultralytics reads its environment when imported, so everything here happens before any test imports it.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
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

_real_connect = socket.socket.connect


def _loopback_only_connect(self, address):
    """Refuse any connection that leaves the machine: tests must not reach the network."""
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise ConnectionRefusedError(f"tests run offline: refused connection to {address!r}")
    return _real_connect(self, address)


socket.socket.connect = _loopback_only_connect


@pytest.fixture(scope="session")
def config_dir() -> Path:
    """The throwaway Ultralytics/zoo configuration directory of this test session."""
    return _CONFIG_DIR
