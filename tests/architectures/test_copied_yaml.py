"""A copy of a catalog family's YAML keeps its metadata (issue 11, item 6): one test per family, from the catalog.

A user copies ``architectures/<family>/<file>.yaml`` to edit it. ``zoo.load(copy)`` must build what
``zoo.load(name)`` builds (same classes, state-dict keys and shapes, the ``init:`` policy and so the same BatchNorm
eps) and weights must find the copy's own ``converters:``, imported only under the registry's trust rule.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import torch
import yaml

import zoo
from zoo import catalog
from zoo.registry import ModuleNotAllowedError
from zoo.weights.converters import get_converter

sys.path.insert(0, str(Path(__file__).parent))  # semantic_helpers, as the family tests import it
from semantic_helpers import save_smp  # noqa: E402

FAMILIES = sorted(catalog.architectures())


def _copy(arch: catalog.Architecture, root: Path) -> Path:
    """The family's YAML copied under ``root`` with its own file name (so no scale is read from the name)."""
    return Path(shutil.copy(arch.yaml_file, root / arch.yaml_file.name))


def _summary(model: torch.nn.Module) -> dict:
    """Layer classes, state-dict shapes and every BatchNorm's eps and momentum."""
    return {"layers": [type(m).__name__ for m in model.modules()],
            "shapes": {k: tuple(v.shape) for k, v in model.state_dict().items()},
            "bn": [(m.eps, m.momentum) for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]}


@pytest.mark.parametrize("family", FAMILIES)
def test_copied_yaml_builds_the_catalog_model_and_keeps_its_converters(family, tmp_path):
    arch = catalog.architectures()[family]
    name = arch.model_name(arch.scales[0] if arch.scales else None)  # a copy builds its first scale
    original, copied = zoo.load(name), zoo.load(_copy(arch, tmp_path))
    assert copied._row.name == original._row.name and type(copied.model) is type(original.model)
    assert _summary(copied.model) == _summary(original.model)
    assert copied.model.yaml.get("init") == original.model.yaml.get("init") == yaml.safe_load(
        arch.yaml_file.read_text()).get("init")
    own = copied.model.yaml.get("converters") or {}
    assert own == arch.converters
    for layout in arch.converters:  # what a weights file of that layout goes through
        assert get_converter(layout, own=own) is get_converter(layout, model_name=name)


def test_copied_deeplabv3p_loads_smp_weights_through_its_converter(tmp_path):
    """The issue's case: smp weights into a copy of ``deeplabv3p.yaml`` give the catalog model's outputs."""
    arch = catalog.architectures()["deeplabv3p"]
    save_smp("DeepLabV3Plus", tmp_path / "smp", encoder_name="resnet34", classes=21)
    weights = tmp_path / "smp" / "model.safetensors"
    copy = tmp_path / "deeplabv3p-copy.yaml"
    copy.write_text(arch.yaml_file.read_text() + "scale: s\n")  # resnet34, the encoder smp's file has
    copied, original = zoo.load(copy, weights=weights), zoo.load("deeplabv3p-s", weights=weights)
    assert copied.load_report.ok, copied.load_report
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(copied.model.eval()(x), original.model.eval()(x))


def test_a_copied_yaml_converter_outside_the_trust_rule_is_not_imported(tmp_path):
    """A YAML's ``converters:`` never makes code run: a module nobody allowed is refused before import."""
    with pytest.raises(ModuleNotAllowedError, match="not_allowed_converter_mod"):
        get_converter("smp", own={"smp": "not_allowed_converter_mod:fn"})
    assert "not_allowed_converter_mod" not in sys.modules
