"""Helpers of the reality checks of the shipped manifest: the upstream file behind each entry, rebuilt offline.

Each shipped entry's ``source`` says which upstream made the file, and the upstream is rebuilt from it with random
weights and saved in that upstream's own format:

* ``https://download.pytorch.org/models/<arch>-<hash>.pth``: ``torchvision.models.<arch>()``, ``torch.save(state_dict)``;
* ``hf://timm/<arch>.<tag>@<rev>/model.safetensors``: ``timm.create_model(<arch>)``, safetensors;
* ``https://github.com/ultralytics/assets/releases/download/<v>/<stem>.pt``: ``YOLO("<stem>.yaml").save()``, the
  checkpoint format Ultralytics publishes (pickled modules in fp16).

The entry is then mirrored: the same entry (same source, layout, coverage, ``allow_pickle``...) with the local
file's sha256 and size, and the file put in a folder mirror (``ZOO_WEIGHTS_MIRROR``) at ``<sha256>/<file name>``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import torch

from zoo.weights.manifest import Manifest, WeightsEntry, load_manifest, read_manifest_file

# Families whose entries are checked by tests/architectures (torchvision's trained segmentation models)
CHECKED_ELSEWHERE = ("deeplabv3", "lraspp", "fcn")
_TV = re.compile(r"^https://download\.pytorch\.org/models/(?P<arch>[a-z0-9_]+?)-[0-9a-f]{8}\.pth$")
_ULTRALYTICS = re.compile(r"^https://github\.com/ultralytics/assets/releases/download/v[\d.]+/(?P<stem>[a-z0-9-]+)\.pt$")


def upstream_of(entry: WeightsEntry) -> tuple[str, str]:
    """``(library, name)`` of the upstream that made an entry's file, read from its source.

    Raises:
        AssertionError: For a source whose upstream this module cannot rebuild (so that entry has no reality check).
    """
    raw = entry.source.raw
    if m := _TV.match(raw):
        return "torchvision", m.group("arch")
    if entry.source.kind == "hf" and entry.source.repo_id.startswith("timm/"):
        return "timm", entry.source.repo_id.removeprefix("timm/").split(".")[0]
    if m := _ULTRALYTICS.match(raw):
        return "ultralytics", m.group("stem")
    raise AssertionError(f"{entry.name}: no upstream builder for source {raw}, so no reality check")


def randomize_bn(model: torch.nn.Module, seed: int = 0) -> None:
    """Random BatchNorm statistics and affine terms: with the defaults (0, 1, 1, 0) a wrong mapping could hide."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            for t in (m.running_mean, m.weight, m.bias):
                t.data.copy_(torch.randn(t.shape, generator=g) * 0.1 + (1.0 if t is m.weight else 0.0))
            m.running_var.data.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


def build_upstream(library: str, name: str, file: Path) -> torch.nn.Module:
    """Build the upstream with random weights, save it as the upstream publishes, return it in eval mode."""
    torch.manual_seed(0)
    if library == "torchvision":
        import torchvision

        if hasattr(torchvision.models, name):
            model = getattr(torchvision.models, name)(weights=None)
        else:  # a segmentation model; the published DeepLabV3 and FCN files hold their auxiliary classifier
            aux = {"aux_loss": True} if name.startswith(("deeplabv3_", "fcn_")) else {}
            model = getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None, **aux)
        randomize_bn(model)
        torch.save(model.state_dict(), file)
    elif library == "timm":
        import timm
        from safetensors.torch import save_file

        model = timm.create_model(name, pretrained=False)
        randomize_bn(model)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(file))
    elif library == "ultralytics":
        from ultralytics import YOLO

        yolo = YOLO(f"{name}.yaml")
        randomize_bn(yolo.model)
        yolo.save(str(file))
        from zoo.weights.checkpoint import read_checkpoint

        model = read_checkpoint(file)["model"].float()  # what the file holds (fp16), as the oracle
    else:
        raise AssertionError(f"unknown upstream library {library!r}")
    return model.eval()


def mirror_entry(entry: WeightsEntry, file: Path, mirror: Path, directory: Path, **changes) -> Manifest:
    """The shipped entry, unchanged but for the local file's digest and size, with the file in a folder mirror.

    ``changes`` replace fields of the entry (e.g. ``mean=[...]``), for tests of what a field does.
    """
    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    target = mirror / digest / entry.source.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(file, target)
    raw = entry.to_json()
    raw.update(sha256=digest, size=len(data), **changes)
    path = directory / f"mirror-{entry.name}.json"
    path.write_text(json.dumps({"schema_version": 1, "weights": {entry.name: raw}}))
    return Manifest(read_manifest_file(path), (path,))


def declared_keys(model: torch.nn.Module, coverage: str) -> set[str]:
    """The model's tensors an entry of ``coverage`` must fill.

    ``model``: all; ``encoder`` and ``backbone``: the first layer (the timm encoder, the ViT); ``backbone+neck``:
    every layer but the last (the head).
    """
    keys = set(model.state_dict())
    if coverage == "model":
        return keys
    last = len(model.model) - 1
    layer = {k: int(k.split(".")[1]) for k in keys}
    if coverage in ("encoder", "backbone"):
        return {k for k in keys if layer[k] == 0}
    assert coverage == "backbone+neck", coverage
    return {k for k in keys if layer[k] < last}


def serve_entry(entry_name: str, directory: Path, monkeypatch, **changes) -> tuple[torch.nn.Module, Manifest]:
    """The shipped entry's upstream, built with random weights and served offline from a folder mirror.

    Returns:
        (tuple): The upstream model (eval) and a manifest holding the entry (``changes`` applied) with the local
            file's digest; ``ZOO_WEIGHTS_MIRROR`` and ``ZOO_OFFLINE`` are set for the test.
    """
    entry = load_manifest().get(entry_name)
    file = directory / "upstream" / entry.source.filename
    file.parent.mkdir(parents=True, exist_ok=True)
    upstream = build_upstream(*upstream_of(entry), file)
    manifest = mirror_entry(entry, file, directory / "mirror", directory, **changes)
    monkeypatch.setenv("ZOO_WEIGHTS_MIRROR", str(directory / "mirror"))
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    return upstream, manifest
