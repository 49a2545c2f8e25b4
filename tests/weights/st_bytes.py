"""Build safetensors files byte by byte, valid or broken in one chosen way (shared by tests and fuzzers)."""

from __future__ import annotations

import json
import struct


def st_file(header: object, data: bytes = b"", *, length: int | None = None, raw_header: bytes | None = None) -> bytes:
    """Return ``<u64 length><header><data>``.

    Args:
        header (object): JSON-serialisable header (ignored when ``raw_header`` is given).
        data (bytes): Tensor bytes.
        length (int | None): Header length to write instead of the true one.
        raw_header (bytes | None): Header bytes as-is (for non-JSON or non-UTF-8 headers).

    Returns:
        (bytes): File content.
    """
    body = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(body) if length is None else length) + body + data


def one_tensor(dtype: str = "F32", shape: list | None = None, offsets: list | None = None, **extra) -> dict:
    """A header with one tensor ``w`` (default: 2 float32 values at bytes [0, 8])."""
    info = {"dtype": dtype, "shape": [2] if shape is None else shape, "data_offsets": [0, 8] if offsets is None else offsets}
    return {"w": info, **extra}
