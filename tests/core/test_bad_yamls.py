"""Bad model YAMLs: a clear error naming the file, the row and the problem; nothing is executed."""

from __future__ import annotations

import os

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
    "duplicate_key": ("nc: 2\nnc: 3\n" + GOOD_ROWS, r"at line 2: duplicate key 'nc' \(first at line 1\); remove one"),
    "duplicate_nested_key": (
        "nc: 2\nscales:\n  n: [0.5, 0.25, 1024]\n  n: [1.0, 1.0, 1024]\n" + GOOD_ROWS,
        r"at line 4: duplicate key 'n' \(first at line 3\)",
    ),
    "duplicate_key_spelled_differently": ("nc: 2\n1: a\n0x1: b\n" + GOOD_ROWS, r"at line 3: duplicate key '0x1' \(first at line 2\)"),
    "nc_negative": ("nc: -3\n" + GOOD_ROWS, r"nc must be a positive int \(the number of classes\), got -3"),
    "nc_string": ("nc: many\n" + GOOD_ROWS, r"nc must be a positive int .*got 'many'"),
    "nc_bool": ("nc: true\n" + GOOD_ROWS, r"nc must be a positive int .*got True"),
    "nc_huge": ("nc: 1000000000\n" + GOOD_ROWS, r"nc 1000000000 exceeds the limit 65,536 \(nc\).*ZOO_MAX_NC"),
    "nc_missing": (GOOD_ROWS, r"nc not given; set nc in the YAML or pass nc="),
    "init_unknown": ("nc: 2\ninit: xavier\n" + GOOD_ROWS, r"init must be 'ultralytics' or 'torch', got 'xavier'"),
    "task_not_a_task": ("nc: 2\ntask: 123\n" + GOOD_ROWS, r"task 123 is not one of zoo's tasks"),
    "activation_not_an_activation": (
        "nc: 2\nactivation: nn.Linear(100000, 100000)\n" + GOOD_ROWS,
        r"'Linear' is not a torch\.nn activation",
    ),
    "scales_not_numbers": ("nc: 2\nscales:\n  n: [.nan, 1, 1024]\n" + GOOD_ROWS, r"'scales' must map letters .*positive numbers"),
    "huge_int_literal": ("nc: 2\nx: " + "9" * 5000 + "\n" + GOOD_ROWS, r"a value cannot be read \(ValueError: Exceeds the limit"),
    "literal_nested_too_deep": (
        "nc: 2\nbackbone:\n  - [-1, 1, Conv, ['" + "(" * 2000 + "']]\nhead:\n  - [-1, 1, Classify, [nc]]\n",
        r"layer 0 .*neither a YAML symbol \(nc, .*\), a Python literal nor a plain word of at most 1000 characters",
    ),
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


def test_directory_named_like_a_yaml(tmp_path):
    (tmp_path / "x.yaml").mkdir()
    with pytest.raises(ModelConfigError, match=r"x\.yaml: is a directory, not a model YAML file"):
        zoo.load(tmp_path / "x.yaml", task="classify")


def test_path_too_long(tmp_path):
    path = tmp_path / ("a" * 300 + ".yaml")  # a name longer than any file system allows: ENAMETOOLONG
    with pytest.raises(ModelConfigError, match=r"\.\.\.a+\.yaml \(\d+ characters\): path too long for this system"):
        zoo.load(path, task="classify")


def test_fifo_is_not_read(tmp_path):
    """A FIFO would block the read forever; anything but a regular file is refused before opening."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ModelConfigError, match=r"pipe\.yaml: not a regular file"):
        zoo.load(fifo, task="classify")


PROBE_CASES = {
    "concat_of_two_resolutions": (
        "nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Conv, [32, 3, 2]]\n"
        "head:\n  - [[0, 1], 1, Concat, [1]]\n  - [[2], 1, Detect, [nc]]\n",
        r"layer 2 \(ultralytics\.nn\.modules\.conv\.Concat, from \[0, 1\]\) cannot take its input in the stride probe: "
        r"got shape\(s\) \[\[1, 16, 128, 128\], \[1, 32, 64, 64\]\]\. RuntimeError: .*Check this row's 'from'",
    ),
    "explicit_conv_with_wrong_input_channels": (
        "nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, nn.Conv2d, [8, 32, 3, 2, 1]]\n"
        "head:\n  - [[1], 1, Detect, [nc]]\n",
        r"layer 1 \(torch\.nn\.modules\.conv\.Conv2d, from -1\) cannot take its input in the stride probe: got shape\(s\) "
        r"\[1, 16, 128, 128\]; it was built for 8 input channels \(Conv2d\)\. RuntimeError",
    ),
}


@pytest.mark.parametrize("case", sorted(PROBE_CASES))
def test_shape_errors_in_the_stride_probe_name_the_layer_and_shapes(case, tmp_path):
    text, pattern = PROBE_CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    with pytest.raises(ModelConfigError, match=pattern) as info:
        zoo.load(path, task="detect")
    assert str(path) in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)  # torch's own error, chained


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
    with pytest.raises(ValueError, match="unknown task 'posture'"):
        zoo.load("yolo26n.yaml", task="posture")
    with pytest.raises(ModelConfigError, match=r"yolo26n.yaml: a pose model needs kpt_shape"):  # task= wins: checked
        zoo.load("yolo26n.yaml", task="pose")
    # a YAML that declares its task is checked against task= (a stock YAML's task is only guessed: task= wins)
    with pytest.raises(ValueError, match=r"task 'classify' does not match the architecture's task 'semantic'"):
        zoo.load("deeplabv3p-s", task="classify")
