"""zoo's public functions: list_models, info, load by name, and the catalog behind them."""

from __future__ import annotations

import pytest

import zoo
from zoo import catalog
from zoo.catalog import UnknownModelError


def test_list_models_filters():
    names = zoo.list_models()
    assert names == sorted(names) and len(names) == len(set(names))
    assert set(zoo.list_models("deeplabv3p-*")) == {n for n in names if n.startswith("deeplabv3p-")}
    semantic = zoo.list_models(task="segment")  # the alias users write
    assert semantic == zoo.list_models(task="semantic")
    assert all(catalog.resolve(n)[0].task == "semantic" for n in semantic)
    pretrained = set(zoo.list_models(pretrained=True))
    assert pretrained | set(zoo.list_models(pretrained=False)) == set(names)
    assert not pretrained & set(zoo.list_models(pretrained=False))


def test_every_architecture_declares_its_task_and_builds_its_blocks():
    for arch in catalog.architectures().values():
        assert arch.task in catalog.TASKS
        assert arch.yaml_file.exists()
        d = arch.model_dict()
        assert d["task"] == arch.task and d["zoo_model"] in arch.model_names()


def test_unknown_model_lists_close_names():
    with pytest.raises(UnknownModelError, match=r"no model named 'deeplabv3-s'.*Closest: deeplabv3p-s"):
        zoo.load("deeplabv3-s")


def test_task_alias_and_mismatch():
    assert catalog.normalize_task("segment", arch_task="semantic") == "semantic"
    with pytest.raises(ValueError, match="does not match the architecture's task 'semantic'"):
        catalog.normalize_task("detect", arch_task="semantic")


def test_info_reports_params_and_gflops_per_scale():
    report = zoo.info("unet-classic")
    assert report["task"] == "semantic" and report["arch"] == "unet-classic"
    (scale,) = report["scales"].values()
    model = zoo.load("unet-classic")
    assert scale["params"] == sum(p.numel() for p in model.model.parameters())
    assert scale["gflops"] > 0


def test_a_given_task_is_never_answered_with_pass_task():
    """The task the caller gave is the one checked; advice to pass task= only makes sense when none was given."""
    with pytest.raises(ValueError, match=r"unknown task 'posture'; zoo's tasks are") as given:
        zoo.load("yolo26n-pose.yaml", task="posture")
    assert "pass task=" not in str(given.value)
    assert zoo.load("yolo26n.yaml", task="detect").task == "detect"
    rtdetr = zoo.load("rtdetr-l.yaml", task="detect")  # the case: 'detect' names the RT-DETR row here
    assert (rtdetr.task, type(rtdetr.model).__name__) == ("detect", "ZooRTDETRModel")
