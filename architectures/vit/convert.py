"""timm ViT checkpoints -> zoo ViT models (``vit-*-cls``, ``vitdet-*``).

timm's keys go under the ``ViTBackbone`` layer's ``vit.`` prefix, unchanged; timm's classifier
(``head.weight``/``head.bias``) goes to ``ViTClassify.linear`` when the model has one. Before renaming,
timm's own ``checkpoint_filter_fn`` adapts the checkpoint to the model (position embeddings resampled
to the model's grid, older layouts converted), and the embedding width is checked first, so that a
checkpoint of another ViT size fails with both widths named instead of a list of shape mismatches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from zoo.architectures.vit.modules import VARIANTS, ViTBackbone, ViTClassify
from zoo.weights.align import ConvertedStateDict

__all__ = ["from_timm", "checkpoint_width", "EmbeddingWidthError"]

_WIDTH_KEYS = ("cls_token", "pos_embed", "patch_embed.proj.weight", "norm.weight")
_VARIANT_OF_WIDTH = {192: "tiny", 384: "small", 768: "base"}
_WRAPPERS = ("module.", "_orig_mod.")


class EmbeddingWidthError(ValueError):
    """A ViT checkpoint whose embedding width differs from the model's."""


def checkpoint_width(state_dict: Mapping[str, Any]) -> int | None:
    """Embedding width of a timm ViT state dict (None if it has none of the telling keys)."""
    for key in _WIDTH_KEYS:
        if key in state_dict:
            t = state_dict[key]
            return int(t.shape[0] if key.endswith("weight") else t.shape[-1])
    return None


def _layers(model: torch.nn.Module, cls: type) -> list[tuple[int, torch.nn.Module]]:
    layers = getattr(model, "model", model)
    return [(i, m) for i, m in enumerate(layers) if isinstance(m, cls)]


def _describe(width: int) -> str:
    variant = _VARIANT_OF_WIDTH.get(width)
    return f"{width} ({VARIANTS[variant]})" if variant else str(width)


def from_timm(state_dict: dict[str, Any], model: torch.nn.Module) -> ConvertedStateDict:
    """Rename a timm VisionTransformer state dict into a zoo ViT model's keys.

    Args:
        state_dict (dict[str, torch.Tensor]): timm keys (``cls_token``, ``blocks.0.attn.qkv.weight``, ``head.weight``...).
        model (torch.nn.Module): A zoo model (or its layer ``Sequential``) holding one ``ViTBackbone``.

    Returns:
        (ConvertedStateDict): Model keys, with notes for the load report.

    Raises:
        ValueError: If the model has no ``ViTBackbone``.
        EmbeddingWidthError: If the checkpoint's embedding width differs from the model's (both named).
    """
    from timm.models.vision_transformer import checkpoint_filter_fn

    backbones = _layers(model, ViTBackbone)
    if len(backbones) != 1:
        raise ValueError(f"from_timm expects a model with one ViTBackbone layer, found {len(backbones)}")
    index, backbone = backbones[0]
    sd = {}
    for key, value in state_dict.items():
        for w in _WRAPPERS:
            key = key.removeprefix(w)
        sd[key] = value
    width = checkpoint_width(sd)
    if width is not None and width != backbone.embed_dim:
        raise EmbeddingWidthError(
            f"checkpoint embedding width {_describe(width)} does not match the model's ViTBackbone width "
            f"{_describe(backbone.embed_dim)} (variant {backbone.variant!r}); load it into the ViT of the "
            f"checkpoint's size instead"
        )
    head = {k: sd.pop(k) for k in ("head.weight", "head.bias") if k in sd}
    notes = [f"timm keys placed under 'model.{index}.vit.'"]
    filtered = checkpoint_filter_fn(sd, backbone.vit)  # resamples pos_embed to the model's grid
    out = ConvertedStateDict({f"model.{index}.vit.{k}": v for k, v in filtered.items()}, notes=notes)
    heads = _layers(model, ViTClassify)
    if head and heads:
        out.update({f"model.{heads[0][0]}.linear.{k[5:]}": v for k, v in head.items()})
        out.notes.append(f"timm 'head' -> 'model.{heads[0][0]}.linear'")
    elif head:
        out.update({f"timm.{k}": v for k, v in head.items()})  # reported as unexpected: this model has no classifier
    return out
