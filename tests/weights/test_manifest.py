"""Manifest schema: the shipped file validates; bad manifests are rejected naming the entry."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from weights_helpers import entry, sha

from zoo.weights import ManifestError, UnknownWeightsError, load_manifest
from zoo.weights.manifest import DEFAULT_MANIFEST

GOOD = entry("https://example.org/w/model.safetensors", b"abc")


def test_shipped_manifest_validates():
    m = load_manifest()
    assert m.paths[0] == DEFAULT_MANIFEST and len(m) >= 1
    for e in m:
        assert e.source.kind in ("hf", "url"), e.name
        if e.source.kind == "hf":
            assert len(e.source.revision) == 40, e.name  # pinned revisions only
        # every shipped entry is pinned by its full digest; a size may be unknown (null) when none is published
        assert e.sha256 and not e.unverified, e.name
        # safetensors, except torchvision's state dicts and Ultralytics' checkpoints (.pt/.pth, restricted reader)
        assert e.format == "safetensors" or (e.format == "pt" and e.layout in ("torchvision", "ultralytics")
                                             and e.allow_pickle), e.name
    for model in {m_ for e in m for m_ in e.models}:
        assert sum(e.default for e in m.for_model(model)) <= 1
    assert m.default_for("vit-b-cls").name == "vit-b-cls.augreg2_in21k_ft_in1k"


def test_lookup_helpers(write_manifest):
    m = load_manifest(write_manifest({"net-s.a": {**GOOD, "default": True}, "net-s.b": GOOD, "net-m.a": GOOD}))
    assert m.get("net-s.a").tag == "a"
    assert [e.name for e in m.for_model("net-s")] == ["net-s.a", "net-s.b"]
    assert m.default_for("net-m") is None
    with pytest.raises(UnknownWeightsError, match="no weights named .net-s.c.*Did you mean: .*net-s.a"):
        m.get("net-s.c")


@pytest.mark.parametrize(
    "name, fields, match",
    [
        ("net-s.a", {"colour": "red"}, r"entry 'net-s.a': unknown field\(s\) 'colour'"),
        ("net-s.a", {"licence": "mit"}, r"'licence' \(did you mean 'license'\?\)"),
        ("net-s.a", {"sha256": "abc123"}, r"entry 'net-s.a': malformed sha256 'abc123'"),
        ("net-s.a", {"sha256": "A" * 64}, "malformed sha256"),
        ("net-s.a", {"sha256": None}, r"entry 'net-s.a': 'sha256' is null"),
        ("net-s.a", {"size": True}, r"field 'size' must be int/null"),
        ("net-s.a", {"format": "onnx"}, r"format 'onnx' is not one of"),
        ("net-s.a", {"layout": "keras"}, r"layout 'keras' is not one of"),
        ("net-s.a", {"format": "pt"}, r"extension must match the format"),
        ("net-s.a", {"nc": 2, "names": ["a"]}, r"1 names but nc is 2"),
        ("net-s.a", {"source": "ftp://host/w.safetensors"}, "only http:// and https://"),
        ("net-s.a", {"source": "hf://timm/repo@main/model.safetensors"}, "full 40-hex commit"),
        ("Net-S.a", {}, r"entry 'Net-S.a': bad weights name"),
        ("net-s", {}, r"entry 'net-s': bad weights name"),
        ("net-s.a.b", {}, "bad weights name"),
    ],
)
def test_bad_entries_are_rejected_naming_the_entry(write_manifest, name, fields, match):
    path = write_manifest({name: {**GOOD, **fields}})
    with pytest.raises(ManifestError, match=match):
        load_manifest(path)


def test_missing_required_field(write_manifest):
    bad = dict(GOOD)
    del bad["license"]
    with pytest.raises(ManifestError, match=r"entry 'net-s.a': missing required field 'license'"):
        load_manifest(write_manifest({"net-s.a": bad}))


def test_duplicate_names_in_the_json_object(tmp_path):
    one = json.dumps(GOOD)
    path = tmp_path / "dup.json"
    path.write_text(f'{{"schema_version": 1, "weights": {{"net-s.a": {one}, "net-s.a": {one}}}}}')
    with pytest.raises(ManifestError, match="duplicate key 'net-s.a'"):
        load_manifest(path)


def test_two_defaults_for_one_model(write_manifest):
    with pytest.raises(ManifestError, match="'net-s.a' and 'net-s.b' are both the default for model 'net-s'"):
        load_manifest(write_manifest({"net-s.a": {**GOOD, "default": True}, "net-s.b": {**GOOD, "default": True}}))


def test_user_manifests_merge_and_duplicates_across_files_fail(write_manifest, monkeypatch):
    main = write_manifest({"net-s.a": GOOD}, name="main.json")
    extra = write_manifest({"net-s.b": GOOD}, name="extra.json")
    monkeypatch.setenv("ZOO_MANIFEST", str(extra))
    assert set(load_manifest(main).entries) == {"net-s.a", "net-s.b"}
    clash = write_manifest({"net-s.a": GOOD}, name="clash.json")
    monkeypatch.setenv("ZOO_MANIFEST", str(clash))
    with pytest.raises(ManifestError, match="'net-s.a' is defined in both .*main.json and .*clash.json"):
        load_manifest(main)


def test_top_level_schema(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"schema_version": 2, "weights": {}}))
    with pytest.raises(ManifestError, match="schema_version must be 1"):
        load_manifest(path)
    path.write_text(json.dumps({"schema_version": 1, "weights": {}, "extra": 1}))
    with pytest.raises(ManifestError, match="unknown top-level field"):
        load_manifest(path)


def test_local_source_relative_to_manifest(write_manifest, tmp_path):
    data = b"\x00" * 8
    m = load_manifest(write_manifest({"net-s.a": {**GOOD, "source": "files/w.safetensors", "sha256": sha(data), "size": 8}}))
    assert m.get("net-s.a").source.path == tmp_path / "files" / "w.safetensors"


def test_importing_the_manifest_does_not_import_torch():
    code = "import sys, zoo.weights as w; w.load_manifest(); assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
