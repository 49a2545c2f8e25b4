"""Helpers for the weights tests: a scripted HTTP server on 127.0.0.1 and small payloads."""

from __future__ import annotations

import collections
import hashlib
import http.server
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from zoo.weights.download import RetryPolicy

FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, timeout=10)


def tensor_bytes(n: int = 256, seed: int = 0) -> bytes:
    """Return a small safetensors file as bytes (one float tensor of n values plus a bias)."""
    import torch
    from safetensors.torch import save

    g = torch.Generator().manual_seed(seed)
    return save({"weight": torch.randn(n // 16, 16, generator=g), "bias": torch.randn(n // 16, generator=g)})


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    """Dispatches each request to the test's script for that path."""

    def do_GET(self):  # noqa: N802 (http.server naming)
        srv = self.server
        with srv.lock:
            srv.requests.append((self.path, dict(self.headers)))
            i = srv.counts[self.path]
            srv.counts[self.path] += 1
        script = srv.routes.get(self.path)
        if script is None:
            self.send_error(404)
            return
        try:
            script(self, i)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (e.g. killed mid-download): expected in some tests

    def log_message(self, *args):  # keep pytest output clean
        pass

    # helpers used by scripts ------------------------------------------------------------------
    def send_bytes(self, data: bytes, *, ctype: str = "application/octet-stream", honor_range: bool = True,
                   truncate: int | None = None, throttle: float = 0.0, chunk: int = 4096):
        """Serve ``data`` (ranged if asked and honoured), optionally cut short or slowly."""
        start = 0
        m = re.match(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if m and honor_range:
            start = int(m.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if truncate is not None:
            body = body[:truncate]
        for k in range(0, len(body), chunk):
            self.wfile.write(body[k : k + chunk])
            self.wfile.flush()
            if throttle:
                time.sleep(throttle)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, Callable[[Handler, int], None]] = {}
        self.requests: list[tuple[str, dict]] = []
        self.counts: collections.Counter = collections.Counter()
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def serve(self, path: str, data: bytes, **kw) -> str:
        """Route ``path`` to always serve ``data``; return its URL."""
        self.routes[path] = lambda h, i: h.send_bytes(data, **kw)
        return self.url(path)

    def hits(self, path: str) -> int:
        return self.counts[path]


def entry(source: str, data: bytes | None = None, **extra) -> dict:
    """A valid manifest entry for ``data`` served at ``source``."""
    out = {
        "source": source,
        "sha256": sha(data) if data is not None else None,
        "size": len(data) if data is not None else None,
        "format": "safetensors",
        "layout": "zoo",
        "coverage": "model",
        "license": "mit",
    }
    out.update(extra)
    return out


def files_under(root: Path) -> list[str]:
    """Relative paths of all files under root (for 'nothing cached / no temp left' checks)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


