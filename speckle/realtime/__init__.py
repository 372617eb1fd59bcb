"""Live streams: the websocket side of a Speckle v1 server (§9 of the v1 API).

* :class:`StreamListener` (made by :meth:`speckle.SpeckleApiClient.listen`) — a socket in a
  stream's room that answers heartbeats, reconnects, and yields typed events;
* :class:`StreamFollower` (made by :meth:`speckle.SpeckleApiClient.follow`) — a stream's current
  model, then a :class:`StreamChange` whenever it changes;
* :mod:`speckle.realtime.events` — the events and the frame parser;
* :func:`socket_url` and :func:`register_socket_client` — what
  :meth:`speckle.SpeckleApiClient.websockets` builds its ``WebSocketApp`` from.
"""

from .connection import is_real_client_id, register_socket_client, set_client_online, socket_url
from .events import (
    Broadcast,
    ClientIdChanged,
    Connected,
    DirectMessage,
    Disconnected,
    Event,
    NoticeKind,
    Reconnected,
    RoomJoined,
    ServerNotice,
    UnknownEvent,
    parse_frame,
)
from .follow import StreamChange, StreamFollower, is_update_event
from .listener import Backoff, StreamListener

__all__ = [
    "Backoff",
    "StreamListener",
    "StreamFollower",
    "StreamChange",
    "is_update_event",
    "Event",
    "Broadcast",
    "DirectMessage",
    "RoomJoined",
    "ServerNotice",
    "NoticeKind",
    "ClientIdChanged",
    "UnknownEvent",
    "Connected",
    "Disconnected",
    "Reconnected",
    "parse_frame",
    "socket_url",
    "register_socket_client",
    "set_client_online",
    "is_real_client_id",
]
