"""Seeded mutations of valid model YAMLs, for fuzzing ``zoo.load``.

Each case starts from a seed YAML (zoo's architecture YAMLs, a stock Ultralytics YAML, the user-blocks
YAML of ``tests/engine``) and applies one to three mutations: structural ones on the parsed mapping (values
of random types, huge or negative numbers, dropped, duplicated or swapped rows, bad ``from`` indices, random
module names, dotted names of modules that must never be imported) and textual ones on the YAML text
(aliases, "billion laughs", duplicate keys, deep nesting, truncation, stray bytes). ``make_case(seed, i)``
depends only on its arguments, so a failing case is reproduced from its two numbers.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# A module planted by the fuzz test; its import writes a marker file. No case may import it.
PLANTED = "planted_fuzz_payload"
MODULE_NAMES = [
    "Conv", "C3k2", "SPPF", "Concat", "Detect", "Segment", "Pose", "OBB", "Classify", "SemanticSegment", "C2PSA",
    "A2C2f", "HGBlock", "ResNetLayer", "RTDETRDecoder", "TorchVision", "Index", "AIFI", "nn.Upsample", "nn.Conv2d",
    "nn.Linear", "nn.Identity", "nn.Transformer", "torchvision.ops.DeformConv2d", "TimmEncoder", "Pick", "ASPP",
    "Widen", "FuseUp", "Convv", "conv", "NoSuchBlock", f"{PLANTED}.Block", "os.system", "subprocess.Popen",
    "builtins.eval", "zoo.nn.blocks.Pick", "zoo.api.load", "zoo.__main__.main", "zoo.no_such.Block",
    "ultralytics.nn.modules.Conv", "a" * 300, "../evil/Block", "",
]
HUGE = [10**3, 10**4, 10**6, 10**9, 10**12, 10**18, 10**30, 2**63]
PLAUSIBLE = [0, 1, 2, 3, 4, 5, 7, 8, 16, 32, 33, 64, 100, 128, 256, 512, 1024]  # pass validation, break shapes
STRINGS = ["x", "nc", "reg_max", "None", "True", "__import__('os').system('true')", "nn.SiLU()", "[1, 2]", "1e999", "∞", ""]


@dataclass
class Case:
    """One fuzz input: where it came from, what was done to it, and the YAML text."""

    seed_name: str
    task: str
    ops: list[str]
    text: str


def seeds() -> list[tuple[str, str, str, float]]:
    """(name, task, YAML text, weight) for every seed; cheap-to-build seeds weigh more."""
    out = []
    for path in sorted((REPO / "architectures").glob("*/*.yaml")):
        text = path.read_text()
        out.append((path.name, yaml.safe_load(text)["task"], text, 1.0))
    from zoo.config import find_stock_yaml

    stock, _ = find_stock_yaml("yolo26n.yaml")
    out.append(("yolo26n.yaml", "detect", stock.read_text().replace("scales:", "scale: n\nscales:", 1), 3.0))
    out.append(("user_model.yaml", "detect", (REPO / "tests" / "engine" / "user_model.yaml").read_text(), 4.0))
    return out


def random_value(rng: random.Random, depth: int = 0):
    """A value of a random type: huge/negative/zero numbers, floats, strings, None, bools, nested lists, dicts."""
    kind = rng.choice(["huge", "neg", "zero", "float", "str", "none", "bool", "list", "dict", "int", "name",
                       "plausible", "plausible", "plausible"])
    if kind == "plausible":
        return rng.choice(PLAUSIBLE)
    if kind == "huge":
        return rng.choice(HUGE) * rng.choice([1, -1])
    if kind == "neg":
        return -rng.randint(1, 100)
    if kind == "zero":
        return 0
    if kind == "float":
        return rng.choice([0.5, -1.5, 1e300, float("nan"), float("inf"), 3.7])
    if kind == "str":
        return rng.choice(STRINGS)
    if kind == "none":
        return None
    if kind == "bool":
        return rng.choice([True, False])
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))] if depth < 4 else []
    if kind == "dict":
        return {rng.choice(["n", "s", "a", "1"]): random_value(rng, depth + 1)} if depth < 4 else {}
    if kind == "name":
        return rng.choice(MODULE_NAMES)
    return rng.randint(-3, 300)


def _leaves(node, path=()):
    """Paths to every value in a nested mapping/list structure."""
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))


def _set(root, path, value):
    node = root
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _rows(d) -> list | None:
    rows = [r for key in ("backbone", "head") if isinstance(d.get(key), list) for r in d[key]]
    return rows or None


def mutate_data(d: dict, rng: random.Random) -> str:
    """Apply one structural mutation in place; return its description."""
    op = rng.choice(["leaf", "leaf", "row_field", "args", "args", "drop_row", "dup_row", "dup_row", "swap_rows",
                     "from", "from", "module", "module", "top_key", "drop_key", "scales"])
    rows = _rows(d)
    section = rng.choice([k for k in ("backbone", "head") if isinstance(d.get(k), list) and d[k]] or ["backbone"])
    if op == "leaf":
        path = rng.choice([p for p in _leaves(d) if p])
        _set(d, path, random_value(rng))
        return f"leaf {path!r}"
    if rows is None or not isinstance(d.get(section), list) or not d[section]:
        d[section] = random_value(rng)
        return f"section {section} replaced"
    row = rng.choice(d[section])
    if not isinstance(row, list) or len(row) != 4:
        return "row not a row"
    if op == "row_field":
        i = rng.randrange(4)
        row[i] = random_value(rng)
        return f"row field {i}"
    if op == "args" and isinstance(row[3], list):
        action = rng.choice(["append", "drop", "replace", "shuffle"])
        if action == "append" or not row[3]:
            row[3].append(random_value(rng))
        elif action == "drop":
            row[3].pop(rng.randrange(len(row[3])))
        elif action == "replace":
            row[3][rng.randrange(len(row[3]))] = rng.choice(PLAUSIBLE) if rng.random() < 0.5 else random_value(rng)
        else:
            rng.shuffle(row[3])
        return f"args {action}"
    if op == "drop_row":
        d[section].remove(row)
        return "drop row"
    if op == "dup_row":
        d[section].insert(rng.randrange(len(d[section]) + 1), copy.deepcopy(row))
        return "duplicate row"
    if op == "swap_rows" and len(rows) > 1:
        j = rng.randrange(len(d[section]))
        k = d[section].index(row)
        d[section][j], d[section][k] = d[section][k], d[section][j]
        return "swap rows"
    if op == "from":
        i = next(k for k, r in enumerate(rows) if r is row)
        valid = lambda: rng.randint(-i, i - 1) if i else -1  # noqa: E731 - in range: wrong shapes, not wrong syntax
        row[0] = rng.choice([valid(), [valid() for _ in range(rng.randint(1, 3))], rng.randint(-50, 50), []])
        return f"from {row[0]!r}"
    if op == "module":
        stock = ["Conv", "C3k2", "SPPF", "Concat", "C2f", "Bottleneck", "nn.Upsample", "DWConv", "Classify", "Detect"]
        row[2] = rng.choice(stock if rng.random() < 0.5 else MODULE_NAMES)
        return f"module {row[2]!r}"
    if op == "top_key":
        key = rng.choice(["nc", "scale", "scales", "symbols", "activation", "init", "task", "modules", "reg_max",
                          "end2end", "kpt_shape", "depth_multiple", "width_multiple", "arch", "unknown_key"])
        d[key] = rng.choice([random_value(rng), f"{PLANTED}", "os", "nn.ReLU()", "nn.Linear(10, 10)", "torch"])
        return f"top key {key}={d[key]!r}"
    if op == "drop_key" and d:
        key = rng.choice(sorted(d, key=str))
        del d[key]
        return f"drop key {key}"
    if op == "scales" and isinstance(d.get("scales"), dict) and d["scales"]:
        letter = rng.choice(sorted(d["scales"], key=str))
        d["scales"][letter] = [rng.choice([0.0, -1, 1e9, 0.33, float("nan"), 10**9, 1]) for _ in range(3)]
        return f"scales {letter}"
    return f"{op} skipped"


def mutate_text(text: str, rng: random.Random) -> tuple[str, str]:
    """Apply one textual mutation; return the new text and its description."""
    op = rng.choice(["alias", "laughs", "dup_key", "nest", "truncate", "bytes", "tag"])
    lines = text.splitlines()
    if op == "alias":
        return "zz_anchor: &z " + str([rng.randint(0, 9) for _ in range(rng.randint(1, 50))]) + "\n" + \
            text.replace("[nc]", "*z", 1).replace(", [", ", *z #[", 1), "alias"
    if op == "laughs":
        levels = rng.randint(3, 9)
        head = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
        head += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
        return "\n".join(head) + "\n" + text.replace("[nc]", f"*l{levels - 1}", 1), f"laughs {levels}"
    if op == "dup_key":
        keyed = [ln for ln in lines if ln and not ln.startswith((" ", "#", "-")) and ":" in ln]
        return text + "\n" + (rng.choice(keyed) if keyed else "nc: 1") + "\n", "duplicate key"
    if op == "nest":
        n = rng.choice([10, 60, 1000, 100_000])
        return text + "\nzz_deep: " + "[" * n + "]" * n + "\n", f"nest {n}"
    if op == "truncate":
        return text[: rng.randrange(len(text) + 1)], "truncate"
    if op == "bytes":
        pos = rng.randrange(len(text) + 1)
        return text[:pos] + rng.choice(["\x00", "\t", "{", "]", "&", "*", "!!", "%", "\ufeff", "'"]) + text[pos:], "bytes"
    tag = rng.choice(["!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!!binary AAAA",
                      "!!set {a, b}", "!!timestamp 2001-13-45", "!!float xyz"])
    return text.replace("nc:", f"zz_tag: {tag}\nnc:", 1), "tag"


def make_case(seed: int, index: int, sources: list | None = None) -> Case:
    """The ``index``-th case of a run seeded with ``seed``."""
    rng = random.Random(f"{seed}:{index}")
    sources = sources or seeds()
    name, task, text, _ = rng.choices(sources, weights=[s[3] for s in sources])[0]
    ops = []
    if rng.random() < 0.75:
        d = yaml.safe_load(text)
        for _ in range(rng.randint(1, 3)):
            ops.append(mutate_data(d, rng))
        text = yaml.safe_dump(d, sort_keys=False)
    if rng.random() < 0.35:
        text, op = mutate_text(text, rng)
        ops.append(op)
    return Case(name, task, ops, text)
