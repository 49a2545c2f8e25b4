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
    out, unknown = {}, []
    for key, value in state_dict.items():
        new = next((zoo + key[len(tv) :] for tv, zoo in PREFIXES if key.startswith(tv)), None)
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    if unknown:
        more = " ..." if len(unknown) > 8 else ""
        raise ValueError(f"keys outside torchvision's FCN layout: {unknown[:8]}{more}")
    return out
