"""Results of ``zoo benchmark formats=...`` as a Markdown table, CSV and JSON."""

from __future__ import annotations

from zoo.bench.report import write_report_files

__all__ = ["formats_table", "write_formats_results"]

_CSV_KEYS = (
    "model", "format", "precision", "layout", "median_ms", "p90_ms", "images_per_s", "peak_mb", "speedup",
    "speedup_min", "speedup_max", "rounds", "passes", "delta_rel", "pixels_equal", "top1_equal", "threads", "reference",
    "zoo_vs_ref", "zoo_vs_ref_min", "zoo_vs_ref_max", "zoo_vs_ref_cpu", "zoo_vs_ref_cpu_min", "zoo_vs_ref_cpu_max",
    "cpu_median_ms", "speedup_cpu", "speedup_cpu_min", "speedup_cpu_max", "accuracy", "accuracy_error", "error",
)


def _delta(row: dict) -> str:
    parts = []
    if row.get("delta_rel") is not None:
        parts.append(f"{row['delta_rel']:.1e} rel")
    if row.get("pixels_equal") is not None:
        parts.append(f"{row['pixels_equal']:.2%} px")
    if row.get("top1_equal") is not None:
        parts.append("top-1 " + ("same" if row["top1_equal"] else "DIFFERS"))
    if row.get("reference"):
        parts.append(f"{row['reference']} (own weights)")
    if row.get("zoo_vs_ref") is not None:
        cpu = (f", CPU time {row['zoo_vs_ref_cpu']:.2f}× [{row['zoo_vs_ref_cpu_min']:.2f}–"
               f"{row['zoo_vs_ref_cpu_max']:.2f}]" if row.get("zoo_vs_ref_cpu") is not None else "")
        parts.append(f"**zoo {row['zoo_format']} ÷ this: {row['zoo_vs_ref']:.2f}× "
                     f"[{row['zoo_vs_ref_min']:.2f}–{row['zoo_vs_ref_max']:.2f}]{cpu}**")
    return ", ".join(parts) or "-"


def accuracy_text(row: dict) -> str:
    """A validated row's metrics and their deltas to fp32 eager, e.g. ``mIoU 0.8012 (+0.0003)``."""
    if row.get("accuracy_error"):
        return f"error: {str(row['accuracy_error'])[:80]}"
    deltas = row.get("metric_deltas", {})
    parts = []
    for key, value in (row.get("metrics") or {}).items():
        name = key.removeprefix("metrics/")
        parts.append(f"{name} {value:.4f}" + (f" ({deltas[key]:+.4f})" if key in deltas else ""))
    return ", ".join(parts) or "-"


def formats_table(result: dict) -> list[str]:
    """Markdown table lines: one row per model and format (an accuracy column when variants were validated)."""
    from zoo.bench.rounds import baseline_format

    baseline = baseline_format(bool(result.get("settings", {}).get("predict")))
    validated = any("metrics" in r or "accuracy_error" in r for r in result["results"])
    extra = " Accuracy on data= (Δ to fp32 eager) |" if validated else ""
    lines = [
        "| Model | Format | Precision | Layout | Median ms | p90 ms | img/s | Peak MB | Speed-up vs "
        f"{baseline} (median [min–max]) | Output vs fp32 eager |" + extra,
        "|---|---|---|---|---:|---:|---:|---:|---:|---|" + ("---|" if validated else ""),
    ]
    for r in result["results"]:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['format']} | error: {str(r['error'])[:100]} | | | | | | | |"
                         + (" |" if validated else ""))
            continue
        speed = f"{r['speedup']:.2f}× [{r['speedup_min']:.2f}–{r['speedup_max']:.2f}]" if "speedup" in r else "-"
        memory = f"{r['peak_mb']:.0f}" if r.get("peak_mb") is not None else "-"
        lines.append(
            f"| {r['model']} | {r['format']} | {r.get('precision', '-')} | {r.get('layout', '-')} | "
            f"{r['median_ms']:.1f} | {r['p90_ms']:.1f} | {r['images_per_s']:.2f} | {memory} | {speed} | {_delta(r)} |"
            + (f" {accuracy_text(r)} |" if validated else "")
        )
    return lines


def _markdown(result: dict) -> str:
    from zoo.bench.rounds import baseline_format

    s, env = result["settings"], result["environment"]
    m, v = env["machine"], env["versions"]
    baseline = baseline_format(bool(s.get("predict")))
    return "\n".join([
        "# zoo benchmark: formats and precisions",
        "",
        f"- **Settings:** imgsz={s['imgsz']}, batch 1, {s['rounds']} rounds x {s['iters']} timed "
        + ("`predict` calls on one square image" if s.get("predict") else "passes") + " per "
        f"variant (warmup {s['warmup']} before the first round, 1 before each later one); "
        f"threads per variant: {s.get('threads') or 'all (runtime defaults)'}",
        f"- **Machine:** {m['cpu']} ({m['cpu_count']} logical CPUs), {m['platform']}; load average "
        f"(1, 5, 15 min) at start {m['loadavg_1_5_15']}, at end {m.get('loadavg_end')}",
        "- **Software:** " + ", ".join(f"{k} {val}" for k, val in v.items() if val),
        f"- **Time:** {env['time']}",
        "",
        *formats_table(result),
        "",
        "Each variant runs in its own process; every round times each variant once, in a shuffled order. "
        + f"Speed-up: the fp32 {'`predict`' if s.get('predict') else 'eager'} (`{baseline}`) median divided by the "
        "variant's, per round; median and range over rounds. Output, on "
        + ("data='s first validation image" if s.get("data") else "seeded noise")
        + ": largest absolute difference to fp32 eager over its largest value (same-shape outputs), equal "
        "class-map pixels at input size (semantic), same top-1 (classify). Peak MB: growth of the variant "
        "process's peak resident memory from just before the variant was built (weights, runtime libraries, "
        "activations). Weights: "
        + (f"{s['weights']}" if s.get("weights") else "random, seed 0")
        + (f". Accuracy: Ultralytics' validator on {s['data']}, each variant in a process of its own after the "
           "rounds." if s.get("data") else "."),
        "",
    ])


def write_formats_results(result: dict, save_dir) -> dict:
    """Write ``formats.json``, ``formats.csv`` and ``formats.md`` into ``save_dir``; returns their paths."""
    rows = [{**r, "accuracy": accuracy_text(r)} if "metrics" in r else r for r in result["results"]]
    return write_report_files(result, save_dir, "formats", _CSV_KEYS, _markdown(result), rows)
