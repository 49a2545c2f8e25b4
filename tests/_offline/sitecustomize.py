"""Offline guard for every Python process the tests start: refuse sockets that leave the machine.

tests/conftest.py puts this folder first on ``PYTHONPATH`` in ``os.environ``, so each subprocess a test
starts (the CLI, the demo, DDP workers, installs, reloads) imports this file at start-up as its
``sitecustomize`` and gets the same guard as the pytest process, which loads it by path. Loopback and
Unix sockets still work (local test servers, DDP rendezvous); anything else raises before a packet is sent.
Stdlib only: it runs before anything else in the child.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import ipaddress
import socket
import sys
from pathlib import Path

MESSAGE = "tests run offline: refused"  # tests assert on this prefix
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_local(host: object) -> bool:
    """True for loopback addresses and names that never leave the machine.

    Args:
        host (object): Host part of a socket address (str, bytes or None).

    Returns:
        bool: Whether connecting or resolving stays on this machine.
    """
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).split("%", 1)[0]  # IPv6 scope id
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() in _LOCAL_NAMES or host == socket.gethostname()


def _check_address(sock: socket.socket, address: object) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        raise ConnectionRefusedError(f"{MESSAGE} connection to {address!r}")


def install() -> None:
    """Wrap ``socket.socket.connect``/``connect_ex``/``sendto`` and ``socket.getaddrinfo`` (idempotent)."""
    if getattr(socket.socket.connect, "_zoo_offline_guard", False):
        return
    real_connect, real_connect_ex, real_sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        _check_address(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check_address(self, address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        _check_address(self, args[-1])  # sendto(data, address) or sendto(data, flags, address)
        return real_sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        # A DNS query is network traffic too: resolve only IP literals and this machine's own names.
        if not _is_local(host):
            try:
                ipaddress.ip_address(str(host).split("%", 1)[0])
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, f"{MESSAGE} to resolve {host!r}") from None
        return real_getaddrinfo(host, *args, **kwargs)

    connect._zoo_offline_guard = True
    socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
    socket.getaddrinfo = getaddrinfo


def _run_next_sitecustomize() -> None:
    """Run the ``sitecustomize`` this file shadows, if the interpreter has one further down ``sys.path``."""
    here = Path(__file__).resolve().parent
    rest = [p for p in sys.path if Path(p or ".").resolve() != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec and spec.loader and spec.origin and Path(spec.origin).resolve() != Path(__file__).resolve():
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


if __name__ == "sitecustomize":  # imported at interpreter start-up, not loaded by path from conftest
    install()
    _run_next_sitecustomize()
