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
    """Models served by at least one verified (pinned sha256) manifest entry, shared entries included."""
    from zoo.weights.manifest import load_manifest

    return load_manifest().models_with_weights(verified=True)


def weights_model_name(model_yaml: dict) -> str | None:
    """The name a model's weights are filed under in the manifest.

    A catalog model's own name (``deeplabv3p-s``); for an Ultralytics stock YAML given by name, the name with its
    scale (``yolo26n-sem.yaml`` -> ``yolo26n-sem``), as Ultralytics names its published files. A YAML file of the
    user's own has none: its weights are passed as ``<model>.<tag>``, a file or a URL.

    Args:
        model_yaml (dict): The built model's dictionary (``model.yaml``).

    Returns:
        (str | None): The model name, or None.
    """
    from zoo.config import find_stock_yaml

    if model_yaml.get("zoo_model"):
        return model_yaml["zoo_model"]
    yaml_file = model_yaml.get("yaml_file")
    if not yaml_file or Path(yaml_file).name != str(yaml_file) or Path(yaml_file).exists():
        return None  # a path, or a file on disk: not Ultralytics' stock YAML, whatever its name says
    return Path(yaml_file).stem if find_stock_yaml(yaml_file)[0] is not None else None


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
            Default: the ``nc`` of a manifest entry that covers the whole model (a published fine-tune loads with
            its own classes), else the architecture's. Such an entry's ``input_size`` also becomes the default
            ``imgsz`` of predict, val and train (an ``imgsz=`` you pass wins).
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

        name = weights_model_name(zoo_model.model.yaml)
        entry = _whole_model_entry(weights, name, weights_options.get("manifest"))
        entry_nc = entry.nc if entry is not None and nc is None and isinstance(entry.nc, int) else None
        if entry_nc is not None and entry_nc != zoo_model.model.yaml.get("nc"):
            # weights for the whole model define its classes, as torchvision's weights= sets num_classes
            zoo_model = ZooModel(model, task=task, verbose=verbose, nc=entry_nc, trusted=trusted)
        if entry is not None and entry.meta.get("input_size"):
            # the size the weights were trained and evaluated at, until the caller passes imgsz= (timm's data config)
            zoo_model.overrides.setdefault("imgsz", int(max(entry.meta["input_size"][-2:])))
        zoo_model.load_report = load_weights(zoo_model.model, weights, model_name=name, **weights_options)
        zoo_model.ckpt = zoo_model.ckpt or {"weights": str(weights)}  # train() then starts from these weights
    return zoo_model


def info(name: str) -> dict:
    """Describe a model family: task, scales, parameters and GFLOPs per scale, published weights.

    Args:
        name (str): A model or family name.

    Returns:
        (dict): ``arch``, ``task``, ``description``, ``paper``, ``yaml``, ``scales`` (per model name:
            ``params`` and ``gflops`` at 640 or the architecture's ``imgsz``), ``weights`` (models with verified
            weights), ``coverage`` (per model name: ``full``, ``encoder``, ``backbone``, ``backbone+neck`` or
            ``-``) and ``entries`` (per model name: its manifest entries, see :func:`weights_entries`).
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
    names = arch.model_names()
    return {
        "arch": arch.arch,
        "task": arch.task,
        "description": arch.description,
        "paper": arch.paper,
        "yaml": str(arch.yaml_file),
        "scales": scales,
        "weights": sorted(n for n in names if n in with_weights),
        "coverage": weights_coverage(names),
        "entries": {n: weights_entries(n) for n in names},
    }


#: How listings name a coverage (the manifest's ``model`` is the whole network).
COVERAGE_LABELS = {"model": "full", "encoder": "encoder", "backbone": "backbone", "backbone+neck": "backbone+neck"}


def weights_coverage(names: list[str]) -> dict[str, str]:
    """What each model's published weights cover, from the manifest alone (no torch import).

    Args:
        names (list[str]): Model names.

    Returns:
        (dict[str, str]): ``full``, ``encoder``, ``backbone``, ``backbone+neck``, or ``-`` without verified weights.
    """
    from zoo.weights.manifest import load_manifest

    manifest = load_manifest()
    return {n: COVERAGE_LABELS.get(manifest.coverage(n), "-") for n in names}


def weights_entries(name: str) -> list[dict]:
    """The manifest entries that serve one model, ``DEFAULT`` first, described for listings.

    Args:
        name (str): A model name.

    Returns:
        (list[dict]): Per entry: ``name`` (as this model answers to it), ``default``, ``coverage`` (in this model),
            ``dataset``, ``metrics``, ``license``, ``size`` (bytes or None when unknown), ``source``, ``verified``.
    """
    from zoo.weights.manifest import load_manifest

    return [
        {
            "name": f"{name}.{e.tag}",
            "default": name in e.default_models,
            "coverage": COVERAGE_LABELS[e.coverage_for(name)],
            "dataset": e.meta.get("dataset", ""),
            "metrics": dict(e.meta.get("metrics", {})),
            "license": e.license,
            "size": e.size,
            "source": e.source.raw,
            "verified": not e.unverified,
        }
        for e in load_manifest().for_model(name)
    ]


def _whole_model_entry(weights: Any, model_name: str | None, manifest: Any = None) -> Any:
    """The manifest entry ``weights`` names when it covers the whole model, or None (files, URLs, partial entries).

    Only names are resolved here (nothing is downloaded or read); a name that does not resolve is left for
    :func:`zoo.weights.load_weights` to report.
    """
    from zoo.weights.errors import WeightsError
    from zoo.weights.manifest import load_manifest
    from zoo.weights.refs import resolve_ref

    try:
        ref = resolve_ref(weights, model_name=model_name, manifest=manifest or load_manifest())
    except (WeightsError, TypeError, ValueError):
        return None
    entry = ref.entry
    return entry if entry is not None and entry.coverage_for(model_name) == "model" else None
