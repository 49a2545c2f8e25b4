"""Manifest files that are not JSON manifests: each a ManifestError naming the file (and the entry)."""

from __future__ import annotations

import json
import os

import pytest
from weights_helpers import entry

from zoo.weights import ManifestError, WeightsNameError, load_manifest
from zoo.weights import manifest_io
from zoo.weights.manifest import DEFAULT_MANIFEST
from zoo.weights.refs import resolve_ref

GOOD = entry("https://example.org/w/model.safetensors", b"abc")


def doc(weights: dict) -> str:
    return json.dumps({"schema_version": 1, "weights": weights})


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(doc({"net-s.a": {**GOOD, "notes": "X"}}).encode().replace(b"X", b"\xff\xfe"))
    with pytest.raises(ManifestError, match=rf"{path}: not UTF-8 text \(invalid byte b'\\xff' at offset \d+\)"):
        load_manifest(path)


def test_deeply_nested_json(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('{"schema_version": 1, "weights": ' + "[" * 200000 + "]" * 200000 + "}")
    with pytest.raises(ManifestError, match=rf"{path}: JSON nested too deeply"):
        load_manifest(path)


def test_integer_too_long_for_python(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('{"schema_version": ' + "1" * 5000 + "}")
    with pytest.raises(ManifestError, match=rf"{path}: unreadable JSON value"):
        load_manifest(path)


def test_directory_given_as_manifest(tmp_path):
    with pytest.raises(ManifestError, match=rf"{tmp_path} is a directory; a weights manifest is a JSON file"):
        load_manifest(tmp_path)


def test_over_long_path_is_named_shortly(tmp_path):
    path = tmp_path / ("m" * 5000 + ".json")
    with pytest.raises(ManifestError, match=r"cannot read weights manifest .*m…m+\.json: File name too long") as info:
        load_manifest(path)
    assert len(str(info.value)) < 400  # the 5,000-character name is elided, not printed whole


def test_file_above_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(manifest_io, "MAX_MANIFEST_BYTES", 100)
    path = tmp_path / "m.json"
    path.write_text(doc({"net-s.a": GOOD}))
    with pytest.raises(ManifestError, match=rf"{path} is \d+ bytes, above the 100-byte limit .* split it"):
        load_manifest(path)


@pytest.mark.parametrize(
    "fields, match",
    [
        ({"names": ["a", 3]}, r"entry 'net-s.a': names must be strings"),
        ({"names": {"0": None}}, r"entry 'net-s.a': names must be strings"),
        ({"source": "x" * 5000}, r"entry 'net-s.a': bad source 'xxx.*…"),
        ({"license": ["x" * 5000]}, r"field 'license' must be str, got \['xxxx+…$"),
    ],
)
def test_malformed_values_name_the_entry_and_quote_shortly(write_manifest, fields, match):
    path = write_manifest({"net-s.a": {**GOOD, **fields}})
    with pytest.raises(ManifestError, match=match) as info:
        load_manifest(path)
    assert str(path) in str(info.value) and len(str(info.value)) < 600


def test_schema_version_true_is_not_1(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"schema_version": True, "weights": {}}))
    with pytest.raises(ManifestError, match=r"schema_version must be 1, got True"):
        load_manifest(path)


def test_zoo_manifest_listing_a_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_MANIFEST", str(tmp_path))
    with pytest.raises(ManifestError, match=rf"{tmp_path} is a directory; .*ZOO_MANIFEST lists files"):
        load_manifest()


def test_zoo_manifest_with_unknown_home(monkeypatch):
    monkeypatch.setenv("ZOO_MANIFEST", "~no-such-user-zoo/m.json")
    with pytest.raises(ManifestError, match=r"ZOO_MANIFEST lists '~no-such-user-zoo/m.json', whose '~' names no home"):
        load_manifest()


def test_git_symlink_stub_is_followed(tmp_path, write_manifest):
    """git without symlink support checks out zoo/weights_manifest.json as a file holding '../weights_manifest.json'."""
    real = write_manifest({"net-s.a": GOOD}, name="weights_manifest.json")
    (tmp_path / "zoo").mkdir()
    stub = tmp_path / "zoo" / "weights_manifest.json"
    stub.write_bytes(b"../weights_manifest.json")  # git writes the target with no newline
    m = load_manifest(stub)
    assert list(m.entries) == ["net-s.a"] and m.get("net-s.a").manifest == real


def test_git_symlink_stub_with_missing_target(tmp_path):
    stub = tmp_path / "weights_manifest.json"
    stub.write_bytes(b"../gone/weights_manifest.json")
    with pytest.raises(ManifestError, match=r"holds only the path '../gone/weights_manifest.json': a symbolic link "
                                            r"that git checked out as a text file .* core.symlinks"):
        load_manifest(stub)


def test_shipped_manifest_link_resolves():
    """The repository ships zoo/weights_manifest.json as a link (or a stub on Windows) to the root file."""
    assert DEFAULT_MANIFEST.name == "weights_manifest.json"
    data, real = manifest_io.read_manifest_json(DEFAULT_MANIFEST)
    assert data["schema_version"] == 1 and os.path.samefile(real, DEFAULT_MANIFEST.parent.parent / "weights_manifest.json")


@pytest.mark.parametrize("name", ["Net-S.a", "net-s.A", "net-s.a.b"])
def test_malformed_weights_name_is_typed(write_manifest, name):
    m = load_manifest(write_manifest({"net-s.a": GOOD}))
    with pytest.raises(WeightsNameError, match=rf"bad weights name '{name}': expected '<model>.<tag>'"):
        resolve_ref(name, model_name=None, manifest=m)


@pytest.mark.parametrize("ref", ["", "   "])
def test_empty_weights_name_is_typed(write_manifest, ref):
    m = load_manifest(write_manifest({"net-s.a": GOOD}))
    with pytest.raises(WeightsNameError, match=r"weights='\s*' is empty; pass 'DEFAULT', a tag"):
        resolve_ref(ref, model_name="net-s", manifest=m)


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    """Windows editors save UTF-8 with a BOM; json.loads alone refuses it."""
    path = tmp_path / "m.json"
    path.write_bytes(b"\xef\xbb\xbf" + doc({"net-s.a": GOOD}).encode())
    assert list(load_manifest(path).entries) == ["net-s.a"]
