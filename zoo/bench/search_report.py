"""Results of a thread/batch search (``zoo benchmark search``) as Markdown, CSV and JSON."""

from __future__ import annotations

from zoo.bench.report import write_report_files

__all__ = ["search_table", "best_lines", "write_search_results"]

_CSV_KEYS = (
    "model", "format", "threads", "batch", "best", "images_per_s", "images_per_s_min", "images_per_s_max",
    "vs_best", "vs_best_min", "vs_best_max", "median_ms", "p90_ms", "ms_per_image", "rounds", "passes",
    "precision", "layout", "delta_rel", "pixels_equal", "top1_equal", "error",
)


def search_table(result: dict) -> list[str]:
    """Markdown table lines: one row per model and candidate, the chosen one marked."""
    lines = [
        "| Model | Format | Threads | Batch | img/s (all passes) | img/s per round [min–max] | vs best per round "
        "(median [min–max]) | ms / image | Chosen |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in result["results"]:
        head = f"| {r['model']} | {r['format']} | {r.get('threads')} | {r.get('batch')} |"
        if "error" in r:
            lines.append(f"{head} error: {str(r['error'])[:100]} | | | | |")
            continue
        lines.append(
            f"{head} {r['images_per_s']:.2f} | [{r['images_per_s_min']:.2f}–{r['images_per_s_max']:.2f}] | "
            f"{r['vs_best']:.2f}× [{r['vs_best_min']:.2f}–{r['vs_best_max']:.2f}] | {r['ms_per_image']:.1f} | "
            f"{'**best**' if r.get('best') else ''} |"
        )
    return lines


def best_lines(result: dict) -> list[str]:
    """One sentence per model: the chosen (threads, batch), its throughput and how to run predict with it."""
    out = []
    for model, b in result["best"].items():
        if b is None:
            out.append(f"- {model}: no candidate ran (see the errors above)")
            continue
        out.append(
            f"- **{model}**: best measured here: threads={b['threads']}, batch={b['batch']} ({b['format']}), "
            f"{b['images_per_s']:.2f} img/s [{b['images_per_s_min']:.2f}–{b['images_per_s_max']:.2f} per round]. "
            f"Run predict with it: `OMP_NUM_THREADS={b['threads']} zoo predict model={model} source=... "
            f"batch={b['batch']}`"
        )
    return out


def _markdown(result: dict) -> str:
    s, env = result["settings"], result["environment"]
    m, v = env["machine"], env["versions"]
    return "\n".join([
        "# zoo benchmark: threads and batch size",
        "",
        f"- **Candidates:** formats {', '.join(s['formats'])} x threads {s['threads']} x batch {s['batches']}; "
        f"imgsz={s['imgsz']}, {s['rounds']} rounds x {s['iters']} timed passes per candidate (warmup {s['warmup']} "
        "before the first round, 1 before each later one)",
        f"- **Machine:** {m['cpu']} ({m['cpu_count']} logical CPUs), {m['platform']}; load average "
        f"(1, 5, 15 min) at start {m['loadavg_1_5_15']}, at end {m.get('loadavg_end')}",
        "- **Software:** " + ", ".join(f"{k} {val}" for k, val in v.items() if val),
        f"- **Time:** {env['time']}",
        "",
        *search_table(result),
        "",
        *best_lines(result),
        "",
        "Each candidate runs in its own process (CPU affinity and torch threads set to its thread count); every "
        "round times each candidate once, in a shuffled order. img/s: batch over the median pass time. "
        "vs best: the candidate's img/s over the chosen one's within each round; a range that reaches 1 means "
        "the two are not told apart on this machine at this load. Random weights, seed 0.",
        "",
    ])


def write_search_results(result: dict, save_dir) -> dict:
    """Write ``search.json``, ``search.csv`` and ``search.md`` into ``save_dir``; returns their paths."""
    return write_report_files(result, save_dir, "search", _CSV_KEYS, _markdown(result))
