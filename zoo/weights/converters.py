"""Key converters: turn a checkpoint's key layout into a zoo model's.

Contract: a converter is ``fn(state_dict: dict[str, Tensor], model: nn.Module) -> Mapping[str, Tensor]``.
It renames (and if needed reshapes) keys; it never loads anything itself. It may return a
:class:`~zoo.weights.align.ConvertedStateDict` to add notes to the load report.

Lookup for ``(layout, model_name)``, first hit wins:

1. the model's own YAML ``converters:`` (``model.yaml``), so that a copy of an architecture's YAML keeps its
   converters; its module is imported only under the registry's trust rule (zoo's own, already imported,
   ``allow_modules`` or an entry point), as a YAML's ``modules:`` is;
2. the architecture's metadata: ``zoo.catalog.get_architecture(model_name).converters[layout]``,
   a ``"pkg.module:function"`` string imported on demand (importing the module also runs any
   ``@register_converter`` in it);
3. a converter registered for ``(layout, arch)``;
4. the generic converter registered for ``(layout, None)``.

Registering the same ``(layout, arch)`` twice is an error unless ``force=True``.
"""

from __future__ import annotations

import collections
import importlib
import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any

from zoo.weights.errors import WeightsError

ConverterFn = Callable[[dict[str, Any], Any], Mapping[str, Any]]
_REGISTRY: dict[tuple[str, str | None], ConverterFn] = {}


def register_converter(layout: str, arch: str | None = None, *, force: bool = False):
    """Decorator registering a converter for a checkpoint layout (and optionally one architecture).

    Args:
        layout (str): Key layout, e.g. ``"smp"``.
        arch (str | None): Architecture (``"deeplabv3p"``), or None for the layout's generic converter.
        force (bool): Replace an existing registration instead of raising.

    Returns:
        (Callable): Decorator returning the function unchanged.

    Examples:
        >>> @register_converter("smp", arch="deeplabv3p")
        ... def smp_to_zoo(state_dict, model):
        ...     return {k.replace("encoder.", "model.0."): v for k, v in state_dict.items()}
    """

    def decorator(fn: ConverterFn) -> ConverterFn:
        key = (layout, arch)
        if key in _REGISTRY and _REGISTRY[key] is not fn and not force:
            old = _REGISTRY[key]
            raise WeightsError(
                f"a converter for layout {layout!r}, arch {arch!r} is already registered "
                f"({old.__module__}.{old.__qualname__}); pass force=True to replace it"
            )
        _REGISTRY[key] = fn
        return fn

    return decorator


def get_converter(layout: str, *, model_name: str | None = None, arch: str | None = None,
                  own: Mapping[str, str] | None = None) -> ConverterFn:
    """Find the converter for a layout and model (see the module docstring for the order).

    Args:
        layout (str): Checkpoint key layout.
        model_name (str | None): zoo model name (``deeplabv3p-s``), used to ask the catalog.
        arch (str | None): Architecture name, if known without the catalog.
        own (Mapping[str, str] | None): The model YAML's own ``converters:`` (layout → ``"module:function"``).

    Returns:
        (Callable): Converter.

    Raises:
        WeightsError: If none fits; the message lists the registered ones.
        ModuleNotAllowedError: The model YAML's converter lives in a module zoo may not import for a file.
    """
    if own and own.get(layout):
        return _import_spec(own[layout], trust_rule=True)
    info = _architecture(model_name)
    if info is not None:
        arch = arch or getattr(info, "arch", None)
        spec = (getattr(info, "converters", None) or {}).get(layout)
        if spec:
            return _import_spec(spec)
    for key in ((layout, arch), (layout, None)):
        if key in _REGISTRY:
            return _REGISTRY[key]
    known = ", ".join(f"{l}/{a or '*'}" for l, a in sorted(_REGISTRY, key=str))
    raise WeightsError(
        f"no converter for layout {layout!r} and architecture {arch!r}. Registered: {known}. Add one with "
        "@zoo.weights.converters.register_converter(layout, arch=...) and list it in the architecture's "
        "metadata"
    )


def _architecture(model_name: str | None):
    """Ask the catalog about a model; None when there is no catalog or no such model."""
    if not model_name:
        return None
    try:
        from zoo.catalog import get_architecture
    except ImportError:
        return None
    try:
        return get_architecture(model_name)
    except (KeyError, LookupError, ValueError):
        return None


def _import_spec(spec: str, *, trust_rule: bool = False) -> ConverterFn:
    """Import ``"module:function"``; with ``trust_rule`` (a spec read from a user's file) only an allowed module."""
    module, _, attr = str(spec).partition(":")
    if not module or not attr:
        raise WeightsError(f"bad converter reference {spec!r}: expected 'package.module:function'")
    if trust_rule:  # no file makes code run (design rule 7): the registry decides, before any import
        from zoo.registry import MODULES

        MODULES.import_trusted(module, source=f"converters: {spec}")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise WeightsError(f"cannot import converter {spec!r}: {e}") from None


def registered() -> dict[tuple[str, str | None], ConverterFn]:
    """Return a copy of the registry (for listing and tests)."""
    return dict(_REGISTRY)


# ---------------------------------------------------------------------------------------------
# built-in converters


@register_converter("zoo")
def identity(state_dict: dict[str, Any], model: Any) -> Mapping[str, Any]:
    """Keys already match the model (zoo's own files)."""
    return state_dict


# A torchvision ResNet classifier's keys (resnet18 ... resnet152). timm's ResNet uses the same names and shapes,
# which tests/weights/test_torchvision_converter.py checks against both libraries' models.
_TV_RESNET_KEY = re.compile(
    r"^(conv1\.weight|bn1\.[a-z_]+|fc\.(weight|bias)"
    r"|layer[1-4]\.\d+\.(conv[1-3]\.weight|bn[1-3]\.[a-z_]+|downsample\.[01]\.[a-z_]+))$"
)


@register_converter("torchvision")
def torchvision_to_model(state_dict: dict[str, Any], model: Any, *, prefix: str | None = None) -> Mapping[str, Any]:
    """torchvision ImageNet ResNets into zoo models built on timm's ResNet (the encoders of deeplabv3p and unet).

    A file whose keys all exist in the model already (a zoo model made of torchvision modules) is returned as is.
    Otherwise the file must be a torchvision ResNet classifier (``conv1``, ``bn1``, ``layer1-4``, ``fc``): each key
    keeps its name, because timm's ResNet names and shapes its tensors as torchvision does, and the whole file is
    placed under the sub-module that holds the timm ResNet (``prefix``, else inferred as for timm files). The
    classifier ``fc`` then has no counterpart in an encoder and is reported as unexpected. Other torchvision
    families (MobileNetV3's ``features.*``, ViT's ``encoder.*``) name their tensors unlike timm and are refused here;
    whole torchvision models load through their family's converter (``converters:`` in its YAML).

    Args:
        state_dict (dict[str, torch.Tensor]): A torchvision state dict (``torch.save(model.state_dict())``).
        model (torch.nn.Module): Target model.
        prefix (str | None): Sub-module prefix ending with ``.``; None to infer.

    Returns:
        (Mapping[str, torch.Tensor]): The state dict in the model's keys, with a note naming the prefix.

    Raises:
        WeightsError: If the file is neither in the model's keys nor a torchvision ResNet classifier.
    """
    from zoo.weights.align import ConvertedStateDict

    clean = {_unwrapped(key): value for key, value in state_dict.items()}
    own = model.state_dict()
    if prefix is None and all(k in own for k in clean):
        return clean
    foreign = [k for k in clean if not _TV_RESNET_KEY.match(k)]
    if foreign:
        raise WeightsError(
            f"layout 'torchvision': {len(foreign)} of {len(clean)} keys are not a torchvision ResNet classifier's "
            f"(e.g. {', '.join(foreign[:3])}). zoo converts torchvision ResNets into timm-based encoders; a whole "
            "torchvision model loads through its family's converter (converters: in the architecture YAML)"
        )
    if prefix is None:
        prefix = infer_prefix(clean, own)
    return ConvertedStateDict({prefix + k: v for k, v in clean.items()},
                              notes=[f"torchvision ResNet keys (timm's names) placed under {prefix!r}"])


_WRAPPERS = ("module.", "_orig_mod.")  # DataParallel/DDP and torch.compile wrappers
# torchvision.models.segmentation models' top-level children (deeplabv3_*, lraspp_*, fcn_*)
_TV_SEGMENTATION_PREFIXES = ("backbone.", "classifier.", "aux_classifier.")


def _unwrapped(key: str) -> str:
    for w in _WRAPPERS:
        key = key.removeprefix(w)
    return key


def looks_like_torchvision(state_dict: Mapping[str, Any]) -> bool:
    """Whether a state dict is a torchvision ResNet classifier's or a torchvision segmentation model's.

    timm's ResNets name their tensors as torchvision's do, so a timm ResNet file answers yes too; the ``torchvision``
    converter places both under the model's encoder. Segmentation files go to their family's converter.
    """
    keys = [_unwrapped(k) for k in state_dict]
    if keys and all(_TV_RESNET_KEY.match(k) for k in keys):
        return True
    return any(k.startswith("backbone.") for k in keys) and all(k.startswith(_TV_SEGMENTATION_PREFIXES) for k in keys)


@register_converter("timm")
def timm_to_model(state_dict: dict[str, Any], model: Any, *, prefix: str | None = None) -> Mapping[str, Any]:
    """Place timm keys under the sub-module that holds the timm network.

    Wrapper prefixes (``module.``, ``_orig_mod.``) are stripped. The target prefix is ``prefix``
    if given, else inferred: the model prefix under which most checkpoint keys exist with the same
    shape (``""`` when the model *is* the timm network, ``model.0.backbone.`` when it is nested).

    Args:
        state_dict (dict[str, torch.Tensor]): timm state dict.
        model (torch.nn.Module): Target model.
        prefix (str | None): Sub-module prefix ending with ``.`` (or ``""``); None to infer.

    Returns:
        (ConvertedStateDict): Renamed state dict, with a note naming the prefix used.
    """
    from zoo.weights.align import ConvertedStateDict

    clean = {_unwrapped(key): value for key, value in state_dict.items()}
    if prefix is None:
        prefix = infer_prefix(clean, model.state_dict())
    out = ConvertedStateDict({prefix + k: v for k, v in clean.items()})
    if prefix:
        out.notes.append(f"timm keys placed under {prefix!r}")
    return out


def rename_prefixes(state_dict: Mapping[str, Any], prefixes: tuple[tuple[str, str], ...], layout: str) -> dict[str, Any]:
    """Rename keys by their leading prefix (``(source prefix, zoo prefix)`` pairs), refusing any other key.

    The shared body of the architecture converters whose layout differs from zoo's by prefixes alone
    (torchvision's segmentation models).

    Args:
        state_dict (Mapping[str, torch.Tensor]): The upstream state dict.
        prefixes (tuple[tuple[str, str], ...]): The first matching pair renames a key.
        layout (str): The upstream layout's name, for the error (``"torchvision's FCN"``).

    Returns:
        (dict[str, torch.Tensor]): The same tensors under zoo's keys.

    Raises:
        ValueError: For keys no prefix matches, listed (the first eight).
    """
    out, unknown = {}, []
    for key, value in state_dict.items():
        new = next((zoo + key[len(src) :] for src, zoo in prefixes if key.startswith(src)), None)
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    if unknown:
        more = " ..." if len(unknown) > 8 else ""
        raise ValueError(f"keys outside {layout} layout: {unknown[:8]}{more}")
    return out


def infer_prefix(source: Mapping[str, Any], target: Mapping[str, Any]) -> str:
    """Return the prefix ``p`` maximising the number of source keys ``k`` with ``p + k`` in target.

    Args:
        source (Mapping[str, torch.Tensor]): Checkpoint keys.
        target (Mapping[str, torch.Tensor]): Model state dict.

    Returns:
        (str): Best prefix (``""`` if nothing better).
    """
    votes: collections.Counter[str] = collections.Counter()
    for tkey, tval in target.items():
        for skey, sval in _suffix_candidates(tkey, source):
            if tuple(sval.shape) == tuple(tval.shape):
                votes[tkey[: len(tkey) - len(skey)]] += 1
    return votes.most_common(1)[0][0] if votes else ""


def _suffix_candidates(tkey: str, source: Mapping[str, Any]):
    parts = tkey.split(".")
    for i in range(len(parts)):
        suffix = ".".join(parts[i:])
        if suffix in source:
            yield suffix, source[suffix]


@register_converter("ultralytics")
def ultralytics_to_model(state_dict: dict[str, Any], model: Any) -> Mapping[str, Any]:
    """Ultralytics keys (``model.<i>.…``), re-aligned by structure when the YAML was edited.

    Args:
        state_dict (dict[str, torch.Tensor]): State dict of a pickled Ultralytics model
            (``ckpt["ema" or "model"].float().state_dict()``, see :func:`zoo.weights.io.extract_state_dict`).
        model (torch.nn.Module): Target model.

    Returns:
        (ConvertedStateDict): Remapped state dict with notes on the structural match.
    """
    from zoo.weights.align import remap_layers

    return remap_layers(state_dict, model.state_dict())


def call_converter(fn: ConverterFn, state_dict: dict[str, Any], model: Any, **options: Any) -> Mapping[str, Any]:
    """Call a converter, passing only the options its signature accepts (e.g. ``prefix``)."""
    params = inspect.signature(fn).parameters
    accepted = {k: v for k, v in options.items() if k in params or any(
        p.kind is p.VAR_KEYWORD for p in params.values())}
    return fn(state_dict, model, **accepted)
