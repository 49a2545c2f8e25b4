"""Synthetic instance segmentation dataset (Ultralytics ``segment``: one polygon per object)."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from zoo.data import synthetic as s
from zoo.data.labelled import place_objects, write_dataset

__all__ = ["make_instance_dataset", "polygon"]


def polygon(mask: np.ndarray) -> np.ndarray:
    """The outer contour of a boolean mask as ``(n, 2)`` pixel coordinates (at least 3 points)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    points = max(contours, key=cv2.contourArea).reshape(-1, 2).astype(np.float64)
    if len(points) < 3:  # a degenerate contour: fall back to the mask's rotated box
        points = cv2.boxPoints(cv2.minAreaRect(np.argwhere(mask)[:, ::-1].astype(np.float32))).astype(np.float64)
    return points


def make_instance_dataset(
    root: str | os.PathLike, *, n_train: int = 64, n_val: int = 16, imgsz: int = 128, nc: int = 3, seed: int = 0,
    max_objects: int = 4,
) -> Path:
    """Write an instance segmentation dataset: ``labels/{split}/NNNNN.txt`` rows ``cls x1 y1 x2 y2 ...``.

    Polygons are the shapes' pixel contours, normalised to [0, 1]; objects never overlap. Deterministic in
    ``seed``, offline.

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
        rows = [f"{k} " + " ".join(f"{v / imgsz:.6f}" for v in polygon(m).ravel()) for k, m in objects]
        return image, "".join(r + "\n" for r in rows)

    params = dict(n_train=n_train, n_val=n_val, imgsz=imgsz, nc=nc, seed=seed, max_objects=max_objects)
    return write_dataset(root, "segment", s._class_names(nc), {}, params, draw)
