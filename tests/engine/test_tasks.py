"""Every row of the task table, driven with the user's own blocks (``Widen``, ``FuseUp``) in its YAML.

Per row: build through ``zoo.load``, a 1-epoch train at imgsz 64 on the row's synthetic dataset, the val metric
keys the row declares, predict on ``bus.jpg`` filling the row's ``Results`` attribute, and ONNX Runtime equal to
the torch model in export mode; then every row's ``best.pt`` reloads in one fresh interpreter.

World and YOLOE embed class names with a text model Ultralytics downloads (World's trainer calls ``set_classes``
at pretrain end, YOLOE's validator ``get_text_pe`` in every validation). Here they run the offline user path:
fixed random embeddings of the dataset's names given to :mod:`zoo.text_embeddings`, which zoo's World and YOLOE
models read instead of the text model. The fresh-interpreter reload gets no table: a trained model predicts
with the embeddings its checkpoint carries.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import ultralytics

import yaml

import zoo
from zoo import tasks, text_embeddings
from zoo.data import make_dataset

from task_yamls import HEADS, OPEN_VOCABULARY, TRAINABLE, user_yaml  # tests/engine, on pytest's sys.path

ROWS = [*TRAINABLE, *OPEN_VOCABULARY]

HERE = Path(__file__).parent
BUS = Path(ultralytics.__file__).parent / "assets" / "bus.jpg"


@pytest.fixture(scope="module", autouse=True)
def user_blocks():
    sys.path.insert(0, str(HERE))
    import user_blocks  # noqa: F401  (registers Widen and FuseUp)

    yield
    sys.path.remove(str(HERE))


@pytest.fixture(scope="module")
def offline_text_embeddings(tmp_path_factory):
    """``add(names)``: give zoo.text_embeddings fixed random embeddings for ``names`` (all names so far, one file).

    What an offline user does with embeddings computed once elsewhere; unit vectors as CLIP's are.
    """
    table, path = {}, tmp_path_factory.mktemp("text") / "text_embeddings.pt"

    def add(names):
        for name in names:
            if name not in table:
                g = torch.Generator().manual_seed(len(table))
                table[name] = torch.nn.functional.normalize(torch.randn(512, generator=g), dim=0)
        torch.save(table, path)
        text_embeddings.use(path)

    yield add
    text_embeddings.use(None)


@pytest.fixture(scope="module")
def trained(user_blocks, offline_text_embeddings, tmp_path_factory):
    """Train a row once, on first use, and share the run: ``trained(row) -> (model, data)``.

    The per-row test and the fresh-process reload test read the same 1-epoch run (training is the slow part).
    """
    runs = {}

    def run(row: str):
        if row not in runs:
            root = tmp_path_factory.mktemp(row)
            data = make_dataset(row, root / "data", n_train=4, n_val=4, imgsz=64)
            if row in OPEN_VOCABULARY:
                offline_text_embeddings(yaml.safe_load(Path(data).read_text())["names"].values())
            model = zoo.load(user_yaml(row, root), task=row)
            assert type(model.model).__name__ == tasks.task(row).model.split(":")[1]
            assert type(model.model.model[1]).__name__ == "Widen"
            model.train(data=str(data), epochs=1, imgsz=64, batch=4, workers=0, device="cpu", amp=False,
                        plots=False, project=str(root / "runs"), name=row, exist_ok=True, verbose=False)
            runs[row] = model, data
        return runs[row]

    return run


def test_heads_cover_the_task_table():
    assert set(HEADS) == set(tasks.names()) == set(ROWS)


def _export_mode_output(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The torch model as the exporter runs it (heads' ``export`` flag set), first output."""
    m = copy.deepcopy(model).eval()
    for layer in m.modules():
        if hasattr(layer, "export"):
            layer.export, layer.format = True, "onnx"
    with torch.no_grad():
        out = m(x)
    return out[0] if isinstance(out, (tuple, list)) else out


@pytest.mark.parametrize("row", ROWS)
def test_user_blocks_train_val_predict_export(row, trained, tmp_path):
    spec = tasks.task(row)
    model, data = trained(row)
    assert (Path(model.trainer.save_dir) / "weights" / "best.pt").is_file()
    assert type(model.trainer.model).__name__ == spec.model.split(":")[1]  # the row's trainer built the row's class
    if row in OPEN_VOCABULARY:  # the checkpoint carries the table's embeddings of the dataset's names
        table = text_embeddings.lookup(list(yaml.safe_load(Path(data).read_text())["names"].values()))
        m = model.model
        with torch.no_grad():  # World: set_classes at pretrain end; YOLOE: validation, through its text head
            expected = table if row == "world" else m.model[-1].get_tpe(table.to(next(m.parameters()).dtype))
        torch.testing.assert_close(m.txt_feats if row == "world" else m.pe, expected)
    metrics = model.val(data=str(data), imgsz=64, batch=4, workers=0, device="cpu", plots=False,
                        project=str(tmp_path / "val"), name=row)
    assert set(spec.metrics) <= set(metrics.results_dict), sorted(metrics.results_dict)

    result = model.predict(BUS, imgsz=64, conf=0.0, device="cpu", verbose=False)[0]
    assert result.orig_shape == (1080, 810) and getattr(result, spec.result) is not None

    ort = pytest.importorskip("onnxruntime")
    onnx_file = model.export(format="onnx", imgsz=64, simplify=False, device="cpu")
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    session = ort.InferenceSession(onnx_file, providers=["CPUExecutionProvider"])
    onnx_out = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    torch_out = _export_mode_output(model.model, x).float().numpy()
    assert onnx_out.shape == torch_out.shape
    if onnx_out.dtype == np.uint8:  # a class map (semantic): near-tie logits may flip a pixel
        assert (onnx_out == torch_out).mean() > 0.99
    else:
        np.testing.assert_allclose(onnx_out, torch_out, rtol=1e-3, atol=1e-3)


# One fresh interpreter reloads every row's best.pt (an interpreter start and zoo's import cost seconds each).
# zoo's restricted checkpoint reader refuses the user's classes until their module is named with modules=.
RELOAD = """
import json, sys, traceback
import zoo
for row, best in json.loads(sys.argv[1]).items():
    try:
        m = zoo.load(best, modules=["user_blocks"])
        r = m.predict(sys.argv[2], imgsz=64, conf=0.0, device="cpu", verbose=False)[0]
        print(json.dumps({"row": row, "task": m.task, "zoo_row": m._row.name, "model": type(m.model).__name__,
                          "layers": [type(layer).__name__ for layer in m.model.model], "orig_shape": r.orig_shape,
                          "result": getattr(r, json.loads(sys.argv[3])[row]) is not None}))
    except Exception:  # reported per row, and the parent fails on it
        print(json.dumps({"row": row, "error": traceback.format_exc()[-2000:]}))
"""


def test_best_pt_reloads_in_a_fresh_process(trained):
    """Every trainable row's ``best.pt`` reloads through ``zoo.load(..., modules=[...])`` in a new interpreter."""
    bests = {row: str(Path(trained(row)[0].trainer.save_dir) / "weights" / "best.pt") for row in ROWS}
    results = {row: tasks.task(row).result for row in ROWS}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    env.pop(text_embeddings.ENV, None)  # World and YOLOE predict from their checkpoints' embeddings alone
    out = subprocess.run([sys.executable, "-c", RELOAD, json.dumps(bests), str(BUS), json.dumps(results)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    reports = {r["row"]: r for r in (json.loads(s) for s in out.stdout.splitlines() if s.startswith('{"row"'))}
    assert set(reports) == set(ROWS), out.stdout[-3000:]
    for row, r in reports.items():
        spec = tasks.task(row)
        assert "error" not in r, f"{row}: {r.get('error')}"
        assert (r["task"], r["zoo_row"], r["model"]) == (spec.ultralytics, row, spec.model.split(":")[1]), r
        assert {"Widen", "FuseUp"} <= set(r["layers"]), r
        assert r["orig_shape"] == [1080, 810] and r["result"], r
