"""Whole-model drop-in proof: ``zoo.load(yaml).model`` equals ``YOLO(yaml).model`` for one YAML per task and family.

``tests/nn/test_stock_yamls.py`` compares the parsers; this compares the models the front ends build: zoo's
model class (its own constructor: parser, stride probe, bias and weight init) against Ultralytics' class picked
by ``YOLO`` (which becomes ``YOLOWorld`` / ``YOLOE`` / ``RTDETR`` for those YAMLs), from the same seed.
"""

from __future__ import annotations

import pytest
import torch
import ultralytics.nn.modules as ultralytics_modules
from ultralytics import RTDETR, YOLO

import zoo

# The smallest stock YAML of each row of zoo's task table, at its default (first) scale.
CASES = {
    "detect": "yolo26n.yaml",
    "segment": "yolo26n-seg.yaml",
    "semantic": "yolo26n-sem.yaml",
    "depth": "yolo26n-depth.yaml",
    "classify": "yolo26n-cls.yaml",
    "pose": "yolo26n-pose.yaml",
    "obb": "yolo26n-obb.yaml",
    "rtdetr": "rtdetr-l.yaml",
    "world": "yolov8s-worldv2.yaml",
    "yoloe": "yoloe-26s.yaml",
    "yoloe-seg": "yoloe-26s-seg.yaml",
}


def _class_state() -> dict:
    """``default_act``/``legacy`` class attributes, which Ultralytics' builder sets and leaves behind."""
    classes = [c for c in vars(ultralytics_modules).values() if isinstance(c, type)]
    return {(c, k): c.__dict__.get(k, "<unset>") for c in classes for k in ("legacy", "default_act")}


def _restore(state: dict) -> None:
    for (c, k), v in state.items():
        if v == "<unset>":
            if k in c.__dict__:
                delattr(c, k)
        else:
            setattr(c, k, v)


def _assert_equal(a, b, where="output"):
    """Bit-equal nested outputs (tensors, dicts, lists, tuples)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.shape == b.shape, where
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_equal(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_equal(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_cases_cover_the_task_table():
    """A new row of the task table needs its stock case here (or says why it has none)."""
    from zoo import tasks

    assert set(CASES) == set(tasks.names())


@pytest.mark.parametrize(("row", "yaml"), CASES.items(), ids=list(CASES))
def test_zoo_model_equals_ultralytics_model(row, yaml):
    pristine = _class_state()
    torch.manual_seed(0)
    theirs = (RTDETR(yaml) if row == "rtdetr" else YOLO(yaml, verbose=False))  # YOLO() cannot build rtdetr-l.yaml
    _restore(pristine)
    torch.manual_seed(0)
    ours = zoo.load(yaml)
    assert _class_state() == pristine, "zoo's build left class state changed"

    assert ours._row.name == row and ours.task == theirs.task
    a, b = ours.model, theirs.model
    assert isinstance(a, type(b)), f"{type(a).__name__} must subclass Ultralytics' {type(b).__name__}"
    assert [type(m) for m in a.model] == [type(m) for m in b.model]
    assert a.save == b.save
    torch.testing.assert_close(a.stride, b.stride, rtol=0, atol=0)
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        assert torch.equal(sa[k], sb[k]), f"{k} differs after initialisation"
    # World's text-feature placeholder is drawn from the seed before building: equal too. YOLOE's prompt
    # embeddings come from MobileCLIP (set_classes downloads it), so both run their prompt-free default path.
    if hasattr(b, "txt_feats"):
        assert torch.equal(a.txt_feats, b.txt_feats)

    a.eval(), b.eval()
    size = 64 if row != "rtdetr" else 96
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        _assert_equal(a(x), b(x))
