"""CPU inference throughput of zoo's DeepLabV3+ and U-Net against segmentation_models_pytorch (same encoder).

Both sides run in the same process, eval mode, fp32, ``torch.inference_mode``, the same thread count, timed in
alternating rounds so that machine drift hits both alike; the best round counts (other processes only add time).
zoo's time includes upsampling its logits to the input size (bilinear), so both produce full-resolution logits as
smp does. GFLOPs are thop's (2 x MACs) at the measured size.

Usage:
    python benchmarks/bench_semantic.py                      # deeplabv3p-s and unet-s, 512×512, batch 1 and 4
    python benchmarks/bench_semantic.py --models deeplabv3p-n unet-classic --imgsz 256 --rounds 3
    python benchmarks/bench_semantic.py --sizes-only --models deeplabv3p-n deeplabv3p-s deeplabv3p-m deeplabv3p-l

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# zoo model -> (smp class, smp kwargs) with the same encoder and decoder
SMP_TWINS = {
    "deeplabv3p": ("DeepLabV3Plus", {}),
    "unet": ("Unet", {}),
}


def zoo_model(name: str) -> torch.nn.Module:
    """Build zoo's model (random weights, eval)."""
    from zoo.nn.models import ZooSemanticModel

    return ZooSemanticModel(name, nc=21, verbose=False).eval()


def smp_twin(name: str, model: torch.nn.Module) -> torch.nn.Module | None:
    """smp's model with the same encoder and decoder, or None (no twin, e.g. unet-classic)."""
    arch = model.yaml.get("arch")
    if arch not in SMP_TWINS:
        return None
    import segmentation_models_pytorch as smp

    cls, kwargs = SMP_TWINS[arch]
    encoder = model.yaml["symbols"]["encoder"]
    encoder = encoder[model.yaml["scale"]] if isinstance(encoder, dict) else encoder
    # smp's own ResNets are torchvision's; other names go through smp's timm universal encoder
    smp_name = encoder if encoder.startswith("resnet") else f"tu-{encoder}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(smp, cls)(encoder_name=smp_name, encoder_weights=None, classes=21, **kwargs).eval()


def gflops(model: torch.nn.Module, imgsz: int) -> float:
    """thop GFLOPs (2 × MACs) of one forward at ``imgsz``², profiled on a copy."""
    import thop

    x = torch.zeros(1, 3, imgsz, imgsz)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return thop.profile(copy.deepcopy(model), inputs=[x], verbose=False)[0] * 2 / 1e9


def params(model: torch.nn.Module) -> float:
    """Parameters in millions."""
    return sum(p.numel() for p in model.parameters()) / 1e6


def _zoo_forward(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    y = model(x)
    if y.shape[-2:] == x.shape[-2:]:
        return y
    return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)


def throughput(fns: dict, x: torch.Tensor, rounds: int, iters: int) -> dict[str, float]:
    """Images per second of each callable: best of alternating rounds (timeit's rule; the machine may be shared)."""
    times = {k: [] for k in fns}
    with torch.inference_mode():
        for fn in fns.values():  # warm-up (allocator, oneDNN kernels)
            fn(x)
        for _ in range(rounds):
            for k, fn in fns.items():
                t = time.perf_counter()
                for _ in range(iters):
                    fn(x)
                times[k].append((time.perf_counter() - t) / iters)
    return {k: x.shape[0] / min(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["deeplabv3p-s", "unet-s"])
    ap.add_argument("--imgsz", type=int, default=512)
    ap.add_argument("--batches", nargs="+", type=int, default=[1, 4])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iters", type=int, default=1)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--sizes-only", action="store_true", help="params and GFLOPs only, no timing")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    print(f"torch {torch.__version__}, {args.threads} threads, {args.imgsz}x{args.imgsz}, fp32\n")
    if args.sizes_only:
        print("| model | encoder | params (M) | GFLOPs |\n|---|---|---:|---:|")
    else:
        print(
            "| model | batch | zoo params (M) | zoo GFLOPs | smp params (M) | smp GFLOPs | zoo img/s | smp img/s "
            "| zoo/smp |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        )
    for name in args.models:
        torch.manual_seed(0)
        zoo = zoo_model(name)
        zp, zf = params(zoo), gflops(zoo, args.imgsz)
        if args.sizes_only:
            enc = zoo.yaml.get("symbols", {}).get("encoder", "-")
            enc = enc[zoo.yaml["scale"]] if isinstance(enc, dict) else enc
            print(f"| {name} | {enc} | {zp:.2f} | {zf:.1f} |")
            continue
        twin = smp_twin(name, zoo)
        sp, sf = (params(twin), gflops(twin, args.imgsz)) if twin is not None else (float("nan"), float("nan"))
        for b in args.batches:
            x = torch.rand(b, 3, args.imgsz, args.imgsz)
            fns = {"zoo": lambda t: _zoo_forward(zoo, t)}
            if twin is not None:
                fns["smp"] = twin
            ips = throughput(fns, x, args.rounds, args.iters)
            s_ips = ips.get("smp", float("nan"))
            print(
                f"| {name} | {b} | {zp:.2f} | {zf:.1f} | {sp:.2f} | {sf:.1f} | {ips['zoo']:.2f} | {s_ips:.2f} "
                f"| {ips['zoo'] / s_ips:.2f}x |"
            )


if __name__ == "__main__":
    main()
