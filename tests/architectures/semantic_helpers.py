"""Shared helpers of the semantic architecture tests: building zoo models, running smp as an oracle."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F


def build(name: str, overrides: dict | None = None, nc: int | None = None, ch: int = 3):
    """Build zoo's semantic model ``name`` (e.g. ``deeplabv3p-s``) with converter ``overrides`` applied."""
    from zoo.nn.models import ZooSemanticModel, model_dict

    d = model_dict(name)
    overrides = overrides or {}
    d.setdefault("symbols", {}).update(overrides.get("symbols", {}))
    nc = overrides.get("nc", nc)
    return ZooSemanticModel(d, ch=overrides.get("ch", ch), nc=nc, verbose=False)


def randomize_bn(model: torch.nn.Module, seed: int = 0) -> None:
    """Give BatchNorm layers non-trivial statistics, so that eps or statistics mix-ups show in outputs."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)


def imagenet_normalized(x: torch.Tensor) -> torch.Tensor:
    """What an smp model with ImageNet encoder weights is fed: ``[0, 1]`` images standardised with ImageNet's statistics.

    smp leaves this to its users (``get_preprocessing_fn(encoder, "imagenet")``); zoo's encoders do it inside the
    model, so zoo on ``x`` must equal smp on ``imagenet_normalized(x)``. The statistics are timm's constants.
    """
    from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD

    mean = torch.tensor(IMAGENET_DEFAULT_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_DEFAULT_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def save_smp(cls_name: str, directory: Path, **kwargs) -> torch.nn.Module:
    """Build an smp model with random weights and save it as smp publishes (``model.safetensors`` + ``config.json``)."""
    import segmentation_models_pytorch as smp

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = getattr(smp, cls_name)(encoder_weights=None, **kwargs)
    randomize_bn(model)
    model.eval()
    model.save_pretrained(directory)
    return model


def read_smp(directory: Path) -> tuple[dict, dict]:
    """Read an smp checkpoint folder: (state dict, config)."""
    from safetensors.torch import load_file

    return load_file(directory / "model.safetensors"), json.loads((directory / "config.json").read_text())


def upsample_like(logits: torch.Tensor, size, align_corners: bool) -> torch.Tensor:
    """Bilinear resize of logits to ``size`` (no-op when already there)."""
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits
    return F.interpolate(logits, size=size, mode="bilinear", align_corners=align_corners)


def assert_reference_bn(model: torch.nn.Module) -> None:
    """BatchNorm layers keep PyTorch's eps (1e-5) that timm and smp weights were trained with."""
    eps = sorted({m.eps for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)})
    assert eps == [1e-5], (
        f"BatchNorm eps {eps}: Ultralytics' initialize_weights (eps=1e-3) was applied to a zoo architecture, "
        "so converted smp/timm weights no longer reproduce their outputs"
    )
