"""Shared helpers of the torchvision segmentation family tests (deeplabv3, lraspp, fcn).

torchvision is the oracle: its models are built with random weights (``weights=None, weights_backbone=None``: nothing
is downloaded), saved as torchvision publishes them (``torch.save(model.state_dict())``), and loaded into zoo through
a manifest that mirrors the shipped entry with this local file (its own sha256 and size).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
import torch.nn.functional as F
from semantic_helpers import randomize_bn

import zoo
from zoo.weights.manifest import Manifest, load_manifest, read_manifest_file

# zoo model -> (torchvision builder, aux_loss, Weights enum): the builders the shipped files come from
TORCHVISION = {
    "deeplabv3-n": ("deeplabv3_mobilenet_v3_large", True, "DeepLabV3_MobileNet_V3_Large_Weights"),
    "deeplabv3-m": ("deeplabv3_resnet50", True, "DeepLabV3_ResNet50_Weights"),
    "deeplabv3-l": ("deeplabv3_resnet101", True, "DeepLabV3_ResNet101_Weights"),
    "lraspp-n": ("lraspp_mobilenet_v3_large", None, "LRASPP_MobileNet_V3_Large_Weights"),
    "fcn-m": ("fcn_resnet50", True, "FCN_ResNet50_Weights"),
    "fcn-l": ("fcn_resnet101", True, "FCN_ResNet101_Weights"),
}
SIZES = [(64, 64), (56, 88)]  # square, and neither side a multiple of 16 (the MobileNetV3 backbones' stride)
_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)  # torchvision's SemanticSegmentation preset
_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def tv_weights(name: str):
    """torchvision's ``Weights`` (DEFAULT) for the zoo model ``name``: categories, metrics, transforms, url."""
    from torchvision.models import segmentation

    return getattr(segmentation, TORCHVISION[name][2]).DEFAULT


def save_torchvision(name: str, path: Path, seed: int = 0) -> torch.nn.Module:
    """Build torchvision's model for ``name`` with random weights and statistics; save its state dict; return it."""
    from torchvision.models import segmentation

    builder, aux, _ = TORCHVISION[name]
    torch.manual_seed(seed)
    kwargs = {"aux_loss": aux} if aux is not None else {}
    model = getattr(segmentation, builder)(weights=None, weights_backbone=None, **kwargs)
    randomize_bn(model, seed)
    torch.save(model.state_dict(), path)
    return model.eval()


def reference(tv_model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """torchvision's logits for ``[0, 1]`` images ``x``, standardised as its preset does (input size)."""
    with torch.no_grad():
        return tv_model((x - _MEAN) / _STD)["out"]


def zoo_logits(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """zoo's eval logits resized to the input as Ultralytics' validator and predictor resize them."""
    with torch.no_grad():
        y = model(x)
    return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)


def entries(family: str) -> list[str]:
    """Names of the shipped manifest entries of a family's models (the reality checks are driven by the manifest)."""
    return sorted(e.name for e in load_manifest().entries.values() if e.model.rsplit("-", 1)[0] == family)


def mirror_manifest(entry_name: str, file: Path, directory: Path) -> Manifest:
    """A manifest holding the shipped entry ``entry_name`` as it is, but sourced from ``file`` (its sha256 and size)."""
    entry = load_manifest().get(entry_name)
    raw = entry.to_json()
    raw.update(source=str(file), sha256=hashlib.sha256(file.read_bytes()).hexdigest(), size=file.stat().st_size)
    path = directory / "mirror.json"
    path.write_text(json.dumps({"schema_version": 1, "weights": {entry.name: raw}}))
    return Manifest(read_manifest_file(path), (path,))


def assert_entry_reproduces_torchvision(entry_name: str, tmp_path: Path, sizes=SIZES) -> None:
    """A shipped entry, mirrored with a local torchvision file, loads every key and gives torchvision's logits (1e-4).

    The entry's own fields choose the path: ``layout`` (torchvision → the family's converter), ``allow_pickle`` (the
    ``.pth`` is read by the restricted unpickler), ``coverage`` (model: nothing may be missing).
    """
    name = entry_name.split(".")[0]
    assert name in TORCHVISION, f"{entry_name}: no torchvision builder for {name}, so no reality check"
    file = tmp_path / load_manifest().get(entry_name).source.filename  # the published file name
    tv_model = save_torchvision(name, file)
    weights = "DEFAULT" if load_manifest().get(entry_name).default else entry_name
    model = zoo.load(name, weights=weights, manifest=mirror_manifest(entry_name, file, tmp_path))
    report = model.load_report
    assert not report.missing and not report.unexpected and not report.mismatched, str(report)
    assert len(report.loaded) == len(tv_model.state_dict())
    categories = tv_weights(name).meta["categories"]  # the trained head predicts 'person', 'bus'... not ids
    assert list(model.model.names.values()) == categories and model.names[15] == "person"
    net = model.model.float().eval()
    assert sum(p.numel() for p in net.parameters()) == tv_weights(name).meta["num_params"]
    for size in sizes:  # batch 1: a dilated ResNet-101 is costly on CPU even at 64 px
        x = torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(1))
        torch.testing.assert_close(zoo_logits(net, x), reference(tv_model, x), atol=1e-4, rtol=0)
    x = torch.rand(1, 3, 64, 64)  # a multiple of every model's stride, as the exporter's imgsz is
    assert_export_class_map(net, reference(tv_model, x), x)


def assert_export_class_map(net: torch.nn.Module, ref_logits: torch.Tensor, x: torch.Tensor) -> None:
    """Export mode (ONNX flags) gives a uint8 class map at input size equal to the argmax of ``ref_logits``."""
    head = net.model[-1]
    head.export, head.format = True, "onnx"
    try:
        with torch.no_grad():
            cls = net(x)
    finally:
        head.export, head.format = False, None
    assert cls.dtype == torch.uint8 and cls.shape == (x.shape[0], *x.shape[-2:])
    assert (cls == ref_logits.argmax(1)).float().mean() >= 0.999
