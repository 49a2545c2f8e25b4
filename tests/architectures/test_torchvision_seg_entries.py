"""The shipped manifest entries of deeplabv3, lraspp and fcn: metadata read from torchvision, every entry checked.

The reality checks themselves (a torchvision file with random weights, loaded through a mirror of each entry, equal
logits) are in ``test_deeplabv3.py``, ``test_lraspp.py`` and ``test_fcn.py``; this module makes sure none is missing.
"""

from __future__ import annotations

import pytest
from torchvision_seg_helpers import TORCHVISION, entries, tv_weights

import zoo
from zoo.weights.manifest import load_manifest

FAMILIES = ("deeplabv3", "lraspp", "fcn")
ENTRIES = [e for e in load_manifest().entries.values() if e.model.rsplit("-", 1)[0] in FAMILIES]


def test_every_model_of_the_families_has_a_default_and_every_entry_a_reality_check():
    models = {m for m in zoo.list_models() if m.rsplit("-", 1)[0] in FAMILIES}
    assert models == set(TORCHVISION)
    assert {e.model for e in ENTRIES if e.default} == models
    # the family test files run the reality check over every entry (entries(family)); each needs a torchvision oracle
    assert {e.model for e in ENTRIES} <= set(TORCHVISION)
    assert sorted(e.name for e in ENTRIES) == sorted(n for family in FAMILIES for n in entries(family))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_entry_metadata_is_torchvisions(entry):
    """Source, classes, metrics and preprocessing equal torchvision's ``Weights`` (nothing retyped)."""
    w = tv_weights(entry.model)
    file = w.url.rsplit("/", 1)[1]
    assert entry.source.url == w.url and entry.tag == w.name.lower()
    assert entry.sha256.startswith(file.rsplit("-", 1)[1].removesuffix(".pth"))  # torchvision's digest prefix
    assert (entry.format, entry.layout, entry.coverage, entry.license) == ("pt", "torchvision", "model", "BSD-3-Clause")
    assert entry.allow_pickle and not entry.unverified and entry.size > 0
    assert entry.meta["names"] == w.meta["categories"] and entry.nc == 21
    ((evalset, metrics),) = w.meta["_metrics"].items()
    assert entry.meta["metrics"] == {f"{evalset}/{k}": v for k, v in metrics.items()}
    preset = w.transforms()
    assert entry.meta["mean"] == preset.mean and entry.meta["std"] == preset.std
    assert entry.meta["input_size"] == [3, *preset.resize_size * 2]


def test_offline_default_names_the_fetch_command(monkeypatch, tmp_path):
    """Offline and not cached: ``zoo.load(..., weights="DEFAULT")`` says which command fetches the file."""
    from zoo.weights.errors import WeightsError

    monkeypatch.setenv("ZOO_OFFLINE", "1")
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path))
    with pytest.raises(WeightsError, match=r"zoo weights fetch deeplabv3-n\.coco_with_voc_labels_v1"):
        zoo.load("deeplabv3-n", weights="DEFAULT")
