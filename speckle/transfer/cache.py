"""The local record of objects already sent to servers (hash -> object id), in SQLite.

``client.send`` looks every object's content hash up here before uploading: an object this
user already sent to this server is referenced by its id and not uploaded again. The record is
a SQLite file in :func:`speckle.config.config_dir` (``sent-objects.sqlite3``), shared by every
client and process of the user, and bounded: past ``max_entries`` the least recently used
entries are forgotten.

Entries are scoped by server URL *and* user id: a server that was reset (such as a local server
kept in memory) has new user ids, so its stale entries are never used.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from speckle.config import config_dir
from speckle.errors import SpeckleInputError

__all__ = ["SentObjectCache", "DEFAULT_CACHE_ENTRIES", "CACHE_FILE_NAME"]

logger = logging.getLogger("speckle.transfer")

#: Entries kept by default (about 150 bytes each on disk).
DEFAULT_CACHE_ENTRIES = 2_000_000
CACHE_FILE_NAME = "sent-objects.sqlite3"
#: Hits older than this many seconds get their "last used" time refreshed.
_TOUCH_AFTER = 3600
#: Host parameters per statement (SQLite's historic limit is 999).
_CHUNK = 900

_SCHEMA = """
DROP TABLE IF EXISTS sent_objects;
CREATE TABLE IF NOT EXISTS scopes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS sent (
    scope INTEGER NOT NULL,
    hash TEXT NOT NULL,
    object_id TEXT NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (scope, hash)
) WITHOUT ROWID;
"""
#: After trimming, a large record keeps this share of ``max_entries`` (so trims are rare).
_TRIM_TO = 0.9


class SentObjectCache:
    """A bounded record of ``(scope, hash) -> object id`` in a SQLite file.

    Keyword Arguments:
        path {str|Path} -- the SQLite file, or ``":memory:"`` (default: {config_dir()/sent-objects.sqlite3})
        max_entries {int} -- entries kept; the least recently used go first (default: {2,000,000})
    """

    def __init__(self, path: str | Path | None = None, max_entries: int = DEFAULT_CACHE_ENTRIES) -> None:
        if max_entries < 1:
            raise SpeckleInputError(f"max_entries must be positive, got {max_entries!r}")
        self.path = str(path) if path is not None else str(config_dir() / CACHE_FILE_NAME)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10.0)
        if self.path != ":memory:":
            Path(self.path).chmod(0o600)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        #: write-through copy of what this process looked up or recorded:
        #: scope -> {hash: (object id, last used)}
        self._memo: dict[str, dict[str, tuple[str, int]]] = {}
        self._memo_size = 0
        self._scope_ids: dict[str, int] = {}
        #: an upper bound of the rows in the file (re-counted only when it passes max_entries)
        self._rows_bound = self._count_rows()

    def _scope_id(self, scope: str) -> int:
        """The integer key of a scope (created on first use; the caller holds the lock)."""
        key = self._scope_ids.get(scope)
        if key is None:
            self._db.execute("INSERT OR IGNORE INTO scopes (name) VALUES (?)", (scope,))
            (key,) = self._db.execute("SELECT id FROM scopes WHERE name = ?", (scope,)).fetchone()
            self._scope_ids[scope] = key
        return int(key)

    def _drop_memo(self, scope: str | None = None) -> None:
        if scope is None:
            self._memo = {}
        else:
            self._memo.pop(scope, None)
        self._memo_size = sum(len(memo) for memo in self._memo.values())

    def _remember(self, scope: str, pairs: Iterable[tuple[str, tuple[str, int]]]) -> None:
        memo = self._memo.setdefault(scope, {})
        before = len(memo)
        memo.update(pairs)
        self._memo_size += len(memo) - before
        if self._memo_size > self.max_entries:  # keep memory bounded like the file
            self._memo = {}
            self._memo_size = 0

    @staticmethod
    def scope(server_url: str, user_id: str | None) -> str:
        """The key of one server and user: ``<server url>#<user id>``."""
        return f"{server_url.rstrip('/')}#{user_id or 'anonymous'}"

    def lookup(self, scope: str, hashes: Iterable[str]) -> dict[str, str]:
        """The recorded object ids of the hashes that were sent before.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            hashes {list} -- content hashes

        Returns:
            dict -- ``{hash: object id}`` for the known hashes only
        """
        found: dict[str, str] = {}
        stale: list[str] = []
        now = int(time.time())
        with self._lock:
            memo = self._memo.get(scope, {})
            wanted = []
            for digest in dict.fromkeys(hashes):
                known = memo.get(digest)
                if known is None:
                    wanted.append(digest)
                else:
                    found[digest] = known[0]
                    if known[1] < now - _TOUCH_AFTER:
                        stale.append(digest)
            fresh: list[tuple[str, tuple[str, int]]] = []
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT hash, object_id, used FROM sent WHERE scope = ? AND hash IN ({marks})",
                    (self._scope_id(scope), *chunk),
                )
                for digest, object_id, used in rows:
                    found[digest] = object_id
                    fresh.append((digest, (object_id, used)))
                    if used < now - _TOUCH_AFTER:
                        stale.append(digest)
            self._remember(scope, fresh)
            if stale:
                self._db.executemany(
                    "UPDATE sent SET used = ? WHERE scope = ? AND hash = ?",
                    [(now, self._scope_id(scope), digest) for digest in stale],
                )
                self._remember(scope, ((digest, (found[digest], now)) for digest in stale))
        return found

    def record(self, scope: str, pairs: Iterable[tuple[str, str]]) -> None:
        """Remember that objects were saved on the server, then trim the record to its bound.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            pairs {list} -- ``(hash, object id)`` pairs
        """
        now = int(time.time())
        with self._lock:
            key = self._scope_id(scope)
            rows = [(key, digest, object_id, now) for digest, object_id in pairs]
            if not rows:
                return
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO sent (scope, hash, object_id, used) VALUES (?, ?, ?, ?)", rows
                )
                self._rows_bound += len(rows)
                self._trim()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._remember(scope, ((digest, (object_id, now)) for _, digest, object_id, _ in rows))

    def _count_rows(self) -> int:
        (count,) = self._db.execute("SELECT count(*) FROM sent").fetchone()
        return int(count)

    def _trim(self) -> None:
        if self._rows_bound <= self.max_entries:
            return
        count = self._count_rows()
        keep = int(self.max_entries * _TRIM_TO) if self.max_entries >= 1000 else self.max_entries
        excess = count - keep if count > self.max_entries else 0
        self._rows_bound = count - excess
        if excess > 0:
            self._drop_memo()
            self._db.execute(
                "DELETE FROM sent WHERE (scope, hash) IN (SELECT scope, hash FROM sent ORDER BY used LIMIT ?)",
                (excess,),
            )
            logger.debug("forgot %d old entries of the sent-object record", excess)

    def forget(self, scope: str, hashes: Sequence[str] | None = None) -> None:
        """Forget some hashes of a scope, or the whole scope.

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)

        Keyword Arguments:
            hashes {list} -- the hashes to forget; None forgets the whole scope (default: {None})
        """
        with self._lock:
            self._drop_memo(scope)
            if hashes is None:
                self._db.execute("DELETE FROM sent WHERE scope = ?", (self._scope_id(scope),))
                return
            key = self._scope_id(scope)
            self._db.executemany("DELETE FROM sent WHERE scope = ? AND hash = ?", [(key, digest) for digest in hashes])

    def forget_ids(self, scope: str, object_ids: Iterable[str]) -> None:
        """Forget the entries of a scope that point at these object ids (e.g. deleted objects).

        Arguments:
            scope {str} -- the server and user (:meth:`scope`)
            object_ids {list} -- object ids
        """
        wanted = list(object_ids)
        with self._lock:
            self._drop_memo(scope)
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                self._db.execute(
                    f"DELETE FROM sent WHERE scope = ? AND object_id IN ({marks})", (self._scope_id(scope), *chunk)
                )

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._drop_memo()
            self._db.execute("DELETE FROM sent")

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT count(*) FROM sent").fetchone()
        return int(count)

    def close(self) -> None:
        """Close the SQLite connection."""
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"<SentObjectCache {self.path} max_entries={self.max_entries}>"
