"""No code in a ``.pt`` file runs unless the user says ``trusted``: every path that reads one, one payload.

The payload is a ``__reduce__`` that calls ``exec`` to write a marker file, stored next to a real model in an
Ultralytics-format checkpoint: a trojaned ``best.pt``. Each path must refuse it with a typed error and leave no
marker; ``trusted=True`` shows that the payload is live.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import zoo
from zoo.weights import load_weights
from zoo.weights.checkpoint import read_checkpoint
from zoo.weights.errors import MissingModuleError, UnsafeCheckpointError, WeightsFormatError


class _Payload:
    """Unpickling this writes ``marker``: what an attacker's checkpoint would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


@pytest.fixture(scope="module")
def small_model():
    return zoo.load("yolo26n.yaml").model


@pytest.fixture
def trojan(tmp_path, small_model):
    """(checkpoint, marker): an Ultralytics-format checkpoint with a payload beside its model."""
    marker = tmp_path / "payload-ran"
    ckpt = tmp_path / "best.pt"
    torch.save({"model": small_model, "ema": None, "train_args": {}, "extra": _Payload(marker)}, ckpt)
    return ckpt, marker


def test_the_payload_is_live_when_trusted(trojan):
    ckpt, marker = trojan
    read_checkpoint(ckpt, trusted=True)
    assert marker.read_text() == "ran"


@pytest.mark.parametrize(
    "path",
    ["read_checkpoint", "zoo.load", "ZooModel.load", "load_weights", "train(pretrained=)", "train(resume=)"],
)
def test_python_paths_refuse_the_payload(trojan, path, small_model, tmp_path):
    ckpt, marker = trojan
    calls = {
        "read_checkpoint": lambda: read_checkpoint(ckpt),
        "zoo.load": lambda: zoo.load(ckpt),
        "ZooModel.load": lambda: zoo.load("yolo26n.yaml").load(ckpt),
        "load_weights": lambda: load_weights(small_model, ckpt, allow_pickle=True),
        "train(pretrained=)": lambda: zoo.load("yolo26n.yaml").train(data="coco8.yaml", pretrained=str(ckpt)),
        "train(resume=)": lambda: zoo.load("yolo26n.yaml").train(data="coco8.yaml", resume=str(ckpt)),
    }
    with pytest.raises(UnsafeCheckpointError, match=r"best\.pt: names builtins\.exec.*trusted=True"):
        calls[path]()
    assert not marker.exists()


@pytest.mark.parametrize("command", [["predict", "source={bus}"], ["val", "data=coco8.yaml"], ["export", "format=onnx"],
                                     ["weights", "publish", "name=x.y", "out_dir={out}"]])
def test_cli_refuses_the_payload(trojan, command, tmp_path):
    ckpt, marker = trojan
    import ultralytics

    bus = Path(ultralytics.__file__).parent / "assets" / "bus.jpg"
    words = [w.format(bus=bus, out=tmp_path / "out") for w in command]
    out = subprocess.run([sys.executable, "-m", "zoo", *words, f"model={ckpt}"], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert out.returncode != 0
    assert "builtins.exec" in out.stderr and "trusted" in out.stderr, out.stderr[-2000:]
    assert not marker.exists()


def test_zoo_and_ultralytics_checkpoints_load_without_trust(tmp_path, small_model):
    """The restricted reader accepts what Ultralytics and zoo save: same tensors, same task."""
    ckpt = tmp_path / "plain.pt"
    torch.save({"model": small_model.half(), "ema": None, "train_args": {"imgsz": 64}, "date": "x"}, ckpt)
    small_model.float()
    loaded = zoo.load(ckpt)
    assert loaded.task == "detect" and loaded.overrides["imgsz"] == 64
    expected = small_model.state_dict()
    assert all(torch.equal(expected[k].half().float(), v) for k, v in loaded.model.state_dict().items())


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_catalog_model_reads_back(tmp_path, name):
    """Every architecture's classes (timm encoders, zoo blocks) pass the restricted reader."""
    model = zoo.load(name).model
    torch.save({"model": model, "ema": None}, tmp_path / "m.pt")
    loaded = read_checkpoint(tmp_path / "m.pt")["model"]
    assert type(loaded) is type(model)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))


def test_torch_allow_list_is_left_as_it_was(tmp_path, small_model):
    before = set(map(str, torch.serialization.get_safe_globals()))
    torch.save({"model": small_model, "ema": None}, tmp_path / "m.pt")
    read_checkpoint(tmp_path / "m.pt")
    assert set(map(str, torch.serialization.get_safe_globals())) == before


def test_missing_file_is_not_downloaded(tmp_path, monkeypatch):
    """``yolo26n.pt`` is an Ultralytics asset name: Ultralytics would fetch it; zoo says the file is missing."""
    attempts = []
    real_connect = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", lambda self, a: attempts.append(a) or real_connect(self, a))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"yolo26n\.pt: no such checkpoint file"):
        zoo.load("yolo26n.pt")
    assert attempts == []


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04truncated", b"not a checkpoint"])
def test_damaged_files_are_typed_errors(tmp_path, content):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(content)
    with pytest.raises(WeightsFormatError, match=r"bad\.pt: not a torch\.save checkpoint"):
        zoo.load(bad)


def test_a_legacy_raw_pickle_is_not_unpickled(tmp_path):
    """Without a zip index the globals cannot be vetted first: refused unless trusted."""
    import pickle

    marker = tmp_path / "payload-ran"
    legacy = tmp_path / "legacy.pt"
    legacy.write_bytes(pickle.dumps({"x": _Payload(marker)}, protocol=2))
    with pytest.raises(UnsafeCheckpointError, match=r"legacy\.pt: a raw \(legacy\) pickle"):
        zoo.load(legacy)
    assert not marker.exists()


def test_a_bare_state_dict_is_not_a_model(tmp_path, small_model):
    torch.save(small_model.state_dict(), tmp_path / "sd.pt")
    with pytest.raises(WeightsFormatError, match=r"holds no model.*weights=path"):
        zoo.load(tmp_path / "sd.pt")


BLOCKS = """
import pathlib, torch
import zoo
pathlib.Path({marker!r}).write_text("imported")  # a module's top-level code: must not run because a file names it

@zoo.register_module(rule=zoo.rules.same())
class Scale(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(c, 1, 1))
    def forward(self, x):
        return x * self.w
"""


@pytest.fixture
def block_checkpoint(tmp_path):
    """A checkpoint of a model using a user's block from module ``user_scale_blocks`` (saved in a subprocess)."""
    src = tmp_path / "src"
    src.mkdir()
    marker = tmp_path / "module-imported"
    (src / "user_scale_blocks.py").write_text(BLOCKS.format(marker=str(marker)))
    ckpt = tmp_path / "user.pt"
    script = textwrap.dedent(f"""
        import sys, torch, zoo
        sys.path.insert(0, {str(src)!r})
        import user_scale_blocks
        cfg = {{"nc": 2, "backbone": [[-1, 1, "Conv", [8, 3, 2]], [-1, 1, "Scale", [8]]],
               "head": [[-1, 1, "Classify", ["nc"]]]}}
        from zoo.nn.models import ZooClassificationModel
        m = ZooClassificationModel(cfg, verbose=False)
        torch.save({{"model": m, "ema": None}}, {str(ckpt)!r})
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    marker.unlink()
    return ckpt, src, marker


def test_user_block_module_is_never_imported_by_the_file(block_checkpoint, monkeypatch):
    ckpt, src, marker = block_checkpoint
    with pytest.raises(MissingModuleError, match=r"user\.pt: needs module 'user_scale_blocks'.*PYTHONPATH"):
        read_checkpoint(ckpt)  # not importable: named, with the fixes; nothing installed
    monkeypatch.syspath_prepend(str(src))
    with pytest.raises(UnsafeCheckpointError, match=r"user_scale_blocks\.Scale.*modules="):
        read_checkpoint(ckpt)  # importable, but the user has not imported it
    assert not marker.exists()
    monkeypatch.delitem(sys.modules, "user_scale_blocks", raising=False)
    model = zoo.load(ckpt, modules=["user_scale_blocks"]).model  # the user's explicit choice
    assert marker.exists() and type(model.model[1]).__name__ == "Scale"
    zoo.registry.MODULES.unregister("Scale")


def test_a_classifiers_transforms_load_but_other_transforms_do_not(tmp_path):
    """Ultralytics keeps a trained classifier's preprocessing on the model: those transforms, by name, and no more."""
    import torchvision.transforms as T
    from ultralytics.data.augment import classify_transforms

    torch.save({"model": torch.nn.Identity(), "transforms": classify_transforms(64)}, tmp_path / "cls.pt")
    assert isinstance(read_checkpoint(tmp_path / "cls.pt")["transforms"], T.Compose)
    torch.save({"model": torch.nn.Identity(), "transforms": T.Compose([T.Lambda(print)])}, tmp_path / "lambda.pt")
    with pytest.raises(UnsafeCheckpointError, match=r"lambda\.pt: names .*torchvision\.transforms\.transforms\.Lambda"):
        read_checkpoint(tmp_path / "lambda.pt")
