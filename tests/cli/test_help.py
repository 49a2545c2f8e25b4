"""``zoo``, ``zoo help``, ``zoo --help``, ``zoo version`` and ``python -m zoo``."""

import subprocess
import sys

import pytest
from cli_helpers import offline_env, run_zoo

import zoo


@pytest.mark.parametrize("args", [[], ["help"], ["--help"], ["-h"]])
def test_help(args):
    out = run_zoo(*args)
    assert out.returncode == 0, out.stderr
    assert "zoo [TASK] MODE ARGS" in out.stdout and "zoo list" in out.stdout


def test_version_via_python_m():
    out = subprocess.run([sys.executable, "-m", "zoo", "version"], capture_output=True, text=True, env=offline_env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"zoo {zoo.__version__}") and "ultralytics" in out.stdout


# Text that only each command's own help prints: its usage line and one of its options.
COMMAND_HELP = {
    "list": ("zoo list [PATTERN] [task=TASK]", "fnmatch pattern"),
    "info": ("zoo info NAME", "params/GFLOPs of every scale"),
    "benchmark": ("zoo benchmark [NAMES...] [key=value ...]", "timed passes per batch size"),
    "weights": ("usage: zoo weights", "{fetch,verify,list}"),
    "demo": ("zoo demo [model=NAME|YAML] [project=zoo-demo]", "fonts       True: copy matplotlib's DejaVu Sans"),
}


@pytest.mark.parametrize("form", ["TOPIC --help", "help TOPIC"])
@pytest.mark.parametrize("topic", sorted(COMMAND_HELP))
def test_command_help(topic, form):
    out = run_zoo(*form.replace("TOPIC", topic).split())
    assert out.returncode == 0, out.stderr
    usage, option = COMMAND_HELP[topic]
    assert usage in out.stdout and option in out.stdout, out.stdout
    assert "zoo [TASK] MODE ARGS" not in out.stdout  # the general help is not a command's help
