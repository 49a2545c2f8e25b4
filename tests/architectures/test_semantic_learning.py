"""Learning check (slow): each semantic family reaches mIoU >= 0.80 on the synthetic dataset within 10 minutes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["deeplabv3p-s", "unet-s"])
def test_learns_synthetic_shapes(name, tmp_path):
    from learn_semantic import learn

    result = learn(name, tmp_path, minutes=10)
    assert result["mIoU"] >= 0.80, result
