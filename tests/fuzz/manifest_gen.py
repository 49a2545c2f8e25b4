"""Generate manifest files and weights references for the manifest fuzzer.

A case starts from a valid manifest (so mutations reach deep into entry validation, not only the
JSON parser) and breaks it one to three times: a value swapped for one of another type or an
extreme one, a key dropped, added or renamed, bytes flipped, cut or made invalid UTF-8, or the
whole file replaced by a special shape (empty, deeply nested, a directory, a git symlink stub).
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from typing import Any

FIELDS = ["source", "sha256", "size", "format", "layout", "coverage", "license", "dataset", "metrics",
          "input_size", "mean", "std", "nc", "names", "paper", "url", "default", "allow_pickle", "unverified", "notes"]
MODELS = ["net-s", "deeplabv3p-s", "vit-b-cls", "unet-l", "a", "x-1"]
TAGS = ["voc", "in1k", "a1_in1k", "v1", "x-y"]


def nasty_string(rng: random.Random) -> str:
    pick = rng.randrange(14)
    if pick == 0:
        return ""
    if pick == 1:
        return "x" * rng.choice([201, 4097, 70000])
    if pick == 2:
        return "../" * rng.randint(1, 50) + "etc/passwd"
    if pick == 3:
        return "a\x00b.safetensors"
    if pick == 4:
        return "".join(chr(rng.randint(0x80, 0x10FFFF)) for _ in range(rng.randint(1, 20)))
    if pick == 5:
        return "\ud800"  # a lone surrogate: valid JSON escape, not encodable as UTF-8
    if pick == 6:
        return "C:\\Windows\\w.safetensors"
    if pick == 7:
        return "~nobody-zoo/w.safetensors"
    if pick == 8:
        return "hf://org/repo@" + "".join(rng.choice("0123456789abcdefg") for _ in range(rng.choice([39, 40, 41]))) + "/m.safetensors"
    if pick == 9:
        return "https://[::1/" + "w.safetensors"
    if pick == 10:
        return "https://h/" + "%2e%2e%2f" * 3 + "w.safetensors"
    if pick == 11:
        return "/" + "/".join("d" * rng.randint(1, 300) for _ in range(rng.randint(1, 30))) + "/w.safetensors"
    if pick == 12:
        return rng.choice(MODELS) + "." + rng.choice(TAGS)
    return "".join(rng.choice(string.printable) for _ in range(rng.randint(1, 40)))


def nasty_value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(12 if depth < 3 else 8)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False])
    if pick == 2:
        return rng.choice([0, -1, 1, 2**31, 2**63, 2**64 + 1, -(2**70), 10**300])
    if pick == 3:
        return rng.choice([0.0, -0.0, 1.5, 1e308, float("nan"), float("inf"), float("-inf")])
    if pick in (4, 5, 6, 7):
        return nasty_string(rng)
    if pick in (8, 9):
        return [nasty_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {nasty_string(rng) if rng.random() < 0.5 else rng.choice(FIELDS): nasty_value(rng, depth + 1)
            for _ in range(rng.randint(0, 4))}


def valid_entry(rng: random.Random) -> dict[str, Any]:
    data = rng.randbytes(16)
    kind = rng.randrange(3)
    fname = rng.choice(["model.safetensors", "w.safetensors"])
    if kind == 0:
        source = f"https://example.org/{rng.randint(0, 9)}/{fname}"
    elif kind == 1:
        source = f"hf://org/repo@{hashlib.sha1(data).hexdigest()}/{fname}"
    else:
        source = f"sub/{fname}"  # relative to the manifest
    entry: dict[str, Any] = {"source": source, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                             "format": "safetensors", "layout": rng.choice(["zoo", "timm", "smp"]),
                             "coverage": rng.choice(["model", "backbone"]), "license": "mit"}
    if rng.random() < 0.5:
        nc = rng.randint(1, 5)
        entry.update(nc=nc, names=[f"c{i}" for i in range(nc)])
    if rng.random() < 0.3:
        entry.update(input_size=[3, 224, 224], mean=[0.5, 0.5, 0.5], std=[0.2, 0.2, 0.2], metrics={"top1": 0.5})
    return entry


def valid_manifest(rng: random.Random) -> dict[str, Any]:
    weights: dict[str, Any] = {}
    for _ in range(rng.randint(1, 4)):
        weights[f"{rng.choice(MODELS)}.{rng.choice(TAGS)}"] = valid_entry(rng)
    for name in list(weights)[:1]:
        if rng.random() < 0.5:
            weights[name]["default"] = True
    return {"schema_version": 1, "weights": weights}


def _containers(node: Any, out: list) -> list:
    if isinstance(node, dict):
        out.append(node)
        for v in node.values():
            _containers(v, out)
    elif isinstance(node, list):
        out.append(node)
        for v in node:
            _containers(v, out)
    return out


def mutate_tree(rng: random.Random, doc: dict) -> None:
    """Change one node of the parsed document in place."""
    node = rng.choice(_containers(doc, []))
    if isinstance(node, list):
        if node and rng.random() < 0.7:
            node[rng.randrange(len(node))] = nasty_value(rng)
        else:
            node.append(nasty_value(rng))
        return
    op = rng.randrange(4)
    if op == 0 and node:
        node[rng.choice(list(node))] = nasty_value(rng)
    elif op == 1 and node:
        del node[rng.choice(list(node))]
    elif op == 2:
        node[rng.choice(FIELDS + ["schema_version", "weights"]) if rng.random() < 0.6 else nasty_string(rng)] = nasty_value(rng)
    elif node:
        key = rng.choice(list(node))
        node[nasty_string(rng)] = node.pop(key)


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    op = rng.randrange(6)
    if op == 0 and data:
        return data[: rng.randrange(len(data))]
    if op == 1 and data:
        i = rng.randrange(len(data))
        return data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    if op == 2:
        i = rng.randrange(len(data) + 1)
        return data[:i] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]) + data[i:]
    if op == 3:
        return b"\xef\xbb\xbf" + data  # a UTF-8 byte-order mark
    if op == 4 and b'"weights": {' in data:
        # splice a duplicate key into the weights object
        return data.replace(b'"weights": {', b'"weights": {"net-s.voc": {}, "net-s.voc": {}, ', 1)
    return data + rng.choice([b"}", b",", b" garbage", b"\n\n"])


def special_file(rng: random.Random) -> tuple[str, bytes | None]:
    """A whole-file special case: (kind, content); content None means 'make a directory'."""
    pick = rng.randrange(8)
    if pick == 0:
        return "empty", b""
    if pick == 1:
        n = rng.choice([1000, 100000, 1000000])
        return f"nested {n}", b'{"schema_version": 1, "weights": ' + b"[" * n + b"]" * n + b"}"
    if pick == 2:
        return "huge int", b'{"schema_version": ' + b"7" * rng.choice([4400, 100000]) + b"}"
    if pick == 3:
        return "directory", None
    if pick == 4:
        return "git stub", rng.choice([b"../weights_manifest.json", b"missing.json", b"/nonexistent/x.json",
                                       b"stub.json", b"\xff.json", b"a" * 5000 + b".json"])
    if pick == 5:
        return "top-level list", b"[1, 2, 3]"
    if pick == 6:
        return "bytes", rng.randbytes(rng.randint(1, 200))
    return "json scalar", rng.choice([b"null", b"1", b'"x"', b"true", b"NaN", b"-Infinity"])


def manifest_case(rng: random.Random) -> tuple[str, bytes | None]:
    """Return (description, file content or None for a directory)."""
    if rng.random() < 0.15:
        return special_file(rng)
    doc = valid_manifest(rng)
    steps = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.8:
            mutate_tree(rng, doc)
            steps.append("tree")
    try:
        data = json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    except (ValueError, TypeError, OverflowError):
        data = repr(doc).encode("utf-8", "surrogatepass")
    if rng.random() < 0.3:
        data = mutate_bytes(rng, data)
        steps.append("bytes")
    return "+".join(steps) or "valid", data


def weights_ref(rng: random.Random, names: list[str]) -> tuple[str, str | None]:
    """A ``weights=`` string and a model name, as zoo.load(name, weights=...) would pass them."""
    model = rng.choice(MODELS + [None])
    pick = rng.randrange(8)
    if pick == 0 and names:
        ref = rng.choice(names)
    elif pick == 1:
        ref = "DEFAULT"
    elif pick == 2:
        ref = rng.choice(TAGS + ["Voc", "a.b", "in1k.x"])
    elif pick == 3 and names:
        name = rng.choice(names)
        i = rng.randrange(len(name))
        ref = name[:i] + rng.choice(string.printable) + name[i + 1:]
    elif pick == 4:
        ref = rng.choice(["w.safetensors", "w.pt", "./x/w.pth", "~nobody-zoo/w.pt", "/" + "a" * 5000 + ".pt",
                          "a\x00.pt", "https://example.org/w.safetensors", "hf://org/repo@main/w.safetensors",
                          "https://example.org/w.safetensors#sha256=zz", "C:\\w.pt", "..", "."])
    else:
        ref = nasty_string(rng)
    return ref, model
