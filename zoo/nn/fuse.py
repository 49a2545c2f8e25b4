"""Fold BatchNorm into the convolution before it, in any block: zoo's, timm's, smp-style ``Sequential``s.

Ultralytics' ``BaseModel.fuse`` folds only its own ``Conv``/``DWConv``/``ConvTranspose`` modules, whose
``forward_fuse`` skips the BatchNorm. timm encoders (ResNet ``conv1``/``bn1``, MobileNetV3 ``conv_pw``/``bn1``,
``BatchNormAct2d``) and zoo's decoders (``Sequential(conv, bn, act)``) keep theirs, and each BatchNorm is a full
extra pass over its feature map.

Which BatchNorm follows which convolution is read from the data flow of one probe forward pass, not from
attribute names: a pair is folded only when the BatchNorm's input *is* the convolution's output tensor, and no
other operation reads that tensor (so folding changes nothing anyone else sees). The folded BatchNorm is replaced
by what it does besides normalising: ``nn.Identity`` for ``nn.BatchNorm2d``; its dropout and activation for
timm's ``BatchNormAct2d``. BatchNorm subclasses whose forward zoo does not know are left alone, and so is the
BatchNorm of YOLOE's contrastive head, which YOLOE folds itself with the text embeddings on export.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_weights
from torch.overrides import TorchFunctionMode

__all__ = ["FoldReport", "FoldsBatchNorm", "fold_batchnorm", "conv_fed_batchnorms"]


@dataclass
class FoldReport:
    """What :func:`fold_batchnorm` did.

    Attributes:
        folded (list[tuple[str, str]]): ``(conv name, batchnorm name)`` pairs folded.
        kept (list[str]): BatchNorm layers left in place (no convolution feeds them alone, or unknown subclass).
    """

    folded: list[tuple[str, str]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


class _CountReads(TorchFunctionMode):
    """Count the torch operations that read each watched tensor (calls that return tensors; ``.shape`` does not).

    Args:
        watched (dict[int, tuple]): Tensors by id (the convolution outputs, kept alive so ids stay unique).
    """

    def __init__(self, watched: dict):
        super().__init__()
        self.watched = watched
        self.reads: Counter[int] = Counter()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if _has_tensor(out):
            for a in (*args, *(kwargs or {}).values()):
                for t in a if isinstance(a, (list, tuple)) else (a,):
                    if isinstance(t, torch.Tensor) and id(t) in self.watched:
                        self.reads[id(t)] += 1  # in-place ops on the output count too: then it is not folded
        return out


def _has_tensor(value) -> bool:
    return isinstance(value, torch.Tensor) or (
        isinstance(value, (list, tuple)) and any(isinstance(v, torch.Tensor) for v in value)
    )


def _replacement(bn: nn.BatchNorm2d) -> nn.Module | None:
    """What replaces a folded BatchNorm, or None when its forward is not a plain normalisation zoo knows."""
    if type(bn) is nn.BatchNorm2d:
        return nn.Identity()
    if type(bn).__name__ == "BatchNormAct2d" and type(bn).__module__.startswith("timm."):
        return nn.Sequential(bn.drop, bn.act)  # timm: normalise, then drop, then act
    return None


def _probe(model: nn.Module, x: torch.Tensor) -> tuple[dict, list[str], list[tuple[str, str]]]:
    """Run ``model(x)`` once and read which convolution feeds which BatchNorm.

    Returns:
        (tuple): ``{bn name: conv name}`` of foldable pairs, names of the other BatchNorm layers, and every
            ``(conv, bn)`` pair where a BatchNorm reads a convolution's output (foldable or not).
    """
    names = {m: n for n, m in model.named_modules()}
    produced: dict[int, tuple[nn.Module, torch.Tensor]] = {}  # conv output id -> (conv, output)
    fed: dict[nn.Module, set] = {}  # bn -> the convs whose outputs it read (None: a non-conv input)

    def after_conv(conv, _args, out):
        produced[id(out)] = (conv, out)

    def before_bn(bn, args):
        src = produced.get(id(args[0]))
        fed.setdefault(bn, set()).add(src[0] if src is not None else None)

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(after_conv))
        elif isinstance(m, nn.BatchNorm2d):
            hooks.append(m.register_forward_pre_hook(before_bn))
    counter = _CountReads(produced)
    try:
        with torch.no_grad(), counter:
            model(x)
    finally:
        for h in hooks:
            h.remove()
    convs_fed = Counter(c for s in fed.values() for c in s)
    # YOLOE's BNContrastiveHead keeps its BatchNorm: YOLOEDetect.fuse(embeddings), which Ultralytics' exporter
    # calls after model.fuse(), folds it into the class convolution together with the text embeddings.
    owned = {m.norm for m in model.modules() if type(m).__name__ == "BNContrastiveHead" and hasattr(m, "norm")}
    pairs, kept, conv_fed = {}, [], []
    for bn, sources in fed.items():
        conv_fed += [(names[c], names[bn]) for c in sources if c is not None]
        conv = next(iter(sources)) if len(sources) == 1 else None
        foldable = (
            conv is not None
            and convs_fed[conv] == 1  # the conv feeds this BatchNorm only
            and all(counter.reads[i] == 1 for i, (c, _) in produced.items() if c is conv)  # and nothing else
            and _replacement(bn) is not None
            and bn not in owned
        )
        if foldable:
            pairs[names[bn]] = names[conv]
        else:
            kept.append(names[bn])
    return pairs, kept, conv_fed


def _set(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, leaf = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, leaf, module)


@torch.no_grad()
def fold_batchnorm(model: nn.Module, x: torch.Tensor) -> FoldReport:
    """Fold every BatchNorm2d whose input comes from a convolution alone into that convolution, in place.

    Args:
        model (nn.Module): The network, in eval mode (folding uses the running statistics).
        x (torch.Tensor): A probe input (small is fine: only the data flow matters).

    Returns:
        (FoldReport): Pairs folded and BatchNorm layers kept.

    Raises:
        RuntimeError: If ``model`` is in training mode (BatchNorm would normalise with batch statistics).
    """
    if model.training:
        raise RuntimeError("fold_batchnorm needs a model in eval mode (call model.eval() first)")
    pairs, kept, _ = _probe(model, x)
    report = FoldReport(kept=kept)
    modules = dict(model.named_modules())
    for bn_name, conv_name in pairs.items():
        conv, bn = modules[conv_name], modules[bn_name]
        w, b = fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
        conv.weight, conv.bias = w.requires_grad_(False), b.requires_grad_(False)
        for name, m in model.named_modules(remove_duplicate=False):  # a shared BatchNorm is replaced everywhere
            if m is bn:
                _set(model, name, _replacement(bn))
        report.folded.append((conv_name, bn_name))
    return report


def conv_fed_batchnorms(model: nn.Module, x: torch.Tensor) -> list[tuple[str, str]]:
    """``(conv, batchnorm)`` pairs where a BatchNorm reads a convolution's output: empty once a model is folded.

    Args:
        model (nn.Module): The network, in eval mode.
        x (torch.Tensor): A probe input.

    Returns:
        (list[tuple[str, str]]): Conv and BatchNorm names, foldable or not.
    """
    return _probe(model, x)[2]


class FoldsBatchNorm:
    """Mixin for zoo's model classes: ``fuse()`` is Ultralytics' fuse, then :func:`fold_batchnorm` for the rest.

    Ultralytics' predictor (through ``AutoBackend``) and exporter call ``model.fuse()``, so ``predict``, ``val``
    and ``export`` get the folded model. Ultralytics' own ``Conv`` modules are fused first (their
    ``forward_fuse`` drops the BatchNorm); the probe then folds what remains (timm encoders, zoo's blocks).
    """

    def fuse(self, verbose: bool = True, imgsz: int = 640):
        """Fuse Conv+BatchNorm everywhere.

        Args:
            verbose (bool): Print the model summary afterwards.
            imgsz (int): Image size for the summary's GFLOPs.

        Returns:
            (nn.Module): ``self``, fused.
        """
        super().fuse(verbose=False, imgsz=imgsz)
        p = next(self.parameters(), None)
        if p is not None:
            stride = int(max(getattr(self, "stride", torch.tensor([32.0])).max().item(), 32))
            side = max(64, 2 * stride)  # encoders refuse inputs below their output stride
            x = torch.zeros(1, self.yaml.get("channels", 3), side, side, device=p.device, dtype=p.dtype)
            training = self.training
            self.eval()  # the probe must not update BatchNorm statistics; AutoBackend fuses before eval()
            try:
                fold_batchnorm(self, x)
            finally:
                self.train(training)
        if verbose:
            self.info(verbose=True, imgsz=imgsz)
        return self
