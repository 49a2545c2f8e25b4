"""Convert torchvision's DeepLabV3 state dicts to zoo's ``deeplabv3`` layout.

torchvision publishes ``deeplabv3_*.pth``: the ``state_dict()`` of ``deeplabv3_resnet50(aux_loss=True)`` (and
``_resnet101``, ``_mobilenet_v3_large``), saved with ``torch.save``. Keys map by prefix:

=======================  ===========================================================
torchvision              zoo (``deeplabv3.yaml`` layer indices)
=======================  ===========================================================
``backbone.*``           ``model.0.body.*`` (``TorchvisionBackbone``, same children)
``classifier.*``         ``model.3.classifier.*`` (``DeepLabHead``: ASPP, conv, BN, ReLU, conv)
``aux_classifier.*``     ``model.3.aux_head.*`` (``FCNHead``)
=======================  ===========================================================
"""

from __future__ import annotations

from typing import Any

__all__ = ["from_torchvision", "PREFIXES"]

PREFIXES = (  # (torchvision prefix, zoo prefix)
    ("backbone.", "model.0.body."),
    ("classifier.", "model.3.classifier."),
    ("aux_classifier.", "model.3.aux_head."),
)


def from_torchvision(state_dict: dict[str, Any], model: Any = None) -> dict[str, Any]:
    """Rename a torchvision DeepLabV3 state dict to zoo's keys (zoo.weights' ``(state_dict, model)`` contract).

    Args:
        state_dict (dict[str, torch.Tensor]): ``torch.load("deeplabv3_resnet50_coco-cd0a2569.pth")``.
        model (torch.nn.Module | None): Target model (unused: the layout is fixed by ``deeplabv3.yaml``).

    Returns:
        (dict[str, torch.Tensor]): The same tensors under zoo's keys. Aux keys are kept even for a model built
            with ``aux: false``; the load report lists them as unexpected.

    Raises:
        ValueError: For keys outside torchvision's DeepLabV3 layout, listed.
    """
    out, unknown = {}, []
    for key, value in state_dict.items():
        new = next((zoo + key[len(tv) :] for tv, zoo in PREFIXES if key.startswith(tv)), None)
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    if unknown:
        more = " ..." if len(unknown) > 8 else ""
        raise ValueError(f"keys outside torchvision's DeepLabV3 layout: {unknown[:8]}{more}")
    return out
