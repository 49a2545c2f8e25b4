"""``zoo benchmark formats=...`` bookkeeping: per-round ratios (to fp32 eager and zoo vs reference), output deltas, the
report table, the reference variant (no timing)."""

from __future__ import annotations

import pytest
import torch

from zoo.bench.formats_report import formats_table
from zoo.bench.measure import time_forward
from zoo.bench.rounds import _row, _zoo_vs_reference, format_rows
from zoo.bench.variants import build_variant, output_delta, prepare


def test_speedup_is_taken_within_each_round():
    base = [[10.0, 10.0, 10.0], [20.0, 20.0, 20.0], [30.0, 30.0, 30.0]]  # the machine slows down round by round
    variant = [[5.0, 5.0, 5.0], [5.0, 5.0, 5.0], [10.0, 10.0, 10.0]]
    row = _row("m", "onnx", {"ready": True, "precision": "fp32"}, variant, base)
    assert row["speedups"] == [2.0, 4.0, 3.0]
    assert (row["speedup"], row["speedup_min"], row["speedup_max"]) == (3.0, 2.0, 4.0)
    assert row["median_ms"] == 5.0 and row["images_per_s"] == 200.0 and row["passes"] == 9
    assert row["precision"] == "fp32" and "ready" not in row


def test_output_delta_semantic_compares_class_maps_at_input_size(tmp_path):
    logits = torch.zeros(1, 3, 4, 4)
    logits[:, 1] = 1.0  # class 1 everywhere
    torch.save(logits, tmp_path / "reference.pt")
    spec = {"workdir": str(tmp_path), "imgsz": 16}
    same = output_delta(spec, logits.clone(), "semantic")
    assert same == {"delta_rel": 0.0, "pixels_equal": 1.0}
    class_map = torch.ones(1, 16, 16, dtype=torch.uint8)
    class_map[:, :4] = 2  # a quarter of the rows differ
    exported = output_delta(spec, class_map, "semantic")
    assert exported == {"pixels_equal": pytest.approx(0.75)}  # different shapes: no delta_rel


def test_output_delta_classify(tmp_path):
    torch.save(torch.tensor([[0.1, 0.7, 0.2]]), tmp_path / "reference.pt")
    row = output_delta({"workdir": str(tmp_path)}, (torch.tensor([[0.1, 0.6, 0.3]]), None), "classify")
    assert row["top1_equal"] is True and row["delta_rel"] == pytest.approx(0.1 / 0.7)
    assert output_delta({"workdir": str(tmp_path)}, torch.tensor([[0.5, 0.2, 0.3]]), "classify")["top1_equal"] is False


def test_table_shows_spread_and_errors():
    ok = {"model": "m", "format": "onnx", "precision": "fp32", "layout": "runtime", "median_ms": 5.0, "p90_ms": 6.0,
          "images_per_s": 200.0, "speedup": 3.0, "speedup_min": 2.0, "speedup_max": 4.0, "pixels_equal": 0.9995,
          "peak_mb": 123.4}
    bad = {"model": "m", "format": "openvino", "error": "ModuleNotFoundError: openvino"}
    lines = formats_table({"results": [ok, bad]})
    assert "| m | onnx | fp32 | runtime | 5.0 | 6.0 | 200.00 | 123 | 3.00× [2.00–4.00] | 99.95% px |" in lines
    assert any("error: ModuleNotFoundError: openvino" in line for line in lines)


def test_zoo_vs_reference_is_taken_within_each_round():
    zoo_times = [[10.0, 10.0], [40.0, 40.0], [20.0, 20.0]]  # the machine slows down in round 2
    ref_times = [[12.0, 12.0], [40.0, 40.0], [10.0, 10.0]]
    zoo_cpu, ref_cpu = [[10.0], [10.0], [10.0]], [[11.0], [10.0], [9.0]]  # CPU time leaves the slow-down out
    row = {"format": "reference-cl"}
    _zoo_vs_reference(row, zoo_times, ref_times, zoo_cpu, ref_cpu)
    assert row["zoo_vs_ref_rounds"] == [1.2, 1.0, 0.5]  # > 1: zoo faster than the reference in that round
    assert (row["zoo_vs_ref"], row["zoo_vs_ref_min"], row["zoo_vs_ref_max"]) == (1.0, 0.5, 1.2)
    assert (row["zoo_vs_ref_cpu"], row["zoo_vs_ref_cpu_min"], row["zoo_vs_ref_cpu_max"]) == (1.0, 0.9, 1.1)
    assert row["zoo_format"] == "torch-fused-cl"
    line = formats_table({"results": [{**row, "model": "m", "median_ms": 11.0, "p90_ms": 12.0,
                                        "images_per_s": 90.9, "reference": "timm:x"}]})[-1]
    assert "timm:x (own weights), **zoo torch-fused-cl ÷ this: 1.00× [0.50–1.20], CPU time 1.00× [0.90–1.10]**" in line


def test_time_forward_records_cpu_time_per_pass():
    timing = time_forward(torch.nn.Linear(8, 8).eval(), torch.rand(2, 8), iters=3, warmup=1)
    assert len(timing.times) == len(timing.cpu_times) == 3 and all(t >= 0 for t in timing.cpu_times)


def test_reference_variant_is_the_reference_network(tmp_path):
    spec = {"model": "vit-t-cls", "imgsz": 32, "batch": 1, "formats": ["torch"], "workdir": str(tmp_path)}
    prepare(spec)
    run, x, info = build_variant({**spec, "task": "classify"}, "reference-cl")
    assert info["reference"] == "timm:vit_tiny_patch16_224" and type(run).__module__.startswith("timm.")
    assert x.is_contiguous(memory_format=torch.channels_last) and info["layout"] == "channels_last"
    with torch.inference_mode():
        assert run(x).shape == (1, 1000)


def test_format_rows_pair_reference_and_cpu_speedups():
    ready = {f: {"ready": True} for f in ("torch", "reference", "torch-fused-cl")} | {"onnx": {"error": "no onnx"}}
    times = {"torch": [[20.0], [40.0]], "reference": [[10.0], [80.0]], "torch-fused-cl": [[10.0], [10.0]]}
    cpu = {"torch": [[20.0], [20.0]], "reference": [[25.0], [25.0]], "torch-fused-cl": [[10.0], [10.0]]}
    rows = {r["format"]: r for r in format_rows("m", ["torch", "reference", "torch-fused-cl", "onnx"], ready, times,
                                                 cpu)}
    assert rows["onnx"] == {"model": "m", "format": "onnx", "error": "no onnx"}
    ref = rows["reference"]
    assert ref["zoo_format"] == "torch" and ref["zoo_vs_ref_rounds"] == [0.5, 2.0]  # reference-cl pairs elsewhere
    assert ref["zoo_vs_ref_cpu"] == 1.25 and ref["cpu_median_ms"] == 25.0
    assert rows["torch-fused-cl"]["speedup_cpu"] == 2.0 and rows["torch-fused-cl"]["speedup"] == 3.0  # wall: 2, 4
    assert rows["torch"]["speedup_cpu"] == 1.0
    assert "zoo_vs_ref" not in rows["torch-fused-cl"]


def test_peak_memory_counts_the_variants_weights(tmp_path):
    """Each variant reports its process's peak memory growth from before it was built: at least its weights."""
    import json

    from zoo.bench.cli import main

    rc = main(["vit-t-cls", "imgsz=32", "formats=torch,torch-bf16", "rounds=1", "iters=1", "warmup=0", "threads=1",
               f"project={tmp_path}", "name=m"])
    assert rc == 0
    rows = {r["format"]: r for r in json.loads((tmp_path / "m" / "formats.json").read_text())["results"]}
    weights_mb = 5.5e6 * 4 / 2**20  # vit-t-cls has 5.5-5.7 M fp32 parameters
    for fmt in ("torch", "torch-bf16"):
        assert weights_mb <= rows[fmt]["peak_mb"] < 1024, rows[fmt]


def test_predict_variant_times_a_predict_call(tmp_path):
    """With ``predict``, a variant is the user's ``model.predict(image)`` call: it returns Results for the image."""
    from zoo.bench.predict_variant import build_predict_variant

    spec = {"model": "vit-t-cls", "imgsz": 32, "batch": 1, "formats": ["torch"], "workdir": str(tmp_path)}
    prepare(spec)
    for fmt, precision in (("torch-fused-cl", "fp32"), ("torch-bf16-cl", "bf16 autocast")):
        run, images, info = build_predict_variant({**spec, "task": "classify"}, fmt)
        assert info["through"] == "predict" and info["precision"] == precision
        (result,) = run(images)
        assert result.orig_shape == images[0].shape[:2] == (810, 810)  # bus.jpg's centre square
        assert result.probs is not None and len(result.names) == 1000
    with pytest.raises(ValueError, match="has no predict path"):
        build_predict_variant({**spec, "task": "classify"}, "torch")


def test_predict_benchmark_is_against_fp32_predict(tmp_path):
    import json

    from zoo.bench.cli import main
    from zoo.cli import UsageError

    with pytest.raises(UsageError, match="with predict, formats must be among"):
        main(["vit-t-cls", "imgsz=32", "formats=torch,onnx", "predict", f"project={tmp_path}", "name=x"])
    rc = main(["vit-t-cls", "imgsz=32", "formats=torch-bf16-cl", "predict", "rounds=2", "iters=1", "warmup=1",
               "threads=1", f"project={tmp_path}", "name=p"])
    assert rc == 0
    result = json.loads((tmp_path / "p" / "formats.json").read_text())
    rows = {r["format"]: r for r in result["results"]}
    assert list(rows) == ["torch-fused-cl", "torch-bf16-cl"] and result["settings"]["predict"] is True
    assert all(r["through"] == "predict" for r in rows.values())
    assert rows["torch-fused-cl"]["speedups"] == [1.0, 1.0]  # the baseline is fp32 predict
    assert "Speed-up vs torch-fused-cl" in (tmp_path / "p" / "formats.md").read_text()
