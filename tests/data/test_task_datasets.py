"""The synthetic instance, pose, OBB and depth datasets: Ultralytics' label formats, deterministic, offline."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from zoo.data import make_dataset

SMALL = dict(n_train=3, n_val=2, imgsz=64)


def _rows(yaml_file, split="train"):
    files = sorted((yaml_file.parent / "labels" / split).glob("*.txt"))
    assert [f.stem for f in files] == [p.stem for p in sorted((yaml_file.parent / "images" / split).glob("*.png"))]
    return [[float(v) for v in line.split()] for f in files for line in f.read_text().splitlines()]


@pytest.mark.parametrize("task", ["segment", "pose", "obb", "depth"])
def test_same_seed_same_bytes(tmp_path, task):
    a, b = make_dataset(task, tmp_path / "a", **SMALL), make_dataset(task, tmp_path / "b", **SMALL)
    c = make_dataset(task, tmp_path / "c", **SMALL, seed=3)
    files = [{p.relative_to(r.parent): p.read_bytes() for p in r.parent.rglob("*.png")} for r in (a, b, c)]
    assert files[0] == files[1] and files[0].keys() == files[2].keys() and files[0] != files[2]


def test_instance_rows_are_polygons(tmp_path):
    rows = _rows(make_dataset("segment", tmp_path / "d", **SMALL))
    assert rows and all(len(r) >= 7 and len(r) % 2 == 1 for r in rows)  # class + at least 3 (x, y) points
    assert all(0 <= v <= 1 for r in rows for v in r[1:])


def test_pose_rows_carry_keypoints_with_visibility(tmp_path):
    yaml_file = make_dataset("pose", tmp_path / "d", **SMALL)
    text = yaml_file.read_text()
    assert "kpt_shape:\n- 3\n- 3" in text and "flip_idx:\n- 0\n- 2\n- 1" in text
    rows = _rows(yaml_file)
    assert rows and all(len(r) == 5 + 3 * 3 for r in rows)
    vis = [v for r in rows for v in r[7::3]]
    assert set(vis) <= {0.0, 2.0} and 2.0 in vis
    for r in rows:  # a visible keypoint lies inside (or on the edge of) its object's box
        cx, cy, w, h = r[1:5]
        for x, y, v in zip(r[5::3], r[6::3], r[7::3]):
            assert v == 0 or (abs(x - cx) <= w / 2 + 1e-6 and abs(y - cy) <= h / 2 + 1e-6)


def test_obb_rows_are_four_corners(tmp_path):
    rows = _rows(make_dataset("obb", tmp_path / "d", **SMALL))
    assert rows and all(len(r) == 9 for r in rows)
    assert all(0 <= v <= 1 for r in rows for v in r[1:])  # clipped to the image, as Ultralytics requires
    inside = [r for r in rows if all(0 < v < 1 for v in r[1:])]
    assert inside
    for r in inside:  # an unclipped box is a rotated rectangle: opposite sides equal
        corners = np.array(r[1:]).reshape(4, 2)
        sides = np.linalg.norm(corners - np.roll(corners, 1, axis=0), axis=1)
        assert np.allclose(sides[0], sides[2], atol=1e-4) and np.allclose(sides[1], sides[3], atol=1e-4)


def test_depth_maps_are_uint16_millimetres_beside_images(tmp_path):
    yaml_file = make_dataset("depth", tmp_path / "d", **SMALL)
    assert "depth_scale: 1000" in yaml_file.read_text()
    for image in sorted((yaml_file.parent / "images" / "val").glob("*.png")):
        depth = cv2.imread(str(yaml_file.parent / "depth" / "val" / image.name), cv2.IMREAD_UNCHANGED)
        assert depth.dtype == np.uint16 and depth.shape == cv2.imread(str(image)).shape[:2]
        assert 800 <= depth.min() and depth.max() <= 8000  # 0.8 m .. 8 m, never 0 (invalid)
