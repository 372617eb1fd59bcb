"""Streams: create, read, update, clone, diff and delta streams and list their objects and clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from speckle._untrusted import preview
from speckle.base.resource import (
    CommentsMixin,
    CRUDMixin,
    as_payload,
    check_id,
    placeholder_ids,
    update_payload,
)
from speckle.errors import SpeckleInputError, SpeckleResponseError
from speckle.models.objects import SpeckleObject, parse_object
from speckle.models.resources import ApiClient, Stream
from speckle.models.results import StreamDelta, StreamDiff
from speckle.query import Query

__all__ = ["Resource", "Stream"]

_DEFAULT_LIST_QUERY: dict[str, Any] = {"omit": "objects"}


def _is_placeholder(item: Any) -> bool:
    return isinstance(item, Mapping) and item.get("type") == "Placeholder"


def objects_payload(objects: Any) -> list[Any]:
    """The ``objects`` list to send: models converted, bare id strings turned into placeholders.

    A placeholder written with ``id`` (what ``stream.dict()`` gives) is sent with ``_id``,
    the key servers read.
    """
    if not isinstance(objects, (list, tuple)):
        raise SpeckleInputError(f"a stream's objects must be a list, got {type(objects).__name__}")
    out: list[Any] = []
    for item in objects:
        if isinstance(item, str):
            out.append({"type": "Placeholder", "_id": item})
        elif _is_placeholder(item) and "_id" not in item and isinstance(item.get("id"), str):
            out.append({("_id" if key == "id" else key): value for key, value in item.items()})
        elif isinstance(item, (Mapping, SpeckleObject)):
            out.append(as_payload(item, "object"))
        else:
            raise SpeckleInputError(f"stream objects must be dicts, models or id strings, got {item!r}")
    return out


class Resource(CRUDMixin, CommentsMixin):
    """API Access class for Streams

    Streams are addressed by their ``streamId``. Stream objects come back as placeholders
    (``{"type": "Placeholder", "_id": ...}``); fetch the objects with :meth:`list_objects`
    or ``client.objects.get_bulk``.
    """

    path = "/streams"
    model = Stream
    comment_type = "stream"
    noun = "stream"

    def list(self, query: Query | None = None) -> list[Stream]:  # type: ignore[override]
        """List all streams

        The streams the user owns or that are shared with them (not the public streams of
        others).

        Keyword Arguments:
            query {dict|str} -- the query (default: ``{'omit': 'objects'}``)

        Returns:
            list -- A list of Streams, without objects attached
        """
        return super().list(_DEFAULT_LIST_QUERY if query is None else query)

    def create(self, data: Any) -> Stream:
        """Create a stream from a data dictionary

        ``objects`` may hold full objects (saved by the server) and placeholders; bare object
        id strings are sent as placeholders.

        Arguments:
            data {dict} -- A dictionary describing a stream

        Returns:
            Stream -- The instance created on the Speckle Server
        """
        return super().create(self._with_objects(data))

    def get(self, id: str, query: Query | None = None) -> Stream:  # type: ignore[override]
        """Get a specific stream from the SpeckleServer

        Arguments:
            id {str} -- The StreamId of the stream to retrieve

        Keyword Arguments:
            query {dict|str} -- fields/omit projection (default: {None})

        Returns:
            Stream -- The stream
        """
        return self._one(self._request("GET", self._item_path(id), query=query))

    def update(self, id: str, data: Any) -> dict[str, Any]:
        """Update a specific stream

        ``objects`` replaces the stream's objects. v1 servers drop the placeholders of a list
        that mixes placeholders and full objects, so the full objects are saved first and the
        stream gets placeholders only, in the order given.

        Arguments:
            id {str} -- The StreamId of the stream to update
            data {dict} -- A dict of values to update

        Returns:
            dict -- a confirmation payload with the updated keys
        """
        payload = update_payload(data)
        if not isinstance(payload, Mapping):
            raise SpeckleInputError("data must be a dict of stream fields to update")
        if "streamId" in payload and payload["streamId"] != id:
            raise SpeckleInputError(
                "a stream's streamId cannot be changed by update (v1 servers ignore it, or rename "
                "the stream when it is the first key); leave streamId out of data"
            )
        if "objects" in payload:
            objects = objects_payload(payload["objects"])
            full = [not _is_placeholder(o) for o in objects]
            if any(full) and not all(full):
                objects = self._save_full_objects(objects)
            payload = {**payload, "objects": objects}
        return self._request("PUT", self._item_path(id), json_body=payload)

    def _with_objects(self, data: Any) -> Any:
        payload = as_payload(data)
        if isinstance(payload, Mapping) and "objects" in payload:
            return {**payload, "objects": objects_payload(payload["objects"])}
        return payload

    def _save_full_objects(self, objects: list[Any]) -> list[dict[str, Any]]:
        indexes = [i for i, o in enumerate(objects) if not _is_placeholder(o)]
        saved = self._field(
            self._request("POST", "/objects", json_body=[objects[i] for i in indexes], retry=True),
            "resources",
        )
        ids = placeholder_ids(saved, expected=len(indexes), method="POST", url="/objects")
        out = [dict(o) if _is_placeholder(o) else o for o in objects]
        for i, _id in zip(indexes, ids, strict=True):
            out[i] = {"type": "Placeholder", "_id": _id}
        return out

    def delete(self, id: str) -> dict[str, Any]:
        """Delete a specific stream

        v1 servers also delete the stream's direct children (its clones); the answer lists
        every deleted streamId in ``deletedStreams``.

        Arguments:
            id {str} -- The StreamId of the stream to delete

        Returns:
            dict -- A confirmation payload
        """
        return super().delete(id)

    def clone(self, id: str, name: str | None = None) -> tuple[Stream, Stream]:
        """Clone a stream

        Arguments:
            id {str} -- The StreamId of the stream to clone

        Keyword Arguments:
            name {str} -- The name of the new cloned stream. eg stream-x-2019-06-09-backup (default: {None})

        Returns:
            tuple -- The clone and parent stream
        """
        if name is not None and not isinstance(name, str):
            raise SpeckleInputError(f"name must be a string, got {name!r}")
        body = {} if name is None else {"name": name}
        payload = self._request("POST", self._item_path(id, "/clone"), json_body=body)
        return (
            Stream.from_data(self._field(payload, "clone")),
            Stream.from_data(self._field(payload, "parent")),
        )

    def diff(self, id: str, other_id: str) -> StreamDiff:
        """Runs a diff on two streams

        Arguments:
            id {str} -- StreamId of the main stream
            other_id {str} -- StreamId of the stream to compare

        Returns:
            StreamDiff -- A response payload with objects and layers as keys (ids in
            ``objects.common``/``inA``/``inB``)
        """
        path = self._item_path(id, f"/diff/{check_id(other_id, 'stream id')}")
        return StreamDiff.from_data(self._request("GET", path))

    def delta(self, id: str, other_id: str) -> StreamDelta:
        """Compute the delta from one stream to another

        Arguments:
            id {str} -- StreamId of stream A
            other_id {str} -- StreamId of stream B

        Returns:
            StreamDelta -- created (in B only), deleted (in A only) and common objects
        """
        path = self._item_path(id, f"/delta/{check_id(other_id, 'stream id')}")
        return StreamDelta.from_data(self._request("GET", path))

    def apply_delta(self, id: str, delta: Any, name: str | None = None) -> dict[str, Any]:
        """Apply a delta to a stream

        The server first saves a backup clone of the stream (listed in its ``children``),
        then appends ``created`` and removes ``deleted``, and replaces the layers with one
        flattened layer.

        Arguments:
            id {str} -- StreamId of the stream to change
            delta {dict|StreamDelta|Delta} -- the delta (``created``, ``deleted``, ``revisionA``)

        Keyword Arguments:
            name {str} -- name of the backup clone (default: {None})

        Returns:
            dict -- A confirmation payload
        """
        if isinstance(delta, StreamDelta):
            delta = delta.delta
        payload = dict(as_payload(delta, "delta"))
        if "delta" in payload and isinstance(payload["delta"], Mapping):
            payload = dict(payload["delta"])
        payload.setdefault("revisionA", {"id": id})
        if name is not None:
            payload["name"] = name
        return self._request("POST", self._item_path(id, "/delta"), json_body=payload)

    def list_objects(self, id: str, query: Query | None = None) -> list[SpeckleObject]:
        """Return the list of objects in a stream

        Objects come in stream order, duplicates repeated.

        Arguments:
            id {str} -- StreamId of the stream to list objects from

        Keyword Arguments:
            query {dict|str} -- filters (``{'type': 'Mesh'}``), fields, omit, offset, limit

        Returns:
            list -- A list of Speckle objects
        """
        payload = self._request("GET", self._item_path(id, "/objects"), query=query)
        items = self._field(payload, "resources")
        if not isinstance(items, list):
            raise SpeckleResponseError(f"the stream's objects are not a list: {preview(items)}")
        return [parse_object(item) for item in items]

    def list_clients(self, id: str, query: Query | None = None) -> list[ApiClient]:
        """Return the list of api clients connected to the stream

        Arguments:
            id {str} -- StreamId of the stream to list objects from

        Returns:
            list -- A list of API clients
        """
        return self._many(self._request("GET", self._item_path(id, "/clients"), query=query), ApiClient)

    def admin_list(self, query: Query | None = None) -> list[Stream]:
        """List every stream of the server (admins only)

        Keyword Arguments:
            query {dict|str} -- the query (default: {None})

        Returns:
            list -- every stream
        """
        return self._many(self._request("GET", f"{self.path}/admin", query=query))
