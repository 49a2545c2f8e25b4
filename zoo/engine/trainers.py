"""Ultralytics task trainers that build zoo's models.

``get_model`` changes: Ultralytics' trainers construct their own model classes, which build
through Ultralytics' parser; these build zoo's classes from a zoo model name, a YAML path or a
checkpoint's YAML dictionary. ``train`` builds a YAML model before launching DDP workers (they receive
the module, not a YAML naming blocks they never imported). Everything else (data, loss, optimisation,
validation, checkpoints, DDP) is Ultralytics' own; zoo's CPU DDP is :mod:`zoo.engine.cpu_ddp`. The
classes live at this stable import path: DDP pickles them. Which trainer serves which task is the task
table's ``trainer`` field (:mod:`zoo.tasks`).
"""

from __future__ import annotations

import torch
from ultralytics.data.dataset import SemanticDataset
from ultralytics.models.rtdetr.train import RTDETRTrainer
from ultralytics.models.yolo.classify import ClassificationTrainer
from ultralytics.models.yolo.depth import DepthTrainer
from ultralytics.models.yolo.detect import DetectionTrainer
from ultralytics.models.yolo.obb import OBBTrainer
from ultralytics.models.yolo.pose import PoseTrainer
from ultralytics.models.yolo.segment import SegmentationTrainer
from ultralytics.models.yolo.semantic import SemanticSegmentationTrainer
from ultralytics.models.yolo.world.train import WorldTrainer, on_pretrain_routine_end
from ultralytics.models.yolo.yoloe import YOLOESegTrainer, YOLOETrainer
from ultralytics.utils import RANK

from zoo.engine.dataset_checks import check_semantic_masks
from zoo.nn import models

__all__ = [
    "WorkerImportError",
    "ZooDetectionTrainer",
    "ZooSegmentationTrainer",
    "ZooSemanticTrainer",
    "ZooDepthTrainer",
    "ZooClassificationTrainer",
    "ZooPoseTrainer",
    "ZooOBBTrainer",
    "ZooRTDETRTrainer",
    "ZooWorldTrainer",
    "ZooYOLOETrainer",
    "ZooYOLOESegTrainer",
]


class WorkerImportError(TypeError):
    """A model class that DDP worker processes cannot import: it is defined in the script that launches them."""


def _check_workers_can_import(model: torch.nn.Module) -> None:
    """Refuse, before any worker starts, a model with classes from ``__main__``.

    Workers run Ultralytics' generated file as their ``__main__``, not the user's script: cloudpickle would send such
    a class by value and training would run, but rank 0 could not pickle it into ``last.pt`` after the first epoch.

    Raises:
        WorkerImportError: Naming the classes and where to move them.
    """
    names = sorted({type(m).__qualname__ for m in model.modules() if type(m).__module__ == "__main__"})
    if names:
        raise WorkerImportError(
            f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} defined in the script you ran (__main__), which "
            "DDP worker processes do not run, and checkpoints could not name; move them into a module (e.g. "
            "my_blocks.py next to the script, or a package on PYTHONPATH), import it from the script and train again"
        )


class _BuildsZooModel:
    """``get_model``: build ``model_class`` for the dataset, remap class names, load ``weights`` if given.

    Attributes:
        model_class (type): zoo's model class.
        remap_names (bool): Call Ultralytics' ``set_model_names_for_load`` (the trainers that do so call it).
    """

    model_class: type
    remap_names = True

    def model_kwargs(self) -> dict:
        """Constructor arguments from the dataset (the Ultralytics trainer's own ``get_model`` passes these)."""
        return {"nc": self.data["nc"], "ch": self.data["channels"]}

    def get_model(self, cfg=None, weights: torch.nn.Module | None = None, verbose: bool = True):
        """Build the model for the dataset's classes and channels; load ``weights`` if given."""
        model = self.model_class(cfg, **self.model_kwargs(), verbose=verbose and RANK == -1)
        if self.remap_names:
            model = self.set_model_names_for_load(model)
        if weights:
            model.load(weights)
        return model

    def train(self):
        """Ultralytics' ``train``; a process that launches DDP workers first builds a model given as a YAML.

        The workers get the model the launching process pickles: a YAML path they would rebuild from zoo's registry,
        where the user's blocks exist only if their module was imported there; a built module carries its classes
        by import path, and unpickling it imports the user's module (on the ``sys.path`` the launcher copies).
        """
        if self.ddp and not self.resume and not isinstance(self.model, torch.nn.Module):
            self.setup_model()
        if self.ddp and isinstance(self.model, torch.nn.Module):
            _check_workers_can_import(self.model)
        return super().train()


class ZooDetectionTrainer(_BuildsZooModel, DetectionTrainer):
    """Ultralytics' detection trainer on zoo's models."""

    model_class = models.ZooDetectionModel


class ZooSegmentationTrainer(_BuildsZooModel, SegmentationTrainer):
    """Ultralytics' instance segmentation trainer on zoo's models."""

    model_class = models.ZooSegmentationModel


class ZooOBBTrainer(_BuildsZooModel, OBBTrainer):
    """Ultralytics' oriented-box trainer on zoo's models."""

    model_class = models.ZooOBBModel


class ZooPoseTrainer(_BuildsZooModel, PoseTrainer):
    """Ultralytics' pose trainer on zoo's models (the dataset's ``kpt_shape`` reaches the model)."""

    model_class = models.ZooPoseModel

    def model_kwargs(self) -> dict:
        """Classes, channels and the dataset's keypoint shape."""
        return {**super().model_kwargs(), "data_kpt_shape": self.data["kpt_shape"]}


class ZooDepthTrainer(_BuildsZooModel, DepthTrainer):
    """Ultralytics' depth trainer on zoo's models."""

    model_class = models.ZooDepthModel
    remap_names = False  # DepthTrainer.get_model does not remap names


class ZooRTDETRTrainer(_BuildsZooModel, RTDETRTrainer):
    """Ultralytics' RT-DETR trainer on zoo's models."""

    model_class = models.ZooRTDETRModel


class ZooSemanticTrainer(_BuildsZooModel, SemanticSegmentationTrainer):
    """Ultralytics' semantic segmentation trainer on zoo's models; refuses datasets with broken masks."""

    model_class = models.ZooSemanticModel

    def build_dataset(self, img_path: str, mode: str = "train", batch: int | None = None):
        """Ultralytics' semantic dataset, checked: images dropped for bad masks raise :class:`DatasetError`."""
        dataset = super().build_dataset(img_path, mode=mode, batch=batch)
        if isinstance(dataset, SemanticDataset):
            check_semantic_masks(dataset)
        return dataset


class _OpenVocabulary(_BuildsZooModel):
    """World and YOLOE trainers: ``nc`` is the text samples per image, capped at 80 (Ultralytics' rule)."""

    remap_names = False

    def model_kwargs(self) -> dict:
        """Channels and the capped ``nc``."""
        return {"nc": min(self.data["nc"], 80), "ch": self.data["channels"]}

    def get_model(self, cfg=None, weights: torch.nn.Module | None = None, verbose: bool = True):
        """Ultralytics passes the YAML path, not a checkpoint's dict, to these models."""
        return super().get_model(cfg["yaml_file"] if isinstance(cfg, dict) and "yaml_file" in cfg else cfg,
                                 weights, verbose)


class ZooWorldTrainer(_OpenVocabulary, WorldTrainer):
    """Ultralytics' YOLO-World trainer on zoo's models (training embeds class names with CLIP: online)."""

    model_class = models.ZooWorldModel

    def get_model(self, cfg=None, weights: torch.nn.Module | None = None, verbose: bool = True):
        """zoo's World model, with the text-embedding callback Ultralytics' ``get_model`` adds."""
        model = super().get_model(cfg, weights, verbose)
        if on_pretrain_routine_end not in self.callbacks["on_pretrain_routine_end"]:
            self.add_callback("on_pretrain_routine_end", on_pretrain_routine_end)
        return model


class ZooYOLOETrainer(_OpenVocabulary, YOLOETrainer):
    """Ultralytics' YOLOE detection trainer on zoo's models (text prompts come from MobileCLIP: online)."""

    model_class = models.ZooYOLOEModel


class ZooYOLOESegTrainer(_OpenVocabulary, YOLOESegTrainer):
    """Ultralytics' YOLOE segmentation trainer on zoo's models."""

    model_class = models.ZooYOLOESegModel


class ZooClassificationTrainer(_BuildsZooModel, ClassificationTrainer):
    """Ultralytics' classification trainer on zoo's models."""

    model_class = models.ZooClassificationModel
    remap_names = False

    def get_model(self, cfg=None, weights: torch.nn.Module | None = None, verbose: bool = True):
        """Build the model for the dataset's classes and channels; load ``weights`` if given."""
        model = super().get_model(cfg, weights, verbose)
        for m in model.modules():  # the classify trainer's own preparation of a fresh model
            if self.args.pretrained is False and not self.resume and hasattr(m, "reset_parameters"):
                m.reset_parameters()
            if isinstance(m, torch.nn.Dropout) and self.args.dropout:
                m.p = self.args.dropout
        for p in model.parameters():
            p.requires_grad = True
        return model
