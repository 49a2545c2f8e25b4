"""The writer shared by the synthetic datasets with a label file or map per image (instance, pose, OBB, depth).

Each task's maker (``zoo/data/{instance,pose,obb,depth}.py``) supplies a ``draw(rng) -> (image, label)`` function
and its YAML keys; this writes ``images/{train,val}/NNNNN.png`` and the labels beside them, atomically and reused
when the parameters match (:func:`zoo.data.synthetic._build`), from the same per-image seeds as the other makers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from zoo.data import synthetic as s

__all__ = ["write_dataset", "place_objects"]


def write_dataset(
    root: str | os.PathLike,
    task: str,
    names: list[str],
    extra: dict,
    params: dict,
    draw: Callable[[np.random.Generator], tuple[np.ndarray, object]],
    labels_dir: str = "labels",
) -> Path:
    """Write (or reuse) a dataset and return its ``data.yaml``.

    Args:
        root (str | os.PathLike): Dataset directory.
        task (str): Task name for the stamp.
        names (list[str]): Class names.
        extra (dict): More YAML keys (``kpt_shape``, ``depth_scale``...).
        params (dict): The maker's parameters (``n_train``, ``n_val``, ``imgsz``, ``seed`` and its own), stamped.
        draw (Callable): ``rng -> (BGR image, label)``; a label is the text of a ``.txt`` file, or an array
            written as ``.png`` (depth maps).
        labels_dir (str): Folder mirroring ``images/`` for the labels.

    Returns:
        (Path): The dataset YAML.
    """
    s._check_common(params["n_train"], params["n_val"], params["imgsz"], params["seed"])
    sizes, root = {"train": params["n_train"], "val": params["n_val"]}, Path(root).expanduser().resolve()

    def write(d: Path) -> None:
        s._write_yaml(root, names, extra, into=d)
        for split, n in sizes.items():
            (d / "images" / split).mkdir(parents=True)
            (d / labels_dir / split).mkdir(parents=True)
            for i in range(n):
                image, label = draw(s._image_rng(params["seed"], split, i))
                s._write_png(d / "images" / split / f"{i:05d}.png", image)
                if isinstance(label, np.ndarray):
                    s._write_png(d / labels_dir / split / f"{i:05d}.png", label)
                else:
                    (d / labels_dir / split / f"{i:05d}.txt").write_text(str(label), encoding="utf-8")

    s._build(root, s._stamp(task, **params), write)
    return s._write_yaml(root, names, extra)


def place_objects(
    rng: np.random.Generator, size: int, nc: int, max_objects: int
) -> tuple[np.ndarray, list[tuple[int, np.ndarray]]]:
    """Paint 1..max_objects non-overlapping shapes (class k is shape ``SHAPES[k % 4]``) on a textured background.

    Returns:
        (tuple): The BGR image and ``(class, boolean mask)`` per object.
    """
    hsv, objects = s._background(rng, size), []
    taken = np.zeros((size, size), bool)
    for _ in range(int(rng.integers(1, max_objects + 1))):
        for _try in range(20):  # rejection sampling for a free spot (2 px gap); give up on this object if none
            k = int(rng.integers(nc))
            mask = s._shape_mask(rng, s.SHAPES[k % len(s.SHAPES)], size, *s._place(rng, size, size / 10, size / 5))
            ys, xs = np.nonzero(mask)
            y1, y2, x1, x2 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            if not taken[max(0, y1 - 2) : y2 + 2, max(0, x1 - 2) : x2 + 2].any():
                break
        else:
            continue
        taken[y1:y2, x1:x2] = True
        s._paint(hsv, mask, s._class_hue(k, nc, rng), rng)
        objects.append((k, mask))
    return s._to_bgr(hsv), objects
