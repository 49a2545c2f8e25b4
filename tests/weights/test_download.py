"""Downloader and cache behaviour against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from weights_helpers import FAST_RETRY, entry, files_under, sha, tensor_bytes

from zoo.weights import (
    ChecksumError,
    DownloadError,
    UnverifiedWeightsError,
    WeightsNotCachedError,
    fetch,
    load_manifest,
    verify,
)

NAME = "tiny-net.v1"


def setup(server, write_manifest, data=None, path="/w/model.safetensors", **kw):
    data = data if data is not None else tensor_bytes()
    url = server.serve(path, data, **kw)
    manifest = load_manifest(write_manifest({NAME: entry(url, data)}))
    return data, manifest


def test_download_verifies_and_caches(server, write_manifest, isolated):
    data, manifest = setup(server, write_manifest)
    path = fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    assert path == isolated / sha(data) / "model.safetensors"
    assert path.read_bytes() == data
    assert verify(NAME, manifest=manifest) is True
    assert not [f for f in files_under(isolated) if f.endswith(".incomplete")]


def test_second_load_opens_no_socket(server, write_manifest, monkeypatch):
    data, manifest = setup(server, write_manifest)
    first = fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    import socket

    def refuse(self, *a, **k):
        raise AssertionError("socket opened on a cached load")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False) == first
    assert server.hits("/w/model.safetensors") == 1


def test_wrong_sha256_names_both_digests_and_caches_nothing(server, write_manifest, isolated):
    data = tensor_bytes()
    url = server.serve("/w/model.safetensors", data)
    wrong = sha(b"something else")
    manifest = load_manifest(write_manifest({NAME: {**entry(url, data), "sha256": wrong}}))
    with pytest.raises(ChecksumError, match=f"expected sha256 {wrong}.*got sha256 {sha(data)}"):
        fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    assert [f for f in files_under(isolated) if not f.endswith(".lock")] == []


@pytest.mark.parametrize("ctype", ["text/html", "application/octet-stream"])
def test_html_page_with_status_200_is_an_error(server, write_manifest, isolated, ctype):
    page = b"<!DOCTYPE html><html><body>Please log in</body></html>" * 10
    url = server.serve("/w/model.safetensors", page, ctype=ctype)
    data = tensor_bytes()
    manifest = load_manifest(write_manifest({NAME: entry(url, data)}))
    with pytest.raises(DownloadError, match=f"{NAME}.*returned an HTML page.*Nothing was cached"):
        fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    assert [f for f in files_under(isolated) if not f.endswith(".lock")] == []
    assert server.hits("/w/model.safetensors") == 1  # permanent: not retried


def test_short_body_is_retried_and_resumed_with_range(server, write_manifest):
    data = tensor_bytes(4096)

    def script(h, i):
        h.send_bytes(data, truncate=len(data) // 3 if i == 0 else None)

    server.routes["/w/model.safetensors"] = script
    manifest = load_manifest(write_manifest({NAME: entry(server.url("/w/model.safetensors"), data)}))
    path = fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    assert path.read_bytes() == data
    ranges = [hdr.get("Range") for p, hdr in server.requests]
    assert ranges == [None, f"bytes={len(data) // 3}-"]


def test_body_always_short_fails_after_bounded_retries(server, write_manifest, isolated):
    data = tensor_bytes(4096)
    # each answer is cut 100 bytes short of its Content-Length, so no attempt can complete
    server.routes["/w/model.safetensors"] = lambda h, i: h.send_bytes(data, honor_range=False, truncate=len(data) - 100)
    manifest = load_manifest(write_manifest({NAME: entry(server.url("/w/model.safetensors"), data)}))
    with pytest.raises(DownloadError, match="failed after 4 attempts.*short body"):
        fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    assert server.hits("/w/model.safetensors") == 4
    assert [f for f in files_under(isolated) if not f.endswith(".lock")] == []


def test_404_names_the_entry(server, write_manifest):
    data = tensor_bytes()
    manifest = load_manifest(write_manifest({NAME: entry(server.url("/missing.safetensors"), data)}))
    with pytest.raises(DownloadError, match=rf"{NAME}: .*missing.safetensors does not exist \(HTTP 404\).*{NAME}"):
        fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)


def test_503_then_success_is_retried(server, write_manifest):
    data = tensor_bytes()

    def script(h, i):
        if i == 0:
            h.send_error(503, "busy")
        else:
            h.send_bytes(data)

    server.routes["/w/model.safetensors"] = script
    manifest = load_manifest(write_manifest({NAME: entry(server.url("/w/model.safetensors"), data)}))
    assert fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False).read_bytes() == data
    assert server.hits("/w/model.safetensors") == 2


def test_redirect_loop_is_a_clear_error(server, write_manifest):
    def redirect_to(target):
        def script(h, i):
            h.send_response(302)
            h.send_header("Location", server.url(target))
            h.send_header("Content-Length", "0")
            h.end_headers()

        return script

    server.routes["/a/model.safetensors"] = redirect_to("/b/model.safetensors")
    server.routes["/b/model.safetensors"] = redirect_to("/a/model.safetensors")
    manifest = load_manifest(write_manifest({NAME: entry(server.url("/a/model.safetensors"), tensor_bytes())}))
    with pytest.raises(DownloadError, match=f"{NAME}: .*redirects in a loop"):
        fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)


def test_range_ignored_on_resume_restarts_from_zero(server, write_manifest):
    data = tensor_bytes(4096)

    def script(h, i):
        # first answer cut short; the resume request's Range header is then ignored (status 200)
        h.send_bytes(data, honor_range=False, truncate=1000 if i == 0 else None)

    server.routes["/w/model.safetensors"] = script
    manifest = load_manifest(write_manifest({NAME: entry(server.url("/w/model.safetensors"), data)}))
    path = fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    assert path.read_bytes() == data
    assert server.requests[1][1].get("Range") == "bytes=1000-"


@pytest.mark.parametrize("damage", ["truncate", "tamper"])
def test_damaged_cached_file_is_reverified_and_repaired(server, write_manifest, damage):
    data, manifest = setup(server, write_manifest)
    path = fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        path.write_bytes(raw[:-10])
    else:
        raw[-1] ^= 0xFF  # same size, different content: only the sha256 catches it
        path.write_bytes(bytes(raw))
    with pytest.raises(ChecksumError, match="mismatch"):
        verify(NAME, manifest=manifest)
    assert fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False).read_bytes() == data
    assert server.hits("/w/model.safetensors") == 2


def test_damaged_cached_file_offline_is_a_typed_error(server, write_manifest, monkeypatch, no_sockets):
    data = tensor_bytes()
    url = "http://127.0.0.1:9/w/model.safetensors"
    manifest = load_manifest(write_manifest({NAME: entry(url, data)}))
    cached = Path(os.environ["ZOO_CACHE_DIR"]) / sha(data) / "model.safetensors"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    with pytest.raises(WeightsNotCachedError, match=f"sha256 mismatch.*zoo weights fetch {NAME}"):
        fetch(NAME, manifest=manifest, progress=False)
    assert not cached.exists()


@pytest.mark.parametrize("var", ["ZOO_OFFLINE", "YOLO_OFFLINE"])
def test_offline_not_cached_names_file_and_command(write_manifest, monkeypatch, no_sockets, var):
    manifest = load_manifest(write_manifest({NAME: entry("http://127.0.0.1:9/model.safetensors", tensor_bytes())}))
    monkeypatch.setenv(var, "1")
    with pytest.raises(WeightsNotCachedError, match=rf"model\.safetensors is not in the weights cache.*`zoo weights fetch {NAME}`"):
        fetch(NAME, manifest=manifest, progress=False)


def test_offline_cached_file_loads_without_network(server, write_manifest, monkeypatch):
    data, manifest = setup(server, write_manifest)
    fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    assert fetch(NAME, manifest=manifest, progress=False).read_bytes() == data


def _fetch_script(manifest_path: Path) -> str:
    return textwrap.dedent(f"""
        from zoo.weights import fetch, load_manifest
        from zoo.weights.download import RetryPolicy
        print(fetch({NAME!r}, manifest=load_manifest({str(manifest_path)!r}), progress=False,
                    retry=RetryPolicy(attempts=3, base_delay=0.01, timeout=20)))
    """)


def test_kill_9_mid_download_then_rerun_succeeds(server, write_manifest, isolated):
    data = tensor_bytes(64 * 1024)  # ~260 kB

    def script(h, i):
        # the first client gets a slow trickle so it can be killed mid-body; later ones go fast
        h.send_bytes(data, throttle=0.05 if i == 0 else 0.0, chunk=4096)

    server.routes["/w/model.safetensors"] = script
    manifest_path = write_manifest({NAME: entry(server.url("/w/model.safetensors"), data)})
    proc = subprocess.Popen([sys.executable, "-c", _fetch_script(manifest_path)], env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    partial = isolated / sha(data) / "model.safetensors.incomplete"
    deadline = time.monotonic() + 30
    while not (partial.exists() and partial.stat().st_size > 0):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "download never started"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    final = isolated / sha(data) / "model.safetensors"
    assert not final.exists()  # nothing half-written under the final name
    path = fetch(NAME, manifest=load_manifest(manifest_path), retry=FAST_RETRY, progress=False)
    assert path.read_bytes() == data
    assert not partial.exists()
    assert server.requests[-1][1].get("Range", "").startswith("bytes=")  # resumed, not restarted


def test_four_processes_download_once(server, write_manifest, isolated):
    data = tensor_bytes(16 * 1024)
    server.serve("/w/model.safetensors", data, throttle=0.002)
    manifest_path = write_manifest({NAME: entry(server.url("/w/model.safetensors"), data)})
    procs = [subprocess.Popen([sys.executable, "-c", _fetch_script(manifest_path)], env=os.environ.copy(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    paths = {o.strip() for o, _ in outs}
    assert paths == {str(isolated / sha(data) / "model.safetensors")}
    assert Path(paths.pop()).read_bytes() == data
    assert server.hits("/w/model.safetensors") == 1  # the lock made the others reuse the first download
    assert [f for f in files_under(isolated) if f.endswith(".incomplete")] == []


def test_unverified_entry_needs_explicit_permission(server, write_manifest):
    data = tensor_bytes()
    url = server.serve("/w/model.safetensors", data)
    manifest = load_manifest(write_manifest({NAME: {**entry(url, data), "sha256": None, "size": None, "unverified": True}}))
    with pytest.raises(UnverifiedWeightsError, match=f"{NAME}.*allow_unverified=True"):
        fetch(NAME, manifest=manifest, progress=False)
    assert server.hits("/w/model.safetensors") == 0
    path = fetch(NAME, manifest=manifest, allow_unverified=True, retry=FAST_RETRY, progress=False)
    assert path.read_bytes() == data
    # trust on first use: the recorded digest catches a later change
    path.write_bytes(data[:-1] + b"\x00")
    assert fetch(NAME, manifest=manifest, allow_unverified=True, retry=FAST_RETRY, progress=False).read_bytes() == data


def test_url_with_pinned_digest_fragment(server):
    data = tensor_bytes()
    url = server.serve("/x/w.safetensors", data)
    with pytest.raises(UnverifiedWeightsError, match="sha256="):
        fetch(url, progress=False)
    path = fetch(f"{url}#sha256={sha(data)}", retry=FAST_RETRY, progress=False)
    assert path.read_bytes() == data
    with pytest.raises(ChecksumError, match="expected sha256"):
        fetch(server.serve("/x/other.safetensors", data) + f"#sha256={sha(b'x')}", retry=FAST_RETRY, progress=False)
