"""Generate safetensors files for the safetensors fuzzer.

A case starts from a valid file holding a tiny model's tensors (in a random dtype, possibly with
NaN/Inf values, possibly with extra or renamed tensors) and breaks it: a header value swapped for
one of another type or an extreme one, the length field rewritten, bytes flipped in the header or
the data, the file cut or extended, or the header replaced by non-JSON, non-UTF-8 or deep JSON.
"""

from __future__ import annotations

import json
import math
import random
import struct
from typing import Any

from manifest_gen import mutate_tree, nasty_value

#: name -> shape: the state dict of the fuzzer's tiny model (tests/fuzz/test_fuzz_safetensors.py).
TINY = {"conv.weight": [4, 3, 3, 3], "conv.bias": [4], "bn.weight": [4], "bn.bias": [4],
        "bn.running_mean": [4], "bn.running_var": [4], "bn.num_batches_tracked": [], "fc.weight": [2, 4], "fc.bias": [2]}
DTYPES = {"F64": ("d", 8), "F32": ("f", 4), "F16": ("e", 2), "BF16": (None, 2), "I64": ("q", 8), "I32": ("i", 4),
          "I16": ("h", 2), "I8": ("b", 1), "U8": ("B", 1), "BOOL": ("?", 1), "F8_E4M3": (None, 1), "F8_E5M2": (None, 1),
          "C64": (None, 8), "U16": ("H", 2), "U32": ("I", 4), "U64": ("Q", 8)}


def tensor_bytes(rng: random.Random, dtype: str, n: int, special: bool) -> bytes:
    fmt, size = DTYPES[dtype]
    if fmt is None or fmt in "?":
        return bytes(rng.choice([0, 1]) if fmt == "?" else rng.randrange(256) for _ in range(n * size))
    if fmt in "def":
        values = [rng.uniform(-1, 1) for _ in range(n)]
        if special and values:
            values[rng.randrange(n)] = rng.choice([math.nan, math.inf, -math.inf])
        return struct.pack(f"<{n}{fmt}", *values)
    lo, hi = {1: (0, 127), 2: (0, 2**15 - 1), 4: (0, 2**31 - 1), 8: (0, 2**63 - 1)}[size]
    return struct.pack(f"<{n}{fmt}", *(rng.randint(lo, hi) for _ in range(n)))


def valid_parts(rng: random.Random) -> tuple[dict[str, Any], bytes]:
    """A valid header and data section for (a variant of) the tiny model's tensors."""
    tensors = {k: list(v) for k, v in TINY.items()}  # copies: the header mutations edit these lists
    if rng.random() < 0.2:
        tensors.pop(rng.choice(list(tensors)))
    if rng.random() < 0.2:
        tensors[rng.choice(["extra", "", "fc.weight.x", "ü" * 50, "a" * 3000])] = [rng.randint(0, 3)]
    if rng.random() < 0.1:
        tensors = {f"model.{i}.{k}": v for i, (k, v) in enumerate(tensors.items())}  # another layout
    header: dict[str, Any] = {}
    data = b""
    one_dtype = rng.choice(list(DTYPES)) if rng.random() < 0.5 else None
    special = rng.random() < 0.2
    for name, shape in tensors.items():
        dtype = one_dtype or rng.choice(["F32", "F32", "F16", "BF16", "F64", *DTYPES])
        if name.endswith("num_batches_tracked") and one_dtype is None:
            dtype = "I64"
        n = math.prod(shape)
        blob = tensor_bytes(rng, dtype, n, special)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    if rng.random() < 0.5:
        header["__metadata__"] = {"layout": rng.choice(["zoo", "timm", "smp", "ultralytics", "x"]), "nc": "2"}
    return header, data


def pack(header_bytes: bytes, data: bytes, length: int | None = None) -> bytes:
    return struct.pack("<Q", len(header_bytes) if length is None else length % 2**64) + header_bytes + data


def safetensors_case(rng: random.Random) -> tuple[str, bytes]:
    """Return (description, file content)."""
    header, data = valid_parts(rng)
    if rng.random() < 0.1:  # well-formed: reaches the load itself (dtypes, NaN/Inf, other layouts)
        return "valid", pack(json.dumps(header).encode(), data)
    steps = []
    pick = rng.random()
    if pick < 0.45:
        for _ in range(rng.randint(1, 3)):
            mutate_tree(rng, header)
        steps.append("tree")
    try:
        hb = json.dumps(header).encode()
    except (ValueError, TypeError):
        hb = b"{}"
    length = None
    if 0.45 <= pick < 0.55:
        length = rng.choice([0, 1, len(hb) - 1, len(hb) + 1, len(hb) + len(data) + 1, 2**31, 2**63, 2**64 - 1,
                             100_000_001, rng.randrange(2**64)])
        steps.append(f"length={length}")
    elif 0.55 <= pick < 0.65:
        hb = rng.choice([b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}", b"{\xff\xfe}", b"{not json",
                         b'{"a": ' + b"9" * 5000 + b"}", b"{}" + b" " * rng.randint(0, 16), b'{"a":1,"a":2}',
                         b"[]", b"null", b'{"__metadata__": null}'])
        steps.append("header")
    content = pack(hb, data, length)
    if 0.65 <= pick < 0.85 and content:
        i = rng.randrange(len(content))
        content = content[:i] + bytes([rng.randrange(256)]) + content[i + 1:]
        steps.append(f"flip@{i}")
    elif pick >= 0.85:
        if rng.random() < 0.6:
            content = content[: rng.randrange(len(content) + 1)]
            steps.append(f"cut@{len(content)}")
        else:
            content += rng.randbytes(rng.randint(1, 64))
            steps.append("append")
    if pick < 0.45 and rng.random() < 0.3:
        extra = nasty_value(rng)  # a wild value where the header expects an object
        header["__metadata__"] = extra
    return "+".join(steps) or "valid", content
