"""Convert segmentation_models_pytorch ``Unet`` checkpoints to zoo's ``unet`` layout.

=================================  ==========================================
smp                                zoo (``unet.yaml`` layer indices)
=================================  ==========================================
``encoder.model.*`` (``tu-``)      ``model.0.model.*``
``encoder.*`` (smp ResNets)        ``model.0.model.*``
``decoder.blocks.{i}.*``           ``model.{6 + i}.*`` (``conv1``, ``conv2``)
``segmentation_head.0.*``          ``model.11.classifier.*``
=================================  ==========================================
"""

from __future__ import annotations

from typing import Any

from zoo.architectures.deeplabv3p.convert import encoder_symbols, rename_encoder_key

__all__ = ["from_smp", "model_overrides", "rename_keys"]

_FIRST_BLOCK, _HEAD = 6, 11  # layer indices in unet.yaml


def rename_keys(state_dict: dict[str, Any], model: Any = None) -> dict[str, Any]:
    """Rename an smp Unet state dict to zoo's keys (``model`` unused; zoo.weights' converter contract).

    Raises:
        ValueError: For keys with no zoo counterpart (attention, center block, classification head), listed.
    """
    out, unknown = {}, []
    for key, value in state_dict.items():
        new = rename_encoder_key(key)
        if new is None and key.startswith("decoder.blocks."):
            index, _, rest = key.removeprefix("decoder.blocks.").partition(".")
            if rest.startswith(("conv1.", "conv2.")):
                new = f"model.{_FIRST_BLOCK + int(index)}.{rest}"
        elif new is None and key.startswith("segmentation_head.0."):
            new = f"model.{_HEAD}.classifier." + key.removeprefix("segmentation_head.0.")
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    if unknown:
        more = " ..." if len(unknown) > 8 else ""
        raise ValueError(f"smp Unet keys without a zoo counterpart: {unknown[:8]}{more}")
    return out


def model_overrides(config: dict) -> dict[str, Any]:
    """zoo model options (``nc``, ``ch``, ``symbols``) reproducing an smp Unet ``config.json``.

    Raises:
        ValueError: For smp options zoo's unet does not mirror, named with their values.
    """
    expected = {
        "decoder_channels": [256, 128, 64, 32, 16],
        "encoder_depth": 5,
        "decoder_attention_type": None,
        "decoder_interpolation": "nearest",
        "decoder_use_norm": "batchnorm",
        "activation": None,
        "aux_params": None,
    }
    wrong = {k: config[k] for k, v in expected.items() if k in config and _norm(config[k]) != _norm(v)}
    if wrong:
        raise ValueError(f"smp Unet options not supported by zoo's unet: {wrong} (zoo: {expected})")
    symbols = encoder_symbols(config.get("encoder_name", "resnet34"))
    symbols.pop("dilation")  # the U-Net encoder is not dilated (output stride 32)
    return {"nc": int(config.get("classes", 1)), "ch": int(config.get("in_channels", 3)), "symbols": symbols}


def _norm(v: Any) -> Any:
    if v is True:  # smp's deprecated decoder_use_batchnorm=True means "batchnorm"
        return "batchnorm"
    return list(v) if isinstance(v, tuple) else v


def from_smp(state_dict: dict[str, Any], config: dict) -> tuple[dict[str, Any], dict[str, Any]]:
    """Convert an smp Unet checkpoint.

    Args:
        state_dict (dict[str, torch.Tensor]): ``model.safetensors`` contents.
        config (dict): ``config.json`` contents.

    Returns:
        (tuple[dict, dict]): zoo's state dict and the model overrides (``{"nc", "ch", "symbols": {"encoder"}}``).
    """
    return rename_keys(state_dict), model_overrides(config)
