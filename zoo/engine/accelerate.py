"""CPU inference for zoo's predictors and validators: bf16 where the CPU computes it natively (capability check,
autocast policy), and the caller's thread count kept.

``model.predict(..., half=True)`` and ``model.val(..., half=True)`` (Ultralytics turns ``half`` into
``quantize=16``) ask for half precision. Ultralytics' ``AutoBackend`` keeps PyTorch models in fp32 on CPU
(fp16 on CPU is slow), so the request does nothing there. zoo reads it as bf16 autocast where the CPU has native
bf16 arithmetic (AVX512-BF16 or AMX), and as fp32 with a one-line notice elsewhere: on CPUs without it, bf16 is
emulated and many times slower than fp32.

Autocast runs only the network; its outputs are cast back to fp32 before Ultralytics' postprocessing (NMS,
resizing, metrics), so box coordinates and probabilities are not rounded to bf16's 8-bit mantissa.

The capability check can be forced with the environment variable ``ZOO_CPU_BF16`` (``1``: native, ``0``: not),
which tests use to exercise both branches on any machine.

The same predictors and standalone validators keep the process's CPU thread count. Ultralytics' ``select_device``
sets torch's pool to ``min(8, CPUs - 1)`` threads (for CPU training), so on a 2-CPU machine every predict ran on
one thread, and ``OMP_NUM_THREADS`` or ``torch.set_num_threads`` had no say; zoo's inference runs with whatever the
process had (torch's default: one per core) and leaves it unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import torch
from ultralytics.models import rtdetr, yolo
from ultralytics.models.yolo import world, yoloe
from ultralytics.utils import LOGGER

__all__ = [
    "CpuBf16",
    "cpu_bf16",
    "wants_bf16",
    "to_float32",
    "bf16_forward",
    "ZooSemanticPredictor",
    "ZooDetectionPredictor",
    "ZooClassificationPredictor",
    "ZooSegmentationPredictor",
    "ZooPosePredictor",
    "ZooOBBPredictor",
    "ZooDepthPredictor",
    "ZooRTDETRPredictor",
    "ZooSemanticValidator",
    "ZooDetectionValidator",
    "ZooClassificationValidator",
    "ZooSegmentationValidator",
    "ZooPoseValidator",
    "ZooOBBValidator",
    "ZooDepthValidator",
    "ZooRTDETRValidator",
    "ZooWorldValidator",
    "ZooYOLOEDetectValidator",
    "ZooYOLOESegValidator",
]

ENV = "ZOO_CPU_BF16"
_NATIVE_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of CPUs with bf16 dot products in hardware


@dataclass(frozen=True)
class CpuBf16:
    """Whether this CPU computes bf16 natively, and why zoo thinks so.

    Attributes:
        native (bool): True for AVX512-BF16 or AMX.
        reason (str): The evidence, for notices and benchmark reports.
    """

    native: bool
    reason: str


@functools.lru_cache(maxsize=1)
def _cpuinfo_flags() -> frozenset[str]:
    """CPU flags from ``/proc/cpuinfo`` (empty where there is none, e.g. macOS, Windows)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(w for line in text.splitlines() if line.startswith("flags") for w in line.split(":", 1)[1].split())


def cpu_bf16() -> CpuBf16:
    """Detect native bf16 on this CPU (``ZOO_CPU_BF16=1/0`` overrides the detection).

    Returns:
        (CpuBf16): ``native`` and the reason.
    """
    forced = os.environ.get(ENV, "").strip().lower()
    if forced in {"1", "true", "yes", "0", "false", "no"}:
        return CpuBf16(forced in {"1", "true", "yes"}, f"forced by {ENV}={forced}")
    flags = _cpuinfo_flags() & set(_NATIVE_FLAGS)
    if flags:
        return CpuBf16(True, "CPU flags " + ", ".join(sorted(flags)))
    capability = torch.backends.cpu.get_cpu_capability()  # e.g. AVX2, AVX512, AMX (no cpuinfo on macOS/Windows)
    if "AMX" in capability.upper():
        return CpuBf16(True, f"torch CPU capability {capability}")
    return CpuBf16(False, f"no avx512_bf16/amx_bf16 CPU flag (torch CPU capability {capability})")


@functools.lru_cache(maxsize=None)
def _notice_once(message: str) -> None:
    LOGGER.warning(message)


def wants_bf16(quantize: Any, device: torch.device | str, fmt: str = "pt") -> bool:
    """Decide whether a predict/val run gets bf16 autocast.

    Args:
        quantize (Any): The run's ``quantize`` argument (16 after ``half=True``).
        device (torch.device | str): Where the model runs.
        fmt (str): The backend's format; exported formats choose their own precision.

    Returns:
        (bool): True only for half precision asked of a PyTorch model on a CPU with native bf16. Asked on a CPU
            without it, prints a one-line notice and returns False (fp32).
    """
    if str(quantize) != "16" or torch.device(device).type != "cpu" or fmt != "pt":
        return False
    support = cpu_bf16()
    if not support.native:
        _notice_once(f"half=True on CPU: running fp32, this CPU has no native bf16 ({support.reason})")
    return support.native


def to_float32(value: Any) -> Any:
    """Cast bf16/fp16 tensors (also inside lists, tuples and dicts) to fp32; anything else unchanged."""
    if isinstance(value, torch.Tensor):
        return value.float() if value.dtype in (torch.bfloat16, torch.float16) else value
    if isinstance(value, (list, tuple)):
        return type(value)(to_float32(v) for v in value)
    if isinstance(value, dict):
        return {k: to_float32(v) for k, v in value.items()}
    return value


@contextlib.contextmanager
def bf16_forward(module: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Within the block, every ``module(...)`` call runs under CPU bf16 autocast and returns fp32 outputs.

    Forward hooks (not a wrapper module) so that copies the engine makes of ``module`` (``deepcopy``, ``fuse``)
    keep the behaviour and keep every attribute Ultralytics reads (``stride``, ``names``, ``yaml``).

    Args:
        module (torch.nn.Module): The model Ultralytics' validator receives.

    Yields:
        (torch.nn.Module): ``module``; its hooks are removed on exit, and an autocast left open by a failed
            forward pass is closed.
    """
    open_contexts: list = []  # shared with the hooks of deep copies: functions are not copied

    def enter(_module, _args):
        ctx = torch.autocast("cpu", dtype=torch.bfloat16)
        ctx.__enter__()
        open_contexts.append(ctx)

    def leave(_module, _args, out):
        open_contexts.pop().__exit__(None, None, None)
        return to_float32(out)

    handles = [module.register_forward_pre_hook(enter), module.register_forward_hook(leave)]
    try:
        yield module
    finally:
        for h in handles:
            h.remove()
        while open_contexts:  # a forward pass raised between the two hooks
            open_contexts.pop().__exit__(None, None, None)


class _CpuInferencePredictor:
    """Predictor mixin: network under bf16 autocast when :func:`wants_bf16` says so, outputs back in fp32; the
    process's thread count kept (see the module docstring)."""

    bf16 = False

    def setup_model(self, model, verbose: bool = True):
        """Ultralytics' setup with the thread count it found, then the precision decision (it needs the backend's
        device and format)."""
        threads = torch.get_num_threads()
        super().setup_model(model, verbose)
        torch.set_num_threads(threads)  # select_device reset it to min(8, CPUs - 1)
        self.bf16 = wants_bf16(self.args.quantize, self.device, getattr(self.model, "format", "pt"))

    def inference(self, im: torch.Tensor, *args, **kwargs):
        """Run the network, under bf16 autocast when chosen."""
        if not self.bf16:
            return super().inference(im, *args, **kwargs)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = super().inference(im, *args, **kwargs)
        return to_float32(out)


class _CpuInferenceValidator:
    """Validator mixin: standalone validation of a PyTorch model under bf16 autocast when asked and native, with the
    process's thread count kept (see the module docstring).

    Validation during training is left alone (the trainer decides precision and threads there).
    """

    bf16 = False
    _threads: int | None = None

    def __call__(self, trainer=None, model=None, **kwargs):
        """Ultralytics' validation, with the network's forward passes in bf16 when chosen."""
        self.bf16 = (
            trainer is None
            and isinstance(model, torch.nn.Module)
            and wants_bf16(self.args.quantize, _device_type(self.args.device))
        )
        self._threads = torch.get_num_threads() if trainer is None else None
        try:
            if not self.bf16:
                return super().__call__(trainer=trainer, model=model, **kwargs)
            with bf16_forward(model):
                return super().__call__(trainer=trainer, model=model, **kwargs)
        finally:
            if self._threads is not None:
                torch.set_num_threads(self._threads)

    def init_metrics(self, model):
        """Ultralytics' metrics set-up, which runs after ``select_device`` and before the first batch: the thread
        count goes back to the caller's here, so the batches run with it."""
        super().init_metrics(model)
        if self._threads is not None:
            torch.set_num_threads(self._threads)


def _device_type(device: Any) -> str:
    """``cpu`` or ``cuda`` for a ``device=`` argument (None, ``""``, ``cpu``, ``0``, ``cuda:1``...)."""
    text = str(device or "").strip().lower()
    if text in {"", "none"}:  # Ultralytics' default: the first GPU if there is one
        return "cuda" if torch.cuda.is_available() else "cpu"
    if text.startswith(("cpu", "mps")):
        return text.split(":")[0]
    return "cuda"  # 0, "0,1", cuda, cuda:1


# Ultralytics' predictors and validators of every task-table row, with the bf16 path (zoo/tasks.py names them).


class ZooSemanticPredictor(_CpuInferencePredictor, yolo.semantic.SemanticSegmentationPredictor):
    """Ultralytics' semantic predictor with bf16 autocast on CPU for ``half=True``."""


class ZooDetectionPredictor(_CpuInferencePredictor, yolo.detect.DetectionPredictor):
    """Ultralytics' detection predictor with bf16 autocast on CPU for ``half=True``."""


class ZooClassificationPredictor(_CpuInferencePredictor, yolo.classify.ClassificationPredictor):
    """Ultralytics' classification predictor with bf16 autocast on CPU for ``half=True``."""


class ZooSegmentationPredictor(_CpuInferencePredictor, yolo.segment.SegmentationPredictor):
    """Ultralytics' instance segmentation predictor with bf16 autocast on CPU for ``half=True``."""


class ZooPosePredictor(_CpuInferencePredictor, yolo.pose.PosePredictor):
    """Ultralytics' pose predictor with bf16 autocast on CPU for ``half=True``."""


class ZooOBBPredictor(_CpuInferencePredictor, yolo.obb.OBBPredictor):
    """Ultralytics' OBB predictor with bf16 autocast on CPU for ``half=True``."""


class ZooDepthPredictor(_CpuInferencePredictor, yolo.depth.DepthPredictor):
    """Ultralytics' depth predictor with bf16 autocast on CPU for ``half=True``."""


class ZooRTDETRPredictor(_CpuInferencePredictor, rtdetr.RTDETRPredictor):
    """Ultralytics' RT-DETR predictor with bf16 autocast on CPU for ``half=True``."""


class ZooSemanticValidator(_CpuInferenceValidator, yolo.semantic.SemanticSegmentationValidator):
    """Ultralytics' semantic validator with bf16 autocast on CPU for ``half=True``."""


class ZooDetectionValidator(_CpuInferenceValidator, yolo.detect.DetectionValidator):
    """Ultralytics' detection validator with bf16 autocast on CPU for ``half=True``."""


class ZooClassificationValidator(_CpuInferenceValidator, yolo.classify.ClassificationValidator):
    """Ultralytics' classification validator with bf16 autocast on CPU for ``half=True``."""


class ZooSegmentationValidator(_CpuInferenceValidator, yolo.segment.SegmentationValidator):
    """Ultralytics' instance segmentation validator with bf16 autocast on CPU for ``half=True``."""


class ZooPoseValidator(_CpuInferenceValidator, yolo.pose.PoseValidator):
    """Ultralytics' pose validator with bf16 autocast on CPU for ``half=True``."""


class ZooOBBValidator(_CpuInferenceValidator, yolo.obb.OBBValidator):
    """Ultralytics' OBB validator with bf16 autocast on CPU for ``half=True``."""


class ZooDepthValidator(_CpuInferenceValidator, yolo.depth.DepthValidator):
    """Ultralytics' depth validator with bf16 autocast on CPU for ``half=True``."""


class ZooRTDETRValidator(_CpuInferenceValidator, rtdetr.RTDETRValidator):
    """Ultralytics' RT-DETR validator with bf16 autocast on CPU for ``half=True``."""


class ZooWorldValidator(_CpuInferenceValidator, world.WorldValidator):
    """Ultralytics' YOLO-World validator with bf16 autocast on CPU for ``half=True``."""


class ZooYOLOEDetectValidator(_CpuInferenceValidator, yoloe.YOLOEDetectValidator):
    """Ultralytics' YOLOE detection validator with bf16 autocast on CPU for ``half=True``."""


class ZooYOLOESegValidator(_CpuInferenceValidator, yoloe.YOLOESegValidator):
    """Ultralytics' YOLOE segmentation validator with bf16 autocast on CPU for ``half=True``."""
