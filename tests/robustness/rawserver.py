"""A tiny HTTP server on 127.0.0.1 that answers every connection with a scripted byte sequence.

``requests_mock`` cannot produce what these tests need: answers that arrive slowly, byte by
byte, or redirects whose ``Location`` header ``requests`` cannot parse.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["raw_server"]


@contextmanager
def raw_server(answer: bytes, *, head: int = 0, delay: float = 0.0, total: float = 30.0) -> Iterator[str]:
    """Serve ``answer`` to every connection; yields the server's ``http://127.0.0.1:<port>`` URL.

    The first ``head`` bytes go at once, the rest one byte every ``delay`` seconds (all at once
    when ``delay`` is 0), for at most ``total`` seconds per connection.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(1.0)
            try:
                while True:  # answer every request of a kept-alive connection
                    request = b""
                    while b"\r\n\r\n" not in request:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        request += chunk
                    if delay > 0:
                        break
                    conn.sendall(answer)
                conn.sendall(answer[:head])
                ends = time.monotonic() + total
                for index in range(head, len(answer)):
                    if stop.wait(delay) or time.monotonic() > ends:
                        return
                    conn.sendall(answer[index : index + 1])
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()
