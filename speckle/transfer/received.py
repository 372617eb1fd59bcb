"""The local record of objects received from servers (object id -> version and content), in SQLite.

``client.receive`` keeps here every object it downloads, with the object's ``updatedAt``: v1
servers change ``updatedAt`` whenever an object is changed in place (``PUT /objects/<id>``,
``PUT /objects/<id>/properties``), never its ``hash``. The next ``receive`` of a stream asks the
server for the ``updatedAt`` of the stream's objects only, takes the objects whose version is
unchanged from here, and downloads the others (see :doc:`/performance`).

The record is a SQLite file in :func:`speckle.config.config_dir` (``received-objects.sqlite3``)
in WAL mode, shared by every client and process of the user, and bounded: past ``max_bytes`` of
content (or ``max_entries`` objects) the least recently used objects are forgotten. Content is
stored as MessagePack (JSON's data model, binary floats: several times faster to read back than
JSON). Entries are scoped by server URL *and* user id, as the record of sent objects.
"""

from __future__ import annotations

import atexit
import logging
import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from speckle.config import config_dir
from speckle.errors import SpeckleInputError
from speckle.transfer.cache import ScopedRecord

__all__ = ["ReceivedObjectCache", "RECEIVED_FILE_NAME", "DEFAULT_RECEIVED_BYTES", "DEFAULT_RECEIVED_ENTRIES"]

logger = logging.getLogger("speckle.transfer")

RECEIVED_FILE_NAME = "received-objects.sqlite3"
#: Bytes of content kept by default (MessagePack; about 0.8 times the objects' JSON).
DEFAULT_RECEIVED_BYTES = 2 * 1024**3
#: Objects kept by default.
DEFAULT_RECEIVED_ENTRIES = 2_000_000
#: Hits older than this many seconds get their "last used" time refreshed (a day).
_TOUCH_AFTER = 24 * 3600
#: After trimming, the record keeps this share of its bounds (so trims are rare).
_TRIM_TO = 0.9
#: Streams whose last received state is kept (the least recently used go first).
STREAMS_KEPT = 1000
#: Rows the background writer puts in one transaction (at most, when that many are waiting).
_WRITE_ROWS = 20_000
#: The layout of the file; files of another layout are emptied (it is only a cache).
_VERSION = 4
_SCHEMA = """
CREATE TABLE IF NOT EXISTS scopes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS received (
    scope INTEGER NOT NULL,
    object_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    size INTEGER NOT NULL,
    used INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (scope, object_id)
);
CREATE INDEX IF NOT EXISTS received_used ON received (used);
CREATE TABLE IF NOT EXISTS streams (
    scope INTEGER NOT NULL,
    stream_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    used INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (scope, stream_id)
);
CREATE TABLE IF NOT EXISTS totals (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    entries INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
INSERT OR IGNORE INTO totals (id, entries, bytes) VALUES (1, 0, 0);
CREATE TRIGGER IF NOT EXISTS received_added AFTER INSERT ON received BEGIN
    UPDATE totals SET entries = entries + 1, bytes = bytes + NEW.size WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS received_resized AFTER UPDATE OF size ON received BEGIN
    UPDATE totals SET bytes = bytes - OLD.size + NEW.size WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS received_removed AFTER DELETE ON received BEGIN
    UPDATE totals SET entries = entries - 1, bytes = bytes - OLD.size WHERE id = 1;
END;
"""


class ReceivedObjectCache(ScopedRecord):
    """A bounded record of ``(scope, object id) -> (updatedAt, content)`` in a SQLite file.

    Many processes may use one file at once (WAL mode; a writer waits up to ``timeout``
    seconds for another). The content is opaque bytes to this class (``client.receive``
    stores MessagePack).

    Keyword Arguments:
        path {str|Path} -- the SQLite file, or ``":memory:"`` (default: {config_dir()/received-objects.sqlite3})
        max_bytes {int} -- content bytes kept; the least recently used objects go first (default: {2 GiB})
        max_entries {int} -- objects kept (default: {2,000,000})
        timeout {float} -- seconds to wait for another process holding the file (default: {30.0})
    """

    def __init__(
        self,
        path: str | Path | None = None,
        max_bytes: int = DEFAULT_RECEIVED_BYTES,
        max_entries: int = DEFAULT_RECEIVED_ENTRIES,
        timeout: float = 30.0,
    ) -> None:
        if max_bytes < 1 or max_entries < 1:
            raise SpeckleInputError(f"max_bytes and max_entries must be positive, got {max_bytes!r}, {max_entries!r}")
        self.path = str(path) if path is not None else str(config_dir() / RECEIVED_FILE_NAME)
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        #: guards the reading connection (and, in memory, the only one)
        self._lock = threading.RLock()
        self._db = self._connect(timeout)
        if self.path != ":memory:":
            Path(self.path).chmod(0o600)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                (version,) = self._db.execute("PRAGMA user_version").fetchone()
                if version != _VERSION:
                    self._db.execute("DROP TABLE IF EXISTS received")
                    self._db.execute("DROP TABLE IF EXISTS totals")
                    self._db.execute("DROP TABLE IF EXISTS streams")
                    self._db.execute(f"PRAGMA user_version = {_VERSION}")
                statement = ""
                for line in _SCHEMA.splitlines(keepends=True):  # (executescript would commit first)
                    statement += line
                    if sqlite3.complete_statement(statement):
                        self._db.execute(statement)
                        statement = ""
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        self._scope_ids: dict[str, int] = {}
        #: writes go through their own connection (readers of a WAL file are not blocked by them)
        self._wdb = self._db if self.path == ":memory:" else self._connect(timeout)
        self._write_lock = self._lock if self.path == ":memory:" else threading.Lock()
        #: batches recorded with ``wait=False``, written by a background thread (see :meth:`flush`)
        self._queue: queue.Queue[list[tuple[int, str, str, int, int, bytes]]] = queue.Queue()
        self._writer: threading.Thread | None = None
        _open_caches.add(self)

    def _connect(self, timeout: float) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=timeout)
        if self.path != ":memory:":
            db.execute("PRAGMA journal_mode=WAL")
            # only a cache: a transaction lost in a power failure is an object downloaded again
            db.execute("PRAGMA synchronous=OFF")
        # a row replaced by INSERT OR REPLACE fires the delete trigger (kept totals) only with this on
        db.execute("PRAGMA recursive_triggers = ON")
        return db

    def versions(self, scope: str, object_ids: Sequence[str]) -> dict[str, str]:
        """The recorded ``updatedAt`` of the objects held (without reading their content).

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            object_ids {list} -- object ids

        Returns:
            dict -- ``{object id: updatedAt}`` for the objects held only
        """
        out: dict[str, str] = {}
        wanted = list(dict.fromkeys(object_ids))
        with self._lock:
            scope_id = self._scope_id(scope)
            sql = "SELECT object_id, updated_at FROM received WHERE scope = ? AND object_id IN ({marks})"
            out.update(self._in_chunks(sql, scope_id, wanted))
        return out

    def load(self, scope: str, wanted: dict[str, str]) -> dict[str, bytes]:
        """The content of the objects held at exactly the given versions.

        Hits are marked as used (at most once a day per entry), so the least recently used
        entries are the first forgotten.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            wanted {dict} -- object ids mapped to the updatedAt the server has now

        Returns:
            dict -- ``{object id: content}`` for the objects held at that version
        """
        out: dict[str, bytes] = {}
        stale: list[tuple[int, int, str]] = []
        ids = list(wanted)
        now = int(time.time())
        with self._lock:
            scope_id = self._scope_id(scope)
            sql = "SELECT object_id, updated_at, used, data FROM received WHERE scope = ? AND object_id IN ({marks})"
            for object_id, updated_at, used, data in self._in_chunks(sql, scope_id, ids):
                if wanted.get(object_id) == updated_at:
                    out[object_id] = data
                    if used < now - _TOUCH_AFTER:
                        stale.append((now, scope_id, object_id))
            if stale:
                try:
                    self._db.executemany("UPDATE received SET used = ? WHERE scope = ? AND object_id = ?", stale)
                except sqlite3.OperationalError as exc:  # busy: the order of eviction is only a hint
                    logger.debug("could not mark received objects as used: %s", exc)
        return out

    def load_unchanged(self, scope: str, object_ids: Sequence[str],
                       changed: Mapping[str, Any]) -> dict[str, tuple[str, bytes]]:
        """The objects held, except those whose version differs from the one in ``changed``.

        Hits are marked as used, as by :meth:`load`.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            object_ids {list} -- object ids
            changed {dict} -- ``{object id: updatedAt}`` of objects changed on the server since
                they were last checked: a held object is given only at that version

        Returns:
            dict -- ``{object id: (updatedAt, content)}``
        """
        out: dict[str, tuple[str, bytes]] = {}
        stale: list[tuple[int, int, str]] = []
        now = int(time.time())
        with self._lock:
            scope_id = self._scope_id(scope)
            sql = "SELECT object_id, updated_at, used, data FROM received WHERE scope = ? AND object_id IN ({marks})"
            for object_id, updated_at, used, data in self._in_chunks(sql, scope_id, list(object_ids)):
                if changed.get(object_id, updated_at) == updated_at:
                    out[object_id] = (updated_at, data)
                    if used < now - _TOUCH_AFTER:
                        stale.append((now, scope_id, object_id))
            if stale:
                try:
                    self._db.executemany("UPDATE received SET used = ? WHERE scope = ? AND object_id = ?", stale)
                except sqlite3.OperationalError as exc:  # busy: the order of eviction is only a hint
                    logger.debug("could not mark received objects as used: %s", exc)
        return out

    def store(self, scope: str, entries: Iterable[tuple[str, str, bytes]], *, wait: bool = True) -> int:
        """Record objects (replacing older versions), then trim the record to its bounds.

        A version older than the one held (``updatedAt`` compared as text) is ignored: a
        download that reaches the record late, from another process, never undoes a newer one
        that was already checked against the server.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            entries {list} -- ``(object id, updatedAt, content)`` triples

        Keyword Arguments:
            wait {bool} -- write before returning; False hands the entries to a background
                thread (written in order, in large transactions; :meth:`flush` waits for them,
                and so does the end of the process) (default: {True})

        Returns:
            int -- how many objects were handed over
        """
        now = int(time.time())
        with self._lock:
            scope_id = self._scope_id(scope)
        rows = [(scope_id, object_id, updated_at, len(data), now, data) for object_id, updated_at, data in entries]
        if not rows:
            return 0
        if wait:
            self._write(rows)
            return len(rows)
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_queued, name="speckle-received-record",
                                                daemon=True)
                self._writer.start()
        self._queue.put(rows)
        return len(rows)

    def _write(self, rows: list[tuple[int, str, str, int, int, bytes]]) -> None:
        rows.sort(key=lambda row: row[1])  # in key order: fewer B-tree pages touched
        with self._write_lock:
            self._wdb.execute("BEGIN IMMEDIATE")
            try:
                self._wdb.executemany(  # never an older version over a newer one (see store())
                    "INSERT INTO received (scope, object_id, updated_at, size, used, data) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, object_id) DO UPDATE SET "
                    "updated_at = excluded.updated_at, size = excluded.size, used = excluded.used, "
                    "data = excluded.data WHERE excluded.updated_at >= received.updated_at",
                    rows,
                )
                self._trim()
                self._wdb.execute("COMMIT")
            except BaseException:
                self._wdb.execute("ROLLBACK")
                raise

    def _write_queued(self) -> None:
        """The background writer: drains the queue, many batches per transaction."""
        while True:
            rows = self._queue.get()
            batches = 1
            while len(rows) < _WRITE_ROWS:
                try:
                    rows = rows + self._queue.get_nowait()
                except queue.Empty:
                    break
                batches += 1
            try:
                self._write(rows)
            except Exception as exc:  # a cache: what is not recorded is downloaded again
                logger.warning("could not write %d objects to the received-object record: %s", len(rows), exc)
            finally:
                for _ in range(batches):
                    self._queue.task_done()

    def flush(self) -> None:
        """Wait until the entries stored with ``wait=False`` are written."""
        if self._writer is not None:
            self._queue.join()

    def stream(self, scope: str, stream_id: str) -> tuple[str, bytes] | None:
        """The recorded state of a stream: ``(updatedAt, content)``, or None.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            stream_id {str} -- the stream's streamId
        """
        with self._lock:
            row = self._db.execute(
                "SELECT updated_at, data FROM streams WHERE scope = ? AND stream_id = ?",
                (self._scope_id(scope), stream_id),
            ).fetchone()
        return (row[0], row[1]) if row else None

    def store_stream(self, scope: str, stream_id: str, updated_at: str, data: bytes) -> None:
        """Record the state of a stream (its fields and the ids of its objects, as ``content``).

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            stream_id {str} -- the stream's streamId
            updated_at {str} -- the stream's ``updatedAt``
            data {bytes} -- the content
        """
        with self._lock:
            scope_id = self._scope_id(scope)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO streams (scope, stream_id, updated_at, used, data) VALUES (?, ?, ?, ?, ?)",
                    (scope_id, stream_id, updated_at, time.time_ns(), data),
                )
                self._db.execute(
                    "DELETE FROM streams WHERE (scope, stream_id) NOT IN "
                    "(SELECT scope, stream_id FROM streams ORDER BY used DESC LIMIT ?)",
                    (STREAMS_KEPT,),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _trim(self) -> None:
        """Forget the least recently used objects past the bounds (in the caller's transaction)."""
        count, total = self._wdb.execute("SELECT entries, bytes FROM totals WHERE id = 1").fetchone()
        if count <= self.max_entries and total <= self.max_bytes:
            return
        keep_count = int(self.max_entries * _TRIM_TO) if self.max_entries >= 10 else self.max_entries
        keep_bytes = self.max_bytes * _TRIM_TO
        forgotten = 0
        rows = self._wdb.execute("SELECT scope, object_id, size FROM received ORDER BY used, rowid").fetchall()
        doomed: list[tuple[int, str]] = []
        for scope_id, object_id, size in rows:
            if count <= keep_count and total <= keep_bytes:
                break
            doomed.append((scope_id, object_id))
            count -= 1
            total -= size
            forgotten += 1
        self._wdb.executemany("DELETE FROM received WHERE scope = ? AND object_id = ?", doomed)
        logger.debug("forgot %d least recently used objects of the received-object record", forgotten)

    def forget(self, scope: str, object_ids: Iterable[str] | None = None) -> None:
        """Forget some objects of a scope (e.g. deleted ones), or the whole scope.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)

        Keyword Arguments:
            object_ids {list} -- the objects to forget; None forgets the scope (default: {None})
        """
        self.flush()
        with self._lock:
            scope_id = self._scope_id(scope)
            if object_ids is None:
                self._db.execute("DELETE FROM received WHERE scope = ?", (scope_id,))
                self._db.execute("DELETE FROM streams WHERE scope = ?", (scope_id,))
                return
            self._db.executemany(
                "DELETE FROM received WHERE scope = ? AND object_id = ?", [(scope_id, i) for i in object_ids]
            )

    def clear(self) -> None:
        """Forget everything."""
        self.flush()
        with self._lock:
            self._db.execute("DELETE FROM received")
            self._db.execute("DELETE FROM streams")

    def __len__(self) -> int:
        self.flush()
        with self._lock:
            (count,) = self._db.execute("SELECT entries FROM totals WHERE id = 1").fetchone()
        return int(count)

    @property
    def size(self) -> int:
        """Bytes of content held."""
        self.flush()
        with self._lock:
            (total,) = self._db.execute("SELECT bytes FROM totals WHERE id = 1").fetchone()
        return int(total)

    def close(self) -> None:
        """Write what is pending, then close the SQLite connections."""
        self.flush()
        _open_caches.discard(self)
        with self._lock, self._write_lock:
            self._db.close()
            if self._wdb is not self._db:
                self._wdb.close()

    def __repr__(self) -> str:
        return f"<ReceivedObjectCache {self.path} max_bytes={self.max_bytes} max_entries={self.max_entries}>"


_open_caches: weakref.WeakSet[ReceivedObjectCache] = weakref.WeakSet()


@atexit.register
def _flush_open_caches() -> None:
    """Write what background writers still hold before the process ends."""
    for cache in list(_open_caches):
        try:
            cache.flush()
        except Exception as exc:  # never fail the end of a process over a cache
            logger.debug("could not flush %r: %s", cache, exc)
