"""Fuzz ``zoo.load(path)`` with mutated model YAMLs: only zoo's typed errors, no hang, nothing imported.

Bounded by case count and time (CI defaults: 400 cases or 35 s, whichever comes first). Run longer with
``ZOO_FUZZ_SECONDS=180 ZOO_FUZZ_CASES=100000 ZOO_FUZZ_SEED=7 python -m pytest tests/fuzz -s``; reproduce one
case with ``model_yaml_mutator.make_case(seed, index)``.

Builds run with lowered limits (30 M parameters, 2^24 elements per probe activation) and a 64-pixel stride
probe, so that every case that builds stays small; what is tested is that every input either builds or is
refused with a typed error.
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import pytest

import zoo
import zoo.nn.built
import zoo.nn.probe
from model_yaml_mutator import PLANTED, make_case, seeds
from zoo.config import ModelConfigError, using_limits
from zoo.registry import RegistryError, allow_modules, clip_text

SECONDS = float(os.environ.get("ZOO_FUZZ_SECONDS", 35))
CASES = int(os.environ.get("ZOO_FUZZ_CASES", 400))
SEED = int(os.environ.get("ZOO_FUZZ_SEED", 0))
CASE_TIMEOUT = float(os.environ.get("ZOO_FUZZ_CASE_TIMEOUT", 20))
ENGINE_TESTS = Path(__file__).resolve().parents[1] / "engine"


class CaseTimeout(BaseException):
    """Raised in the main thread by the per-case timer; a BaseException so that no ``except Exception`` eats it."""


def _on_alarm(signum, frame):
    raise CaseTimeout()


def is_typed(error: BaseException) -> bool:
    """zoo's typed errors, and the task check's ValueError (``catalog.normalize_task`` names both tasks)."""
    if isinstance(error, (ModelConfigError, RegistryError)):
        return True
    last = traceback.extract_tb(error.__traceback__)[-1]
    return type(error) is ValueError and last.name == "normalize_task" and last.filename.endswith("catalog.py")


@pytest.fixture
def fuzz_env(tmp_path, monkeypatch):
    """A planted module that must never be imported, the user's blocks allowed, small limits, a small probe."""
    planted = tmp_path / "site"
    planted.mkdir()
    marker = tmp_path / "payload-ran"
    (planted / f"{PLANTED}.py").write_text(f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n")
    monkeypatch.syspath_prepend(str(planted))
    monkeypatch.syspath_prepend(str(ENGINE_TESTS))
    allow_modules(["user_blocks"])  # the user's YAML seed needs its blocks, as a user would allow them
    monkeypatch.setattr(zoo.nn.probe, "_PROBE", 64)  # the probe's input, and the size strides are measured against
    monkeypatch.setattr(zoo.nn.built, "PROBE", 64)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    with using_limits(params=30_000_000, activations=1 << 24):
        yield marker
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_mutated_yamls_build_or_raise_typed_errors(fuzz_env, tmp_path):
    marker = fuzz_env
    sources = seeds()
    outcomes, failures = collections.Counter(), []
    start = time.monotonic()
    index = 0
    while index < CASES and time.monotonic() - start < SECONDS:
        case = make_case(SEED, index, sources)
        path = tmp_path / f"case{index}.yaml"
        path.write_bytes(case.text.encode("utf-8", "surrogatepass"))
        began = time.monotonic()
        try:
            signal.setitimer(signal.ITIMER_REAL, CASE_TIMEOUT)
            try:
                zoo.load(path, task=case.task)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            outcomes["built"] += 1
        except CaseTimeout:
            failures.append((index, case, f"hang: over {CASE_TIMEOUT} s"))
        except Exception as e:  # noqa: BLE001 - classifying every outcome is the point
            if is_typed(e):
                outcomes[type(e).__name__] += 1
            else:
                failures.append((index, case, f"{type(e).__name__}: {clip_text(str(e), 300)}"))
        if time.monotonic() - began > CASE_TIMEOUT:
            failures.append((index, case, f"slow: {time.monotonic() - began:.1f} s"))
        index += 1
    print(f"\nfuzz seed={SEED}: {index} cases in {time.monotonic() - start:.1f} s; {dict(outcomes)}; "
          f"{len(failures)} untyped or hanging")
    assert not marker.exists() and PLANTED not in sys.modules, "a YAML made the planted module run"
    assert index >= min(CASES, 10), f"only {index} cases ran in {SECONDS} s"
    listing = "\n".join(
        f"  case {i} (seed {SEED}, from {c.seed_name}, ops {c.ops}): {why}\n    file: {tmp_path / f'case{i}.yaml'}"
        for i, c, why in failures[:20]
    )
    assert not failures, f"{len(failures)} fuzz inputs ended outside zoo's typed errors:\n{listing}"
