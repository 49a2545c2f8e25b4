"""``shared_with``: one manifest entry (one file, one digest) serves several models without being duplicated."""

from __future__ import annotations

import pytest
from weights_helpers import entry

import zoo
from zoo.weights import ManifestError, load_manifest

DATA = b"weights"
SHARED = entry("https://x.org/resnet50.safetensors", DATA, coverage="encoder", default=True,
               shared_with={"net-l": "encoder", "det-m": "backbone+neck"})


def test_shared_entry_answers_for_every_model_it_serves(write_manifest):
    m = load_manifest(write_manifest({"net-m.in1k": SHARED}))
    e = m.get("net-m.in1k")
    assert m.get("net-l.in1k") is e and m.get("det-m.in1k") is e and "net-l.in1k" in m
    assert m.default_for("net-l") is e and m.default_for("det-m") is e
    assert [x.name for x in m.for_model("det-m")] == ["net-m.in1k"]
    assert (e.coverage_for("net-m"), e.coverage_for("net-l"), e.coverage_for("det-m")) == (
        "encoder", "encoder", "backbone+neck")
    assert m.coverage("det-m") == "backbone+neck" and m.coverage("other") is None
    assert e.to_json()["shared_with"] == SHARED["shared_with"]  # round-trips (mirrors and publish rewrite entries)


def test_default_list_is_the_default_of_the_listed_models_only(write_manifest, monkeypatch):
    """A stock model takes a shared file by name; a team manifest can still give it a DEFAULT of its own."""
    shared = {**SHARED, "default": ["det-m"]}
    main = write_manifest({"net-m.in1k": shared}, name="a.json")
    monkeypatch.setenv("ZOO_MANIFEST", str(write_manifest({"net-m.team": entry("https://x.org/t.safetensors", b"t",
                                                                                default=True)}, name="b.json")))
    m = load_manifest(main)
    assert m.default_for("det-m").name == "net-m.in1k" and m.default_for("net-l") is None
    assert m.default_for("net-m").name == "net-m.team"
    assert [e.name for e in m.for_model("net-m")] == ["net-m.team", "net-m.in1k"]  # the model's DEFAULT first
    assert m.get("net-m.in1k").to_json()["default"] == ["det-m"]


@pytest.mark.parametrize(
    "entries, match",
    [
        ({"net-m.in1k": SHARED, "net-l.in1k": entry("https://x.org/b.safetensors", b"b")},
         r"'net-l.in1k' names both 'net-m.in1k' and 'net-l.in1k'"),
        ({"net-m.in1k": SHARED, "net-l.v2": entry("https://x.org/b.safetensors", b"b", default=True)},
         r"both the default for model 'net-l'"),
        ({"net-m.in1k": {**SHARED, "shared_with": {"net-m": "encoder"}}}, r"not 'net-m' itself"),
        ({"net-m.in1k": {**SHARED, "shared_with": {"Net_L": "encoder"}}}, r"shared_with key 'Net_L'"),
        ({"net-m.in1k": {**SHARED, "shared_with": {"net-l": "decoder"}}}, r"shared_with\['net-l'\] 'decoder' is not one"),
        ({"net-m.in1k": {**SHARED, "default": ["net-x"]}}, r"'default' lists \['net-x'\]; list models the entry serves"),
    ],
    ids=["alias-collides", "two-defaults", "self", "bad-model-name", "bad-coverage", "default-of-a-stranger"],
)
def test_bad_sharing_is_refused(write_manifest, entries, match):
    with pytest.raises(ManifestError, match=match):
        load_manifest(write_manifest(entries))


def test_alias_colliding_across_manifest_files(write_manifest, monkeypatch):
    main = write_manifest({"net-m.in1k": SHARED}, name="a.json")
    monkeypatch.setenv("ZOO_MANIFEST", str(write_manifest({"net-l.in1k": entry("https://x.org/b.safetensors", b"b")},
                                                          name="b.json")))
    with pytest.raises(ManifestError, match=r"'net-l.in1k' is defined in both"):
        load_manifest(main)


def test_list_models_pretrained_counts_shared_and_verified_entries_only(write_manifest, monkeypatch):
    monkeypatch.setenv("ZOO_MANIFEST", str(write_manifest({"unet-classic.mine": {
        **entry("https://x.org/u.safetensors", None), "unverified": True}})))
    pretrained = zoo.list_models(pretrained=True)
    assert {"unet-l", "unet-m", "vitdet-t", "sharedhead-x"} <= set(pretrained)  # served only through shared_with
    assert "unet-classic" not in pretrained  # its only entry is unverified
    assert zoo.list_models(pretrained=False) == ["unet-classic"]
