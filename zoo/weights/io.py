"""Read weights files: format from magic bytes, safetensors by default, pickles only on request.

Format is decided by the bytes, never by the name alone; a name that disagrees with the content
is an error (a pickle named ``.safetensors`` is exactly how a malicious file would try to pass as
safe). Pickle policy, ``allow_pickle``:

* ``False`` (default): pickle-based files (``.pt``, ``.pth``, ``.bin``) are refused before a byte is
  unpickled.
* ``True``: zoo's restricted unpickler (:mod:`zoo.weights.checkpoint`): tensors, plain containers and
  the module classes of Ultralytics, zoo, timm and registered blocks, so Ultralytics ``.pt``
  checkpoints load; any other global (a ``__reduce__`` payload) is refused before it runs.
* ``"trusted"``: ``torch.load(weights_only=False)``: full unpickling, which can run arbitrary code.
  Use it only for files you produced or whose origin you trust.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from zoo.weights.errors import PickleRefusedError, WeightsFormatError
from zoo.weights.safetensors_header import MAX_HEADER_BYTES, read_header

LOGGER = logging.getLogger("zoo.weights")
PickleMode = bool | Literal["trusted"]
_PICKLE_EXTS = (".pt", ".pth", ".bin", ".ckpt", ".pkl")


def sniff_format(path: Path) -> str:
    """Identify a file by its first bytes.

    Args:
        path (Path): File.

    Returns:
        (str): ``"safetensors"``, ``"zip"`` (``torch.save`` archive, pickle inside), ``"pickle"``
            (legacy ``torch.save``/raw pickle) or ``"unknown"``.

    Raises:
        WeightsFormatError: If ``path`` is a directory.
    """
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(9)
    except IsADirectoryError:
        raise WeightsFormatError(f"{path} is a directory, not a weights file; pass the file inside it") from None
    if len(head) >= 9:
        (n,) = struct.unpack("<Q", head[:8])
        # safetensors: u64 little-endian header length (at most safetensors' cap), then a JSON object
        if 0 < n <= min(size - 8, MAX_HEADER_BYTES) and head[8:9] == b"{":
            return "safetensors"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "pickle"
    return "unknown"


def detect_format(path: Path) -> str:
    """Return ``"safetensors"`` or ``"pt"`` for a file, checking that its extension agrees.

    Args:
        path (Path): File.

    Returns:
        (str): ``"safetensors"`` or ``"pt"``.

    Raises:
        WeightsFormatError: If extension and content disagree, or the content is unknown.
    """
    kind = sniff_format(path)
    ext = path.suffix.lower()
    if kind == "unknown" and ext == ".safetensors":
        read_header(path)  # raises the specific reason (empty, truncated, huge header length, not JSON...)
    if kind == "unknown":
        raise WeightsFormatError(
            f"{path} is neither a safetensors file nor a torch.save/pickle file (first bytes do not "
            "match either format); the download may be truncated or not a weights file"
        )
    if ext == ".safetensors" and kind != "safetensors":
        raise WeightsFormatError(
            f"{path} is named .safetensors but its content is a {kind} (torch.save/pickle) file, which "
            "can run code when loaded. It was not loaded. If you trust it, rename it to .pt and pass "
            "allow_pickle=True"
        )
    if ext in _PICKLE_EXTS and kind == "safetensors":
        raise WeightsFormatError(
            f"{path} is named {ext} but its content is safetensors; rename it to .safetensors"
        )
    return "safetensors" if kind == "safetensors" else "pt"


def read_safetensors_metadata(path: Path) -> dict[str, str]:
    """Return the ``__metadata__`` of a safetensors file without reading its tensors.

    Args:
        path (Path): safetensors file.

    Returns:
        (dict[str, str]): Metadata (empty if none).

    Raises:
        SafetensorsHeaderError: If the file is not a well-formed safetensors file (the whole header is
            checked, so a file that passes here also passes :func:`read_state_dict`'s header checks).
    """
    return dict(read_header(path).metadata)


def read_state_dict(path: Path, *, allow_pickle: PickleMode = False, name: str | None = None) -> dict[str, Any]:
    """Read a state dict (name -> tensor) from a weights file.

    Args:
        path (Path): safetensors or pickle-based file.
        allow_pickle (bool | "trusted"): Pickle policy (see the module docstring).
        name (str | None): Weights name for messages.

    Returns:
        (dict[str, torch.Tensor]): Tensors on CPU.

    Raises:
        WeightsFormatError: Extension/content mismatch or an unreadable layout.
        SafetensorsHeaderError: A corrupt or truncated safetensors file (a WeightsFormatError).
        PickleRefusedError: A pickle-based file without the matching ``allow_pickle``.
    """
    path = Path(path)
    what = name or str(path)
    fmt = detect_format(path)
    if fmt == "safetensors":
        return _read_safetensors(path, what)
    if allow_pickle not in (True, "trusted"):
        raise PickleRefusedError(
            f"{what}: {path.name} is a pickle-based checkpoint, and unpickling can run arbitrary code. "
            "It was not loaded. Prefer a .safetensors file; else pass allow_pickle=True (zoo's restricted "
            "unpickler: tensors and Ultralytics/zoo/registered module classes, no code runs), or "
            "allow_pickle='trusted' for full unpickling of a file whose origin you trust"
        )
    from zoo.weights.checkpoint import read_checkpoint

    # One restricted reader for every .pt: Ultralytics and zoo checkpoints load without running code
    obj = read_checkpoint(path, trusted=allow_pickle == "trusted")
    return extract_state_dict(obj, what=what)


def _read_safetensors(path: Path, what: str) -> dict[str, Any]:
    """Read a safetensors file whose header is validated first, so its tensors fit inside the file."""
    read_header(path)
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError, KeyError) as e:
        # the header passed our checks, so this is a file that changed under us or a dtype torch lacks
        reason = (str(e).splitlines() or [type(e).__name__])[0][:200]
        raise WeightsFormatError(
            f"{what}: safetensors could not read {path} ({reason}). It was not loaded; re-download or re-export it"
        ) from None


def extract_state_dict(obj: Any, *, what: str = "checkpoint") -> dict[str, Any]:
    """Find the tensors in a loaded checkpoint object.

    Handles a bare state dict, ``{"state_dict": …}``, ``{"model": …}``, and Ultralytics checkpoints
    (``{"ema": Module | None, "model": Module}``: the EMA weights are preferred, as Ultralytics does;
    modules are cast to float32 first because checkpoints store them in half precision).

    Args:
        obj (Any): Result of ``torch.load``.
        what (str): Name for messages.

    Returns:
        (dict[str, torch.Tensor]): State dict.

    Raises:
        WeightsFormatError: If no state dict can be found.
    """
    import torch

    if isinstance(obj, torch.nn.Module):
        return {k: v for k, v in obj.float().state_dict().items()}
    if isinstance(obj, Mapping):
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return dict(obj)
        for key in ("ema", "model", "state_dict", "model_state_dict"):
            if obj.get(key) is not None:
                return extract_state_dict(obj[key], what=what)
    raise WeightsFormatError(
        f"{what}: no state dict found (expected a mapping of tensors, or a checkpoint with 'ema', "
        f"'model' or 'state_dict'; got {type(obj).__name__})"
    )
