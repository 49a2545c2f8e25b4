"""Exported models predict what eager PyTorch predicts: TorchScript, ONNX Runtime and OpenVINO, one small model per
family.

Each model is built with random weights (seed 0), exported by Ultralytics' exporter, loaded with
``zoo.load(exported_path)`` and run through Ultralytics' predictor, as users run it. Tolerances are in
``export_parity.py``. Nothing here is timed: runtimes with their own thread pools make timings in this process
meaningless (``zoo benchmark`` runs every variant in its own process).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import torch
from export_parity import BF16, CHECKS, FP32, check_logits, image_tensor

import zoo

# model -> square input size: small enough to keep the module under a few minutes on 2 CPU cores
MODELS = {"deeplabv3p-n": 128, "sharedhead-n": 160, "vit-t-cls": 64}
RUNTIMES = {"onnx": "onnxruntime", "openvino": "openvino"}


def _build(name: str) -> zoo.engine.model.ZooModel:
    torch.manual_seed(0)
    model = zoo.load(name)
    if model.task == "detect":
        # Random heads score everything near their 0.01 prior: no detections at conf 0.25. Spread the class
        # logits and shift them so that a few dozen boxes of several classes pass (53 boxes, 7 classes here).
        head = model.model.model[-1]
        for branch in (head.cv3, getattr(head, "one2one_cv3", None)):
            if branch is not None:
                branch.pred.weight.data *= 6
                branch.pred.bias.data[:] = -7.0
    return model


@pytest.fixture(scope="module")
def eager(tmp_path_factory):
    """Per model: (eager model, input tensor, eager prediction, folder of its exports)."""
    cache = {}

    def get(name: str):
        if name not in cache:
            size = MODELS[name]
            model, x = _build(name), image_tensor(size)
            pred = model.predict(x, imgsz=size, device="cpu", verbose=False)[0]
            cache[name] = (model, x, pred, tmp_path_factory.mktemp(name))
        return cache[name]

    return get


@pytest.fixture(scope="module")
def exported(eager):
    """Per (model, format): the exported file's path (exported once, into the model's own temporary folder)."""
    cache = {}

    def get(name: str, fmt: str) -> str:
        if (name, fmt) not in cache:
            model, _, _, folder = eager(name)
            extra = {"simplify": False} if fmt == "onnx" else {}  # no onnxslim pass: the graph as exported
            with contextlib.chdir(folder):  # the exporter writes next to the model's YAML name, in the cwd
                cache[name, fmt] = str(folder / model.export(format=fmt, imgsz=MODELS[name], device="cpu", **extra))
        return cache[name, fmt]

    return get


def _runtime(fmt: str):
    return pytest.importorskip(
        RUNTIMES[fmt], reason=f"{RUNTIMES[fmt]} is not installed: pip install 'zoo-for-ultralytics[export]'"
    )


def _predict(path: str, task: str, x: torch.Tensor, size: int, setup=None):
    model = zoo.load(path, task=task)
    model.predict(x, imgsz=size, device="cpu", verbose=False)  # builds the predictor and its backend
    if setup is not None:
        setup(model.predictor.model.backend)
    return model, model.predict(x, imgsz=size, device="cpu", verbose=False)[0]


@pytest.mark.parametrize("name", MODELS)
def test_torchscript_matches_eager(name, eager, exported):
    """Ultralytics' TorchScript export (a trace), run by Ultralytics' TorchScript backend, within fp32 tolerances."""
    model, x, ref, _ = eager(name)
    loaded, got = _predict(exported(name, "torchscript"), model.task, x, MODELS[name])
    assert type(loaded.predictor.model.backend).__name__ == "TorchScriptBackend"
    print(f"{name} torchscript: {CHECKS[model.task](ref, got, FP32)}")
    if model.task == "semantic":  # a trace keeps the logits (ONNX and OpenVINO exports bake the argmax in)
        with torch.inference_mode():
            print(f"{name} torchscript logits: {check_logits(model.predictor.model(x), loaded.predictor.model(x), FP32)}")


@pytest.mark.parametrize("name", MODELS)
def test_onnxruntime_matches_eager(name, eager, exported):
    _runtime("onnx")
    model, x, ref, _ = eager(name)
    _, got = _predict(exported(name, "onnx"), model.task, x, MODELS[name])
    print(f"{name} onnxruntime: {CHECKS[model.task](ref, got, FP32)}")  # shown with -s


@pytest.mark.parametrize("name", MODELS)
def test_openvino_f32_matches_eager(name, eager, exported):
    """The exported graph itself, in fp32: Ultralytics' backend recompiled with OpenVINO's f32 precision hint."""
    ov = _runtime("openvino")
    model, x, ref, _ = eager(name)
    path = exported(name, "openvino")
    xml = next(Path(path).glob("*.xml"))

    def f32(backend):  # Ultralytics' backend has no precision option; its pre/postprocessing stays in use
        backend.ov_compiled_model = ov.Core().compile_model(
            str(xml), "CPU", {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}
        )

    exported_model, got = _predict(path, model.task, x, MODELS[name], setup=f32)
    hint = exported_model.predictor.model.backend.ov_compiled_model.get_property("INFERENCE_PRECISION_HINT")
    assert "float32" in str(hint), hint
    print(f"{name} openvino f32: {CHECKS[model.task](ref, got, FP32)}")


@pytest.mark.parametrize("name", MODELS)
def test_openvino_default_precision_matches_eager(name, eager, exported):
    """As ``zoo.load(path).predict`` runs it: the precision OpenVINO picks (bf16 here) with its tolerance."""
    _runtime("openvino")
    model, x, ref, _ = eager(name)
    exported_model, got = _predict(exported(name, "openvino"), model.task, x, MODELS[name])
    hint = str(exported_model.predictor.model.backend.ov_compiled_model.get_property("INFERENCE_PRECISION_HINT"))
    tol = FP32 if "float32" in hint else BF16
    print(f"{name} openvino {hint}: {CHECKS[model.task](ref, got, tol)}")
