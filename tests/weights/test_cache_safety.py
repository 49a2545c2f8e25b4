"""A link planted in the cache never makes zoo write outside it; the lock works without fcntl."""

from __future__ import annotations

import os
import threading
import time

import pytest
import torch
from weights_helpers import FAST_RETRY, entry, sha, tensor_bytes

from zoo.weights import CacheError, fetch, load_manifest, publish
from zoo.weights import locking
from zoo.weights.safe_files import open_partial

NAME = "tiny-net.v1"
SECRET = b"precious user data, not a weights file\n"


@pytest.fixture
def outside(tmp_path):
    """A file outside the cache that a planted link points to."""
    path = tmp_path / "outside" / "victim.txt"
    path.parent.mkdir()
    path.write_bytes(SECRET)
    return path


def _setup(server, write_manifest, **kw):
    data = tensor_bytes()
    url = server.serve("/w/model.safetensors", data, **kw)
    return data, load_manifest(write_manifest({NAME: entry(url, data)}))


def test_link_at_incomplete_name_is_not_written_through(server, write_manifest, isolated, outside):
    data, manifest = _setup(server, write_manifest)
    dest = isolated / sha(data) / "model.safetensors"
    dest.parent.mkdir(parents=True)
    os.symlink(outside, dest.with_name(dest.name + ".incomplete"))
    path = fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    assert outside.read_bytes() == SECRET  # untouched: not truncated, not appended to
    assert path == dest and path.read_bytes() == data and not path.is_symlink()
    assert not dest.with_name(dest.name + ".incomplete").exists()


def test_link_as_partial_is_not_resumed_from(server, write_manifest, isolated, tmp_path):
    """A link to a file holding the first bytes of the download must not be read as a partial."""
    data, manifest = _setup(server, write_manifest)
    decoy = tmp_path / "decoy"
    decoy.write_bytes(data[:100])
    dest = isolated / sha(data) / "model.safetensors"
    dest.parent.mkdir(parents=True)
    os.symlink(decoy, dest.with_name(dest.name + ".incomplete"))
    fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    assert decoy.read_bytes() == data[:100]
    assert not any("Range" in h for _, h in server.requests)  # started from byte 0, not "resumed"


def test_dangling_link_target_is_never_created(server, write_manifest, isolated, tmp_path):
    data, manifest = _setup(server, write_manifest)
    dest = isolated / sha(data) / "model.safetensors"
    dest.parent.mkdir(parents=True)
    target = tmp_path / "created-by-attack"
    os.symlink(target, dest.with_name(dest.name + ".incomplete"))
    os.symlink(tmp_path / "lock-by-attack", dest.with_name(dest.name + ".lock"))
    fetch(NAME, manifest=manifest, retry=FAST_RETRY, progress=False)
    assert not target.exists() and not (tmp_path / "lock-by-attack").exists()
    assert dest.read_bytes() == data


def test_unpinned_sidecar_is_not_written_through_a_link(server, isolated, outside):
    data = tensor_bytes()
    url = server.serve("/u/model.safetensors", data)
    path = fetch(url, allow_unverified=True, retry=FAST_RETRY, progress=False)
    sidecar = path.with_name(path.name + ".sha256")
    sidecar.unlink()
    path.unlink()
    os.symlink(outside, sidecar)
    fetch(url, allow_unverified=True, retry=FAST_RETRY, progress=False)
    assert outside.read_bytes() == SECRET
    assert not sidecar.is_symlink() and sidecar.read_text().strip() == sha(data)


def test_publish_never_writes_through_a_planted_name(tmp_path, outside):
    out = tmp_path / "pub"
    out.mkdir()
    # the fixed names publish used to write: the weights file's and the manifest's temporary files
    os.symlink(outside, out / "net-s.toy.safetensors.incomplete")
    os.symlink(outside, out / "my.json.incomplete")
    publish(torch.nn.Linear(2, 2), name="net-s.toy", out_dir=out, manifest=out / "my.json")
    assert outside.read_bytes() == SECRET
    assert (out / "net-s.toy.safetensors").stat().st_size > 0
    assert "net-s.toy" in load_manifest(out / "my.json")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_folder_at_incomplete_name_is_a_cache_error(tmp_path):
    path = tmp_path / "model.safetensors.incomplete"
    path.mkdir()
    with pytest.raises(CacheError, match=r"model.safetensors.incomplete is a folder where zoo keeps a partial download"):
        open_partial(path)


def test_lock_without_fcntl_uses_msvcrt(tmp_path, monkeypatch):
    """Windows has no fcntl: the msvcrt branch must still exclude a second holder until the first lets go."""
    import fcntl as real_fcntl

    calls = []

    class FakeMsvcrt:
        """msvcrt.locking semantics on top of flock: a failed non-blocking lock raises OSError."""

        LK_NBLCK, LK_UNLCK = 2, 0

        @staticmethod
        def locking(fd, mode, nbytes):
            calls.append((mode, nbytes, os.lseek(fd, 0, os.SEEK_CUR)))
            if mode == FakeMsvcrt.LK_UNLCK:
                real_fcntl.flock(fd, real_fcntl.LOCK_UN)
            else:
                real_fcntl.flock(fd, real_fcntl.LOCK_EX | real_fcntl.LOCK_NB)  # BlockingIOError is an OSError

    monkeypatch.setattr(locking, "fcntl", None)
    monkeypatch.setattr(locking, "msvcrt", FakeMsvcrt)
    monkeypatch.setattr(locking, "_POLL", 0.01)
    target = tmp_path / "w.safetensors"
    order = []

    def second():
        with locking.file_lock(target):
            order.append("second")

    with locking.file_lock(target):
        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.2)
        order.append("first done")
    t.join(5)
    assert order == ["first done", "second"]
    assert (FakeMsvcrt.LK_UNLCK, 1, 0) in calls and all(pos == 0 for _, _, pos in calls)
