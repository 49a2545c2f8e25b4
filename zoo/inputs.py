"""Input images that ``zoo predict`` and ``zoo val`` check before the run: unreadable ones are an error.

Ultralytics skips an image it cannot decode with a log line (predict: ``Image Read Error``; datasets: "ignoring
corrupt image") and exits 0, so a run over a broken file looks successful. zoo's CLI lists the image files
the way Ultralytics' loaders do, decodes each the way Ultralytics' ``imread`` does (at 1/8 scale, which
fails on the same files and costs a fraction of a full decode), and stops with an error naming the files.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

__all__ = ["UnreadableImageError", "check_predict_source", "check_dataset_split", "unreadable_images"]

_NOT_FILES = ("https://", "http://", "rtsp://", "rtmp://", "tcp://")  # streams and URLs: not checked here
_SHOWN = 5  # files named in a message; the rest are counted


class UnreadableImageError(OSError):
    """Input images that exist but cannot be decoded (empty, truncated header, not an image).

    Fix or remove the files, or point ``source=`` / the dataset YAML elsewhere.
    """


def _image_formats() -> set[str]:
    from ultralytics.data.utils import IMG_FORMATS

    return {f for f in IMG_FORMATS if f != "heic"}  # HEIC goes through pillow-heif, not cv2: not checked


def _reason(path: Path) -> str | None:
    """Why ``path`` cannot be read as an image, or None when it decodes."""
    import cv2
    import numpy as np

    try:
        if path.stat().st_size == 0:
            return "empty file"
        data = np.fromfile(path, np.uint8)  # as Ultralytics' imread: works with non-ASCII paths
    except OSError as e:
        return f"cannot open: {e.strerror or e}"
    return None if cv2.imdecode(data, cv2.IMREAD_REDUCED_GRAYSCALE_8) is not None else "not a decodable image"


def unreadable_images(files: list[Path], what: str) -> None:
    """Raise when any of ``files`` cannot be decoded.

    Args:
        files (list[Path]): Image files to check.
        what (str): The input's name in the message, e.g. ``source=imgs/``.

    Raises:
        UnreadableImageError: Naming up to five files and why each failed.
    """
    bad = [(f, r) for f in files if (r := _reason(f))]
    if bad:
        listed = "; ".join(f"{f} ({r})" for f, r in bad[:_SHOWN])
        more = f"; and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
        raise UnreadableImageError(f"{len(bad)} of {len(files)} image(s) in {what} cannot be read: {listed}{more}. "
                                   "Fix or remove them, or point to other images.")


def _files_of(entry: str, recursive: bool) -> list[Path]:
    """Files of one path entry, as Ultralytics' loaders list them (glob, folder, or file)."""
    p = Path(entry).expanduser().absolute()
    if "*" in str(p):
        return [Path(f) for f in sorted(glob.glob(str(p), recursive=True))]
    if p.is_dir():
        pattern = str(p / "**" / "*.*") if recursive else str(p / "*.*")
        return [Path(f) for f in sorted(glob.glob(pattern, recursive=recursive))]
    if p.is_file():
        return [p]
    raise FileNotFoundError(f"{entry} does not exist")


def check_predict_source(source: object) -> None:
    """Check the image files ``zoo predict`` will read from ``source`` (a path, folder, glob or .txt list).

    Args:
        source (object): The ``source=`` value; URLs, streams, webcams, screens and in-memory inputs pass.

    Raises:
        FileNotFoundError: When a named path does not exist.
        UnreadableImageError: When an image file cannot be decoded.
    """
    if not isinstance(source, (str, os.PathLike)):
        return
    text = str(source)
    if text.lower().startswith(_NOT_FILES) or text.isnumeric() or text.endswith(".streams") or text == "screen":
        return
    entries = [text]
    if text.endswith(".txt") and Path(text).is_file():  # one path per line, relative to the list's folder
        lines = Path(text).read_text(encoding="utf-8").splitlines()
        entries = [str(Path(text).parent / ln.strip()) for ln in lines if ln.strip()]
    formats = _image_formats()
    files = [f for e in entries for f in _files_of(e, recursive=False) if f.suffix[1:].lower() in formats]
    unreadable_images(files, f"source={text}")


def check_dataset_split(data: object, split: str = "val", task: str | None = None) -> None:
    """Check the image files of a dataset split that ``zoo val`` will read.

    Args:
        data (object): Dataset YAML (or folder for classification); None skips the check.
        split (str): ``val``, ``test`` or ``train``.
        task (str | None): ``classify`` reads a folder dataset; any other task a dataset YAML.

    Raises:
        FileNotFoundError: When a split path does not exist.
        UnreadableImageError: When an image file cannot be decoded.
    """
    if not isinstance(data, (str, os.PathLike)):
        return
    from ultralytics.data.utils import check_cls_dataset, check_det_dataset

    info = check_cls_dataset(str(data), split=split) if task == "classify" else check_det_dataset(str(data))
    paths = info.get(split) or (info.get("val") if split == "val" else None)
    if not paths:
        return
    entries = []
    for p in paths if isinstance(paths, list) else [paths]:
        if str(p).endswith(".txt") and Path(p).is_file():  # a list file: lines relative to its folder
            lines = Path(p).read_text(encoding="utf-8").splitlines()
            entries += [str(Path(p).parent / ln.strip()) for ln in lines if ln.strip()]
        else:
            entries.append(str(p))
    formats = _image_formats()
    files = [f for e in entries for f in _files_of(e, recursive=True) if f.suffix[1:].lower() in formats]
    unreadable_images(files, f"the {split} split of {data}")
