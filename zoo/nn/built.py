"""Construction by zoo's parser, once for every task: the mixin zoo's model classes put before Ultralytics' own.

Ultralytics' model constructors call its module-global ``parse_model``; zoo's classes replace only the
constructor. :class:`ZooBuilt` parses the YAML with zoo's parser, measures strides with the same probe Ultralytics
runs (:mod:`zoo.nn.probe`, with errors that name the layer), initialises the weights and keeps everything else
(forward, loss, fuse, export hooks) Ultralytics' own. Random numbers are drawn in Ultralytics' order, so a zoo
build and an Ultralytics build of the same YAML and seed are bit-equal (``tests/engine/test_stock_models.py``).
"""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import torch
from ultralytics.nn.modules import Detect
from ultralytics.nn.modules.head import SemanticSegment
from ultralytics.utils import LOGGER
from ultralytics.utils.torch_utils import initialize_weights

from zoo import catalog
from zoo.config import ModelConfigError, load_model_yaml
from zoo.nn.fuse import FoldsBatchNorm  # fuse(): BatchNorm folded in timm's and zoo's blocks too
from zoo.nn.parser import parse_model
from zoo.nn.probe import PROBE, probe
from zoo.registry import short_repr

__all__ = ["model_dict", "ZooBuilt", "detect_strides", "deepest_stride", "no_stride"]


def model_dict(cfg: str | Path | dict) -> dict:
    """A model dictionary from a zoo model name, a YAML path or a dictionary.

    Args:
        cfg (str | Path | dict): ``deeplabv3p-s``, ``path/to/my.yaml``, ``yolo26n.yaml`` or a dict.

    Returns:
        (dict): A fresh dictionary; the architecture's blocks are imported (registered).
    """
    if isinstance(cfg, dict):
        d = deepcopy(cfg)
    elif str(cfg).lower().endswith((".yaml", ".yml")):
        d = load_model_yaml(cfg)
    else:
        arch, scale = catalog.resolve(str(cfg))
        d = arch.model_dict(scale)
    if (arch := catalog.architectures().get(d.get("arch"))) is not None:
        arch.import_modules()  # register the architecture's blocks before anything is built
    return d


def _initialize(model: torch.nn.Module) -> None:
    """Apply the YAML's initialisation policy.

    ``init: ultralytics`` (default) runs Ultralytics' ``initialize_weights`` (BatchNorm eps 1e-3,
    momentum 0.03), as for stock YAMLs. ``init: torch`` keeps PyTorch's and timm's defaults (BatchNorm
    eps 1e-5): architectures whose published weights (timm, smp) were trained that way need it to
    reproduce their outputs.
    """
    policy = model.yaml.get("init", "ultralytics")
    if policy == "ultralytics":
        initialize_weights(model)
    elif policy != "torch":
        raise ValueError(f"{model.yaml.get('yaml_file', 'model')}: init must be 'ultralytics' or 'torch', got {policy!r}")


def _init_layers(model: torch.nn.Module, cfg, ch: int, nc: int | None, verbose: bool) -> int:
    """Parse the YAML into ``model.model`` / ``model.save``; set names and options. Returns input channels."""
    model.yaml = model_dict(cfg)
    model.yaml["channels"] = ch
    if nc and nc != model.yaml.get("nc"):
        if verbose:
            LOGGER.info(f"Overriding model.yaml nc={model.yaml.get('nc')} with nc={nc}")
        model.yaml["nc"] = nc
    if not model.yaml.get("nc"):
        raise ModelConfigError(f"{model.yaml.get('yaml_file', 'model')}: nc not given; set nc in the YAML or pass nc=")
    model.model, model.save = parse_model(deepcopy(model.yaml), ch=ch, verbose=verbose)
    model.names = {i: f"{i}" for i in range(model.yaml["nc"])}
    model.inplace = model.yaml.get("inplace", True)
    return ch


def detect_strides(model: torch.nn.Module, ch: int) -> torch.Tensor:
    """Strides of a ``Detect``-family head from its training output's feature maps (Ultralytics' rule).

    A head that is no ``Detect`` (RT-DETR's decoder, ``Depth``) gets Ultralytics' default stride 32, unprobed.
    """
    head = model.model[-1]
    if not isinstance(head, Detect):
        return torch.Tensor([32])
    head.inplace = model.inplace
    model.model.eval()  # keep BatchNorm statistics untouched by the probe
    head.training = True  # the training output carries the feature maps
    out = probe(model, ch)
    try:
        feats = out.get("one2many", out)["feats"]
    except (AttributeError, KeyError, TypeError) as e:
        raise ModelConfigError(
            f"{model.yaml.get('yaml_file', 'model')}: head {type(head).__name__} must return Detect's training "
            f"output (a dict with 'feats'), got {short_repr(type(out).__name__)}"
        ) from e
    head.stride = torch.tensor([PROBE / f.shape[-2] for f in feats])
    model.model.train()
    head.bias_init()  # only once, after the stride is known
    return head.stride


def deepest_stride(model: torch.nn.Module, ch: int) -> torch.Tensor:
    """The deepest reduction any layer applies (``SemanticSegment`` heads), which input sizes must respect."""
    head = model.model[-1]
    if not isinstance(head, SemanticSegment):
        return torch.Tensor([32])
    smallest = [PROBE]

    def record(_module, _inputs, out):
        for t in out if isinstance(out, (list, tuple)) else [out]:
            if isinstance(t, torch.Tensor) and t.ndim == 4:
                smallest[0] = min(smallest[0], t.shape[-2])

    hooks = [layer.register_forward_hook(record) for layer in model.model]
    model.model.eval()
    head.training = True
    try:
        probe(model, ch)
    finally:
        for h in hooks:
            h.remove()
        model.model.train()
    head.stride = torch.tensor([PROBE / smallest[0]], dtype=torch.float32)
    return head.stride


def no_stride(_model: torch.nn.Module, _ch: int) -> torch.Tensor:
    """Classification models: no stride constraint (Ultralytics' ``[1]``)."""
    return torch.Tensor([1])


class ZooBuilt(FoldsBatchNorm):
    """Build with zoo's parser, measure strides, initialise: the constructor of every zoo model class.

    Put it first among the bases (``class ZooPoseModel(ZooBuilt, PoseModel)``); the Ultralytics class supplies
    everything but construction. Subclasses choose ``strides`` and ``init_weights`` and may set attributes
    their Ultralytics class reads before building (``txt_feats``) by overriding ``__init__`` and calling this one.

    Attributes:
        strides (Callable): ``(model, ch) -> Tensor``: :func:`detect_strides`, :func:`deepest_stride` or
            :func:`no_stride`.
        init_weights (bool): Apply the YAML's ``init:`` policy (Ultralytics' classification models do not).
    """

    strides = staticmethod(detect_strides)
    init_weights = True

    def __init__(self, cfg="yolo26n.yaml", ch: int = 3, nc: int | None = None, verbose: bool = True):
        torch.nn.Module.__init__(self)
        ch = _init_layers(self, cfg, ch, nc, verbose)
        self.stride = type(self).strides(self, ch)
        if self.init_weights:
            _initialize(self)
        if verbose:
            self.info()
