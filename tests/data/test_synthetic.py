"""Tests of zoo.data.synthetic: layout, determinism, labels against pixels, and Ultralytics loading them as-is."""

from __future__ import annotations

import os

os.environ.setdefault("YOLO_OFFLINE", "1")  # before Ultralytics is imported (tests/conftest.py sets it too)

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from zoo.data import (
    make_classification_dataset,
    make_dataset,
    make_detection_dataset,
    make_semantic_dataset,
)
from zoo.data import synthetic

SMALL = dict(n_train=6, n_val=3, imgsz=64, seed=3)
SAT = 140  # background saturation <= 100 < SAT < 170 <= foreground saturation


def _files(root: Path) -> dict[str, bytes]:
    """Every generated file under root (not data.yaml, whose path differs, nor Ultralytics' caches) by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "data.yaml" and p.suffix != ".cache"
    }


def _saturation(image_file: Path) -> np.ndarray:
    """HSV saturation (0-255) of an image file."""
    return cv2.cvtColor(cv2.imread(str(image_file)), cv2.COLOR_BGR2HSV)[..., 1]


@pytest.fixture(scope="module")
def semantic(tmp_path_factory) -> Path:
    return make_semantic_dataset(tmp_path_factory.mktemp("sem") / "ds", nc=5, **SMALL)


@pytest.fixture(scope="module")
def detection(tmp_path_factory) -> Path:
    return make_detection_dataset(tmp_path_factory.mktemp("det") / "ds", nc=4, max_objects=5, **SMALL)


@pytest.fixture(scope="module")
def classification(tmp_path_factory) -> Path:
    return make_classification_dataset(tmp_path_factory.mktemp("cls") / "ds", nc=3, **SMALL)


# --------------------------------------------------------------------------------------------------------------------
# Layout and content
# --------------------------------------------------------------------------------------------------------------------
def test_semantic_layout_and_masks(semantic):
    root = semantic.parent
    data = yaml.safe_load(semantic.read_text())
    assert data == {
        "path": str(root),
        "train": "images/train",
        "val": "images/val",
        "masks_dir": "masks",
        "names": {0: "background", 1: "circle", 2: "rectangle", 3: "triangle", 4: "ellipse"},
    }
    for split, n in (("train", 6), ("val", 3)):
        images = sorted((root / "images" / split).glob("*.png"))
        masks = sorted((root / "masks" / split).glob("*.png"))
        assert [p.name for p in images] == [p.name for p in masks] == [f"{i:05d}.png" for i in range(n)]
        for image_file, mask_file in zip(images, masks):
            image = cv2.imread(str(image_file), cv2.IMREAD_UNCHANGED)
            mask = cv2.imread(str(mask_file), cv2.IMREAD_UNCHANGED)
            assert image.dtype == mask.dtype == np.uint8 and image.shape == (64, 64, 3) and mask.shape == (64, 64)
            assert set(np.unique(mask).tolist()) <= {0, 1, 2, 3, 4, 255}
            assert (mask == 255).any() and (mask > 0).any() and (mask == 0).any()
            sat = _saturation(image_file)  # the mask is what was painted: shapes saturated, background not
            assert (sat[(mask > 0) & (mask < 255)] > SAT).all()
            assert (sat[mask == 0] < SAT).all()


def test_semantic_classes_have_their_own_hue(semantic):
    """Each foreground class is painted in its own quarter of the hue circle (4 foreground classes)."""
    root = semantic.parent
    for image_file in sorted((root / "images").rglob("*.png")):
        mask = cv2.imread(str(image_file).replace("/images/", "/masks/"), cv2.IMREAD_UNCHANGED)
        hue = cv2.cvtColor(cv2.imread(str(image_file)), cv2.COLOR_BGR2HSV)[..., 0].astype(float)
        for k in set(np.unique(mask).tolist()) - {0, 255}:
            lo, hi = (k - 1) * 45, k * 45  # 180 OpenCV hues over nc - 1 = 4 classes
            assert lo <= np.median(hue[mask == k]) < hi


def test_semantic_without_ignore_band(tmp_path):
    data = make_semantic_dataset(tmp_path / "ds", nc=3, ignore_band=False, **SMALL)
    masks = [cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in (data.parent / "masks").rglob("*.png")]
    assert set(np.unique(np.stack(masks)).tolist()) <= {0, 1, 2}


def test_detection_boxes_match_the_drawn_shapes(detection):
    root = detection.parent
    assert yaml.safe_load(detection.read_text())["names"] == {0: "circle", 1: "rectangle", 2: "triangle", 3: "ellipse"}
    n_boxes = 0
    for image_file in sorted((root / "images").rglob("*.png")):
        rows = np.loadtxt(str(image_file).replace("/images/", "/labels/").replace(".png", ".txt"), ndmin=2)
        assert rows.shape[1] == 5 and 1 <= len(rows) <= 5
        assert set(rows[:, 0].tolist()) <= {0, 1, 2, 3}
        cxcy, wh = rows[:, 1:3], rows[:, 3:5]
        assert (wh > 0).all() and (cxcy - wh / 2 >= 0).all() and (cxcy + wh / 2 <= 1).all()
        shapes = _saturation(image_file) > SAT
        covered = np.zeros_like(shapes)
        for x1, y1, x2, y2 in np.round(np.concatenate([cxcy - wh / 2, cxcy + wh / 2], 1) * 64).astype(int):
            ys, xs = np.nonzero(shapes[y1:y2, x1:x2])
            assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (0, 0, x2 - x1, y2 - y1)  # tight box
            covered[y1:y2, x1:x2] = True
        assert not (shapes & ~covered).any()  # every shape pixel is inside a box
        n_boxes += len(rows)
    assert n_boxes > 9


def test_classification_layout(classification):
    root = classification
    folders = ["0_circle", "1_rectangle", "2_triangle"]
    for split, n in (("train", 6), ("val", 3)):
        assert sorted(p.name for p in (root / split).iterdir()) == folders
        for k, folder in enumerate(folders):
            files = sorted((root / split / folder).glob("*.png"))
            assert [int(p.stem) % 3 for p in files] == [k] * (n // 3)
            assert all(cv2.imread(str(p)).shape == (64, 64, 3) for p in files)


# --------------------------------------------------------------------------------------------------------------------
# Determinism, reuse, atomicity
# --------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", ["semantic", "detect", "classify"])
def test_same_seed_same_bytes(tmp_path, task):
    a = make_dataset(task, tmp_path / "a", **SMALL)
    b = make_dataset(task, tmp_path / "b", **SMALL)
    c = make_dataset(task, tmp_path / "c", **{**SMALL, "seed": 4})
    root = {p: p if p.is_dir() else p.parent for p in (a, b, c)}
    files_a, files_b, files_c = (_files(root[p]) for p in (a, b, c))
    assert files_a == files_b
    assert files_a.keys() == files_c.keys()
    assert any(files_a[k] != files_c[k] for k in files_a if k.endswith(".png"))


def test_more_images_keep_the_first_ones(tmp_path):
    small = _files(make_detection_dataset(tmp_path / "small", n_train=3, n_val=2, imgsz=64).parent)
    big = _files(make_detection_dataset(tmp_path / "big", n_train=5, n_val=2, imgsz=64).parent)
    assert all(big[k] == v for k, v in small.items() if k != synthetic.STAMP_NAME)


def test_reuse_and_conflicts(tmp_path):
    root = tmp_path / "ds"
    data = make_semantic_dataset(root, **SMALL)
    marker = root / "images" / "train" / "00000.png"
    mtime = marker.stat().st_mtime_ns
    assert make_dataset("segment", root, arch="semantic", **SMALL) == data  # same parameters: reused, not rewritten
    assert marker.stat().st_mtime_ns == mtime
    with pytest.raises(FileExistsError, match="other parameters.*Remove it or choose another root"):
        make_semantic_dataset(root, **{**SMALL, "nc": 3})
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="other files"):
        make_detection_dataset(tmp_path / "foreign", **SMALL)
    (tmp_path / "empty").mkdir()
    assert make_detection_dataset(tmp_path / "empty", **SMALL).is_file()  # an empty folder is filled


def test_moved_dataset_gets_its_yaml_path_fixed(tmp_path):
    make_detection_dataset(tmp_path / "a", **SMALL).parent.rename(tmp_path / "b")
    data = make_detection_dataset(tmp_path / "b", **SMALL)
    assert yaml.safe_load(data.read_text())["path"] == str(tmp_path / "b")


def test_interrupted_build_leaves_nothing(tmp_path, monkeypatch):
    calls = []

    def failing_write(path, array):
        calls.append(path)
        if len(calls) == 5:
            raise KeyboardInterrupt
        cv2.imwrite(str(path), array)

    monkeypatch.setattr(synthetic, "_write_png", failing_write)
    with pytest.raises(KeyboardInterrupt):
        make_semantic_dataset(tmp_path / "ds", **SMALL)
    assert list(tmp_path.iterdir()) == []  # neither the dataset nor its build folder


def test_import_is_torch_free():
    code = "import sys, zoo.data; assert not {'torch', 'ultralytics'} & set(sys.modules), 'heavy import'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# --------------------------------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda r: make_semantic_dataset(r, nc=1), ValueError, r"nc must be in \[2, 255\] for semantic.*got 1"),
        (lambda r: make_semantic_dataset(r, nc=256), ValueError, r"nc must be in \[2, 255\].*got 256"),
        (lambda r: make_semantic_dataset(r, imgsz=16), ValueError, r"imgsz must be in \[32, 4096\], got 16"),
        (lambda r: make_semantic_dataset(r, imgsz=64.0), TypeError, r"imgsz must be an int, got float"),
        (lambda r: make_detection_dataset(r, nc=0), ValueError, r"nc must be in \[1, 255\], got 0"),
        (lambda r: make_detection_dataset(r, n_train=0), ValueError, r"n_train must be in \[1, "),
        (lambda r: make_detection_dataset(r, max_objects=0), ValueError, r"max_objects must be in \[1, 32\]"),
        (lambda r: make_detection_dataset(r, seed=-1), ValueError, r"seed must be in \[0, "),
        (lambda r: make_classification_dataset(r, nc=True), TypeError, r"nc must be an int, got bool"),
        (lambda r: make_classification_dataset(r, nc=4, n_val=3), ValueError, r"n_train and n_val must be >= nc"),
        (lambda r: make_dataset("posture", r), ValueError, r"unknown task 'posture'; zoo's tasks are detect, segment"),
    ],
)
def test_bad_arguments(tmp_path, call, error, match):
    with pytest.raises(error, match=match):
        call(tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


# --------------------------------------------------------------------------------------------------------------------
# Ultralytics loads them as they are
# --------------------------------------------------------------------------------------------------------------------
def _cfg(task: str, imgsz: int = 64):
    from ultralytics.cfg import get_cfg

    return get_cfg(overrides={"task": task, "imgsz": imgsz, "workers": 0})


@pytest.mark.parametrize("mode", ["train", "val"])
def test_ultralytics_loads_semantic(semantic, mode):
    from ultralytics.data.build import build_yolo_dataset
    from ultralytics.data.dataset import SemanticDataset
    from ultralytics.data.utils import check_det_dataset

    data = check_det_dataset(str(semantic))
    assert data["nc"] == 5 and data["masks_dir"] == "masks" and data["channels"] == 3
    dataset = build_yolo_dataset(_cfg("semantic"), data[mode], 2, data, mode=mode)
    assert type(dataset) is SemanticDataset and len(dataset) == {"train": 6, "val": 3}[mode]
    item = dataset[0]
    assert tuple(item["img"].shape) == (3, 64, 64) and tuple(item["semantic_mask"].shape) == (64, 64)
    assert set(item["semantic_mask"].unique().tolist()) <= {0, 1, 2, 3, 4, 255}
    if mode == "val":  # no augmentation: the mask Ultralytics serves is the file's
        expected = cv2.imread(str(semantic.parent / "masks" / "val" / "00000.png"), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(item["semantic_mask"].numpy(), expected)


def test_ultralytics_loads_detection(detection):
    from ultralytics.data.build import build_yolo_dataset
    from ultralytics.data.dataset import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    data = check_det_dataset(str(detection))
    assert data["nc"] == 4
    dataset = build_yolo_dataset(_cfg("detect"), data["val"], 2, data, mode="val")
    assert type(dataset) is YOLODataset and len(dataset) == 3
    rows = np.loadtxt(detection.parent / "labels" / "val" / "00000.txt", ndmin=2)
    item = dataset[0]
    assert tuple(item["img"].shape) == (3, 64, 64)
    np.testing.assert_allclose(item["cls"].numpy().ravel(), rows[:, 0])
    np.testing.assert_allclose(item["bboxes"].numpy(), rows[:, 1:], atol=1e-5)


def test_ultralytics_loads_classification(classification):
    from ultralytics.data.dataset import ClassificationDataset
    from ultralytics.data.utils import check_cls_dataset

    data = check_cls_dataset(classification)
    assert data["nc"] == 3 and data["names"] == {0: "0_circle", 1: "1_rectangle", 2: "2_triangle"}
    dataset = ClassificationDataset(str(data["train"]), _cfg("classify"), augment=False)
    assert [Path(f).parent.name for f, *_ in dataset.samples] == [data["names"][k] for k in (0, 0, 1, 1, 2, 2)]
    item = dataset[2]
    assert tuple(item["img"].shape) == (3, 64, 64) and item["cls"] == 1


def test_ultralytics_drops_an_image_whose_mask_has_a_bad_id(tmp_path):
    """Canary for Ultralytics' behaviour: an id >= nc (not 255) makes the scan skip that image with a warning.

    The warning names the image and the ids, but training goes on without it; only when no image survives does
    building the dataset raise (RuntimeError "No valid images found in <cache>").
    """
    from ultralytics.data.build import build_yolo_dataset
    from ultralytics.data.utils import check_det_dataset

    data_file = make_semantic_dataset(tmp_path / "ds", **SMALL)
    bad = data_file.parent / "masks" / "val" / "00001.png"
    mask = cv2.imread(str(bad), cv2.IMREAD_UNCHANGED)
    mask[:4, :4] = 7  # nc is 4
    cv2.imwrite(str(bad), mask)
    data = check_det_dataset(str(data_file))
    dataset = build_yolo_dataset(_cfg("semantic"), data["val"], 2, data, mode="val")
    assert len(dataset) == 2 and str(bad) not in dataset.mask_files
    for i in (0, 2):
        path = data_file.parent / "masks" / "val" / f"{i:05d}.png"
        cv2.imwrite(str(path), cv2.imread(str(bad), cv2.IMREAD_UNCHANGED))
    (data_file.parent / "masks" / "val.cache").unlink()
    with pytest.raises(RuntimeError, match="No valid images found"):
        build_yolo_dataset(_cfg("semantic"), data["val"], 2, data, mode="val")
