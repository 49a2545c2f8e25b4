"""A model YAML never makes a module run: dotted names and ``modules:`` import only what the user allowed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import zoo
from zoo.config import ModelConfigError
from zoo.registry import (
    MODULES,
    InvalidNameError,
    ModuleImportError,
    ModuleNotAllowedError,
    PluginImportWarning,
    UnknownNameError,
    allow_modules,
)

BLOCK = (
    "from torch import nn\nimport zoo\nfrom pathlib import Path\nPath({marker!r}).write_text('ran')\n\n"
    "@zoo.register_module(name={name!r})\nclass Block(nn.Module):\n"
    "    def __init__(self, c1, c2):\n        super().__init__()\n        self.conv = nn.Conv2d(c1, c2, 1)\n"
)


def yaml_with(row_module: str, extra: str = "") -> str:
    return (
        f"nc: 2\n{extra}backbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, {row_module}, [32]]\n"
        "head:\n  - [-1, 1, Classify, [nc]]\n"
    )


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """A module on sys.path whose import writes a marker file; cleaned from the registry afterwards."""
    folder = tmp_path / "site"
    folder.mkdir()
    marker = tmp_path / "imported"
    monkeypatch.syspath_prepend(str(folder))
    allowed_before = list(MODULES._allowed)

    def plant(module: str, block: str = "PlantedBlock") -> Path:
        (folder / f"{module}.py").write_text(BLOCK.format(marker=str(marker), name=block))
        return marker

    yield plant
    for name in MODULES.names():
        if MODULES.get(name).obj.__module__.startswith("planted_"):
            MODULES.unregister(name)
    MODULES._allowed[:] = allowed_before
    for module in [m for m in sys.modules if m.startswith("planted_")]:
        del sys.modules[module]


def test_dotted_row_naming_an_unimported_module_is_refused_before_import(planted, tmp_path):
    marker = planted("planted_evil")
    path = tmp_path / "evil.yaml"
    path.write_text(yaml_with("planted_evil.Block"))
    with pytest.raises(ModelConfigError, match=r"layer 1 .*module 'planted_evil' is not imported and zoo may not") as info:
        zoo.load(path, task="classify")
    message = str(info.value)
    assert str(path) in message
    assert "modules=['planted_evil']" in message and '[project.entry-points."zoo.modules"]' in message  # the fixes
    assert isinstance(info.value.__cause__, ModuleNotAllowedError)
    assert not marker.exists() and "planted_evil" not in sys.modules


def test_refusal_keeps_the_closest_name_hints(planted):
    planted("planted_hint")
    with pytest.raises(ModuleNotAllowedError, match=r"Registered names close to 'Conw': Conv"):
        MODULES.get("planted_hint.Conw")


def test_modules_key_naming_an_unimported_module_is_refused(planted, tmp_path):
    marker = planted("planted_key")
    path = tmp_path / "key.yaml"
    path.write_text(yaml_with("Conv", extra="modules: planted_key\n"))
    with pytest.raises(ModelConfigError, match=r"'modules: planted_key' refused: module 'planted_key' is not imported"):
        zoo.load(path, task="classify")
    assert not marker.exists() and "planted_key" not in sys.modules


def test_allow_modules_imports_reports_and_then_the_yaml_builds(planted, tmp_path):
    marker = planted("planted_good", block="GoodBlock")
    path = tmp_path / "good.yaml"
    path.write_text(yaml_with("planted_good.Block", extra="modules: [planted_good]\n"))
    assert allow_modules("planted_good, planted_good") == ["planted_good"]  # the CLI's comma form, de-duplicated
    assert marker.exists()
    model = zoo.load(path, task="classify")
    assert type(model.model.model[1]).__name__ == "Block" and model.model.model[1].conv.out_channels == 32
    assert MODULES.module_allowed("planted_good.sub") == "allowed by allow_modules"


def test_allow_modules_names_the_module_that_fails():
    with pytest.raises(ModuleImportError, match=r"allow_modules: module 'planted_missing' failed to import.*PYTHONPATH"):
        allow_modules(["planted_missing"])
    with pytest.raises(InvalidNameError, match=r"'\.\./x' is not a module path"):
        allow_modules(["../x"])


def test_zoo_namespace_is_trusted_and_dunder_modules_are_not():
    assert MODULES.module_allowed("zoo.architectures.no_such_family.modules") == "zoo's own"
    assert MODULES.module_allowed("zoo.__main__") is None  # importing it would run the command line
    with pytest.raises(ModuleNotAllowedError):
        MODULES.get("zoo.__main__.Block")


def test_broken_plugin_is_named_and_other_names_still_resolve(tmp_path, monkeypatch):
    """One entry point raising at import warns by name; the next one still registers, lookups keep working."""
    (tmp_path / "planted_registry.py").write_text(
        "from zoo.registry import Registry\nREG = Registry('scratch', entry_point_group='zoo.test_plugins')\n"
    )
    (tmp_path / "planted_broken.py").write_text("raise RuntimeError('plugin bug')\n")
    (tmp_path / "planted_fine.py").write_text(
        "from planted_registry import REG\nREG.register(type('FineBlock', (), {}))\n"
    )
    dist = tmp_path / "planted_plugins-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: planted-plugins\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[zoo.test_plugins]\nbroken = planted_broken\nfine = planted_fine\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        from planted_registry import REG

        with pytest.warns(PluginImportWarning, match=r"entry point 'broken = planted_broken'.*RuntimeError: plugin bug"):
            assert REG.get("FineBlock").name == "FineBlock"
        assert "broken = planted_broken" in REG.broken_plugins
        with pytest.raises(UnknownNameError, match=r"failed to import.*broken = planted_broken \(RuntimeError: plugin bug\)"):
            REG.get("MissingBlock")
        assert REG.module_allowed("planted_fine.sub") == "entry point fine = planted_fine (zoo.test_plugins)"
    finally:
        for module in [m for m in sys.modules if m.startswith("planted_")]:
            del sys.modules[module]
