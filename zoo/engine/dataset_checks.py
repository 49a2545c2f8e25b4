"""Refuse semantic datasets with broken masks instead of training on what is left.

Ultralytics' semantic dataset drops an image whose mask is missing, of another size, or holds ids
that are neither a class nor 255, and only logs a warning, so a mislabeled dataset trains silently
on a subset. zoo re-runs Ultralytics' own mask verification on the images its scan dropped and
raises one error that names every bad file.
"""

from __future__ import annotations

from ultralytics.data.dataset import SemanticDataset
from ultralytics.data.utils import img2label_paths

__all__ = ["DatasetError", "check_semantic_masks"]


class DatasetError(ValueError):
    """A dataset zoo will not train on, with the files and the fix."""


def check_semantic_masks(dataset: SemanticDataset, *, limit: int = 20) -> None:
    """Raise if the dataset scan dropped images for bad or missing masks.

    Images left out only by ``fraction`` sampling are not errors: each dropped image is re-verified.

    Args:
        dataset (SemanticDataset): A built Ultralytics semantic dataset.
        limit (int): At most this many files are listed.

    Raises:
        DatasetError: Naming each bad file and what is wrong with it.
    """
    kept = set(dataset.im_files)
    scanned = getattr(dataset, "scan_files", None) or dataset.get_img_files(dataset.img_path)
    dropped = {f for f in scanned if f not in kept}
    if not dropped:
        return
    verify, jobs = dataset.verify_args()  # Ultralytics' own check, set up for the surviving images
    *_, invalid_ids = next(iter(jobs))  # (an empty survivor list raised inside Ultralytics already)
    dropped = sorted(dropped)
    masks = img2label_paths(dropped, label_dir=dataset.data.get("masks_dir", "masks"), suffix=".png")
    problems = []
    for image, mask in zip(dropped, masks):
        *_, missing, _found, corrupt, message = verify((image, mask, "", invalid_ids))
        if missing or corrupt:
            problems.append(message.strip() or f"{image}: mask {mask} is missing")
    if problems:
        nc = len(dataset.data["names"])
        listed = "\n  ".join(problems[:limit]) + (f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else "")
        raise DatasetError(
            f"{len(problems)} image(s) have missing or invalid masks:\n  {listed}\n"
            f"Masks must be single-channel PNGs the size of their image, with ids 0..{nc - 1} or 255 (ignore); "
            "map raw ids with 'label_mapping' in the dataset YAML."
        )
