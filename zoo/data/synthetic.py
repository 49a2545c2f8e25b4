"""Deterministic synthetic datasets that Ultralytics 8.4 trains on directly.

Three generators draw coloured shapes (circle, rectangle, triangle, ellipse) on textured backgrounds:

- :func:`make_semantic_dataset`: ``images/{train,val}/*.png`` and ``masks/{train,val}/*.png`` (8-bit grey class ids,
  0 = background, 255 = ignore band along shape borders) for Ultralytics' ``semantic`` task.
- :func:`make_detection_dataset`: ``images/{train,val}/*.png`` and YOLO ``labels/{train,val}/*.txt`` for ``detect``.
- :func:`make_classification_dataset`: ``{train,val}/<class>/*.png`` folders for ``classify``.

A foreground class is defined by a shape kind *and* a hue range of its own, with high saturation; backgrounds are
textures (noise, gradient, stripes, checkerboard) of any hue at low-to-medium saturation. A pixel's class therefore
needs hue, saturation and shape together, while staying easy to learn from a few dozen images.

Every image is drawn from its own random generator seeded by ``(seed, split, index)``, so a dataset is byte-for-byte
reproducible and growing ``n_train`` keeps the first images unchanged. Images are PNG (lossless), so pixels, masks and
boxes agree exactly.

Writing is atomic: a dataset is built in a hidden sibling folder and renamed into ``root``; a ``zoo_synthetic.json``
stamp records the parameters, and a later call with the same parameters reuses the dataset instead of rebuilding it.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import yaml

__all__ = [
    "SHAPES",
    "STAMP_NAME",
    "make_classification_dataset",
    "make_dataset",
    "make_detection_dataset",
    "make_semantic_dataset",
]

SHAPES = ("circle", "rectangle", "triangle", "ellipse")
STAMP_NAME = "zoo_synthetic.json"
_VERSION = 1  # bump when the drawing changes, so stale stamped datasets are not reused
_SPLITS = ("train", "val")
_MAX_NC = 255
_MAX_IMGSZ = 4096
_BG_MAX_SAT = 100  # background saturation stays at or below this ...
_FG_MIN_SAT = 170  # ... and foreground saturation at or above this (HSV, 0-255)


# --------------------------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------------------------
def _check_int(name: str, value: object, lo: int, hi: int, why: str = "") -> None:
    """Raise a clear error unless ``value`` is an int in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}]{why}, got {value}")


def _check_common(n_train: int, n_val: int, imgsz: int, seed: int) -> None:
    """Validate the arguments every generator shares."""
    _check_int("n_train", n_train, 1, 1_000_000)
    _check_int("n_val", n_val, 1, 1_000_000)
    _check_int("imgsz", imgsz, 32, _MAX_IMGSZ)
    _check_int("seed", seed, 0, 2**63 - 1)


# --------------------------------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------------------------------
def _image_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """Return the generator of one image, independent of how many images the split holds."""
    return np.random.default_rng([seed, _SPLITS.index(split), index])


def _class_hue(k: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw an OpenCV hue (0-179) from the k-th of n equal, non-overlapping hue ranges (a 40% gap between ranges)."""
    width = 180.0 / n
    return (k * width + rng.uniform(0.2, 0.8) * width) % 180.0


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Draw a textured HSV background (float32, HxWx3) of any hue and low-to-medium saturation."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    kind = rng.integers(4)
    if kind == 0:  # smooth noise: upsampled random grid
        cells = int(rng.integers(3, 9))
        tex = cv2.resize(rng.random((cells, cells), dtype=np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    elif kind == 1:  # linear gradient in a random direction
        a = rng.uniform(0, 2 * np.pi)
        tex = np.cos(a) * xx + np.sin(a) * yy
    elif kind == 2:  # stripes at a random angle and period
        a, period = rng.uniform(0, np.pi), rng.uniform(0.08, 0.3)
        tex = 0.5 + 0.5 * np.sin(2 * np.pi * (np.cos(a) * xx + np.sin(a) * yy) / period)
    else:  # checkerboard
        cells = int(rng.integers(3, 9))
        tex = ((np.floor(xx * cells) + np.floor(yy * cells)) % 2).astype(np.float32)
    tex = (tex - tex.min()) / max(float(np.ptp(tex)), 1e-6)
    hsv = np.empty((size, size, 3), np.float32)
    hsv[..., 0] = (rng.uniform(0, 180) + 25 * tex) % 180
    hsv[..., 1] = rng.uniform(0, 0.6) * _BG_MAX_SAT + tex * 0.4 * _BG_MAX_SAT
    hsv[..., 2] = rng.uniform(40, 110) + tex * rng.uniform(60, 140) + rng.normal(0, 6, (size, size))
    return hsv


def _shape_mask(rng: np.random.Generator, kind: str, size: int, cx: float, cy: float, r: float) -> np.ndarray:
    """Rasterise one filled shape of radius ``r`` centred at ``(cx, cy)`` into a boolean HxW mask."""
    mask = np.zeros((size, size), np.uint8)
    angle = rng.uniform(0, 360)
    if kind == "circle":
        cv2.circle(mask, (round(cx), round(cy)), round(r), 1, thickness=-1)
    elif kind == "ellipse":  # axis ratio far from 1, so an ellipse never passes for a circle
        axes = (round(r), max(2, round(r * rng.uniform(0.35, 0.6))))
        cv2.ellipse(mask, (round(cx), round(cy)), axes, angle, 0, 360, 1, thickness=-1)
    else:
        if kind == "rectangle":
            w, h = 2 * r, 2 * r * rng.uniform(0.55, 1.0)
            pts = cv2.boxPoints(((cx, cy), (w, h), angle))
        else:  # equilateral triangle
            t = np.deg2rad(angle) + np.array([0, 2 * np.pi / 3, 4 * np.pi / 3])
            pts = np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


def _paint(hsv: np.ndarray, mask: np.ndarray, hue: float, rng: np.random.Generator) -> None:
    """Paint a shaded, slightly noisy, saturated shape of ``hue`` into ``hsv`` where ``mask`` is set."""
    size = hsv.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    a = rng.uniform(0, 2 * np.pi)
    shade = np.cos(a) * xx + np.sin(a) * yy  # in [-1.5, 1.5]
    hsv[..., 0][mask] = hue
    hsv[..., 1][mask] = rng.uniform(_FG_MIN_SAT + 15, 255)
    value = rng.uniform(170, 225) + 20 * shade + rng.normal(0, 5, (size, size))
    hsv[..., 2][mask] = value[mask]


def _to_bgr(hsv: np.ndarray) -> np.ndarray:
    """Convert a float HSV canvas (OpenCV ranges) into a uint8 BGR image."""
    hsv = np.clip(np.round(hsv), 0, [179, 255, 255]).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def _place(rng: np.random.Generator, size: int, r_lo: float, r_hi: float) -> tuple[float, float, float]:
    """Draw a radius and a centre that keeps a shape of that radius inside the image."""
    r = rng.uniform(r_lo, r_hi)
    cx, cy = rng.uniform(r + 1, size - r - 2, 2)
    return float(cx), float(cy), float(r)


def _ignore_band(label: np.ndarray, radius: int) -> np.ndarray:
    """Return the pixels within ``radius`` of a boundary between two different ids of ``label``."""
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    return cv2.dilate(label, kernel) != cv2.erode(label, kernel)


def _draw_semantic(rng: np.random.Generator, size: int, nc: int, ignore_band: bool) -> tuple[np.ndarray, np.ndarray]:
    """Draw one semantic sample: a BGR image and its uint8 class-id mask (0 background, 255 ignore)."""
    hsv = _background(rng, size)
    label = np.zeros((size, size), np.uint8)
    for _ in range(int(rng.integers(1, 5))):  # later shapes occlude earlier ones, in the image and in the mask
        k = int(rng.integers(1, nc))
        mask = _shape_mask(rng, SHAPES[(k - 1) % len(SHAPES)], size, *_place(rng, size, size / 10, size / 4))
        _paint(hsv, mask, _class_hue(k - 1, nc - 1, rng), rng)
        label[mask] = k
    if ignore_band:
        label[_ignore_band(label, max(1, round(size / 64)))] = 255
    return _to_bgr(hsv), label


def _draw_detection(
    rng: np.random.Generator, size: int, nc: int, max_objects: int
) -> tuple[np.ndarray, list[tuple[int, float, float, float, float]]]:
    """Draw one detection sample: a BGR image and YOLO rows ``(cls, cx, cy, w, h)`` normalised to [0, 1].

    Objects never overlap (their boxes keep a 2 px gap), so each box is the tight extent of its shape's pixels.
    """
    hsv = _background(rng, size)
    rows, taken = [], np.zeros((size, size), bool)
    for _ in range(int(rng.integers(1, max_objects + 1))):
        for _try in range(20):  # rejection sampling for a free spot; give up on this object if none is found
            k = int(rng.integers(nc))
            mask = _shape_mask(rng, SHAPES[k % len(SHAPES)], size, *_place(rng, size, size / 12, size / 5))
            ys, xs = np.nonzero(mask)
            x1, y1, x2, y2 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
            if not taken[max(0, y1 - 2) : y2 + 2, max(0, x1 - 2) : x2 + 2].any():
                break
        else:
            continue
        taken[y1:y2, x1:x2] = True
        _paint(hsv, mask, _class_hue(k, nc, rng), rng)
        rows.append((k, (x1 + x2) / 2 / size, (y1 + y2) / 2 / size, (x2 - x1) / size, (y2 - y1) / size))
    return _to_bgr(hsv), rows


def _draw_classification(rng: np.random.Generator, size: int, nc: int, k: int) -> np.ndarray:
    """Draw one BGR classification image holding a single shape of class ``k``."""
    hsv = _background(rng, size)
    mask = _shape_mask(rng, SHAPES[k % len(SHAPES)], size, *_place(rng, size, size / 5, size / 2.8))
    _paint(hsv, mask, _class_hue(k, nc, rng), rng)
    return _to_bgr(hsv)


def _class_names(nc: int, offset: int = 0) -> list[str]:
    """Name classes by shape kind, numbering repeats: circle, rectangle, triangle, ellipse, circle_1, ..."""
    names = []
    for k in range(nc):
        kind, rep = SHAPES[(k + offset) % len(SHAPES)], (k + offset) // len(SHAPES)
        names.append(kind if rep == 0 else f"{kind}_{rep}")
    return names


def _write_png(path: Path, array: np.ndarray) -> None:
    """Write an image or mask as PNG, raising if OpenCV cannot."""
    if not cv2.imwrite(str(path), array):
        raise OSError(f"could not write {path}")


def _write_yaml(root: Path, names: list[str], extra: dict | None = None, into: Path | None = None) -> Path:
    """Write ``data.yaml`` (absolute ``path`` to ``root``, images/ layout) unless it already says exactly that.

    Args:
        root (Path): Final dataset directory, written as the YAML's ``path``.
        names (list[str]): Class names, index order.
        extra (dict, optional): More keys, written before ``names``.
        into (Path, optional): Folder to write the file into (the build folder); ``root`` when None.

    Returns:
        (Path): The YAML file.
    """
    data = {"path": str(root), "train": "images/train", "val": "images/val", **(extra or {})}
    data["names"] = dict(enumerate(names))
    text = yaml.safe_dump(data, sort_keys=False)
    file = (into or root) / "data.yaml"
    if not file.is_file() or file.read_text(encoding="utf-8") != text:  # also repairs the path of a moved dataset
        tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, file)
    return root / "data.yaml"


# --------------------------------------------------------------------------------------------------------------------
# Atomic build with reuse
# --------------------------------------------------------------------------------------------------------------------
def _read_stamp(root: Path) -> dict | None:
    """Return the stamp of the dataset in ``root``, or None when there is none or it is unreadable."""
    try:
        return json.loads((root / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _build(root: str | os.PathLike, stamp: dict, write: Callable[[Path], None]) -> Path:
    """Build a dataset into ``root`` atomically, or reuse the one already there with the same ``stamp``.

    Args:
        root (str | os.PathLike): Final dataset directory.
        stamp (dict): Generator name, version and parameters; written last, as ``zoo_synthetic.json``.
        write (Callable[[Path], None]): Writes the dataset's files into the folder it is given.

    Returns:
        (Path): The resolved dataset directory.

    Raises:
        FileExistsError: If ``root`` exists, is not empty and does not hold a dataset with the same parameters.
    """
    root = Path(root).expanduser().resolve()
    if _read_stamp(root) == stamp:
        return root
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        found = _read_stamp(root)
        what = (
            f"a zoo synthetic dataset with other parameters ({found.get('task')}, version {found.get('version')}, "
            f"{found.get('params')})"
            if isinstance(found, dict)
            else "other files"
        )
        raise FileExistsError(
            f"{root} already holds {what}; expected ({stamp['task']}, version {stamp['version']}, "
            f"{stamp['params']}). Remove it or choose another root."
        )
    tmp = root.parent / f".{root.name}.{uuid.uuid4().hex[:12]}.partial"  # same filesystem, so rename is atomic
    tmp.mkdir(parents=True)
    try:
        write(tmp)
        (tmp / STAMP_NAME).write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if root.is_dir():
            root.rmdir()  # empty: replace it (fails if another process filled it meanwhile)
        os.rename(tmp, root)
    except OSError:
        if _read_stamp(root) != stamp:  # another process may have won the race with the same dataset
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def _stamp(task: str, **params: object) -> dict:
    """Return the stamp that identifies a dataset: generator, version, task and parameters."""
    params = {k: v if isinstance(v, bool) else int(v) for k, v in params.items()}  # numpy ints to JSON ints
    return {"generator": "zoo.data.synthetic", "version": _VERSION, "task": task, "params": params}


# --------------------------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------------------------
def make_semantic_dataset(
    root: str | os.PathLike,
    *,
    n_train: int = 64,
    n_val: int = 16,
    imgsz: int = 128,
    nc: int = 4,
    seed: int = 0,
    ignore_band: bool = True,
) -> Path:
    """Write a semantic segmentation dataset for Ultralytics' ``semantic`` task.

    Layout under ``root``: ``images/{train,val}/NNNNN.png`` (BGR colour), ``masks/{train,val}/NNNNN.png`` (8-bit
    grey, same size, ids in ``0..nc-1`` or 255), ``data.yaml`` (``path``, ``train``, ``val``, ``masks_dir: masks``,
    ``names`` with 0 = ``background``) and the ``zoo_synthetic.json`` stamp.

    Args:
        root (str | os.PathLike): Dataset directory; created atomically, or reused when it already holds a dataset
            made with the same parameters.
        n_train (int): Number of training images.
        n_val (int): Number of validation images.
        imgsz (int): Side of the square images, in pixels (>= 32).
        nc (int): Number of classes including background (2..255); classes 1..nc-1 are shapes.
        seed (int): Random seed; the same seed gives identical files.
        ignore_band (bool): Mark pixels near shape borders as 255 (ignored), about ``imgsz / 32`` pixels wide.

    Returns:
        (Path): Path of the dataset YAML.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument is out of range.
        FileExistsError: If ``root`` holds something else.
    """
    _check_common(n_train, n_val, imgsz, seed)
    _check_int("nc", nc, 2, _MAX_NC, " for semantic (background + at least one class; 255 is the ignore id)")
    sizes, root = {"train": n_train, "val": n_val}, Path(root).expanduser().resolve()
    names, extra = ["background", *_class_names(nc - 1)], {"masks_dir": "masks"}

    def write(d: Path) -> None:
        _write_yaml(root, names, extra, into=d)
        for split, n in sizes.items():
            (d / "images" / split).mkdir(parents=True)
            (d / "masks" / split).mkdir(parents=True)
            for i in range(n):
                image, mask = _draw_semantic(_image_rng(seed, split, i), imgsz, nc, ignore_band)
                _write_png(d / "images" / split / f"{i:05d}.png", image)
                _write_png(d / "masks" / split / f"{i:05d}.png", mask)

    params = dict(n_train=n_train, n_val=n_val, imgsz=imgsz, nc=nc, seed=seed, ignore_band=bool(ignore_band))
    _build(root, _stamp("semantic", **params), write)
    return _write_yaml(root, names, extra)


def make_detection_dataset(
    root: str | os.PathLike,
    *,
    n_train: int = 64,
    n_val: int = 16,
    imgsz: int = 128,
    nc: int = 3,
    seed: int = 0,
    max_objects: int = 4,
) -> Path:
    """Write an object detection dataset for Ultralytics' ``detect`` task.

    Layout under ``root``: ``images/{train,val}/NNNNN.png``, ``labels/{train,val}/NNNNN.txt`` (one
    ``cls cx cy w h`` row per object, normalised to [0, 1], boxes tight around the shape's pixels; objects never
    overlap), ``data.yaml`` (``path``, ``train``, ``val``, ``names``) and the ``zoo_synthetic.json`` stamp.

    Args:
        root (str | os.PathLike): Dataset directory; created atomically, or reused when it already holds a dataset
            made with the same parameters.
        n_train (int): Number of training images.
        n_val (int): Number of validation images.
        imgsz (int): Side of the square images, in pixels (>= 32).
        nc (int): Number of object classes (1..255); class k is shape ``SHAPES[k % 4]`` in its own hue range.
        seed (int): Random seed; the same seed gives identical files.
        max_objects (int): Most objects per image (1..32); each image holds 1..max_objects of them.

    Returns:
        (Path): Path of the dataset YAML.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument is out of range.
        FileExistsError: If ``root`` holds something else.
    """
    _check_common(n_train, n_val, imgsz, seed)
    _check_int("nc", nc, 1, _MAX_NC)
    _check_int("max_objects", max_objects, 1, 32)
    sizes, root = {"train": n_train, "val": n_val}, Path(root).expanduser().resolve()

    def write(d: Path) -> None:
        _write_yaml(root, _class_names(nc), into=d)
        for split, n in sizes.items():
            (d / "images" / split).mkdir(parents=True)
            (d / "labels" / split).mkdir(parents=True)
            for i in range(n):
                image, rows = _draw_detection(_image_rng(seed, split, i), imgsz, nc, max_objects)
                _write_png(d / "images" / split / f"{i:05d}.png", image)
                text = "".join(f"{k} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n" for k, cx, cy, w, h in rows)
                (d / "labels" / split / f"{i:05d}.txt").write_text(text, encoding="utf-8")

    params = dict(n_train=n_train, n_val=n_val, imgsz=imgsz, nc=nc, seed=seed, max_objects=max_objects)
    _build(root, _stamp("detect", **params), write)
    return _write_yaml(root, _class_names(nc))


def make_classification_dataset(
    root: str | os.PathLike,
    *,
    n_train: int = 64,
    n_val: int = 16,
    imgsz: int = 64,
    nc: int = 3,
    seed: int = 0,
) -> Path:
    """Write an image classification dataset for Ultralytics' ``classify`` task.

    Ultralytics reads a classification dataset from a directory, not a YAML (``check_cls_dataset``), so this returns
    the dataset directory: pass it as ``data=``. Layout: ``{train,val}/<class>/NNNNN.png`` with class folders named
    ``NN_<shape>`` (zero-padded index first, so Ultralytics' sorted folder order is the class index order). Images
    are spread over the classes in turn (image i is class ``i % nc``), so each class holds about ``n / nc`` images.

    Args:
        root (str | os.PathLike): Dataset directory; created atomically, or reused when it already holds a dataset
            made with the same parameters.
        n_train (int): Number of training images (>= nc, so every class has one).
        n_val (int): Number of validation images (>= nc).
        imgsz (int): Side of the square images, in pixels (>= 32).
        nc (int): Number of classes (2..255).
        seed (int): Random seed; the same seed gives identical files.

    Returns:
        (Path): The dataset directory.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument is out of range.
        FileExistsError: If ``root`` holds something else.
    """
    _check_common(n_train, n_val, imgsz, seed)
    _check_int("nc", nc, 2, _MAX_NC)
    if min(n_train, n_val) < nc:
        raise ValueError(
            f"n_train and n_val must be >= nc (an image per class), got n_train={n_train}, n_val={n_val}, nc={nc}"
        )
    width = len(str(nc - 1))
    folders = [f"{k:0{width}d}_{name}" for k, name in enumerate(_class_names(nc))]
    sizes = {"train": n_train, "val": n_val}

    def write(d: Path) -> None:
        for split, n in sizes.items():
            for folder in folders:
                (d / split / folder).mkdir(parents=True)
            for i in range(n):
                k = i % nc
                image = _draw_classification(_image_rng(seed, split, i), imgsz, nc, k)
                _write_png(d / split / folders[k] / f"{i:05d}.png", image)

    return _build(root, _stamp("classify", n_train=n_train, n_val=n_val, imgsz=imgsz, nc=nc, seed=seed), write)


def make_dataset(task: str, root: str | os.PathLike, *, arch: str | None = None, **kwargs: object) -> Path:
    """Write the synthetic dataset of a task; what to pass as ``data=`` to Ultralytics comes back.

    The maker is the task table's ``dataset`` field (:mod:`zoo.tasks`).

    Args:
        task (str): A task or alias of the task table (``detect``, ``segment``, ``semantic``, ``pose``...).
        root (str | os.PathLike): Dataset directory.
        arch (str | None): The architecture's task, against which ``task`` resolves (``segment`` with
            ``arch="semantic"`` is semantic; alone it is instance segmentation).
        **kwargs (object): Keyword arguments of the task's generator (``n_train``, ``nc``, ``seed``, ...).

    Returns:
        (Path): The dataset YAML, or the dataset directory (classify).

    Raises:
        ValueError: If ``task`` is unknown, or a row has no synthetic dataset.
    """
    from zoo import tasks

    row = tasks.resolve(task, arch=arch, source="make_dataset")
    if row.dataset is None:
        raise ValueError(f"task {row.name!r} has no synthetic dataset")
    return row.load("dataset")(root, **kwargs)
