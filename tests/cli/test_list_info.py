"""``zoo list`` (metadata only) and ``zoo info``."""

import subprocess
import sys

from cli_helpers import offline_env, run_zoo

import zoo


def _names(stdout: str) -> list[str]:
    return [line.split()[0] for line in stdout.splitlines()[1:-1]]


def test_list_all_matches_api():
    out = run_zoo("list")
    assert out.returncode == 0, out.stderr
    assert _names(out.stdout) == zoo.list_models()
    assert out.stdout.splitlines()[0].split() == ["MODEL", "TASK", "WEIGHTS", "DESCRIPTION"]


def test_list_filters():
    out = run_zoo("list", "unet*", "task=segment")
    assert out.returncode == 0, out.stderr
    assert _names(out.stdout) == zoo.list_models("unet*", task="semantic")
    out = run_zoo("list", "pretrained")
    assert _names(out.stdout) == zoo.list_models(pretrained=True)


def test_list_imports_no_torch():
    code = "import sys; from zoo.cli import main; rc = main(['list']); assert 'torch' not in sys.modules; " \
           "assert 'ultralytics' not in sys.modules; sys.exit(rc)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=offline_env())
    assert out.returncode == 0, out.stderr


def test_list_bad_arguments():
    out = run_zoo("list", "tsk=detect")
    assert out.returncode == 2
    assert "'tsk' is not a valid argument" in out.stderr and "Similar: task" in out.stderr
    out = run_zoo("list", "task=segmentation")
    assert out.returncode == 2 and "unknown task" in out.stderr


def test_info_smallest_single_scale_model():
    out = run_zoo("info", "unet-classic")
    assert out.returncode == 0, out.stderr
    assert "semantic" in out.stdout and "31.04" in out.stdout  # 31.0M parameters (documented in the YAML)


def test_info_unknown_name_suggests():
    out = run_zoo("info", "unet-smal")
    assert out.returncode == 2
    assert "no model named 'unet-smal'" in out.stderr and "unet-s" in out.stderr
