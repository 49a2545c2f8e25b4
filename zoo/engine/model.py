"""``ZooModel``: Ultralytics' ``Model`` front end for zoo's architectures.

``train``, ``val``, ``predict``, ``export`` and ``benchmark`` are Ultralytics' own; zoo supplies the
``task_map`` (zoo's model classes and trainers, Ultralytics' validators and predictors) and resolves
zoo model names. Training always goes through zoo's trainers, also for a list of datasets, where
Ultralytics would otherwise relaunch its own command line and lose zoo's classes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from ultralytics.cfg import DEFAULT_CFG_DICT
from ultralytics.engine.model import Model
from ultralytics.utils import RANK

from zoo import tasks
from zoo.engine.checkpoints import load_checkpoint
from zoo.nn.models import model_dict
from zoo.weights.checkpoint import read_checkpoint

__all__ = ["ZooModel", "TASK_MAP"]

# zoo's row name → Ultralytics' task_map entry (model, trainer, validator, predictor), from the task table. The
# existing rows use zoo.engine.accelerate's predictors/validators (bf16 autocast on CPU for half=True).
TASK_MAP = {t.name: t.engine() for t in tasks.TASKS}

class ZooModel(Model):
    """A zoo architecture behind Ultralytics' ``Model`` interface.

    Args:
        model (str | Path): A zoo model name (``deeplabv3p-s``), a model YAML, or a ``.pt`` checkpoint.
        task (str | None): A task or family of :mod:`zoo.tasks` (``detect``, ``segment``, ``pose``,
            ``rtdetr``...), resolved against the architecture's own row as :mod:`zoo.tasks` documents
            (``segment`` is semantic for a semantic architecture); default the architecture's own.
        verbose (bool): Print the model summary.
        nc (int | None): Number of classes for a newly built model (default: the YAML's).
        trusted (bool): Unpickle ``.pt`` files fully (``weights_only=False``, which runs any code they carry).
            By default they are read by zoo's restricted unpickler (:mod:`zoo.weights.checkpoint`).

    Examples:
        >>> model = ZooModel("deeplabv3p-s", task="segment")
        >>> model.train(data="synthetic/data.yaml", epochs=1)
    """

    def __init__(
        self,
        model: str | Path = "deeplabv3p-s",
        task: str | None = None,
        verbose: bool = False,
        nc: int | None = None,
        *,
        trusted: bool = False,
    ):
        self._nc = nc
        self._trusted = trusted
        self._row: tasks.Task | None = None  # this model's row of the task table, set when built or loaded
        super().__init__(model=model, task=task, verbose=verbose)

    @property
    def task_map(self) -> dict:
        """Ultralytics' task → zoo's model class and trainer with the validator and predictor.

        Keyed by Ultralytics' task, as the engine looks it up (``self.task``); a family's row (RT-DETR, World,
        YOLOE) takes its Ultralytics task's key for a model of that family.
        """
        mapping = {t.ultralytics: TASK_MAP[t.name] for t in tasks.TASKS if t.name == t.ultralytics}
        if self._row is not None:
            mapping[self._row.ultralytics] = TASK_MAP[self._row.name]
        return mapping

    def _set_row(self, row: tasks.Task) -> None:
        """Take a task-table row: ``self.task`` is its Ultralytics task (what the engine and exporter read)."""
        self._row = row
        self.task = row.ultralytics

    def _new(self, cfg: str | dict, task: str | None = None, verbose: bool = False) -> None:
        """Build a new model from a zoo model name, YAML path or dictionary."""
        d = model_dict(cfg)
        source = d.get("zoo_model") or d.get("yaml_file") or "model"
        self._set_row(tasks.row_for(task, d, source=source))  # a given task= wins over guessing (zoo.tasks)
        self.model = TASK_MAP[self._row.name]["model"](d, nc=self._nc, verbose=verbose and RANK == -1)
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
        if str(weights).lower().endswith(".pt"):
            self._load_checkpoint(str(weights), task)
            return
        super()._load(weights, task=task)  # exported formats: Ultralytics' AutoBackend reads them when run
        self._set_row(tasks.resolve(task, arch=tasks.resolve(self.task).name, source=str(weights)))

    def _load_checkpoint(self, weights: str, task: str | None) -> None:
        """Read a ``.pt`` checkpoint with zoo's restricted unpickler (``trusted`` lifts it)."""
        if weights.lower().startswith(("http://", "https://")):
            raise ValueError(
                f"{weights}: zoo does not download checkpoints given as model=; publish the weights in a manifest "
                "(zoo.load(name, weights=...), verified by sha256) or download the file yourself"
            )
        self.model, self.ckpt = load_checkpoint(weights, trusted=self._trusted)
        own = tasks.for_model(self.model) or tasks.resolve(self.model.task, source=weights)
        self._set_row(tasks.resolve(task, arch=own.name, source=weights))
        self.overrides = self.model.args = self._reset_ckpt_args(self.model.args)
        self.ckpt_path = self.model.pt_path
        self.overrides["model"] = weights
        self.overrides["task"] = self.task
        self.model_name = weights

    def load(self, weights: str | Path | torch.nn.Module = "yolo26n.pt") -> "ZooModel":
        """Load a checkpoint's weights into this model (Ultralytics' ``load``, through zoo's restricted unpickler)."""
        if isinstance(weights, (str, Path)):
            self._check_is_pytorch_model()
            module, ckpt = load_checkpoint(weights, trusted=self._trusted)
            self.overrides.pop("pretrained", None)
            self.model.load(module)
            self.ckpt, self.ckpt_path = ckpt, str(weights)
            self.predictor = None
            return self
        return super().load(weights)

    def _load_published(self, path: Path, task: str | None) -> None:
        """Rebuild a model from the YAML in a zoo-published safetensors file and load its tensors."""
        from zoo.weights import load_weights
        from zoo.weights.published import read_published

        published = read_published(path)  # typed errors for a file that is not, or not validly, zoo-published
        self._new(published.yaml, task=task)
        if published.names:
            self.model.names = dict(enumerate(published.names))
        self.load_report = load_weights(self.model, path, model_name=published.yaml.get("zoo_model"))
        self.ckpt = {"weights": str(path)}  # train() then starts from these weights
        self.ckpt_path = str(path)

    def train(self, trainer=None, *, ddp: int = 1, **kwargs: Any):
        """Ultralytics' training, always with zoo's trainer (also for ``data=[...]``).

        A ``pretrained=`` or ``resume=`` checkpoint is read once by zoo's restricted unpickler first, so a file
        that carries code is refused before Ultralytics' trainer opens it.

        Args:
            trainer (type | None): Trainer class; default the task's zoo trainer.
            ddp (int): Local CPU processes to train in (torch.distributed, gloo; ``device`` must be ``cpu`` or
                unset). ``batch`` is the total over the processes. Several GPUs are Ultralytics' own
                ``device=0,1`` instead (:mod:`zoo.engine.cpu_ddp`).
            **kwargs (Any): Ultralytics' training arguments.

        Raises:
            CpuDDPError: For a ``ddp`` that is not an integer >= 1, or ``ddp`` > 1 with another device or with a
                list of datasets.
        """
        from zoo.engine.cpu_ddp import CpuDDPError, check_ddp, cpu_ddp_trainer

        ddp, device = check_ddp(ddp, kwargs.get("device"))
        if ddp > 1 and isinstance(kwargs.get("data"), (list, tuple)):
            raise CpuDDPError(f"ddp={ddp} trains one dataset; call train() once per dataset of {kwargs['data']}")
        for key in ("pretrained", "resume"):
            value = kwargs.get(key)
            if isinstance(value, (str, Path)) and str(value).lower().endswith(".pt"):
                read_checkpoint(value, trusted=self._trusted)
        if kwargs.get("resume") is True and self.ckpt_path and str(self.ckpt_path).lower().endswith(".pt"):
            read_checkpoint(self.ckpt_path, trusted=self._trusted)
        trainer = trainer or self._smart_load("trainer")
        if ddp > 1:
            trainer, kwargs["device"] = cpu_ddp_trainer(trainer, ddp), device
        threads = torch.get_num_threads()
        try:
            return super().train(trainer=trainer, **kwargs)
        finally:
            # Ultralytics' trainer sets min(8, CPUs - 1) threads for CPU training and leaves them set; the caller's
            # next predict or val runs with the caller's count (zoo's predictors keep whatever the process has)
            torch.set_num_threads(threads)

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

