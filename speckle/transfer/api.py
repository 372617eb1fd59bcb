"""``send`` and ``receive``: whole models in and out of streams, fast and in order.

What :func:`send` puts on the wire for each object is the object's compact JSON (keys in the
caller's order) plus its content ``hash`` (see :func:`~speckle.transfer.hash_object`); a ``hash`` the
object already carried is replaced, nothing else is added or dropped, and the caller's dicts and
models are never modified. Objects this user already sent to this server (according to the
:class:`~speckle.transfer.SentObjectCache`, which knows them by fingerprint) are not uploaded
again; placeholders (``{"type": "Placeholder", "_id": ...}``) and bare id strings are passed
through. A stream that already holds exactly what :func:`send` would write is not written again.
"""

from __future__ import annotations

import logging
import operator
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ormsgpack
import requests
import xxhash

from speckle._untrusted import preview, short_repr
from speckle.base.resource import as_payload, check_id, placeholder_ids
from speckle.errors import PayloadTooLargeError, SpeckleError, SpeckleInputError, SpeckleResponseError
from speckle.models.objects import DENIED_OBJECT_TEXT, DeniedObject, SpeckleObject, parse_object
from speckle.models.resources import Stream
from speckle.transfer.batching import (
    Progress,
    TransferOptions,
    Uploader,
    WorkQueue,
    fetch_objects,
    gc_paused,
)
from speckle.transfer.cache import SentObjectCache
from speckle.transfer.encoding import as_object, encode_object, fingerprints, sealed_batches
from speckle.transfer.freshness import StreamState, changed_since, count_is, object_versions, response_date, settled
from speckle.transfer.received import ReceivedObjectCache

if TYPE_CHECKING:
    from speckle.client import SpeckleApiClient

__all__ = ["SendResult", "ReceiveResult", "send_objects", "send", "receive"]

logger = logging.getLogger("speckle.transfer")

#: Objects hashed and looked up in the sent-object record at a time (small, so that uploads
#: start early and run while the next window is hashed).
_WINDOW = 5000
#: ``obj["_id"]`` and ``obj.get("type")``, for ``map`` over many objects
_ID = operator.itemgetter("_id")
_TYPE = operator.methodcaller("get", "type")
#: Stream keys a ``fields`` projection selects exactly (no paths, no separators).
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class SendResult:
    """What :func:`send` did.

    Attributes:
        stream_id {str} -- the stream created or updated (None for :func:`send_objects`)
        placeholders {list} -- ``{"type": "Placeholder", "_id": ...}`` dicts, one per object, in order
        uploaded {int} -- objects sent to the server
        reused {int} -- objects not sent because the server already had them (sent-object record)
        seconds {float} -- wall-clock time of the whole operation
        stream_unchanged {bool} -- the stream already held exactly this content, so it was not
            written again (its ``updatedAt`` is unchanged)
    """

    stream_id: str | None
    placeholders: list[dict[str, Any]]
    uploaded: int = 0
    reused: int = 0
    seconds: float = 0.0
    stream_unchanged: bool = False

    @property
    def object_ids(self) -> list[str]:
        """The ids of the objects, in order."""
        return [p["_id"] for p in self.placeholders]

    def __repr__(self) -> str:
        return (
            f"<SendResult stream_id={self.stream_id!r} objects={len(self.placeholders)} "
            f"uploaded={self.uploaded} reused={self.reused} seconds={self.seconds:.2f}"
            f"{' stream_unchanged=True' if self.stream_unchanged else ''}>"
        )


@dataclass
class ReceiveResult:
    """What :func:`receive` fetched.

    Attributes:
        stream {Stream} -- the stream's fields and layers (its ``objects`` left out: see below)
        objects {list} -- one object per entry of the stream, in stream order (duplicates
            repeated as the same instance): models, or plain dicts with ``raw=True``
        missing {list} -- indexes of objects the server did not deliver (deleted or unreadable;
            they are in ``objects`` as the server's stand-ins)
        seconds {float} -- wall-clock time of the whole operation
        fetched {list} -- the ids of the objects downloaded (each once)
        reused {int} -- distinct objects not downloaded: unchanged since the received-object
            record or the ``previous`` result held them
        raw {bool} -- whether ``objects`` are plain dicts
    """

    stream: Stream
    objects: list[Any]
    missing: list[int] = field(default_factory=list)
    seconds: float = 0.0
    fetched: list[str] = field(default_factory=list, repr=False)
    reused: int = 0
    raw: bool = False
    #: the id of each entry of ``objects``
    ids: list[str] = field(default_factory=list, repr=False)
    #: ``{object id: updatedAt}`` of the objects known to be current (what a later receive checks)
    versions: dict[str, str] = field(default_factory=dict, repr=False)
    #: what this receive learnt of the stream (a later receive checks it cheaply)
    _stream_state: StreamState | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.objects)

    def by_id(self, object_id: str) -> Any:
        """The object of this result with this id.

        Raises:
            KeyError -- no object of the result has this id
        """
        index = self._index().get(object_id)
        if index is None:
            raise KeyError(object_id)
        return self.objects[index]

    def _index(self) -> dict[str, int]:
        index: dict[str, int] | None = self.__dict__.get("_by_id")
        if index is None or len(index) > len(self.ids):
            index = {}
            for position, _id in enumerate(self.ids):
                index.setdefault(_id, position)
            self.__dict__["_by_id"] = index
        return index

    def __repr__(self) -> str:
        return (
            f"<ReceiveResult stream_id={short_repr(self.stream.streamId)} objects={len(self.objects)} "
            f"missing={len(self.missing)} fetched={len(self.fetched)} reused={self.reused} "
            f"seconds={self.seconds:.2f}>"
        )


def _placeholder_id(item: Any) -> str | None:
    if isinstance(item, str):
        if not item:
            raise SpeckleInputError("an object id must be a non-empty string")
        return item
    if isinstance(item, Mapping) and item.get("type") == "Placeholder":
        _id = item.get("_id")
        if isinstance(_id, str) and _id:
            return _id
        raise SpeckleInputError(f"a placeholder must carry an '_id': {dict(item)!r}")
    if isinstance(item, SpeckleObject) and item.is_placeholder and item.id:
        return item.id
    return None


def _as_dicts(objects: Sequence[Any], indexes: list[int], placeholders: list[Any]) -> tuple[list[int], list[Any]]:
    """The objects at ``indexes`` as dicts; id strings and placeholder models go to ``placeholders``."""
    kept: list[int] = []
    items: list[Any] = []
    for index in indexes:
        item = objects[index]
        known = None if type(item) is dict else _placeholder_id(item)
        if known is None:
            kept.append(index)
            items.append(as_object(item))
        else:
            placeholders[index] = {"type": "Placeholder", "_id": known}
    return kept, items


def _cache_scope(client: SpeckleApiClient) -> str:
    return SentObjectCache.scope(client.server_url, client.me.id if client.me is not None else None)


def send_objects(
    client: SpeckleApiClient,
    objects: Sequence[Any],
    *,
    use_cache: bool = True,
    progress: Progress | None = None,
    options: TransferOptions | None = None,
) -> SendResult:
    """Save objects on the server, hashed, de-duplicated and batched; make no stream.

    Objects are hashed and looked up in windows of 5,000, and each window's batches are
    uploaded while the next window is hashed.

    Arguments:
        client {SpeckleApiClient} -- a logged-in client
        objects {list} -- dicts or models of Speckle objects; placeholders and id strings pass through

    Keyword Arguments:
        use_cache {bool} -- skip objects the sent-object record says the server has (default: {True})
        progress {callable} -- called as progress(done, total) with counts of objects (default: {None})
        options {TransferOptions} -- batches and parallelism (default: {client.transfer_options})

    Returns:
        SendResult -- the placeholders in input order (``stream_id`` is None)

    Raises:
        SpeckleInputError -- an entry is not an object, or cannot be represented in JSON
        SpeckleError -- a request failed (nothing is recorded for the objects it carried)
    """
    started = time.perf_counter()
    if isinstance(objects, (str, bytes, Mapping)) or not isinstance(objects, Sequence):
        raise SpeckleInputError(f"objects must be a list of objects, got {type(objects).__name__}")
    opts = options or client.transfer_options
    cache = client.transfer_cache if use_cache else None
    scope = _cache_scope(client)
    total = len(objects)
    placeholders: list[Any] = [None] * total
    windows: list[tuple[list[int], list[Any]]] = []
    runs: list[tuple[list[int], list[str]]] = []  # windows to record whole: (indexes, keys)
    uploaded = reused = 0
    too_large: int | None = None
    failed = True
    try:
        with gc_paused(), WorkQueue(opts.max_workers, total, progress) as queue:
            for first in range(0, total, _WINDOW):
                stop = min(total, first + _WINDOW)
                indexes = list(range(first, stop))
                items = objects[first:stop] if type(objects) is list else [objects[i] for i in indexes]
                passed = 0
                if set(map(type, items)) != {dict}:  # models, mappings, id strings: made dicts first
                    indexes, items = _as_dicts(objects, indexes, placeholders)
                    passed = stop - first - len(indexes)
                keys = fingerprints(items) if cache is not None else []  # the record's keys only
                known_ids: list[str | None] | None = None
                if cache is not None:
                    known_ids = cache.find_run(scope, keys)  # the same objects, in the same order, as before
                    if known_ids is not None and len(indexes) == stop - first:  # every object known
                        placeholders[first:stop] = [{"type": "Placeholder", "_id": i} for i in known_ids]
                        reused += len(items) - [item.get("type") for item in items].count("Placeholder")
                        queue.advance(stop - first)
                        continue
                    if known_ids is None:
                        runs.append((indexes, keys))
                        known_ids = cache.find(scope, keys, expected=total)
                keep: list[int] = []
                # the usual first send: no placeholder, nothing known, every object uploaded
                all_new = "Placeholder" not in list(map(_TYPE, items)) and (
                    known_ids is None or known_ids.count(None) == len(known_ids)
                )
                for position, index in enumerate(() if all_new else indexes):
                    item = items[position]
                    object_id = known_ids[position] if known_ids is not None else None
                    if item.get("type") == "Placeholder":  # passed through
                        placeholders[index] = {"type": "Placeholder", "_id": _placeholder_id(item)}
                        passed += 1
                    elif object_id is not None:
                        placeholders[index] = {"type": "Placeholder", "_id": object_id}
                        reused += 1
                        passed += 1
                    else:
                        keep.append(position)
                if not all_new and len(keep) < len(items):
                    indexes = [indexes[p] for p in keep]
                    keys = [keys[p] for p in keep] if keys else keys
                    items = [items[p] for p in keep]
                queue.advance(passed)
                if not items:
                    continue
                batches = sealed_batches(items, opts.batch_bytes, opts.batch_count)
                results: list[Any] = [None] * len(items)
                uploaded += len(items)
                del items
                uploader = Uploader(client.transport, "/objects", [], results, _checker(results))
                uploader.too_large = too_large
                while batches:
                    queue.submit(uploader.post_batch, *batches.pop(0))  # each body released once sent
                windows.append((indexes, results, keys))
                too_large = uploader.too_large
            queue.join()
        failed = False
    finally:
        if cache is not None and failed:  # what was saved is recorded, even when a later batch failed
            cache.record(scope, (
                (key, answer["_id"])
                for _, results, keys in windows
                for key, answer in zip(keys, results, strict=True)
                if isinstance(answer, dict) and type(answer.get("_id")) is str
            ))
    for indexes, results, _ in windows:
        if indexes and indexes[-1] - indexes[0] == len(indexes) - 1 == len(results) - 1:  # a whole window
            placeholders[indexes[0] : indexes[-1] + 1] = [{"type": "Placeholder", "_id": i} for i in map(_ID, results)]
            continue
        for index, answer in zip(indexes, results, strict=True):
            placeholders[index] = {"type": "Placeholder", "_id": answer["_id"]}
    if cache is not None and runs:
        cache.record_runs(scope, ((keys, [placeholders[i]["_id"] for i in indexes]) for indexes, keys in runs))
    return SendResult(None, placeholders, uploaded, reused, time.perf_counter() - started)


def _checker(results: list[Any]) -> Callable[[int, int], None]:
    """Check the placeholders of each saved range (while other ranges upload).

    They are recorded in the sent-object record at the end of the transfer, in runs (one row
    per run of objects), or one by one if the transfer fails.
    """

    def saved(start: int, end: int) -> None:
        try:
            ids = list(map(_ID, results[start:end]))
        except (TypeError, KeyError, IndexError):
            ids = []
        if len(ids) != end - start or set(map(type, ids)) != {str}:
            bad = next((a for a in results[start:end] if not isinstance(a, Mapping) or type(a.get("_id")) is not str),
                       None)
            raise SpeckleResponseError(f"the server gave an object no id: {preview(bad)}")

    return saved


def send(
    client: SpeckleApiClient,
    objects: Sequence[Any],
    *,
    name: str | None = None,
    stream_id: str | None = None,
    layers: list[Any] | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    options: TransferOptions | None = None,
    **fields: Any,
) -> SendResult:
    """Send a model: save its objects (see :func:`send_objects`), then create or update a stream.

    Arguments:
        client {SpeckleApiClient} -- a logged-in client
        objects {list} -- dicts or models of Speckle objects; placeholders and id strings pass through

    Keyword Arguments:
        name {str} -- the stream's name (default: {None}: the server's default, or unchanged)
        stream_id {str} -- update this stream (its objects are replaced) instead of creating one
        layers {list} -- the stream's layers, stored as given (default: {None}: none sent)
        use_cache {bool} -- skip objects the sent-object record says the server has (default: {True})
        progress {callable} -- called as progress(done, total) with counts of objects (default: {None})
        options {TransferOptions} -- batches and parallelism (default: {client.transfer_options})
        fields -- any other stream fields (``description``, ``tags``, ``private``...)

    Returns:
        SendResult -- the stream id and the placeholders in input order
    """
    started = time.perf_counter()
    if stream_id is not None:
        check_id(stream_id, "stream id")
    if "objects" in fields or "streamId" in fields:
        raise SpeckleInputError("pass the objects as the first argument and the stream as stream_id=")
    with gc_paused():  # nothing here makes reference cycles; collections would walk the model again and again
        return _send(client, objects, started, name, stream_id, layers, use_cache, progress, options, fields)


def _send(
    client: SpeckleApiClient,
    objects: Sequence[Any],
    started: float,
    name: str | None,
    stream_id: str | None,
    layers: list[Any] | None,
    use_cache: bool,
    progress: Progress | None,
    options: TransferOptions | None,
    fields: dict[str, Any],
) -> SendResult:
    result = send_objects(client, objects, use_cache=use_cache, progress=progress, options=options)
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    body.update(fields)
    if layers is not None:
        body["layers"] = as_payload(list(layers), "layer")
    body["objects"] = result.placeholders
    cache = client.transfer_cache if use_cache else None
    scope = _cache_scope(client)
    values = _field_fingerprints(body) if cache is not None else {}
    if stream_id is not None and cache is not None and _stream_holds(client, cache, scope, stream_id, values):
        result.stream_unchanged = True
    else:
        data = encode_object(body)
        try:
            stream_id, created = _save_stream(client, stream_id, data)
        except PayloadTooLargeError as exc:
            exc.message = (
                f"the objects were saved, but the stream's list of {len(result.placeholders)} placeholders "
                f"({len(data)} bytes of JSON) is larger than the server accepts: split the model into several "
                f"streams ({exc.message})"
            )
            exc.args = (exc.message,)
            raise
        if cache is not None:
            _record_stream(client, cache, scope, stream_id, values, body, created)
    result.stream_id = stream_id
    result.seconds = time.perf_counter() - started
    logger.info("sent %d objects to stream %s (%d uploaded, %d already on the server%s) in %.2fs",
                len(result.placeholders), stream_id, result.uploaded, result.reused,
                "; stream unchanged" if result.stream_unchanged else "", result.seconds)
    return result


def _field_fingerprints(body: dict[str, Any]) -> dict[str, str]:
    """A fingerprint of each field's value (the objects by their ids)."""
    out = {}
    for name, value in body.items():
        text = encode_object([p["_id"] for p in value] if name == "objects" else value)
        out[name] = xxhash.xxh3_128_hexdigest(text)
    return out


def _stream_holds(
    client: SpeckleApiClient, cache: SentObjectCache, scope: str, stream_id: str, values: dict[str, str]
) -> bool:
    """True when the stream holds these values, as send wrote them last, and nobody wrote since.

    The record says which values (by fingerprint) send wrote and the stream's ``updatedAt`` just
    after; the server changes ``updatedAt`` on every write, so an equal one means no write since.
    """
    state = cache.stream_state(scope, stream_id)
    if state is None or any(state[0].get(name) != key for name, key in values.items()):
        return False
    try:
        answer = client.transport.request("GET", f"/streams/{stream_id}", params=[("fields", "updatedAt")])
    except SpeckleError as exc:  # the write that follows reports what is wrong
        logger.debug("could not read stream %s before writing it: %s", stream_id, exc)
        return False
    resource = answer.get("resource") if isinstance(answer, dict) else None
    return isinstance(resource, dict) and resource.get("updatedAt") == state[1]


def _record_stream(
    client: SpeckleApiClient,
    cache: SentObjectCache,
    scope: str,
    stream_id: str,
    values: dict[str, str],
    body: dict[str, Any],
    created: dict[str, Any] | None = None,
) -> None:
    """Record the stream's ``updatedAt`` if the stream holds exactly what was written.

    A new stream is judged by the answer to its creation (``created``): the saved document, with
    the ``updatedAt`` of that write, so any later write shows as another ``updatedAt``. Otherwise
    the stream is read back (rather than trusting the write), which makes sure no other write
    came in between. Either way the stream's objects and every field sent must be as written, or
    nothing is recorded (v1 servers show some values differently from how they store them, such
    as empty ``layers`` when read).
    """
    cache.forget_stream(scope, stream_id)
    others = [name for name in body if name != "objects"]
    if created is not None and _holds(created, body, values, others):
        cache.record_stream(scope, stream_id, values, created["updatedAt"])
        return
    if not all(_FIELD_NAME.fullmatch(name) for name in others):
        return  # a projection could not select these keys exactly
    path = f"/streams/{stream_id}"
    try:
        # the standard library's parser: a stream's placeholders are small strings, and orjson
        # would reserve about twelve times the answer's size while parsing it
        answer = client.transport.request(
            "GET", path, params=[("fields", ",".join(["objects", "updatedAt", *others]))], lean=True
        )
    except SpeckleError as exc:
        logger.debug("could not read stream %s back: %s", stream_id, exc)
        return
    resource = answer.get("resource") if isinstance(answer, dict) else None
    if isinstance(resource, dict) and _holds(resource, body, values, others):
        cache.record_stream(scope, stream_id, values, resource["updatedAt"])


def _holds(resource: dict[str, Any], body: dict[str, Any], values: dict[str, str], others: list[str]) -> bool:
    """True when a stream as the server gave it holds the objects and fields of ``body``."""
    if not isinstance(resource.get("updatedAt"), str):
        return False
    entries = resource.get("objects")
    if not isinstance(entries, list) or len(entries) != len(body["objects"]):
        return False
    try:
        if list(map(_ID, entries)) != list(map(_ID, body["objects"])):
            return False
    except (TypeError, KeyError):
        return False
    back = _field_fingerprints({name: resource.get(name) for name in others})
    return all(back[name] == values[name] for name in others)


def _save_stream(client: SpeckleApiClient, stream_id: str | None, data: bytes) -> tuple[str, dict[str, Any] | None]:
    """Create the stream (``stream_id`` None) or replace its fields; the stream's id, and the
    new stream as the server's answer shows it (None for an update)."""
    if stream_id is None:
        # the answer holds the stream's placeholders: parsed lean (see _record_stream)
        answer = client.transport.request("POST", "/streams", json_bytes=data, lean=True)
        resource = answer.get("resource") if isinstance(answer, dict) else None
        stream_id = resource.get("streamId") if isinstance(resource, dict) else None
        if not isinstance(stream_id, str):
            raise SpeckleResponseError("the server's answer names no new stream", method="POST", url="/streams")
        return stream_id, resource
    client.transport.request("PUT", f"/streams/{check_id(stream_id, 'stream id')}", json_bytes=data)
    return stream_id, None


def receive(
    client: SpeckleApiClient,
    stream_id: str,
    *,
    raw: bool = False,
    use_cache: bool = True,
    previous: ReceiveResult | None = None,
    progress: Progress | None = None,
    options: TransferOptions | None = None,
) -> ReceiveResult:
    """Fetch a stream and all its objects, in stream order, with parallel ``getbulk`` requests.

    Each distinct object is fetched once (a stream listing an object twice gets the same
    instance twice). Objects held in the received-object record
    (:class:`~speckle.transfer.ReceivedObjectCache`) at the version the server has now are
    not downloaded again. Three small requests, whatever the stream's size, tell what changed
    since the stream was last received (:mod:`speckle.transfer.freshness`): whether the stream
    was written, which of its objects changed since (v1 servers change ``updatedAt`` whenever
    an object is changed in place), and whether they all still exist; only the objects that are
    new, changed or gone are asked for. A deleted object is never served from the record: it
    is reported in ``missing``, as without the record. With ``previous``, its unchanged objects
    are reused as they are: the fastest way to receive a stream again (what
    :meth:`~speckle.SpeckleApiClient.follow` does).

    Arguments:
        client {SpeckleApiClient} -- a client (anonymous for public streams)
        stream_id {str} -- the stream's streamId

    Keyword Arguments:
        raw {bool} -- give plain dicts instead of models: faster and smaller (default: {False})
        use_cache {bool} -- take unchanged objects from the received-object record, and record
            what is downloaded (default: {True})
        previous {ReceiveResult} -- an earlier result of the same stream: its objects that are
            unchanged are reused as they are (the same instances, not copies) (default: {None})
        progress {callable} -- called as progress(done, total) with counts of distinct objects (default: {None})
        options {TransferOptions} -- chunk size and parallelism (default: {client.transfer_options})

    Returns:
        ReceiveResult -- the stream (without ``objects``) and its objects
    """
    with gc_paused():  # parsed JSON and decoded objects hold no cycles; collections would walk them all
        return _receive(client, stream_id, raw, use_cache, previous, progress, options)


def _receive(
    client: SpeckleApiClient,
    stream_id: str,
    raw: bool,
    use_cache: bool,
    previous: ReceiveResult | None,
    progress: Progress | None,
    options: TransferOptions | None,
) -> ReceiveResult:
    started = time.perf_counter()
    path = f"/streams/{check_id(stream_id, 'stream id')}"
    transport = client.transport
    cache = client.received_cache if use_cache else None
    scope = _cache_scope(client)
    if previous is not None and (previous.raw != raw or previous.stream.streamId != stream_id):
        previous = None
    priors: list[StreamState] = []  # what earlier receives learnt of the stream
    held_state = previous._stream_state if previous is not None else None
    if held_state is not None:
        priors.append(held_state)
    on_record: StreamState | None = None  # the state the record holds
    if cache is not None:
        try:
            recorded = cache.stream(scope, stream_id, unless=held_state.stamp if held_state is not None else None)
        except sqlite3.Error as exc:  # a cache: without it, everything is downloaded
            logger.warning("the received-object record cannot be read (%s); receiving without it", exc)
            recorded, cache = None, None
        if recorded is not None and recorded[1] is None:  # still the state of `previous`: not read again
            on_record = held_state
        elif recorded is not None:
            on_record = StreamState.unpack(recorded[0], recorded[1])
            if on_record is not None:
                on_record.stamp = recorded[2]
                priors.append(on_record)
    dates: list[str | None] = []

    def date_of(response: requests.Response) -> None:
        dates.append(response_date(response))

    # 1. the stream: its fields and ids are reused when its updatedAt is unchanged
    baseline: StreamState | None = priors[0] if priors else None  # verifies the objects held
    same: StreamState | None = None
    if priors:
        answer = transport.request("GET", path, params=[("fields", "updatedAt")], on_response=date_of)
        head = answer.get("resource") if isinstance(answer, dict) else None
        updated_at = head.get("updatedAt") if isinstance(head, dict) else None
        same = next((p for p in priors if p.updated_at and p.updated_at == updated_at), None)
    if same is not None:
        resource, ids = dict(same.resource), list(same.ids)  # (a copy: ``result.ids`` is the caller's)
    else:
        answer = transport.request("GET", path, on_response=date_of)
        resource = answer.get("resource") if isinstance(answer, dict) else None
        if not isinstance(resource, dict):
            raise SpeckleResponseError("the server's answer holds no stream", method="GET", url=path)
        entries = resource.pop("objects", None)
        ids = [] if entries is None else placeholder_ids(entries, "stream objects", method="GET", url=path)
        del entries, answer
    # a server time before any object is read or checked (the Date of the first answer)
    server_time = dates[0] if dates else None
    stream = Stream.from_data(resource)
    distinct = same.distinct() if same is not None else list(dict.fromkeys(ids))

    # 2. the objects held that are still current: those of the last check, minus the changed
    base: list[Any] | None = None  # `previous.objects` when it has the same ids: reused in place
    stale: set[str] = set()  # (with `base`) ids not reused: changed since, or never settled
    known: dict[str, Any] = {}  # (otherwise) objects not downloaded: from `previous` or the record
    versions: dict[str, str] = {}  # the settled version of each object reused or downloaded
    runs: list[int] = []  # the record's runs holding objects of the stream
    dropped: list[int] = []  # runs of the last state no longer needed
    if baseline is not None and distinct:
        same_ids = previous is not None and baseline is previous._stream_state and previous.ids == ids
        candidates = None if same_ids else set(baseline.ids).intersection(distinct).difference(baseline.gone)
        changed = changed_since(transport, stream_id, baseline.checked) if same_ids or candidates else None
        if changed is not None and same_ids and previous is not None:
            held = previous.versions
            base, versions = previous.objects, dict(held)
            stale = {i for i, v in changed.items() if i in held and held[i] != v}
            if len(held) < len(distinct):  # stand-ins and objects too recent to be settled
                stale.update(i for i in distinct if i not in held)
            for _id in stale:
                versions.pop(_id, None)
        elif changed is not None and candidates:
            if previous is not None:
                held = previous.versions
                keep = candidates.intersection(held)
                keep.difference_update([i for i, v in changed.items() if i in keep and held[i] != v])
                if keep:
                    shared = dict(zip(previous.ids, previous.objects, strict=False))
                    known = {i: shared[i] for i in keep}
                    versions = {i: held[i] for i in keep}
                    del shared
            if cache is not None and baseline.runs:
                try:
                    held_items, held_versions, kept, compact = _from_runs(cache, scope, baseline.runs, candidates,
                                                                          changed)
                except sqlite3.Error as exc:
                    logger.warning("the received-object record cannot be read (%s); downloading", exc)
                    held_items, held_versions, kept, compact = {}, {}, [], False
                if compact:  # most of the runs' entries are stale: keep the live ones in fresh runs
                    runs = _compacted(cache, scope, held_items, held_versions)
                else:
                    runs = kept
                if known:  # (objects of `previous` stay the same instances)
                    held_items = {i: o for i, o in held_items.items() if i not in known}
                if not raw:
                    held_items = {i: parse_object(o) for i, o in held_items.items()}
                if known:
                    known.update(held_items)
                    versions.update((i, held_versions[i]) for i in held_items)
                else:
                    known, versions = held_items, held_versions
                live = set(runs)
                dropped = [r for r in baseline.runs if r not in live]
                del held_items, held_versions
        if base is not None:
            runs = list(baseline.runs)

    # 3. download the others
    if base is not None:
        to_fetch = [i for i in distinct if i in stale] if stale else []
        held_count = len(distinct) - len(stale)
    elif known:
        to_fetch = [] if len(known) == len(distinct) else [i for i in distinct if i not in known]
        held_count = len(known)
    else:
        to_fetch, held_count = distinct, 0
    fetched, recorded, gone = _download(client, to_fetch, raw, cache, scope, server_time, progress,
                                        len(distinct) - len(to_fetch), len(distinct), options, runs)

    # 4. a deleted object lowers the count of the stream's objects: check it, and if it is off,
    # list every object's version to find out which (and any other change) and fetch those again
    unreadable = [i for i in baseline.unreadable if i in gone] if baseline is not None else []
    if held_count:
        expected = held_count + len(to_fetch) - len(gone) + len(unreadable)
        if count_is(transport, stream_id, expected) is not True:
            current = object_versions(transport, stream_id)
            held_ids = set(distinct).difference(to_fetch)
            again = [i for i in held_ids if current is None or current.get(i) != versions.get(i)]
            logger.debug("stream %s: %d objects held are gone or changed", stream_id, len(again))
            for _id in again:
                known.pop(_id, None)
                versions.pop(_id, None)
            more, more_recorded, more_gone = _download(client, again, raw, cache, scope, server_time, None, 0, 0,
                                                       options, runs)
            to_fetch, fetched = to_fetch + again, fetched + more
            recorded += more_recorded
            gone |= more_gone
            unreadable = [i for i in gone if current is not None and i in current]

    # 5. the objects in stream order
    if base is not None:
        objects = list(base)
        if to_fetch:
            replaced = dict(zip(to_fetch, fetched, strict=True))
            for position, _id in enumerate(ids):
                if _id in replaced:
                    objects[position] = replaced[_id]
    elif known:
        by_id = dict(zip(to_fetch, fetched, strict=True))
        by_id.update(known)
        objects = list(map(by_id.__getitem__, ids))
    elif len(distinct) == len(ids) and to_fetch is distinct:
        objects = fetched
    else:
        by_id = dict(zip(to_fetch, fetched, strict=True))
        objects = list(map(by_id.__getitem__, ids))
    del fetched
    missing = [i for i, _id in enumerate(ids) if _id in gone] if gone else []
    versions.update(recorded)
    state: StreamState | None = None
    if server_time is not None:
        stream_version = resource.get("updatedAt")
        state = StreamState(stream_version if settled(stream_version, server_time) else "",
                            resource, ids, server_time, unreadable, runs=runs, gone=sorted(gone),
                            unique_ids=same.unique_ids if same is not None else None)  # (same ids)
        if cache is not None:
            _record_state(cache, scope, stream_id, state, on_record, dropped)
    if missing:
        logger.warning("stream %s: %d objects could not be read (deleted or private)", stream_id, len(missing))
        if client.transfer_cache is not None:  # do not offer these ids to later sends
            client.transfer_cache.forget_ids(scope, gone)
    result = ReceiveResult(stream, objects, missing, time.perf_counter() - started)
    result.raw = raw
    result.versions = versions
    result._stream_state = state
    result.fetched = to_fetch
    result.reused = len(distinct) - len(to_fetch)
    result.ids = ids
    logger.info("received %d objects of stream %s (%d downloaded, %d unchanged and not downloaded) in %.2fs",
                len(objects), stream_id, len(to_fetch), result.reused, result.seconds)
    return result


def _record_state(cache: ReceivedObjectCache, scope: str, stream_id: str, state: StreamState,
                  on_record: StreamState | None, dropped: list[int]) -> None:
    """Record what this receive learnt of the stream (``state.stamp`` set), unless the record
    says it already: then a check from the record's older time finds the same changes."""
    try:
        if on_record is not None and on_record.stamp is not None and not dropped and state.same_content(on_record):
            state.stamp = cache.touch_stream(scope, stream_id, on_record.stamp)
        else:
            state.stamp = cache.store_stream(scope, stream_id, state.updated_at, state.pack(), dropped)
    except (TypeError, ormsgpack.MsgpackEncodeError):
        pass
    except sqlite3.Error as exc:  # (busy past its timeout, disk full...): the next receive checks more
        logger.warning("could not record the state of stream %s: %s", stream_id, exc)


def _download(
    client: SpeckleApiClient,
    ids: list[str],
    raw: bool,
    cache: ReceivedObjectCache | None,
    scope: str,
    server_time: str | None,
    progress: Progress | None,
    done: int,
    total: int,
    options: TransferOptions | None,
    runs: list[int],
) -> tuple[list[Any], list[tuple[str, str]], set[str]]:
    """Fetch objects (``getbulk``), recording the settled ones as their answers arrive (one run
    of the record per answer; the keys of the runs are added to ``runs``).

    Returns:
        tuple -- the objects in the order of ``ids``, ``(id, updatedAt)`` of those settled, and
        the ids delivered as the server's stand-ins (deleted or unreadable objects)
    """
    gone: set[str] = set()
    recorded: list[tuple[str, str]] = []
    verdicts: dict[str, bool] = {}  # objects saved together share one ``updatedAt``: test each once
    lock = threading.Lock()

    def record(items: list[Any], asked: Sequence[str]) -> None:
        """Keep the settled versions of fetched objects and record them, and note the stand-ins
        (in the worker, while other answers are on their way; a stand-in has no ``updatedAt``)."""
        if server_time is None:
            return
        good_ids: list[str] = []
        good_versions: list[str] = []
        good: list[Any] = []
        denied: list[str] = []
        for item, wanted in zip(items, asked, strict=True):
            if type(item) is not dict:
                continue
            _id, version = item.get("_id"), item.get("updatedAt")
            if type(version) is not str:
                if _is_denied(item):
                    denied.append(wanted)
                continue
            if type(_id) is not str:
                continue
            ok = verdicts.get(version)
            if ok is None:
                ok = verdicts[version] = settled(version, server_time)
            if ok:
                good_ids.append(_id)
                good_versions.append(version)
                good.append(item)
        run = None
        if cache is not None and good:
            run = _store_run(cache, scope, good_ids, good_versions, good)
        with lock:
            recorded.extend(zip(good_ids, good_versions, strict=True))
            gone.update(denied)
            if run is not None:
                runs.append(run)

    if progress is not None and done:
        progress(done, total)
    fetched = fetch_objects(
        client.transport,
        ids,
        options=options or client.transfer_options,
        progress=None if progress is None else (lambda d, t: progress(d + done, done + t)),
        convert=None if raw else parse_object,
        on_fetched=record if server_time is not None else None,
    ) if ids else []
    if server_time is None:  # (otherwise noted as the answers came)
        gone.update(_stand_ins(ids, fetched, raw))
    return fetched, recorded, gone


def _store_run(cache: ReceivedObjectCache, scope: str, ids: list[str], versions: list[str],
               items: list[Any]) -> int | None:
    """Record objects as one run (written by the record's own thread); None when they cannot
    be encoded (e.g. an integer over 64 bits: such objects are left out)."""
    try:
        data = ormsgpack.packb(items)
    except (TypeError, ormsgpack.MsgpackEncodeError):
        kept = []
        for entry in zip(ids, versions, items, strict=True):
            try:
                ormsgpack.packb(entry[2])
            except (TypeError, ormsgpack.MsgpackEncodeError):
                continue
            kept.append(entry)
        if not kept:
            return None
        ids, versions, items = (list(column) for column in zip(*kept, strict=True))
        data = ormsgpack.packb(items)
    return cache.store_run(scope, ormsgpack.packb(ids), ormsgpack.packb(versions), data, len(ids), wait=False)


#: Objects per run when the live objects of a stream's runs are written again (compaction).
_COMPACT_RUN = 5000
#: Stale entries (objects changed since) a stream's runs may hold beyond half its live ones.
_COMPACT_SLACK = 1000


def _from_runs(
    cache: ReceivedObjectCache, scope: str, run_ids: list[int], wanted: set[str], changed: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str], list[int], bool]:
    """The objects of ``wanted`` held in the record's runs, at their newest version, unless
    ``changed`` names another version.

    Returns:
        tuple -- ``{id: object}``, ``{id: updatedAt}``, the runs that hold any of them, and
        whether most entries of those runs are stale (time to write the live ones again)
    """
    items: dict[str, Any] = {}
    versions: dict[str, str] = {}
    origin: dict[str, int] = {}  # the run each object is taken from
    counts: dict[int, int] = {}  # objects taken from each run
    sizes: dict[int, int] = {}
    for run_id, row in cache.iter_runs(scope, run_ids):  # (each run's bytes freed once decoded)
        try:
            ids, stamps, content = (ormsgpack.unpackb(part) for part in row)
        except ormsgpack.MsgpackDecodeError:
            continue
        del row
        if (type(ids) is not list or type(stamps) is not list or type(content) is not list
                or not len(ids) == len(stamps) == len(content)):
            continue
        sizes[run_id] = len(ids)
        if (wanted.issuperset(ids) and versions.keys().isdisjoint(ids)
                and set(map(type, stamps)) == {str}):  # the usual run: taken whole, then the changed dropped
            items.update(zip(ids, content, strict=True))
            versions.update(zip(ids, stamps, strict=True))
            origin.update(dict.fromkeys(ids, run_id))
            present = set(ids)
            count = len(present)
            for _id in changed.keys() & present:
                if changed[_id] != versions[_id]:
                    del items[_id], versions[_id], origin[_id]
                    count -= 1
            counts[run_id] = count
            continue
        counts[run_id] = 0
        for _id, version, item in zip(ids, stamps, content, strict=True):
            if _id not in wanted or type(version) is not str or changed.get(_id, version) != version:
                continue
            held = versions.get(_id)
            if held is not None:
                if version < held:
                    continue
                counts[origin[_id]] -= 1
            items[_id] = item
            versions[_id] = version
            origin[_id] = run_id
            counts[run_id] += 1
    kept = [r for r in run_ids if counts.get(r)]
    live = len(items)
    stale = sum(sizes[r] for r in kept) - live
    return items, versions, kept, stale > live // 2 + _COMPACT_SLACK


def _compacted(cache: ReceivedObjectCache, scope: str, items: dict[str, Any], versions: dict[str, str]) -> list[int]:
    """Write the live objects of a stream's runs again, as fresh runs; their keys."""
    runs: list[int] = []
    ids = list(items)
    for start in range(0, len(ids), _COMPACT_RUN):
        part = ids[start:start + _COMPACT_RUN]
        run = _store_run(cache, scope, part, [versions[i] for i in part], [items[i] for i in part])
        if run is not None:
            runs.append(run)
    return runs


def _stand_ins(ids: list[str], fetched: list[Any], raw: bool) -> set[str]:
    """The ids whose object came back as the server's stand-in (deleted or unreadable)."""
    if raw:  # one cheap test first: a stand-in is a "String"
        return {_id for _id, obj in zip(ids, fetched, strict=True)
                if type(obj) is dict and obj.get("type") == "String" and _is_denied(obj)}
    return {_id for _id, obj in zip(ids, fetched, strict=True) if isinstance(obj, DeniedObject)}


def _is_denied(obj: Any) -> bool:
    if isinstance(obj, SpeckleObject):
        return isinstance(obj, DeniedObject)
    return (
        isinstance(obj, dict)
        and obj.get("type") == "String"
        and obj.get("value") == DENIED_OBJECT_TEXT
        and "owner" not in obj
    )
