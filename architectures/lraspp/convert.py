"""Convert torchvision's LR-ASPP state dicts to zoo's ``lraspp`` layout.

torchvision publishes ``lraspp_mobilenet_v3_large-d234d4ea.pth``: the ``state_dict()`` of
``lraspp_mobilenet_v3_large()``, saved with ``torch.save``. Keys map by prefix:

=======================  ===========================================================
torchvision              zoo (``lraspp.yaml`` layer indices)
=======================  ===========================================================
``backbone.*``           ``model.0.body.*`` (``TorchvisionBackbone``, same children)
``classifier.*``         ``model.3.classifier.*`` (``LiteRASPP``: cbr, scale, low/high classifiers)
=======================  ===========================================================
"""

from __future__ import annotations

from typing import Any

from zoo.weights.converters import rename_prefixes

__all__ = ["from_torchvision", "PREFIXES"]

PREFIXES = (  # (torchvision prefix, zoo prefix)
    ("backbone.", "model.0.body."),
    ("classifier.", "model.3.classifier."),
)


def from_torchvision(state_dict: dict[str, Any], model: Any = None) -> dict[str, Any]:
    """Rename a torchvision LR-ASPP state dict to zoo's keys (zoo.weights' ``(state_dict, model)`` contract).

    Args:
        state_dict (dict[str, torch.Tensor]): ``torch.load("lraspp_mobilenet_v3_large-d234d4ea.pth")``.
        model (torch.nn.Module | None): Target model (unused: the layout is fixed by ``lraspp.yaml``).

    Returns:
        (dict[str, torch.Tensor]): The same tensors under zoo's keys.

    Raises:
        ValueError: For keys outside torchvision's LR-ASPP layout (e.g. an ``aux_classifier``), listed.
    """
    return rename_prefixes(state_dict, PREFIXES, "torchvision's LR-ASPP")
