"""Read and validate a safetensors header before any tensor is touched. Stdlib only.

A safetensors file is ``<u64 little-endian header length><JSON header><tensor bytes>``. The
``safetensors`` package checks the same rules, but a broken file then surfaces as its own
``SafetensorError``, a ``struct.error``, a ``JSONDecodeError`` or a ``MemoryError`` (a header
length of 2**63 read as-is), none naming the file or the fix. Here every rule that
``safetensors`` enforces is checked first and a failure is a :class:`SafetensorsHeaderError`
naming the file, what is wrong and what to do. Passing these checks bounds every later
allocation by the file's size: each tensor's bytes must lie inside the file and match its shape.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo.weights.errors import SafetensorsHeaderError
from zoo.weights.quoting import short

#: safetensors' own cap on the JSON header (``N_MAX_HEADER``: 100 MB); a longer claim is corruption.
MAX_HEADER_BYTES = 100_000_000
#: Bytes per element of the dtypes that ``safetensors.torch`` maps to a torch dtype.
DTYPE_SIZES: dict[str, int] = {
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
    "F8_E4M3": 1, "F8_E4M3FNUZ": 1, "F8_E5M2": 1, "F8_E5M2FNUZ": 1, "C64": 8, "U64": 8, "U32": 4, "U16": 2,
}
_FIX = "re-download it (`zoo weights fetch <name>` verifies the sha256) or export it again with zoo.weights.publish()"


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of a safetensors header.

    Attributes:
        dtype (str): safetensors dtype name, e.g. ``F32``.
        shape (tuple[int, ...]): Shape.
        begin (int): Start offset in the data section.
        end (int): End offset (exclusive) in the data section.
    """

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class SafetensorsHeader:
    """A validated safetensors header.

    Attributes:
        tensors (dict[str, TensorInfo]): Tensors by name.
        metadata (dict[str, str]): The ``__metadata__`` strings (empty if none).
        header_bytes (int): Length of the JSON header.
    """

    tensors: dict[str, TensorInfo]
    metadata: dict[str, str]
    header_bytes: int


def read_header(path: str | os.PathLike) -> SafetensorsHeader:
    """Read and validate the header of a safetensors file (the tensor bytes are not read).

    Args:
        path (str | os.PathLike): File.

    Returns:
        (SafetensorsHeader): Tensors and metadata.

    Raises:
        SafetensorsHeaderError: If the file is not a well-formed safetensors file; the message names
            the file, the rule broken and the fix.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 8:
                _fail(path, f"it is {size} bytes long; a safetensors file starts with an 8-byte header "
                            "length (empty or truncated file)")
            (n,) = struct.unpack("<Q", f.read(8))
            if n == 0:
                _fail(path, "its header length is 0 (no JSON header)")
            if n > MAX_HEADER_BYTES:
                _fail(path, f"its header length claims {n} bytes, above safetensors' {MAX_HEADER_BYTES}-byte "
                            "cap (corrupt length field or not a safetensors file)")
            if n > size - 8:
                _fail(path, f"its header length claims {n} bytes but the file has only {size - 8} after the "
                            "length field (truncated download or not a safetensors file)")
            raw = f.read(n)
    except IsADirectoryError:
        _fail(path, "it is a directory, not a file")
    except OSError as e:
        _fail(path, f"it cannot be read ({e.strerror or e})")
    header = _parse_json(path, raw)
    data_len = size - 8 - n
    metadata = _metadata(path, header.pop("__metadata__", None))
    tensors = {name: _tensor(path, name, info, data_len) for name, info in header.items()}
    _check_layout(path, tensors, data_len)
    return SafetensorsHeader(tensors=tensors, metadata=metadata, header_bytes=n)


def _fail(path: Path, what: str) -> None:
    raise SafetensorsHeaderError(f"{path} is not a valid safetensors file: {what}. It was not loaded; {_FIX}")


def _parse_json(path: Path, raw: bytes) -> dict[str, Any]:
    if not raw.startswith(b"{"):
        _fail(path, f"its header does not start with '{{' (starts with {short(raw[:8])})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        _fail(path, f"its header is not UTF-8 text (byte {e.start})")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            dup = next(k for i, (k, _) in enumerate(pairs) if k in dict(pairs[:i]))
            _fail(path, f"its header defines {short(dup)} twice (ambiguous: which tensor is meant?)")
        return out

    try:
        header = json.loads(text, object_pairs_hook=no_duplicates)
    except SafetensorsHeaderError:  # from the duplicate-key hook (a ValueError too)
        raise
    except json.JSONDecodeError as e:
        _fail(path, f"its header is not valid JSON ({e.msg} at character {e.pos})")
    except RecursionError:
        _fail(path, "its header is nested too deeply to be a safetensors header")
    except ValueError as e:  # e.g. an integer with more digits than Python converts
        _fail(path, f"its header holds an unreadable value ({short(str(e))})")
    if not isinstance(header, dict):
        _fail(path, f"its header is a JSON {type(header).__name__}, not an object")
    return header


def _metadata(path: Path, meta: Any) -> dict[str, str]:
    if meta is None:
        return {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        _fail(path, f"its __metadata__ must map strings to strings, got {short(meta)}")
    return meta


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _tensor(path: Path, name: str, info: Any, data_len: int) -> TensorInfo:
    where = f"tensor {short(name)}"
    if not isinstance(info, dict):
        _fail(path, f"{where} must be an object with dtype, shape and data_offsets, got {short(info)}")
    missing = [k for k in ("dtype", "shape", "data_offsets") if k not in info]
    if missing:
        _fail(path, f"{where} lacks {', '.join(missing)}")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPE_SIZES:
        _fail(path, f"{where} has dtype {short(dtype)}, not one of {', '.join(DTYPE_SIZES)}")
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        _fail(path, f"{where} has shape {short(shape)}; expected a list of non-negative integers")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)):
        _fail(path, f"{where} has data_offsets {short(offsets)}; expected [begin, end] integers")
    begin, end = offsets
    if not 0 <= begin <= end <= data_len:
        _fail(path, f"{where} has data_offsets [{begin}, {end}] outside the {data_len} data bytes of the file")
    nbytes = math.prod(shape) * DTYPE_SIZES[dtype]
    if nbytes != end - begin:
        _fail(path, f"{where} of shape {short(shape)} and dtype {dtype} needs {short(nbytes)} bytes but its "
                    f"data_offsets span {end - begin}")
    return TensorInfo(dtype=dtype, shape=tuple(shape), begin=begin, end=end)


def _check_layout(path: Path, tensors: dict[str, TensorInfo], data_len: int) -> None:
    """Tensors must tile the data section exactly, as ``safetensors`` requires (no gaps, no overlap)."""
    at = 0
    for name, t in sorted(tensors.items(), key=lambda kv: (kv[1].begin, kv[1].end)):
        if t.begin != at:
            what = "overlaps the previous one" if t.begin < at else f"leaves a gap at byte {at}"
            _fail(path, f"tensor {short(name)} starts at byte {t.begin} and {what}")
        at = t.end
    if at != data_len:
        _fail(path, f"its tensors cover {at} of the {data_len} data bytes (trailing bytes or truncated file)")
