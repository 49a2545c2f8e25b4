"""Generic blocks zoo's architectures share: a timm feature encoder and a selector of one of its outputs."""

from __future__ import annotations

import torch
from torch import nn

from zoo import rules
from zoo.nn.standardize import add_standardization, standardize
from zoo.registry import register_module
from zoo.rules import LayerInputs, LayerPlan

__all__ = ["TimmEncoder", "Pick", "TorchvisionBackbone", "FCNHead"]

_IMAGENET_MEAN, _IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # torchvision's presets, timm's default


def _pick_rule(x: LayerInputs) -> LayerPlan:
    (levels,) = x.channels
    index = x.args[0]
    if not isinstance(levels, (list, tuple)):
        raise ValueError(f"Pick reads a multi-output layer, but its input has a single output ({levels} channels)")
    if not -len(levels) <= index < len(levels):
        raise ValueError(f"Pick index {index} out of range for an input with {len(levels)} outputs {levels}")
    return LayerPlan([index], levels[index], x.repeats)


@register_module(rule=rules.from_module())
class TimmEncoder(nn.Module):
    """A timm backbone in ``features_only`` mode: one layer whose output is the list of its feature maps.

    Pretrained weights are never fetched by timm here; zoo's weights manifest loads them (verified).

    Args:
        c1 (int): Input channels.
        name (str): timm model name, e.g. ``resnet34``.
        out_indices (list[int]): Feature levels to return (timm's indices; 0 is the stem at stride 2).
        output_stride (int): 32, 16 or 8; below 32 the last stages are dilated.
        dilation (str): How stages are dilated below output stride 32. ``"timm"``: timm's own scheme (a dilated
            stage's first block keeps the previous rate, as torchvision does). ``"uniform"``: every convolution of a
            dilated stage takes the stage's full rate, as segmentation_models_pytorch dilates its own (non ``tu-``)
            encoders; needed for smp checkpoints to convert exactly.
        normalize (bool): Standardise ``[0, 1]`` images (Ultralytics' input) inside the model with the mean/std of
            timm's pretrained configuration for ``name`` (ImageNet's for ResNets and MobileNetV3), as pretrained
            encoders expect; a weights entry's own ``mean``/``std`` replace them when it loads
            (:mod:`zoo.nn.standardize`). Only for 3 input channels.

    Raises:
        ValueError: In ``forward``, for an input smaller than the encoder's output stride.
    """

    def __init__(self, c1: int, name: str, out_indices=(1, 2, 3, 4), output_stride: int = 32, dilation: str = "timm",
                 normalize: bool = False):
        super().__init__()
        import timm

        if dilation not in ("timm", "uniform"):
            raise ValueError(f"dilation must be 'timm' or 'uniform', got {dilation!r}")
        uniform = dilation == "uniform" and output_stride != 32
        kwargs = {"output_stride": output_stride} if output_stride != 32 and not uniform else {}
        self.model = timm.create_model(
            name, pretrained=False, features_only=True, in_chans=c1, out_indices=tuple(out_indices), **kwargs
        )
        if uniform:
            _dilate_uniformly(self.model, output_stride)
        self.out_channels = list(self.model.feature_info.channels())
        self.reductions = [min(r, output_stride) for r in self.model.feature_info.reduction()]
        self.stride = max(self.reductions)
        self.output_stride, self.dilation = output_stride, dilation  # read by weight converters (smp)
        cfg = self.model.pretrained_cfg
        add_standardization(self, cfg.get("mean", _IMAGENET_MEAN), cfg.get("std", _IMAGENET_STD), normalize, c1)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the feature maps, shallow to deep."""
        if not torch.jit.is_tracing() and min(x.shape[-2:]) < self.stride:
            raise ValueError(
                f"input of {tuple(x.shape[-2:])} pixels is smaller than the encoder's output stride {self.stride}: "
                f"use images of at least {self.stride}x{self.stride} pixels"
            )
        return self.model(standardize(self, x))


def _dilate_uniformly(model: nn.Module, output_stride: int) -> None:
    """Replace the strides of stages deeper than ``output_stride`` with dilation (smp's ``make_dilated``).

    Every ``Conv2d`` of a stage at reduction ``r > output_stride`` gets stride 1 and dilation ``r // output_stride``.
    """
    for info in model.feature_info.info:
        if info["reduction"] <= output_stride:
            continue
        name, rate = info["module"], info["reduction"] // output_stride
        try:
            stage = model.get_submodule(name)
        except AttributeError:  # FeatureListNet flattens dotted names
            stage = model.get_submodule(name.replace(".", "_"))
        for m in stage.modules():
            if isinstance(m, nn.Conv2d):
                kh, kw = m.kernel_size
                m.stride, m.dilation, m.padding = (1, 1), (rate, rate), ((kh // 2) * rate, (kw // 2) * rate)


@register_module(rule=rules.custom(_pick_rule))
class Pick(nn.Module):
    """Select one output of a multi-output layer (``[-1, 1, Pick, [2]]``).

    Args:
        index (int): Which output.
    """

    def __init__(self, index: int):
        super().__init__()
        self.index = index

    def forward(self, x: list[torch.Tensor]) -> torch.Tensor:
        """Return ``x[index]``."""
        return x[self.index]


# torchvision's dilated segmentation backbones (torchvision.models.segmentation): how each is built and which two
# children it returns, [mid, deep]: ResNet layer3 (the "aux" input) and layer4 ("out"), both at stride 8;
# MobileNetV3-Large features.4 (C2, stride 8: "aux"/"low") and features.16 (C5, stride 16: "out"/"high").
_TV_BACKBONES = {
    "resnet50": ({"replace_stride_with_dilation": [False, True, True]}, ("layer3", "layer4"), (8, 8)),
    "resnet101": ({"replace_stride_with_dilation": [False, True, True]}, ("layer3", "layer4"), (8, 8)),
    "mobilenet_v3_large": ({"dilated": True}, ("4", "16"), (8, 16)),
}


@register_module(rule=rules.from_module())
class TorchvisionBackbone(nn.Module):
    """A dilated torchvision backbone exactly as ``torchvision.models.segmentation`` builds it: outputs ``[mid, deep]``.

    The network is torchvision's own (``resnet50(replace_stride_with_dilation=[False, True, True])``,
    ``mobilenet_v3_large(dilated=True).features``), cut after the deepest returned child like torchvision's
    ``IntermediateLayerGetter``, so ``body.*`` keys are torchvision's ``backbone.*`` keys. No weights are fetched.

    Args:
        c1 (int): Input channels; other than 3, the first convolution is rebuilt for ``c1`` (fresh weights).
        name (str): ``resnet50``, ``resnet101`` or ``mobilenet_v3_large``.
        normalize (bool): Standardise ``[0, 1]`` images (Ultralytics' input) with ImageNet's mean/std inside the
            model, as torchvision's ``SemanticSegmentation`` preset does before its models (3 channels only), so
            train, val, predict and export all see the input the weights were trained on, exactly once.
    """

    def __init__(self, c1: int, name: str, normalize: bool = True):
        super().__init__()
        import torchvision

        if name not in _TV_BACKBONES:
            raise ValueError(f"unknown torchvision backbone {name!r}; available: {', '.join(_TV_BACKBONES)}")
        kwargs, self.layers, self.strides = _TV_BACKBONES[name]
        net = getattr(torchvision.models, name)(weights=None, **kwargs)  # weights=None: never download
        net = getattr(net, "features", net)  # MobileNetV3: the feature stack only, as torchvision segments it
        body = {}
        for child, module in net.named_children():
            body[child] = module
            if child == self.layers[-1]:
                break  # later children (avgpool, fc) are not part of the segmentation backbone
        self.body = nn.ModuleDict(body)
        if c1 != 3:
            _replace_first_conv(self.body, c1)
        add_standardization(self, _IMAGENET_MEAN, _IMAGENET_STD, normalize, c1)
        self.out_channels = [_out_channels(self.body[k]) for k in self.layers]
        self.stride = max(self.strides)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return ``[mid, deep]`` feature maps."""
        x = standardize(self, x)
        out = []
        for name, module in self.body.items():
            x = module(x)
            if name in self.layers:
                out.append(x)
        return out


def _out_channels(module: nn.Module) -> int:
    """Output channels of a torchvision stage: its last convolution's (BatchNorm follows it in both families)."""
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)][-1].out_channels


def _replace_first_conv(body: nn.ModuleDict, c1: int) -> None:
    """Rebuild the stem convolution for ``c1`` input channels, keeping its other settings."""
    parent, child, old = next(
        (p, n, m) for p in body.modules() for n, m in p.named_children() if isinstance(m, nn.Conv2d)
    )
    new = nn.Conv2d(c1, old.out_channels, old.kernel_size, old.stride, old.padding, old.dilation, old.groups,
                    old.bias is not None)
    setattr(parent, child, new)


class FCNHead(nn.Sequential):
    """torchvision's ``FCNHead`` (FCN's classifier, DeepLabV3's auxiliary classifier), same layout and keys.

    ``3×3`` conv to ``c1 // 4`` channels, BN, ReLU, dropout 0.1, ``1×1`` conv to the classes.

    Args:
        c1 (int): Input channels.
        nc (int): Number of classes.
    """

    def __init__(self, c1: int, nc: int):
        c_ = c1 // 4
        super().__init__(
            nn.Conv2d(c1, c_, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Conv2d(c_, nc, 1),
        )
