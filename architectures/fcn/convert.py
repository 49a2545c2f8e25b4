"""Convert torchvision's FCN state dicts to zoo's ``fcn`` layout.

torchvision publishes ``fcn_resnet*_coco-*.pth``: the ``state_dict()`` of ``fcn_resnet50(aux_loss=True)`` (and
``fcn_resnet101``), saved with ``torch.save``. Keys map by prefix:

=======================  ===========================================================
torchvision              zoo (``fcn.yaml`` layer indices)
=======================  ===========================================================
``backbone.*``           ``model.0.body.*`` (``TorchvisionBackbone``, same children)
``classifier.*``         ``model.3.classifier.*`` (``FCNHead``)
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
    """Rename a torchvision FCN state dict to zoo's keys (zoo.weights' ``(state_dict, model)`` contract).

    Args:
        state_dict (dict[str, torch.Tensor]): ``torch.load("fcn_resnet50_coco-1167a1af.pth")``.
        model (torch.nn.Module | None): Target model (unused: the layout is fixed by ``fcn.yaml``).

    Returns:
        (dict[str, torch.Tensor]): The same tensors under zoo's keys. Aux keys are kept even for a model built
            with ``aux: false``; the load report lists them as unexpected.

    Raises:
        ValueError: For keys outside torchvision's FCN layout, listed.
    """
    return rename_prefixes(state_dict, PREFIXES, "torchvision's FCN")
