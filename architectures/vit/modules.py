"""ViT blocks: a timm VisionTransformer backbone, a ViTDet simple feature pyramid and a classification head.

* :class:`ViTBackbone` wraps timm's ``VisionTransformer`` (keys stay timm's, under ``vit.``) and outputs
  ``[pooled (B, C), token map (B, C, H/16, W/16)]``; pick one with ``Pick``.
* :class:`SimplePyramid` turns the stride-16 token map into strides 8/16/32 (ViTDet, Li et al. 2022).
* :class:`ViTClassify` is an Ultralytics ``Classify`` on the pooled features (timm's ``head`` Linear).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn
from ultralytics.nn.modules import Conv
from ultralytics.nn.modules.head import Classify

from zoo import rules
from zoo.registry import register_module

__all__ = ["VARIANTS", "ViTBackbone", "SimplePyramid", "ViTClassify", "timm_name"]

# zoo's variant names -> timm architectures (patch 16, 224 pre-training grid)
VARIANTS = {"tiny": "vit_tiny_patch16_224", "small": "vit_small_patch16_224", "base": "vit_base_patch16_224"}
_ALIASES = {"t": "tiny", "s": "small", "b": "base"}


def timm_name(variant: str) -> str:
    """Map ``tiny``/``small``/``base`` (or ``t``/``s``/``b``, or a timm ``vit_*`` name) to a timm model name.

    Raises:
        ValueError: For any other name, listing the known variants.
    """
    key = _ALIASES.get(variant, variant)
    if key in VARIANTS:
        return VARIANTS[key]
    if isinstance(variant, str) and variant.startswith("vit_"):
        return variant
    raise ValueError(f"unknown ViT variant {variant!r}; use one of {sorted(VARIANTS)} (or t/s/b, or a timm vit_* name)")


@contextlib.contextmanager
def _untraced() -> Iterator[None]:
    """Run the block's ops outside a JIT trace, so that their result enters the traced graph as a constant.

    ONNX has no antialiased bicubic resize, which timm uses to resample position embeddings; an export
    is traced at one image size, so the resampled table is a constant there anyway.
    """
    get_state = getattr(torch._C, "_get_tracing_state", None)
    state = get_state() if get_state is not None else None
    if state is None:
        yield
        return
    torch._C._set_tracing_state(None)
    try:
        yield
    finally:
        torch._C._set_tracing_state(state)


@register_module(rule=rules.from_module())
class ViTBackbone(nn.Module):
    """A timm VisionTransformer for any input whose sides are multiples of the patch size.

    Position embeddings are resampled to the input's patch grid (bicubic, as timm's ``dynamic_img_size``).
    ``forward_features`` equals timm's ``forward_features`` for the same weights; ``forward`` first
    standardises ``[0, 1]`` images (Ultralytics' input) with the mean/std timm's weights were trained with.

    Args:
        c1 (int): Input channels.
        variant (str): ``tiny``, ``small``, ``base`` (or ``t``/``s``/``b``, or a timm ``vit_*`` name).
        global_pool (str): Pooling of the pooled output: ``token`` (class token, timm's default) or ``avg``.
        drop_path (float): Stochastic depth rate.
        normalize (bool): Standardise inputs with timm's mean/std (only for 3 input channels).

    Attributes:
        vit (timm.models.VisionTransformer): The timm network without its classifier (timm key names).
        out_channels (list[int]): ``[embed_dim, embed_dim]`` for the pooled and the map outputs.
    """

    def __init__(self, c1: int, variant: str = "tiny", global_pool: str = "token", drop_path: float = 0.0,
                 normalize: bool = True):
        super().__init__()
        import timm

        self.variant = variant
        self.vit = timm.create_model(timm_name(variant), pretrained=False, num_classes=0, in_chans=c1,
                                     global_pool=global_pool, drop_path_rate=drop_path, dynamic_img_size=True)
        self.patch = tuple(self.vit.patch_embed.patch_size)
        self.embed_dim = self.vit.embed_dim
        self.out_channels = [self.embed_dim, self.embed_dim]
        cfg = self.vit.pretrained_cfg
        self.normalize = bool(normalize) and c1 == len(cfg.get("mean", ())) == 3
        # not persistent: the state dict keeps exactly timm's keys
        self.register_buffer("mean", torch.tensor(cfg.get("mean", (0.0,) * 3)).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg.get("std", (1.0,) * 3)).view(1, -1, 1, 1), persistent=False)

    def check_size(self, h: int, w: int) -> tuple[int, int]:
        """Return the patch grid of an ``h`` x ``w`` input.

        Raises:
            ValueError: If a side is not a multiple of the patch size, naming the nearest valid sizes.
        """
        ph, pw = self.patch
        if h % ph or w % pw:
            up = lambda v, p: -(-v // p) * p  # noqa: E731
            raise ValueError(
                f"ViTBackbone({self.variant!r}) needs image sides divisible by its patch size {ph}x{pw}, got {h}x{w}; "
                f"use e.g. imgsz={up(max(h, w), max(ph, pw))} (a multiple of {max(ph, pw)})"
            )
        return h // ph, w // pw

    def position_table(self, h: int, w: int) -> torch.Tensor:
        """Position embeddings for an ``h`` x ``w`` patch grid (timm's table resampled when the grid differs)."""
        from timm.layers import resample_abs_pos_embed

        vit = self.vit
        grid = tuple(vit.patch_embed.grid_size)
        if (h, w) == grid:
            return vit.pos_embed
        prefix = 0 if vit.no_embed_class else vit.num_prefix_tokens
        with _untraced():
            table = vit.pos_embed.detach() if torch.jit.is_tracing() else vit.pos_embed
            return resample_abs_pos_embed(table, new_size=(h, w), old_size=grid, num_prefix_tokens=prefix)

    def _pos_embed(self, x: torch.Tensor) -> torch.Tensor:
        """Add position embeddings and prefix tokens to patch embeddings ``(B, h, w, C)`` (timm's order)."""
        vit = self.vit
        b, h, w, c = x.shape
        pos = self.position_table(h, w)
        x = x.reshape(b, h * w, c)
        prefix = [t.expand(b, -1, -1) for t in (vit.cls_token, vit.reg_token) if t is not None]
        if vit.no_embed_class:
            x = torch.cat([*prefix, x + pos], dim=1)
        else:
            x = torch.cat([*prefix, x], dim=1) + pos
        return vit.pos_drop(x)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised tokens ``(B, prefix + h*w, C)`` of a standardised image batch, as timm computes them."""
        self.check_size(*x.shape[-2:])
        vit = self.vit
        x = vit.patch_embed(x)  # (B, h, w, C) with dynamic_img_size
        x = vit.norm_pre(vit.patch_drop(self._pos_embed(x)))
        return vit.norm(vit.blocks(x))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return ``[pooled (B, C), token map (B, C, H/patch, W/patch)]`` for images in ``[0, 1]``."""
        h, w = self.check_size(*x.shape[-2:])
        if self.normalize:
            x = (x - self.mean) / self.std
        tokens = self.forward_features(x)
        pooled = self.vit.forward_head(tokens, pre_logits=True)
        grid = tokens[:, self.vit.num_prefix_tokens :]
        return [pooled, grid.transpose(1, 2).reshape(x.shape[0], self.embed_dim, h, w)]


@register_module(rule=rules.from_module())
class SimplePyramid(nn.Module):
    """ViTDet's simple feature pyramid: strides 8/16/32 from one stride-16 map.

    Each level resamples the map (``scale`` 2: a 2x2 stride-2 transposed conv to ``c1 // 2`` channels;
    1: identity; 0.5: 2x2 max-pool), then projects it with a 1x1 and a 3x3 ``Conv`` (BN + SiLU, fusable),
    as in Li et al., *Exploring Plain Vision Transformer Backbones for Object Detection* (ECCV 2022).

    Args:
        c1 (int): Channels of the input map.
        c2 (int): Output channels of every level.
        scales (tuple[float, ...]): Resampling factor per level, fine to coarse.
    """

    def __init__(self, c1: int, c2: int = 256, scales=(2.0, 1.0, 0.5)):
        super().__init__()
        self.levels = nn.ModuleList()
        for s in scales:
            if s == 2.0:
                resample, c = nn.ConvTranspose2d(c1, c1 // 2, 2, 2), c1 // 2
            elif s == 1.0:
                resample, c = nn.Identity(), c1
            elif s == 0.5:
                resample, c = nn.MaxPool2d(2, 2), c1
            else:
                raise ValueError(f"SimplePyramid supports scales 2.0, 1.0 and 0.5, got {s}")
            self.levels.append(nn.Sequential(resample, Conv(c, c2, 1), Conv(c2, c2, 3)))
        self.out_channels = [c2] * len(self.levels)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return one map per level, fine to coarse."""
        return [level(x) for level in self.levels]


@register_module(rule=rules.conv(scale_out=False))
class ViTClassify(Classify):
    """Classification head on pooled ViT features, with Ultralytics' ``Classify`` contract.

    Training returns logits; eval returns ``(softmax, logits)``; export returns softmax. Being a
    ``Classify`` with a ``linear`` layer, Ultralytics' trainer resizes it to a dataset's class count
    and the exporter recognises it. ``linear`` holds timm's ``head`` weights.

    Args:
        c1 (int): Feature width (the ViT's embedding width).
        c2 (int): Number of classes.
        drop (float): Dropout before the linear layer (timm's ``drop_rate``).
    """

    def __init__(self, c1: int, c2: int, drop: float = 0.0):
        nn.Module.__init__(self)  # not Classify.__init__: no 1280-channel conv and pooling on token features
        self.drop = nn.Dropout(p=drop)
        self.linear = nn.Linear(c1, c2)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple:
        """Logits (train), softmax (export) or ``(softmax, logits)`` (eval) of pooled features ``(B, C)``."""
        x = self.linear(self.drop(x))
        if self.training:
            return x
        y = x.softmax(1)
        return y if self.export else (y, x)
