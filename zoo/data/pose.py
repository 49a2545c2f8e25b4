"""Synthetic pose dataset (Ultralytics ``pose``: a box and keypoints with visibility per object)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from zoo.data import synthetic as s
from zoo.data.labelled import place_objects, write_dataset

__all__ = ["make_pose_dataset", "KPT_SHAPE", "FLIP_IDX", "KEYPOINTS"]

KEYPOINTS = ("centre", "left", "right")  # the shape's pixel centroid and its leftmost and rightmost pixels
KPT_SHAPE = [len(KEYPOINTS), 3]  # x, y, visibility
FLIP_IDX = [0, 2, 1]  # a horizontal flip swaps left and right


def _keypoints(mask: np.ndarray, rng: np.random.Generator, size: int) -> list[tuple[float, float, int]]:
    """The three keypoints of a shape, normalised; each is unlabelled (0, 0, 0) with probability 0.15."""
    ys, xs = np.nonzero(mask)
    left, right = np.argmin(xs), np.argmax(xs)
    points = [(xs.mean() + 0.5, ys.mean() + 0.5), (xs[left] + 0.5, ys[left] + 0.5), (xs[right] + 0.5, ys[right] + 0.5)]
    return [(0.0, 0.0, 0) if rng.random() < 0.15 else (x / size, y / size, 2) for x, y in points]


def make_pose_dataset(
    root: str | os.PathLike, *, n_train: int = 64, n_val: int = 16, imgsz: int = 128, nc: int = 1, seed: int = 0,
    max_objects: int = 3,
) -> Path:
    """Write a pose dataset: rows ``cls cx cy w h x1 y1 v1 x2 y2 v2 x3 y3 v3`` (normalised; v 2 = visible, 0 = none).

    The YAML carries ``kpt_shape: [3, 3]``, ``flip_idx: [0, 2, 1]`` and ``kpt_names``. Deterministic, offline.

    Args:
        root (str | os.PathLike): Dataset directory (created atomically, or reused for the same parameters).
        n_train (int): Number of training images.
        n_val (int): Number of validation images.
        imgsz (int): Side of the square images, in pixels (>= 32).
        nc (int): Number of classes (1..255).
        seed (int): Random seed; the same seed gives identical files.
        max_objects (int): Most objects per image (1..32).

    Returns:
        (Path): The dataset YAML.
    """
    s._check_int("nc", nc, 1, s._MAX_NC)
    s._check_int("max_objects", max_objects, 1, 32)

    def draw(rng):
        image, objects = place_objects(rng, imgsz, nc, max_objects)
        rows = []
        for k, mask in objects:
            ys, xs = np.nonzero(mask)
            x1, y1, x2, y2 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
            box = ((x1 + x2) / 2 / imgsz, (y1 + y2) / 2 / imgsz, (x2 - x1) / imgsz, (y2 - y1) / imgsz)
            kpts = " ".join(f"{x:.6f} {y:.6f} {v}" for x, y, v in _keypoints(mask, rng, imgsz))
            rows.append(f"{k} " + " ".join(f"{v:.6f}" for v in box) + f" {kpts}\n")
        return image, "".join(rows)

    extra = {"kpt_shape": KPT_SHAPE, "flip_idx": FLIP_IDX, "kpt_names": {0: list(KEYPOINTS)}}
    params = dict(n_train=n_train, n_val=n_val, imgsz=imgsz, nc=nc, seed=seed, max_objects=max_objects)
    return write_dataset(root, "pose", s._class_names(nc), extra, params, draw)
