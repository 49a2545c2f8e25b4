"""Fixtures for the weights tests: an isolated cache and a scripted HTTP server on 127.0.0.1.

Every test stays off the internet: the only sockets opened go to the loopback server started
here, in a thread, by the test itself.
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest
from weights_helpers import Server


@pytest.fixture
def server():
    srv = Server()
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Fresh cache dir, online mode, no user manifests, for every test."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("ZOO_CACHE_DIR", str(cache))
    for var in ("ZOO_OFFLINE", "YOLO_OFFLINE", "ZOO_MANIFEST"):
        monkeypatch.delenv(var, raising=False)
    return cache


@pytest.fixture
def write_manifest(tmp_path):
    """Write a manifest with the given entries and return its path."""

    def write(entries: dict, name: str = "manifest.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps({"schema_version": 1, "weights": entries}))
        return path

    return write


@pytest.fixture
def no_sockets(monkeypatch):
    """Make any socket connection attempt fail loudly (only in tests that assert no network)."""

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"a socket connection was attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
