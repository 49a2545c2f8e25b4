"""Operator-level comparison of a zoo model and its reference implementation (issue 12, item 5).

Runs both networks on the same input under ``torch.profiler`` (CPU, one thread unless --threads, eval, inference
mode) and prints, per operator, the call count and self CPU time of each side, largest difference first. Counts are exact and do
not depend on the machine's load; times do (record the load average printed with them).

    python benchmarks/profile_vs_reference.py vit-t-cls --imgsz 224
    python benchmarks/profile_vs_reference.py sharedhead-n --imgsz 640 --fuse --channels-last

``--fuse`` folds BatchNorm on both sides (what predict runs); without it both run as built, as
``zoo benchmark`` (the architecture rows) times them.
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict

import torch


def build(model: str, imgsz: int):
    """(zoo module, reference module) with the zoo model's class count, both eval."""
    import zoo
    from zoo.bench.references import build_reference

    torch.manual_seed(0)
    zm = zoo.load(model).model.eval()
    nc = getattr(zm, "nc", None) or zm.yaml.get("nc")
    ref, label = build_reference(model, nc=nc, imgsz=imgsz)
    return zm, ref.eval(), label


def profile(module, x, passes: int) -> dict[str, tuple[int, float]]:
    """Operator -> (calls per pass, self CPU ms per pass), after two warm-up passes."""
    from torch.profiler import ProfilerActivity, profile as prof

    with torch.inference_mode():
        for _ in range(2):
            module(x)
        with prof(activities=[ProfilerActivity.CPU]) as p:
            for _ in range(passes):
                module(x)
    out = defaultdict(lambda: [0, 0.0])
    for e in p.key_averages():
        out[e.key][0] += e.count
        out[e.key][1] += e.self_cpu_time_total / 1e3
    return {k: (c // passes, t / passes) for k, (c, t) in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: no waiting on a busy second core)")
    ap.add_argument("--fuse", action="store_true", help="fold BatchNorm on both sides first")
    ap.add_argument("--channels-last", action="store_true", help="channels-last weights and input (what predict runs)")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    zm, ref, label = build(args.model, args.imgsz)
    if args.fuse:
        zm.fuse(verbose=False)
        if hasattr(ref, "fuse"):
            ref.fuse(verbose=False)
    x = torch.rand(args.batch, 3, args.imgsz, args.imgsz, generator=torch.Generator().manual_seed(0))
    if args.channels_last:
        zm, ref = (m.to(memory_format=torch.channels_last) for m in (zm, ref))
        x = x.contiguous(memory_format=torch.channels_last)
    runs = {}
    for _ in range(2):  # interleaved: zoo, reference, zoo, reference
        for name, m in (("zoo", zm), ("ref", ref)):
            got = profile(m, x, args.passes)
            runs[name] = got if name not in runs else {k: (got[k][0], min(got[k][1], runs[name].get(k, got[k])[1]))
                                                       for k in got}
    keys = set(runs["zoo"]) | set(runs["ref"])
    rows = sorted(keys, key=lambda k: -abs(runs["zoo"].get(k, (0, 0.0))[1] - runs["ref"].get(k, (0, 0.0))[1]))
    tz, tr = (sum(t for _, t in runs[s].values()) for s in ("zoo", "ref"))
    print(f"{args.model} @ {args.imgsz} batch {args.batch} vs {label}; fuse={args.fuse}, "
          f"channels_last={args.channels_last}; {args.threads} thread(s); "
          f"load {os.getloadavg()}")
    print(f"total self CPU ms per pass: zoo {tz:.2f}, reference {tr:.2f} (zoo/ref {tz / tr:.3f})")
    print(f"{'operator':40s} {'zoo n':>6s} {'zoo ms':>8s} {'ref n':>6s} {'ref ms':>8s}")
    for k in rows[: args.top]:
        (nz, mz), (nr, mr) = runs["zoo"].get(k, (0, 0.0)), runs["ref"].get(k, (0, 0.0))
        print(f"{k[:40]:40s} {nz:6d} {mz:8.3f} {nr:6d} {mr:8.3f}")


if __name__ == "__main__":
    main()
