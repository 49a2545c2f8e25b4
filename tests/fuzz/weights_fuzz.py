"""A small, seeded, time-bounded fuzz loop for the weights fuzzers (manifests, safetensors).

Every case is generated from ``random.Random(f"{seed}:{index}")``, so a failing case is replayed
from its seed and index alone. A case passes when it returns or raises an error of zoo's weights
hierarchy (:class:`zoo.weights.errors.WeightsError`); anything else, or a case running longer than
the per-case limit (a hang), is a failure, grouped by kind (exception type and the line that raised).

Environment (shared by all fuzz tests):

* ``ZOO_FUZZ_SEED`` (default 0): seed.
* ``ZOO_FUZZ_SECONDS`` (default 20): wall-clock budget per fuzz test.
* ``ZOO_FUZZ_CASES`` (default 5000): case budget per fuzz test (whichever ends first).
"""

from __future__ import annotations

import os
import random
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zoo.weights.errors import WeightsError

CASE_LIMIT_S = 10.0  # one case running longer than this is a hang
#: Hangs are caught with SIGALRM (POSIX); on Windows the time budget still ends the run.
_ALARM = hasattr(signal, "setitimer")


@dataclass(frozen=True)
class Budget:
    """Seed and limits of one fuzz run."""

    seed: int
    seconds: float
    cases: int

    @classmethod
    def from_env(cls) -> Budget:
        return cls(seed=int(os.environ.get("ZOO_FUZZ_SEED", "0")),
                   seconds=float(os.environ.get("ZOO_FUZZ_SECONDS", "20")),
                   cases=int(os.environ.get("ZOO_FUZZ_CASES", "5000")))


@dataclass
class Result:
    """What a fuzz run found: cases run, time taken, failures grouped by kind."""

    budget: Budget
    cases: int = 0
    seconds: float = 0.0
    failures: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return sum(len(v) for v in self.failures.values())

    def summary(self, shown: int = 3) -> str:
        lines = [f"{self.failed} untyped failure(s) in {self.cases} cases ({self.seconds:.1f} s, seed "
                 f"{self.budget.seed}), {len(self.failures)} kind(s):"]
        for kind, cases in sorted(self.failures.items(), key=lambda kv: -len(kv[1])):
            lines.append(f"  {len(cases)} x {kind}")
            lines += [f"      case {i}: {desc}" for i, desc in cases[:shown]]
        lines.append("Replay one case with the generator: case(random.Random(f'{seed}:{index}'))")
        return "\n".join(lines)


class Hang(BaseException):
    """Raised by the alarm in a case that runs past :data:`CASE_LIMIT_S` (BaseException: no handler swallows it)."""


def _on_alarm(signum, frame):
    raise Hang()


def run(case: Callable[[random.Random], tuple[Any, Callable[[], Any]]], budget: Budget | None = None) -> Result:
    """Run generated cases until the time or case budget is spent.

    Args:
        case (Callable): ``case(rng) -> (description, thunk)``; the thunk runs the code under test. The
            description is a string, or a callable returning one after the thunk ran (so it can list
            what the thunk drew).
        budget (Budget | None): Limits; default from the environment.

    Returns:
        (Result): Cases run and failures found.
    """
    budget = budget or Budget.from_env()
    result = Result(budget)
    start = time.monotonic()
    old = signal.signal(signal.SIGALRM, _on_alarm) if _ALARM else None
    try:
        for i in range(budget.cases):
            if time.monotonic() - start > budget.seconds:
                break
            desc, thunk = case(random.Random(f"{budget.seed}:{i}"))
            kind = _run_one(thunk)
            result.cases += 1
            if kind is not None:
                result.failures.setdefault(kind, []).append((i, desc() if callable(desc) else desc))
    finally:
        if _ALARM:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    result.seconds = time.monotonic() - start
    return result


def _run_one(thunk: Callable[[], Any]) -> str | None:
    """Run one case; return its failure kind, or None when it passed."""
    if _ALARM:
        signal.setitimer(signal.ITIMER_REAL, CASE_LIMIT_S)
    try:
        thunk()
    except WeightsError:
        return None
    except Hang:
        return f"hang (> {CASE_LIMIT_S:g} s)"
    except Exception as e:  # the point of a fuzzer: anything untyped is a finding
        frame = traceback.extract_tb(e.__traceback__)[-1]
        return f"{type(e).__name__} at {os.path.relpath(frame.filename)}:{frame.lineno}"
    finally:
        if _ALARM:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return None


def check(result: Result, name: str) -> None:
    """Print the run's figures and fail the test, listing the failures, if there are any."""
    import pytest

    print(f"{name}: {result.cases} cases in {result.seconds:.1f} s (seed {result.budget.seed}), "
          f"{result.failed} untyped failures")
    assert result.cases > 0, "the fuzz budget allowed no case"
    if result.failures:
        pytest.fail(result.summary(), pytrace=False)


def short(value: Any, n: int = 160) -> str:
    """A repr cut to ``n`` characters, for listing failing inputs."""
    text = repr(value)
    return text if len(text) <= n else text[: n - 1] + "…"
