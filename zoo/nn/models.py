"""zoo's model classes: Ultralytics' task models, built by zoo's parser.

Each class subclasses the Ultralytics model of its task or family, so Ultralytics' trainers, validators,
predictors, losses and exporter treat it as their own, and overrides only construction: :class:`ZooBuilt`
(``zoo/nn/built.py``) parses with zoo's parser, probes strides and initialises, once for every task. The
classes live at this stable import path because checkpoints pickle them; :data:`MODEL_CLASSES` is derived from
the task table (:mod:`zoo.tasks`).
"""

from __future__ import annotations

import torch
from ultralytics.nn.modules import Detect
from ultralytics.nn.tasks import (
    ClassificationModel,
    DepthModel,
    DetectionModel,
    OBBModel,
    PoseModel,
    RTDETRDetectionModel,
    SegmentationModel,
    SemanticSegmentationModel,
    WorldModel,
    YOLOEModel,
    YOLOESegModel,
)
from ultralytics.utils import LOGGER
from ultralytics.utils.torch_utils import smart_inference_mode

from zoo import tasks, text_embeddings
from zoo.config import ModelConfigError
from zoo.nn.built import ZooBuilt, deepest_stride, model_dict, no_stride

__all__ = [
    "model_dict",
    "ZooDetectionModel",
    "ZooSegmentationModel",
    "ZooSemanticModel",
    "ZooDepthModel",
    "ZooClassificationModel",
    "ZooPoseModel",
    "ZooOBBModel",
    "ZooRTDETRModel",
    "ZooWorldModel",
    "ZooYOLOEModel",
    "ZooYOLOESegModel",
    "MODEL_CLASSES",
]


class _LoadsAnyDetectHead:
    """``load`` for ``Detect``-family models whose head may be zoo's own (not per-level branch lists)."""

    def load(self, weights, verbose: bool = True):
        """Load weights from a model or checkpoint dict.

        Stock ``Detect`` heads on both sides take Ultralytics' own path (it remaps class outputs by
        name). Any other head (e.g. zoo's shared-tower heads, whose branches are not per-level lists)
        goes through zoo's loader, which matches layers by structure and reports every key.
        """
        source = (weights.get("ema") or weights.get("model")) if isinstance(weights, dict) else weights
        if _has_stock_detect_head(self) and _has_stock_detect_head(source):
            return super().load(weights, verbose)
        from zoo.weights.converters import ultralytics_to_model
        from zoo.weights.io import extract_state_dict
        from zoo.weights.report import load_into

        self.load_report = load_into(
            self, extract_state_dict(weights), converter=ultralytics_to_model, source="weights", verbose=verbose
        )
        return self


def _has_stock_detect_head(model) -> bool:
    """True when the model's last layer is a ``Detect`` with Ultralytics' per-level branch lists."""
    layers = getattr(model, "model", None)
    head = layers[-1] if isinstance(layers, torch.nn.Sequential) and len(layers) else None
    return isinstance(head, Detect) and isinstance(getattr(head, "cv2", None), torch.nn.ModuleList)


class ZooDetectionModel(_LoadsAnyDetectHead, ZooBuilt, DetectionModel):
    """A detection model built by zoo's parser (any head subclassing Ultralytics' ``Detect``)."""


class ZooSegmentationModel(_LoadsAnyDetectHead, ZooBuilt, SegmentationModel):
    """An instance segmentation model (``Segment`` heads) built by zoo's parser."""


class ZooOBBModel(_LoadsAnyDetectHead, ZooBuilt, OBBModel):
    """An oriented-box model (``OBB`` heads) built by zoo's parser."""


class ZooPoseModel(_LoadsAnyDetectHead, ZooBuilt, PoseModel):
    """A pose model (``Pose`` heads) built by zoo's parser; the dataset's ``kpt_shape`` overrides the YAML's."""

    def __init__(self, cfg="yolo26n-pose.yaml", ch: int = 3, nc: int | None = None, data_kpt_shape=(None, None),
                 verbose: bool = True):
        d = model_dict(cfg)
        if not any(data_kpt_shape) and not d.get("kpt_shape"):
            raise ModelConfigError(
                f"{d.get('yaml_file', 'model')}: a pose model needs kpt_shape (e.g. [17, 3]) in its YAML or dataset; "
                "is this a pose YAML?"
            )
        if any(data_kpt_shape) and list(data_kpt_shape) != list(d["kpt_shape"]):
            LOGGER.info(f"Overriding model.yaml kpt_shape={d['kpt_shape']} with kpt_shape={data_kpt_shape}")
            d["kpt_shape"] = list(data_kpt_shape)
        ZooBuilt.__init__(self, d, ch=ch, nc=nc, verbose=verbose)
        self.kpt_shape = d["kpt_shape"]


class ZooSemanticModel(ZooBuilt, SemanticSegmentationModel):
    """A semantic segmentation model (heads subclassing ``SemanticSegment``) built by zoo's parser.

    The stride is the deepest reduction any layer applies, which input sizes must respect.
    """

    strides = staticmethod(deepest_stride)


class ZooDepthModel(ZooBuilt, DepthModel):
    """A monocular depth model (``Depth`` heads) built by zoo's parser."""


class ZooClassificationModel(ZooBuilt, ClassificationModel):
    """A classification model built by zoo's parser (no stride; Ultralytics runs no weight init for it)."""

    strides = staticmethod(no_stride)
    init_weights = False


class ZooRTDETRModel(ZooBuilt, RTDETRDetectionModel):
    """An RT-DETR model built by zoo's parser (its decoder is no ``Detect``: stride 32, as Ultralytics')."""


class ZooWorldModel(ZooBuilt, WorldModel):
    """A YOLO-World model built by zoo's parser; text features as Ultralytics draws them, before building."""

    def __init__(self, cfg="yolov8s-worldv2.yaml", ch: int = 3, nc: int | None = None, verbose: bool = True):
        self.txt_feats = torch.randn(1, nc or 80, 512)  # placeholder drawn first: the RNG order of WorldModel
        self.clip_model = None
        ZooBuilt.__init__(self, cfg, ch=ch, nc=nc, verbose=verbose)

    def get_text_pe(self, text, batch=80, cache_clip_model=False):
        """CLIP embeddings of class names: from :mod:`zoo.text_embeddings`' table when one is given (offline)."""
        pe = text_embeddings.lookup(list(text))
        if pe is None:
            return super().get_text_pe(text, batch=batch, cache_clip_model=cache_clip_model)
        return pe.to(next(self.model.parameters()).device)


class ZooYOLOEModel(ZooBuilt, YOLOEModel):
    """A YOLOE detection model built by zoo's parser."""

    def __init__(self, cfg="yoloe-26s.yaml", ch: int = 3, nc: int | None = None, verbose: bool = True):
        ZooBuilt.__init__(self, cfg, ch=ch, nc=nc, verbose=verbose)
        self.text_model = self.yaml.get("text_model", "mobileclip:blt")

    @smart_inference_mode()
    def get_text_pe(self, text, batch=80, cache_clip_model=False, without_reprta=False):
        """Text prompt embeddings: from :mod:`zoo.text_embeddings`' table when one is given (offline).

        The table holds the text encoder's output; the head's auxiliary text module (``reprta``) still applies
        unless ``without_reprta``, as in Ultralytics' own method.
        """
        pe = text_embeddings.lookup(list(text))
        if pe is None:
            return super().get_text_pe(text, batch, cache_clip_model, without_reprta)
        param = next(self.model.parameters())
        pe = pe.to(device=param.device, dtype=param.dtype)
        return pe if without_reprta else self.model[-1].get_tpe(pe)


class ZooYOLOESegModel(ZooYOLOEModel, YOLOESegModel):
    """A YOLOE instance segmentation model built by zoo's parser."""


def _model_classes() -> dict[str, type]:
    """zoo's task row name → model class, from the task table (the classes are all defined above)."""
    return {t.name: globals()[t.model.partition(":")[2]] for t in tasks.TASKS}


MODEL_CLASSES = _model_classes()
