"""Benchmark: zoo's ViTBackbone vs timm's VisionTransformer, forward throughput at 224x224 on CPU.

Both run the same weights in eval mode under ``torch.inference_mode``; timm's model is created as timm
users create it (``num_classes=0``, static 224 input); zoo's block computes the same tokens plus the
pooled vector and token map. Runs alternate (zoo, timm, zoo, timm...) so that clock or thermal drift
hits both, and the median of ``--repeats`` timed runs is compared.

Run: ``python benchmarks/bench_vit.py [--variants tiny small base] [--batch 8] [--threads N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time


def _time(fn, x, warmup: int, repeats: int) -> list[float]:
    for _ in range(warmup):
        fn(x)
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(x)
        out.append(time.perf_counter() - t)
    return out


def bench(variant: str, batch: int, repeats: int, warmup: int) -> dict:
    """Throughput (images/s) of zoo's ViTBackbone and timm's model for one variant."""
    import timm
    import torch

    from zoo.architectures.vit.modules import VARIANTS, ViTBackbone

    reference = timm.create_model(VARIANTS[variant], pretrained=False, num_classes=0).eval()
    ours = ViTBackbone(3, variant).eval()
    ours.vit.load_state_dict(reference.state_dict())
    x = torch.rand(batch, 3, 224, 224)
    zoo_t, timm_t = [], []
    with torch.inference_mode():
        for _ in range(warmup):
            ours(x), reference(x)
        for _ in range(repeats):  # alternate, so drift hits both equally
            zoo_t += _time(ours, x, 0, 1)
            timm_t += _time(reference, x, 0, 1)
    z, t = statistics.median(zoo_t), statistics.median(timm_t)
    params = sum(p.numel() for p in ours.parameters())
    # the best run estimates the intrinsic speed when other processes share the CPU
    return {"variant": variant, "params": params, "zoo": batch / z, "timm": batch / t, "ratio": t / z,
            "best_ratio": min(timm_t) / min(zoo_t)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["tiny", "small", "base"])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"ViT backbone throughput, 224x224, batch {args.batch}, CPU, {torch.get_num_threads()} threads, "
          f"median of {args.repeats} alternating runs\n")
    print("| variant | params | zoo ViTBackbone (img/s) | timm VisionTransformer (img/s) | ratio zoo/timm (median) "
          "| ratio (best run) |")
    print("|---|---:|---:|---:|---:|---:|")
    for v in args.variants:
        r = bench(v, args.batch, args.repeats, args.warmup)
        print(f"| {r['variant']} | {r['params'] / 1e6:.2f}M | {r['zoo']:.1f} | {r['timm']:.1f} | {r['ratio']:.3f}x | {r['best_ratio']:.3f}x |")


if __name__ == "__main__":
    main()
