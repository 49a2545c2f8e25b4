"""A non-editable install lists, reads its manifest and builds architectures from outside the source tree.

The test must pass whether pytest runs in the base interpreter or in a fresh ``python -m venv`` made with the
README's commands, and without network: it builds the wheel with the running environment's setuptools
(``--no-build-isolation``; the dev extra asks for ``setuptools>=77``), installs it into a nested venv with
``--no-deps --no-index``, and lends the nested venv the running environment's dependencies through a ``.pth``
file. Paths in a ``.pth`` file are added to ``sys.path`` but the ``.pth`` files *inside* them are not run, so
the running environment's editable zoo (a finder hooked in by its own ``.pth``) stays invisible.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import zoo

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ("pyproject.toml", "setup.py", "README.md", "zoo", "architectures")  # what the wheel is built from

CHILD = """
import importlib.util, json, sys
import zoo
names = zoo.list_models()
torch_free = "torch" not in sys.modules
from zoo.weights.manifest import DEFAULT_MANIFEST, load_manifest
entries = len(load_manifest().entries)
import torch
model = zoo.load("unet-s").model.eval()
with torch.no_grad():
    shape = list(model(torch.zeros(1, 3, 64, 64)).shape)
import zoo.architectures
print(json.dumps({
    "zoo": zoo.__file__, "architectures": zoo.architectures.__file__, "manifest": str(DEFAULT_MANIFEST),
    "top_level_architectures": importlib.util.find_spec("architectures") is not None,
    "names": names, "torch_free": torch_free, "entries": entries, "shape": shape,
    "block_modules": sorted({type(m).__module__ for m in model.model}),
    "block_files": sorted({sys.modules[type(m).__module__].__file__ for m in model.model}),
}))
"""


def _run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kwargs)
    assert out.returncode == 0, f"{cmd}\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out


def _copy_source(dst: Path) -> Path:
    """Copy what the wheel is built from, so the build's ``build/`` and ``*.egg-info`` stay out of the repo."""
    dst.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCE:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=skip)  # follows links: a wheel stores files, not links
        else:
            shutil.copy(src, dst / name)
    return dst


def _running_site_packages() -> list[str]:
    """The running interpreter's package folders (a venv's, and the system's when the venv can see them)."""
    dirs = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]
    assert dirs, sys.path
    return dirs


def _nested_venv(path: Path) -> tuple[Path, Path]:
    """A venv without system site-packages or pip; returns its python and its site-packages folder."""
    venv.EnvBuilder(system_site_packages=False, with_pip=False, symlinks=os.name != "nt").create(path)
    python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    return python, Path(purelib)


def test_non_editable_install_lists_and_builds(tmp_path):
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", wheels, _copy_source(tmp_path / "src")])
    (wheel,) = wheels.glob("*.whl")
    assert wheel.name.startswith("zoo_for_ultralytics-"), wheel.name

    env_dir = tmp_path / "venv"
    python, site_packages = _nested_venv(env_dir)
    # The running pip installs into the nested interpreter: no pip, no index, no dependencies needed there.
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel])
    assert not (site_packages / "architectures").exists(), "no generic top-level package in site-packages"
    (site_packages / "zz_running_env.pth").write_text("\n".join(_running_site_packages()) + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # PYTHONPATH keeps only the offline guard (tests/conftest.py puts it first), never the repo.
    guard = os.environ["PYTHONPATH"].split(os.pathsep)[0]
    env = {**os.environ, "PYTHONPATH": guard}
    got = json.loads(_run([python, "-c", CHILD], cwd=elsewhere, env=env).stdout.strip().splitlines()[-1])

    installed = str(site_packages.resolve())
    for key in ("zoo", "architectures", "manifest"):
        assert str(Path(got[key]).resolve()).startswith(installed), (key, got[key])
    assert all(str(Path(f).resolve()).startswith(installed) for f in got["block_files"]), got["block_files"]
    assert not got["top_level_architectures"]
    assert got["names"] == zoo.list_models() and len(got["names"]) >= 19
    assert got["torch_free"]
    assert got["entries"] > 0
    assert got["shape"] == [1, 21, 64, 64]  # unet-s: nc logits at input resolution
    assert "zoo.architectures.unet.modules" in got["block_modules"]

    listed = _run([python.with_name("zoo"), "list"], cwd=elsewhere, env=env).stdout
    assert "unet-s" in listed and "deeplabv3p-n" in listed


def test_folder_named_architectures_in_the_working_dir_is_never_imported(tmp_path):
    marker = tmp_path / "imported"
    (tmp_path / "architectures").mkdir()
    (tmp_path / "architectures" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "architectures" / "evil.yaml").write_text("arch: evil\ntask: detect\nbackbone: []\nhead: []\n")
    code = "import zoo\nnames = zoo.list_models()\nzoo.load('unet-s')\nprint(len(names), 'evil' in str(names))"
    out = _run([sys.executable, "-c", code], cwd=tmp_path, env=dict(os.environ))
    assert out.stdout.split()[-2:] == [str(len(zoo.list_models())), "False"]
    assert not marker.exists(), "zoo imported ./architectures from the working directory"
