"""``speckle serve`` in a subprocess: a local server that ``kill -9`` can stop in the middle of a write.

:class:`~speckle.devserver.LocalServer` runs in a thread of the calling process; durability
tests and load tests need the server in a process of its own, killed without warning and
started again on the same database file.

Example::

    from speckle.devserver.process import ServerProcess

    with ServerProcess('models.db') as server:
        ...                      # requests to server.url
        server.kill()            # SIGKILL: nothing flushed
    with ServerProcess('models.db') as server:
        ...                      # every acknowledged write is still there
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import speckle
from speckle.errors import SpeckleError

__all__ = ["ServerProcess"]

#: The first line ``speckle serve`` prints, followed by the server's URL.
_READY = "Speckle v1 server listening on "


class ServerProcess:
    """``speckle serve --port 0`` in a subprocess of this Python, importing this ``speckle``.

    Keyword Arguments:
        db {str|Path|None} -- the SQLite database file (default: {None}, in memory)
        args {Sequence[str]} -- more ``speckle serve`` options, e.g. ``['--name', 'CI']`` (default: {()})
        log {str|Path|None} -- a file that receives the server's log (stderr) (default: {None}, inherited)

    Raises:
        SpeckleError -- when the server does not start
    """

    def __init__(
        self,
        db: str | Path | None = None,
        *,
        args: Sequence[str] = (),
        log: str | Path | None = None,
    ) -> None:
        self.db = None if db is None else Path(db)
        self.log_path = None if log is None else Path(log)
        command = [sys.executable, "-m", "speckle.cli.main", "serve", "--port", "0"]
        if self.db is not None:
            command += ["--db", str(self.db)]
        command += list(args)
        # the child imports the same package as this process, installed or not
        root = str(Path(speckle.__file__).resolve().parent.parent)
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
        stderr = None if self.log_path is None else self.log_path.open("w", encoding="utf-8")
        try:
            self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
        finally:
            if stderr is not None:
                stderr.close()  # the child has its own copy
        line = self.proc.stdout.readline() if self.proc.stdout is not None else ""
        if not line.startswith(_READY):
            self.stop()
            raise SpeckleError(f"speckle serve did not start: {line.strip()!r}")
        #: The server's root URL, ``http://127.0.0.1:<port>``.
        self.url: str = line[len(_READY):].split()[0]

    @property
    def api(self) -> str:
        """The API root, ``<url>/api``."""
        return self.url + "/api"

    def log(self) -> str:
        """What the server wrote to its log file so far (empty without ``log``)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """Stop the server with SIGKILL: nothing is flushed on purpose."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server with SIGTERM (SIGKILL after 10 s), if it is still running."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.proc.poll() is None else f"exited {self.proc.returncode}"
        return f"<ServerProcess {getattr(self, 'url', '?')} db={self.db} {state}>"
