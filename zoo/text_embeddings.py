"""Class-name embeddings for YOLO-World and YOLOE without their text model (offline use).

World and YOLOE turn class names into embeddings with a text encoder (CLIP ViT-B/32 for World, MobileCLIP for
YOLOE) that Ultralytics downloads on first use. Ultralytics asks for them through the model's ``get_text_pe``:
World's trainer at the end of its pretrain routine (``set_classes``) and for its text cache, YOLOE's validator in
every validation, World's standalone validator when the dataset's names differ from the model's. zoo's World
and YOLOE models look the names up in the table given here first and call the text model only when no table is
given, so with a table nothing is downloaded.

The table maps each class name to its raw text-encoder embedding, a 1-D tensor (512 values for the stock
heads), in the format of the caches Ultralytics' trainers write next to a dataset
(``text_embeddings_clip_ViT-B_32.pt``, ``text_embeddings_mobileclip_blt.pt``), so a cache written once online
serves offline. For YOLOE the entries are before its auxiliary text head (``reprta``), which the model still
applies. Embeddings from another encoder train, but do not match pretrained weights.

Examples:
    >>> import zoo
    >>> from zoo import text_embeddings
    >>> text_embeddings.use("text_embeddings_clip_ViT-B_32.pt")  # {"person": tensor(512), ...}
    >>> zoo.load("yolov8s-worldv2.yaml").train(data="my-data.yaml", epochs=1)
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

__all__ = ["ENV", "use", "lookup"]

# A file given to use() is also named here, so the processes a run starts (DDP workers) read the same table.
ENV = "ZOO_TEXT_EMBEDDINGS"

_table: dict[str, torch.Tensor] | None = None
_table_file: str | None = None


def use(source: str | Path | dict | None) -> None:
    """Set the table of class-name embeddings for this process (``None`` removes it).

    Args:
        source (str | Path | dict | None): A ``.pt`` file holding ``{name: tensor}`` (read with
            ``weights_only=True``: tensors only), or the dictionary itself. A file is also exported in
            :data:`ENV` for child processes; a dictionary serves this process only.

    Raises:
        TypeError: When the table is not a ``{str: 1-D tensor}`` dictionary of one embedding size.
    """
    global _table, _table_file
    if source is None:
        _table, _table_file = None, None
        os.environ.pop(ENV, None)
        return
    if isinstance(source, dict):
        _table, _table_file = _checked(source, "table"), None
        os.environ.pop(ENV, None)  # a file of an earlier use() no longer describes this process's table
        return
    path = str(Path(source).resolve())
    _table, _table_file = _checked(torch.load(path, map_location="cpu", weights_only=True), path), path
    os.environ[ENV] = path


def _checked(table, where: str) -> dict[str, torch.Tensor]:
    """The table, validated: string keys, 1-D floating tensors of one length."""
    if not isinstance(table, dict) or not table:
        raise TypeError(f"{where}: text embeddings must be a non-empty {{name: tensor}} dict, got {type(table).__name__}")
    sizes = set()
    for name, v in table.items():
        if not isinstance(name, str) or not isinstance(v, torch.Tensor) or v.ndim != 1 or not v.is_floating_point():
            raise TypeError(f"{where}: entry {name!r} must map a name to a 1-D float tensor")
        sizes.add(v.numel())
    if len(sizes) != 1:
        raise TypeError(f"{where}: embeddings of different sizes {sorted(sizes)}")
    return dict(table)


def lookup(names: list[str]) -> torch.Tensor | None:
    """The embeddings of ``names`` as ``(1, len(names), D)`` float32, or None when no table is given.

    A table named only by :data:`ENV` (a child process of a run that called :func:`use`) is read on first use.

    Raises:
        KeyError: When a table is given but lacks some of the names (listed), rather than going online.
    """
    env = os.environ.get(ENV)
    if env and env != _table_file:
        use(env)
    if _table is None:
        return None
    missing = [n for n in names if n not in _table]
    if missing:
        raise KeyError(f"zoo.text_embeddings: no embedding for {missing[:10]} ({len(missing)} missing) in the table"
                       f"{' ' + _table_file if _table_file else ''}; add them or call use(None) to use the text model")
    return torch.stack([_table[n].float() for n in names]).unsqueeze(0)
