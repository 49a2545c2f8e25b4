"""Benchmark results as a screen table and as CSV, JSON and Markdown files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

__all__ = ["COLUMNS", "table_rows", "format_table", "write_csv", "write_json", "write_markdown", "write_report_files"]

# (header, row key, format); a missing or None value prints as "-"
COLUMNS = (
    ("Model", "name", "{}"),
    ("Params (M)", "params", "{:.2f}"),
    ("GFLOPs", "gflops", "{:.2f}"),
    ("b1 ms med", "b1_median_ms", "{:.1f}"),
    ("b1 ms p90", "b1_p90_ms", "{:.1f}"),
    ("b1 img/s", "b1_throughput", "{:.1f}"),
    ("bN ms med", "bN_median_ms", "{:.1f}"),
    ("bN ms p90", "bN_p90_ms", "{:.1f}"),
    ("bN img/s", "bN_throughput", "{:.1f}"),
    ("Peak MB", "peak_mem_mb", "{:.0f}"),
    ("vs ref", "speed_vs_ref", "{:.2f}x"),
)

_CSV_KEYS = (
    "model", "kind", "label", "task", "nc", "params", "gflops", "imgsz", "batch",
    "b1_median_ms", "b1_p90_ms", "b1_throughput", "bN_median_ms", "bN_p90_ms", "bN_throughput",
    "peak_mem_mb", "mem_method", "reference", "ref_params", "ref_gflops", "ref_b1_median_ms", "ref_bN_throughput",
    "speed_vs_ref", "b1_speed_vs_ref", "params_vs_ref", "threads", "device", "dtype", "build_s", "error",
)


def table_rows(result: dict) -> list[list[str]]:
    """Format every result row for :data:`COLUMNS` (references indented under their model)."""
    out = []
    for row in result["results"]:
        shown = dict(row)
        shown["name"] = f"  ref {row.get('label') or row['model']}" if row.get("kind") == "reference" else row["model"]
        if shown.get("params") is not None:
            shown["params"] = row["params"] / 1e6
        if "error" in row:
            out.append([shown["name"], f"error: {row['error']}"[:120]] + [""] * (len(COLUMNS) - 2))
            continue
        out.append([fmt.format(shown[key]) if shown.get(key) is not None else "-" for _, key, fmt in COLUMNS])
    return out


def format_table(result: dict) -> str:
    """A plain-text table for the terminal."""
    headers = [h for h, _, _ in COLUMNS]
    rows = table_rows(result)
    widths = [max([len(h)] + [len(r[i]) for r in rows if not r[1].startswith("error")]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))]
    for r in rows:
        if r[1].startswith("error"):
            lines.append(f"{r[0].ljust(widths[0])}  {r[1]}")
        else:
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def write_csv(result: dict, path: Path) -> Path:
    """One line per measured network, the columns of ``_CSV_KEYS``."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=_CSV_KEYS, extrasaction="ignore")
        w.writeheader()
        w.writerows(result["results"])
    return path


def write_report_files(result: dict, save_dir, stem: str, columns: tuple[str, ...], markdown: str,
                       rows: list[dict] | None = None) -> dict:
    """Write ``<stem>.json`` (everything), ``<stem>.csv`` (``columns`` of each row) and ``<stem>.md`` into ``save_dir``.

    Args:
        result (dict): The whole result (environment, settings, results).
        save_dir (str | Path): Folder (created).
        stem (str): File name stem, e.g. ``formats``.
        columns (tuple[str, ...]): CSV columns; other row fields are left out.
        markdown (str): The Markdown report.
        rows (list[dict] | None): CSV rows; default ``result["results"]``.

    Returns:
        (dict): ``json``, ``csv``, ``md`` -> file paths.
    """
    save_dir = Path(save_dir)
    save_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": save_dir / f"{stem}.json", "csv": save_dir / f"{stem}.csv", "md": save_dir / f"{stem}.md"}
    write_json(result, paths["json"])
    with open(paths["csv"], "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(result["results"] if rows is None else rows)
    paths["md"].write_text(markdown, encoding="utf-8")
    return paths


def write_json(result: dict, path: Path) -> Path:
    """Everything: environment, settings and all result fields."""
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def write_markdown(result: dict, path: Path) -> Path:
    """A Markdown report: settings, machine, software, the table and how each figure was measured."""
    s, env = result["settings"], result["environment"]
    m, v = env["machine"], env["versions"]
    mem = next((r.get("mem_method") for r in result["results"] if r.get("mem_method")), "-")
    headers = [h for h, _, _ in COLUMNS]
    lines = [
        "# zoo benchmark",
        "",
        f"- **Settings:** imgsz={s['imgsz']}, batch 1 and N={s['batch']}, iters={s['iters']}, warmup={s['warmup']}, "
        f"device={s['device']}, half={s['half']}, reference={s['reference']}",
        f"- **Machine:** {m['cpu']} ({m['cpu_count']} logical CPUs, {m['ram_gb']} GiB RAM), {m['platform']}; "
        f"load average at start {m['loadavg_1_5_15']}",
        "- **Software:** " + ", ".join(f"{k} {val}" for k, val in v.items() if val),
        f"- **Time:** {env['time']}",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|",
    ]
    for r in table_rows(result):
        if r[1].startswith("error"):
            r = [r[0], r[1]] + [""] * (len(headers) - 2)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    lines += [
        "",
        "Latency is wall time per forward pass under `torch.inference_mode` (median and 90th percentile of "
        f"{s['iters']} passes after {s['warmup']} warm-up passes, unfused, eval mode); throughput is images per "
        "second at the median. GFLOPs per image at batch 1 by `torch.utils.flop_counter` (2 FLOPs per "
        f"multiply-add). Peak memory: {mem}. `vs ref`: zoo's batch-N throughput divided by the reference "
        "implementation's, measured in the same run (> 1: zoo is faster). Each network runs in its own process.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
