"""zoo.bench: measure zoo's architectures (and their reference implementations) on this machine.

Examples:
    >>> from zoo.bench import BenchSettings, run_benchmark, select_models, write_results
    >>> result = run_benchmark(select_models(["unet-s"]), BenchSettings(imgsz=128, batch=2))
    >>> write_results(result, "runs/zoo-benchmark/mine")  # CSV, JSON, Markdown, PNG

Add a reference implementation for your architecture family::

    from zoo.bench import register_reference

    @register_reference("myarch")
    def _myarch(ctx):  # ctx: ReferenceContext (model, scale, yaml symbols, nc, imgsz)
        return build_the_trusted_model(ctx.symbol("encoder"), ctx.nc), "mylib:MyArch"

or name a builder in the architecture YAML: ``reference: "mypkg.refs:build"``.
"""

from zoo.bench.cli import write_results
from zoo.bench.references import ReferenceContext, ReferenceUnavailable, build_reference, register_reference
from zoo.bench.runner import BenchSettings, run_benchmark, select_models

__all__ = [
    "BenchSettings",
    "run_benchmark",
    "select_models",
    "write_results",
    "register_reference",
    "build_reference",
    "ReferenceContext",
    "ReferenceUnavailable",
]
