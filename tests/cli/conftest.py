"""Fixtures of the CLI tests."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def detect_data(tmp_path_factory) -> Path:
    """A tiny synthetic detection dataset YAML."""
    from zoo.data import make_detection_dataset

    return make_detection_dataset(tmp_path_factory.mktemp("detect"), n_train=8, n_val=4, imgsz=64, nc=3)
