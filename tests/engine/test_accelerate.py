"""half=True on CPU: bf16 autocast where the CPU computes bf16 natively, fp32 with a notice elsewhere.

``ZOO_CPU_BF16`` forces the capability check, so both branches run on any machine (bf16 autocast itself runs
everywhere, only slowly where emulated; the tests use tiny inputs).
"""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn
from ultralytics.utils import LOGGER

import zoo
from zoo.engine import accelerate
from zoo.engine.accelerate import ENV, bf16_forward, cpu_bf16, wants_bf16


@pytest.fixture
def notices():
    """Warnings zoo logs through Ultralytics' logger (which does not propagate to pytest's caplog)."""
    records: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: records.append(record.getMessage())
    LOGGER.addHandler(handler)
    accelerate._notice_once.cache_clear()
    yield records
    LOGGER.removeHandler(handler)
    accelerate._notice_once.cache_clear()


def test_env_forces_the_capability(monkeypatch):
    monkeypatch.setenv(ENV, "1")
    assert cpu_bf16().native and ENV in cpu_bf16().reason
    monkeypatch.setenv(ENV, "0")
    assert not cpu_bf16().native


def test_capability_read_from_cpu_flags(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(accelerate, "_cpuinfo_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))
    assert cpu_bf16() == accelerate.CpuBf16(True, "CPU flags avx512_bf16")
    monkeypatch.setattr(accelerate, "_cpuinfo_flags", lambda: frozenset({"avx512f", "avx2"}))
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    assert not cpu_bf16().native
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AMX")  # macOS/Windows: no cpuinfo
    assert cpu_bf16().native


def test_policy(monkeypatch, notices):
    monkeypatch.setenv(ENV, "1")
    assert wants_bf16(16, "cpu")
    assert not wants_bf16(None, "cpu") and not wants_bf16(32, "cpu")  # fp32 asked
    assert not wants_bf16(16, "cpu", fmt="onnx")  # exported runtimes choose their own precision
    assert not wants_bf16(16, "cuda")  # CUDA: Ultralytics' fp16
    assert notices == []
    monkeypatch.setenv(ENV, "0")
    assert not wants_bf16(16, "cpu") and not wants_bf16(16, "cpu")
    assert len(notices) == 1 and "running fp32" in notices[0] and "no native bf16" in notices[0]


def test_bf16_forward_casts_back_and_cleans_up_after_an_error():
    class Boom(nn.Module):
        def forward(self, x):
            if x.shape[0] > 1:
                raise ValueError("boom")
            return {"y": nn.functional.linear(x, torch.ones(2, 3)), "n": 1}

    m = Boom()
    with bf16_forward(m):
        out = m(torch.rand(1, 3))
        assert out["y"].dtype == torch.float32 and out["n"] == 1
        with pytest.raises(ValueError, match="boom"):
            m(torch.rand(2, 3))
    assert not torch.is_autocast_enabled("cpu")
    assert not m._forward_hooks and not m._forward_pre_hooks


def _record_dtypes(module: nn.Module) -> list[torch.dtype]:
    seen: list[torch.dtype] = []
    module.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
    return seen


@pytest.mark.parametrize("native", [True, False])
def test_predict_half(monkeypatch, native):
    monkeypatch.setenv(ENV, "1" if native else "0")
    torch.manual_seed(0)
    model = zoo.load("vit-t-cls")
    x = torch.rand(1, 3, 32, 32)
    model.predict(x, imgsz=32, device="cpu", half=True, verbose=False)
    assert model.predictor.bf16 is native
    seen = _record_dtypes(model.predictor.model.model.model[-1].linear)  # the predictor's copy of the head
    result = model.predict(x, imgsz=32, device="cpu", half=True, verbose=False)[0]
    assert seen == [torch.bfloat16 if native else torch.float32]
    assert result.probs.data.dtype == torch.float32  # postprocessing reads fp32


@pytest.mark.parametrize("native", [True, False])
def test_val_half(monkeypatch, tmp_path, native):
    from zoo.data import make_classification_dataset

    monkeypatch.setenv(ENV, "1" if native else "0")
    data = make_classification_dataset(tmp_path / "data", n_train=2, n_val=2, imgsz=32, nc=2)
    torch.manual_seed(0)
    model = zoo.load("vit-t-cls", nc=2)
    seen = _record_dtypes(model.model.model[-1].linear)  # hooks travel with the validator's deep copy
    metrics = model.val(data=str(data), imgsz=32, batch=2, workers=0, device="cpu", half=True, plots=False,
                        project=str(tmp_path), verbose=False)
    assert "metrics/accuracy_top1" in metrics.results_dict
    assert seen and set(seen) == {torch.bfloat16 if native else torch.float32}
    assert not torch.is_autocast_enabled("cpu")
    assert len(model.model._forward_hooks) == 0  # bf16_forward's hooks are gone from the user's model


# One stock YAML per task-table row that predict/val reach with half=True (World and YOLOE need text embeddings;
# their validators are the same mixin on Ultralytics' classes, checked by the table test below).
STOCK = {"segment": "yolo26n-seg.yaml", "pose": "yolo26n-pose.yaml", "obb": "yolo26n-obb.yaml",
         "depth": "yolo26n-depth.yaml", "rtdetr": "rtdetr-l.yaml", "detect": "yolo26n.yaml"}


def test_every_rows_predictor_and_validator_take_the_bf16_path():
    """The task table gives every row zoo's bf16 predictor and validator (subclasses of Ultralytics' own)."""
    from zoo import tasks

    for row in tasks.TASKS:
        assert issubclass(row.load("predictor"), accelerate._CpuInferencePredictor), row.name
        assert issubclass(row.load("validator"), accelerate._CpuInferenceValidator), row.name


@pytest.mark.parametrize("row", ["segment", "pose", "obb", "depth", "rtdetr"])
def test_predict_and_val_half_on_every_task(monkeypatch, tmp_path, row):
    """Stock YAMLs of the other rows: the network runs in bf16, results and metrics come back in fp32."""
    from zoo import tasks
    from zoo.data import make_dataset

    monkeypatch.setenv(ENV, "1")
    torch.manual_seed(0)
    model = zoo.load(STOCK[row], task=row)
    x = torch.rand(1, 3, 64, 64)
    model.predict(x, imgsz=64, device="cpu", half=True, verbose=False)
    assert model.predictor.bf16
    seen = _record_dtypes(model.predictor.model.model.model[0])  # the predictor's copy of the first layer
    # conf 0: random weights still give detections, so masks and keypoints are filled
    result = model.predict(x, imgsz=64, device="cpu", half=True, conf=0.0, max_det=5, verbose=False)[0]
    assert seen == [torch.bfloat16]
    out = getattr(result, tasks.task(row).result)
    data = out.data if hasattr(out, "data") else out
    assert isinstance(data, torch.Tensor) and data.dtype in (torch.float32, torch.uint8), (type(out), data.dtype)
    if result.boxes is not None:
        assert result.boxes.data.dtype == torch.float32  # postprocessing (NMS, scaling) read fp32

    data_yaml = make_dataset(row, tmp_path / "data", n_train=2, n_val=2, imgsz=64)
    seen = _record_dtypes(model.model.model[0])  # hooks travel with the validator's deep copy
    metrics = model.val(data=str(data_yaml), imgsz=64, batch=2, workers=0, device="cpu", half=True, plots=False,
                        project=str(tmp_path), verbose=False)
    assert tasks.task(row).metrics[0] in metrics.results_dict
    assert seen and set(seen) == {torch.bfloat16}
    assert not torch.is_autocast_enabled("cpu")


@pytest.fixture
def process_threads():
    """A thread count other than the one Ultralytics' select_device sets (min(8, CPUs - 1)), restored after."""
    from ultralytics.utils import NUM_THREADS

    before = torch.get_num_threads()
    torch.set_num_threads(NUM_THREADS + 1)
    yield NUM_THREADS + 1
    torch.set_num_threads(before)


def _record_threads(module: nn.Module) -> list[int]:
    seen: list[int] = []
    module.register_forward_pre_hook(lambda _m, _args: seen.append(torch.get_num_threads()))
    return seen


def test_predict_and_val_keep_the_process_thread_count(tmp_path, process_threads):
    """Inference runs with the caller's torch thread count and leaves it as it was (Ultralytics resets it)."""
    from zoo.data import make_classification_dataset

    data = make_classification_dataset(tmp_path / "data", n_train=2, n_val=2, imgsz=32, nc=2)
    torch.manual_seed(0)
    model = zoo.load("vit-t-cls", nc=2)
    seen = _record_threads(model.model.model[-1].linear)  # hooks travel with the validator's deep copy
    model.predict(torch.rand(1, 3, 32, 32), imgsz=32, device="cpu", verbose=False)
    # the last pass is predict's; an earlier one is fuse()'s probe while AutoBackend is built
    assert seen[-1] == process_threads and torch.get_num_threads() == process_threads
    seen.clear()
    model.val(data=str(data), imgsz=32, batch=1, workers=0, device="cpu", plots=False, project=str(tmp_path),
              verbose=False)
    # the two validation images, one batch each, after the set-up passes (fuse()'s probes)
    assert seen[-2:] == [process_threads] * 2 and torch.get_num_threads() == process_threads


def test_train_leaves_the_thread_count_as_it_found_it(tmp_path, process_threads):
    """Ultralytics' trainer sets its own CPU thread count; the caller's is back once train() returns."""
    from zoo.data import make_classification_dataset

    data = make_classification_dataset(tmp_path / "data", n_train=2, n_val=2, imgsz=32, nc=2)
    model = zoo.load("vit-t-cls", nc=2)
    model.train(data=str(data), epochs=1, imgsz=32, batch=2, workers=0, device="cpu", plots=False, val=False,
                project=str(tmp_path), name="t", verbose=False)
    assert torch.get_num_threads() == process_threads
