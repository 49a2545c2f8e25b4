"""``zoo benchmark`` on a small model at tiny sizes, and the reference-builder registry."""

import json

import pytest
from cli_helpers import run_zoo

from zoo.bench.references import REFERENCES, ReferenceUnavailable, build_reference, reference_key, register_reference

MEASURED = ("params", "gflops", "b1_median_ms", "b1_p90_ms", "b1_throughput", "bN_median_ms", "bN_p90_ms",
            "bN_throughput", "peak_mem_mb")


def test_benchmark_writes_results(tmp_path):
    out = run_zoo("benchmark", "yolo26n.yaml", "imgsz=64", "batch=2", "iters=2", "warmup=1",
                  f"project={tmp_path}", "name=b", timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    d = tmp_path / "b"
    for name in ("benchmark.csv", "benchmark.json", "benchmark.md", "benchmark.png"):
        assert (d / name).is_file() and (d / name).stat().st_size > 0, name
    assert (d / "benchmark.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = json.loads((d / "benchmark.json").read_text())
    zoo_row, ref_row = result["results"]
    assert zoo_row["kind"] == "zoo" and ref_row["kind"] == "reference"
    for row in (zoo_row, ref_row):
        assert all(isinstance(row[k], (int, float)) and row[k] > 0 for k in MEASURED), row
        assert row["b1_p90_ms"] >= row["b1_median_ms"] and row["batch"] == 2
    assert zoo_row["params"] == ref_row["params"]  # zoo's parser builds Ultralytics' own network
    assert ref_row["label"] == "ultralytics:yolo26n.yaml"
    assert zoo_row["speed_vs_ref"] == pytest.approx(zoo_row["bN_throughput"] / ref_row["bN_throughput"])
    assert result["environment"]["versions"]["ultralytics"] and result["environment"]["machine"]["cpu_count"]
    assert result["settings"]["imgsz"] == 64 and result["settings"]["iters"] == 2
    assert "yolo26n.yaml" in out.stdout and "Results in" in out.stdout  # the screen table


def test_reference_keys_are_torch_free_metadata():
    assert reference_key("deeplabv3p-s") == ("deeplabv3p", {})
    assert reference_key("vit-t-cls") == ("vit", {})
    assert reference_key("yolo26n.yaml") == ("ultralytics", {})
    assert reference_key("unet-classic") == (None, {})


def test_yaml_reference_key_and_custom_builder(tmp_path):
    y = tmp_path / "mine.yaml"
    y.write_text("nc: 2\nreference: {builder: mine_ref, width: 3}\nbackbone: [[-1, 1, Conv, [8, 3, 2]]]\n"
                 "head: [[-1, 1, Classify, [nc]]]\n")
    assert reference_key(str(y)) == ("mine_ref", {"width": 3})

    @register_reference("mine_ref")
    def _mine(ctx):
        import torch

        return torch.nn.Conv2d(3, ctx.options["width"], 1), "test:conv"

    try:
        module, label = build_reference(str(y), nc=2, imgsz=32)
        assert label == "test:conv" and module.out_channels == 3
        with pytest.raises(ValueError, match="already registered"):
            register_reference("mine_ref")(_mine)
    finally:
        REFERENCES.pop("mine_ref")


def test_no_reference_is_reported():
    with pytest.raises(ReferenceUnavailable, match="no reference"):
        build_reference("unet-classic", nc=2, imgsz=64)
