"""zoo's model classes: Ultralytics' task models, built by zoo's parser.

Each class subclasses the Ultralytics model of its task, so Ultralytics' trainers, validators,
predictors, losses and exporter treat it as their own, and overrides only construction (Ultralytics'
constructors call its module-global ``parse_model``). The classes live at this stable import path
because checkpoints pickle them.
"""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import torch
from ultralytics.nn.modules import Detect
from ultralytics.nn.modules.head import SemanticSegment
from ultralytics.nn.tasks import ClassificationModel, DetectionModel, SemanticSegmentationModel
from ultralytics.utils import LOGGER
from ultralytics.utils.torch_utils import initialize_weights

from zoo import catalog
from zoo.config import load_model_yaml
from zoo.nn.parser import parse_model

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
        raise ValueError(f"{model.yaml.get('yaml_file', 'model')}: nc not given; set nc in the YAML or pass nc=")
    model.model, model.save = parse_model(deepcopy(model.yaml), ch=ch, verbose=verbose)
    model.names = {i: f"{i}" for i in range(model.yaml["nc"])}
    model.inplace = model.yaml.get("inplace", True)
    return ch


class ZooDetectionModel(DetectionModel):
    """A detection model built by zoo's parser (any head subclassing Ultralytics' ``Detect``)."""

    def __init__(self, cfg="yolo26n.yaml", ch: int = 3, nc: int | None = None, verbose: bool = True):
        torch.nn.Module.__init__(self)
        ch = _init_layers(self, cfg, ch, nc, verbose)
        head = self.model[-1]
        if isinstance(head, Detect):
            head.inplace = self.inplace
            self.model.eval()  # keep BatchNorm statistics untouched by the probe
            head.training = True  # the training output carries the feature maps
            with torch.no_grad():
                out = self.forward(torch.zeros(1, ch, _PROBE, _PROBE))
            feats = out.get("one2many", out)["feats"]
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


class ZooSemanticModel(SemanticSegmentationModel):
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
                with torch.no_grad():
                    self.forward(torch.zeros(1, ch, _PROBE, _PROBE))
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


class ZooClassificationModel(ClassificationModel):
    """A classification model built by zoo's parser."""

    def _from_yaml(self, cfg, ch: int, nc: int | None, verbose: bool) -> None:
        _init_layers(self, cfg, ch, nc, verbose)
        self.stride = torch.Tensor([1])  # no stride constraints
        if verbose:
            self.info()


MODEL_CLASSES = {"semantic": ZooSemanticModel, "detect": ZooDetectionModel, "classify": ZooClassificationModel}
