"""The benchmark chart: throughput against parameters (and against accuracy where weights record it)."""

from __future__ import annotations

from pathlib import Path

from zoo import tasks

__all__ = ["plot_benchmark", "ACCURACY_KEYS"]

TASK_COLORS = {t.name: t.color for t in tasks.TASKS}  # from the task table
# Metrics a manifest entry may record, best first; the first one any measured model has is plotted.
ACCURACY_KEYS = ("metrics/mIoU", "metrics/mAP50-95(B)", "metrics/accuracy_top1")


def _accuracy_key(rows: list[dict]) -> str | None:
    for key in ACCURACY_KEYS:
        if any(key in (r.get("weights_metrics") or {}) for r in rows):
            return key
    return None


def _scatter(ax, rows: list[dict], refs: dict, x_of, xlabel: str, log_x: bool) -> None:
    """Zoo models as filled dots by task, their references as hollow dots joined by a dashed line."""
    labels = []
    for r in rows:
        x, y, color = x_of(r), r["bN_throughput"], TASK_COLORS.get(r.get("task"), "tab:gray")
        if x is None:
            continue
        ax.scatter(x, y, color=color, s=36, zorder=3)
        labels.append((r["model"], x, y))
        ref = refs.get(r["model"])
        if ref is not None and x_of(ref) is not None:
            rx, ry = x_of(ref), ref["bN_throughput"]
            ax.scatter(rx, ry, facecolors="none", edgecolors=color, s=36, zorder=3)
            ax.plot([x, rx], [y, ry], color=color, lw=0.8, ls="--", zorder=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("throughput at batch N (img/s)")
    if log_x:
        ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_ticks(ax.xaxis if log_x else None, ax.get_xlim())
    _plain_log_ticks(ax.yaxis, ax.get_ylim())
    _place_labels(ax, labels)


# Label positions tried around a point, in points: right, above, below, left.
_OFFSETS = ((5, 3), (5, -9), (-5, 6), (-5, -9), (5, 12), (5, -18), (-5, 15), (-5, -20))


def _place_labels(ax, labels: list[tuple[str, float, float]]) -> None:
    """Annotate points, picking for each label the first offset whose box overlaps no label placed before."""
    ax.figure.canvas.draw()  # fixes limits and transforms
    placed: list[tuple[float, float, float, float]] = []
    for text, x, y in sorted(labels, key=lambda t: (t[1], t[2])):
        px, py = ax.transData.transform((x, y))
        w, h = 4.2 * len(text) * ax.figure.dpi / 72, 8 * ax.figure.dpi / 72  # 7 pt font, approximate box
        best = None
        for dx, dy in _OFFSETS:
            ox, oy = px + dx * ax.figure.dpi / 72, py + dy * ax.figure.dpi / 72
            box = (ox if dx > 0 else ox - w, oy, (ox + w) if dx > 0 else ox, oy + h)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                best = (dx, dy, box)
                break
        dx, dy, box = best or (_OFFSETS[0][0], _OFFSETS[0][1], (px, py, px + w, py + h))
        placed.append(box)
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(dx, dy), fontsize=7,
                    ha="left" if dx > 0 else "right")
    ax.grid(True, which="both", alpha=0.3)


def _plain_log_ticks(axis, limits: tuple[float, float]) -> None:
    """Label a log axis 3, 10, 30 rather than 3x10^0; label minor ticks only when it spans under ~1.5 decades."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    if axis is None:
        return
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    axis.set_major_formatter(plain)
    lo, hi = limits
    axis.set_minor_formatter(plain if lo > 0 and hi / lo < 30 else NullFormatter())


def plot_benchmark(result: dict, path: Path) -> Path:
    """Write the PNG chart of a benchmark result.

    Args:
        result (dict): From :func:`zoo.bench.runner.run_benchmark`.
        path (Path): Output PNG.

    Returns:
        (Path): ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    ok = [r for r in result["results"] if "error" not in r]
    zoo_rows = [r for r in ok if r.get("kind") == "zoo"]
    refs = {r["model"]: r for r in ok if r.get("kind") == "reference"}
    key = _accuracy_key(zoo_rows)
    fig, axes = plt.subplots(1, 2 if key else 1, figsize=(13 if key else 8, 5.5), squeeze=False)
    _scatter(axes[0][0], zoo_rows, refs, lambda r: r["params"] / 1e6, "parameters (M)", log_x=True)
    if key:
        _scatter(axes[0][1], zoo_rows, {}, lambda r: (r.get("weights_metrics") or {}).get(key), key, log_x=False)
    s, m = result["settings"], result["environment"]["machine"]
    fig.suptitle(
        f"zoo benchmark: imgsz {s['imgsz']}, batch N={s['batch']}, {s['device']}"
        f" ({m['cpu']}, {m['cpu_count']} CPUs)" if str(s["device"]) == "cpu" else
        f"zoo benchmark: imgsz {s['imgsz']}, batch N={s['batch']}, {s['device']}",
        fontsize=10,
    )
    handles = [Line2D([], [], marker="o", ls="", color=c, label=t) for t, c in TASK_COLORS.items()
               if any(r.get("task") == t for r in zoo_rows)]
    if refs:
        handles.append(Line2D([], [], marker="o", ls="--", color="gray", markerfacecolor="none",
                              label="reference implementation"))
    axes[0][0].legend(handles=handles, fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
