"""The local record of objects already sent to servers (fingerprint -> object id), in SQLite.

``client.send`` looks every object's fingerprint (see :func:`~speckle.transfer.fingerprint`) up
here before uploading: an object this user already sent to this server is referenced by its id
and not uploaded again. Runs of consecutive objects (up to :data:`RUN_SIZE`) are also
recorded as one entry, so that a new process re-sending an unchanged model reads a few rows
instead of one per object. The record also keeps, for each stream ``send`` wrote, fingerprints of
the fields it wrote and the stream's ``updatedAt`` afterwards, so that writing the same content
again can be skipped. The record is a SQLite file in :func:`speckle.config.config_dir`
(``sent-objects.sqlite3``), shared by every client and process of the user, and bounded: past
``max_entries`` objects (or :data:`STREAMS_KEPT` streams) the least recently used entries are
forgotten.

Entries are scoped by server URL *and* user id: a server that was reset (such as a local server
kept in memory) has new user ids, so its stale entries are never used.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import xxhash

from speckle.config import config_dir
from speckle.errors import SpeckleInputError

__all__ = ["SentObjectCache", "DEFAULT_CACHE_ENTRIES", "CACHE_FILE_NAME", "RUN_SIZE", "STREAMS_KEPT"]

logger = logging.getLogger("speckle.transfer")

#: Entries kept by default (about 150 bytes each on disk).
DEFAULT_CACHE_ENTRIES = 2_000_000
CACHE_FILE_NAME = "sent-objects.sqlite3"
#: Streams whose last written state is kept (the least recently written go first).
STREAMS_KEPT = 10_000
#: Hits older than this many seconds get their "last used" time refreshed (a week: eviction
#: order at that grain is plenty for a record of millions, and daily re-sends write nothing).
_TOUCH_AFTER = 7 * 24 * 3600
#: Objects per recorded run of objects (see :meth:`SentObjectCache.find_run`); the record keeps
#: at most max_entries / RUN_SIZE runs.
RUN_SIZE = 5000
#: Deferred entries written at once when this many are waiting.
_FLUSH_ROWS = 20_000
#: Host parameters per statement (SQLite's historic limit is 999).
_CHUNK = 900

#: The layout of the file; files of an older layout are emptied (it is only a cache).
_VERSION = 3
_OLD_TABLES = """
DROP TABLE IF EXISTS sent_objects;
DROP TABLE IF EXISTS sent;
DROP TABLE IF EXISTS windows;
"""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS scopes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS sent (
    scope INTEGER NOT NULL,
    key TEXT NOT NULL,
    object_id TEXT NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS windows (
    scope INTEGER NOT NULL,
    key TEXT NOT NULL,
    keys TEXT NOT NULL,
    ids TEXT NOT NULL,
    count INTEGER NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS streams (
    scope INTEGER NOT NULL,
    stream_id TEXT NOT NULL,
    fields TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (scope, stream_id)
) WITHOUT ROWID;
"""
#: After trimming, a large record keeps this share of ``max_entries`` (so trims are rare).
_TRIM_TO = 0.9


class ScopedRecord:
    """What the records of sent and of received objects share: entries are kept per *scope*
    (one server and user), each scope known by an integer key in a ``scopes`` table."""

    _db: sqlite3.Connection
    _scope_ids: dict[str, int]

    @staticmethod
    def scope(server_url: str, user_id: str | None) -> str:
        """The key of one server and user: ``<server url>#<user id>``."""
        return f"{server_url.rstrip('/')}#{user_id or 'anonymous'}"

    def _scope_id(self, scope: str) -> int:
        """The integer key of a scope (created on first use; the caller holds the lock)."""
        key = self._scope_ids.get(scope)
        if key is None:
            self._db.execute("INSERT OR IGNORE INTO scopes (name) VALUES (?)", (scope,))
            (key,) = self._db.execute("SELECT id FROM scopes WHERE name = ?", (scope,)).fetchone()
            self._scope_ids[scope] = key
        return int(key)

    def _in_chunks(self, sql: str, scope_id: int, keys: Sequence[Any]) -> Iterator[Any]:
        """Run ``sql`` (``... WHERE scope = ? AND <column> IN ({marks})``) over ``keys`` in chunks
        SQLite accepts, yielding the rows of every chunk (the caller holds the lock)."""
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            yield from self._db.execute(sql.format(marks=",".join("?" * len(chunk))), (scope_id, *chunk))


class SentObjectCache(ScopedRecord):
    """A bounded record of ``(scope, fingerprint) -> object id`` in a SQLite file.

    Keys are any strings; ``client.send`` uses object fingerprints
    (:func:`~speckle.transfer.object_fingerprint`).

    Keyword Arguments:
        path {str|Path} -- the SQLite file, or ``":memory:"`` (default: {config_dir()/sent-objects.sqlite3})
        max_entries {int} -- entries kept; the least recently used go first (default: {2,000,000})
    """

    def __init__(self, path: str | Path | None = None, max_entries: int = DEFAULT_CACHE_ENTRIES) -> None:
        if max_entries < 1:
            raise SpeckleInputError(f"max_entries must be positive, got {max_entries!r}")
        self.path = str(path) if path is not None else str(config_dir() / CACHE_FILE_NAME)
        self.max_entries = max_entries
        #: guards the in-memory state; _db_lock guards the connection. Whoever needs both takes
        #: _lock first; a flush writes holding _db_lock only, so lookups from memory and deferred
        #: records go on meanwhile.
        self._lock = threading.Lock()
        self._db_lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10.0)
        if self.path != ":memory:":
            Path(self.path).chmod(0o600)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version != _VERSION:
            self._db.executescript(_OLD_TABLES)
            self._db.execute(f"PRAGMA user_version = {_VERSION}")
        self._db.executescript(_SCHEMA)
        #: write-through copy of what this process looked up or recorded: scope -> {key: object id};
        #: every entry in it was marked as used in the file less than _TOUCH_AFTER seconds after
        #: the memo was started (it is dropped when older, so that hits refresh the file again)
        self._memo: dict[str, dict[str, str]] = {}
        self._memo_size = 0
        self._memo_started = time.time()
        #: scopes whose every entry is in the memo (a key missing from it is not in the file either,
        #: as far as this process knows), with the keys whose "last used" time is old
        self._complete: dict[str, set[str]] = {}
        #: keys asked of the file per scope (past an eighth of the record, the scope is loaded whole)
        self._asked: dict[str, int] = {}
        #: rows recorded with ``defer=True`` and not yet written (see :meth:`flush`)
        self._pending: list[tuple[int, str, str, int]] = []
        self._scope_ids: dict[str, int] = {}
        #: an upper bound of the rows in the file (re-counted only when it passes max_entries)
        self._rows_bound = self._count_rows()
        #: an upper bound of the entries held by runs (see record_runs)
        self._run_entries = self._count_run_entries()

    def _drop_memo(self, scope: str | None = None) -> None:
        if scope is None:
            self._memo = {}
            self._complete = {}
            self._memo_started = time.time()
        else:
            self._memo.pop(scope, None)
            self._complete.pop(scope, None)
        self._memo_size = sum(len(memo) for memo in self._memo.values())

    def _remember(self, scope: str, pairs: Iterable[tuple[str, str]] | dict[str, str]) -> None:
        memo = self._memo.get(scope)
        if memo is None and type(pairs) is dict:  # a fresh dict: kept as is, not copied
            self._memo[scope] = memo = pairs
            before = 0
        else:
            memo = self._memo.setdefault(scope, {})
            before = len(memo)
            memo.update(pairs)
        self._memo_size += len(memo) - before
        if self._memo_size > self.max_entries:  # keep memory bounded like the file
            self._drop_memo()

    def lookup(self, scope: str, keys: Iterable[str]) -> dict[str, str]:
        """The recorded object ids of the keys that were sent before.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            keys {list} -- object fingerprints

        Returns:
            dict -- ``{key: object id}`` for the known keys only
        """
        wanted = list(dict.fromkeys(keys))
        return {key: object_id for key, object_id in zip(wanted, self.find(scope, wanted)) if object_id is not None}

    def find(self, scope: str, keys: Sequence[str], *, expected: int = 0) -> list[str | None]:
        """The recorded object id of each key, or None for keys never recorded (same order).

        Hits are marked as used (at most once a week per entry and process), so the least
        recently used entries are the first forgotten. When many keys were wanted (an eighth
        of the record, in one call or several), the scope's whole record is read in one pass and
        kept in memory for the next calls, which is several times faster than looking up
        each key; a process sees the entries other processes record after that only when it
        is reopened.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            keys {list} -- object fingerprints

        Keyword Arguments:
            expected {int} -- how many keys the caller will look up in all, over this call and
                the next ones (a hint: a large number reads the scope whole at once) (default: {0})

        Returns:
            list -- object ids and Nones, one per key
        """
        with self._lock:
            if time.time() - self._memo_started > _TOUCH_AFTER:
                self._drop_memo()
            memo = self._memo.get(scope)
            found = list(map(memo.get, keys)) if memo else [None] * len(keys)
            if scope not in self._complete:
                if None not in found:
                    return found
                wanted = list(dict.fromkeys(key for key, hit in zip(keys, found) if hit is None))
                asked = self._asked[scope] = self._asked.get(scope, 0) + len(wanted)
                if max(asked, expected) * 8 < self._rows_bound + self._run_entries or not self._load_scope(scope):
                    return self._find_in_file(scope, keys, found, wanted)
                memo = self._memo[scope]
                found = [memo.get(key) for key in keys]
            old = self._complete[scope]  # the whole scope is in memory: no need to ask the file
            if old:
                self._touch(scope, [key for key, hit in zip(keys, found) if hit is not None and key in old])
            return found

    def _find_in_file(self, scope: str, keys: Sequence[str], found: list[str | None], wanted: list[str]) -> list[
            str | None]:
        """Complete ``found`` with the entries of ``wanted`` in the file (the caller holds _lock)."""
        now = int(time.time())
        loaded: dict[str, str] = {}
        stale: list[tuple[int, int, str]] = []
        with self._db_lock:
            scope_id = self._scope_id(scope)
            sql = "SELECT key, object_id, used FROM sent WHERE scope = ? AND key IN ({marks})"
            for key, object_id, used in self._in_chunks(sql, scope_id, wanted):
                loaded[key] = object_id
                if used < now - _TOUCH_AFTER:
                    stale.append((now, scope_id, key))
            if stale:
                self._db.executemany("UPDATE sent SET used = ? WHERE scope = ? AND key = ?", stale)
        if not loaded:
            return found
        self._remember(scope, loaded.items())
        return [hit if hit is not None else loaded.get(key) for key, hit in zip(keys, found)]

    def _load_scope(self, scope: str) -> bool:
        """Read every entry of a scope (runs and single entries) into the memo; False if it is
        too large to keep (the caller holds _lock)."""
        self._flush_locked()
        with self._db_lock:
            scope_id = self._scope_id(scope)
            entries: dict[str, str] = {}
            runs = self._db.execute("SELECT keys, ids FROM windows WHERE scope = ? ORDER BY used", (scope_id,))
            for keys, ids in runs:
                entries.update(zip(keys.split("\n"), ids.split(",")))
            entries.update(self._db.execute("SELECT key, object_id FROM sent WHERE scope = ?", (scope_id,)))
            old = {
                key
                for (key,) in self._db.execute(
                    "SELECT key FROM sent WHERE scope = ? AND used < ?", (scope_id, int(time.time()) - _TOUCH_AFTER)
                )
            }
        mine = self._memo.pop(scope, None)
        if mine:  # entries recorded meanwhile (being written by another thread) stay
            entries.update(mine)
        self._memo_size -= len(mine or ())
        self._remember(scope, entries)
        if scope not in self._memo:  # dropped for being over the bound
            return False
        self._complete[scope] = old
        return True

    def _touch(self, scope: str, keys: list[str]) -> None:
        """Mark entries of a fully loaded scope as used now (the caller holds _lock)."""
        if not keys:
            return
        now = int(time.time())
        with self._db_lock:
            scope_id = self._scope_id(scope)
            self._db.executemany(
                "UPDATE sent SET used = ? WHERE scope = ? AND key = ?", [(now, scope_id, k) for k in keys]
            )
        self._complete[scope].difference_update(keys)

    def record(self, scope: str, pairs: Iterable[tuple[str, str]], *, defer: bool = False) -> None:
        """Remember that objects were saved on the server, then trim the record to its bound.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            pairs {list} -- ``(key, object id)`` pairs

        Keyword Arguments:
            defer {bool} -- keep the entries in memory (where :meth:`find` sees them at once) and
                write them with the next :meth:`flush` (or once many are waiting): one
                transaction for many batches instead of one per batch (default: {False})
        """
        now = int(time.time())
        with self._lock:
            scope_id = self._scope_ids.get(scope)
            if scope_id is None:
                with self._db_lock:
                    scope_id = self._scope_id(scope)
            rows = [(scope_id, key, object_id, now) for key, object_id in pairs]
            if not rows:
                return
            self._pending.extend(rows)
            self._remember(scope, ((key, object_id) for _, key, object_id, _ in rows))
            complete = self._complete.get(scope)
            if complete:
                complete.difference_update(key for _, key, _, _ in rows)
            write = not defer or len(self._pending) >= _FLUSH_ROWS
        if write:
            self.flush()

    def flush(self) -> None:
        """Write the entries recorded with ``defer=True`` (in one transaction)."""
        with self._lock:
            rows, self._pending = self._pending, []
        if rows and self._write(rows):
            with self._lock:
                self._drop_memo()

    def _flush_locked(self) -> None:
        """:meth:`flush` for a caller that holds _lock."""
        rows, self._pending = self._pending, []
        if rows and self._write(rows):
            self._drop_memo()

    def _write(self, rows: list[tuple[int, str, str, int]]) -> bool:
        """Insert rows in one transaction, then trim; True if entries were forgotten."""
        rows.sort()  # in key order: fewer B-tree pages touched
        with self._db_lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO sent (scope, key, object_id, used) VALUES (?, ?, ?, ?)", rows
                )
                self._rows_bound += len(rows)
                trimmed = self._trim()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return trimmed

    def _count_rows(self) -> int:
        (count,) = self._db.execute("SELECT count(*) FROM sent").fetchone()
        return int(count)

    def _count_run_entries(self) -> int:
        (count,) = self._db.execute("SELECT total(count) FROM windows").fetchone()
        return int(count)

    def _forget_runs(self, scope_id: int, keys: Iterable[str] = (), object_ids: Iterable[str] = ()) -> None:
        """Delete the runs of a scope that hold any of these keys or object ids (the caller holds both locks)."""
        keys, object_ids = set(keys), set(object_ids)
        doomed = [
            (scope_id, run)
            for run, run_keys, run_ids in self._db.execute(
                "SELECT key, keys, ids FROM windows WHERE scope = ?", (scope_id,)
            ).fetchall()
            if not keys.isdisjoint(run_keys.split("\n")) or not object_ids.isdisjoint(run_ids.split(","))
        ]
        self._db.executemany("DELETE FROM windows WHERE scope = ? AND key = ?", doomed)
        self._run_entries = self._count_run_entries()

    def _trim(self) -> bool:
        """Forget the least recently used entries past the bound; True if any (the caller holds _db_lock)."""
        if self._rows_bound <= self.max_entries:
            return False
        count = self._count_rows()
        keep = int(self.max_entries * _TRIM_TO) if self.max_entries >= 1000 else self.max_entries
        excess = count - keep if count > self.max_entries else 0
        self._rows_bound = count - excess
        if excess <= 0:
            return False
        self._db.execute(
            "DELETE FROM sent WHERE (scope, key) IN (SELECT scope, key FROM sent ORDER BY used LIMIT ?)",
            (excess,),
        )
        logger.debug("forgot %d old entries of the sent-object record", excess)
        return True

    def forget(self, scope: str, keys: Sequence[str] | None = None) -> None:
        """Forget some keys of a scope, or the whole scope (its objects and streams).

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)

        Keyword Arguments:
            keys {list} -- the object fingerprints to forget; None forgets the whole scope (default: {None})
        """
        with self._lock, self._db_lock:
            self._flush_locked()
            self._drop_memo(scope)
            scope_id = self._scope_id(scope)
            if keys is None:
                self._db.execute("DELETE FROM windows WHERE scope = ?", (scope_id,))
                self._db.execute("DELETE FROM sent WHERE scope = ?", (scope_id,))
                self._db.execute("DELETE FROM streams WHERE scope = ?", (scope_id,))
                return
            self._forget_runs(scope_id, keys=keys)
            self._db.executemany("DELETE FROM sent WHERE scope = ? AND key = ?", [(scope_id, key) for key in keys])

    def forget_ids(self, scope: str, object_ids: Iterable[str]) -> None:
        """Forget the entries of a scope that point at these object ids (e.g. deleted objects).

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            object_ids {list} -- object ids
        """
        wanted = list(object_ids)
        with self._lock, self._db_lock:
            self._flush_locked()
            self._drop_memo(scope)
            self._forget_runs(self._scope_id(scope), object_ids=wanted)
            sql = "DELETE FROM sent WHERE scope = ? AND object_id IN ({marks})"
            for _ in self._in_chunks(sql, self._scope_id(scope), wanted):  # each chunk runs as it is iterated
                pass

    @staticmethod
    def run_key(keys: Sequence[str]) -> str:
        """The key of a run of objects: a digest of their keys, in order."""
        return xxhash.xxh3_128_hexdigest("\n".join(keys).encode())

    def find_run(self, scope: str, keys: Sequence[str]) -> list[str] | None:
        """The object ids of a run of objects recorded whole by :meth:`record_runs`, or None.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            keys {list} -- the objects' keys, in order

        Returns:
            list -- one object id per key, or None when this run was not recorded
        """
        run = self.run_key(keys)
        with self._db_lock:
            row = self._db.execute(
                "SELECT ids, used FROM windows WHERE scope = ? AND key = ?", (self._scope_id(scope), run)
            ).fetchone()
            if row is None:
                return None
            ids = row[0].split(",") if row[0] else []
            if len(ids) != len(keys):
                return None
            now = int(time.time())
            if row[1] < now - _TOUCH_AFTER:
                self._db.execute(
                    "UPDATE windows SET used = ? WHERE scope = ? AND key = ?", (now, self._scope_id(scope), run)
                )
        return ids

    def record_runs(self, scope: str, runs: Iterable[tuple[Sequence[str], Sequence[str]]]) -> None:
        """Remember the object ids of runs of objects, to be found whole by :meth:`find_run`.

        A run is one row holding its keys and ids, so recording 100,000 objects in runs of
        :data:`RUN_SIZE` writes 20 rows (one row per object would cost about 0.5 s). Its entries
        are also found one by one by :meth:`find`, from memory in this process, and by other
        processes when they look up a large part of the record at once (which reads the scope
        whole); smaller lookups there see only entries recorded by :meth:`record`.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            runs {list} -- ``(keys, object ids)`` pairs: the objects' keys in order, and their ids
        """
        now = int(time.time())
        rows = []
        pairs: list[tuple[str, str]] = []
        for keys, ids in runs:
            joined = ",".join(ids)
            joined_keys = "\n".join(keys)
            if (keys and len(keys) == len(ids) and "" not in ids and joined.count(",") == len(ids) - 1
                    and joined_keys.count("\n") == len(keys) - 1):
                rows.append((xxhash.xxh3_128_hexdigest(joined_keys.encode()), joined_keys, joined, len(keys)))
                pairs.extend(zip(keys, ids))
        if not rows:
            return
        with self._lock:  # seen by find at once, as entries recorded one by one are
            self._remember(scope, pairs)
            complete = self._complete.get(scope)
            if complete:
                complete.difference_update(key for key, _ in pairs)
        with self._db_lock:
            scope_id = self._scope_id(scope)
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO windows (scope, key, keys, ids, count, used) VALUES (?, ?, ?, ?, ?, ?)",
                    [(scope_id, run, keys, ids, count, now) for run, keys, ids, count in rows],
                )
                self._db.execute(
                    "DELETE FROM windows WHERE (scope, key) NOT IN "
                    "(SELECT scope, key FROM windows ORDER BY used DESC LIMIT ?)",
                    (max(1, self.max_entries // RUN_SIZE),),
                )
                self._db.execute("COMMIT")
                self._run_entries = self._count_run_entries()
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def stream_state(self, scope: str, stream_id: str) -> tuple[dict[str, str], str] | None:
        """What ``send`` last wrote to a stream, if it was recorded.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            stream_id {str} -- the stream's streamId

        Returns:
            tuple -- ``({field: fingerprint of its value}, the stream's updatedAt after the write)``, or None
        """
        with self._db_lock:
            row = self._db.execute(
                "SELECT fields, updated_at FROM streams WHERE scope = ? AND stream_id = ?",
                (self._scope_id(scope), stream_id),
            ).fetchone()
        if not row:
            return None
        try:
            fields = json.loads(row[0])
        except ValueError:
            return None
        return (fields, row[1]) if isinstance(fields, dict) else None

    def record_stream(self, scope: str, stream_id: str, fields: Mapping[str, str], updated_at: str) -> None:
        """Remember that a stream holds these field values (by fingerprint) since ``updated_at``.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            stream_id {str} -- the stream's streamId
            fields {dict} -- the fingerprint of each field written, by name
            updated_at {str} -- the stream's ``updatedAt`` as the server reported it after the write
        """
        with self._db_lock:
            scope_id = self._scope_id(scope)
            self._db.execute(
                "INSERT OR REPLACE INTO streams (scope, stream_id, fields, updated_at, used) VALUES (?, ?, ?, ?, ?)",
                (scope_id, stream_id, json.dumps(dict(fields)), updated_at, time.time_ns()),
            )
            self._db.execute(
                "DELETE FROM streams WHERE (scope, stream_id) NOT IN "
                "(SELECT scope, stream_id FROM streams ORDER BY used DESC LIMIT ?)",
                (STREAMS_KEPT,),
            )

    def forget_stream(self, scope: str, stream_id: str) -> None:
        """Forget what was written to a stream (its next ``send`` writes it whatever it holds).

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            stream_id {str} -- the stream's streamId
        """
        with self._db_lock:
            self._db.execute(
                "DELETE FROM streams WHERE scope = ? AND stream_id = ?", (self._scope_id(scope), stream_id)
            )

    def clear(self) -> None:
        """Forget everything."""
        with self._lock, self._db_lock:
            self._pending = []
            self._drop_memo()
            self._db.execute("DELETE FROM sent")
            self._db.execute("DELETE FROM windows")
            self._db.execute("DELETE FROM streams")
            self._run_entries = 0

    def __len__(self) -> int:
        """Entries recorded one by one, plus the entries of runs."""
        with self._lock, self._db_lock:
            self._flush_locked()
            return self._count_rows() + self._count_run_entries()

    def close(self) -> None:
        """Write what is pending, then close the SQLite connection."""
        with self._lock, self._db_lock:
            try:
                self._flush_locked()
            finally:
                self._db.close()

    def __repr__(self) -> str:
        return f"<SentObjectCache {self.path} max_entries={self.max_entries}>"
