"""Learning check (slow): each semantic family reaches mIoU >= 0.80 on the synthetic dataset.

The budget is epochs, not wall clock: the counts are those the 10-minute runs on 2 CPU cores reached
(deeplabv3p-s 32 epochs, mIoU 0.942; unet-s 95 epochs, 0.991), too long for the default suite.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

EPOCHS = {"deeplabv3p-s": 32, "unet-s": 95}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EPOCHS))
def test_learns_synthetic_shapes(name, tmp_path):
    from learn_semantic import learn

    result = learn(name, tmp_path, minutes=None, epochs=EPOCHS[name])
    assert result["mIoU"] >= 0.80, result
