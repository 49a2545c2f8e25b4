"""Leave the caller's process as it was after a run that drives Ultralytics' engine.

Ultralytics' trainer reseeds Python's, NumPy's and torch's global random generators, may switch torch to
deterministic algorithms and set its thread count, and it and the libraries it imports set environment
variables. ``zoo demo`` runs in its own process, but ``run_demo()`` is also a Python function: a caller's
next random numbers, threads or ``os.environ`` must not change because they called it.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

__all__ = ["preserved_process_state"]


def _restore_environ(saved: dict[str, str]) -> None:
    """Put ``os.environ`` back to ``saved``, touching only the keys that changed."""
    for key in [k for k in os.environ if k not in saved]:
        del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


@contextlib.contextmanager
def preserved_process_state() -> Iterator[None]:
    """Snapshot process-wide state on entry and restore it on exit, also when the body raises.

    Restored: ``os.environ``; the working directory; the global random generators of ``random``, NumPy and
    torch (CUDA too when available); torch's thread count, deterministic-algorithm switches and cuDNN flags.

    Yields:
        None: The body runs with the state it is given and may change any of it.
    """
    import numpy as np
    import torch

    environ, cwd = dict(os.environ), os.getcwd()
    rng = random.getstate(), np.random.get_state(), torch.get_rng_state()
    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    fill = torch.utils.deterministic.fill_uninitialized_memory
    cudnn = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    try:
        yield
    finally:
        _restore_environ(environ)
        os.chdir(cwd)
        random.setstate(rng[0])
        np.random.set_state(rng[1])
        torch.set_rng_state(rng[2])
        if cuda_rng is not None:
            torch.cuda.set_rng_state_all(cuda_rng)
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic[0], warn_only=deterministic[1])
        torch.utils.deterministic.fill_uninitialized_memory = fill
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn
