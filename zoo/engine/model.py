"""``ZooModel``: Ultralytics' ``Model`` front end for zoo's architectures.

``train``, ``val``, ``predict``, ``export`` and ``benchmark`` are Ultralytics' own; zoo supplies the
``task_map`` (zoo's model classes and trainers, Ultralytics' validators and predictors) and resolves
zoo model names. Training always goes through zoo's trainers, also for a list of datasets, where
Ultralytics would otherwise relaunch its own command line and lose zoo's classes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ultralytics.cfg import DEFAULT_CFG_DICT
from ultralytics.engine.model import Model
from ultralytics.models import yolo
from ultralytics.nn.tasks import guess_model_task
from ultralytics.utils import RANK, SAFE_LOAD

from zoo import catalog
from zoo.engine.trainers import ZooClassificationTrainer, ZooDetectionTrainer, ZooSemanticTrainer
from zoo.nn.models import MODEL_CLASSES, model_dict

__all__ = ["ZooModel", "TASK_MAP"]

TASK_MAP = {
    "semantic": {
        "model": MODEL_CLASSES["semantic"],
        "trainer": ZooSemanticTrainer,
        "validator": yolo.semantic.SemanticSegmentationValidator,
        "predictor": yolo.semantic.SemanticSegmentationPredictor,
    },
    "detect": {
        "model": MODEL_CLASSES["detect"],
        "trainer": ZooDetectionTrainer,
        "validator": yolo.detect.DetectionValidator,
        "predictor": yolo.detect.DetectionPredictor,
    },
    "classify": {
        "model": MODEL_CLASSES["classify"],
        "trainer": ZooClassificationTrainer,
        "validator": yolo.classify.ClassificationValidator,
        "predictor": yolo.classify.ClassificationPredictor,
    },
}


class ZooModel(Model):
    """A zoo architecture behind Ultralytics' ``Model`` interface.

    Args:
        model (str | Path): A zoo model name (``deeplabv3p-s``), a model YAML, or a ``.pt`` checkpoint.
        task (str | None): ``semantic`` (or ``segment``), ``detect`` or ``classify``; default the
            architecture's own task.
        verbose (bool): Print the model summary.
        nc (int | None): Number of classes for a newly built model (default: the YAML's).

    Examples:
        >>> model = ZooModel("deeplabv3p-s", task="segment")
        >>> model.train(data="synthetic/data.yaml", epochs=1)
    """

    def __init__(
        self, model: str | Path = "deeplabv3p-s", task: str | None = None, verbose: bool = False, nc: int | None = None
    ):
        self._nc = nc
        super().__init__(model=model, task=task, verbose=verbose)

    @property
    def task_map(self) -> dict:
        """zoo's model class and trainer with Ultralytics' validator and predictor, per task."""
        return TASK_MAP

    def _new(self, cfg: str | dict, task: str | None = None, verbose: bool = False) -> None:
        """Build a new model from a zoo model name, YAML path or dictionary."""
        d = model_dict(cfg)
        source = d.get("zoo_model") or d.get("yaml_file") or "model"
        self.task = catalog.normalize_task(task, arch_task=d.get("task") or _stock_task(d, source), source=source)
        self.model = TASK_MAP[self.task]["model"](d, nc=self._nc, verbose=verbose and RANK == -1)
        self.cfg = d.get("zoo_model") or str(cfg)
        self.overrides["model"] = self.cfg
        self.overrides["task"] = self.task
        self.model.args = {**DEFAULT_CFG_DICT, **self.overrides}  # allows export before training
        self.model.task = self.task
        self.model_name = self.cfg

    def _load(self, weights: str, task: str | None = None) -> None:
        """Load a ``.pt`` checkpoint or zoo-published ``.safetensors``, or build a zoo model name."""
        if not Path(weights).suffix and not Path(weights).exists():
            self._new(weights, task=task)
            return
        if str(weights).endswith(".safetensors"):
            self._load_published(Path(weights), task)
            return
        if SAFE_LOAD and str(weights).endswith(".pt"):
            from zoo.engine.safe_load import allow_zoo_globals

            allow_zoo_globals(weights)
        super()._load(weights, task=task)
        source = str(weights)
        self.task = catalog.normalize_task(task or self.task, arch_task=self.task, source=source)

    def _load_published(self, path: Path, task: str | None) -> None:
        """Rebuild a model from the YAML in a zoo-published safetensors file and load its tensors."""
        from zoo.weights import load_weights
        from zoo.weights.io import read_safetensors_metadata

        meta = read_safetensors_metadata(path)
        if meta.get("layout") != "zoo" or "yaml" not in meta:
            raise ValueError(
                f"{path}: not a zoo-published file (no zoo layout and YAML in its metadata); load it into a model "
                "instead: zoo.load('<model name>', weights=path)"
            )
        d = json.loads(meta["yaml"])
        self._new(d, task=task)
        names = json.loads(meta.get("names") or "null")
        if names:
            self.model.names = dict(enumerate(names))
        self.load_report = load_weights(self.model, path, model_name=d.get("zoo_model"))
        self.ckpt = {"weights": str(path)}  # train() then starts from these weights
        self.ckpt_path = str(path)

    def train(self, trainer=None, **kwargs: Any):
        """Ultralytics' training, always with zoo's trainer (also for ``data=[...]``)."""
        return super().train(trainer=trainer or self._smart_load("trainer"), **kwargs)

    def tune(self, iterations: int = 10, use_ray: bool = False, **kwargs: Any) -> Path:
        """Evolve hyperparameters, training every candidate with zoo's trainer in this process.

        Args:
            iterations (int): Number of candidates to train.
            use_ray (bool): Not supported: Ray Tune rebuilds models with Ultralytics' classes.
            **kwargs (Any): Training arguments (``data``, ``epochs``...) and Tuner options (``space``).

        Returns:
            (Path): The tuning directory with ``tune_results.ndjson`` and ``best_hyperparameters.yaml``.
        """
        from zoo.engine.tune import ZooTuner

        if use_ray:
            raise NotImplementedError("zoo's tune() runs Ultralytics' Tuner in-process; use_ray=True is not supported")
        self._check_is_pytorch_model()
        kwargs.setdefault("optimizer", "AdamW")  # Ultralytics' tune() default: lr0 then means what the space says
        args = {**self.overrides, **kwargs, "mode": "train"}
        tuner = ZooTuner(args, self._smart_load("trainer"), model=self.model, _callbacks=self.callbacks)
        return tuner(iterations=iterations)


def _stock_task(d: dict, source: str) -> str:
    """The task of a YAML without zoo metadata (a user's or a stock Ultralytics YAML)."""
    task = guess_model_task(d)
    if task not in TASK_MAP:
        raise ValueError(
            f"{source}: Ultralytics task {task!r} is not one of zoo's tasks ({', '.join(TASK_MAP)}); "
            "pass task= explicitly or use Ultralytics' YOLO class for it"
        )
    return task
