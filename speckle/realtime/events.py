"""Typed events of a v1 stream socket, and the parser of server frames (§9.4).

A v1 server sends text frames that are either JSON (events relayed from other clients, the
``Room joined.`` reply, the duplicate-id warning) or plain text (``ping``, join refusals,
heartbeat warnings). :func:`parse_frame` turns any frame into one of the event classes below
and never raises: what it does not understand becomes an :class:`UnknownEvent`.

Connection events (:class:`Connected`, :class:`Disconnected`, :class:`Reconnected`) are made by
the :class:`~speckle.realtime.listener.StreamListener` itself, not parsed from frames.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from typing import Any

from speckle._untrusted import preview, short_repr, utf8_safe

__all__ = [
    "Event",
    "Broadcast",
    "DirectMessage",
    "RoomJoined",
    "ServerNotice",
    "ClientIdChanged",
    "UnknownEvent",
    "Connected",
    "Disconnected",
    "Reconnected",
    "NoticeKind",
    "PING",
    "ALIVE",
    "parse_frame",
    "notice_kind",
]

#: The server's heartbeat frame and the answer it expects (§9.5).
PING = "ping"
ALIVE = "alive"


class NoticeKind:
    """The ``kind`` values of :class:`ServerNotice` (plain-text server replies)."""

    #: ``You already joined that room.``
    ALREADY_JOINED = "already-joined"
    #: ``Failed to join room stream-<id>`` and the refusals of resource joins.
    JOIN_REFUSED = "join-refused"
    #: ``Warning: you missed 5 mins of pings...``
    HEARTBEAT_WARNING = "heartbeat-warning"
    #: ``You missed 10 minutes of pings. Bye!`` (the connection is dropped next)
    KICKED = "kicked"
    #: ``You must provide a client_id...`` (the connection is closed next)
    MISSING_CLIENT_ID = "missing-client-id"
    #: Anything else (e.g. a TypeError or CastError text of a failed resource join).
    OTHER = "other"


_NOTICE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("You already joined that room", NoticeKind.ALREADY_JOINED),
    ("Failed to join room", NoticeKind.JOIN_REFUSED),
    ("You are an anonymous client", NoticeKind.JOIN_REFUSED),
    ("Anonymous room join", NoticeKind.JOIN_REFUSED),
    ("You are not authorised", NoticeKind.JOIN_REFUSED),
    ("Not authorised", NoticeKind.JOIN_REFUSED),
    ("Warning: you missed", NoticeKind.HEARTBEAT_WARNING),
    ("You missed 10 minutes of pings", NoticeKind.KICKED),
    ("You must provide a client_id", NoticeKind.MISSING_CLIENT_ID),
)


def notice_kind(text: str) -> str:
    """Classify a plain-text server reply.

    Arguments:
        text {str} -- the frame text

    Returns:
        str -- one of the :class:`NoticeKind` values
    """
    for prefix, kind in _NOTICE_PREFIXES:
        if text.startswith(prefix):
            return kind
    return NoticeKind.OTHER


@dataclass(repr=False)
class Event:
    """Base class of every event; ``raw`` is the frame text (``None`` for connection events)."""

    raw: str | None = field(default=None, repr=False, kw_only=True)
    #: ``time.time()`` when the event was made.
    received_at: float = field(default_factory=time.time, repr=False, kw_only=True)

    def __repr__(self) -> str:
        # bounded whatever the frame held (payloads nested thousands of levels deep, huge strings)
        shown = ", ".join(f"{f.name}={short_repr(getattr(self, f.name), 100)}" for f in fields(self) if f.repr)
        return f"{type(self).__name__}({shown})"


@dataclass(repr=False)
class Broadcast(Event):
    """A ``broadcast`` relayed from another client of a room.

    ``stream_id`` is set for frames addressed by ``streamId``; ``resource_type`` /
    ``resource_id`` for frames addressed by resource. ``args`` is the sender's payload (by
    convention ``{"eventType": "update-global", ...}``); ``data`` is the whole frame.
    """

    sender_id: str | None = None
    stream_id: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    args: Any = None
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def room(self) -> str | None:
        """The room the frame was sent to (``stream-<id>`` or ``<type>-<id>``)."""
        if self.stream_id:
            return f"stream-{self.stream_id}"
        if self.resource_type and self.resource_id:
            return f"{self.resource_type}-{self.resource_id}"
        return None

    @property
    def event_type(self) -> str | None:
        """``args["eventType"]`` when the payload carries one (``update-global``...)."""
        return _event_type(self.args)


@dataclass(repr=False)
class DirectMessage(Event):
    """A ``message`` addressed to this socket's client id by another client."""

    sender_id: str | None = None
    recipient_id: str | None = None
    stream_id: str | None = None
    args: Any = None
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def event_type(self) -> str | None:
        """``args["eventType"]`` when the payload carries one."""
        return _event_type(self.args)


@dataclass(repr=False)
class RoomJoined(Event):
    """The server's ``{"message": "Room joined.", "roomName": ...}`` reply to a resource join."""

    room_name: str = ""


@dataclass(repr=False)
class ServerNotice(Event):
    """A plain-text server reply (join refusals, heartbeat warnings...); see :class:`NoticeKind`."""

    text: str = ""
    kind: str = NoticeKind.OTHER


@dataclass(repr=False)
class ClientIdChanged(Event):
    """The server gave this socket a new id because its client id was already connected."""

    old_id: str | None = None
    new_id: str = ""
    message: str = ""


@dataclass(repr=False)
class UnknownEvent(Event):
    """A frame no other event describes (kept, never fatal); ``data`` is the parsed JSON if any."""

    data: Any = None


@dataclass(repr=False)
class Connected(Event):
    """The socket is open (first connection); ``client_id`` is the id it connected with."""

    client_id: str = ""
    url: str = field(default="", repr=False)


@dataclass(repr=False)
class Disconnected(Event):
    """The connection ended; ``will_reconnect`` tells whether the listener tries again."""

    code: int | None = None
    reason: str = ""
    will_reconnect: bool = False


@dataclass(repr=False)
class Reconnected(Event):
    """The socket is open again after a drop; rooms are joined again.

    ``attempts`` counts the connection attempts it took and ``downtime`` the seconds since the
    drop.
    """

    client_id: str = ""
    attempts: int = 1
    downtime: float = 0.0


def _event_type(args: Any) -> str | None:
    if isinstance(args, dict):
        value = args.get("eventType")
        return value if isinstance(value, str) else None
    return None


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return utf8_safe(value) if isinstance(value, str) else preview(value, 100)


def frame_text(frame: Any) -> str:
    """The text of a frame as websocket-client hands it over: ``str`` for text frames, ``bytes``
    for binary ones (read as UTF-8, invalid bytes replaced); anything else is shown as a preview."""
    if isinstance(frame, str):
        return frame
    if isinstance(frame, (bytes, bytearray, memoryview)):
        return bytes(frame).decode("utf-8", "replace")
    return preview(frame, 1000)


def parse_frame(text: str | bytes, client_id: str | None = None) -> Event:
    """Turn one server frame into a typed event; never raises.

    Text and binary frames are read alike (binary ones as UTF-8); a frame that is not JSON is a
    :class:`ServerNotice`, JSON that no event describes (nested too deeply, of the wrong shape...)
    an :class:`UnknownEvent`.

    Arguments:
        text {str|bytes} -- the frame, as websocket-client's ``on_message`` hands it over

    Keyword Arguments:
        client_id {str} -- the socket's current id, recorded as ``old_id`` of a
            :class:`ClientIdChanged` (default: {None})

    Returns:
        Event -- a :class:`Broadcast`, :class:`DirectMessage`, :class:`RoomJoined`,
        :class:`ClientIdChanged`, :class:`ServerNotice` or :class:`UnknownEvent`
    """
    try:
        text = frame_text(text)
    except Exception:  # a frame object whose repr fails: nothing to read
        text = ""
    try:
        return _parse(text, client_id)
    except Exception:  # the promise: junk never escapes as an exception
        return UnknownEvent(data=None, raw=text)


def _parse(text: str, client_id: str | None) -> Event:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return ServerNotice(text=utf8_safe(text), kind=notice_kind(text), raw=text)
    if not isinstance(data, dict):
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            # a number-looking text reply is still a text reply
            return ServerNotice(text=text, kind=notice_kind(text), raw=text)
        return UnknownEvent(data=data, raw=text)
    name = data.get("eventName")
    if name == "broadcast":
        return Broadcast(
            sender_id=_str_or_none(data.get("senderId")),
            stream_id=_str_or_none(data.get("streamId")) or None,
            resource_type=_str_or_none(data.get("resourceType")),
            resource_id=_str_or_none(data.get("resourceId")),
            args=data.get("args"),
            data=data,
            raw=text,
        )
    if name == "message":
        return DirectMessage(
            sender_id=_str_or_none(data.get("senderId")),
            recipient_id=_str_or_none(data.get("recipientId")),
            stream_id=_str_or_none(data.get("streamId")) or None,
            args=data.get("args"),
            data=data,
            raw=text,
        )
    if name is None:
        message = data.get("message")
        new_id = data.get("newId")
        if isinstance(new_id, str) and new_id:
            return ClientIdChanged(old_id=client_id, new_id=new_id, message=_str_or_none(message) or "", raw=text)
        if message == "Room joined." and isinstance(data.get("roomName"), str):
            return RoomJoined(room_name=data["roomName"], raw=text)
    return UnknownEvent(data=data, raw=text)
