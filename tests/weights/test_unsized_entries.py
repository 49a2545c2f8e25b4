"""Entries pinned by digest whose size is not published: verified, listed as "unknown", downloads capped."""

from __future__ import annotations

import pytest
from weights_helpers import FAST_RETRY, entry, files_under, tensor_bytes

from zoo.weights import fetch, load_manifest
from zoo.weights.cli import main as weights_cli
from zoo.weights.errors import DownloadError, ManifestError

NAME = "net-s.a"
DATA = tensor_bytes()


def test_null_size_with_a_digest_is_a_verified_entry(write_manifest):
    e = load_manifest(write_manifest({NAME: entry("https://x.org/w.safetensors", DATA, size=None)})).get(NAME)
    assert e.size is None and not e.unverified


def test_null_size_and_null_digest_still_need_unverified(write_manifest):
    with pytest.raises(ManifestError, match="'sha256' is null"):
        load_manifest(write_manifest({NAME: entry("https://x.org/w.safetensors", None)}))


def test_listing_says_unknown(write_manifest, monkeypatch, capsys):
    monkeypatch.setenv("ZOO_MANIFEST", str(write_manifest({NAME: entry("https://x.org/w.safetensors", DATA, size=None)})))
    assert weights_cli(["list", "net-s"]) == 0
    assert capsys.readouterr().out.split()[:4] == ["net-s.a", "model", "zoo", "unknown"]


def test_download_of_unknown_size_is_verified_by_digest(server, write_manifest):
    url = server.serve("/w.safetensors", DATA)
    manifest = load_manifest(write_manifest({NAME: entry(url, DATA, size=None)}))
    assert fetch(NAME, manifest=manifest, progress=False, retry=FAST_RETRY).read_bytes() == DATA


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "streamed"])
def test_download_above_the_cap_stops_and_caches_nothing(server, write_manifest, monkeypatch, isolated, announce):
    big = tensor_bytes(4096)
    url = server.url("/w.safetensors")

    def script(handler, i):  # with or without Content-Length: the cap holds either way
        handler.send_response(200)
        if announce:
            handler.send_header("Content-Length", str(len(big)))
        handler.end_headers()
        handler.wfile.write(big)

    server.routes["/w.safetensors"] = script
    monkeypatch.setenv("ZOO_MAX_DOWNLOAD_BYTES", str(len(big) // 2))
    manifest = load_manifest(write_manifest({NAME: entry(url, big, size=None)}))
    with pytest.raises(DownloadError, match=rf"above the {len(big) // 2}-byte cap .* ZOO_MAX_DOWNLOAD_BYTES"):
        fetch(NAME, manifest=manifest, progress=False, retry=FAST_RETRY)
    assert [f for f in files_under(isolated) if not f.endswith(".lock")] == []
    assert server.hits("/w.safetensors") == 1  # a permanent error: not retried
