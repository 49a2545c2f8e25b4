"""``zoo predict`` and ``zoo val`` exit non-zero and name the file when an input image cannot be read.

Ultralytics alone skips such an image with a log line and exits 0. Each case runs the real CLI in a subprocess.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_helpers import run_zoo

from zoo.data import make_detection_dataset

CORRUPT = b"\xff\xd8\xff\xe0 this is not JPEG data" * 4  # a JPEG marker, then garbage


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    """A folder with two good synthetic images."""
    data = make_detection_dataset(tmp_path_factory.mktemp("inputs"), n_train=1, n_val=2, imgsz=64, nc=3)
    return data.parent / "images" / "val"


def _predict(source: Path, cwd: Path):
    return run_zoo("predict", "model=yolo26n.yaml", f"source={source}", "imgsz=64", "device=cpu", cwd=cwd)


def _assert_fails_naming(out, *needles: str) -> None:
    assert out.returncode != 0, out.stdout[-2000:]
    for needle in needles:
        assert needle in out.stderr, out.stderr[-3000:]


def test_predict_missing_file(tmp_path):
    missing = tmp_path / "no-such-image.jpg"
    _assert_fails_naming(_predict(missing, tmp_path), str(missing), "does not exist")


def test_predict_zero_byte_jpg(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    _assert_fails_naming(_predict(empty, tmp_path), "UnreadableImageError", f"{empty} (empty file)")


def test_predict_corrupt_jpg(tmp_path):
    bad = tmp_path / "corrupt.jpg"
    bad.write_bytes(CORRUPT)
    _assert_fails_naming(_predict(bad, tmp_path), "UnreadableImageError", f"{bad} (not a decodable image)")


def test_predict_folder_with_one_corrupt_image(images, tmp_path):
    folder = shutil.copytree(images, tmp_path / "imgs")
    (folder / "corrupt.jpg").write_bytes(CORRUPT)
    _assert_fails_naming(_predict(folder, tmp_path), "1 of 3 image(s)", f"{folder / 'corrupt.jpg'} (not a decodable image)")


def test_predict_good_folder_still_runs(images, tmp_path):
    out = _predict(images, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]


def _val(data: Path, cwd: Path):
    return run_zoo("val", "model=yolo26n.yaml", "task=detect", f"data={data}", "imgsz=64", "batch=2", "device=cpu",
                   "workers=0", "plots=False", f"project={cwd}", cwd=cwd)


@pytest.fixture
def dataset(tmp_path) -> Path:
    return make_detection_dataset(tmp_path / "data", n_train=1, n_val=2, imgsz=64, nc=3)


def test_val_zero_byte_jpg(dataset, tmp_path):
    empty = dataset.parent / "images" / "val" / "empty.jpg"
    empty.write_bytes(b"")
    _assert_fails_naming(_val(dataset, tmp_path), "UnreadableImageError", f"{empty} (empty file)", "val split")


def test_val_corrupt_jpg(dataset, tmp_path):
    bad = dataset.parent / "images" / "val" / "corrupt.jpg"
    bad.write_bytes(CORRUPT)
    _assert_fails_naming(_val(dataset, tmp_path), "UnreadableImageError", f"{bad} (not a decodable image)")


def test_val_missing_file(dataset, tmp_path):
    root = dataset.parent
    listed = sorted((root / "images" / "val").glob("*.png"))
    missing = root / "images" / "val" / "gone.jpg"
    (root / "val.txt").write_text("\n".join(str(p) for p in [*listed, missing]) + "\n")
    dataset.write_text(dataset.read_text().replace("val: images/val", "val: val.txt"))
    _assert_fails_naming(_val(dataset, tmp_path), str(missing), "does not exist")
