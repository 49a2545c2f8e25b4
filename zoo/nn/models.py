"""zoo's model classes: Ultralytics' task models, built by zoo's parser.

Each class subclasses the Ultralytics model of its task, so Ultralytics' trainers, validators,
predictors, losses and exporter treat it as their own, and overrides only construction (Ultralytics'
constructors call its module-global ``parse_model``). The classes live at this stable import path
because checkpoints pickle them.
"""

from __future__ import annotations

import itertools
from copy import deepcopy
from pathlib import Path
from typing import Any

import torch
from ultralytics.nn.modules import Detect
from ultralytics.nn.modules.head import SemanticSegment
from ultralytics.nn.tasks import ClassificationModel, DetectionModel, SemanticSegmentationModel
from ultralytics.utils import LOGGER
from ultralytics.utils.torch_utils import initialize_weights

from zoo import catalog
from zoo.config import ModelConfigError, limit_error, limits, load_model_yaml
from zoo.nn.fuse import FoldsBatchNorm  # fuse(): BatchNorm folded in timm's and zoo's blocks too
from zoo.nn.parser import parse_model
from zoo.registry import short_repr

__all__ = ["model_dict", "ZooSemanticModel", "ZooDetectionModel", "ZooClassificationModel", "MODEL_CLASSES"]

_PROBE = 256  # square input used once to measure strides


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


def _probe(model: torch.nn.Module, ch: int) -> Any:
    """Run the stride probe (a zero image of ``_PROBE`` pixels) with errors that name the layer.

    First a ``meta`` copy of the model (no memory, no compute) runs the probe to check each layer's output
    size against ``limits().activations``; then the real probe runs. A failure names the layer index, its
    module type, the input shape(s) it got and the input channels it was built for; the original exception
    is chained.

    Raises:
        LimitExceededError: For a layer whose probe output would exceed the activation limit.
        ModelConfigError: For a layer that cannot take its input (shapes that do not fit).
    """
    source = str(model.yaml.get("yaml_file", "model"))
    _check_activations(model, ch, source)
    current: dict = {}

    def before(layer, args):
        current.update(layer=layer, inputs=args[0] if args else None, done=False)

    def after(_layer, _args, _out):
        current["done"] = True

    handles = [h for layer in model.model for h in (layer.register_forward_pre_hook(before), layer.register_forward_hook(after))]
    try:
        with torch.no_grad():
            return model.forward(torch.zeros(1, ch, _PROBE, _PROBE))
    except Exception as e:
        raise _probe_error(source, current, e) from e
    finally:
        for h in handles:
            h.remove()


def _check_activations(model: torch.nn.Module, ch: int, source: str) -> None:
    """Measure each layer's probe output on a ``meta`` copy; refuse one above the activation limit.

    A model whose forward cannot run on ``meta`` (it mixes in a real tensor attribute, or reads values) is
    not measured here; the real probe still runs.
    """
    lim = limits()
    tensors = itertools.chain(model.parameters(), model.buffers())
    memo = {id(t): (torch.nn.Parameter(t.detach().to("meta"), t.requires_grad) if isinstance(t, torch.nn.Parameter)
                    else t.detach().to("meta")) for t in tensors}
    try:
        twin = deepcopy(model, memo)
    except Exception:  # noqa: BLE001 - an uncopyable attribute: the real probe still runs
        return

    def measure(layer, _args, out):
        for t in _tensors(out):
            if t.numel() > lim.activations:
                raise limit_error(
                    f"{source}: layer {layer.i} ({layer.type})", f"output of the {_PROBE}x{_PROBE} stride probe "
                    f"{list(t.shape)} (elements)", t.numel(), "activations", lim,
                )

    for layer in twin.model:
        layer.register_forward_hook(measure)
    try:
        with torch.no_grad():
            twin.forward(torch.zeros(1, ch, _PROBE, _PROBE, device="meta"))
    except ModelConfigError:
        raise
    except Exception:  # noqa: BLE001 - meta cannot run everything; the real probe reports real errors
        return


def _tensors(value: Any) -> list[torch.Tensor]:
    """The tensors in a layer's output (a tensor, or lists, tuples and dicts of them)."""
    found, stack = [], [value]
    while stack and len(found) < 1000:
        v = stack.pop()
        if isinstance(v, torch.Tensor):
            found.append(v)
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return found


def _shapes(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return list(value.shape)
    if isinstance(value, (list, tuple)):
        return [_shapes(v) for v in value[:8]]
    return type(value).__name__


def _probe_error(source: str, current: dict, e: Exception) -> ModelConfigError:
    cause = f"{type(e).__name__}: {short_repr(str(e), 300)}"
    layer = current.get("layer")
    if layer is None:
        return ModelConfigError(f"{source}: the {_PROBE}x{_PROBE} stride probe failed before the first layer: {cause}")
    where = f"{source}: layer {getattr(layer, 'i', '?')} ({getattr(layer, 'type', type(layer).__name__)}, from {layer.f})"
    if current.get("done"):
        return ModelConfigError(f"{where} ran, then the model's output failed in the stride probe: {cause}")
    built_for = next(
        (f"; it was built for {n} input channels ({type(m).__name__})" for m in layer.modules()
         if isinstance(n := getattr(m, "in_channels", getattr(m, "in_features", None)), int)),
        "",
    )
    return ModelConfigError(
        f"{where} cannot take its input in the stride probe: got shape(s) {short_repr(_shapes(current['inputs']))}"
        f"{built_for}. {cause}. Check this row's 'from' and the channels of the layers it reads."
    )


class ZooDetectionModel(FoldsBatchNorm, DetectionModel):
    """A detection model built by zoo's parser (any head subclassing Ultralytics' ``Detect``)."""

    def __init__(self, cfg="yolo26n.yaml", ch: int = 3, nc: int | None = None, verbose: bool = True):
        torch.nn.Module.__init__(self)
        ch = _init_layers(self, cfg, ch, nc, verbose)
        head = self.model[-1]
        if isinstance(head, Detect):
            head.inplace = self.inplace
            self.model.eval()  # keep BatchNorm statistics untouched by the probe
            head.training = True  # the training output carries the feature maps
            out = _probe(self, ch)
            try:
                feats = out.get("one2many", out)["feats"]
            except (AttributeError, KeyError, TypeError) as e:
                raise ModelConfigError(
                    f"{self.yaml.get('yaml_file', 'model')}: head {type(head).__name__} must return Detect's training "
                    f"output (a dict with 'feats'), got {short_repr(type(out).__name__)}"
                ) from e
            head.stride = torch.tensor([_PROBE / f.shape[-2] for f in feats])
            self.stride = head.stride
            self.model.train()
            head.bias_init()
        else:
            self.stride = torch.Tensor([32])
        _initialize(self)
        if verbose:
            self.info()


    def load(self, weights, verbose: bool = True):
        """Load weights from a model or checkpoint dict.

        Stock ``Detect`` heads on both sides take Ultralytics' own path (it remaps class outputs by
        name). Any other head (e.g. zoo's shared-tower heads, whose branches are not per-level lists)
        goes through zoo's loader, which matches layers by structure and reports every key.
        """
        source = (weights.get("ema") or weights.get("model")) if isinstance(weights, dict) else weights
        if _has_stock_detect_head(self) and _has_stock_detect_head(source):
            return super().load(weights, verbose)
        from zoo.weights.converters import ultralytics_to_model
        from zoo.weights.io import extract_state_dict
        from zoo.weights.report import load_into

        self.load_report = load_into(
            self, extract_state_dict(weights), converter=ultralytics_to_model, source="weights", verbose=verbose
        )
        return self


def _has_stock_detect_head(model) -> bool:
    """True when the model's last layer is a ``Detect`` with Ultralytics' per-level branch lists."""
    layers = getattr(model, "model", None)
    head = layers[-1] if isinstance(layers, torch.nn.Sequential) and len(layers) else None
    return isinstance(head, Detect) and isinstance(getattr(head, "cv2", None), torch.nn.ModuleList)


class ZooSemanticModel(FoldsBatchNorm, SemanticSegmentationModel):
    """A semantic segmentation model built by zoo's parser (heads subclassing ``SemanticSegment``).

    The stride is the deepest reduction any layer applies, which input sizes must respect.
    """

    def __init__(self, cfg="deeplabv3p-s", ch: int = 3, nc: int | None = None, verbose: bool = True):
        torch.nn.Module.__init__(self)
        ch = _init_layers(self, cfg, ch, nc, verbose)
        head = self.model[-1]
        if isinstance(head, SemanticSegment):
            smallest = [_PROBE]

            def record(_module, _inputs, out):
                for t in out if isinstance(out, (list, tuple)) else [out]:
                    if isinstance(t, torch.Tensor) and t.ndim == 4:
                        smallest[0] = min(smallest[0], t.shape[-2])

            hooks = [layer.register_forward_hook(record) for layer in self.model]
            self.model.eval()
            head.training = True
            try:
                _probe(self, ch)
            finally:
                for h in hooks:
                    h.remove()
                self.model.train()
            head.stride = torch.tensor([_PROBE / smallest[0]], dtype=torch.float32)
            self.stride = head.stride
        else:
            self.stride = torch.Tensor([32])
        _initialize(self)
        if verbose:
            self.info()


class ZooClassificationModel(FoldsBatchNorm, ClassificationModel):
    """A classification model built by zoo's parser."""

    def _from_yaml(self, cfg, ch: int, nc: int | None, verbose: bool) -> None:
        _init_layers(self, cfg, ch, nc, verbose)
        self.stride = torch.Tensor([1])  # no stride constraints
        if verbose:
            self.info()


MODEL_CLASSES = {"semantic": ZooSemanticModel, "detect": ZooDetectionModel, "classify": ZooClassificationModel}
