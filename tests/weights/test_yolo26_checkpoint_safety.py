"""YOLO26 checkpoints reach sharedhead through the restricted reader: a ``__reduce__`` payload in one never runs."""

from __future__ import annotations

import pytest
import torch
from shipped_helpers import mirror_entry
from ultralytics import YOLO

import zoo
from zoo.weights.checkpoint import read_checkpoint
from zoo.weights.errors import UnsafeCheckpointError
from zoo.weights.manifest import load_manifest


class Payload:
    """Unpickling this opens (creates) ``marker``: the code a hostile checkpoint would carry."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


@pytest.fixture
def yolo26n_with_payload(tmp_path):
    """An Ultralytics-made yolo26n.pt checkpoint with a payload added next to its model, and the payload's marker."""
    clean = tmp_path / "clean.pt"
    YOLO("yolo26n.yaml").save(str(clean))
    ckpt = read_checkpoint(clean)
    marker = tmp_path / "payload-ran"
    ckpt["train_args"] = Payload(marker)
    file = tmp_path / "yolo26n.pt"
    torch.save(ckpt, file)
    return file, marker


def test_payload_is_live_when_trusted(yolo26n_with_payload):
    """Control: the file really carries running code (so the refusal below is the reader's doing)."""
    file, marker = yolo26n_with_payload
    read_checkpoint(file, trusted=True)
    assert marker.exists()


def test_sharedhead_default_refuses_the_payload_and_runs_nothing(yolo26n_with_payload, tmp_path, monkeypatch):
    """The shipped entry's allow_pickle means zoo's restricted reader, never full unpickling."""
    file, marker = yolo26n_with_payload
    entry = load_manifest().get("sharedhead-n.coco")
    assert entry.allow_pickle and entry.coverage_for("sharedhead-n") == "backbone+neck"
    manifest = mirror_entry(entry, file, tmp_path / "mirror", tmp_path)
    monkeypatch.setenv("ZOO_WEIGHTS_MIRROR", str(tmp_path / "mirror"))
    with pytest.raises(UnsafeCheckpointError, match=r"names io\.open, .*Nothing from it was run"):
        zoo.load("sharedhead-n", weights="DEFAULT", manifest=manifest)
    assert not marker.exists()
