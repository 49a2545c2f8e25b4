"""Resolve Ultralytics stock modules, ``nn.*`` and ``torchvision.ops.*`` to registry entries."""

from __future__ import annotations

import functools

import torch
import ultralytics.nn.modules as ultralytics_modules

from zoo import rules
from zoo.registry import Entry
from zoo.stock import STOCK_RULES, TORCH_NN_RULES


@functools.lru_cache(maxsize=None)
def resolve(name: str) -> Entry | None:
    """Return the entry for a stock module name, or None if ``name`` is not a stock module.

    Args:
        name (str): ``Conv``, ``nn.Upsample``, ``torchvision.ops.DeformConv2d``...
    """
    if name.startswith("nn."):
        cls = getattr(torch.nn, name[3:], None)
        rule = TORCH_NN_RULES.get(name[3:], rules.same())
        source = f"torch.nn.{name[3:]}"
    elif name.startswith("torchvision.ops."):
        import torchvision

        cls = getattr(torchvision.ops, name[len("torchvision.ops.") :], None)
        rule, source = rules.same(), name
    elif "." not in name:
        cls = getattr(ultralytics_modules, name, None)
        rule = STOCK_RULES.get(name, rules.same())
        source = f"ultralytics stock module {name}"
    else:
        return None
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        return None
    return Entry(name, cls, rule, source)

