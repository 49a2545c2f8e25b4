"""Drop-in proof: every stock Ultralytics YAML built by zoo's parser equals Ultralytics' own build."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
import ultralytics
import ultralytics.nn.modules as ultralytics_modules
from ultralytics.nn.tasks import parse_model as ultralytics_parse_model

from zoo.config import load_model_yaml
from zoo.nn.parser import parse_model

STOCK_DIR = Path(ultralytics.__file__).parent / "cfg" / "models"
# YAMLs whose build downloads pretrained backbone weights (TorchVision(..., "DEFAULT")).
DOWNLOADS_WEIGHTS = {"yolo11-cls-resnet18.yaml"}
STOCK_YAMLS = sorted(p for p in STOCK_DIR.rglob("*.yaml") if p.name not in DOWNLOADS_WEIGHTS)


def _class_state() -> dict:
    """Class attributes Ultralytics' builder leaves behind (``legacy`` on head classes, ``default_act``)."""
    classes = [c for c in vars(ultralytics_modules).values() if isinstance(c, type)]
    return {(c, k): v for c in classes for k, v in c.__dict__.items() if k in ("legacy", "default_act")}


def _restore(state: dict) -> None:
    classes = {c for c, _ in state} | {c for c in vars(ultralytics_modules).values() if isinstance(c, type)}
    for c in classes:
        for k in ("legacy", "default_act"):
            if (c, k) in state:
                setattr(c, k, state[(c, k)])
            elif k in c.__dict__:
                delattr(c, k)


# Layers that also take text embeddings (open-vocabulary models); the forward comparison stops before the
# first one, the state-dict comparison above still covers them.
TEXT_CONDITIONED = tuple(
    getattr(ultralytics_modules, n) for n in ("C2fAttn", "ImagePoolingAttn", "WorldDetect", "YOLOEDetect")
)


def _forward(layers: torch.nn.Sequential, save: list[int], x: torch.Tensor):
    """Run layers as Ultralytics' BaseModel does (outputs routed by ``.f``, kept when in ``save``)."""
    y = []
    for m in layers:
        if isinstance(m, TEXT_CONDITIONED):
            break
        if m.f != -1:
            x = y[m.f] if isinstance(m.f, int) else [x if j == -1 else y[j] for j in m.f]
        x = m(x)
        y.append(x if m.i in save else None)
    return x


def _assert_same_outputs(a, b, where="output"):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.shape == b.shape, where
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_same_outputs(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_outputs(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_skipped_yamls_exist():
    """The skip list names real files, so a renamed YAML cannot silently drop out of the proof."""
    for name in DOWNLOADS_WEIGHTS:
        assert list(STOCK_DIR.rglob(name)), name


# Scale-dependent rules (C3k2 at m/l/x, A2C2f at l/x, C2fAttn heads) need every scale of these families.
ALL_SCALES = [
    (STOCK_DIR / family, scale)
    for family in ("11/yolo11.yaml", "12/yolo12.yaml", "26/yolo26.yaml", "v8/yolov8-worldv2.yaml")
    for scale in "nsmlx"
]


@pytest.mark.parametrize("path", STOCK_YAMLS, ids=lambda p: p.name)
def test_stock_yaml_builds_identically(path):
    _assert_builds_identically(path, None)


@pytest.mark.parametrize(("path", "scale"), ALL_SCALES, ids=lambda v: getattr(v, "name", v))
def test_every_scale_builds_identically(path, scale):
    _assert_builds_identically(path, scale)


def _assert_builds_identically(path: Path, scale: str | None):
    d = load_model_yaml(path, scale=scale)
    d.setdefault("scale", next(iter(d["scales"])) if d.get("scales") else None)
    d["nc"] = d.get("nc", 80)
    pristine = _class_state()

    torch.manual_seed(0)
    theirs, their_save = ultralytics_parse_model(copy.deepcopy(d), ch=3, verbose=False)
    _restore(pristine)
    torch.manual_seed(0)
    ours, our_save = parse_model(copy.deepcopy(d), ch=3, verbose=False)
    assert _class_state() == pristine, "zoo's parser left class state changed"

    assert our_save == their_save
    assert [type(m) for m in ours] == [type(m) for m in theirs]
    assert [m.f for m in ours] == [m.f for m in theirs]
    assert [m.np for m in ours] == [m.np for m in theirs]
    assert [m.type for m in ours] == [m.type for m in theirs]
    for (k1, v1), (k2, v2) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert k1 == k2 and v1.shape == v2.shape and torch.equal(v1, v2), k1

    ours.eval(), theirs.eval()
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        _assert_same_outputs(_forward(ours, our_save, x), _forward(theirs, their_save, x))
