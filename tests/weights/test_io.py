"""Reading files: format from magic bytes, pickles refused unless asked for, payloads never run."""

from __future__ import annotations

import os
import pickle

import pytest
import torch
from safetensors.torch import save_file

from zoo.weights import PickleRefusedError, WeightsFormatError, read_state_dict
from zoo.weights.io import sniff_format


class Payload:
    """Unpickling this runs ``os.system`` (the classic malicious-checkpoint trick)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def evil(tmp_path):
    marker = tmp_path / "PWNED"
    return marker, {"weight": torch.zeros(2), "x": Payload(marker)}


@pytest.mark.parametrize("allow_pickle", [False, True])
def test_reduce_payload_is_refused_and_never_runs(tmp_path, evil, allow_pickle):
    marker, obj = evil
    path = tmp_path / "evil.pt"
    torch.save(obj, path)
    with pytest.raises(PickleRefusedError, match="evil.pt"):
        read_state_dict(path, allow_pickle=allow_pickle)
    assert not marker.exists()


def test_legacy_raw_pickle_payload_is_refused(tmp_path, evil):
    marker, obj = evil
    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps(obj, protocol=2))
    assert sniff_format(path) == "pickle"
    with pytest.raises(PickleRefusedError):
        read_state_dict(path, allow_pickle=True)
    assert not marker.exists()


def test_pickle_named_safetensors_is_a_clear_error(tmp_path, evil):
    marker, obj = evil
    path = tmp_path / "model.safetensors"
    torch.save(obj, path)
    with pytest.raises(WeightsFormatError, match=r"named \.safetensors but its content is a zip .*rename it to \.pt"):
        read_state_dict(path, allow_pickle="trusted")  # even 'trusted' does not unpickle a lying file
    assert not marker.exists()


def test_safetensors_named_pt_is_a_clear_error(tmp_path):
    path = tmp_path / "model.pt"
    save_file({"w": torch.ones(3)}, str(path))
    with pytest.raises(WeightsFormatError, match=r"named \.pt but its content is safetensors; rename it"):
        read_state_dict(path, allow_pickle=True)


def test_unknown_content(tmp_path):
    path = tmp_path / "model.pth"
    path.write_bytes(b"garbage!garbage!")
    with pytest.raises(WeightsFormatError, match="neither a safetensors file nor"):
        read_state_dict(path)


def test_garbage_named_safetensors_says_why(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"garbage!garbage!")  # its first 8 bytes read as a header length of ~2.4e18
    with pytest.raises(WeightsFormatError, match=r"model.safetensors is not a valid safetensors file: its header "
                                                 r"length claims 2406443243860549991 bytes, above"):
        read_state_dict(path)


def test_plain_state_dict_pt_loads_with_weights_only(tmp_path):
    path = tmp_path / "sd.pt"
    torch.save({"model": {"a": torch.ones(2)}}, path)
    with pytest.raises(PickleRefusedError, match="allow_pickle=True"):
        read_state_dict(path)
    assert torch.equal(read_state_dict(path, allow_pickle=True)["a"], torch.ones(2))


def test_ultralytics_style_checkpoint_loads_restricted(tmp_path):
    """allow_pickle=True reads a checkpoint that pickles its model, with zoo's restricted unpickler."""
    model = torch.nn.Sequential(torch.nn.Linear(2, 2)).half()
    path = tmp_path / "best.pt"
    torch.save({"model": model, "ema": None, "epoch": 3}, path)
    with pytest.raises(PickleRefusedError, match="allow_pickle=True"):
        read_state_dict(path)  # the default still refuses every pickle
    sd = read_state_dict(path, allow_pickle=True)
    assert set(sd) == {"0.weight", "0.bias"} and sd["0.weight"].dtype == torch.float32
