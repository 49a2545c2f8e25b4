"""DDP readiness of every trainable task-table row with the user's blocks in the model.

Ultralytics' multi-GPU launcher (``generate_ddp_file``) cloudpickles {trainer class, args, model, callbacks};
each worker rebuilds the trainer from that state. zoo's trainers send the built model (``_BuildsZooModel.train``),
so workers import the user's block module by name when they unpickle it; a model sent as a YAML string would be
rebuilt in ``setup_model`` from the args alone, and this test checks that path too (after the unpickle). Here,
per row, the parent builds the row's trainer on the user's YAML, writes the launcher's own state file and
records its model's eval output; one fresh interpreter then does what each worker does and checks that the
model rebuilt from args takes the parent's state dict (same keys and shapes) and gives the same output.
World and YOLOE embed class names with a text model (a download): offline, both processes read one table of
embeddings through :mod:`zoo.text_embeddings` (the worker through ``ZOO_TEXT_EMBEDDINGS``), and the rebuilt model
sets its classes from it as every rank's trainer does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from ultralytics.utils.dist import generate_ddp_file

from zoo import tasks, text_embeddings
from zoo.data import make_dataset

from task_yamls import HERE, OPEN_VOCABULARY, TRAINABLE, user_yaml  # tests/engine, on pytest's sys.path

ROWS = [*TRAINABLE, *OPEN_VOCABULARY]

# What a worker does (the generated DDP file's body, on CPU), then the checks, for every row's state file.
# The user's block module is found the way the generated file finds it: on the parent's sys.path (PYTHONPATH).
WORKER = """
import json, sys, torch
from ultralytics.utils import DEFAULT_CFG_DICT
from ultralytics.utils.patches import torch_load

def set_classes(model, names):
    if hasattr(model, "get_cls_pe"):  # YOLOE takes the embeddings (its text head applies to the table's)
        model.set_classes(names, model.get_text_pe(names))
    else:  # World embeds the names itself
        model.set_classes(names)

def tensors(out):
    if isinstance(out, torch.Tensor):
        return [out]
    items = out.values() if isinstance(out, dict) else out if isinstance(out, (list, tuple)) else []
    return [t for item in items for t in tensors(item)]

for row, (state_file, probe_file, names) in json.loads(sys.argv[1]).items():
    state = torch_load(state_file, map_location="cpu")
    cfg = DEFAULT_CFG_DICT.copy()
    cfg.update(save_dir="")
    trainer = state["trainer"](cfg=cfg, overrides=state["args"], _callbacks=state["callbacks"])
    rebuilt = trainer.get_model(cfg=state["args"]["model"], verbose=False)  # setup_model: from args alone
    rebuilt.load_state_dict(state["model"].state_dict())  # strict: same keys and shapes as the parent's model
    if names:  # World/YOLOE: the classes as every rank sets them, from the table named in ZOO_TEXT_EMBEDDINGS
        set_classes(rebuilt, names)
    probe = torch.load(probe_file)
    with torch.no_grad():
        outs = [tensors(m.eval()(probe["x"])) for m in (rebuilt, state["model"])]
    diffs = [[(a - b).abs().max().item() if a.shape == b.shape else float("inf") for a, b in zip(o, probe["out"])]
             + [float("inf")] * abs(len(o) - len(probe["out"])) for o in outs]
    print(json.dumps({"row": row, "trainer": type(trainer).__name__, "rebuilt": type(rebuilt).__name__,
                      "layers": [type(layer).__name__ for layer in rebuilt.model], "n_out": len(probe["out"]),
                      "rebuilt_diff": max(diffs[0]), "pickled_diff": max(diffs[1])}))
"""


def _add_embeddings(path: Path, names: list[str]) -> None:
    """Add fixed random unit embeddings for ``names`` to the table file and give it to zoo (as an offline user)."""
    table = torch.load(path) if path.exists() else {}
    for name in names:
        v = torch.randn(512, generator=torch.Generator().manual_seed(sum(map(ord, name))))
        table.setdefault(name, v / v.norm())
    torch.save(table, path)
    text_embeddings.use(path)


def _set_classes(model: torch.nn.Module, names: list[str]) -> None:
    """What Ultralytics' World and YOLOE trainers do on every rank: the model's classes from its text embeddings."""
    if hasattr(model, "get_cls_pe"):  # YOLOE takes the embeddings (its text head applies to the table's)
        model.set_classes(names, model.get_text_pe(names))
    else:  # World embeds the names itself
        model.set_classes(names)


def _tensors(out) -> list[torch.Tensor]:
    """Every tensor of a model output (tensor, dict, list or tuple, nested), in order."""
    if isinstance(out, torch.Tensor):
        return [out]
    items = out.values() if isinstance(out, dict) else out if isinstance(out, (list, tuple)) else []
    return [t for item in items for t in _tensors(item)]


@pytest.fixture(autouse=True)
def user_blocks():
    """Register the user's blocks from their own module, as importable by name (cloudpickle pickles it by name)."""
    sys.path.insert(0, str(HERE))
    import user_blocks  # noqa: F401

    yield
    sys.path.remove(str(HERE))


def test_ddp_workers_rebuild_every_row_with_user_blocks(tmp_path):
    """Per row: trainer and model classes, user blocks, strict state dict and eval output within 1e-5."""
    jobs, files, trainers = {}, [], []
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    table_file = tmp_path / "text_embeddings.pt"  # offline World/YOLOE: one table for the parent and the worker
    for row in ROWS:
        spec, root = tasks.task(row), tmp_path / row
        data = make_dataset(row, root / "data", n_train=4, n_val=4, imgsz=64)
        model_yaml = str(user_yaml(row, root))  # root exists: the dataset is under it
        trainer = spec.load("trainer")(overrides={"model": model_yaml, "data": str(data), "imgsz": 64, "device": "cpu",
                                                  "project": str(root / "runs"), "name": "ddp", "workers": 0})
        trainer.model = trainer.get_model(cfg=model_yaml, verbose=False)
        names = None
        with torch.no_grad():  # weights no seeded rebuild gives (as after training): only the state dict carries them
            for p in trainer.model.parameters():
                p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
            if row in OPEN_VOCABULARY:
                names = list(yaml.safe_load(Path(data).read_text())["names"].values())
                _add_embeddings(table_file, names)
                _set_classes(trainer.model, names)
            out = [t.clone() for t in _tensors(trainer.model.eval()(x))]
        probe_file = root / "probe.pt"
        torch.save({"x": x, "out": out}, probe_file)
        ddp_file = generate_ddp_file(trainer)
        state_file = ddp_file[: -len(".py")] + ".pt"
        files += [ddp_file, state_file]
        trainers.append(trainer)  # the launcher names its files by id(trainer): keep each alive
        jobs[row] = (state_file, str(probe_file), names)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
           text_embeddings.ENV: str(table_file)}
    try:
        out = subprocess.run([sys.executable, "-c", WORKER, json.dumps(jobs)], capture_output=True, text=True,
                             env=env, timeout=600)
    finally:
        text_embeddings.use(None)
        for f in files:
            Path(f).unlink(missing_ok=True)
    assert out.returncode == 0, out.stderr[-3000:]
    reports = {r["row"]: r for r in (json.loads(s) for s in out.stdout.splitlines() if s.startswith('{"row"'))}
    assert set(reports) == set(ROWS), out.stdout[-3000:]
    for row, r in reports.items():
        spec = tasks.task(row)
        assert (r["trainer"], r["rebuilt"]) == (spec.trainer.split(":")[1], spec.model.split(":")[1]), r
        assert {"Widen", "FuseUp"} <= set(r["layers"]) and r["n_out"] > 0, r
        assert r["rebuilt_diff"] <= 1e-5 and r["pickled_diff"] <= 1e-5, r
