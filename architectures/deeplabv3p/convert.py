"""Convert segmentation_models_pytorch ``DeepLabV3Plus`` checkpoints to zoo's ``deeplabv3p`` layout.

smp publishes ``model.safetensors`` and ``config.json`` (``model.save_pretrained(dir)``). The keys map by prefix:

=================================  ==========================================
smp                                zoo (``deeplabv3p.yaml`` layer indices)
=================================  ==========================================
``encoder.model.*`` (``tu-``)      ``model.0.model.*`` (timm features_only)
``encoder.*`` (smp ResNets)        ``model.0.model.*`` (same names in timm)
``decoder.aspp.0.*``               ``model.2.*`` (ASPP ``convs``, ``project``)
``decoder.aspp.{1,2}.*``           ``model.2.refine.{0,1}.*``
``decoder.block1.*``               ``model.4.low.*``
``decoder.block2.*``               ``model.4.fuse.*``
``segmentation_head.0.*``          ``model.4.classifier.*``
=================================  ==========================================

smp's own ResNet encoders are torchvision ResNets, whose parameter names and computation equal timm's ``resnet*``;
they dilate every convolution of a dilated stage, hence ``dilation: uniform`` in the returned symbols.
"""

from __future__ import annotations

from typing import Any

__all__ = ["from_smp", "model_overrides", "rename_keys", "encoder_symbols"]

# smp encoders (non tu-) whose weights are timm models of the same name, key for key
_SMP_NATIVE = {f"resnet{d}" for d in (18, 34, 50, 101, 152)}

_DECODER = (  # (smp prefix, zoo prefix), first match wins
    ("decoder.aspp.0.", "model.2."),
    ("decoder.aspp.1.", "model.2.refine.0."),
    ("decoder.aspp.2.", "model.2.refine.1."),
    ("decoder.block1.", "model.4.low."),
    ("decoder.block2.", "model.4.fuse."),
    ("segmentation_head.0.", "model.4.classifier."),
)


def encoder_symbols(encoder_name: str) -> dict[str, str]:
    """zoo symbols (``encoder``, ``dilation``) for an smp encoder name.

    Args:
        encoder_name (str): smp's ``encoder_name``: ``resnet34`` or ``tu-<timm name>``.

    Returns:
        (dict[str, str]): ``{"encoder": timm name, "dilation": "uniform" | "timm"}``.

    Raises:
        ValueError: For smp encoders zoo cannot mirror exactly (not ``tu-`` and not a ResNet).
    """
    if encoder_name.startswith("tu-"):
        return {"encoder": encoder_name[3:], "dilation": "timm"}
    if encoder_name in _SMP_NATIVE:
        return {"encoder": encoder_name, "dilation": "uniform"}
    raise ValueError(
        f"smp encoder {encoder_name!r} has no exact timm equivalent in zoo; supported: "
        f"{', '.join(sorted(_SMP_NATIVE))} and any 'tu-<timm name>' encoder"
    )


def rename_encoder_key(key: str) -> str | None:
    """zoo key for an smp encoder key (``encoder.*``), or None if ``key`` is not an encoder key."""
    if key.startswith("encoder.model."):
        return "model.0.model." + key.removeprefix("encoder.model.")
    if key.startswith("encoder."):
        return "model.0.model." + key.removeprefix("encoder.")
    return None


def rename_keys(state_dict: dict[str, Any], model: Any = None) -> dict[str, Any]:
    """Rename an smp DeepLabV3Plus state dict to zoo's keys (zoo.weights' ``(state_dict, model)`` contract).

    With ``model`` given, the result carries a load-report note when the model's encoder is not dilated the way the
    checkpoint's was (smp's own ResNets: ``dilation: uniform``; ``tu-`` encoders: ``timm``): the weights load, but
    outputs differ from smp's until the model is built with the symbols :func:`model_overrides` gives.

    Raises:
        ValueError: For keys with no zoo counterpart (e.g. smp's ``classification_head``), listed.
    """
    from zoo.weights.align import ConvertedStateDict

    out, unknown = ConvertedStateDict(), []
    for key, value in state_dict.items():
        new = rename_encoder_key(key)
        if new is None:
            new = next((zoo + key[len(smp) :] for smp, zoo in _DECODER if key.startswith(smp)), None)
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    if unknown:
        more = " ..." if len(unknown) > 8 else ""
        raise ValueError(f"smp DeepLabV3Plus keys without a zoo counterpart: {unknown[:8]}{more}")
    note = _dilation_note(state_dict, model)
    if note:
        out.notes.append(note)
    return out


def _dilation_note(state_dict: dict[str, Any], model: Any) -> str | None:
    """Say so when the target encoder's dilation scheme differs from the checkpoint's."""
    from zoo.nn.blocks import TimmEncoder

    modules = model.modules() if hasattr(model, "modules") else ()
    encoder = next((m for m in modules if isinstance(m, TimmEncoder)), None)
    if encoder is None or encoder.output_stride == 32:
        return None
    wanted = "timm" if any(k.startswith("encoder.model.") for k in state_dict) else "uniform"
    if encoder.dilation == wanted:
        return None
    return (
        f"smp checkpoint was dilated {wanted!r} but the model's encoder is {encoder.dilation!r}: outputs will differ "
        f"from smp's; build with symbols {{'dilation': {wanted!r}}} (see zoo.architectures.deeplabv3p.convert.from_smp)"
    )


def model_overrides(config: dict) -> dict[str, Any]:
    """zoo model options (``nc``, ``symbols``) reproducing an smp DeepLabV3Plus ``config.json``.

    Raises:
        ValueError: For smp options zoo does not mirror (another decoder width, encoder depth, upsampling,
            activation, auxiliary classifier), named with their values.
    """
    expected = {"decoder_channels": 256, "encoder_depth": 5, "upsampling": 4, "activation": None, "aux_params": None}
    wrong = {k: config[k] for k, v in expected.items() if k in config and config[k] != v}
    if wrong:
        raise ValueError(f"smp DeepLabV3Plus options not supported by zoo's deeplabv3p: {wrong} (zoo: {expected})")
    if not config.get("decoder_aspp_separable", True):
        raise ValueError("smp DeepLabV3Plus with decoder_aspp_separable=False is not supported (zoo uses separable)")
    symbols = encoder_symbols(config.get("encoder_name", "resnet34"))
    symbols["output_stride"] = int(config.get("encoder_output_stride", 16))
    symbols["rates"] = [int(r) for r in config.get("decoder_atrous_rates", (12, 24, 36))]
    return {"nc": int(config.get("classes", 1)), "ch": int(config.get("in_channels", 3)), "symbols": symbols}


def from_smp(state_dict: dict[str, Any], config: dict) -> tuple[dict[str, Any], dict[str, Any]]:
    """Convert an smp DeepLabV3Plus checkpoint.

    Args:
        state_dict (dict[str, torch.Tensor]): ``model.safetensors`` contents.
        config (dict): ``config.json`` contents (``encoder_name``, ``classes``, ``encoder_output_stride``...).

    Returns:
        (tuple[dict, dict]): zoo's state dict and the model overrides to build with
            (``{"nc", "ch", "symbols": {"encoder", "dilation", "output_stride", "rates"}}``).

    Examples:
        >>> sd, overrides = from_smp(load_file("model.safetensors"), json.load(open("config.json")))
    """
    return rename_keys(state_dict), model_overrides(config)
