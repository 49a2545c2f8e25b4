"""Comparing an exported model's predictions with eager PyTorch's: tolerances and per-task checks.

Both sides run through Ultralytics' predictor on the same square tensor (no letterbox difference), so what is
compared is the network plus Ultralytics' own post-processing, as a user of ``zoo.load(path).predict`` sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

CONF = 0.25  # detections at or above this confidence must match


@dataclass(frozen=True)
class Tolerance:
    """What "the same prediction" means for one runtime precision.

    Attributes:
        pixels (float): Least fraction of equal pixels in semantic class maps.
        box_rel (float): Largest box-coordinate and confidence difference, relative to the value (at least 1).
        probs (float): Largest absolute difference of class probabilities (top-1 must be equal too).
        logits (float): Largest absolute difference of semantic logits, relative to the largest eager logit
            (only where an export keeps logits: TorchScript).
    """

    pixels: float
    box_rel: float
    probs: float
    logits: float = 1e-4


# fp32 runtimes (ONNX Runtime, OpenVINO f32): the thresholds of issue 12.
FP32 = Tolerance(pixels=0.999, box_rel=1e-3, probs=1e-4)
# OpenVINO picks bf16 by itself on CPUs with native bf16 (8-bit mantissa: ~0.4 % per value); random weights put
# class boundaries everywhere, so class maps differ along them. Measured: 99.1 % pixels, probabilities 5e-5.
BF16 = Tolerance(pixels=0.98, box_rel=3e-2, probs=1e-3)


def check_semantic(ref, got, tol: Tolerance) -> float:
    """Class maps at input size: at least ``tol.pixels`` equal. Returns the fraction equal.

    Logits are not compared: ONNX and OpenVINO exports of semantic heads give the class map only (argmax in the
    graph), so Ultralytics' predictor sees no logits from them.
    """
    a, b = ref.semantic_mask.data, got.semantic_mask.data
    assert a.shape == b.shape, f"class map shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}"
    equal = (a == b).float().mean().item()
    assert equal >= tol.pixels, f"only {equal:.4%} of pixels agree (need {tol.pixels:.2%})"
    return equal


def _first(out) -> torch.Tensor:
    """The main output tensor of a backend (eval models return ``(y, extras)``)."""
    while isinstance(out, (list, tuple)):
        out = out[0]
    return out


def check_logits(ref, got, tol: Tolerance) -> float:
    """Semantic logits of two backends on the same input, at input size: within ``tol.logits`` (relative).

    Eager returns logits at the head's stride; exports upsample in the graph. The eager side is upsampled the
    way Ultralytics' predictor does (bilinear, corners not aligned) before comparing. Returns the difference.
    """
    import torch.nn.functional as F

    a, b = _first(ref).float(), _first(got).float()
    assert a.ndim == b.ndim == 4 and a.shape[:2] == b.shape[:2], f"not logits: {tuple(a.shape)} vs {tuple(b.shape)}"
    if a.shape[2:] != b.shape[2:]:
        a = F.interpolate(a, b.shape[2:], mode="bilinear", align_corners=False)
    rel = ((a - b).abs().max() / a.abs().max().clamp(min=1e-12)).item()
    assert rel <= tol.logits, f"logits differ by {rel:.2e} of the largest (tolerance {tol.logits:.0e})"
    return rel


def _unmatched(a, b, tol: Tolerance) -> list[str]:
    """Detections of ``a`` at or above :data:`CONF` with no twin in ``b`` (same class, box and conf within tol)."""
    missing = []
    for box, conf, cls in zip(a.xyxy, a.conf, a.cls):
        if conf < CONF + tol.box_rel:  # on the threshold: the other side may fall just below it
            continue
        same = (b.cls == cls) & ((b.conf - conf).abs() <= tol.box_rel * max(1.0, float(conf)))
        close = ((b.xyxy - box).abs() <= tol.box_rel * box.abs().clamp(min=1.0)).all(1)
        if not bool((same & close).any()):
            missing.append(f"cls {int(cls)} conf {float(conf):.4f} box {[round(float(v), 2) for v in box]}")
    return missing


def check_boxes(ref, got, tol: Tolerance, least: int = 10) -> int:
    """The same detections above :data:`CONF` both ways. Returns how many the eager side has."""
    n = len(ref.boxes)
    assert n >= least, f"eager gave {n} detections: too few for the comparison to mean anything"
    missing = _unmatched(ref.boxes, got.boxes, tol)
    extra = _unmatched(got.boxes, ref.boxes, tol)
    assert not missing and not extra, f"missing from export: {missing[:5]}; only in export: {extra[:5]}"
    return n


def check_probs(ref, got, tol: Tolerance) -> float:
    """Same top-1 class, probabilities within ``tol.probs``. Returns the largest difference."""
    assert ref.probs.top1 == got.probs.top1, f"top-1 differs: {ref.probs.top1} vs {got.probs.top1}"
    diff = (ref.probs.data.float() - got.probs.data.float()).abs().max().item()
    assert diff <= tol.probs, f"probabilities differ by {diff:.2e} (tolerance {tol.probs:.0e})"
    return diff


CHECKS = {"semantic": check_semantic, "detect": check_boxes, "classify": check_probs}


def image_tensor(size: int) -> torch.Tensor:
    """Ultralytics' bus.jpg resized to ``size``², as a (1, 3, size, size) RGB tensor in [0, 1]."""
    from pathlib import Path

    import cv2
    import ultralytics

    im = cv2.imread(str(Path(ultralytics.__file__).parent / "assets" / "bus.jpg"))
    im = cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA)[:, :, ::-1].copy()
    return torch.from_numpy(im).permute(2, 0, 1)[None].float() / 255
