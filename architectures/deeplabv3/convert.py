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

from zoo.weights.converters import rename_prefixes

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
    return rename_prefixes(state_dict, PREFIXES, "torchvision's DeepLabV3")
