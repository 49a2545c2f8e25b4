"""Ultralytics task trainers that build zoo's models.

Only ``get_model`` changes: Ultralytics' trainers construct their own model classes, which build
through Ultralytics' parser; these build zoo's classes from a zoo model name, a YAML path or a
checkpoint's YAML dictionary. Everything else (data, loss, optimisation, validation, checkpoints,
DDP) is Ultralytics' own. The classes live at this stable import path: DDP pickles them.
"""

from __future__ import annotations

import torch
from ultralytics.data.dataset import SemanticDataset
from ultralytics.models.yolo.classify import ClassificationTrainer
from ultralytics.models.yolo.detect import DetectionTrainer
from ultralytics.models.yolo.semantic import SemanticSegmentationTrainer
from ultralytics.utils import RANK

from zoo.engine.dataset_checks import check_semantic_masks
from zoo.nn.models import ZooClassificationModel, ZooDetectionModel, ZooSemanticModel

__all__ = ["ZooSemanticTrainer", "ZooDetectionTrainer", "ZooClassificationTrainer"]


class _BuildsZooModel:
    """``get_model`` for detection-style trainers: build ``model_class`` and remap class names before loading."""

    model_class: type

    def get_model(self, cfg=None, weights: torch.nn.Module | None = None, verbose: bool = True):
        """Build the model for the dataset's classes and channels; load ``weights`` if given."""
        model = self.model_class(cfg, nc=self.data["nc"], ch=self.data["channels"], verbose=verbose and RANK == -1)
        model = self.set_model_names_for_load(model)
        if weights:
            model.load(weights)
        return model


class ZooSemanticTrainer(_BuildsZooModel, SemanticSegmentationTrainer):
    """Ultralytics' semantic segmentation trainer on zoo's models; refuses datasets with broken masks."""

    model_class = ZooSemanticModel

    def build_dataset(self, img_path: str, mode: str = "train", batch: int | None = None):
        """Ultralytics' semantic dataset, checked: images dropped for bad masks raise :class:`DatasetError`."""
        dataset = super().build_dataset(img_path, mode=mode, batch=batch)
        if isinstance(dataset, SemanticDataset):
            check_semantic_masks(dataset)
        return dataset


class ZooDetectionTrainer(_BuildsZooModel, DetectionTrainer):
    """Ultralytics' detection trainer on zoo's models."""

    model_class = ZooDetectionModel


class ZooClassificationTrainer(ClassificationTrainer):
    """Ultralytics' classification trainer on zoo's models."""

    def get_model(self, cfg=None, weights: torch.nn.Module | None = None, verbose: bool = True):
        """Build the model for the dataset's classes and channels; load ``weights`` if given."""
        model = ZooClassificationModel(cfg, nc=self.data["nc"], ch=self.data["channels"], verbose=verbose and RANK == -1)
        if weights:
            model.load(weights)
        for m in model.modules():  # the classify trainer's own preparation of a fresh model
            if self.args.pretrained is False and not self.resume and hasattr(m, "reset_parameters"):
                m.reset_parameters()
            if isinstance(m, torch.nn.Dropout) and self.args.dropout:
                m.p = self.args.dropout
        for p in model.parameters():
            p.requires_grad = True
        return model
