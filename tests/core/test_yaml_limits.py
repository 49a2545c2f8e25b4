"""Bounded work: a small YAML cannot ask for unbounded memory or time; every bound names how to raise it."""

from __future__ import annotations

import time

import pytest

import zoo
from zoo.config import LIMITS, LimitExceededError, ModelConfigError, limits, using_limits

ROWS = "backbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Conv, [32, 3, 2]]\nhead:\n  - [-1, 1, Classify, [nc]]\n"


def write(tmp_path, text: str, name: str = "m.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_billion_laughs_fails_fast_with_a_short_message(tmp_path):
    """Nine levels of ten aliases: 1 KB of text, 10^9 items once expanded."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = write(tmp_path, "\n".join(lines) + "\nnc: 2\n" + ROWS)
    assert path.stat().st_size < 1024
    start = time.perf_counter()
    with pytest.raises(LimitExceededError, match=r"node count with aliases expanded .* exceeds the limit 100,000 \(yaml_nodes\).*ZOO_MAX_YAML_NODES"):
        zoo.load(path, task="classify")
    assert time.perf_counter() - start < 5


def test_error_on_an_alias_expanded_row_quotes_a_few_hundred_characters(tmp_path):
    big = "big: &big [" + ", ".join(["[1, 2, 3, 4, 5, 6, 7, 8]"] * 5000) + "]\n"  # 90,000 nodes with the alias: under the budget
    path = write(tmp_path, big + "nc: 2\nbackbone:\n  - [-1, 1, Convv, *big]\nhead:\n  - [-1, 1, Classify, [nc]]\n")
    with pytest.raises(ModelConfigError, match=r"layer 0 \[-1, 1, 'Convv', \[\[1, 2, 3, 4, 5, 6, .*\.\.\.") as info:
        zoo.load(path, task="classify")
    assert len(str(info.value)) < 1500


def test_deep_nesting_is_refused_before_the_parser_recurses(tmp_path):
    """libyaml composes in C recursion: 100,000 nested lists crash the interpreter unless refused first."""
    path = write(tmp_path, "nc: 2\ndeep: " + "[" * 100_000 + "]" * 100_000 + "\n" + ROWS)
    # zoo's counter stops at depth 51; newer libyaml refuses 1,000 levels while reading ahead: both are this error
    expected = r"at line 2: nesting depth (\(at least\) )?51 exceeds the limit 50 \(yaml_depth\)"
    with pytest.raises(LimitExceededError, match=expected):
        zoo.load(path, task="classify")


def test_recursive_alias_is_refused(tmp_path):
    path = write(tmp_path, "nc: 2\nloop: &loop [1, *loop]\n" + ROWS)
    with pytest.raises(ModelConfigError, match=r"at line 2: alias \*'loop' refers to a node that contains it"):
        zoo.load(path, task="classify")


def test_file_size_limit_from_the_environment(tmp_path, monkeypatch):
    path = write(tmp_path, "nc: 2\n" + ROWS + "#" * 2000 + "\n")
    monkeypatch.setenv("ZOO_MAX_YAML_BYTES", "1000")
    assert limits().yaml_bytes == 1000 and LIMITS.yaml_bytes == 1 << 20
    with pytest.raises(LimitExceededError, match=r"m\.yaml: file size \(bytes\) \d+ exceeds the limit 1,000 \(yaml_bytes\)"):
        zoo.load(path, task="classify")
    monkeypatch.setenv("ZOO_MAX_YAML_BYTES", "1e4")  # raising it is the documented fix
    assert zoo.load(path, task="classify").model.yaml["nc"] == 2


@pytest.mark.parametrize(
    "rows, pattern",
    [
        ("  - [-1, 10000000, Conv, [16, 3, 2]]\n", r"layer 0: repeats 10000000 exceeds the limit 1,000 \(repeats\)"),
        ("  - [-1, 1, Conv, [10000000, 3, 2]]\n", r"layer 0 .*output channels 10000000 exceeds the limit 65,536 \(channels\)"),
        ("  - [-1, 1, Conv, [16, 6000, 2]]\n", r"layer 0 \(Conv\): parameters .* exceeds the limit 1,000,000,000 \(params\)"),
    ],
    ids=["repeats", "channels", "params"],
)
def test_row_limits_refuse_before_allocating(tmp_path, rows, pattern):
    path = write(tmp_path, f"nc: 2\nbackbone:\n{rows}head:\n  - [-1, 1, Classify, [nc]]\n")
    start = time.perf_counter()
    with pytest.raises(LimitExceededError, match=pattern):
        zoo.load(path, task="classify")
    assert time.perf_counter() - start < 10  # 1.7e9 parameters were never initialised


def test_repeats_are_checked_after_depth_scaling(tmp_path):
    path = write(tmp_path, "nc: 2\nscales:\n  n: [600.0, 1.0, 1024]\n" + ROWS.replace("[-1, 1, Conv, [32", "[-1, 2, C2f, [32"))
    with pytest.raises(LimitExceededError, match=r"layer 1: repeats after depth scaling \(2 x 600\.0\) 1200 exceeds"):
        zoo.load(path, task="classify")


def test_layer_count_and_parameter_budget_follow_using_limits(tmp_path):
    path = write(tmp_path, "nc: 2\n" + ROWS)
    with using_limits(layers=2), pytest.raises(LimitExceededError, match=r"number of layers 3 exceeds the limit 2 \(layers\)"):
        zoo.load(path, task="classify")
    with using_limits(params=1000), pytest.raises(LimitExceededError, match=r"layer 1 \(Conv\): parameters .* 5,?\d{3} exceeds the limit 1,000"):
        zoo.load(path, task="classify")
    assert zoo.load(path, task="classify").model.model[1].np == 4672  # outside the block, defaults again


def test_probe_activation_limit_refuses_before_the_real_probe(tmp_path):
    """A 64x upsample at full resolution would be 17 GB in the stride probe; it is measured on meta first."""
    path = write(
        tmp_path,
        "nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 1]]\n  - [-1, 1, nn.Upsample, [None, 64, nearest]]\n"
        "  - [-1, 1, Conv, [32, 3, 2]]\nhead:\n  - [[2], 1, Detect, [nc]]\n",
    )
    start = time.perf_counter()
    with pytest.raises(LimitExceededError, match=r"layer 1 \(torch\.nn\.modules\.upsampling\.Upsample\): output of the 256x256 "
                       r"stride probe \[1, 16, 16384, 16384\] \(elements\) 4294967296 exceeds .*\(activations\)"):
        zoo.load(path, task="detect")
    assert time.perf_counter() - start < 10


def test_using_limits_refuses_unknown_names():
    with pytest.raises(TypeError, match=r"unknown limit\(s\) \['paramz'\]"):
        with using_limits(paramz=1):
            pass
