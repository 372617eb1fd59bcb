"""The local record of objects received from servers, in SQLite, in runs of objects.

``client.receive`` keeps here what it downloads, with each object's ``updatedAt``: v1 servers
change ``updatedAt`` whenever an object is changed in place (``PUT /objects/<id>``,
``PUT /objects/<id>/properties``), never its ``hash``. The next ``receive`` of a stream asks the
server what changed since its last check (see :mod:`speckle.transfer.freshness`), takes the
other objects from here, and downloads only the new, changed or gone ones (see
:doc:`/performance`).

Objects are kept in *runs*: one row per ``getbulk`` answer (a few hundred objects), holding their
ids, their versions and their content as three MessagePack arrays (JSON's data model, binary
floats: several times faster to read back than JSON). A stream's recorded state names the runs
that hold its objects, so receiving it again reads a few hundred rows and decodes each run in
one call, however many objects it holds; a run whose objects were all changed since is dropped.

The record is a SQLite file in :func:`speckle.config.config_dir` (``received-objects.sqlite3``)
in WAL mode, shared by every client and process of the user, and bounded: past ``max_bytes`` of
content (or ``max_entries`` objects) the least recently used runs are forgotten. Entries are
scoped by server URL *and* user id, as the record of sent objects.
"""

from __future__ import annotations

import atexit
import logging
import queue
import secrets
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from speckle.config import config_dir
from speckle.errors import SpeckleInputError
from speckle.transfer.cache import ScopedRecord

__all__ = ["ReceivedObjectCache", "RECEIVED_FILE_NAME", "DEFAULT_RECEIVED_BYTES", "DEFAULT_RECEIVED_ENTRIES"]

logger = logging.getLogger("speckle.transfer")

RECEIVED_FILE_NAME = "received-objects.sqlite3"
#: Bytes of content kept by default (MessagePack; about 0.6 times the objects' JSON).
DEFAULT_RECEIVED_BYTES = 2 * 1024**3
#: Objects kept by default.
DEFAULT_RECEIVED_ENTRIES = 2_000_000
#: Hits older than this many seconds get their "last used" time refreshed (a day).
_TOUCH_AFTER = 24 * 3600
#: After trimming, the record keeps this share of its bounds (so trims are rare).
_TRIM_TO = 0.9
#: Streams whose last received state is kept (the least recently used go first).
STREAMS_KEPT = 1000
#: Objects the background writer puts in one transaction (at most, when that many are waiting).
_WRITE_ENTRIES = 20_000
#: The layout of the file; files of another layout are emptied (it is only a cache).
_VERSION = 5
_SCHEMA = """
CREATE TABLE IF NOT EXISTS scopes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    scope INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    size INTEGER NOT NULL,
    used INTEGER NOT NULL, -- nanoseconds since the epoch: when written, or last read (at most daily)
    ids BLOB NOT NULL,
    versions BLOB NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_used ON runs (used);
CREATE INDEX IF NOT EXISTS runs_scope ON runs (scope);
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
CREATE TRIGGER IF NOT EXISTS runs_added AFTER INSERT ON runs BEGIN
    UPDATE totals SET entries = entries + NEW.entries, bytes = bytes + NEW.size WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS runs_removed AFTER DELETE ON runs BEGIN
    UPDATE totals SET entries = entries - OLD.entries, bytes = bytes - OLD.size WHERE id = 1;
END;
"""
#: Tables of older layouts, dropped when a file of another layout is opened.
_OLD_TABLES = ("received", "runs", "totals", "streams")

#: One row of the runs table, as written.
Row = tuple[int, int, int, int, int, bytes, bytes, bytes]


class ReceivedObjectCache(ScopedRecord):
    """A bounded record of runs of received objects, and of streams' states, in a SQLite file.

    Many processes may use one file at once (WAL mode; a writer waits up to ``timeout``
    seconds for another). Contents are opaque bytes to this class (``client.receive`` stores
    MessagePack arrays).

    Keyword Arguments:
        path {str|Path} -- the SQLite file, or ``":memory:"`` (default: {config_dir()/received-objects.sqlite3})
        max_bytes {int} -- content bytes kept; the least recently used runs go first (default: {2 GiB})
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
                    for table in _OLD_TABLES:
                        self._db.execute(f"DROP TABLE IF EXISTS {table}")
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
        #: runs stored with ``wait=False``, written by a background thread (see :meth:`flush`)
        self._queue: queue.Queue[list[Row]] = queue.Queue()
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

    def store_run(self, scope: str, ids: bytes, versions: bytes, data: bytes, entries: int, *,
                  wait: bool = True) -> int:
        """Record a run of objects, then trim the record to its bounds.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            ids {bytes} -- the objects' ids
            versions {bytes} -- their ``updatedAt``
            data {bytes} -- their content
            entries {int} -- how many objects the run holds

        Keyword Arguments:
            wait {bool} -- write before returning; False hands the run to a background thread
                (written in order, in large transactions; :meth:`flush` waits for them, and so
                does the end of the process) (default: {True})

        Returns:
            int -- the run's key (for :meth:`load_runs`), known before it is written
        """
        with self._lock:
            scope_id = self._scope_id(scope)
        run_id = secrets.randbits(62) + 1
        row: Row = (run_id, scope_id, entries, len(data), time.time_ns(), ids, versions, data)
        if wait:
            self._write([row])
            return run_id
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_queued, name="speckle-received-record",
                                                daemon=True)
                self._writer.start()
        self._queue.put([row])
        return run_id

    def load_runs(self, scope: str, run_ids: Sequence[int]) -> dict[int, tuple[bytes, bytes, bytes]]:
        """The runs of a scope that are still held.

        Hits are marked as used (at most once a day per run), so the least recently used runs
        are the first forgotten.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            run_ids {list} -- the keys store_run gave

        Returns:
            dict -- each run held, by key: ``(ids, versions, content)``
        """
        self.flush()
        out: dict[int, tuple[bytes, bytes, bytes]] = {}
        stale: list[tuple[int, int]] = []
        now = time.time_ns()
        with self._lock:
            scope_id = self._scope_id(scope)
            sql = "SELECT id, used, ids, versions, data FROM runs WHERE scope = ? AND id IN ({marks})"
            for run_id, used, ids, versions, data in self._in_chunks(sql, scope_id, list(dict.fromkeys(run_ids))):
                out[run_id] = (ids, versions, data)
                if used < now - _TOUCH_AFTER * 1_000_000_000:
                    stale.append((now, run_id))
            if stale:
                try:
                    self._db.executemany("UPDATE runs SET used = ? WHERE id = ?", stale)
                except sqlite3.OperationalError as exc:  # busy: the order of eviction is only a hint
                    logger.debug("could not mark received runs as used: %s", exc)
        return out

    def iter_runs(self, scope: str, run_ids: Sequence[int],
                  per_read: int = 16) -> Iterator[tuple[int, tuple[bytes, bytes, bytes]]]:
        """The runs of :meth:`load_runs`, read a few at a time, in the order of ``run_ids`` (runs
        not held are left out): a caller that decodes each run as it comes holds the bytes of a
        few runs at once, not of all (in a new process, fresh memory is paid for in page faults).

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            run_ids {list} -- the keys store_run gave

        Keyword Arguments:
            per_read {int} -- runs read at a time (default: {16})

        Returns:
            iterator -- ``(key, (ids, versions, content))`` pairs
        """
        keys = list(dict.fromkeys(run_ids))
        for start in range(0, len(keys), per_read):
            part = keys[start : start + per_read]
            rows = self.load_runs(scope, part)
            for run_id in part:
                row = rows.pop(run_id, None)
                if row is not None:
                    yield run_id, row

    def _write(self, rows: list[Row]) -> None:
        with self._write_lock:
            self._wdb.execute("BEGIN IMMEDIATE")
            try:
                self._wdb.executemany("INSERT OR REPLACE INTO runs (id, scope, entries, size, used, ids, versions, "
                                      "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                self._trim()
                self._wdb.execute("COMMIT")
            except BaseException:
                self._wdb.execute("ROLLBACK")
                raise

    def _write_queued(self) -> None:
        """The background writer: drains the queue, many runs per transaction."""
        while True:
            rows = self._queue.get()
            batches = 1
            while sum(row[2] for row in rows) < _WRITE_ENTRIES:
                try:
                    rows = rows + self._queue.get_nowait()
                except queue.Empty:
                    break
                batches += 1
            try:
                self._write(rows)
            except Exception as exc:  # a cache: what is not recorded is downloaded again
                logger.warning("could not write %d runs to the received-object record: %s", len(rows), exc)
            finally:
                for _ in range(batches):
                    self._queue.task_done()

    def flush(self) -> None:
        """Wait until the runs stored with ``wait=False`` are written."""
        if self._writer is not None:
            self._queue.join()

    def stream(self, scope: str, stream_id: str, unless: int | None = None) -> tuple[str, bytes | None, int] | None:
        """The recorded state of a stream: ``(updatedAt, content, stamp)``, or None.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            stream_id {str} -- the stream's streamId

        Keyword Arguments:
            unless {int} -- a stamp :meth:`store_stream` gave: when the record still holds the
                state written then, ``content`` is None (not read) (default: {None})
        """
        with self._lock:
            key = (self._scope_id(scope), stream_id)
            if unless is not None:  # the small columns first: the content only when needed
                row = self._db.execute("SELECT updated_at, used FROM streams WHERE scope = ? AND stream_id = ?",
                                       key).fetchone()
                if row is None:
                    return None
                if row[1] == unless:
                    return row[0], None, row[1]
            row = self._db.execute("SELECT updated_at, data, used FROM streams WHERE scope = ? AND stream_id = ?",
                                   key).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def touch_stream(self, scope: str, stream_id: str, stamp: int) -> int | None:
        """Mark a stream's recorded state as used now, if it is still the one written with
        ``stamp`` (at most once a day: the order of use only decides which states go first).

        Returns:
            int -- the stamp of the state now (``stamp`` when not touched), or None when the
            record no longer holds that state
        """
        now = time.time_ns()
        if now - stamp < _TOUCH_AFTER * 1_000_000_000:
            return stamp
        with self._lock:
            touched = self._db.execute("UPDATE streams SET used = ? WHERE scope = ? AND stream_id = ? AND used = ?",
                                       (now, self._scope_id(scope), stream_id, stamp)).rowcount
        return now if touched else None

    def store_stream(self, scope: str, stream_id: str, updated_at: str, data: bytes,
                     dropped: Iterable[int] = ()) -> int:
        """Record the state of a stream (its fields, the ids of its objects, the runs that hold
        them, as ``content``), and forget runs it no longer needs.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            stream_id {str} -- the stream's streamId
            updated_at {str} -- the stream's ``updatedAt``
            data {bytes} -- the content

        Keyword Arguments:
            dropped {list} -- keys of runs to forget (default: {()})

        Returns:
            int -- the state's stamp (the time of the write, in nanoseconds), which tells
            whether the record still holds it (see :meth:`stream`)
        """
        gone = [(run_id,) for run_id in dropped]
        with self._lock:
            scope_id = self._scope_id(scope)
            stamp = time.time_ns() ^ secrets.randbits(10)  # (unique even when two processes write at once)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO streams (scope, stream_id, updated_at, used, data) VALUES (?, ?, ?, ?, ?)",
                    (scope_id, stream_id, updated_at, stamp, data),
                )
                self._db.execute(
                    "DELETE FROM streams WHERE (scope, stream_id) NOT IN "
                    "(SELECT scope, stream_id FROM streams ORDER BY used DESC LIMIT ?)",
                    (STREAMS_KEPT,),
                )
                if gone:
                    self._db.executemany("DELETE FROM runs WHERE id = ?", gone)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return stamp

    def _trim(self) -> None:
        """Forget the least recently used runs past the bounds (in the caller's transaction)."""
        count, total = self._wdb.execute("SELECT entries, bytes FROM totals WHERE id = 1").fetchone()
        if count <= self.max_entries and total <= self.max_bytes:
            return
        keep_count = int(self.max_entries * _TRIM_TO) if self.max_entries >= 10 else self.max_entries
        keep_bytes = self.max_bytes * _TRIM_TO
        doomed: list[tuple[int]] = []
        for run_id, entries, size in self._wdb.execute("SELECT id, entries, size FROM runs ORDER BY used"):
            if count <= keep_count and total <= keep_bytes:
                break
            doomed.append((run_id,))
            count -= entries
            total -= size
        self._wdb.executemany("DELETE FROM runs WHERE id = ?", doomed)
        logger.debug("forgot %d least recently used runs of the received-object record", len(doomed))

    def forget(self, scope: str, run_ids: Iterable[int] | None = None) -> None:
        """Forget some runs of a scope, or the whole scope (its runs and its streams).

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)

        Keyword Arguments:
            run_ids {list} -- the runs to forget; None forgets the scope (default: {None})
        """
        self.flush()
        with self._lock:
            scope_id = self._scope_id(scope)
            if run_ids is None:
                self._db.execute("DELETE FROM runs WHERE scope = ?", (scope_id,))
                self._db.execute("DELETE FROM streams WHERE scope = ?", (scope_id,))
                return
            self._db.executemany("DELETE FROM runs WHERE scope = ? AND id = ?", [(scope_id, i) for i in run_ids])

    def clear(self) -> None:
        """Forget everything."""
        self.flush()
        with self._lock:
            self._db.execute("DELETE FROM runs")
            self._db.execute("DELETE FROM streams")

    def __len__(self) -> int:
        """Objects held (counted once per run that holds them)."""
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
