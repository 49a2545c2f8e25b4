"""Match an Ultralytics-layout checkpoint to a model by structure, not by layer index.

When a YAML is edited (a layer inserted or removed), ``model.<i>.`` indices shift and a plain
key match loads nothing after the edit. Each layer is summarised as a signature (its parameter
names and shapes); ``difflib.SequenceMatcher`` aligns the checkpoint's sequence of signatures
with the model's, and matched layers' ``model.<i>.`` prefixes are renamed to the model's index.
Layers with the same parameter names but other shapes in a same-length "replace" run (typically
the head after an ``nc`` change) are paired too, so they show up as re-initialised rather than as
missing plus unexpected.
"""

from __future__ import annotations

import difflib
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

_LAYER = re.compile(r"^model\.(\d+)\.(.+)$")


class ConvertedStateDict(dict):
    """A state dict that carries notes for the load report (see :func:`zoo.weights.report.load_into`)."""

    notes: list[str]

    def __init__(self, *args, notes: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.notes = list(notes or [])


def layer_signatures(state_dict: Mapping[str, Any]) -> "OrderedDict[int, tuple]":
    """Summarise each ``model.<i>.`` layer as ``((suffix, shape), ...)``.

    Args:
        state_dict (Mapping[str, torch.Tensor]): Ultralytics-layout state dict.

    Returns:
        (OrderedDict[int, tuple]): Layer index -> signature, in index order.
    """
    layers: dict[int, list] = {}
    for key, value in state_dict.items():
        m = _LAYER.match(key)
        if m:
            layers.setdefault(int(m.group(1)), []).append((m.group(2), tuple(value.shape)))
    return OrderedDict((i, tuple(sorted(layers[i]))) for i in sorted(layers))


def _names(signature: tuple) -> tuple:
    return tuple(name for name, _ in signature)


def align_layers(source: Mapping[str, Any], target: Mapping[str, Any]) -> tuple[dict[int, int], list[str]]:
    """Find which checkpoint layer goes to which model layer.

    Args:
        source (Mapping[str, torch.Tensor]): Checkpoint state dict.
        target (Mapping[str, torch.Tensor]): Model state dict.

    Returns:
        (tuple[dict[int, int], list[str]]): Mapping checkpoint index -> model index, and
            human-readable notes describing the match.
    """
    src, dst = layer_signatures(source), layer_signatures(target)
    s_idx, d_idx = list(src), list(dst)
    matcher = difflib.SequenceMatcher(a=list(src.values()), b=list(dst.values()), autojunk=False)
    mapping: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            mapping.update({s_idx[i1 + k]: d_idx[j1 + k] for k in range(i2 - i1)})
        elif tag == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):  # same parameter names, other shapes: e.g. a head with another nc
                if _names(src[s_idx[i1 + k]]) == _names(dst[d_idx[j1 + k]]):
                    mapping[s_idx[i1 + k]] = d_idx[j1 + k]
    moved = {s: d for s, d in mapping.items() if s != d}
    notes = []
    if moved:
        notes.append("structural match (checkpoint layer -> model layer): " + _ranges(moved))
    new = [d for d in d_idx if d not in mapping.values()]
    dropped = [s for s in s_idx if s not in mapping]
    if new:
        notes.append(f"model layers without a checkpoint counterpart: {', '.join(map(str, new))}")
    if dropped:
        notes.append(f"checkpoint layers not used: {', '.join(map(str, dropped))}")
    return mapping, notes


def _ranges(moved: dict[int, int]) -> str:
    """Format ``{10: 11, 11: 12, 12: 13}`` as ``10-12 -> 11-13``."""
    items = sorted(moved.items())
    runs, start = [], items[0]
    prev = start
    for s, d in items[1:]:
        if s == prev[0] + 1 and d == prev[1] + 1:
            prev = (s, d)
            continue
        runs.append((start, prev))
        start = prev = (s, d)
    runs.append((start, prev))
    fmt = lambda a, b: str(a) if a == b else f"{a}-{b}"  # noqa: E731
    return ", ".join(f"{fmt(a[0], b[0])} -> {fmt(a[1], b[1])}" for a, b in runs)


def remap_layers(state_dict: Mapping[str, Any], target: Mapping[str, Any]) -> ConvertedStateDict:
    """Rename ``model.<i>.`` prefixes of ``state_dict`` to the model's structurally matching layers.

    Keys of layers with no match keep their names (and are reported as unexpected or
    re-initialised by the loader). If the indices already line up, the state dict is unchanged.

    Args:
        state_dict (Mapping[str, torch.Tensor]): Checkpoint state dict (Ultralytics layout).
        target (Mapping[str, torch.Tensor]): The model's state dict.

    Returns:
        (ConvertedStateDict): Renamed state dict with notes on the match.
    """
    mapping, notes = align_layers(state_dict, target)
    if all(s == d for s, d in mapping.items()):
        return ConvertedStateDict(state_dict, notes=notes)
    out = ConvertedStateDict(notes=notes)
    used = set()
    for key, value in state_dict.items():
        m = _LAYER.match(key)
        if m and int(m.group(1)) in mapping:
            key = f"model.{mapping[int(m.group(1))]}.{m.group(2)}"
        elif m:
            key = f"unmatched.{key}"  # keep it visible as unexpected without colliding with a renamed layer
        if key in used:
            continue
        used.add(key)
        out[key] = value
    return out
