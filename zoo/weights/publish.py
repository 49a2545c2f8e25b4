"""``publish``: turn a trained model or checkpoint into a safetensors file plus a manifest entry.

The file does not depend on pickled class paths: tensors in safetensors, and in its metadata the
architecture, scale, ``nc``, ``names`` and the model's YAML dict (as JSON), so the model can be
rebuilt from the registry and loaded with ``layout: zoo``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from zoo.weights.cache import sha256_file
from zoo.weights.errors import ManifestError, PickleRefusedError, WeightsError
from zoo.weights.io import PickleMode
from zoo.weights.manifest import SCHEMA_VERSION, WeightsEntry, validate_entry, validate_manifest
from zoo.weights.manifest_io import read_manifest_json
from zoo.weights.safe_files import temporary_sibling, write_atomic
from zoo.weights.names import split_name


def publish(checkpoint_or_model: Any, *, name: str, out_dir: str | os.PathLike,
            metrics: dict[str, float] | None = None, manifest: str | os.PathLike | None = None,
            license: str = "unspecified", dataset: str | None = None, default: bool = False,
            overwrite: bool = False, allow_pickle: PickleMode = False) -> WeightsEntry:
    """Write ``<out_dir>/<name>.safetensors`` and its manifest entry.

    Args:
        checkpoint_or_model (torch.nn.Module | str | os.PathLike): A model, or the path of an Ultralytics
            checkpoint (``best.pt``), read with ``allow_pickle=True`` (restricted) or ``"trusted"``.
        name (str): ``"<model>.<tag>"``, e.g. ``"deeplabv3p-s.voc"``.
        out_dir (str | os.PathLike): Folder for the safetensors file (created).
        metrics (dict[str, float] | None): Metrics to record; default the checkpoint's ``train_metrics``.
        manifest (str | os.PathLike | None): Manifest JSON to add the entry to (created if absent).
        license (str): License of the weights.
        dataset (str | None): Dataset the weights were trained on.
        default (bool): Mark as the model's DEFAULT weights.
        overwrite (bool): Replace an existing entry of the same name in ``manifest``.
        allow_pickle (bool | "trusted"): ``True`` (zoo's restricted unpickler) or ``"trusted"`` to publish
            from a ``.pt`` path.

    Returns:
        (WeightsEntry): The validated entry (also written to ``manifest`` if given).
    """
    from safetensors.torch import save_file

    model_name, _ = split_name(name)
    model, ckpt_metrics = _model_from(checkpoint_or_model, allow_pickle)
    metrics = dict(metrics if metrics is not None else ckpt_metrics or {})
    yaml = getattr(model, "yaml", None) if isinstance(getattr(model, "yaml", None), dict) else {}
    names = _names(getattr(model, "names", None) or yaml.get("names"))
    nc = getattr(model, "nc", None) or yaml.get("nc") or (len(names) if names else None)
    meta = {
        "format": "pt",  # what safetensors.torch readers expect
        "layout": "zoo",
        "zoo_name": name,
        "architecture": _arch(model, yaml, model_name),
        "scale": str(yaml.get("scale") or _scale(model_name)),
        "nc": json.dumps(nc),
        "names": json.dumps(names),
        "yaml": json.dumps(yaml, default=str),
    }
    # clone: safetensors refuses tensors that share storage (tied weights, views)
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / f"{name}.safetensors"
    # a fresh, randomly named temporary file (never a link planted at a fixed '.incomplete' name)
    with temporary_sibling(dest) as (f, tmp):
        f.close()
        save_file(tensors, str(tmp), metadata=meta)
        os.replace(tmp, dest)
    manifest_path = Path(manifest) if manifest is not None else None
    base = manifest_path.parent if manifest_path is not None else out_dir
    try:
        source = dest.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        source = str(dest.resolve())
    raw: dict[str, Any] = {
        "source": source, "sha256": sha256_file(dest), "size": dest.stat().st_size,
        "format": "safetensors", "layout": "zoo", "coverage": "model", "license": license,
        "metrics": {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))},
    }
    if nc is not None:
        raw["nc"] = int(nc)
    if names:
        raw["names"] = names
    if dataset:
        raw["dataset"] = dataset
    if default:
        raw["default"] = True
    entry = validate_entry(name, raw, path=base / (manifest_path.name if manifest_path else "weights_manifest.json"))
    if manifest_path is not None:
        _add_to_manifest(manifest_path, name, raw, overwrite=overwrite)
    return entry


def _model_from(obj: Any, allow_pickle: PickleMode):
    import torch

    if isinstance(obj, torch.nn.Module):
        return obj, None
    path = Path(obj)
    if allow_pickle is False:
        raise PickleRefusedError(
            f"publishing from {path.name} reads a pickled checkpoint; pass allow_pickle=True (zoo's restricted "
            "unpickler, no code runs) or 'trusted' (full unpickling) for your own training output, or pass the model"
        )
    from zoo.weights.checkpoint import read_checkpoint

    ckpt = read_checkpoint(path, trusted=allow_pickle == "trusted")
    if isinstance(ckpt, torch.nn.Module):
        return ckpt.float(), None
    model = ckpt.get("ema") or ckpt.get("model")
    if not isinstance(model, torch.nn.Module):
        raise WeightsError(f"{path} holds no model under 'ema' or 'model'")
    return model.float(), ckpt.get("train_metrics")


def _names(names: Any) -> list[str] | None:
    if isinstance(names, dict):
        return [str(names[k]) for k in sorted(names)]
    return [str(n) for n in names] if names else None


def _arch(model: Any, yaml: dict, model_name: str) -> str:
    from zoo.weights.converters import _architecture

    info = _architecture(model_name)
    return (getattr(model, "zoo_arch", None) or yaml.get("architecture")
            or getattr(info, "arch", None) or model_name.split("-")[0])


def _scale(model_name: str) -> str:
    last = model_name.rsplit("-", 1)[-1]
    return last if len(last) == 1 else ""


def _add_to_manifest(path: Path, name: str, raw: dict[str, Any], *, overwrite: bool) -> None:
    """Add an entry to a manifest file atomically, re-validating the whole file."""
    if path.exists():
        data, _ = read_manifest_json(path)  # every unreadable file is a ManifestError naming it
        if not isinstance(data, dict):
            raise ManifestError(f"{path}: top level must be a JSON object")
    else:
        data = {"schema_version": SCHEMA_VERSION, "weights": {}}
    weights = data.setdefault("weights", {})
    if name in weights and not overwrite:
        raise ManifestError(f"{path}: entry {name!r} already exists; pass overwrite=True to replace it")
    weights[name] = raw
    validate_manifest(data, path=path)
    write_atomic(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
