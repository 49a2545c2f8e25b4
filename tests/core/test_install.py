"""A non-editable ``pip install .`` lists and builds architectures from outside the source tree."""

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_non_editable_install_lists_and_builds(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)  # torch & co. from the system
    python = env_dir / "bin" / "python"
    build = subprocess.run(  # this interpreter's pip and setuptools build and install into the venv
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    code = (
        "import sys, zoo, architectures\n"
        "assert 'site-packages' in zoo.__file__ and 'site-packages' in architectures.__file__, zoo.__file__\n"
        "names = zoo.list_models(); assert 'torch' not in sys.modules\n"
        "from zoo.nn.models import ZooDetectionModel\n"
        "m = zoo.load('yolo26n.yaml', task='detect')\n"
        "from zoo.weights import load_manifest; assert load_manifest().entries\n"
        "print(len(names), type(m.model).__name__)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ZooDetectionModel")
