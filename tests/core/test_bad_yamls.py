"""Bad model YAMLs: a clear error naming the file, the row and the problem; nothing is executed."""

from __future__ import annotations

from pathlib import Path

import pytest

import zoo
from zoo.config import ModelConfigError

GOOD_ROWS = """\
backbone:
  - [-1, 1, Conv, [16, 3, 2]]
  - [-1, 1, Conv, [32, 3, 2]]
head:
  - [-1, 1, Classify, [nc]]
"""

CASES = {
    "unknown_module": (
        "nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Convv, [32, 3, 2]]\nhead:\n  - [-1, 1, Classify, [nc]]\n",
        r"layer 1 \[-1, 1, 'Convv'.*'Convv' is not in the modules registry\. Closest names: Conv",
    ),
    "python_object_tag": (
        "nc: 2\nboom: !!python/object/apply:os.system ['touch {marker}']\n" + GOOD_ROWS,
        r"at line 2: tag refused .*python/object/apply:os\.system",
    ),
    "activation_is_code": (
        "nc: 2\nactivation: __import__('os').system('touch {marker}')\n" + GOOD_ROWS,
        r"activation .* must look like 'nn\.SiLU\(\)'.*never evaluated",
    ),
    "activation_args_are_code": (
        "nc: 2\nactivation: nn.LeakyReLU(__import__('os').system('touch {marker}'))\n" + GOOD_ROWS,
        r"arguments must be Python literals",
    ),
    "args_reach_eval": (
        "nc: 2\nbackbone:\n  - [-1, 1, Conv, [\"eval('__import__(\\\"os\\\").system(1)')\", 3, 2]]\nhead:\n  - [-1, 1, Classify, [nc]]\n",
        r"layer 0 .*neither a YAML symbol .* model YAMLs cannot run code",
    ),
    "missing_backbone": ("nc: 2\nhead:\n  - [-1, 1, Classify, [nc]]\n", r"missing 'backbone' section"),
    "missing_head": ("nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n", r"missing 'head' section"),
    "from_out_of_range": (
        "nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [5, 1, Conv, [32, 3, 2]]\nhead:\n  - [-1, 1, Classify, [nc]]\n",
        r"layer 1 \[5, 1, 'Conv'.*'from' index 5 is out of range; layer 1 can read 0\.\.0 or -1\.\.-1",
    ),
    "module_with_path_separator": (
        "nc: 2\nbackbone:\n  - [-1, 1, ../../evil/Block, [16]]\nhead:\n  - [-1, 1, Classify, [nc]]\n",
        r"layer 0 .*invalid module name '\.\./\.\./evil/Block'",
    ),
    "row_shape": ("nc: 2\nbackbone:\n  - [-1, Conv, [16]]\nhead: []\n", r"layer 0 .*expected \[from, repeats, module, args\]"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_yaml_is_refused_clearly_and_runs_nothing(case, tmp_path):
    text, pattern = CASES[case]
    marker = tmp_path / "executed"
    path = tmp_path / f"{case}.yaml"
    path.write_text(text.replace("{marker}", str(marker)))
    with pytest.raises(ModelConfigError, match=pattern) as info:
        zoo.load(path, task="classify")
    assert str(path) in str(info.value)  # names the file
    assert not marker.exists()


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(("# caf\xe9\n" + "nc: 2\n" + GOOD_ROWS).encode("latin-1"))
    with pytest.raises(ModelConfigError, match=r"latin1\.yaml: not UTF-8 text \(invalid byte 0xe9 at offset 5\)"):
        zoo.load(path, task="classify")


def test_missing_file_names_it(tmp_path):
    with pytest.raises(ModelConfigError, match="nope.yaml: no such model YAML file"):
        zoo.load(tmp_path / "nope.yaml", task="classify")


def test_safe_activation_is_applied_and_restored(tmp_path):
    from ultralytics.nn.modules import Conv

    before = Conv.default_act
    path = tmp_path / "act.yaml"
    path.write_text("nc: 2\nactivation: nn.LeakyReLU(0.25)\n" + GOOD_ROWS)
    model = zoo.load(path, task="classify")
    act = model.model.model[0].act
    assert type(act).__name__ == "LeakyReLU" and act.negative_slope == 0.25
    assert Conv.default_act is before


def test_unknown_task_and_task_mismatch():
    with pytest.raises(ValueError, match="unknown task 'pose'"):
        zoo.load("yolo26n.yaml", task="pose")
    with pytest.raises(ValueError, match=r"task 'classify' does not match the architecture's task 'detect'"):
        zoo.load("yolo26n.yaml", task="classify")
