"""zoo never adds or rebinds a name in Ultralytics' modules, nor a class attribute of their classes."""

import os
import subprocess
import sys
from pathlib import Path


def test_import_build_train_export_leave_ultralytics_untouched(tmp_path):
    probe = Path(__file__).parent / "namespace_probe.py"
    out = subprocess.run([sys.executable, str(probe), str(tmp_path)], capture_output=True, text=True,
                         env=dict(os.environ), timeout=600)
    assert out.returncode == 0 and out.stdout.strip().endswith("UNTOUCHED"), (out.stdout[-3000:], out.stderr[-3000:])
