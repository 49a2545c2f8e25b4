"""``load_weights``: resolve, verify, read, convert and copy weights into a model."""

from __future__ import annotations

import logging
import os
from typing import Any

from zoo.nn.standardize import follow_weights
from zoo.weights.align import ConvertedStateDict
from zoo.weights.converters import ConverterFn, _architecture, call_converter, get_converter, looks_like_torchvision
from zoo.weights.download import DEFAULT_RETRY, RetryPolicy
from zoo.weights.fetching import ref_path
from zoo.weights.io import PickleMode, detect_format, read_safetensors_metadata, read_state_dict
from zoo.weights.manifest import PARTIAL_COVERAGES, Manifest, load_manifest
from zoo.weights.refs import resolve_ref
from zoo.weights.report import LoadReport, _logger, load_into

LOGGER = logging.getLogger("zoo.weights")


def load_weights(model: Any, weights: str | os.PathLike, *, model_name: str | None = None,
                 allow_pickle: PickleMode = False, allow_unverified: bool = False, strict: bool = False,
                 converter: ConverterFn | None = None, manifest: Manifest | None = None,
                 progress: bool = True, retry: RetryPolicy = DEFAULT_RETRY) -> LoadReport:
    """Load weights into a model and report what happened to every key.

    Args:
        model (torch.nn.Module): Target model (modified in place).
        weights (str | os.PathLike): ``"DEFAULT"``, a tag, ``"<model>.<tag>"``, a file path or a URL.
        model_name (str | None): zoo model name (``deeplabv3p-s``); default ``model.zoo_name`` if set.
        allow_pickle (bool | "trusted"): Pickle policy for ``.pt`` files (see :mod:`zoo.weights.io`).
            A manifest entry with ``"allow_pickle": true`` allows ``weights_only`` loading by itself.
        allow_unverified (bool): Accept entries/URLs without a pinned digest.
        strict (bool): Raise unless every key matches both ways and every tensor is finite (nothing is
            loaded then). Without it, fewer than half of the tensors matched, or NaN/Inf values, warn
            (see :func:`zoo.weights.report.load_into`).
        converter (Callable | None): Key converter overriding the layout's (see :mod:`zoo.weights.converters`).
        manifest (Manifest | None): Manifest to use; default :func:`load_manifest`.
        progress (bool): Progress bar when downloading.
        retry (RetryPolicy): Download retry policy.

    Returns:
        (LoadReport): Per-key report (also logged).
    """
    model_name = model_name or getattr(model, "zoo_name", None)
    ref = resolve_ref(weights, model_name=model_name, manifest=manifest or load_manifest())
    path = ref_path(ref, progress=progress, allow_unverified=allow_unverified, retry=retry)
    entry = ref.entry
    if entry is not None and entry.allow_pickle and allow_pickle is False:
        allow_pickle = True  # the publisher vouches for weights_only loading of this exact (hashed) file
    state_dict = read_state_dict(path, allow_pickle=allow_pickle, name=ref.label)
    layout = entry.layout if entry is not None else _guess_layout(path, state_dict)
    options: dict[str, Any] = {}
    # one file may serve several models (shared_with): what it covers depends on the model it goes into
    coverage = entry.coverage_for(model_name) if entry is not None else "model"
    if coverage in PARTIAL_COVERAGES:
        info = _architecture(model_name)
        prefix = getattr(info, "backbone_prefix", None) if info is not None else None
        if prefix is not None:
            options["prefix"] = prefix
    own = getattr(model, "yaml", None)  # the built YAML's own converters: count (a user's copy of a family's YAML)
    own = own.get("converters") if isinstance(own, dict) else None
    conv = converter or get_converter(layout, model_name=model_name, own=own if isinstance(own, dict) else None)
    report = load_into(model, state_dict, converter=lambda sd, m: _with_coverage_note(
                           call_converter(conv, sd, m, **options), coverage, model_name),
                       strict=strict, source=ref.label, coverage="model" if coverage == "model" else "backbone",
                       after_load=None if entry is None else lambda m: follow_weights(
                           m, entry.meta.get("mean"), entry.meta.get("std"), entry.name))
    if report.mismatched:
        _log_head_reinit(model, entry, report)
    elif entry is not None and coverage == "model":
        _adopt_class_names(model, entry.meta.get("names"))
    return report


def _adopt_class_names(model: Any, names: Any) -> None:
    """Give the model the entry's class names when its head was loaded whole (same number of classes).

    Without them a model with trained weights predicts ids ("15") where the file knows names ("person").
    """
    if isinstance(names, dict):
        names = [names[k] for k in sorted(names, key=int)]
    if names and len(names) == len(getattr(model, "names", None) or ()):
        model.names = dict(enumerate(str(n) for n in names))


def _with_coverage_note(converted: Any, coverage: str, model_name: str | None) -> Any:
    """Say in the load report that a partial file leaves the rest of the model fresh (e.g. a new head)."""
    if coverage == "model":
        return converted
    out = converted if isinstance(converted, ConvertedStateDict) else ConvertedStateDict(converted)
    out.notes.append(f"these weights cover the {coverage} of {model_name or 'the model'}: "
                     "the other layers keep their fresh initialisation")
    return out


def _guess_layout(path, state_dict) -> str:
    """Layout of a file without a manifest entry: zoo's own metadata, else guessed from its keys.

    Recognised by their keys: Ultralytics models (``model.*``), smp's ``save_pretrained`` files, timm ViTs,
    torchvision ResNet classifiers and torchvision segmentation models; anything else is taken as zoo's own keys.
    """
    if detect_format(path) == "safetensors":
        layout = read_safetensors_metadata(path).get("layout")
        if layout:
            return layout
    if state_dict and all(k.startswith("model.") for k in state_dict):
        return "ultralytics"  # identity when indices line up, structural alignment when they do not
    if state_dict and all(k.startswith(("encoder.", "decoder.", "segmentation_head.")) for k in state_dict):
        return "smp"  # segmentation-models-pytorch's save_pretrained layout
    if state_dict and {"cls_token", "pos_embed", "patch_embed.proj.weight"} <= set(state_dict):
        return "timm"  # a timm VisionTransformer checkpoint
    if state_dict and looks_like_torchvision(state_dict):
        return "torchvision"
    return "zoo"



def _log_head_reinit(model: Any, entry, report: LoadReport) -> None:
    model_nc = getattr(model, "nc", None)
    if model_nc is None:
        yaml = getattr(model, "yaml", None)
        model_nc = yaml.get("nc") if isinstance(yaml, dict) else None
    ckpt_nc = entry.nc if entry is not None else None
    if ckpt_nc is not None and model_nc is not None and ckpt_nc != model_nc:
        _logger().warning(
            "Head re-initialised: %s was trained with nc=%d, the model has nc=%d; the class outputs in %s start "
            "fresh (train or fine-tune before use)",
            entry.name, ckpt_nc, model_nc, ", ".join(report.reinitialised_prefixes),
        )
