"""Reality check of every shipped manifest entry: the upstream file, rebuilt offline, fills what the entry declares.

For each entry and each model it serves (``shared_with`` included), the upstream named by the entry's source is built
with random weights and saved in its own format (:mod:`shipped_helpers`), then loaded through ``zoo.load`` by the
entry's own fields (layout, coverage, ``allow_pickle``) from a folder mirror, offline. What the entry declares must
be filled completely: every tensor for ``model``; every tensor of the first layer for ``encoder``/``backbone``; every
layer but the head for ``backbone+neck``, and nothing else. Numerical equality with the upstream is checked in
``test_shipped_outputs.py``. Entries of torchvision's trained segmentation families are checked in
``tests/architectures`` (``test_torchvision_seg_entries.py`` makes sure none is missing there).
"""

from __future__ import annotations

import pytest
from shipped_helpers import CHECKED_ELSEWHERE, build_upstream, declared_keys, mirror_entry, upstream_of

import zoo
from zoo.weights.manifest import load_manifest

ENTRIES = [e for e in load_manifest() if e.model.rsplit("-", 1)[0] not in CHECKED_ELSEWHERE]
PAIRS = [(e, m) for e in ENTRIES for m in e.models]
_FILES: dict[tuple[str, str], object] = {}  # one upstream file per architecture for the whole session


def upstream_file(entry, tmp_path_factory):
    """The upstream file behind ``entry`` (built once per upstream architecture) and the upstream model."""
    key = upstream_of(entry)
    if key not in _FILES:
        file = tmp_path_factory.mktemp("upstream") / entry.source.filename
        _FILES[key] = (file, build_upstream(*key, file))
    return _FILES[key]


def load_through_mirror(entry, model_name, file, tmp_path, monkeypatch):
    """``zoo.load`` the model with the entry (under the name it has for that model), offline, from a folder mirror."""
    manifest = mirror_entry(entry, file, tmp_path / "mirror", tmp_path)
    monkeypatch.setenv("ZOO_WEIGHTS_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    source = model_name if model_name in zoo.list_models() else f"{model_name}.yaml"  # a stock Ultralytics YAML
    return zoo.load(source, weights=f"{model_name}.{entry.tag}", manifest=manifest)


def test_every_shipped_entry_has_an_upstream_and_every_model_a_default():
    for entry in ENTRIES:
        upstream_of(entry)  # raises for a source without a builder: that entry would go unchecked
    manifest = load_manifest()
    without = {m for m in zoo.list_models() if manifest.default_for(m) is None or manifest.default_for(m).unverified}
    assert without == {"unet-classic"}  # the one model without published weights


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.layout == "torchvision"], ids=lambda e: e.name)
def test_torchvision_digest_starts_with_the_file_name_prefix(entry):
    """torchvision names its files ``<arch>-<first 8 hex of the sha256>.pth``: the pinned digest must agree."""
    assert entry.sha256.startswith(entry.source.filename.rsplit("-", 1)[1].removesuffix(".pth"))


@pytest.mark.parametrize("entry, model_name", PAIRS, ids=[f"{e.name}>{m}" for e, m in PAIRS])
def test_entry_fills_what_it_declares(entry, model_name, tmp_path, tmp_path_factory, monkeypatch):
    file, _ = upstream_file(entry, tmp_path_factory)
    model = load_through_mirror(entry, model_name, file, tmp_path, monkeypatch)
    report, coverage = model.load_report, entry.coverage_for(model_name)
    assert not report.mismatched, str(report)
    assert set(report.loaded) == declared_keys(model.model, coverage), str(report)
    if coverage != "model":
        assert f"cover the {coverage} of {model_name}" in str(report)  # the fresh layers are reported as such
