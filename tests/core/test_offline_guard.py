"""The offline guard refuses non-loopback sockets in the pytest process and in every subprocess it starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest

TEST_NET = ("192.0.2.1", 9)  # RFC 5737 TEST-NET-1: never routed, so only a timeout could answer without the guard


def _child(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with this session's environment (as every subprocess test does)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), timeout=60)


def test_subprocess_connect_to_the_network_is_refused_by_the_guard():
    out = _child(f"import socket\nsocket.create_connection({TEST_NET!r}, timeout=3)")
    assert out.returncode != 0
    assert f"ConnectionRefusedError: tests run offline: refused connection to {TEST_NET!r}" in out.stderr, out.stderr


def test_subprocess_dns_lookup_is_refused_by_the_guard():
    out = _child("import urllib.request\nurllib.request.urlopen('http://example.com/', timeout=3)")
    assert out.returncode != 0
    assert "tests run offline: refused to resolve 'example.com'" in out.stderr, out.stderr


def test_subprocess_loopback_still_connects():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted = threading.Thread(target=lambda: server.accept()[0].close(), daemon=True)
    accepted.start()
    try:
        out = _child(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=10).close()\nprint('ok')")
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "ok"
    finally:
        accepted.join(timeout=10)
        server.close()


def test_pytest_process_is_guarded_too():
    with pytest.raises(ConnectionRefusedError, match=r"tests run offline: refused connection to \('192\.0\.2\.1', 9\)"):
        socket.create_connection(TEST_NET, timeout=3)
