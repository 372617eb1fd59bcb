"""Batched, parallel object uploads (``POST /objects``) and downloads (``POST /objects/getbulk``).

Uploads are cut into batches below a size and a count; each batch is one request, and up to
``max_workers`` requests run at once. A batch the server still refuses as too large (HTTP 413)
is split in two and each half is sent again, down to single objects; nothing is dropped. Answers
are put back in input order whatever order the requests finish in.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from speckle.base.resource import placeholder_ids
from speckle.errors import PayloadTooLargeError, SpeckleInputError, SpeckleResponseError
from speckle.transfer.encoding import encode_object, join_array

if TYPE_CHECKING:
    from speckle.transport import Transport

__all__ = [
    "Progress",
    "WorkQueue",
    "Uploader",
    "TransferOptions",
    "default_workers",
    "plan_batches",
    "post_objects",
    "fetch_objects",
    "DEFAULT_BATCH_BYTES",
    "DEFAULT_BATCH_COUNT",
    "DEFAULT_FETCH_COUNT",
]

logger = logging.getLogger("speckle.transfer")

#: ``progress(done, total)``: called in the caller's thread after each finished batch.
Progress = Callable[[int, int], Any]

#: Uncompressed JSON bytes per upload request: well under the 10 MB v1 servers accept by default.
DEFAULT_BATCH_BYTES = 4 * 1024 * 1024
#: Objects per upload request.
DEFAULT_BATCH_COUNT = 5000
#: Ids per ``getbulk`` request: about 650 KB of answer, small enough that decoding one answer
#: adds little to the peak memory of a receive, large enough to keep requests few.
DEFAULT_FETCH_COUNT = 500


def default_workers() -> int:
    """Parallel requests used by default: twice the CPU count, between 2 and 8."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


@dataclass
class TransferOptions:
    """How bulk transfers are cut and run (``client.transfer_options``).

    Keyword Arguments:
        max_workers {int} -- requests in flight at once (default: twice the CPUs, 2 to 8)
        batch_bytes {int} -- upper bound of one upload body, uncompressed JSON bytes (default: 4 MiB)
        batch_count {int} -- upper bound of objects in one upload request (default: 5000)
        fetch_count {int} -- ids per ``getbulk`` request (default: 500)
    """

    max_workers: int = 0
    batch_bytes: int = DEFAULT_BATCH_BYTES
    batch_count: int = DEFAULT_BATCH_COUNT
    fetch_count: int = DEFAULT_FETCH_COUNT

    def __post_init__(self) -> None:
        if not self.max_workers:
            self.max_workers = default_workers()
        for name in ("max_workers", "batch_bytes", "batch_count", "fetch_count"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SpeckleInputError(f"{name} must be a positive integer, got {value!r}")


def plan_batches(sizes: Sequence[int], max_bytes: int, max_count: int) -> list[tuple[int, int]]:
    """Cut items into consecutive batches whose JSON array stays within the limits.

    An item bigger than ``max_bytes`` on its own makes a batch of one.

    Arguments:
        sizes {list} -- the serialised size of each item, in bytes
        max_bytes {int} -- upper bound of ``[item,item,...]`` in bytes
        max_count {int} -- upper bound of items per batch

    Returns:
        list -- ``(start, end)`` index ranges covering every item once, in order
    """
    batches: list[tuple[int, int]] = []
    start = 0
    used = 2  # the brackets
    for index, size in enumerate(sizes):
        count = index - start
        if count and (count >= max_count or used + 1 + size > max_bytes):
            batches.append((start, index))
            start, used = index, 2
        used += size + (1 if index > start else 0)
    if start < len(sizes):
        batches.append((start, len(sizes)))
    return batches


class WorkQueue:
    """Runs jobs on a pool of threads and reports their progress in the caller's thread.

    At most twice ``max_workers`` jobs wait at once (:meth:`submit` blocks), so work can be
    produced while earlier work is sent, with bounded memory. The first failure is raised by
    :meth:`submit` or :meth:`join`; leaving the ``with`` block cancels the jobs not started.

    Arguments:
        max_workers {int} -- threads; 1 runs every job at once in the caller's thread
        total {int} -- the total reported to ``progress``
        progress {callable} -- ``progress(done, total)`` (default: {None})
    """

    def __init__(self, max_workers: int, total: int, progress: Progress | None = None) -> None:
        self.max_workers = max_workers
        self.total = total
        self.progress = progress
        self.done = 0
        self._pool = (
            ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="speckle-transfer")
            if max_workers > 1
            else None
        )
        self._pending: set[Future[int]] = set()
        if progress is not None:
            progress(0, total)

    def advance(self, count: int) -> None:
        """Count ``count`` more items as done and report it."""
        if count:
            self.done += count
            if self.progress is not None:
                self.progress(self.done, self.total)

    def submit(self, job: Callable[..., int], *args: Any) -> None:
        """Run ``job(*args)``, which returns how many items it completed."""
        if self._pool is None:
            self.advance(job(*args))
            return
        while len(self._pending) >= 2 * self.max_workers:
            self._collect(FIRST_COMPLETED)
        # in the caller's context: a time_limit() block covers the workers' requests too
        self._pending.add(self._pool.submit(contextvars.copy_context().run, job, *args))

    def _collect(self, when: str) -> None:
        finished, self._pending = wait(self._pending, return_when=when)
        for future in finished:
            self.advance(future.result())

    def join(self) -> None:
        """Wait for every job; raise the first failure."""
        while self._pending:
            self._collect(FIRST_EXCEPTION)

    def __enter__(self) -> WorkQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        for future in self._pending:
            future.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True)


class Uploader:
    """Posts ranges of pre-serialised objects, splitting a range the server refuses as too large.

    The JSON of a range is released once the server has saved it.

    Arguments:
        transport {Transport} -- the client's transport
        path {str} -- the route, ``/objects``
        encoded {list} -- each object's JSON (entries are replaced by ``b""`` once sent)
        results {list} -- receives the placeholder of each object, at the object's index

    Keyword Arguments:
        on_saved {callable} -- called as ``on_saved(start, end)`` after each saved range (default: {None})
    """

    def __init__(
        self,
        transport: Transport,
        path: str,
        encoded: list[bytes],
        results: list[Any],
        on_saved: Callable[[int, int], Any] | None = None,
    ) -> None:
        self.transport = transport
        self.path = path
        self.encoded = encoded
        self.results = results
        #: called as ``on_saved(start, end)`` (in the worker thread) once a range is saved
        self.on_saved = on_saved
        #: the smallest body the server refused with 413 (later bodies that big are split first)
        self.too_large: int | None = None
        self._lock = threading.Lock()

    def post(self, start: int, end: int) -> int:
        """Post objects ``start`` to ``end`` (their JSON joined from ``encoded``)."""
        return self._post(start, end, join_array(self.encoded[start:end]), lambda: self._split(start, end))

    def post_batch(self, start: int, body: bytes, bounds: list[int]) -> int:
        """Post a body built in advance (see :func:`~speckle.transfer.encoding.sealed_batches`).

        Arguments:
            start {int} -- the index of its first object
            body {bytes} -- the JSON array of the objects
            bounds {list} -- where each object starts in ``body``, then ``len(body)``

        Returns:
            int -- the objects saved
        """
        end = start + len(bounds) - 1
        return self._post(start, end, body, lambda: self._split_batch(start, body, bounds))

    def _post(self, start: int, end: int, body: bytes, split: Callable[[], int]) -> int:
        limit = self.too_large
        if limit is not None and len(body) >= limit and end - start > 1:
            return split()
        try:
            answer = self.transport.request("POST", self.path, json_bytes=body, retry=True)
        except PayloadTooLargeError as exc:
            with self._lock:
                if self.too_large is None or len(body) < self.too_large:
                    self.too_large = len(body)
            if end - start == 1:
                raise PayloadTooLargeError(
                    f"object {start} alone is {len(body) - 2} bytes of JSON, more than the server accepts",
                    status_code=exc.status_code,
                    method=exc.method,
                    url=exc.url,
                ) from exc
            logger.warning(
                "the server refused %d objects (%d bytes) as too large; splitting the batch",
                end - start,
                len(body),
            )
            return split()
        resources = answer.get("resources") if isinstance(answer, dict) else None
        if not isinstance(resources, list) or len(resources) != end - start:
            got = len(resources) if isinstance(resources, list) else "no"
            raise SpeckleResponseError(
                f"the server answered {got} placeholders for {end - start} objects", method="POST", url=self.path
            )
        placeholder_ids(resources, method="POST", url=self.path)  # each a dict with a usable _id
        self.results[start:end] = resources
        if self.encoded:
            self.encoded[start:end] = [b""] * (end - start)
        if self.on_saved is not None:
            self.on_saved(start, end)
        return end - start

    def _split(self, start: int, end: int) -> int:
        middle = (start + end) // 2
        return self.post(start, middle) + self.post(middle, end)

    def _split_batch(self, start: int, body: bytes, bounds: list[int]) -> int:
        middle = (len(bounds) - 1) // 2
        view = memoryview(body)
        done = 0
        for first, last in ((0, middle), (middle, len(bounds) - 1)):
            begin = bounds[first]
            part = b"".join((b"[", view[begin : bounds[last] - 1], b"]"))
            done += self.post_batch(start + first, part, [b - begin + 1 for b in bounds[first : last + 1]])
        return done


def post_objects(
    transport: Transport,
    encoded: Sequence[bytes],
    *,
    options: TransferOptions | None = None,
    progress: Progress | None = None,
    path: str = "/objects",
) -> list[dict[str, Any]]:
    """Save pre-serialised objects with ``POST /objects`` in batches.

    Arguments:
        transport {Transport} -- the client's transport
        encoded {list} -- each object's JSON text, as bytes

    Keyword Arguments:
        options {TransferOptions} -- batch limits and parallelism (default: {TransferOptions()})
        progress {callable} -- called as progress(done, total) with counts of objects (default: {None})
        path {str} -- the route (default: {'/objects'})

    Returns:
        list -- the server's placeholder dicts, one per object, in input order

    Raises:
        PayloadTooLargeError -- a single object is larger than the server accepts
        SpeckleError -- any other failure of a request (after the transport's retries)
    """
    opts = options or TransferOptions()
    results: list[Any] = [None] * len(encoded)
    uploader = Uploader(transport, path, list(encoded), results)
    with WorkQueue(opts.max_workers, len(encoded), progress) as queue:
        for start, end in plan_batches([len(item) for item in encoded], opts.batch_bytes, opts.batch_count):
            queue.submit(uploader.post, start, end)
        queue.join()
    return results


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many objects are built.

    Parsed JSON holds no reference cycles, but each collection walks every container built so
    far, which makes receiving a large model several times slower. Nested and concurrent uses
    are counted; the collector is enabled again (if it was) when the last one ends.

    What was built meanwhile is then moved to the oldest generation at once
    (``gc.freeze()`` then ``gc.unfreeze()``, which splice lists and walk nothing): otherwise
    the next young collections, at the caller's next allocations, would walk the whole model
    two or three times (about 1 s for 10^5 objects). Young objects of the rest of the program
    move with it, so cyclic garbage among them waits for the next full collection. Skipped
    when the application froze objects itself (``gc.unfreeze`` would release those too).
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                if gc.get_freeze_count() == 0:  # promote everything to the oldest generation
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()


#: Top-level keys whose string values repeat across the objects of a stream (same owner, same
#: save time, few types): received objects share one instance of each such value.
_SHARED_KEYS = ("owner", "createdAt", "updatedAt", "type")


def share_repeated_strings(items: list[Any], pool: dict[str, str], ids: Sequence[str] | None = None) -> None:
    """Make equal strings under :data:`_SHARED_KEYS` one object, and each ``_id`` the string
    of ``ids`` it equals (the ids requested, in the same order; strings are immutable, so
    nothing observable changes; a 100,000-object stream is ~30 MB smaller in memory).

    Objects of one answer mostly hold the same value (one owner, one save time): a value equal
    to the previous object's is replaced without a lookup.
    """
    intern = pool.setdefault
    last: list[Any] = [None] * len(_SHARED_KEYS)  # the previous object's values, already shared
    wanted_ids = ids if ids is not None else ()
    for position, item in enumerate(items):  # one pass: each fresh object is brought into the cache once
        if type(item) is not dict:
            continue
        for k, key in enumerate(_SHARED_KEYS):
            value = item.get(key)
            if value.__class__ is str:
                if value != last[k]:
                    last[k] = intern(value, value)
                item[key] = last[k]
        if position < len(wanted_ids):
            wanted = wanted_ids[position]
            if type(wanted) is str and item.get("_id") == wanted:
                item["_id"] = wanted


def chunks(count: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` ranges of at most ``size`` covering ``range(count)``."""
    for start in range(0, count, size):
        yield start, min(count, start + size)


def fetch_objects(
    transport: Transport,
    ids: Sequence[str],
    *,
    params: str | None = None,
    options: TransferOptions | None = None,
    progress: Progress | None = None,
    convert: Callable[[Any], Any] | None = None,
    on_fetched: Callable[[list[Any], Sequence[str]], Any] | None = None,
) -> list[Any]:
    """Fetch objects with ``POST /objects/getbulk`` in parallel chunks of ids.

    Arguments:
        transport {Transport} -- the client's transport
        ids {list} -- object ids (duplicates allowed)

    Keyword Arguments:
        params {str} -- an encoded query string (fields, omit, filters) (default: {None})
        options {TransferOptions} -- chunk size and parallelism (default: {TransferOptions()})
        progress {callable} -- called as progress(done, total) with counts of objects (default: {None})
        convert {callable} -- applied to each returned object in the worker (default: {None})
        on_fetched {callable} -- called in the worker with each answer's list of objects, as
            decoded, before ``convert``, and the ids asked for (default: {None})

    Returns:
        list -- one entry per id, in the order of ``ids``
    """
    opts = options or TransferOptions()
    results: list[Any] = [None] * len(ids)
    pool: dict[str, str] = {}

    def fetch(start: int, end: int) -> int:
        body = encode_object(list(ids[start:end]))
        answer = transport.request("POST", "/objects/getbulk", params=params, json_bytes=body, retry=True)
        resources = answer.get("resources") if isinstance(answer, dict) else None
        if not isinstance(resources, list) or len(resources) != end - start:
            got = len(resources) if isinstance(resources, list) else "no"
            raise SpeckleResponseError(
                f"the server answered {got} objects for {end - start} ids", method="POST", url="/objects/getbulk"
            )
        if convert is None:
            share_repeated_strings(resources, pool, ids[start:end])
        if on_fetched is not None:  # (right after: the objects are still in the CPU's cache)
            on_fetched(resources, ids[start:end])
        if convert is None:
            results[start:end] = resources
        else:
            results[start:end] = [convert(item) for item in resources]
        return end - start

    with gc_paused(), WorkQueue(opts.max_workers, len(ids), progress) as queue:
        for start, end in chunks(len(ids), opts.fetch_count):
            queue.submit(fetch, start, end)
        queue.join()
    return results
