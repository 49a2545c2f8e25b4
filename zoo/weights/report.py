"""Copy a state dict into a model and report, key by key, what happened.

A bare "Transferred 162/419 items" hides the interesting part. :class:`LoadReport` lists every
key as loaded, re-initialised (shape mismatch, with both shapes), missing (model key absent from
the checkpoint) or unexpected (checkpoint key the model lacks), grouped by layer prefix.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zoo.weights.errors import NonFiniteWeightsError, NonFiniteWeightsWarning, PartialLoadWarning, StrictLoadError

LOGGER = logging.getLogger("zoo.weights")
_NUM = re.compile(r"^\d+$")
#: Below this fraction of matched tensors a load is almost certainly the wrong weights.
MIN_LOADED_FRACTION = 0.5
_NAMED = 5  # non-finite tensors named in a message; the rest are counted


def layer_prefix(key: str) -> str:
    """Group key of a parameter name: everything up to the first numeric part, or the first part.

    ``model.22.cv2.0.weight`` -> ``model.22``; ``blocks.3.attn.qkv.weight`` -> ``blocks.3``;
    ``head.weight`` -> ``head``.

    Args:
        key (str): State-dict key.

    Returns:
        (str): Layer prefix.
    """
    parts = key.split(".")
    for i, p in enumerate(parts[:-1]):
        if _NUM.match(p):
            return ".".join(parts[: i + 1])
    return parts[0] if len(parts) > 1 else key


@dataclass
class LoadReport:
    """What :func:`load_into` did with each key.

    Attributes:
        loaded (list[str]): Keys copied into the model.
        mismatched (dict[str, tuple[tuple[int, ...], tuple[int, ...]]]): Keys left at their fresh
            initialisation because shapes differ: ``key -> (checkpoint shape, model shape)``.
        missing (list[str]): Model keys the checkpoint does not provide (left initialised).
        unexpected (list[str]): Checkpoint keys with no counterpart in the model (ignored).
        source (str): What was loaded (weights name or file).
        notes (list[str]): Extra lines from converters (e.g. the structural layer matching).
    """

    loaded: list[str] = field(default_factory=list)
    mismatched: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every key matched both ways."""
        return not (self.mismatched or self.missing or self.unexpected)

    @property
    def reinitialised_prefixes(self) -> list[str]:
        """Layer prefixes with at least one shape-mismatched (re-initialised) tensor."""
        return list(OrderedDict.fromkeys(layer_prefix(k) for k in self.mismatched))

    def __str__(self) -> str:
        total = len(self.loaded) + len(self.mismatched) + len(self.missing)
        lines = [f"Loaded {len(self.loaded)}/{total} model tensors" + (f" from {self.source}" if self.source else "")]
        lines += [f"  {n}" for n in self.notes]
        lines.append(_group_line("loaded", self.loaded))
        if self.mismatched:
            lines.append(f"  reinitialised {len(self.mismatched)} (shape mismatch, checkpoint -> model):")
            for prefix, keys in _group(self.mismatched).items():
                shapes = "; ".join(
                    f"{k.removeprefix(prefix + '.')} {_shape(self.mismatched[k][0])} -> {_shape(self.mismatched[k][1])}"
                    for k in keys
                )
                lines.append(f"    {prefix}: {shapes}")
        for label, keys in (("missing", self.missing), ("unexpected", self.unexpected)):
            if keys:
                lines.append(_group_line(label, keys))
        return "\n".join(lines)


def _shape(s: tuple[int, ...]) -> str:
    return str(tuple(s))


def _group(keys) -> "OrderedDict[str, list[str]]":
    groups: OrderedDict[str, list[str]] = OrderedDict()
    for k in keys:
        groups.setdefault(layer_prefix(k), []).append(k)
    return groups


def _group_line(label: str, keys: list[str], limit: int = 12) -> str:
    groups = _group(keys)
    shown = [f"{p} ({len(v)})" for p, v in list(groups.items())[:limit]]
    more = f", … {len(groups) - limit} more layers" if len(groups) > limit else ""
    return f"  {label} {len(keys)}" + (f": {', '.join(shown)}{more}" if keys else "")


Converter = Callable[[dict[str, Any], Any], Mapping[str, Any]]


def load_into(model: Any, state_dict: Mapping[str, Any], *, converter: Converter | None = None,
              strict: bool = False, source: str = "", verbose: bool = True, coverage: str = "model",
              after_load: Callable[[Any], list[str]] | None = None) -> LoadReport:
    """Copy matching tensors of ``state_dict`` into ``model`` and report per key.

    Tensors whose shape differs from the model's (e.g. a classification head trained with another
    ``nc``) are not copied: the model keeps its fresh initialisation for them and the report lists
    both shapes. Nothing is copied at all when ``strict`` and anything fails to match.

    Two results are suspect even when nothing fails, and warn (whatever ``verbose`` says):

    * fewer than half of the model's tensors were loaded (for ``coverage="backbone"``: fewer than
      half of the checkpoint's tensors were used): :class:`PartialLoadWarning`, naming the source
      and the counts; weights of another architecture typically load 0 of N;
    * tensors to be loaded hold NaN or Inf: :class:`NonFiniteWeightsWarning`, naming them (the
      first few and the count). With ``strict`` this is a :class:`NonFiniteWeightsError` instead,
      raised before the model is modified.

    Args:
        model (torch.nn.Module): Target model (modified in place).
        state_dict (Mapping[str, torch.Tensor]): Source tensors.
        converter (Callable | None): ``converter(state_dict, model) -> state_dict`` applied first to
            rename keys into the model's layout. It may return a mapping with a ``notes`` attribute
            (list of strings) to add lines to the report.
        strict (bool): Raise (before modifying the model) unless every key matches both ways.
        source (str): Name shown in the report.
        verbose (bool): Log the report through the Ultralytics LOGGER (falls back to ``logging``).
        coverage (str): ``"model"`` (the weights are meant to fill the whole model) or ``"backbone"``
            (only part of it): what the fewer-than-half check counts against.
        after_load (Callable | None): ``after_load(model) -> notes``, run once the tensors are copied (never when
            nothing was loaded), e.g. to make the model standardise inputs as the weights expect; its notes join
            the report.

    Returns:
        (LoadReport): What happened to each key.

    Raises:
        StrictLoadError: With the report, when ``strict`` and keys do not match (a RuntimeError).
        NonFiniteWeightsError: When ``strict`` and a tensor to load holds NaN or Inf.
    """
    import torch

    report = LoadReport(source=source)
    if converter is not None:
        converted = converter(dict(state_dict), model)
        report.notes.extend(getattr(converted, "notes", []) or [])
        state_dict = converted
    own = model.state_dict()
    to_copy: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        target = own.get(key)
        if target is None:
            report.unexpected.append(key)
        elif tuple(value.shape) != tuple(target.shape):
            report.mismatched[key] = (tuple(value.shape), tuple(target.shape))
        else:
            to_copy[key] = value
            report.loaded.append(key)
    report.missing = [k for k in own if k not in state_dict]
    if strict and not report.ok:
        raise StrictLoadError(f"strict loading failed; nothing was loaded:\n{report}")
    _check_finite(to_copy, source=source, strict=strict)
    _check_fraction(report, n_model=len(own), n_checkpoint=len(state_dict), coverage=coverage)
    with torch.no_grad():
        for key, value in to_copy.items():
            # copy_ casts dtype (checkpoints are often fp16) and keeps the model's device and storage
            own[key].copy_(value)
    if after_load is not None:
        report.notes.extend(after_load(model))
    if verbose:
        log = _logger()
        log.info(str(report))
        if report.mismatched:
            log.warning(
                "Re-initialised %s: %d tensor(s) have another shape in the checkpoint (expected when the "
                "number of classes differs from the checkpoint's); they keep their fresh initialisation",
                ", ".join(report.reinitialised_prefixes), len(report.mismatched),
            )
    return report


def _check_fraction(report: LoadReport, *, n_model: int, n_checkpoint: int, coverage: str) -> None:
    """Warn when fewer than half of the tensors matched: almost surely the wrong weights."""
    total = n_checkpoint if coverage == "backbone" else n_model
    if total == 0 or len(report.loaded) >= MIN_LOADED_FRACTION * total:
        return
    counted = "checkpoint tensors were used" if coverage == "backbone" else "model tensors were loaded"
    warnings.warn(
        f"only {len(report.loaded)} of {total} {counted} from {report.source or 'the state dict'} "
        f"({len(report.unexpected)} checkpoint keys have no match in the model, {len(report.mismatched)} differ "
        f"in shape, {len(report.missing)} model tensors keep their fresh initialisation). The weights probably "
        "belong to another architecture or key layout: check the weights name, or pass converter=",
        PartialLoadWarning, stacklevel=3,
    )


def _check_finite(tensors: Mapping[str, Any], *, source: str, strict: bool) -> None:
    """Warn about (or, with ``strict``, refuse) tensors holding NaN or Inf."""
    bad = [k for k, v in tensors.items() if (v.is_floating_point() or v.is_complex()) and not _finite(v)]
    if not bad:
        return
    names = ", ".join(bad[:_NAMED]) + (f" and {len(bad) - _NAMED} more" if len(bad) > _NAMED else "")
    what = f"{len(bad)} tensor(s) from {source or 'the state dict'} hold NaN or Inf values: {names}"
    if strict:
        raise NonFiniteWeightsError(f"{what}; nothing was loaded (strict=True). The checkpoint comes from a "
                                    "diverged run or a broken export: use another one")
    warnings.warn(f"{what}; the model's outputs will be NaN. Use another checkpoint", NonFiniteWeightsWarning,
                  stacklevel=3)


def _finite(t: Any) -> bool:
    import torch

    if t.is_floating_point() and t.element_size() == 1:
        t = t.float()  # torch has no isfinite for the float8 dtypes a safetensors file may hold
    return bool(torch.isfinite(t).all())


def _logger():
    try:
        from ultralytics.utils import LOGGER as ULTRALYTICS_LOGGER

        return ULTRALYTICS_LOGGER
    except ImportError:
        return LOGGER
