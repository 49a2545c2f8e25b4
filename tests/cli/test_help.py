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


@pytest.mark.parametrize("topic", ["list", "info", "benchmark", "weights", "demo"])
def test_command_help(topic):
    out = run_zoo(topic, "--help")
    assert out.returncode == 0, out.stderr
    assert f"zoo {topic}" in out.stdout or "zoo weights" in out.stdout
