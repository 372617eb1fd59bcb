"""Objects: create, read, update, derive and delete Speckle objects, one or many at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from speckle._untrusted import preview
from speckle.base.resource import (
    CommentsMixin,
    DeleteMixin,
    GetMixin,
    UpdateMixin,
    as_payload,
    check_id,
    placeholder_ids,
)
from speckle.errors import SpeckleInputError, SpeckleResponseError
from speckle.models.objects import Placeholder, SpeckleObject, parse_object, placeholders_of
from speckle.query import Query, encode_query
from speckle.transfer.batching import Progress, TransferOptions, Uploader, WorkQueue, fetch_objects, gc_paused
from speckle.transfer.encoding import as_object, json_batches

__all__ = ["Resource", "SpeckleObject"]

#: Objects written to JSON at a time by :meth:`Resource.create` (their batches upload meanwhile).
_WINDOW = 5000


class Resource(GetMixin, UpdateMixin, DeleteMixin, CommentsMixin):
    """API Access class for Speckle Objects

    Objects are returned as instances of their geometry class (``Point``, ``Mesh``...),
    all :class:`~speckle.models.SpeckleObject` subclasses.
    """

    path = "/objects"
    model = SpeckleObject
    comment_type = "object"
    noun = "object"
    #: Batches and parallelism of :meth:`create` and :meth:`get_bulk` (the client sets its own).
    transfer_options: TransferOptions = TransferOptions()

    def _one(self, payload: Any, model: Any = None) -> Any:
        if model is not None:
            return super()._one(payload, model)
        data = self._field(payload, "resource")
        return parse_object(data).mark_as_read(data)

    def list(self, query: Query | None = None) -> list[SpeckleObject]:
        """List all Speckle objects

        v1 servers have no route listing every object; this lists the objects of every
        stream the user owns or shares, each object once, in stream order.

        Keyword Arguments:
            query {dict|str} -- filters and projection applied to each stream's objects

        Returns:
            list -- A list of Speckle object data class instances
        """
        streams = self._field(self._request("GET", "/streams", query={"fields": "streamId"}), "resources")
        if not isinstance(streams, list):
            raise SpeckleResponseError(f"the server's stream list is not a list: {preview(streams)}")
        seen: set[str] = set()
        out: list[SpeckleObject] = []
        for stream in streams:
            stream_id = stream.get("streamId") if isinstance(stream, Mapping) else None
            if not isinstance(stream_id, str) or not stream_id:
                raise SpeckleResponseError(f"the server listed a stream without a streamId: {preview(stream)}")
            path = f"/streams/{_server_id(stream_id)}/objects"
            items = self._field(self._request("GET", path, query=query), "resources")
            if not isinstance(items, list):
                raise SpeckleResponseError(f"the objects of stream {stream_id!r} are not a list: {preview(items)}")
            for item in items:
                key = item.get("_id") if isinstance(item, Mapping) else None
                if not isinstance(key, (str, int, float, bool, type(None))):
                    key = None  # an unhashable id: kept, not de-duplicated
                if key is None or key not in seen:
                    if key is not None:
                        seen.add(key)
                    out.append(parse_object(item))
        return out

    def create(
        self, data: Any, *, raw: bool = False, progress: Progress | None = None
    ) -> Placeholder | list[Placeholder] | dict[str, Any] | list[dict[str, Any]]:
        """Create Speckle objects

        The server saves each object (computing its ``hash`` when missing and reusing an
        existing object with the same hash) and answers with placeholders. The objects are sent
        exactly as given. A list of any length is cut into batches (``client.transfer_options``:
        ``batch_bytes``, ``batch_count``) sent in parallel (``max_workers``); a batch the server
        refuses as too large (HTTP 413) is split and sent again. To hash objects on the client
        and skip the ones already sent, use ``client.send``.

        Arguments:
            data {dict|list} -- A dictionary describing a Speckle object, or a list of them

        Keyword Arguments:
            raw {bool} -- return plain placeholder dicts, much faster for big lists (default: {False})
            progress {callable} -- called as progress(done, total) with counts of objects (default: {None})

        Returns:
            Placeholder|list -- the placeholder of the created object, or one placeholder per
            object of the list, in the same order

        Raises:
            PayloadTooLargeError -- a single object is larger than the server accepts
        """
        if isinstance(data, (Mapping, SpeckleObject)):
            return self._create_many([data], raw, progress)[0]
        if not isinstance(data, (list, tuple)):
            raise SpeckleInputError(f"object must be a dict or a Speckle model, got {type(data).__name__}")
        return self._create_many(data, raw, progress)

    def _create_many(self, payload: Sequence[Any], raw: bool, progress: Progress | None) -> list[Any]:
        # written window by window while earlier batches upload: the JSON of the whole list is
        # never held at once; each answer is checked (and made models) as it arrives, in the worker
        opts = self.transfer_options
        total = len(payload)
        results: list[Any] = [None] * total

        def saved(start: int, end: int) -> None:
            ids = placeholder_ids(results[start:end], expected=end - start, method="POST", url=self.path)
            results[start:end] = ids if raw else placeholders_of(ids)

        uploader = Uploader(self.session, self.path, [], results, saved)
        with gc_paused(), WorkQueue(opts.max_workers, total, progress) as queue:
            for first in range(0, total, _WINDOW):
                items = [as_object(item) for item in payload[first : first + _WINDOW]]
                batches = json_batches(items, opts.batch_bytes, opts.batch_count)
                del items
                while batches:
                    start, body, bounds = batches.pop(0)
                    queue.submit(uploader.post_batch, first + start, body, bounds)
            queue.join()
        if raw:
            return [{"type": "Placeholder", "_id": _id} for _id in results]
        return results

    def get(self, id: str, query: Query | None = None) -> SpeckleObject:  # type: ignore[override]
        """Get a specific Speckle object from the SpeckleServer

        Arguments:
            id {str} -- The ID of the Speckle object to retrieve

        Keyword Arguments:
            query {dict|str} -- fields/omit projection (default: {None})

        Returns:
            SpeckleObject -- The Speckle object
        """
        return self._one(self._request("GET", self._item_path(id), query=query))

    def update(self, id: str, data: Any) -> dict[str, Any]:
        """Update a specific Speckle object

        The server does not recompute the object's ``hash``, and every stream that holds the
        object sees the change.

        Arguments:
            id {str} -- The ID of the Speckle object to update
            data {dict} -- A dict of values to update

        Returns:
            dict -- a confirmation payload with the updated keys
        """
        return super().update(id, data)

    def set_properties(self, id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Merge values into the ``properties`` of a Speckle object

        Top-level keys overwrite. v1 servers store nothing (yet report success) when the object
        was created without ``properties``; set them with :meth:`update` first.

        Arguments:
            id {str} -- The ID of the Speckle object to update
            data {dict} -- the properties to set

        Returns:
            dict -- a confirmation payload
        """
        payload = as_payload(data, "properties")
        if not isinstance(payload, Mapping):
            raise SpeckleInputError("properties must be a dict")
        return self._request("PUT", self._item_path(id, "/properties"), json_body=payload)

    def get_bulk(
        self,
        object_ids: Sequence[str],
        query: Query | None = None,
        *,
        raw: bool = False,
        progress: Progress | None = None,
    ) -> list[SpeckleObject] | list[dict[str, Any]]:
        """Retrieve a list of Speckle objects

        One object per requested id, in request order (duplicates repeated). Objects that do not
        exist, that the user may not read or that the query's filters exclude come back as
        :class:`~speckle.models.DeniedObject`. Long lists are fetched in chunks of
        ``client.transfer_options.fetch_count`` ids, ``max_workers`` at a time.

        Arguments:
            object_ids {list} -- A list of object IDs

        Keyword Arguments:
            query {dict|str} -- A dictionary to specifiy which fields to retrieve, filters, limits, etc
            raw {bool} -- return the objects as plain dicts, as the server sent them (default: {False})
            progress {callable} -- called as progress(done, total) with counts of objects (default: {None})

        Returns:
            list -- A list of SpeckleObjects
        """
        ids = self._check_ids(object_ids)
        return fetch_objects(
            self.session,
            ids,
            params=encode_query(query) or None,
            options=self.transfer_options,
            progress=progress,
            convert=None if raw else parse_object,
        )

    @staticmethod
    def _check_ids(object_ids: Any) -> list[str]:
        if isinstance(object_ids, str) or not isinstance(object_ids, Sequence):
            raise SpeckleInputError(f"object_ids must be a list of id strings, got {object_ids!r}")
        ids: list[str] = []
        for item in object_ids:
            if isinstance(item, SpeckleObject) and item.id:
                item = item.id
            elif isinstance(item, Mapping) and isinstance(item.get("_id"), str):
                item = item["_id"]
            if not isinstance(item, str) or not item:
                raise SpeckleInputError(f"object ids must be non-empty strings, got {item!r}")
            ids.append(item)
        return ids

    def derive(self, changes: Sequence[Mapping[str, Any]]) -> list[Placeholder]:
        """Derive new objects from existing ones

        Each entry names an existing object by ``_id`` and holds the changes to deep-merge into
        a copy of it. Unknown and unreadable ids are skipped by the server; the answer is in the
        server's order, not the request's.

        Arguments:
            changes {list} -- dicts that each name an existing object by ``_id`` and hold the changes

        Returns:
            list -- placeholders of the derived objects
        """
        payload = as_payload(list(changes) if isinstance(changes, (list, tuple)) else changes, "changes")
        if not isinstance(payload, list) or not all(isinstance(c, Mapping) and c.get("_id") for c in payload):
            raise SpeckleInputError("changes must be a list of dicts that each carry an '_id'")
        answer = self._request("POST", f"{self.path}/derive", json_body=payload)
        ids = placeholder_ids(self._field(answer, "resources"), method="POST", url=f"{self.path}/derive")
        return [Placeholder.model_validate({"type": "Placeholder", "_id": _id}) for _id in ids]


def _server_id(value: str) -> str:
    """A path segment for an id the server gave (a :class:`SpeckleResponseError` if unusable)."""
    try:
        return check_id(value, "id")
    except SpeckleInputError as exc:
        raise SpeckleResponseError(f"the server gave an id that cannot be used: {preview(value)}") from exc
