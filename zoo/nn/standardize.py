"""Input standardisation inside the model, set by the weights it carries.

Ultralytics feeds every model ``[0, 1]`` images in train, val and predict, and exports the same graph. Pretrained
encoders were trained on standardised images (``(x - mean) / std``), so zoo's encoder blocks standardise inside the
model: once, on every path, exported graphs included. A block that does so has three attributes, the protocol this
module reads and writes:

- ``normalize`` (bool): whether ``forward`` standardises;
- ``mean`` and ``std``: non-persistent ``(1, C, 1, 1)`` buffers, so state dicts keep the upstream's keys.

A weights entry declares the ``mean``/``std`` its file was trained with; :func:`follow_weights` copies them into the
model's standardising blocks, so the model applies what the weights expect, whatever default it was built with.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import nn

__all__ = ["add_standardization", "standardizers", "follow_weights"]


def add_standardization(module: nn.Module, mean: Sequence[float], std: Sequence[float], enabled: bool,
                        channels: int) -> None:
    """Give ``module`` the standardisation protocol (``normalize``, ``mean``, ``std``).

    Args:
        module (nn.Module): The block whose ``forward`` calls :func:`standardize` first.
        mean (Sequence[float]): Per-channel mean the weights were trained with.
        std (Sequence[float]): Per-channel standard deviation.
        enabled (bool): Standardise at all; only honoured when ``channels`` equals ``len(mean)`` (the statistics
            describe RGB images, not a 4-channel input).
        channels (int): The block's input channels.
    """
    module.normalize = bool(enabled) and channels == len(mean)
    # not persistent: the state dict keeps exactly the upstream's keys, and checkpoints pickle the module anyway
    module.register_buffer("mean", torch.tensor(tuple(mean), dtype=torch.float32).view(1, -1, 1, 1), persistent=False)
    module.register_buffer("std", torch.tensor(tuple(std), dtype=torch.float32).view(1, -1, 1, 1), persistent=False)


def standardize(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``(x - mean) / std`` when ``module.normalize`` is on, else ``x`` unchanged."""
    return (x - module.mean) / module.std if module.normalize else x


def standardizers(model: nn.Module) -> Iterator[nn.Module]:
    """The sub-modules of ``model`` that follow the standardisation protocol."""
    for m in model.modules():
        if isinstance(getattr(m, "normalize", None), bool) and isinstance(getattr(m, "mean", None), torch.Tensor) \
                and isinstance(getattr(m, "std", None), torch.Tensor):
            yield m


def follow_weights(model: nn.Module, mean: Sequence[float] | None, std: Sequence[float] | None,
                   source: str) -> list[str]:
    """Make the model standardise its input with the statistics the loaded weights were trained with.

    Args:
        model (nn.Module): The model the weights went into.
        mean (Sequence[float] | None): The weights' per-channel mean (a manifest entry's ``mean``); None: unknown.
        std (Sequence[float] | None): The weights' per-channel standard deviation.
        source (str): The weights' name, for the notes.

    Returns:
        (list[str]): Load-report notes: what changed, or that the model cannot apply the statistics.
    """
    if mean is None or std is None:
        return []
    mean, std = [float(v) for v in mean], [float(v) for v in std]
    blocks = list(standardizers(model))
    if not blocks:
        if mean == [0.0] * len(mean) and std == [1.0] * len(std):
            return []
        return [f"{source} was trained on inputs standardised with mean {mean}, std {std}, but the model has no "
                "standardising block: standardise images before the model, or use an architecture whose encoder "
                "does (deeplabv3p, unet, vit, deeplabv3, lraspp, fcn)"]
    notes = []
    for block in blocks:
        if len(mean) != block.mean.numel():
            notes.append(f"{source}: mean/std have {len(mean)} channels, {type(block).__name__} standardises "
                         f"{block.mean.numel()}; its statistics were left unchanged")
            continue
        new_mean = torch.tensor(mean, dtype=block.mean.dtype, device=block.mean.device).view_as(block.mean)
        new_std = torch.tensor(std, dtype=block.std.dtype, device=block.std.device).view_as(block.std)
        if not (torch.equal(new_mean, block.mean) and torch.equal(new_std, block.std)):
            block.mean.copy_(new_mean)
            block.std.copy_(new_std)
            notes.append(f"{type(block).__name__} now standardises inputs with {source}'s mean {mean}, std {std}")
        if not block.normalize:
            notes.append(f"{source} was trained on inputs standardised with mean {mean}, std {std}, but "
                         f"{type(block).__name__} was built with normalize off: standardise images before the model, "
                         "or build it with normalize on (symbols: {normalize: true})")
    return notes
