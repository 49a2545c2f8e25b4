"""Loads that work but are almost surely wrong warn; with strict=True they raise and load nothing."""

from __future__ import annotations

import warnings

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from zoo.weights import (
    NonFiniteWeightsError,
    NonFiniteWeightsWarning,
    PartialLoadWarning,
    StrictLoadError,
    load_into,
    load_weights,
)


class Conv(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Conv2d(8, 8, 3))
        self.head = nn.Linear(8, 4)


class Mlp(nn.Module):
    """Another architecture: none of its keys exist in Conv."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(3, 8), nn.Linear(8, 4)


def test_other_architecture_loads_0_of_n_with_a_warning(tmp_path):
    path = tmp_path / "mlp.safetensors"
    save_file(Mlp().state_dict(), str(path))
    model = Conv()
    n = len(model.state_dict())
    with pytest.warns(PartialLoadWarning, match=rf"only 0 of {n} model tensors were loaded from {path} \(4 checkpoint "
                                                r"keys have no match.*another architecture"):
        report = load_weights(model, str(path))
    assert report.loaded == []


def test_other_architecture_with_strict_raises_typed(tmp_path):
    with pytest.raises(StrictLoadError, match=r"strict loading failed; nothing was loaded:\nLoaded 0/"):
        load_into(Conv(), Mlp().state_dict(), strict=True, verbose=False)


def test_half_loaded_does_not_warn():
    model, sd = Conv(), Conv().state_dict()
    keys = list(model.state_dict())
    half = {k: sd[k] for k in keys[: (len(keys) + 1) // 2]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_into(model, half, verbose=False)


def test_just_under_half_warns():
    model, sd = Conv(), Conv().state_dict()
    keys = list(model.state_dict())
    under = {k: sd[k] for k in keys[: (len(keys) + 1) // 2 - 1]}
    with pytest.warns(PartialLoadWarning, match=rf"only {len(under)} of {len(keys)} model tensors"):
        load_into(model, under, verbose=False, source="ckpt")


def test_backbone_weights_count_against_the_checkpoint():
    """A backbone file fills a minority of a big model; all its tensors used is a good load."""
    model = Conv()
    backbone = {k: v for k, v in Conv().state_dict().items() if k.startswith("body.0.")}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = load_into(model, backbone, verbose=False, coverage="backbone")
    assert len(report.loaded) == 2
    with pytest.warns(PartialLoadWarning, match=r"only 0 of 4 checkpoint tensors were used"):
        load_into(model, Mlp().state_dict(), verbose=False, coverage="backbone")


def test_non_finite_tensors_are_named_and_counted():
    sd = Conv().state_dict()
    bad = ["body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "body.1.running_mean", "body.2.weight"]
    for k in bad:
        sd[k] = sd[k].clone().fill_(float("nan"))
    sd["head.bias"] = sd["head.bias"].clone().fill_(float("inf"))
    model = Conv()
    with pytest.warns(NonFiniteWeightsWarning, match=r"7 tensor\(s\) from src hold NaN or Inf values: body.0.weight, "
                                                     r"body.0.bias, body.1.weight, body.1.bias, body.1.running_mean "
                                                     r"and 2 more; the model's outputs will be NaN"):
        load_into(model, sd, verbose=False, source="src")
    assert torch.isinf(model.head.bias).all()  # loaded as asked: the warning says what to expect


def test_non_finite_with_strict_raises_and_loads_nothing():
    sd = Conv().state_dict()
    sd["head.weight"] = sd["head.weight"].clone()
    sd["head.weight"][0, 0] = float("-inf")
    model = Conv()
    before = model.body[0].weight.clone()
    with pytest.raises(NonFiniteWeightsError, match=r"1 tensor\(s\) from src hold NaN or Inf values: head.weight; "
                                                    r"nothing was loaded \(strict=True\)"):
        load_into(model, sd, strict=True, verbose=False, source="src")
    assert torch.equal(model.body[0].weight, before)


def test_integer_buffers_are_not_checked():
    sd = Conv().state_dict()
    assert sd["body.1.num_batches_tracked"].dtype == torch.int64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_into(Conv(), sd, verbose=False)


def test_float8_nan_is_found():
    """torch has no isfinite for float8; a float8 checkpoint tensor is still checked."""
    sd = Conv().state_dict()
    sd["head.bias"] = torch.full((4,), float("nan")).to(torch.float8_e4m3fn)
    with pytest.warns(NonFiniteWeightsWarning, match=r"1 tensor\(s\) from f8 hold NaN or Inf values: head.bias;"):
        load_into(Conv(), sd, verbose=False, source="f8")
