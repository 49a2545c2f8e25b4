"""Fuzz safetensors files through read_safetensors_metadata, read_state_dict and load_weights (tiny model).

Fails on any exception outside zoo's WeightsError hierarchy, or a hang, listing the failing cases
by kind. Warnings (partial loads, NaN/Inf) are expected and ignored. Budget and seed: see
weights_fuzz (ZOO_FUZZ_SECONDS, ZOO_FUZZ_CASES, ZOO_FUZZ_SEED).
"""

from __future__ import annotations

import warnings

import weights_fuzz
from safetensors_gen import safetensors_case
from torch import nn

from zoo.weights import load_weights, read_state_dict
from zoo.weights.io import read_safetensors_metadata


class Tiny(nn.Module):
    """The model whose tensors the generator writes (names and shapes in safetensors_gen.TINY)."""

    def __init__(self):
        super().__init__()
        self.conv, self.bn, self.fc = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Linear(4, 2)


def test_fuzz_safetensors_readers(tmp_path, monkeypatch):
    from ultralytics.utils import LOGGER

    monkeypatch.setattr(LOGGER, "disabled", True)  # thousands of load reports are noise here
    path = tmp_path / "fuzz.safetensors"
    model = Tiny()

    def case(rng):
        desc, content = safetensors_case(rng)

        def thunk():
            path.write_bytes(content)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for step in (read_safetensors_metadata, read_state_dict):
                    try:
                        step(path)
                    except weights_fuzz.WeightsError:
                        pass  # typed; the next reader must be typed too
                load_weights(model, str(path), progress=False)

        return f"{desc} ({len(content)} bytes) {weights_fuzz.short(content[:120])}", thunk

    weights_fuzz.check(weights_fuzz.run(case), "safetensors fuzz")
