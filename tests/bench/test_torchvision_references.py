"""The benchmark's torchvision references (deeplabv3, fcn, lraspp) are the networks zoo's families port: their
weights, converted by zoo, give zoo's model the reference's logits."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

import zoo
from zoo.bench.references import build_reference

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


@pytest.mark.parametrize(("model", "label"), [("deeplabv3-n", "torchvision:deeplabv3_mobilenet_v3_large"),
                                              ("lraspp-n", "torchvision:lraspp_mobilenet_v3_large"),
                                              ("fcn-m", "torchvision:fcn_resnet50")])
def test_reference_is_the_network_zoo_ports(tmp_path, model, label):
    torch.manual_seed(0)
    reference, got_label = build_reference(model, nc=5, imgsz=96)
    assert got_label == label
    assert not any(name.startswith("aux_classifier") for name, _ in reference.named_parameters())  # eval-time work
    file = tmp_path / "reference.safetensors"
    save_file({k: v.contiguous() for k, v in reference.state_dict().items()}, str(file))
    net = zoo.load(model, weights=str(file), nc=5).model.eval()
    reference.eval()

    x = torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        expected = reference((x - IMAGENET_MEAN) / IMAGENET_STD)["out"]  # zoo standardises inside the model
        logits = net(x)
    got = F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)
    assert (got - expected).abs().max() <= 1e-5 * expected.abs().max()
