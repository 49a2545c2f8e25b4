"""The module registry: registration, duplicates, unknown names, name validation, lazy discovery."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

import zoo
from zoo import rules
from zoo.registry import (
    MODULES,
    DuplicateNameError,
    InvalidNameError,
    ModuleNotAllowedError,
    Registry,
    UnknownNameError,
)


@pytest.fixture
def scratch():
    """Names registered by a test are removed afterwards."""
    before = set(MODULES.names())
    yield
    for name in set(MODULES.names()) - before:
        MODULES.unregister(name)


def test_register_bare_and_named(scratch):
    @zoo.register_module
    class BlockA(nn.Module):
        pass

    @zoo.register_module(name="BlockB", rule=rules.same())
    class Anything(nn.Module):
        pass

    assert MODULES.get("BlockA").obj is BlockA
    entry = MODULES.get("BlockB")
    assert entry.obj is Anything and entry.rule.__name__ == "same"
    assert "test_registry.py" in entry.source


def test_duplicate_names_where_the_first_came_from(scratch):
    @zoo.register_module(name="Twice")
    class First(nn.Module):
        pass

    with pytest.raises(DuplicateNameError, match=r"already has 'Twice' from .*First \(.*test_registry\.py:\d+\)"):

        @zoo.register_module(name="Twice")
        class Second(nn.Module):
            pass

    @zoo.register_module(name="Twice", force=True)
    class Third(nn.Module):
        pass

    assert MODULES.get("Twice").obj is Third


def test_stock_names_are_not_shadowed_silently(scratch):
    with pytest.raises(DuplicateNameError, match="'Conv' is an Ultralytics stock module"):

        @zoo.register_module
        class Conv(nn.Module):
            pass


def test_unknown_name_lists_closest():
    with pytest.raises(UnknownNameError, match=r"'Conw' is not in the modules registry\. Closest names: Conv"):
        MODULES.get("Conw")


@pytest.mark.parametrize("name", ["../evil", "a/b", "os.system('x')", "a b", "", "x..y", "C:\\x"])
def test_invalid_names(name):
    with pytest.raises(InvalidNameError, match="invalid module name|non-empty"):
        MODULES.get(name)
    with pytest.raises(InvalidNameError):
        Registry("scratch").register(type("T", (nn.Module,), {}), name=name)


def test_stock_torch_and_torchvision_resolve():
    assert MODULES.get("C3k2").obj.__name__ == "C3k2"
    assert MODULES.get("nn.Upsample").obj is nn.Upsample
    assert MODULES.get("torchvision.ops.SqueezeExcitation").obj.__name__ == "SqueezeExcitation"


def test_dotted_path_resolves_zoo_modules_and_requires_registration():
    assert MODULES.get("zoo.nn.blocks.Pick").name == "Pick"
    with pytest.raises(UnknownNameError, match="not registered"):
        MODULES.get("torch.nn.modules.conv.Conv2d")  # imported already, but not a registered block
    with pytest.raises(UnknownNameError, match=r"cannot import 'zoo\.no_such_module'"):
        MODULES.get("zoo.no_such_module.Block")  # zoo's own namespace is imported on demand
    with pytest.raises(ModuleNotAllowedError, match=r"module 'no_such_package' is not imported and zoo may not"):
        MODULES.get("no_such_package.Block")  # anything else is refused before an import is tried


def test_register_rejects_non_classes():
    with pytest.raises(TypeError, match="expects a class"):
        zoo.register_module(lambda: None)


def test_registry_and_listing_import_no_torch():
    code = "import sys, zoo; zoo.list_models(); zoo.list_models(task='segment'); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_entry_point_modules_are_discovered_on_first_lookup(tmp_path):
    """A package contributing blocks via the 'zoo.modules' entry-point group needs no import by the user."""
    pkg = tmp_path / "zoo_plugin_demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from torch import nn\nimport zoo\n\n@zoo.register_module\nclass PluginBlock(nn.Module):\n"
        "    def __init__(self, c1, c2):\n        super().__init__()\n        self.conv = nn.Conv2d(c1, c2, 1)\n"
    )
    dist = tmp_path / "zoo_plugin_demo-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: zoo-plugin-demo\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[zoo.modules]\ndemo = zoo_plugin_demo\n")
    code = (
        "import zoo\nfrom zoo.nn.parser import parse_model\n"
        "d = {'nc': 2, 'backbone': [[-1, 1, 'PluginBlock', [8]]], 'head': []}\n"
        "layers, _ = parse_model(d, ch=3, verbose=False)\nprint(type(layers[0]).__name__, layers[0].conv.out_channels)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "YOLO_OFFLINE": "1",
                              "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("PluginBlock 8")
