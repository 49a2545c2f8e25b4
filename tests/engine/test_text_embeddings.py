"""``zoo.text_embeddings``: World and YOLOE take class-name embeddings from a table instead of a text model.

The engine runs (train, val, predict, export with the user's blocks) are in ``test_tasks.py``; these check the
table itself, that zoo's World and YOLOE models read it, and that zoo's ``fuse`` leaves YOLOE able to fuse its
embeddings (what Ultralytics' exporter does next).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import zoo
from zoo import text_embeddings

NAMES = ["person", "bus", "stop sign"]


def _table(names=NAMES, dim=512) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {n: torch.randn(dim, generator=g) for n in names}


@pytest.fixture(autouse=True)
def no_table():
    """Every test starts and ends without a table (it is process-wide state)."""
    text_embeddings.use(None)
    yield
    text_embeddings.use(None)


def test_without_a_table_lookup_defers_to_the_text_model():
    assert text_embeddings.lookup(NAMES) is None


def test_lookup_stacks_the_names_in_order():
    table = _table()
    text_embeddings.use(table)
    pe = text_embeddings.lookup(["bus", "person"])
    assert pe.shape == (1, 2, 512) and torch.equal(pe[0, 0], table["bus"]) and torch.equal(pe[0, 1], table["person"])


def test_missing_names_raise_instead_of_going_online():
    text_embeddings.use(_table())
    with pytest.raises(KeyError, match="kite"):
        text_embeddings.lookup(["person", "kite"])


@pytest.mark.parametrize(
    "bad",
    [{}, {"a": torch.zeros(2, 512)}, {1: torch.zeros(512)}, {"a": torch.zeros(512, dtype=torch.long)},
     {"a": torch.zeros(512), "b": torch.zeros(256)}, [torch.zeros(512)]],
    ids=["empty", "2d", "int-key", "integer", "two-sizes", "list"],
)
def test_malformed_tables_are_refused(bad):
    with pytest.raises(TypeError):
        text_embeddings.use(bad)


def test_a_table_file_reaches_child_processes(tmp_path):
    """A file given to use() is named in ZOO_TEXT_EMBEDDINGS, so workers a run starts (DDP) read the same table."""
    path = tmp_path / "text_embeddings.pt"
    torch.save(_table(), path)
    text_embeddings.use(path)
    code = "from zoo import text_embeddings as t; print(repr(t.lookup(['bus']).sum().item()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert float(out.stdout.strip().splitlines()[-1]) == _table()["bus"].sum().item()


def test_world_set_classes_reads_the_table():
    """World's own set_classes(names), which calls CLIP in Ultralytics, takes the table's rows."""
    text_embeddings.use(_table())
    model = zoo.load("yolov8-worldv2.yaml").model
    model.set_classes(NAMES)
    assert torch.equal(model.txt_feats, text_embeddings.lookup(NAMES)) and model.model[-1].nc == len(NAMES)


def test_yoloe_text_pe_reads_the_table_through_its_text_head():
    text_embeddings.use(_table())
    model = zoo.load("yoloe-v8.yaml").model.eval()
    raw = text_embeddings.lookup(NAMES)
    assert torch.equal(model.get_text_pe(NAMES, without_reprta=True), raw)
    with torch.no_grad():
        torch.testing.assert_close(model.get_text_pe(NAMES), model.model[-1].get_tpe(raw), rtol=0, atol=0)


def test_zoo_fuse_leaves_yoloe_its_contrastive_batchnorm():
    """zoo's fuse() folds BatchNorm everywhere but in YOLOE's contrastive head, which the exporter then fuses
    with the embeddings (YOLOEDetect.fuse); the fused model gives the unfused one's output."""
    torch.manual_seed(0)
    model = zoo.load("yoloe-v8.yaml").model.eval()
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        for bn in model.modules():  # non-trivial statistics, so that folding them is visible in the output
            if isinstance(bn, torch.nn.BatchNorm2d):
                bn.running_mean.uniform_(-0.1, 0.1), bn.running_var.uniform_(0.5, 1.5)
        model.set_classes(NAMES, model.model[-1].get_tpe(torch.randn(1, len(NAMES), 512)))
        before = model(x)[0]
        model.fuse(verbose=False)
        model.model[-1].fuse(model.pe)  # what Ultralytics' exporter does after model.fuse()
        torch.testing.assert_close(model(x)[0], before, rtol=1e-4, atol=1e-4)
