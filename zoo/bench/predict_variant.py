"""Variants timed through ``predict`` (``zoo benchmark formats=... predict``): what a user's call costs.

The forward-pass variants of :mod:`zoo.bench.variants` leave out what ``predict`` adds around the network:
letterboxing and normalising the image, and the task's post-processing (resizing a class map to the image, NMS).
With ``predict`` each variant is one ``model.predict(image)`` call on one square image (``data=``'s first validation
image, else the centre square of ``bus.jpg``, which Ultralytics ships, so the benchmark stays offline), through the
model a user would hold:

* ``torch-fused-cl``: ``zoo.load(...).predict(image)``, fp32 (the predictor fuses and runs channels-last): the
  baseline of a predict run;
* ``torch-bf16-cl``: the same with ``half=True`` (bf16 autocast on CPUs with native bf16);
* ``onnx``, ``openvino``, ``openvino-int8``: ``zoo.load(exported_path).predict(image)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

__all__ = ["PREDICT_FORMATS", "PREDICT_BASELINE", "build_predict_variant"]

# format -> half=; the unfused and contiguous eager formats and the references have no predict path of their own
PREDICT_FORMATS = {"torch-fused-cl": False, "torch-bf16-cl": True, "onnx": False, "openvino": False,
                   "openvino-int8": False}
PREDICT_BASELINE = "torch-fused-cl"  # predict's fp32 path: every predict ratio is against it


def _image(data: str | None):
    """The image every predict call gets, BGR as ``cv2.imread`` gives it: ``data=``'s first validation image, else
    the centre square of Ultralytics' ``bus.jpg``. Square, so that every variant runs the same ``imgsz`` square:
    exports have a fixed square input, while PyTorch's predictor would letterbox a portrait image to a smaller
    rectangle."""
    from ultralytics.utils import ASSETS
    from ultralytics.utils.patches import imread

    if data:
        from zoo.bench.variants import _first_val_image

        return imread(str(_first_val_image(data)))
    image = imread(str(ASSETS / "bus.jpg"))
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return image[top : top + side, left : left + side].copy()


def build_predict_variant(spec: dict, fmt: str) -> tuple[Callable, list, dict]:
    """``predict`` of one variant, its input and facts about it.

    Args:
        spec (dict): As for :func:`zoo.bench.variants.prepare` (its ``workdir`` prepared), with ``imgsz``.
        fmt (str): One of :data:`PREDICT_FORMATS`.

    Returns:
        (tuple): ``(run, images, info)``; ``run(images)`` is one ``predict`` call on a list of one image.

    Raises:
        ValueError: For a format without a predict path.
    """
    import zoo
    from zoo.bench.variants import EXPORTED, _load

    if fmt not in PREDICT_FORMATS:
        raise ValueError(f"{fmt!r} has no predict path; with predict, formats are among {', '.join(PREDICT_FORMATS)}")
    workdir = Path(spec["workdir"])
    if fmt in EXPORTED:
        prepared = json.loads((workdir / "prepared.json").read_text(encoding="utf-8"))
        model = zoo.load(prepared["exports"][fmt], task=spec.get("task"))
        info = {"precision": "runtime's own" + (" (int8)" if EXPORTED[fmt].get("int8") else ""), "layout": "runtime"}
    else:
        model = _load(spec["model"], spec.get("task"), workdir)
        info = {"precision": "bf16 autocast" if PREDICT_FORMATS[fmt] else "fp32", "layout": "channels_last"}
    half = PREDICT_FORMATS[fmt]

    def run(images: list):
        return model.predict(images, imgsz=spec["imgsz"], device="cpu", half=half, batch=1, verbose=False)

    return run, [_image(spec.get("data"))], {**info, "through": "predict"}
