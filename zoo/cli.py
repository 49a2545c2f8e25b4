"""The ``zoo`` command line: ``yolo``'s argument style on zoo's models.

``zoo MODE model=... key=value ...`` parses its arguments with Ultralytics' own cfg functions
(``merge_equals_args``, ``parse_key_value_pair``, ``check_cfg`` against ``DEFAULT_CFG_DICT``), builds
the model with :func:`zoo.load` and calls the mode method of :class:`zoo.engine.model.ZooModel`.
``zoo list`` and ``zoo help`` import neither torch nor Ultralytics, so they answer at once.
Exit status: 0 success, 1 a command that failed, 2 a wrong command or argument.
"""

from __future__ import annotations

import difflib
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from zoo import tasks  # torch-free: the task table

__all__ = ["main", "UsageError", "HELP", "parse_mode_args"]

MODES = ("train", "val", "predict", "export")
TASK_WORDS = tasks.words()  # optional TASK before MODE, as in `yolo TASK MODE`: every word of the task table
_TASK_LIST = ", ".join(tasks.names())  # help texts name the table's rows; 'segment' resolves as zoo.tasks says
# zoo's own keys next to Ultralytics' DEFAULT_CFG_DICT
ZOO_KEYS = {"weights": None, "trusted": False, "modules": None, "ddp": 1}

HELP = """
    Arguments received: {received}. zoo commands use the following syntax:

        zoo [TASK] MODE ARGS        (the same syntax as `yolo`)

        Where   TASK (optional) is one of """ + _TASK_LIST + """
                    ('segment' on a semantic-only architecture means semantic)
                MODE (required) is one of train, val, predict, export
                ARGS (optional) are any number of 'arg=value' pairs like 'imgsz=320' that override defaults:
                    model=NAME|YAML|CKPT (see `zoo list`), data=..., weights=DEFAULT|<tag>|file, and every
                    Ultralytics argument (see `zoo cfg` or https://docs.ultralytics.com/usage/cfg)
                zoo's own: modules=pkg.blocks[,other] imports your block modules first; trusted unpickles a .pt
                    fully (it can run code: only for files you trust; by default zoo's restricted reader);
                    ddp=N (train) trains in N local CPU processes (torch.distributed, gloo, device=cpu,
                    batch= is the total); several GPUs are Ultralytics' own device=0,1

    1. Fine-tune the smallest DeepLabV3+ on a semantic dataset for 10 epochs:
        zoo train model=deeplabv3p-n data=path/to/data.yaml epochs=10 imgsz=512

    2. Validate a checkpoint, predict an image, export to ONNX:
        zoo val model=runs/semantic/train/weights/best.pt
        zoo predict model=runs/semantic/train/weights/best.pt source=path/to/image.jpg
        zoo export model=runs/semantic/train/weights/best.pt format=onnx simplify=False

    3. Any Ultralytics stock YAML builds through zoo's parser:
        zoo train model=yolo26n.yaml task=detect data=path/to/data.yaml epochs=1

    4. Other commands:
        zoo list [PATTERN] [task=semantic] [pretrained]     models in the catalog (no torch import)
        zoo info NAME                                       task, scales, params and GFLOPs, weights
        zoo benchmark [NAMES...] imgsz=224 batch=8 ...      latency, throughput, memory; `zoo benchmark help`
        zoo weights list|fetch|verify|publish ...           pinned weights; `zoo weights --help`
        zoo demo [model=NAME] [project=zoo-demo]            offline quickstart on synthetic data
        zoo cfg | zoo version | zoo help

    Docs: README.md
    """

LIST_HELP = """
    zoo list [PATTERN] [task=TASK] [pretrained|pretrained=False]

        PATTERN     fnmatch pattern, e.g. 'deeplab*'
        task        one of """ + _TASK_LIST + """ (segment also lists semantic models)
        pretrained  only models with published weights (pretrained=False: only those without)

    WEIGHTS says what the model's DEFAULT (else best verified) weights fill: full (the whole network),
    encoder, backbone or backbone+neck (the rest starts fresh), or - (none published). `zoo info NAME`
    lists every entry with its dataset, metrics, license, size and source.

    Reads metadata only: no torch, no Ultralytics import.
    """

INFO_HELP = """
    zoo info NAME

        NAME        a model (unet-s) or family (unet) name from `zoo list`; prints the family's task,
                    description, paper, YAML, published weights, and params/GFLOPs of every scale
                    (this builds each scale once, so large families take a while on CPU)
    """

PUBLISH_HELP = """
    zoo weights publish model=CKPT|NAME|YAML name=<model>.<tag> out_dir=DIR [manifest=FILE] [task=TASK]
                        [trusted] [default] [overwrite] [license=...] [dataset=...]

        model       a training checkpoint (best.pt, read by zoo's restricted unpickler; 'trusted' unpickles fully,
                    which can run code: only for your own files), or a model name/YAML, published with its
                    fresh (untrained) weights
        name        the weights name, e.g. deeplabv3p-n.shapes
        out_dir     folder for <name>.safetensors
        manifest    JSON manifest to add the entry to (created if absent; list it in ZOO_MANIFEST to use it)
    """


class UsageError(Exception):
    """A wrong command or argument: printed without a traceback, exit status 2."""


# ---------------------------------------------------------------------------------------------------------------------
# Argument helpers
# ---------------------------------------------------------------------------------------------------------------------
def _close(word: str, choices, what: str) -> str:
    """``"'x' is not a valid <what>. Similar: a, b."`` with the closest choices."""
    matches = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    hint = f" Similar: {', '.join(matches)}." if matches else ""
    return f"'{word}' is not a valid {what}.{hint}"


def _wants_help(args: list[str]) -> bool:
    return any(a in ("help", "-h", "--help") for a in args)


def _simple_value(v: str) -> Any:
    """``true``/``false``/``none`` and Python literals, else the string (a stdlib twin of Ultralytics' smart_value)."""
    import ast

    low = v.lower()
    if low in ("true", "false", "none"):
        return {"true": True, "false": False, "none": None}[low]
    try:
        return ast.literal_eval(v)
    except (ValueError, SyntaxError):
        return v


def parse_simple_args(
    args: list[str], allowed: dict[str, Any], command: str, flags: tuple[str, ...] = (), strings: tuple[str, ...] = ()
) -> tuple[list[str], dict[str, Any]]:
    """Split ``args`` into positionals and ``key=value`` options, torch- and Ultralytics-free.

    Args:
        args (list[str]): Words after the command.
        allowed (dict[str, Any]): Option names and their defaults.
        command (str): Command name, for messages.
        flags (tuple[str, ...]): Options that may be given bare (``pretrained`` = ``pretrained=True``).
        strings (tuple[str, ...]): Options kept as written (names, paths); so are those whose default is a str.

    Returns:
        (tuple[list[str], dict[str, Any]]): Positionals and the options given.

    Raises:
        UsageError: For an unknown key (with close matches) or an empty value.
    """
    positional, options = [], {}
    for a in args:
        a = a[2:] if a.startswith("--") else a
        if "=" in a:
            k, v = (s.strip() for s in a.split("=", 1))
            if k not in allowed:
                raise UsageError(f"zoo {command}: {_close(k, allowed, 'argument')} Valid: {', '.join(allowed)}.")
            if not v:
                raise UsageError(f"zoo {command}: missing value in '{a}', e.g. '{k}={allowed[k]}'")
            options[k] = v if k in strings or isinstance(allowed[k], str) else _simple_value(v)
        elif a in flags:
            options[a] = True
        else:
            positional.append(a)
    return positional, options


def parse_mode_args(args: list[str], mode: str) -> dict[str, Any]:
    """Parse ``key=value`` words of a mode the way ``yolo`` does, with Ultralytics' cfg functions.

    Args:
        args (list[str]): Words after ``zoo [TASK] MODE``.
        mode (str): ``train``, ``val``, ``predict`` or ``export``.

    Returns:
        (dict[str, Any]): Overrides, type-checked by Ultralytics' ``check_cfg``; ``task`` as the user wrote it.

    Raises:
        UsageError: Unknown keys (with close matches), missing '=', wrong types or ranges.
    """
    from ultralytics.cfg import DEFAULT_CFG_DICT, check_cfg, merge_equals_args, parse_key_value_pair
    from ultralytics.utils import YAML

    valid = {**DEFAULT_CFG_DICT, **ZOO_KEYS}
    overrides: dict[str, Any] = {}
    try:
        words = merge_equals_args(args)
    except SyntaxError as e:
        raise UsageError(f"zoo {mode}: {e}") from None
    for a in words:
        a = a[2:] if a.startswith("--") else a
        a = a[:-1] if a.endswith(",") else a
        if "=" in a:
            try:
                k, v = parse_key_value_pair(a)
            except AssertionError as e:
                raise UsageError(f"zoo {mode}: {e} in '{a}'") from None
            if k == "cfg" and v is not None:  # a YAML of overrides, as `yolo cfg=custom.yaml`
                overrides = {**{k2: v2 for k2, v2 in YAML.load(v).items() if k2 != "cfg"}, **overrides}
            else:
                overrides[k] = v
        elif a in TASK_WORDS:
            overrides["task"] = a
        elif isinstance(valid.get(a), bool) or a in {"half", "int8", "end2end", "nms"}:
            overrides[a] = True  # bare boolean flags, as `yolo ... half`
        elif a in valid:
            raise UsageError(f"zoo {mode}: '{a}' is a valid argument but is missing an '=' sign, i.e. try '{a}=...'")
        else:
            raise UsageError(f"zoo {mode}: {_close(a, [*valid, *TASK_WORDS], 'argument')}")
    if bad := [k for k in overrides if k not in valid]:
        msgs = []
        for k in bad:
            similar = difflib.get_close_matches(k, list(valid), n=3, cutoff=0.6)
            similar = [f"{s}={valid[s]}" if valid.get(s) is not None else s for s in similar]
            msgs.append(f"'{k}' is not a valid argument." + (f" Similar: {', '.join(similar)}." if similar else ""))
        raise UsageError(f"zoo {mode}: " + " ".join(msgs) + " See `zoo cfg` for all arguments.")
    try:
        check_cfg({k: v for k, v in overrides.items() if k not in ZOO_KEYS and k != "task"})
    except (TypeError, ValueError) as e:
        raise UsageError(f"zoo {mode}: {e}") from None
    return overrides


# ---------------------------------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------------------------------
def cmd_help(args: list[str]) -> int:
    """Print the help of zoo, or of one command (``zoo help list``)."""
    topic = args[0] if args else None
    if topic in _TOPIC_HELP:
        return _TOPIC_HELP[topic]()
    print(HELP.format(received=["zoo", *sys.argv[1:]]))
    return 0


def cmd_version(args: list[str]) -> int:
    """Print zoo's version and those of the packages it runs on (from metadata, no imports)."""
    import zoo

    print(f"zoo {zoo.__version__}")
    for pkg in ("ultralytics", "torch", "timm"):
        try:
            print(f"  {pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            print(f"  {pkg} not installed")
    return 0


def cmd_cfg(args: list[str]) -> int:
    """Print Ultralytics' default arguments, which every mode accepts (as ``yolo cfg``)."""
    from ultralytics.cfg import DEFAULT_CFG_PATH
    from ultralytics.utils import YAML

    YAML.print(DEFAULT_CFG_PATH)
    print("zoo adds: weights=DEFAULT|<tag>|<model>.<tag>|path (published weights loaded into model=), "
          "ddp=N (train in N local CPU processes)")
    return 0


def cmd_list(args: list[str]) -> int:
    """``zoo list [PATTERN] [task=...] [pretrained]``: the catalog, from metadata alone."""
    if _wants_help(args):
        print(LIST_HELP)
        return 0
    import zoo
    from zoo import catalog

    positional, opts = parse_simple_args(args, {"task": "semantic", "pretrained": True}, "list", flags=("pretrained",))
    if len(positional) > 1:
        raise UsageError(f"zoo list: takes one PATTERN, got {positional}; quote patterns with spaces")
    try:
        names = zoo.list_models(positional[0] if positional else None, task=opts.get("task"),
                                pretrained=opts.get("pretrained"))
    except ValueError as e:
        raise UsageError(f"zoo list: {e}") from None
    from zoo.api import weights_coverage

    coverage = weights_coverage(names)  # what the published weights fill: full, encoder, backbone+neck, -
    rows = [(n, *_list_row(catalog.model_names()[n][0], coverage[n])) for n in names]
    width = max([len("MODEL")] + [len(r[0]) for r in rows])
    print(f"{'MODEL':{width}}  {'TASK':8}  {'WEIGHTS':13}  DESCRIPTION")
    for name, task, weights, desc in rows:
        print(f"{name:{width}}  {task:8}  {weights:13}  {desc}")
    print(f"{len(rows)} model(s)" + ("" if rows else "; try `zoo list` without filters"))
    return 0


def _list_row(arch, coverage: str) -> tuple[str, str, str]:
    desc = arch.description if len(arch.description) <= 80 else arch.description[:77] + "..."
    return arch.task, coverage, desc


def cmd_info(args: list[str]) -> int:
    """``zoo info NAME``: the family's metadata and params/GFLOPs per scale."""
    if _wants_help(args) or not args:
        print(INFO_HELP)
        return 0 if args else 2
    if len(args) != 1:
        raise UsageError(f"zoo info: takes one NAME, got {args}")
    import zoo
    from zoo import catalog

    try:
        catalog.resolve(args[0])  # fail fast, torch-free, with close matches
    except catalog.UnknownModelError as e:
        raise UsageError(f"zoo info: {e}") from None
    d = zoo.info(args[0])
    for key in ("arch", "task", "description", "paper", "yaml"):
        print(f"{key:12} {d[key]}")
    print(f"{'weights':12} {', '.join(d['weights']) or '-'}")
    width = max(len("MODEL"), *(len(n) for n in d["scales"]))
    print(f"\n{'MODEL':{width}}  {'PARAMS (M)':>10}  {'GFLOPs':>8}  {'IMGSZ':>5}  WEIGHTS")
    for name, s in d["scales"].items():
        print(f"{name:{width}}  {s['params'] / 1e6:10.2f}  {s['gflops']:8.2f}  {s['imgsz']:5}  {d['coverage'][name]}")
    print()
    for name, entries in d["entries"].items():
        _print_entries(name, entries)
    return 0


def _print_entries(name: str, entries: list[dict]) -> None:
    """``zoo info``'s weights section for one model: each entry with dataset, metrics, license, size and source."""
    if not entries:
        print(f"{name}: no published weights (trained from scratch; publish your own with `zoo weights publish`)")
        return
    print(f"{name}:")
    for e in entries:
        flags = ", ".join(f for f, on in (("DEFAULT", e["default"]), ("unverified", not e["verified"])) if on)
        size = f"{e['size'] / 1e6:.1f} MB" if e["size"] else "size unknown"
        metrics = ", ".join(f"{k} {v}" for k, v in e["metrics"].items()) or "no published metrics"
        print(f"  {e['name']}" + (f" ({flags})" if flags else ""))
        print(f"    covers {e['coverage']}; {e['dataset'] or 'dataset not given'}; {metrics}")
        print(f"    license {e['license']}; {size}; {e['source']}")


def cmd_mode(mode: str, args: list[str]) -> int:
    """``zoo [TASK] MODE model=... key=value ...``: build with :func:`zoo.load`, then run the mode."""
    if _wants_help(args):
        print(HELP.format(received=["zoo", mode, *args]))
        return 0
    overrides = parse_mode_args(args, mode)
    overrides.pop("mode", None)
    task, weights, model = overrides.pop("task", None), overrides.pop("weights", None), overrides.pop("model", None)
    trusted, modules = bool(overrides.pop("trusted", False)), overrides.pop("modules", None)
    ddp = overrides.pop("ddp", None)
    if ddp is not None:
        if mode != "train":
            raise UsageError(f"zoo {mode}: ddp= applies to train only (local CPU training processes)")
        from zoo.engine.cpu_ddp import CpuDDPError, check_ddp

        try:
            check_ddp(ddp, overrides.get("device"))
        except CpuDDPError as e:
            raise UsageError(f"zoo train: {e}") from None
        overrides["ddp"] = ddp  # ZooModel.train takes it; Ultralytics never sees it
    modules = [m for m in str(modules).split(",") if m] if modules else None
    if not model:
        raise UsageError(f"zoo {mode}: model= is missing, e.g. model=deeplabv3p-n, model=my.yaml or model=best.pt "
                         "(see `zoo list`)")
    is_ckpt = str(model).endswith(".pt")
    if mode == "train" and overrides.get("data") is None and not overrides.get("resume"):
        raise UsageError("zoo train: data= is missing (a dataset YAML, e.g. from zoo.data.make_semantic_dataset)")
    if mode == "val" and overrides.get("data") is None and not is_ckpt:
        raise UsageError("zoo val: data= is missing (only a checkpoint remembers its dataset)")
    if mode == "predict" and "source" not in overrides:
        from ultralytics.utils import ASSETS

        overrides["source"] = str(ASSETS)
        print(f"zoo predict: 'source' is missing, using source={ASSETS}", file=sys.stderr)
    if mode == "export" and "format" not in overrides:
        overrides["format"] = "torchscript"
        print("zoo export: 'format' is missing, using format=torchscript", file=sys.stderr)
    if mode == "predict":  # Ultralytics skips an unreadable image with a log line and exits 0: stop first
        from zoo.inputs import check_predict_source

        check_predict_source(overrides["source"])
    import zoo
    from zoo import catalog

    try:
        zm = zoo.load(model, task=task, weights=weights, trusted=trusted, modules=modules)
    except (catalog.UnknownModelError, ValueError) as e:
        raise UsageError(f"zoo {mode}: {e}") from None
    if mode == "val":  # Ultralytics drops corrupt dataset images with a warning and exits 0: stop first
        from zoo.inputs import check_dataset_split

        data = overrides.get("data") or zm.overrides.get("data")  # a checkpoint remembers its dataset
        check_dataset_split(data, split=overrides.get("split", "val"), task=zm.task)
    result = getattr(zm, mode)(**overrides)
    if mode == "export" and result:
        print(f"zoo export: {result}")
    return 0


def cmd_weights(args: list[str]) -> int:
    """``zoo weights list|fetch|verify`` (zoo.weights.cli) and ``zoo weights publish``."""
    if args and args[0] == "publish":
        return _weights_publish(args[1:])
    from zoo.weights.cli import main as weights_main

    if not args or args[0] in ("-h", "--help", "help"):
        try:
            weights_main(["--help"])
        except SystemExit:  # argparse exits after printing its help
            pass
        print(PUBLISH_HELP)
        return 0 if args else 2
    try:
        return weights_main(args)
    except SystemExit as e:  # argparse: bad subcommand or arguments
        return int(e.code or 0)


def _weights_publish(args: list[str]) -> int:
    """Publish a checkpoint or a model as ``<out_dir>/<name>.safetensors`` plus a manifest entry."""
    if _wants_help(args):
        print(PUBLISH_HELP)
        return 0
    allowed = {"model": "best.pt", "name": "mymodel-s.v1", "out_dir": "release", "manifest": "my_weights.json",
               "task": "semantic", "trusted": True, "default": True, "overwrite": True, "license": "unspecified",
               "dataset": "my-data"}
    positional, o = parse_simple_args(args, allowed, "weights publish", flags=("trusted", "default", "overwrite"))
    if positional:
        raise UsageError(f"zoo weights publish: unexpected {positional}; use key=value")
    if missing := [k for k in ("model", "name", "out_dir") if k not in o]:
        raise UsageError(f"zoo weights publish: missing {', '.join(f'{k}=' for k in missing)}\n{PUBLISH_HELP}")
    from zoo.weights import WeightsError, publish

    src = str(o["model"])
    if src.endswith(".pt"):
        obj = src
    else:
        import zoo

        obj = zoo.load(src, task=o.get("task")).model
    try:
        entry = publish(obj, name=str(o["name"]), out_dir=str(o["out_dir"]), manifest=o.get("manifest"),
                        license=str(o.get("license", "unspecified")), dataset=o.get("dataset"),
                        default=bool(o.get("default")), overwrite=bool(o.get("overwrite")),
                        allow_pickle="trusted" if o.get("trusted") else True)
    except WeightsError as e:
        print(f"zoo weights publish: {e}", file=sys.stderr)  # a refused .pt already says how to proceed
        return 1
    print(f"published {entry.name}: {Path(o['out_dir']) / (entry.name + '.safetensors')}")
    print(f"  sha256 {entry.sha256}  size {entry.size}")
    if o.get("manifest"):
        print(f"  manifest {o['manifest']} (use it: ZOO_MANIFEST={o['manifest']})")
    return 0


def cmd_benchmark(args: list[str]) -> int:
    """``zoo benchmark [NAMES...] key=value ...``: see :mod:`zoo.bench.cli`."""
    from zoo.bench.cli import main as bench_main

    return bench_main(args)


def cmd_demo(args: list[str]) -> int:
    """``zoo demo [model=...] [project=...]``: see :mod:`zoo.demo`."""
    from zoo.demo import main as demo_main

    return demo_main(args)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "list": cmd_list,
    "info": cmd_info,
    "benchmark": cmd_benchmark,
    "weights": cmd_weights,
    "demo": cmd_demo,
    "cfg": cmd_cfg,
    "version": cmd_version,
    "help": cmd_help,
    **{m: (lambda args, m=m: cmd_mode(m, args)) for m in MODES},
}
_TOPIC_HELP = {
    "list": lambda: cmd_list(["--help"]),
    "info": lambda: cmd_info(["--help"]),
    "benchmark": lambda: cmd_benchmark(["--help"]),
    "weights": lambda: cmd_weights(["--help"]),
    "demo": lambda: cmd_demo(["--help"]),
}
_ALIASES = {"-h": "help", "--help": "help", "-help": "help", "--version": "version", "-V": "version", "ls": "list"}


def main(argv: list[str] | None = None) -> int:
    """Run a zoo command.

    Args:
        argv (list[str] | None): Words after ``zoo``; default ``sys.argv[1:]``.

    Returns:
        (int): Exit status: 0 success, 1 failure, 2 wrong command or argument.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:
        return cmd_help([])
    if args[0] in TASK_WORDS and len(args) > 1 and args[1] in MODES:  # `zoo semantic train ...`, as yolo
        args = [args[1], f"task={args[0]}", *args[2:]]
    if args[0] not in COMMANDS and (modes := [a for a in args if a in MODES]):  # `zoo model=x train`, as yolo
        args.remove(modes[0])
        args.insert(0, modes[0])
    command = _ALIASES.get(args[0], args[0])
    try:
        if command not in COMMANDS:
            raise UsageError(f"zoo: {_close(command, COMMANDS, 'command')} Commands: {', '.join(COMMANDS)}. "
                             "See `zoo help`.")
        return COMMANDS[command](args[1:])
    except UsageError as e:
        print(str(e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("zoo: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a failing command: message by default, traceback with ZOO_DEBUG=1
        if os.environ.get("ZOO_DEBUG"):
            raise
        print(f"zoo {command}: {type(e).__name__}: {e}\n(set ZOO_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
