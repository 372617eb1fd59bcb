"""Knowing, with small requests, that objects held locally are still what a v1 server has.

``client.receive`` keeps what it downloads (the received-object record, a ``previous``
result). Before serving a held object again it must know the object was not changed in place
(``PUT /objects/<id>``, ``PUT /objects/<id>/properties``) nor deleted since. v1 servers change
an object's ``updatedAt`` on every change in place (never its ``hash``), and a stream's
``updatedAt`` on every write of the stream. The checks here are a few small requests however
large the stream (see :doc:`/performance`). A v1 server answers ``GET /streams/<id>/objects``
by walking the stream's ``n`` ids once for each of the ``k`` objects its query selects, so an
answer costs it about ``n * k`` comparisons: ``n`` for a check that finds nothing changed, ``2n``
for a count, ``n * n`` for the full listing (58 s for 5,000 objects on the real server of
``../shared/real-v1``):

* :func:`changed_since` -- ``GET /streams/<id>/objects?fields=updatedAt&updatedAt>=<T>``: the
  objects of the stream changed since the server time ``T`` of the previous check. v1 servers
  (query-to-mongo) compare the value as a date;
* :func:`count_is` -- ``GET /streams/<id>/objects?fields=updatedAt&offset=<n-1>&limit=2&updatedAt>=1970``:
  whether exactly ``n`` of the stream's objects exist. A deletion lowers it; the date criterion
  makes a server that ignores or mistypes date filters fail this check (never pass it);
* :func:`object_versions` -- the ``updatedAt`` of every object of the stream, the fallback when
  a count is off (a deletion, or objects that exist but are private to another user): quadratic
  on a v1 server, so asked for only then.
"""

from __future__ import annotations

import datetime
import email.utils
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ormsgpack
import requests

from speckle.errors import SpeckleAPIError, SpeckleResponseError

if TYPE_CHECKING:
    from speckle.transport import Transport

__all__ = ["StreamState", "changed_since", "count_is", "object_versions", "settled", "date_header"]

logger = logging.getLogger("speckle.transfer")

#: Server times are compared as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` strings (how v1 servers write them).
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
#: A date before every object: its criterion matches every object that has an ``updatedAt``.
_EPOCH = "1970-01-01T00:00:00.000Z"


@dataclass
class StreamState:
    """What a receive learnt of a stream, so that the next one checks it cheaply.

    Attributes:
        updated_at {str} -- the stream's ``updatedAt`` when settled ("" otherwise: never matches)
        resource {dict} -- the stream's fields, without ``objects``
        ids {list} -- the ids of its objects, in stream order
        checked {str} -- a server time taken before the objects were read or checked: every
            later change of an object has an ``updatedAt`` at or after it
        unreadable {list} -- ids of objects that exist but were delivered as stand-ins
            (private objects of other users)
        runs {list} -- keys of the received-object record's runs holding objects of the stream
        gone {list} -- ids of objects delivered as stand-ins (deleted, or unreadable): never
            served from the record
    """

    updated_at: str
    resource: dict[str, Any]
    ids: list[str]
    checked: str
    unreadable: list[str] = field(default_factory=list)
    runs: list[int] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    #: the record's stamp of the row holding this state (see ``ReceivedObjectCache.store_stream``),
    #: when it was read from or written to the record
    stamp: int | None = field(default=None, compare=False, repr=False)
    #: :meth:`distinct`, once computed (states of the same ids share it; never handed out)
    unique_ids: list[str] | None = field(default=None, compare=False, repr=False)

    def distinct(self) -> list[str]:
        """The ids without repeats, in stream order (a new list; computed once)."""
        if self.unique_ids is None:
            self.unique_ids = list(dict.fromkeys(self.ids))
        return list(self.unique_ids)

    def same_content(self, other: StreamState) -> bool:
        """Whether ``other`` records the same as this state, but for the time of the check
        (``checked``): then a check from either time finds the same changes."""
        return (self.updated_at == other.updated_at and self.runs == other.runs and self.gone == other.gone
                and self.unreadable == other.unreadable and self.resource == other.resource
                and self.ids == other.ids)

    def pack(self) -> bytes:
        """The state as bytes (MessagePack), without ``updated_at``."""
        return ormsgpack.packb({"resource": self.resource, "ids": self.ids, "checked": self.checked,
                                "unreadable": self.unreadable, "runs": self.runs, "gone": self.gone})

    @classmethod
    def unpack(cls, updated_at: str, data: bytes) -> StreamState | None:
        """The state :meth:`pack` wrote, or None when ``data`` is not one."""
        try:
            content = ormsgpack.unpackb(data)
            state = cls(updated_at, content["resource"], content["ids"], content["checked"],
                        content.get("unreadable") or [], content.get("runs") or [], content.get("gone") or [])
        except (ormsgpack.MsgpackDecodeError, TypeError, KeyError, AttributeError):
            return None
        if (not isinstance(state.resource, dict) or not isinstance(state.ids, list)
                or not set(map(type, state.ids)) <= {str} or not isinstance(state.unreadable, list)
                or not isinstance(state.runs, list) or not set(map(type, state.runs)) <= {int}
                or not isinstance(state.gone, list)
                or type(state.checked) is not str or not _STAMP.fullmatch(state.checked)):
            return None
        return state


def settled(version: Any, server_time: str) -> bool:
    """True when no later write can give an object this ``updatedAt`` again.

    ``updatedAt`` has millisecond resolution, so a write in the same millisecond as the one a
    download saw would leave it unchanged. ``server_time`` is a server time taken before the
    download: an ``updatedAt`` older than it was followed by no write in its millisecond.
    """
    return type(version) is str and len(version) == 24 and version < server_time and bool(_STAMP.fullmatch(version))


def date_header(value: str | None) -> str | None:
    """An HTTP ``Date`` header as ``YYYY-MM-DDTHH:MM:SS.000Z`` (whole seconds: never later than
    the server's clock when it answered), or None."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def response_date(response: requests.Response) -> str | None:
    """The server time of an answer (its ``Date`` header), or None."""
    return date_header(response.headers.get("Date"))


def _listing(transport: Transport, stream_id: str, params: list[tuple[str, str]]) -> list[Any] | None:
    """``GET /streams/<id>/objects`` with a query, or None when the server refuses it or answers
    something else than a list (connection failures and timeouts are raised)."""
    try:
        answer = transport.request("GET", f"/streams/{stream_id}/objects", params=params)
    except (SpeckleAPIError, SpeckleResponseError) as exc:
        logger.debug("stream %s: the check %s was refused: %s", stream_id, params, exc)
        return None
    resources = answer.get("resources") if isinstance(answer, dict) else None
    return resources if isinstance(resources, list) else None


def _versions(resources: list[Any]) -> dict[str, Any]:
    """``{_id: updatedAt}`` of a listing (values are only compared with recorded strings)."""
    try:
        return {item["_id"]: item.get("updatedAt") for item in resources}
    except (TypeError, KeyError, AttributeError):
        return {item["_id"]: item.get("updatedAt") for item in resources
                if type(item) is dict and type(item.get("_id")) is str}


def changed_since(transport: Transport, stream_id: str, since: str) -> dict[str, Any] | None:
    """``{object id: updatedAt}`` of the stream's objects whose ``updatedAt`` is at or after
    ``since`` (a server time), in one small request; None when the server would not answer it."""
    resources = _listing(transport, stream_id, [("fields", "updatedAt"), ("updatedAt>", since)])
    return None if resources is None else _versions(resources)


def count_is(transport: Transport, stream_id: str, expected: int) -> bool | None:
    """Whether exactly ``expected`` distinct objects of the stream exist (and have an
    ``updatedAt``), in one small request; None when the server would not answer it.

    v1 servers apply ``offset``/``limit`` to the distinct objects before expanding them in stream
    order, so skipping ``expected - 1`` of them leaves exactly one when there are ``expected``.
    """
    params = [("fields", "updatedAt"), ("updatedAt>", _EPOCH), ("limit", "2")]
    if expected > 0:
        params.append(("offset", str(expected - 1)))
    resources = _listing(transport, stream_id, params)
    if resources is None:
        return None
    if not all(type(item) is dict and type(item.get("_id")) is str for item in resources):
        return None  # not understood: the caller falls back to the full listing
    return len({item["_id"] for item in resources}) == (1 if expected > 0 else 0)


def object_versions(transport: Transport, stream_id: str) -> dict[str, Any] | None:
    """``{object id: updatedAt}`` of every existing object of the stream (deleted ones are
    absent), in one large request; None when the server would not answer it."""
    resources = _listing(transport, stream_id, [("fields", "updatedAt")])
    return None if resources is None else _versions(resources)
