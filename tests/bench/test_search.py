"""``zoo benchmark search``: the best (threads, batch) is the argmax of the throughputs the report gives (no timing).

The end-to-end run is tiny (32² input, 2 rounds of 1 pass) and checks the report's structure and consistency,
never a speed: which candidate wins at that size says nothing.
"""

from __future__ import annotations

import json

import pytest

from zoo.bench.cli import main
from zoo.bench.rounds import Variant
from zoo.bench.search import candidates, default_threads, search_rows
from zoo.cli import UsageError


def test_candidates_cover_the_grid():
    got = candidates(["torch-fused-cl"], (1, 2), (1, 4))
    assert [(v.fmt, v.threads, v.batch) for v in got] == [
        ("torch-fused-cl", 1, 1), ("torch-fused-cl", 1, 4), ("torch-fused-cl", 2, 1), ("torch-fused-cl", 2, 4)]
    assert len({v.key for v in got}) == 4
    assert default_threads()[0] == 1


def test_best_is_most_images_per_second_not_fastest_pass():
    # batch 4 takes longer per pass (30 ms) but does 4 images: 133 img/s against batch 1's 100 img/s
    one, four = Variant("a", "torch", 1, 1), Variant("b", "torch", 1, 4)
    broken = Variant("c", "torch", 2, 1)
    ready = {"a": {"ready": True, "threads": 1}, "b": {"ready": True, "threads": 1}, "c": {"error": "boom"}}
    times = {"a": [[10.0, 10.0], [20.0, 20.0]], "b": [[30.0, 30.0], [30.0, 30.0]]}  # round 2: the machine slowed a
    rows, best = search_rows("m", [one, four, broken], ready, times)
    assert [r.get("error") for r in rows] == ["boom", None, None]
    a, b = rows[1], rows[2]
    assert a["images_per_s"] == pytest.approx(1e3 / 15) and b["images_per_s"] == pytest.approx(4e3 / 30)
    assert b["best"] is True and a["best"] is False
    assert best == {"model": "m", "format": "torch", "threads": 1, "batch": 4, "images_per_s": pytest.approx(4e3 / 30),
                    "images_per_s_min": pytest.approx(4e3 / 30), "images_per_s_max": pytest.approx(4e3 / 30),
                    "ms_per_image": 7.5}
    # per round: a did 100 then 50 img/s, b 133.3 both times
    assert a["round_images_per_s"] == [100.0, 50.0]
    assert (a["vs_best_min"], a["vs_best_max"]) == (pytest.approx(0.375), pytest.approx(0.75))
    assert (b["vs_best"], b["vs_best_min"], b["vs_best_max"]) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("args, message", [
    (["formats=onnx", "threads=1"], "eager formats only"),
    (["threads=1,99"], "this process may use"),
    (["batch=1,0"], "positive integer"),
])
def test_search_refuses_what_it_cannot_measure(args, message, tmp_path):
    with pytest.raises(UsageError, match=message):
        main(["vit-t-cls", "search", f"project={tmp_path}", *args])


def test_search_end_to_end_tiny(tmp_path):
    rc = main(["vit-t-cls", "imgsz=32", "threads=1,2", "batch=1,2", "rounds=2", "iters=1", "warmup=1",
               f"project={tmp_path}", "name=s"])
    assert rc == 0
    result = json.loads((tmp_path / "s" / "search.json").read_text())
    rows = result["results"]
    assert sorted((r["threads"], r["batch"]) for r in rows) == [(1, 1), (1, 2), (2, 1), (2, 2)]
    for r in rows:
        assert "error" not in r, r
        assert r["format"] == "torch-fused-cl" and r["rounds"] == 2 and r["passes"] == 2
        assert r["torch_threads"] == r["threads"]  # the worker applied the candidate's thread count
        assert r["ran_batch"] == r["batch"]  # and ran the candidate's batch size
        assert r["images_per_s"] == pytest.approx(r["batch"] * 1e3 / r["median_ms"])
        assert r["images_per_s_min"] <= r["images_per_s_max"] and len(r["round_images_per_s"]) == 2
        assert r["top1_equal"] is True  # batch 1 and 2 run the first images of the prepared input
    chosen = [r for r in rows if r["best"]]
    assert len(chosen) == 1 and chosen[0] == max(rows, key=lambda r: r["images_per_s"])
    assert chosen[0]["vs_best"] == 1.0
    best = result["best"]["vit-t-cls"]
    assert (best["threads"], best["batch"], best["images_per_s"]) == (
        chosen[0]["threads"], chosen[0]["batch"], chosen[0]["images_per_s"])
    md = (tmp_path / "s" / "search.md").read_text()
    assert f"threads={best['threads']}, batch={best['batch']}" in md and md.count("**best**") == 1
    assert result["environment"]["machine"]["loadavg_end"] is not None
