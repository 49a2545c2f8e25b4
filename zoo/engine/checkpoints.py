"""Turn a ``.pt`` checkpoint into a ready model, reading it with zoo's restricted unpickler.

Ultralytics' own loader unpickles with ``weights_only=False`` (a pickled ``__reduce__`` runs) and
pip-installs modules a file names; zoo's front end reads every checkpoint a user hands it through
:func:`zoo.weights.checkpoint.read_checkpoint` instead, then prepares the model the way Ultralytics
does (float32, training arguments attached, task, eval mode).
"""

from __future__ import annotations

from pathlib import Path

import torch
from ultralytics.cfg import DEFAULT_CFG_DICT
from ultralytics.nn.tasks import guess_model_task

from zoo.weights.checkpoint import read_checkpoint
from zoo.weights.errors import WeightsFormatError

__all__ = ["load_checkpoint"]


def load_checkpoint(path: str | Path, *, trusted: bool = False) -> tuple[torch.nn.Module, dict]:
    """Read an Ultralytics-format checkpoint (``best.pt``, ``yolo26n.pt``) into an eval-mode float32 model.

    Args:
        path (str | Path): Local ``.pt`` file.
        trusted (bool): Unpickle fully; only for files whose origin you trust.

    Returns:
        (tuple[torch.nn.Module, dict]): The model (``args``, ``pt_path`` and ``task`` set) and the checkpoint.

    Raises:
        FileNotFoundError: No such file (nothing is downloaded).
        WeightsFormatError: Not a model checkpoint (e.g. a bare state dict).
        UnsafeCheckpointError, MissingModuleError: See :func:`zoo.weights.checkpoint.read_checkpoint`.
    """
    ckpt = read_checkpoint(path, trusted=trusted)
    model = (ckpt.get("ema") or ckpt.get("model")) if isinstance(ckpt, dict) else None
    if not isinstance(model, torch.nn.Module):
        raise WeightsFormatError(
            f"{path}: holds no model (an Ultralytics checkpoint has one under 'model' or 'ema'); if it holds "
            "weights only, load them into an architecture: zoo.load('<model name>', weights=path)"
        )
    model = model.float()
    model.args = {**DEFAULT_CFG_DICT, **(ckpt.get("train_args") or {})}
    model.pt_path = str(path)
    model.task = getattr(model, "task", None) or guess_model_task(model)
    if not hasattr(model, "stride"):
        model.stride = torch.tensor([32.0])
    model.eval()
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = True
    return model, ckpt
