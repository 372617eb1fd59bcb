"""The WebSocket hub of §9 (single process, no Redis).

Sockets are accepted on any path. Unlike the original, a socket is registered
(user looked up, rooms joined, duplicate id resolved) *before* its first frame
is read, so there is no window in which ``join``/``broadcast`` are lost and no
need for the ~300 ms wait the original's tests use.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import ids
from .errors import SpeckleError, cast_error, type_error
from .jsonutil import dumps
from .permissions import is_member
from .services.base import State
from .services.comments import RESOURCE_TYPES

log = logging.getLogger(__name__)

NO_CLIENT_ID = (
    "You must provide a client_id. You can generate an anonymous temporary one by sending an "
    "anonymous request to POST /clients (see https://speckleworks.github.io/SpeckleSpecs/#clientcreate)."
)
DUPLICATE = "Warning: this client is open in another file."
ALREADY = "You already joined that room."
WARNING = "Warning: you missed 5 mins of pings. After 10, you will be kicked!"
BYE = "You missed 10 minutes of pings. Bye!"
ANONYMOUS_TEXTS = (
    "You are an anonymous client. You cannot access this resource.",
    "Anonymous room join for private resource.",
)


@dataclass(eq=False)
class Socket:
    """One connected WebSocket."""

    ws: web.WebSocketResponse
    request: web.Request
    client_id: str
    user: dict[str, Any] | None
    rooms: set[str] = field(default_factory=set)
    missed: int = 0
    answered: bool = True

    async def send(self, text: str) -> None:
        """Send a text frame, ignoring sockets that are going away."""
        if self.ws.closed:
            return
        try:
            await self.ws.send_str(text)
        except (ConnectionError, RuntimeError):
            log.debug("send to %s failed", self.client_id)

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class Hub:
    """Connected sockets, their rooms and the heartbeat."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.sockets: list[Socket] = []

    # -- lifecycle ------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one WebSocket connection until it ends."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        client_id = request.query.get("client_id")
        if not client_id:
            await ws.send_str(NO_CLIENT_ID)
            await self._close_without_code(ws, request)
            return ws
        token = request.query.get("access_token")
        user = await asyncio.get_running_loop().run_in_executor(None, self._user_for_token, token)
        sock = Socket(ws, request, client_id, user)
        if any(other.client_id == client_id for other in self.sockets):
            sock.client_id = ids.object_id()
            await sock.send(dumps({"message": DUPLICATE, "newId": sock.client_id}))
        stream_id = request.query.get("stream_id")
        if stream_id:
            sock.rooms.add(f"stream-{stream_id}")
        self.sockets.append(sock)
        heartbeat = asyncio.create_task(self._heartbeat(sock))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_frame(sock, msg.data)
        except Exception:  # never let one socket take the server down
            log.exception("websocket %s failed", sock.client_id)
        finally:
            heartbeat.cancel()
            if sock in self.sockets:
                self.sockets.remove(sock)
        return ws

    @staticmethod
    async def _close_without_code(ws: web.WebSocketResponse, request: web.Request) -> None:
        """A close frame with an empty payload (clients see 1005), then hang up."""
        writer = getattr(ws, "_writer", None)
        try:
            if writer is not None:
                await writer.send_frame(b"", WSMsgType.CLOSE)
        except (ConnectionError, RuntimeError, AttributeError):
            pass
        await asyncio.sleep(0.05)
        if request.transport is not None:
            request.transport.close()

    def _user_for_token(self, token: str | None) -> dict[str, Any] | None:
        if not token:
            return None
        with self.state.store.lock:
            for user in self.state.store.all("users"):
                if user.get("apitoken") == token:
                    return user
        return None

    async def close_all(self) -> None:
        """Drop every socket (server shutdown)."""
        for sock in list(self.sockets):
            await sock.ws.close()

    async def _heartbeat(self, sock: Socket) -> None:
        config = self.state.config
        while not sock.ws.closed:
            await asyncio.sleep(config.heartbeat_interval)
            if not sock.answered:
                sock.missed += 1
            if sock.missed > config.warn_after_missed:
                await sock.send(WARNING)
            if sock.missed > config.kick_after_missed:
                await sock.send(BYE)
                await asyncio.sleep(0)
                sock.abort()
                if sock in self.sockets:
                    self.sockets.remove(sock)
                return
            sock.answered = False
            await sock.send("ping")

    # -- frames ---------------------------------------------------------------------------------
    async def _on_frame(self, sock: Socket, text: str) -> None:
        """Handle one text frame; an invalid event is ignored and the socket stays open (as v1)."""
        try:
            await self._on_text(sock, text)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception:  # junk of any shape: log and carry on with the next frame
            log.debug("ignoring an invalid frame from %s", sock.client_id, exc_info=True)

    async def _on_text(self, sock: Socket, text: str) -> None:
        if text == "alive":
            sock.missed = 0
            sock.answered = True
            return
        try:
            event = json.loads(text)
        except (ValueError, RecursionError):
            log.debug("ignoring non-JSON frame from %s", sock.client_id)
            return
        if not isinstance(event, dict):
            return
        name = event.get("eventName")
        if name == "message":
            await self._message(event, text)
        elif name == "broadcast":
            await self._broadcast(sock, event, text)
        elif name == "join":
            await self._join(sock, event)
        elif name == "leave":
            self._leave(sock, event)

    async def _message(self, event: dict[str, Any], text: str) -> None:
        recipient = event.get("recipientId")
        if recipient is None:
            return
        for other in list(self.sockets):
            if other.client_id == recipient:
                await other.send(text)

    @staticmethod
    def _room(event: dict[str, Any]) -> str | None:
        stream_id = event.get("streamId")
        if isinstance(stream_id, str) and stream_id:
            return f"stream-{stream_id}"
        if event.get("resourceType") and event.get("resourceId"):
            return f"{event['resourceType']}-{event['resourceId']}"
        return None

    async def _broadcast(self, sock: Socket, event: dict[str, Any], text: str) -> None:
        room = self._room(event)
        if room is None:
            return
        for other in list(self.sockets):
            if room in other.rooms and other.client_id != sock.client_id:
                await other.send(text)

    def _leave(self, sock: Socket, event: dict[str, Any]) -> None:
        if event.get("streamId"):
            room: str | None = f"stream-{event['streamId']}"
        elif event.get("roomName"):
            room = str(event["roomName"])
        else:
            room = self._room(event)
        if room is not None:
            sock.rooms.discard(room)

    async def _join(self, sock: Socket, event: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        if event.get("streamId"):
            room = f"stream-{event['streamId']}"
            if room in sock.rooms:
                await sock.send(ALREADY)
                return
            allowed = await loop.run_in_executor(None, self._may_join_stream, sock, str(event["streamId"]))
            if allowed:
                sock.rooms.add(room)
            else:
                await sock.send(f"Failed to join room {room}")
            return
        rtype, rid = event.get("resourceType"), event.get("resourceId")
        if not isinstance(rtype, str) or not rid or rtype not in RESOURCE_TYPES:
            return
        room = f"{rtype}-{rid}"
        if room in sock.rooms:
            await sock.send(ALREADY)
            return
        replies = await loop.run_in_executor(None, self._resource_join, sock, str(rtype), str(rid))
        if replies is None:
            sock.rooms.add(room)
            await sock.send(dumps({"message": "Room joined.", "roomName": room}))
            return
        for reply in replies:
            await sock.send(reply)

    def _may_join_stream(self, sock: Socket, stream_id: str) -> bool:
        with self.state.store.lock:
            found = self.state.store.find_by("streams", "streamId", stream_id)
        if not found:
            return False
        stream = found[0]
        if not stream.get("private"):
            return True
        return sock.user is not None and self._member(sock.user["_id"], stream)

    @staticmethod
    def _member(uid: str, resource: dict[str, Any]) -> bool:
        return is_member(uid, resource)

    def _resource_join(self, sock: Socket, rtype: str, rid: str) -> tuple[str, ...] | None:
        """``None`` when the join is allowed, else the text replies to send."""
        collection, kind, model = RESOURCE_TYPES[rtype]
        store = self.state.store
        with store.lock:
            try:
                if collection == "streams":
                    found = store.find_by("streams", "streamId", rid)
                    resource = found[0] if found else None
                elif not ids.is_object_id(rid):
                    raise cast_error(rid, model)
                else:
                    resource = store.get(collection, rid)
                if resource is None:
                    raise type_error("private")
            except SpeckleError as exc:
                return (exc.text,)
        if not resource.get("private"):
            return None
        if sock.user is None:
            return ANONYMOUS_TEXTS
        uid = sock.user["_id"]
        if kind == "user":
            return None if resource.get("_id") == uid else ("Not authorised",)
        if self._member(uid, resource):
            return None
        return ("You are not authorised to read.",)
