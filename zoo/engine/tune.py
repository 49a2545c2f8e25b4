"""Hyperparameter evolution on zoo's trainers.

Ultralytics' ``Tuner`` trains each candidate through ``MultiTrainer(None, ...)``, which relaunches
Ultralytics' own command line in a subprocess: that process rebuilds the model with Ultralytics'
classes and loses zoo's. ``ZooTuner`` keeps the Tuner's search space, mutation and result records
and runs each candidate in-process with zoo's trainer for the task.
"""

from __future__ import annotations

import time
from pathlib import Path

from ultralytics.cfg import CFG_INT_KEYS
from ultralytics.engine.trainer import MultiTrainer
from ultralytics.engine.tuner import Tuner
from ultralytics.utils import LOGGER, YAML

__all__ = ["ZooTuner"]


class ZooTuner(Tuner):
    """Ultralytics' Tuner with every iteration trained in-process by ``trainer_class``.

    Args:
        args (dict): Tuning and training arguments (``data``, ``epochs``, ``space``...).
        trainer_class (type): zoo's trainer for the model's task.
        model (torch.nn.Module): The model each iteration fine-tunes from.
        _callbacks (dict | None): Callbacks forwarded to the trainers.
    """

    def __init__(self, args: dict, trainer_class: type, *, model=None, _callbacks: dict | None = None):
        super().__init__(args, _callbacks, model=model)
        self.trainer_class = trainer_class

    def __call__(self, iterations: int = 10, cleanup: bool = True) -> Path:
        """Run ``iterations`` mutate-train-record rounds; returns the tuning directory.

        Results accumulate in Ultralytics' tune file (``tune_results.ndjson``), so an interrupted run
        resumes, and the best hyperparameters go to ``best_hyperparameters.yaml``.
        """
        t0 = time.time()
        self.tune_dir.mkdir(parents=True, exist_ok=True)
        start = len(self._load_local_results()) if self.tune_file.exists() else 0
        for i in range(start, iterations):
            hyp = self._mutate()
            LOGGER.info(f"{self.prefix}Starting iteration {i + 1}/{iterations} with hyperparameters: {hyp}")
            args = {**vars(self.args), **hyp}
            data = args.pop("data")
            data = list(data) if isinstance(data, (list, tuple)) else [data]
            trainer = MultiTrainer(self.trainer_class, {**args, "data": data}, self.model, _callbacks=self.callbacks)
            raw = trainer.train()
            failed = [d for d, m in raw.items() if not m]
            per_dataset = {d: m or {"fitness": 0.0} for d, m in raw.items()}
            fitness = sum(m.get("fitness") or 0.0 for m in per_dataset.values()) / len(data)
            save_dirs = {d: str(trainer.save_dir / d) for d in per_dataset}
            self._save_local_result(self._result_record(i + 1, fitness, hyp, per_dataset, save_dirs, failed))
        results = self._load_local_results()
        table = self._local_results_to_array(results)
        best = self._best_result_index(results, table[:, 0])
        best_hyp = {k: int(v) if k in CFG_INT_KEYS else float(v) for k, v in zip(self.space, table[best, 1:])}
        YAML.save(self.tune_dir / "best_hyperparameters.yaml", data=best_hyp)
        LOGGER.info(
            f"{self.prefix}{iterations} iterations in {time.time() - t0:.1f}s; best fitness {table[best, 0]:.5f} at "
            f"iteration {best + 1}; results in {self.tune_dir}"
        )
        return self.tune_dir
