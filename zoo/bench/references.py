"""Reference implementations that ``zoo benchmark`` measures next to zoo's models.

A reference builder turns a zoo model into the trusted implementation of the same network (timm,
segmentation-models-pytorch, Ultralytics' own build), so the benchmark can report zoo's speed as a
ratio of the reference's, measured in the same run.

Contract:
    * ``@register_reference(key)`` records a builder ``fn(ctx: ReferenceContext) -> (nn.Module, label)``
      under ``key`` (an architecture family name, or a free key that YAMLs name). A key that is taken
      raises unless ``force=True``.
    * :func:`reference_key` finds the builder of a model, torch-free, in this order: the model YAML's
      ``reference:`` metadata (a registered key, or ``"pkg.module:function"``; a mapping
      ``{builder: ..., <options>}`` passes its options on), the registered key equal to the
      architecture's family name, ``"ultralytics"`` for a YAML shipped with Ultralytics.
    * Builders import their third-party package themselves; a missing package raises
      :class:`ReferenceUnavailable`, which the benchmark records as a note instead of failing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from zoo import catalog
from zoo.config import ModelConfigError, find_stock_yaml, load_yaml, resolve_yaml_path

__all__ = [
    "ReferenceContext",
    "ReferenceUnavailable",
    "register_reference",
    "reference_key",
    "build_reference",
    "REFERENCES",
]


class ReferenceUnavailable(RuntimeError):
    """No reference can be built for a model (no builder, or its package is not installed)."""


@dataclass(frozen=True)
class ReferenceContext:
    """What a reference builder knows about the zoo model it mirrors.

    Attributes:
        model (str): The zoo model name or YAML path, as given to the benchmark.
        arch (str | None): Architecture family name (None for a YAML outside the catalog).
        scale (str | None): Scale letter.
        yaml (dict): The model YAML's top-level mapping (``symbols``, ``nc``, ...).
        yaml_file (Path | None): The YAML file.
        nc (int): Number of classes of the zoo model as built.
        imgsz (int): Benchmark input size.
        options (dict): Options from the YAML's ``reference:`` mapping.
    """

    model: str
    arch: str | None
    scale: str | None
    yaml: dict
    yaml_file: Path | None
    nc: int
    imgsz: int
    options: dict = field(default_factory=dict)

    def symbol(self, name: str) -> Any:
        """The value of a YAML symbol at this scale (``symbols: {encoder: {s: resnet34}}`` → ``resnet34``)."""
        value = (self.yaml.get("symbols") or {}).get(name)
        if isinstance(value, dict):
            if self.scale not in value:
                raise ReferenceUnavailable(f"{self.model}: symbol {name!r} has no value for scale {self.scale!r}")
            return value[self.scale]
        if value is None:
            raise ReferenceUnavailable(f"{self.model}: the YAML defines no symbol {name!r}")
        return value


Builder = Callable[[ReferenceContext], "tuple[Any, str]"]
REFERENCES: dict[str, Builder] = {}


def register_reference(key: str, *, force: bool = False) -> Callable[[Builder], Builder]:
    """Register a reference builder under ``key`` (usually an architecture family name).

    Args:
        key (str): Family name (``deeplabv3p``) or a key that YAMLs name in ``reference:``.
        force (bool): Replace an existing builder of the same key.

    Returns:
        (Callable): The decorator.

    Raises:
        ValueError: If ``key`` is taken and ``force`` is False.
    """

    def decorator(fn: Builder) -> Builder:
        if key in REFERENCES and not force:
            old = REFERENCES[key]
            raise ValueError(
                f"reference builder {key!r} already registered by {old.__module__}.{old.__qualname__}; "
                "pass force=True to replace it"
            )
        REFERENCES[key] = fn
        return fn

    return decorator


def _context_parts(model: str) -> tuple[str | None, str | None, dict, Path | None]:
    """(arch, scale, YAML mapping, YAML file) of a catalog name or a YAML path, torch-free."""
    if str(model).lower().endswith((".yaml", ".yml")):
        try:
            file, scale = resolve_yaml_path(model)
        except ModelConfigError as e:
            raise ReferenceUnavailable(str(e)) from None
        d = load_yaml(file)
        return d.get("arch"), scale, d, file
    arch, scale = catalog.resolve(model)
    return arch.arch, scale, load_yaml(arch.yaml_file), arch.yaml_file


def _is_stock(file: Path | None) -> bool:
    """Whether ``file`` is a YAML shipped inside Ultralytics' package."""
    stock, _ = find_stock_yaml(file.name) if file is not None else (None, None)
    return stock is not None and stock.resolve() == file.resolve()


def reference_key(model: str) -> tuple[str | None, dict]:
    """The reference builder key of a model and the options its YAML gives, without importing torch.

    Args:
        model (str): A zoo model name or a model YAML path.

    Returns:
        (tuple[str | None, dict]): Builder key (a registered key or ``"module:function"``) or None, and options.
    """
    arch, _, d, file = _context_parts(model)
    ref = d.get("reference")
    if isinstance(ref, dict):
        options = {k: v for k, v in ref.items() if k != "builder"}
        return ref.get("builder"), options
    if isinstance(ref, str):
        return ref, {}
    if arch in REFERENCES:
        return arch, {}
    if _is_stock(file):
        return "ultralytics", {}
    return None, {}


def build_reference(model: str, *, nc: int, imgsz: int) -> tuple[Any, str]:
    """Build the reference implementation of ``model``.

    Args:
        model (str): A zoo model name or a model YAML path.
        nc (int): Number of classes of the zoo model as built.
        imgsz (int): Benchmark input size (some references fix their input size at construction).

    Returns:
        (tuple[torch.nn.Module, str]): The reference module and a label such as ``smp:DeepLabV3Plus(tu-resnet34)``.

    Raises:
        ReferenceUnavailable: If the model has no reference or its package is not installed.
    """
    key, options = reference_key(model)
    if key is None:
        raise ReferenceUnavailable(f"{model}: no reference implementation registered")
    if ":" in key:
        module, _, name = key.partition(":")
        builder = getattr(importlib.import_module(module), name)
    elif key in REFERENCES:
        builder = REFERENCES[key]
    else:
        raise ReferenceUnavailable(f"{model}: reference {key!r} is not a registered builder ({', '.join(REFERENCES)})")
    arch, scale, d, file = _context_parts(model)
    ctx = ReferenceContext(model=str(model), arch=arch, scale=scale or d.get("scale"), yaml=d, yaml_file=file,
                           nc=nc, imgsz=imgsz, options=options)
    return builder(ctx)


def _require(package: str):
    """Import a reference's package, or raise :class:`ReferenceUnavailable` naming how to install it."""
    try:
        return importlib.import_module(package)
    except ImportError as e:
        raise ReferenceUnavailable(f"reference needs {package!r} ({e}); pip install -e '.[dev]'") from None


# ---------------------------------------------------------------------------------------------------------------------
# Built-in references
# ---------------------------------------------------------------------------------------------------------------------
def _smp_encoder(name: str) -> str:
    """smp's name for a timm encoder (``tu-`` prefix: the same timm network zoo builds)."""
    return name if name.startswith("tu-") else f"tu-{name}"


@register_reference("ultralytics")
def _ultralytics(ctx: ReferenceContext):
    """Ultralytics' own model class, built from the same stock YAML (``yolo26n.yaml`` → ``DetectionModel``)."""
    from zoo import tasks

    row = tasks.row_for(None, ctx.yaml, source=str(ctx.model))  # the task table's Ultralytics class of the YAML
    return row.load("reference")(str(ctx.model), nc=ctx.nc, verbose=False), f"ultralytics:{Path(str(ctx.model)).name}"


@register_reference("sharedhead")
def _sharedhead(ctx: ReferenceContext):
    """YOLO26 of the same scale: the same backbone and neck with Ultralytics' stock ``Detect`` head."""
    from ultralytics.nn.tasks import DetectionModel

    yaml = f"yolo26{ctx.scale}.yaml"
    return DetectionModel(yaml, nc=ctx.nc, verbose=False), f"ultralytics:{yaml}"


@register_reference("deeplabv3p")
def _deeplabv3p(ctx: ReferenceContext):
    """segmentation-models-pytorch's ``DeepLabV3Plus`` on the same timm encoder, untrained."""
    smp = _require("segmentation_models_pytorch")
    encoder = _smp_encoder(ctx.symbol("encoder"))
    m = smp.DeepLabV3Plus(encoder_name=encoder, encoder_weights=None, classes=ctx.nc,
                          encoder_output_stride=int(ctx.symbol("output_stride")))
    return m, f"smp:DeepLabV3Plus({encoder})"


@register_reference("unet")
def _unet(ctx: ReferenceContext):
    """segmentation-models-pytorch's ``Unet`` on the same timm encoder, untrained."""
    smp = _require("segmentation_models_pytorch")
    encoder = _smp_encoder(ctx.symbol("encoder"))
    return smp.Unet(encoder_name=encoder, encoder_weights=None, classes=ctx.nc), f"smp:Unet({encoder})"


@register_reference("vit")
def _vit(ctx: ReferenceContext):
    """timm's ``VisionTransformer`` of the same variant, patch 16, untrained; position embeddings are
    resampled to the benchmark's input size at run time (``dynamic_img_size``)."""
    timm = _require("timm")
    name = f"vit_{ctx.symbol('variant')}_patch16_224"
    return timm.create_model(name, pretrained=False, num_classes=ctx.nc, dynamic_img_size=True), f"timm:{name}"


def _torchvision_segmentation(builder: str, backbone: str, ctx: ReferenceContext):
    """torchvision's segmentation model ``{builder}_{backbone}``, untrained, without its auxiliary head.

    torchvision runs an ``aux_loss=True`` model's auxiliary classifier in eval too; zoo's runs only in training,
    so the inference network both sides time is the one without it.
    """
    segmentation = _require("torchvision.models.segmentation")
    name = f"{builder}_{backbone}"
    options = {} if builder == "lraspp" else {"aux_loss": False}
    m = getattr(segmentation, name)(weights=None, weights_backbone=None, num_classes=ctx.nc, **options)
    return m, f"torchvision:{name}"


@register_reference("deeplabv3")
def _deeplabv3(ctx: ReferenceContext):
    """torchvision's ``deeplabv3_<backbone>`` of the same backbone."""
    return _torchvision_segmentation("deeplabv3", ctx.symbol("backbone"), ctx)


@register_reference("fcn")
def _fcn(ctx: ReferenceContext):
    """torchvision's ``fcn_<backbone>`` of the same backbone."""
    return _torchvision_segmentation("fcn", ctx.symbol("backbone"), ctx)


@register_reference("lraspp")
def _lraspp(ctx: ReferenceContext):
    """torchvision's ``lraspp_mobilenet_v3_large``."""
    return _torchvision_segmentation("lraspp", ctx.symbol("backbone"), ctx)
