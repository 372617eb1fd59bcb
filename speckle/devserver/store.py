"""SQLite storage of JSON documents, one table per collection.

Every table has ``seq`` (insertion order = MongoDB "natural" order), ``_id``
and ``doc`` (the document as compact JSON text) plus a few indexed columns
copied out of the document. The store is in memory unless a file path is
given, in which case everything (including the JWT secret kept in ``meta``)
survives a restart. A single connection is shared behind a re-entrant lock.

Every write runs in a transaction (:meth:`Store.transaction`): on its own it commits
before returning; inside an enclosing transaction (the HTTP layer opens one per
request) it is a savepoint, undone alone when it fails. A transaction always ends
with ``COMMIT`` or ``ROLLBACK``, so one failed write can never leave the connection
inside an open transaction (which would make later writes fail and lose the ones
acknowledged meanwhile). With a file, the database is in WAL mode: a committed write
survives the process being killed (``kill -9``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .jsonutil import dumps, loads

log = logging.getLogger(__name__)

__all__ = ["Store", "DuplicateKey", "dumps", "loads", "chunks"]

Document = dict[str, Any]

#: Indexed columns copied from each collection's documents.
COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("email",),
    "streams": ("streamId",),
    "objects": ("hash", "hkey", "owner", "private", "updatedAt"),
    "clients": ("streamId", "owner"),
    "comments": (),
    "projects": (),
}
UNIQUE = {("users", "email")}
#: Columns stored for fast reads but not worth an index (writes stay cheap).
UNINDEXED = {("objects", "hash"), ("objects", "owner"), ("objects", "private"), ("objects", "updatedAt")}
#: Maximum number of ``?`` placeholders used in one statement.
CHUNK = 900
#: Streams whose existing objects :meth:`Store.present_objects` remembers.
_PRESENT_KEPT = 16
#: Documents :meth:`Store.find_first_shared` keeps decoded.
_SHARED_KEPT = 16
_INT64 = (-(2**63), 2**63 - 1)


def column_value(value: Any) -> Any:
    """A value as an indexed column holds it: what SQLite cannot bind exactly becomes text.

    Booleans are ``0``/``1``; integers beyond 64 bits, containers and strings holding lone
    surrogates are stored as their JSON text, so they are kept (and found again) as given.
    """
    if value is None or isinstance(value, float):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if _INT64[0] <= value <= _INT64[1] else str(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return dumps(value)
        return value
    return dumps(value)

def hash_key(value: Any) -> int | None:
    """Small integer key of an object ``hash`` (CRC-32): a cheap index, verified on lookup."""
    return zlib.crc32(value.encode("utf-8", "surrogatepass")) if isinstance(value, str) else None


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """Split ``items`` into slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class DuplicateKey(Exception):
    """A unique index rejected a write (MongoDB ``E11000``)."""


class Store:
    """Thread-safe document store on one SQLite connection."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0  # nesting level of open transactions (guarded by lock)
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        #: per table, bumped whenever its rows may have changed (a write, or a rolled back
        #: transaction): what is remembered of a table is valid while its generation stays
        self._generations: dict[str, int] = dict.fromkeys(COLUMNS, 0)
        #: bumped when objects may have been inserted or deleted (see :meth:`present_objects`)
        self.objects_generation = 0
        self._present: OrderedDict[Hashable, tuple[list[str], frozenset[str], str | None]] = OrderedDict()
        self._shared: OrderedDict[tuple[str, str, Any], tuple[int, Document | None]] = OrderedDict()
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._create()

    def _create(self) -> None:
        with self.lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            for table, columns in COLUMNS.items():
                extra = "".join(f", {col}" for col in columns)
                self._db.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} (seq INTEGER PRIMARY KEY,"
                    f" _id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL{extra})"
                )
                present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                for col in columns:
                    if col not in present:  # a file of an older layout: copy the column out of the documents
                        self._db.execute(f"ALTER TABLE {table} ADD COLUMN {col}")
                        self._db.execute(f"UPDATE {table} SET {col} = json_extract(doc, '$.{col}')")
                for col in columns:
                    if (table, col) in UNINDEXED:
                        continue
                    unique = "UNIQUE " if (table, col) in UNIQUE else ""
                    self._db.execute(
                        f"CREATE {unique}INDEX IF NOT EXISTS {table}_{col} ON {table}({col})"
                    )
            # the version of each object, read without the documents (GET /streams/:id/objects?fields=updatedAt)
            self._db.execute("CREATE INDEX IF NOT EXISTS objects_versions ON objects(_id, updatedAt)")
            # the objects changed since a time (GET /streams/:id/objects?updatedAt>=<date>)
            self._db.execute("CREATE INDEX IF NOT EXISTS objects_changed ON objects(updatedAt, _id)")

    def _changed(self, table: str | None = None, *, rows: bool = True) -> None:
        """Forget what is remembered of ``table`` (of every table when None); ``rows``: rows
        may have been inserted or deleted, not only changed.

        Called after the write, holding the lock: a reader that remembered the table before the
        write did so under an older generation (a bump before the write would let a reader,
        between the bump and the write, remember the old rows under the new generation).
        """
        for name in (table,) if table is not None else list(self._generations):
            self._generations[name] += 1
        if rows and table in (None, "objects"):
            self.objects_generation += 1

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self._db.close()

    @contextmanager
    def transaction(self, keep: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
        """Hold the lock and run the block atomically.

        The outermost block is a ``BEGIN``/``COMMIT``; a nested one is a ``SAVEPOINT``.
        When the block raises, its writes are rolled back, unless the exception is one of
        ``keep`` (an answer the caller renders, after which the writes done so far stay,
        as on v1); either way the transaction is closed and the exception re-raised.

        Arguments:
            keep {tuple} -- exception types that still commit what the block wrote
        """
        with self.lock:
            outer = self._depth == 0
            name = f"sp{self._depth}"
            self._db.execute("BEGIN" if outer else f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException as exc:
                self._depth -= 1
                self._end(outer, name, commit=isinstance(exc, keep))
                raise
            self._depth -= 1
            self._end(outer, name, commit=True)

    def _end(self, outer: bool, name: str, *, commit: bool) -> None:
        if not commit:
            self._changed()
        if outer:
            self._db.execute("COMMIT" if commit else "ROLLBACK")
        elif commit:
            self._db.execute(f"RELEASE {name}")
        else:
            self._db.execute(f"ROLLBACK TO {name}")
            self._db.execute(f"RELEASE {name}")

    # -- meta ---------------------------------------------------------------------------------
    def meta_get(self, key: str) -> str | None:
        """Read a server-level setting."""
        with self.lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def meta_set(self, key: str, value: str) -> None:
        """Write a server-level setting."""
        with self.transaction():
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- generic documents --------------------------------------------------------------------
    @staticmethod
    def _row(table: str, doc: Document, text: str | None = None) -> tuple[Any, ...]:
        values: list[Any] = [doc["_id"], text if text is not None else dumps(doc)]
        for col in COLUMNS[table]:
            value = hash_key(doc.get("hash")) if col == "hkey" else doc.get(col)
            values.append(column_value(value))
        return tuple(values)

    def _columns(self, table: str) -> str:
        return ", ".join(("_id", "doc", *COLUMNS[table]))

    def insert(self, table: str, doc: Document) -> None:
        """Insert one document (raises :class:`DuplicateKey` on a unique violation)."""
        self.insert_many(table, [doc])

    def insert_many(self, table: str, docs: Iterable[Document]) -> None:
        """Insert documents in one transaction."""
        rows = [self._row(table, doc) for doc in docs]
        self.insert_rows(table, rows)

    def insert_rows(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert pre-built rows ``(_id, doc_text, *columns)`` in one transaction."""
        marks = ", ".join("?" * (2 + len(COLUMNS[table])))
        try:
            with self.transaction():
                self._db.executemany(
                    f"INSERT INTO {table}({self._columns(table)}) VALUES ({marks})", rows
                )
                self._changed(table)  # (after the write, under the lock: see _changed)
        except sqlite3.IntegrityError as exc:
            raise DuplicateKey(str(exc)) from exc

    def save(self, table: str, doc: Document) -> None:
        """Replace a stored document (keeps its natural order)."""
        row = self._row(table, doc)
        sets = ", ".join(f"{col}=?" for col in ("doc", *COLUMNS[table]))
        try:
            with self.transaction():
                self._db.execute(f"UPDATE {table} SET {sets} WHERE _id=?", (*row[1:], row[0]))
                self._changed(table, rows=False)
        except sqlite3.IntegrityError as exc:
            raise DuplicateKey(str(exc)) from exc

    def delete(self, table: str, ids: Sequence[str]) -> int:
        """Delete documents by ``_id``; return how many went."""
        removed = 0
        with self.transaction():
            for part in chunks(list(ids)):
                marks = ",".join("?" * len(part))
                cur = self._db.execute(f"DELETE FROM {table} WHERE _id IN ({marks})", tuple(part))
                removed += cur.rowcount
            self._changed(table)
        return removed

    def get(self, table: str, _id: str) -> Document | None:
        """One document by ``_id``."""
        with self.lock:
            row = self._db.execute(f"SELECT doc FROM {table} WHERE _id=?", (_id,)).fetchone()
        return loads(row[0]) if row else None

    def find_by(self, table: str, column: str, value: Any) -> list[Document]:
        """Documents whose indexed ``column`` equals ``value``, in natural order."""
        with self.lock:
            rows = self._db.execute(
                f"SELECT doc FROM {table} WHERE {column}=? ORDER BY seq", (column_value(value),)
            ).fetchall()
        return [loads(row[0]) for row in rows]

    def find_first_shared(self, table: str, column: str, value: Any) -> Document | None:
        """The first document (in natural order) whose indexed ``column`` equals ``value``,
        decoded once and shared until ``table`` is written: the caller must not modify it.

        For read-only handlers of large documents (a stream listing 10^5 objects takes about
        10 ms to decode, more than the rest of a small request).
        """
        key = (table, column, column_value(value))
        with self.lock:
            generation = self._generations[table]
            cached = self._shared.get(key)
            if cached is not None and cached[0] == generation:
                self._shared.move_to_end(key)
                return cached[1]
            row = self._db.execute(
                f"SELECT doc FROM {table} WHERE {column}=? ORDER BY seq LIMIT 1", (key[2],)
            ).fetchone()
            doc = loads(row[0]) if row else None
            self._shared[key] = (generation, doc)
            self._shared.move_to_end(key)
            while len(self._shared) > _SHARED_KEPT:
                self._shared.popitem(last=False)
            return doc

    def find_in(self, table: str, column: str, values: Sequence[Any]) -> list[Document]:
        """Documents whose indexed ``column`` is one of ``values``, in natural order."""
        found: list[tuple[int, str]] = []
        with self.lock:
            for part in chunks(list(dict.fromkeys(column_value(v) for v in values))):
                marks = ",".join("?" * len(part))
                found.extend(
                    self._db.execute(
                        f"SELECT seq, doc FROM {table} WHERE {column} IN ({marks})", tuple(part)
                    ).fetchall()
                )
        found.sort()
        return [loads(doc) for _, doc in found]

    def all(self, table: str) -> list[Document]:
        """Every document of a collection, in natural order."""
        with self.lock:
            rows = self._db.execute(f"SELECT doc FROM {table} ORDER BY seq").fetchall()
        return [loads(row[0]) for row in rows]

    def count(self, table: str) -> int:
        """Number of documents in a collection."""
        with self.lock:
            return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    # -- objects fast paths -------------------------------------------------------------------
    def object_ids_by_hash(self, hashes: Iterable[str]) -> dict[str, str]:
        """Map each given hash that exists to the ``_id`` of the first object with it."""
        wanted = {h for h in hashes if isinstance(h, str)}
        keys = list({hash_key(h) for h in wanted})
        found: list[tuple[int, str, str]] = []
        with self.lock:
            for part in chunks(keys):
                marks = ",".join("?" * len(part))
                found.extend(self._db.execute(
                    f"SELECT seq, hash, _id FROM objects WHERE hkey IN ({marks})", tuple(part)
                ).fetchall())
        result: dict[str, str] = {}
        for _, hash_, _id in sorted(found):
            if hash_ in wanted:
                result.setdefault(hash_, _id)
        return result

    def object_rows(self, ids: Iterable[str]) -> dict[str, tuple[str, int, str]]:
        """Map ``_id`` to ``(owner, private, doc_text)`` for the objects that exist."""
        unique = list(dict.fromkeys(ids))
        result: dict[str, tuple[str, int, str]] = {}
        with self.lock:
            for part in chunks(unique):
                marks = ",".join("?" * len(part))
                for _id, owner, private, doc in self._db.execute(
                    f"SELECT _id, owner, private, doc FROM objects WHERE _id IN ({marks})",
                    tuple(part),
                ):
                    result[_id] = (owner, private, doc)
        return result

    def object_versions(
        self, ids: Sequence[str], since: str | None = None, span: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """``{_id: updatedAt}`` of the objects that exist among ``ids`` (and perhaps of others:
        ids saved together are read as one range of an index, without the documents).

        ``since``: an ISO date as v1 writes them (``Date.toISOString``, which the store keeps
        for every object, so that comparing the texts compares the dates): only the objects
        whose ``updatedAt`` is at or after it, read from an index of the changes (a check of
        what changed since a time reads only that). ``span``: the least and the greatest of
        ``ids``, when the caller knows them.
        """
        found: dict[str, Any] = {}
        if not ids:
            return found
        low, high = span if span is not None else (min(ids), max(ids))
        with self.lock:
            if since is not None:
                return dict(self._db.execute(
                    "SELECT _id, updatedAt FROM objects INDEXED BY objects_changed "
                    "WHERE updatedAt >= ? AND _id BETWEEN ? AND ?", (since, low, high),
                ))
            in_range = CHUNK + 1
            if len(ids) > CHUNK:  # (a few ids are looked up one by one, below)
                (in_range,) = self._db.execute(
                    "SELECT count(*) FROM objects INDEXED BY objects_versions WHERE _id BETWEEN ? AND ?", (low, high)
                ).fetchone()
            if in_range <= 2 * len(ids):  # ids saved together (ObjectIds grow with time): one scan of their range
                return dict(self._db.execute(
                    "SELECT _id, updatedAt FROM objects INDEXED BY objects_versions WHERE _id BETWEEN ? AND ?",
                    (low, high),
                ))
            for part in chunks(list(dict.fromkeys(ids))):
                marks = ",".join("?" * len(part))
                found.update(self._db.execute(
                    f"SELECT _id, updatedAt FROM objects INDEXED BY objects_versions WHERE _id IN ({marks})",
                    tuple(part),
                ))
        return found

    def present_objects(
        self, key: Hashable, ids: Callable[[], Sequence[str]]
    ) -> tuple[list[str], frozenset[str], str | None]:
        """The distinct ids among ``ids()`` that exist, in database order (ObjectIds grow with
        time), as a set, and the oldest ``updatedAt`` among them then (a lower bound ever after:
        writes only move ``updatedAt`` forward).

        Remembered under ``key`` (which must change whenever the ids do, e.g. a stream's id and
        ``updatedAt``) until objects are inserted or deleted; ``ids`` is called only when
        nothing is remembered.
        """
        with self.lock:
            entry = (key, self.objects_generation)
            present = self._present.get(entry)
            if present is not None:
                self._present.move_to_end(entry)
                return present
            listed = ids()
            wanted = set(listed)
            versions = self.object_versions(listed)
            ordered = sorted(_id for _id in versions if _id in wanted)
            stamps = [versions[_id] for _id in ordered]
            oldest = min(stamps) if stamps and all(type(v) is str for v in stamps) else None
            present = (ordered, frozenset(ordered), oldest)
            self._present[entry] = present
            while len(self._present) > _PRESENT_KEPT:
                self._present.popitem(last=False)
            return present

    def object_seq_order(self, ids: Iterable[str]) -> list[Document]:
        """Objects with the given ids in natural (database) order."""
        return self.find_in("objects", "_id", list(ids))
