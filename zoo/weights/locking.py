"""An inter-process lock per cache file, on POSIX and on Windows. Stdlib only.

POSIX uses ``fcntl.flock``; Windows, which has no ``fcntl``, uses ``msvcrt.locking`` on the first
byte of the lock file. Either lock is dropped by the OS when its holder dies (even by ``kill -9``),
so a stale ``.lock`` file never blocks the next run and is therefore never deleted (deleting it
would race with a process that just opened it).
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path

from zoo.weights.errors import CacheError
from zoo.weights.safe_files import NOFOLLOW

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
try:
    import msvcrt
except ImportError:  # POSIX
    msvcrt = None  # type: ignore[assignment]

_POLL = 0.05  # seconds between tries of msvcrt's non-blocking lock


@contextlib.contextmanager
def file_lock(target: Path) -> Iterator[None]:
    """Hold an exclusive inter-process lock for ``target`` (on ``<target>.lock``).

    Args:
        target (Path): File being produced.

    Yields:
        None: While the lock is held.

    Raises:
        CacheError: If the lock file's name is taken by a link that cannot be removed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.with_name(target.name + ".lock")
    fd = _open_lock_file(lock_path)
    try:
        _acquire(fd)
        try:
            yield
        finally:
            _release(fd)
    finally:
        os.close(fd)


def _open_lock_file(path: Path) -> int:
    """Open the lock file without following a link planted at its name (which would create its target)."""
    for _ in range(3):
        if os.path.islink(path):  # where O_NOFOLLOW is missing (Windows) this check is the guard
            os.unlink(path)
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | NOFOLLOW, 0o644)
        except OSError as e:
            if e.errno != errno.ELOOP:
                raise
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # the link itself; its target is never opened
    raise CacheError(f"{path} keeps being replaced by a symbolic link; another process is tampering with the cache")


def _acquire(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position
    while True:  # msvcrt.LK_LOCK gives up after 10 s; wait as long as the other process needs
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return
        except OSError:
            time.sleep(_POLL)


def _release(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return
    os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position
    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
