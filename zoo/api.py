"""zoo's public functions: load, list and describe models."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

from zoo import catalog

__all__ = ["load", "list_models", "info"]


def list_models(pattern: str | None = None, task: str | None = None, pretrained: bool | None = None) -> list[str]:
    """Model names in zoo's catalog, from metadata alone (no torch import).

    Args:
        pattern (str | None): fnmatch pattern, e.g. ``"deeplab*"``.
        task (str | None): Keep models whose architecture's row answers to this task (:mod:`zoo.tasks`:
            ``segment`` keeps semantic and instance segmentation models).
        pretrained (bool | None): True keeps models with published weights, False those without.

    Returns:
        (list[str]): Sorted model names.
    """
    if task:
        catalog.normalize_task(task, source="list_models")  # an unknown task raises, naming the close ones
    names = [
        name
        for name, (arch, _) in catalog.model_names().items()
        if (pattern is None or fnmatch.fnmatch(name, pattern)) and (not task or _answers(arch.task, task))
    ]
    if pretrained is not None:
        with_weights = _models_with_weights()
        names = [n for n in names if (n in with_weights) == pretrained]
    return sorted(names)


def _answers(arch_task: str, task: str) -> bool:
    """True when ``task`` resolves to the architecture's own row (``segment`` on a semantic one)."""
    try:
        return catalog.normalize_task(task, arch_task=arch_task) == arch_task
    except ValueError:
        return False


def _models_with_weights() -> set[str]:
    """Models with at least one verified (pinned sha256 and size) manifest entry."""
    from zoo.weights.manifest import load_manifest

    return {entry.name.partition(".")[0] for entry in load_manifest().entries.values() if not entry.unverified}


def load(
    model: str | Path,
    task: str | None = None,
    weights: str | Path | None = None,
    nc: int | None = None,
    *,
    verbose: bool = False,
    trusted: bool = False,
    modules: list[str] | tuple[str, ...] | None = None,
    **weights_options: Any,
):
    """Load a zoo model by name, YAML or checkpoint, optionally with published or local weights.

    Args:
        model (str | Path): ``deeplabv3p-s``, ``path/to/my.yaml``, ``yolo26n.yaml`` or ``path/to/best.pt``.
        task (str | None): ``semantic`` (alias ``segment``), ``detect`` or ``classify``; default the
            architecture's task. A task the architecture does not do raises.
        weights (str | Path | None): ``"DEFAULT"``, a manifest tag, ``<model>.<tag>``, a file or a URL.
        nc (int | None): Number of classes; differing from the weights re-initialises the head (reported).
        verbose (bool): Print the model summary.
        trusted (bool): Unpickle ``.pt`` files fully, which runs any code they carry; only for files whose
            origin you trust. By default checkpoints are read by zoo's restricted unpickler, which accepts
            Ultralytics', zoo's and registered classes only (see :mod:`zoo.weights.checkpoint`).
        modules (list[str] | tuple[str, ...] | None): Modules of your own blocks to import first, so that
            YAMLs and checkpoints naming them resolve (zoo imports no module because a file names it).
        **weights_options: Passed to :func:`zoo.weights.load_weights` (``allow_pickle``...).

    Returns:
        (ZooModel): The model, ready to ``train``, ``val``, ``predict`` and ``export``.
    """
    from zoo.engine.model import ZooModel

    if modules:
        from zoo.registry import allow_modules

        allow_modules(modules)
    zoo_model = ZooModel(model, task=task, verbose=verbose, nc=nc, trusted=trusted)
    if weights is not None:
        from zoo.weights import load_weights

        if trusted:
            weights_options.setdefault("allow_pickle", "trusted")

        name = zoo_model.model.yaml.get("zoo_model")
        zoo_model.load_report = load_weights(zoo_model.model, weights, model_name=name, **weights_options)
        zoo_model.ckpt = zoo_model.ckpt or {"weights": str(weights)}  # train() then starts from these weights
    return zoo_model


def info(name: str) -> dict:
    """Describe a model family: task, scales, parameters and GFLOPs per scale, published weights.

    Args:
        name (str): A model or family name.

    Returns:
        (dict): ``arch``, ``task``, ``description``, ``paper``, ``yaml``, ``scales`` (per model name:
            ``params`` and ``gflops`` at 640 or the architecture's ``imgsz``), ``weights`` (entry names).
    """
    from ultralytics.utils.torch_utils import get_flops

    from zoo.nn.models import MODEL_CLASSES

    arch, _ = catalog.resolve(name)
    scales = {}
    for scale in arch.scales or (None,):
        model_name = arch.model_name(scale)
        m = MODEL_CLASSES[arch.task](model_name, verbose=False)
        imgsz = m.yaml.get("imgsz", 640)
        scales[model_name] = {
            "params": sum(p.numel() for p in m.parameters()),
            "gflops": round(get_flops(m, imgsz), 2),
            "imgsz": imgsz,
        }
    with_weights = _models_with_weights()
    return {
        "arch": arch.arch,
        "task": arch.task,
        "description": arch.description,
        "paper": arch.paper,
        "yaml": str(arch.yaml_file),
        "scales": scales,
        "weights": sorted(n for n in arch.model_names() if n in with_weights),
    }
