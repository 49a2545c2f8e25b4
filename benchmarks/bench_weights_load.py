"""Benchmark: loading weights from the cache and downloading them over loopback.

1. A ViT-B-sized state dict (timm ``vit_base_patch16_224``, pretrained=False, ~86M params) read with
   zoo's loader (safetensors, verified: sha256 + size every time) vs ``torch.load`` of the same
   tensors (weights_only, no verification); also the raw safetensors read without the hash, to
   show what verification costs.
2. Download throughput of zoo's downloader from a loopback HTTP server vs a plain socket copy of
   the same bytes.

Run: ``python benchmarks/bench_weights_load.py``. Needs no network beyond 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path


def best_of(fn, n=3):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main() -> None:
    import timm
    import torch
    from safetensors.torch import load_file, save_file

    tmp = Path(tempfile.mkdtemp(prefix="zoo-bench-"))
    os.environ["ZOO_CACHE_DIR"] = str(tmp / "cache")
    from zoo.weights.cache import cached_path, sha256_file
    from zoo.weights.download import RetryPolicy, download
    from zoo.weights.io import read_state_dict
    from zoo.weights.resolve import source_path
    from zoo.weights.sources import parse_source

    model = timm.create_model("vit_base_patch16_224", pretrained=False)
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    params = sum(v.numel() for v in sd.values())
    st_path, pt_path = tmp / "vit_b.safetensors", tmp / "vit_b.pt"
    save_file(sd, str(st_path))
    torch.save(sd, pt_path)
    size, digest = st_path.stat().st_size, sha256_file(st_path)
    cached = cached_path(digest, "vit_b.safetensors")
    cached.parent.mkdir(parents=True)
    os.link(st_path, cached)
    src = parse_source("http://127.0.0.1:9/vit_b.safetensors", base_dir=None)

    def zoo_load():  # what load_weights does: verify size+sha256 from the cache, then read
        read_state_dict(source_path(src, sha256=digest, size=size, name="bench", offline=True))

    rows = []
    t_zoo, _ = best_of(zoo_load)
    t_st, _ = best_of(lambda: load_file(str(st_path)))
    t_pt, _ = best_of(lambda: torch.load(pt_path, weights_only=True))
    t_pt_mmap, _ = best_of(lambda: torch.load(pt_path, weights_only=True, mmap=True))
    rows += [
        ("zoo load (verify sha256 + safetensors)", t_zoo, size / t_zoo),
        ("safetensors load_file (no verify)", t_st, size / t_st),
        ("torch.load weights_only", t_pt, size / t_pt),
        ("torch.load weights_only mmap", t_pt_mmap, size / t_pt_mmap),
    ]

    data = st_path.read_bytes()

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            mv = memoryview(data)
            for i in range(0, len(data), 1 << 20):
                self.wfile.write(mv[i : i + (1 << 20)])

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/vit_b.safetensors"

    def zoo_download():
        dest = tmp / "dl" / digest / "vit_b.safetensors"
        if dest.exists():
            dest.unlink()
        download(url, dest, sha256=digest, size=size, name="bench", progress=False, retry=RetryPolicy())

    # plain socket copy: one sender thread, receiver writes to disk and hashes nothing
    lsock = socket.create_server(("127.0.0.1", 0))

    def sender():
        while True:
            conn, _ = lsock.accept()
            with conn:
                conn.sendall(data)

    threading.Thread(target=sender, daemon=True).start()

    def socket_copy():
        with socket.create_connection(lsock.getsockname()) as s, open(tmp / "raw.bin", "wb") as f:
            got = 0
            while chunk := s.recv(1 << 20):
                f.write(chunk)
                got += len(chunk)
        assert got == len(data)

    def socket_copy_hashed():
        h = hashlib.sha256()
        with socket.create_connection(lsock.getsockname()) as s, open(tmp / "raw.bin", "wb") as f:
            while chunk := s.recv(1 << 20):
                f.write(chunk)
                h.update(chunk)

    t_dl, _ = best_of(zoo_download)
    t_sock, _ = best_of(socket_copy)
    t_sock_h, _ = best_of(socket_copy_hashed)
    rows += [
        ("zoo download over loopback (HTTP, sha256, fsync)", t_dl, size / t_dl),
        ("plain socket copy to disk", t_sock, size / t_sock),
        ("plain socket copy to disk + sha256", t_sock_h, size / t_sock_h),
    ]
    srv.shutdown()

    print(f"ViT-B state dict: {params / 1e6:.1f}M params, {size / 2**20:.1f} MiB; best of 3, warm page cache")
    print(f"{'case':52s} {'seconds':>8s} {'MiB/s':>8s}")
    for name, t, rate in rows:
        print(f"{name:52s} {t:8.3f} {rate / 2**20:8.0f}")
    print(f"ratio torch.load / zoo load (verified):        {t_pt / t_zoo:5.2f}x")
    print(f"ratio torch.load / safetensors (unverified):   {t_pt / t_st:5.2f}x")
    print(f"ratio zoo download / plain socket copy (time): {t_dl / t_sock:5.2f}x")
    print(f"ratio zoo download / socket copy + sha256:     {t_dl / t_sock_h:5.2f}x")


if __name__ == "__main__":
    sys.exit(main())
