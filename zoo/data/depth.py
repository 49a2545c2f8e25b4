"""Synthetic depth dataset (Ultralytics ``depth``: a uint16 PNG depth map per image, ``depth_scale`` units/metre)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from zoo.data import synthetic as s
from zoo.data.labelled import place_objects, write_dataset

__all__ = ["make_depth_dataset", "DEPTH_SCALE"]

DEPTH_SCALE = 1000  # PNG value 1000 = 1 metre (Ultralytics' default); 0 would mean invalid, never written


def make_depth_dataset(
    root: str | os.PathLike, *, n_train: int = 32, n_val: int = 8, imgsz: int = 128, seed: int = 0,
    max_objects: int = 4,
) -> Path:
    """Write a depth dataset: ``images/{split}/NNNNN.png`` and ``depth/{split}/NNNNN.png`` (uint16, millimetres).

    The scene is a floor receding from 2 m (bottom row) to 8 m (top row) with shapes standing in front of it,
    each at one depth between 0.8 m and 1.8 m, so depth edges coincide with colour edges.

    Args:
        root (str | os.PathLike): Dataset directory (created atomically, or reused for the same parameters).
        n_train (int): Number of training images.
        n_val (int): Number of validation images.
        imgsz (int): Side of the square images, in pixels (>= 32).
        seed (int): Random seed; the same seed gives identical files.
        max_objects (int): Most objects per image (1..32).

    Returns:
        (Path): The dataset YAML (``depth_scale: 1000``, ``names: {0: depth}``).
    """
    s._check_int("max_objects", max_objects, 1, 32)

    def draw(rng):
        image, objects = place_objects(rng, imgsz, 4, max_objects)
        rows = np.linspace(8.0, 2.0, imgsz, dtype=np.float64)[:, None]  # top far, bottom near
        metres = np.repeat(rows, imgsz, axis=1)
        for _k, mask in objects:
            metres[mask] = rng.uniform(0.8, 1.8)
        return image, np.round(metres * DEPTH_SCALE).astype(np.uint16)

    params = dict(n_train=n_train, n_val=n_val, imgsz=imgsz, seed=seed, max_objects=max_objects)
    return write_dataset(root, "depth", ["depth"], {"depth_scale": DEPTH_SCALE}, params, draw, labels_dir="depth")
