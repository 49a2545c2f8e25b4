"""Inference variants of one model, run by ``zoo benchmark formats=...``: eager PyTorch paths and exported runtimes.

A variant is a network plus the way it is run:

* ``torch``: fp32 eager, as built (unfused, contiguous): the baseline every ratio is taken against.
* ``torch-fused``: zoo's ``fuse()`` (BatchNorm folded everywhere, see :mod:`zoo.nn.fuse`), contiguous.
* ``torch-fused-cl``: fused and channels-last (what ``predict`` runs in fp32: Ultralytics' ``AutoBackend``
  switches channels-last on for x86 CPUs).
* ``torch-bf16`` / ``torch-bf16-cl``: fused, under bf16 autocast (what ``predict(half=True)`` runs on CPUs with
  native bf16), contiguous or channels-last.
* ``onnx``, ``openvino``: the model exported by Ultralytics' exporter, run by Ultralytics' ``AutoBackend`` (as
  ``zoo.load(exported_path).predict`` runs it; OpenVINO picks its own precision, bf16 on CPUs that have it).
* ``openvino-int8``: OpenVINO with int8 weights and activations, quantised by Ultralytics' exporter (NNCF,
  ``pip install nncf``), calibrated on the ``train`` split of the benchmark's ``data=``, so the accuracy the
  benchmark scores on its ``val`` split is measured on images calibration did not see; needs ``data=``.
* ``reference`` / ``reference-cl``: the model's reference implementation (:mod:`zoo.bench.references`: timm, smp,
  torchvision, Ultralytics' own build) in fp32 eager, as built / fused where it has ``fuse()`` and channels-last, so that zoo's
  eager speed is a ratio to the reference's taken in the same rounds (``torch`` / ``torch-fused-cl`` against
  these). Its own random weights: no output comparison.

All variants of a model share one set of weights, one input and one fp32 eager reference output, written once by
:func:`prepare`, so their outputs can be compared (:func:`output_delta`).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

__all__ = ["FORMATS", "EXPORTED", "REFERENCE_PAIRS", "prepare", "build_variant", "output_delta"]

FORMATS = ("torch", "torch-fused", "torch-fused-cl", "torch-bf16", "torch-bf16-cl", "onnx", "openvino",
           "openvino-int8", "reference", "reference-cl")
# format -> Ultralytics export options; int8 is calibrated by NNCF on the training split of the benchmark's data=
# (Ultralytics' exporter calibrates on data='s `split`), which the accuracy column does not score
EXPORTED = {"onnx": {"format": "onnx", "simplify": False}, "openvino": {"format": "openvino"},
            "openvino-int8": {"format": "openvino", "int8": True, "split": "train"}}
# reference format -> the zoo format it is compared with, round by round (same precision, fusion and layout)
REFERENCE_PAIRS = {"reference": "torch", "reference-cl": "torch-fused-cl"}


def _load(model: str, task: str | None, workdir: Path):
    """The zoo model with the benchmark's shared weights."""
    import zoo

    prepared = json.loads((workdir / "prepared.json").read_text(encoding="utf-8"))
    zm = zoo.load(model, task=task, nc=prepared.get("nc"))  # trained weights may have other classes
    zm.model.load_state_dict(torch.load(workdir / "weights.pt", weights_only=True))
    return zm


def _first(out):
    """The main output tensor: detection eval returns ``(y, preds)``, backends may return lists."""
    while isinstance(out, (list, tuple)):
        out = out[0]
    return out


def _first_val_image(data: str) -> Path:
    """The first image (sorted by path) of a dataset's validation split: a YAML, or a classification folder."""
    from ultralytics.data.utils import IMG_FORMATS, check_cls_dataset, check_det_dataset

    d = check_det_dataset(data) if str(data).lower().endswith((".yaml", ".yml")) else check_cls_dataset(data)
    val = d.get("val")
    val = val[0] if isinstance(val, list) else val
    files = sorted(f for f in Path(val).rglob("*") if f.suffix[1:].lower() in IMG_FORMATS)
    if not files:
        raise FileNotFoundError(f"{data}: no images in its validation split {val}")
    return files[0]


def _sample_input(spec: dict) -> torch.Tensor:
    """The input every variant runs: ``data=``'s first validation image (RGB, resized to ``imgsz``, in [0, 1]) when
    given, so that the output columns compare what a trained model sees; else seeded noise."""
    batch, imgsz = int(spec.get("batch", 1)), spec["imgsz"]
    if not spec.get("data"):
        return torch.rand(batch, 3, imgsz, imgsz, generator=torch.Generator().manual_seed(0))
    import cv2
    from ultralytics.utils.patches import imread

    image = cv2.resize(imread(str(_first_val_image(spec["data"]))), (imgsz, imgsz), interpolation=cv2.INTER_LINEAR)
    x = torch.from_numpy(image[:, :, ::-1].copy()).permute(2, 0, 1).float().div(255)
    return x.unsqueeze(0).repeat(batch, 1, 1, 1)


def prepare(spec: dict) -> dict:
    """Build the model once (seeded), save weights, input and fp32 reference output; export what is asked.

    Args:
        spec (dict): ``model``, ``task``, ``imgsz``, ``batch``, ``formats``, ``workdir``; ``weights`` (optional):
            trained weights instead of random ones; ``data`` (optional): calibrates int8, and its first validation
            image is the input every variant runs (else seeded noise).

    Returns:
        (dict): ``task``, ``stride`` (of the class map, semantic only) and ``exports`` (format -> path).
    """
    import zoo

    workdir = Path(spec["workdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    weights = spec.get("weights")
    if weights and str(weights).endswith(".pt"):  # a trained best.pt: the model it holds (restricted unpickler)
        zm = zoo.load(weights, task=spec.get("task"))
    else:
        zm = zoo.load(spec["model"], task=spec.get("task"), weights=weights)
    zm.model.float()
    torch.save(zm.model.state_dict(), workdir / "weights.pt")
    x = _sample_input(spec)
    torch.save(x, workdir / "input.pt")
    module = zm.model.eval()
    with torch.inference_mode():
        torch.save(_first(module(x)).float(), workdir / "reference.pt")
    exports = {}
    for fmt in spec["formats"]:
        if fmt in EXPORTED:
            options = dict(EXPORTED[fmt])
            if options.get("int8"):
                if not spec.get("data"):
                    raise ValueError(f"{fmt} is calibrated on images: give data= (a dataset YAML or folder)")
                options["data"] = spec["data"]
            with contextlib.chdir(workdir):  # the exporter writes next to the model's YAML name, in the cwd
                path = zm.export(imgsz=spec["imgsz"], batch=x.shape[0], device="cpu", verbose=False, **options)
            exports[fmt] = str(workdir / path)
    info = {"task": zm.task, "exports": exports, "nc": getattr(module, "nc", None) or module.yaml.get("nc")}
    (workdir / "prepared.json").write_text(json.dumps(info), encoding="utf-8")
    return info


class _Bf16(torch.nn.Module):
    """Run a module under CPU bf16 autocast and return fp32, as zoo's predictor does for ``half=True``."""

    def __init__(self, module: torch.nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x):
        from zoo.engine.accelerate import to_float32

        with torch.autocast("cpu", dtype=torch.bfloat16):
            return to_float32(self.module(x))


def build_variant(spec: dict, fmt: str) -> tuple[Callable, torch.Tensor, dict]:
    """The callable to time, its input and facts about it.

    Args:
        spec (dict): As for :func:`prepare` (its ``workdir`` prepared); ``batch``: run the first ``batch`` images
            of the prepared input (exported graphs have the prepared batch size).
        fmt (str): One of :data:`FORMATS`.

    Returns:
        (tuple): ``(run, x, info)``; ``run(x)`` is one forward pass (one ``predict`` call when ``spec["predict"]``,
            see :mod:`zoo.bench.predict_variant`); ``info`` has ``precision`` and ``layout``.

    Raises:
        ValueError: For an unknown format.
    """
    if spec.get("predict"):
        from zoo.bench.predict_variant import build_predict_variant

        return build_predict_variant(spec, fmt)
    workdir = Path(spec["workdir"])
    x = torch.load(workdir / "input.pt", weights_only=True)
    x = x[: int(spec.get("batch") or x.shape[0])]  # a thread/batch search prepares its largest batch once
    if fmt in EXPORTED:
        from ultralytics.nn.autobackend import AutoBackend

        prepared = json.loads((workdir / "prepared.json").read_text(encoding="utf-8"))
        backend = AutoBackend(prepared["exports"][fmt], device=torch.device("cpu"), verbose=False)
        precision = "fp32"
        if fmt.startswith("openvino"):
            precision = str(backend.backend.ov_compiled_model.get_property("INFERENCE_PRECISION_HINT"))
            precision = precision.replace("<Type: '", "").replace("'>", "")
            if EXPORTED[fmt].get("int8"):
                precision = f"int8 ({precision} elsewhere)"
        return backend, x, {"precision": precision, "layout": "runtime"}
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    if fmt in REFERENCE_PAIRS:
        return _reference(spec, fmt, x)
    module = _load(spec["model"], spec.get("task"), workdir).model.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    if fmt != "torch":
        module.fuse(verbose=False)
    channels_last = fmt.endswith("-cl")
    if channels_last:
        module = module.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    run = _Bf16(module) if "bf16" in fmt else module
    info = {"precision": "bf16 autocast" if "bf16" in fmt else "fp32", "layout": "channels_last" if channels_last else "contiguous"}
    return run.eval(), x, info


def _reference(spec: dict, fmt: str, x: torch.Tensor) -> tuple[Callable, torch.Tensor, dict]:
    """The reference implementation, fp32 eager; ``-cl``: fused (where it can) and channels-last, as predict runs."""
    from zoo.bench.references import build_reference

    prepared = json.loads((Path(spec["workdir"]) / "prepared.json").read_text(encoding="utf-8"))
    torch.manual_seed(0)
    module, label = build_reference(spec["model"], nc=prepared["nc"], imgsz=spec["imgsz"])
    module = module.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    channels_last = fmt.endswith("-cl")
    if channels_last:
        if hasattr(module, "fuse"):  # Ultralytics' models (timm's and smp's have no BatchNorm folding of their own)
            module = module.fuse(verbose=False)
        module = module.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    return module, x, {"precision": "fp32", "layout": "channels_last" if channels_last else "contiguous",
                       "reference": label}


def output_delta(spec: dict, out, task: str) -> dict:
    """Compare a variant's output with the fp32 eager reference.

    Args:
        spec (dict): With ``workdir``.
        out: The variant's output on the shared input.
        task (str): ``semantic``, ``detect`` or ``classify``.

    Returns:
        (dict): ``delta_rel`` (largest absolute difference over the reference's largest value, where the outputs
            have the same shape), and the task's agreement: ``pixels_equal`` (class maps at input size),
            ``top1_equal`` (classification) or nothing more (detection: raw outputs are compared).
    """
    ref = torch.load(Path(spec["workdir"]) / "reference.pt", weights_only=True)
    y = _first(out)
    y = torch.as_tensor(y).float() if not isinstance(y, torch.Tensor) else y.float()
    ref = ref[: y.shape[0]]  # a variant run at a smaller batch than prepared: the first images (eval: independent)
    row = {}
    if y.shape == ref.shape:
        row["delta_rel"] = float((y - ref).abs().max() / ref.abs().max().clamp(min=1e-12))
    if task == "semantic":
        size = spec["imgsz"]
        ref_map = F.interpolate(ref, size=(size, size), mode="bilinear", align_corners=False).argmax(1)
        y_map = y.long() if y.ndim == 3 else F.interpolate(y, size=(size, size), mode="bilinear", align_corners=False).argmax(1)
        row["pixels_equal"] = float((y_map == ref_map).float().mean())
    elif task == "classify" and y.shape == ref.shape:
        row["top1_equal"] = bool((y.argmax(-1) == ref.argmax(-1)).all())
    return row
