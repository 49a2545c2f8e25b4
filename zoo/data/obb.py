"""Synthetic oriented-box dataset (Ultralytics ``obb``: four corners per object)."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from zoo.data import synthetic as s
from zoo.data.labelled import place_objects, write_dataset

__all__ = ["make_obb_dataset"]


def make_obb_dataset(
    root: str | os.PathLike, *, n_train: int = 64, n_val: int = 16, imgsz: int = 128, nc: int = 3, seed: int = 0,
    max_objects: int = 4,
) -> Path:
    """Write an OBB dataset: ``labels/{split}/NNNNN.txt`` rows ``cls x1 y1 x2 y2 x3 y3 x4 y4`` (normalised).

    Each box is the minimum-area rotated rectangle of a shape's pixels (rotated shapes, so angles vary).

    Args:
        root (str | os.PathLike): Dataset directory (created atomically, or reused for the same parameters).
        n_train (int): Number of training images.
        n_val (int): Number of validation images.
        imgsz (int): Side of the square images, in pixels (>= 32).
        nc (int): Number of classes (1..255); class k is shape ``SHAPES[k % 4]``.
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
            pixels = np.argwhere(mask)[:, ::-1].astype(np.float32) + 0.5  # pixel centres, (x, y)
            corners = np.clip(cv2.boxPoints(cv2.minAreaRect(pixels)) / imgsz, 0, 1)
            rows.append(f"{k} " + " ".join(f"{v:.6f}" for v in corners.ravel()) + "\n")
        return image, "".join(rows)

    params = dict(n_train=n_train, n_val=n_val, imgsz=imgsz, nc=nc, seed=seed, max_objects=max_objects)
    return write_dataset(root, "obb", s._class_names(nc), {}, params, draw)
