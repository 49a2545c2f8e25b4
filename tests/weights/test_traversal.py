"""Names and file names that could escape the cache are rejected before any I/O."""

from __future__ import annotations

import pytest
from weights_helpers import entry

from zoo.weights import ManifestError, UnsafeNameError, fetch, load_manifest
from zoo.weights.cache import cached_path


@pytest.mark.parametrize("name", ["../../etc/passwd", "net-s.a/../../x", "..\\..\\evil", "net-s.\x00a"])
def test_traversal_in_weights_names(name, no_sockets, isolated, write_manifest):
    manifest = load_manifest(write_manifest({}))
    with pytest.raises((UnsafeNameError, ValueError), match="unsafe|bad weights name"):
        fetch(name, manifest=manifest, progress=False)
    assert not isolated.exists()  # nothing was created


@pytest.mark.parametrize(
    "source",
    [
        "https://example.org/..%2f..%2fevil.safetensors",
        "https://example.org/%2e%2e",
        "hf://org/repo@" + "a" * 40 + "/../../evil.safetensors",
        "hf://org/repo@" + "a" * 40 + "/.hidden.safetensors",
        "../outside/w.safetensors",
        "sub/../../w.safetensors",
    ],
)
def test_traversal_in_file_names_of_sources(source, write_manifest, no_sockets):
    with pytest.raises(ManifestError, match="unsafe|bad|'..' components"):
        load_manifest(write_manifest({"net-s.a": entry(source, b"abc")}))


@pytest.mark.parametrize("filename", ["../x", "a/b", ".", "..", ""])
def test_cache_paths_refuse_unsafe_file_names(filename):
    with pytest.raises(UnsafeNameError):
        cached_path("a" * 64, filename)


def test_cache_paths_refuse_non_digests():
    with pytest.raises(UnsafeNameError, match="not a sha256"):
        cached_path("../" + "a" * 61, "w.safetensors")
