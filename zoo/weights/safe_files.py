"""Create and write files in the cache without following symbolic links. Stdlib only.

Whoever can write into the cache folder could plant a link at a name zoo is about to write
(``model.safetensors.incomplete -> ~/.bashrc``); a plain ``open(name, "wb")`` would then truncate
and overwrite the link's target outside the cache. Every file zoo writes in the cache is opened
here: with ``O_NOFOLLOW`` (POSIX) or ``O_CREAT|O_EXCL`` after removing whatever is not a regular
file, and each open is checked against the ``lstat`` of the name, so the descriptor zoo writes to
is always a regular file inside the folder.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

from zoo.weights.errors import CacheError

LOGGER = logging.getLogger("zoo.weights")
#: 0 where the platform lacks the flag (Windows): the lstat/fstat comparison below still holds.
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_TRIES = 3  # each retry follows someone else changing the name under us; three in a row is tampering


def open_partial(path: Path) -> BinaryIO:
    """Open (creating if needed) a partial download for reading and appending, never through a link.

    A link, folder entry or other non-regular file at ``path`` is removed (the link itself, not its
    target) and a fresh file created in its place.

    Args:
        path (Path): The ``.incomplete`` file.

    Returns:
        (BinaryIO): File opened ``r+b`` at offset 0; its current size is the bytes already fetched.

    Raises:
        CacheError: If ``path`` is a folder, or keeps changing while it is opened.
    """
    for _ in range(_TRIES):
        before = _lstat(path)
        if before is not None and not stat.S_ISREG(before.st_mode):
            _remove_non_file(path, before)
            continue
        flags = os.O_RDWR | NOFOLLOW | _BINARY | (os.O_CREAT | os.O_EXCL if before is None else 0)
        try:
            fd = os.open(path, flags, 0o644)
        except (FileExistsError, FileNotFoundError):
            continue  # created or removed between lstat and open: look again
        except OSError as e:
            if e.errno == errno.ELOOP:  # a link planted between lstat and open (O_NOFOLLOW refused it)
                continue
            raise
        after = os.fstat(fd)
        if before is not None and (after.st_ino, after.st_dev) != (before.st_ino, before.st_dev):
            os.close(fd)  # the name was swapped between lstat and open
            continue
        return os.fdopen(fd, "r+b")
    raise CacheError(
        f"{path} kept changing while zoo opened it (a link or another file appeared there each time); "
        "another process is tampering with the weights cache. Point ZOO_CACHE_DIR at a folder only you can write to"
    )


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a fresh, randomly named temporary file and an atomic rename.

    Readers see the old content or the new, never a half-written file; a link at ``path`` is
    replaced, not followed (``os.replace`` renames over the link itself).

    Args:
        path (Path): Destination.
        data (bytes): Content.
    """
    with temporary_sibling(path) as (f, tmp):
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
        f.close()
        os.replace(tmp, path)


@contextlib.contextmanager
def temporary_sibling(path: Path):
    """Create an exclusive, randomly named file next to ``path``; remove it unless it was renamed.

    ``tempfile.mkstemp`` creates with ``O_CREAT|O_EXCL``, which never follows a link.

    Args:
        path (Path): The file the temporary one will become.

    Yields:
        (tuple[BinaryIO, Path]): The open file and its path.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".incomplete")
    tmp = Path(name)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, 0o644)  # mkstemp makes it private (0600); a published or cached file is readable
    f = os.fdopen(fd, "wb")
    try:
        yield f, tmp
    finally:
        f.close()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _remove_non_file(path: Path, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise CacheError(f"{path} is a folder where zoo keeps a partial download; delete it and retry")
    LOGGER.warning("%s was a %s, not a file; removed it (its target, if any, is untouched)",
                   path, "symbolic link" if stat.S_ISLNK(st.st_mode) else "special file")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
