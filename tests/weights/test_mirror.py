"""``ZOO_WEIGHTS_MIRROR``: every pinned source is fetched from ``<mirror>/<sha256>/<file name>``, digest still checked."""

from __future__ import annotations

import pytest
from weights_helpers import FAST_RETRY, entry, files_under, sha, tensor_bytes

from zoo.weights import fetch, load_manifest
from zoo.weights.errors import ChecksumError, UnverifiedWeightsError, WeightsError, WeightsNotCachedError

NAME = "net-s.a"
DATA = tensor_bytes()
# Sources that cannot be reached from a test (the session's socket guard allows loopback only): only the mirror works
SOURCES = ["https://download.example.org/models/w-1234.safetensors",
           "hf://org/repo@" + "a" * 40 + "/sub/w.safetensors"]


@pytest.mark.parametrize("source", SOURCES)
def test_http_mirror_serves_every_pinned_source(server, write_manifest, monkeypatch, isolated, source):
    filename = source.rsplit("/", 1)[1]
    server.serve(f"/mirror/{sha(DATA)}/{filename}", DATA)
    monkeypatch.setenv("ZOO_WEIGHTS_MIRROR", server.url("/mirror/"))
    manifest = load_manifest(write_manifest({NAME: entry(source, DATA)}))
    path = fetch(NAME, manifest=manifest, progress=False, retry=FAST_RETRY)
    assert path.read_bytes() == DATA and path.is_relative_to(isolated)  # downloaded into the cache
    assert [p for p, _ in server.requests] == [f"/mirror/{sha(DATA)}/{filename}"]
    assert all("Authorization" not in h for _, h in server.requests)  # no Hub token goes to a mirror


def test_http_mirror_with_other_bytes_caches_nothing(server, write_manifest, monkeypatch, isolated):
    server.serve(f"/m/{sha(DATA)}/w-1234.safetensors", tensor_bytes(seed=1))
    monkeypatch.setenv("ZOO_WEIGHTS_MIRROR", server.url("/m"))
    manifest = load_manifest(write_manifest({NAME: entry(SOURCES[0], DATA)}))
    with pytest.raises(ChecksumError, match="expected sha256 " + sha(DATA)):
        fetch(NAME, manifest=manifest, progress=False, retry=FAST_RETRY)
    assert [f for f in files_under(isolated) if not f.endswith(".lock")] == []


def test_folder_mirror_works_offline_in_place(tmp_path, write_manifest, monkeypatch, isolated, no_sockets):
    mirror = tmp_path / "mirror"
    (mirror / sha(DATA)).mkdir(parents=True)
    (mirror / sha(DATA) / "w-1234.safetensors").write_bytes(DATA)
    monkeypatch.setenv("ZOO_WEIGHTS_MIRROR", mirror.as_uri())  # file:// form; a plain path works the same
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    manifest = load_manifest(write_manifest({NAME: entry(SOURCES[0], DATA)}))
    assert fetch(NAME, manifest=manifest, progress=False) == mirror / sha(DATA) / "w-1234.safetensors"
    assert files_under(isolated) == []  # read in place, nothing copied


def test_folder_mirror_file_with_other_bytes_is_refused_and_kept(tmp_path, write_manifest, monkeypatch):
    bad = tmp_path / "mirror" / sha(DATA) / "w-1234.safetensors"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(tensor_bytes(seed=1))
    monkeypatch.setenv("ZOO_WEIGHTS_MIRROR", str(tmp_path / "mirror"))
    manifest = load_manifest(write_manifest({NAME: entry(SOURCES[0], DATA)}))
    with pytest.raises(ChecksumError, match=r"net-s\.a \(mirror ZOO_WEIGHTS_MIRROR\): size mismatch|sha256 mismatch"):
        fetch(NAME, manifest=manifest, progress=False)
    assert bad.exists()  # the mirror is not zoo's to delete


def test_folder_mirror_without_the_file_names_its_path(tmp_path, write_manifest, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_MIRROR", str(tmp_path / "mirror"))
    manifest = load_manifest(write_manifest({NAME: entry(SOURCES[0], DATA)}))
    with pytest.raises(WeightsNotCachedError, match=rf"mirror/{sha(DATA)}/w-1234\.safetensors is not in the mirror"):
        fetch(NAME, manifest=manifest, progress=False)


def test_unpinned_source_is_refused_while_a_mirror_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_MIRROR", str(tmp_path))
    with pytest.raises(UnverifiedWeightsError, match="no pinned sha256, so it cannot be taken from the mirror"):
        fetch(SOURCES[0], allow_unverified=True, progress=False)


def test_mirror_value_that_is_no_folder_or_url(monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_MIRROR", "ftp://host/m")
    with pytest.raises(WeightsError, match=r"use a folder, file:///folder or an http\(s\):// URL"):
        fetch(SOURCES[0] + "#sha256=" + sha(DATA), progress=False)
