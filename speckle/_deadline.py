"""A total deadline for HTTP requests made with :mod:`requests`.

``requests`` applies its ``timeout`` to each read of the socket, not to the whole exchange: a
server that trickles one byte every half second keeps a request going forever. The
:class:`DeadlineAdapter` gives the connections of a session sockets that check a deadline
before every read and write: each socket operation may last at most the socket's own timeout
*and* at most the time left before the deadline; once the deadline has passed, the next
operation fails with :class:`DeadlineExceeded` (a :class:`TimeoutError`), which ``requests``
reports as a timeout or connection error.

The deadline belongs to the thread making the request (:func:`deadline_scope`), so one session
can serve several threads with different deadlines; a connection is used by one thread at a
time.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3 import poolmanager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["DeadlineAdapter", "DeadlineExceeded", "deadline_scope", "deadline_passed"]

_state = threading.local()


class DeadlineExceeded(TimeoutError):
    """The request's total deadline passed while reading or writing its connection."""


@contextmanager
def deadline_scope(at: float | None) -> Iterator[None]:
    """Requests of this thread must end by ``at`` (a :func:`time.monotonic` time; None: no deadline)."""
    previous = getattr(_state, "at", None)
    _state.at = at
    try:
        yield
    finally:
        _state.at = previous


def deadline_passed(at: float | None) -> bool:
    """True when ``at`` is set and lies in the past."""
    return at is not None and time.monotonic() >= at


class _DeadlineSocket:
    """A socket (plain or TLS) whose reads and writes end by the current thread's deadline."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._timeout: float | None = sock.gettimeout()
        self._applied: float | None = self._timeout

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def settimeout(self, value: float | None) -> None:
        self._timeout = value
        self._applied = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._timeout

    def _arm(self) -> None:
        at = getattr(_state, "at", None)
        wanted = self._timeout
        if at is not None:
            left = at - time.monotonic()
            if left <= 0:
                raise DeadlineExceeded("the request's deadline has passed")
            wanted = left if wanted is None else min(wanted, left)
        if wanted != self._applied:
            self._sock.settimeout(wanted)
            self._applied = wanted

    def recv(self, *args: Any) -> bytes:
        self._arm()
        return self._sock.recv(*args)

    def recv_into(self, *args: Any) -> int:
        self._arm()
        return self._sock.recv_into(*args)

    def send(self, *args: Any) -> int:
        self._arm()
        return self._sock.send(*args)

    def sendall(self, *args: Any) -> None:
        self._arm()
        return self._sock.sendall(*args)

    def makefile(self, mode: str = "r", buffering: int | None = None, **text_options: Any) -> Any:
        """Like :meth:`socket.socket.makefile`, reading and writing through this wrapper."""
        writing = "w" in mode
        reading = "r" in mode or not writing
        raw = socket.SocketIO(self, ("r" if reading else "") + ("w" if writing else ""))  # type: ignore[arg-type]
        self._sock._io_refs += 1  # released by SocketIO.close through _decref_socketios
        if buffering is None or buffering < 0:
            buffering = io.DEFAULT_BUFFER_SIZE
        if buffering == 0:
            return raw
        buffer: Any
        if reading and writing:
            buffer = io.BufferedRWPair(raw, raw, buffering)
        elif reading:
            buffer = io.BufferedReader(raw, buffering)
        else:
            buffer = io.BufferedWriter(raw, buffering)
        if "b" in mode:
            return buffer
        return io.TextIOWrapper(buffer, **text_options)


class _HTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock)  # type: ignore[assignment]


class _HTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock)  # type: ignore[assignment]


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _install(manager: Any) -> Any:
    # only managers with urllib3's own pools (SOCKS proxies bring their own connections)
    if getattr(manager, "pool_classes_by_scheme", None) is poolmanager.pool_classes_by_scheme:
        manager.pool_classes_by_scheme = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}
    return manager


class DeadlineAdapter(HTTPAdapter):
    """An :class:`~requests.adapters.HTTPAdapter` whose connections honour :func:`deadline_scope`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _install(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return _install(super().proxy_manager_for(proxy, **proxy_kwargs))
