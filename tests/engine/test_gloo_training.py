"""Real two-process training on CPU (``ddp=2``, gloo) of a model with the user's blocks.

``ZooModel.train(ddp=2)`` takes Ultralytics' own DDP launch (``torch.distributed.run``, two fresh interpreters)
with zoo's CPU changes (:mod:`zoo.engine.cpu_ddp`). A callback sent to the workers with the trainer records, per
rank, what DDP set up, which samples its sampler gave it, and its parameters before and after training; the test
then compares the ranks. Parameters, not buffers: Ultralytics turns DDP's buffer broadcast off, so BatchNorm
running statistics are each rank's own (the EMA's buffers are synced from rank 0 before validation).
"""

from __future__ import annotations

import sys

import pytest
import torch

from zoo.data import make_dataset
from zoo.engine.cpu_ddp import CpuDDPError, check_ddp
from zoo.engine.model import ZooModel

from task_yamls import HERE, user_yaml  # tests/engine, on pytest's sys.path

N_TRAIN = 8  # batch=4 over 2 ranks: 2 images a step per rank, 2 steps per rank


def _probe(out_dir: str):
    """Callbacks that write ``rank<R>.pt`` per rank: DDP set-up, sampler indices, parameters before and after.

    Built in a function so that cloudpickle sends them by value: the workers never import this test module.
    """

    def params(trainer) -> dict:
        from ultralytics.utils.torch_utils import unwrap_model

        return {k: v.detach().clone() for k, v in unwrap_model(trainer.model).named_parameters()}

    def setup_done(trainer):  # on_pretrain_routine_end: end of _setup_train, after the DDP wrap
        import torch.distributed as dist
        from ultralytics.utils import RANK
        from ultralytics.utils.torch_utils import unwrap_model

        sampler = trainer.train_loader.sampler
        trainer.probe = {
            "rank": RANK,
            "world_size": trainer.world_size,
            "dist": (dist.get_backend(), dist.get_world_size(), dist.get_rank()) if dist.is_initialized() else None,
            "wrapper": [c.__name__ for c in type(trainer.model).__mro__],  # DDP's subclass counts
            "layers": [type(m).__name__ for m in unwrap_model(trainer.model).model],
            "indices": sorted(int(i) for i in sampler) if sampler is not None else None,
            "initial": params(trainer),
        }

    def ended(trainer):  # teardown: every rank, after its last step and final_eval (also after a failed set-up)
        from pathlib import Path

        import torch

        if not hasattr(trainer, "probe"):
            return  # set-up failed: the worker's own error stays the one reported
        trainer.probe["final"] = params(trainer)
        torch.save(trainer.probe, Path(out_dir) / f"rank{trainer.probe['rank']}.pt")

    return {"on_pretrain_routine_end": setup_done, "teardown": ended}


@pytest.fixture(autouse=True)
def user_blocks():
    """The user's blocks from their own module (the workers import it by name, on the sys.path DDP copies)."""
    sys.path.insert(0, str(HERE))
    import user_blocks  # noqa: F401

    yield
    sys.path.remove(str(HERE))


def test_two_gloo_ranks_train_the_users_model_to_identical_weights(tmp_path):
    """Two ranks: gloo world of 2, disjoint halves of the data, DDP-wrapped, trained, identical parameters."""
    data = make_dataset("detect", tmp_path / "data", n_train=N_TRAIN, n_val=2, imgsz=64)
    probes = tmp_path / "probes"
    probes.mkdir()
    model = ZooModel(str(user_yaml("detect", tmp_path)))
    for event, fn in _probe(str(probes)).items():
        model.add_callback(event, fn)
    metrics = model.train(data=str(data), ddp=2, epochs=1, imgsz=64, batch=4, workers=0, plots=False,
                          project=str(tmp_path / "runs"), name="gloo", exist_ok=True)

    assert model.trainer.best.exists() and metrics is not None  # rank 0 saved; the launcher read it back
    ranks = [torch.load(probes / f"rank{r}.pt") for r in (0, 1)]
    for r, p in enumerate(ranks):
        assert (p["rank"], p["world_size"], p["dist"]) == (r, 2, ("gloo", 2, r)), p
        assert {"Widen", "FuseUp"} <= set(p["layers"]), p["layers"]
    # The sampler split the data: each rank its own half, together all of it.
    a, b = (p["indices"] for p in ranks)
    assert a is not None and b is not None and len(a) == len(b) == N_TRAIN // 2, (a, b)
    assert not set(a) & set(b) and set(a) | set(b) == set(range(N_TRAIN)), (a, b)
    # Both ranks start from the module the launching process built and pickled ...
    built = dict(model.trainer.model.named_parameters())
    for p in ranks:
        assert p["initial"].keys() == built.keys()
        assert all(torch.equal(p["initial"][k], built[k]) for k in built)
    # ... train it (each rank saw different images) ...
    for p in ranks:
        assert any(not torch.equal(p["final"][k], p["initial"][k]) for k in built), "no parameter changed"
    # ... and end bit-identical: DDP averaged the gradients (the same all-reduce result on both ranks).
    different = [k for k in built if not torch.equal(ranks[0]["final"][k], ranks[1]["final"][k])]
    assert not different, f"ranks diverged in {len(different)} of {len(built)} parameters, e.g. {different[:3]}"
    assert all("DistributedDataParallel" in p["wrapper"] for p in ranks)


@pytest.mark.parametrize(
    ("ddp", "device", "message"),
    [(0, "cpu", "integer >= 1"), (2.0, "cpu", "integer >= 1"), (True, None, "integer >= 1"),
     (2, "0", "device=0,1"), (2, "cuda:0", "needs device=cpu")],
)
def test_a_wrong_ddp_request_names_the_fix(ddp, device, message):
    with pytest.raises(CpuDDPError, match=message):
        check_ddp(ddp, device)


def test_ddp_defaults_to_the_cpu_and_one_process_changes_nothing():
    assert check_ddp(2, None) == (2, "cpu") and check_ddp(2, "CPU") == (2, "cpu")
    assert check_ddp(1, "0") == (1, "0")


def test_several_datasets_are_refused_before_training(tmp_path):
    model = ZooModel(str(user_yaml("detect", tmp_path)))
    with pytest.raises(CpuDDPError, match="once per dataset"):
        model.train(data=["a.yaml", "b.yaml"], ddp=2)


def test_the_command_line_hands_ddp_to_train(tmp_path, monkeypatch):
    from zoo.cli import main

    seen = {}
    monkeypatch.setattr(ZooModel, "train", lambda self, **kwargs: seen.update(kwargs))
    model = user_yaml("detect", tmp_path)
    assert main(["train", f"model={model}", "data=data.yaml", "ddp=2", "device=cpu", "epochs=1"]) == 0
    assert (seen["ddp"], seen["device"], seen["epochs"]) == (2, "cpu", 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["val", "ddp=2"], "ddp= applies to train only"), (["train", "ddp=2", "device=0"], "device=0,1"),
     (["train", "ddp=0"], "integer >= 1"), (["train", "ddp"], "missing an '=' sign")],
)
def test_the_command_line_refuses_a_wrong_ddp(tmp_path, capsys, args, message):
    from zoo.cli import main

    mode, *rest = args
    assert main([mode, f"model={user_yaml('detect', tmp_path)}", "data=data.yaml", *rest]) == 2
    assert message in capsys.readouterr().err


def test_blocks_defined_in_the_running_script_are_refused_before_any_worker_starts(tmp_path):
    """Workers cannot import ``__main__``'s classes (rank 0 could not save them): a typed error, nothing launched."""
    from ultralytics.utils import USER_CONFIG_DIR

    from zoo.engine.cpu_ddp import cpu_ddp_trainer
    from zoo.engine.trainers import WorkerImportError, ZooDetectionTrainer

    data = make_dataset("detect", tmp_path / "data", n_train=4, n_val=2, imgsz=64)
    trainer = cpu_ddp_trainer(ZooDetectionTrainer, 2)(overrides={
        "model": str(user_yaml("detect", tmp_path)), "data": str(data), "imgsz": 64, "device": "cpu",
        "project": str(tmp_path / "runs"), "name": "main", "workers": 0})
    script_block = type("ScriptBlock", (torch.nn.Identity,), {"__module__": "__main__"})
    trainer.model = trainer.get_model(cfg=trainer.args.model, verbose=False)
    trainer.model.model[1] = script_block()
    launched_before = set((USER_CONFIG_DIR / "DDP").glob("*"))
    with pytest.raises(WorkerImportError, match=r"ScriptBlock is defined in the script you ran .*into a module"):
        trainer.train()
    assert trainer.ddp and trainer.world_size == 2  # the launching process of a 2-process run ...
    assert set((USER_CONFIG_DIR / "DDP").glob("*")) <= launched_before  # ... that wrote no launch file
