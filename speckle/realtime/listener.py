"""``StreamListener``: a stream socket that stays connected for hours.

The listener runs its socket in a background thread. It answers the server's ``ping`` with
``alive`` (§9.5), reconnects with exponential backoff when the connection drops, re-joins its
rooms, adopts the ``newId`` of a duplicate client id, and turns every frame into a typed event
(:mod:`speckle.realtime.events`) delivered to callbacks and to a queue read with
``for event in listener``, :meth:`StreamListener.events`, :meth:`StreamListener.next_event`
or :meth:`StreamListener.wait_for`.
"""

from __future__ import annotations

import collections
import json
import logging
import random
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import websocket

from speckle.errors import SpeckleConnectionError, SpeckleInputError, SpeckleTimeoutError

from .connection import SocketClient, is_real_client_id, set_client_online, socket_url
from .events import (
    ALIVE,
    PING,
    ClientIdChanged,
    Connected,
    DirectMessage,
    Disconnected,
    Event,
    NoticeKind,
    Reconnected,
    ServerNotice,
    parse_frame,
)

__all__ = ["Backoff", "StreamListener", "EventCallback"]

log = logging.getLogger(__name__)

EventCallback = Callable[[Event], Any]
E = TypeVar("E", bound=Event)

#: ``args.eventType`` of the direct messages :meth:`StreamListener.wait_ready` sends itself.
SYNC_EVENT_TYPE = "speckle-python-sync"
_CLOSE_ABNORMAL = 1006


@dataclass(frozen=True)
class Backoff:
    """Reconnection delays: exponential, bounded, with jitter.

    The delay before reconnection attempt ``n`` (1, 2, ...) is
    ``min(maximum, initial * factor ** (n - 1))``, reduced by a random fraction of at most
    ``jitter`` (so that many listeners dropped together do not reconnect together).

    Keyword Arguments:
        initial {float} -- the first delay in seconds (default: {0.5})
        maximum {float} -- the largest delay in seconds (default: {30.0})
        factor {float} -- growth per attempt, at least 1 (default: {2.0})
        jitter {float} -- the largest random reduction, a fraction in [0, 1] (default: {0.5})
        max_attempts {int|None} -- give up after this many failed attempts in a row;
            ``None`` retries forever (default: {None})
    """

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if not (self.initial >= 0 and self.maximum >= self.initial):
            raise SpeckleInputError("backoff needs 0 <= initial <= maximum")
        if self.factor < 1:
            raise SpeckleInputError("backoff factor must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise SpeckleInputError("backoff jitter must be a fraction between 0 and 1")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise SpeckleInputError("backoff max_attempts must be at least 1 (or None)")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The delay in seconds before reconnection attempt ``attempt`` (counted from 1).

        Arguments:
            attempt {int} -- the attempt number

        Keyword Arguments:
            rng {random.Random} -- the source of jitter (default: {the random module})

        Returns:
            float -- seconds, between ``(1 - jitter)`` times and exactly the bounded delay
        """
        exponent = max(0, attempt - 1)
        try:
            base = min(self.maximum, self.initial * self.factor**exponent)
        except OverflowError:
            base = self.maximum
        draw = (rng or random).random()
        return base * (1.0 - self.jitter * draw)


class StreamListener:
    """A live connection to a stream's room that survives drops and heartbeats.

    Usually made with :meth:`speckle.SpeckleApiClient.listen`, which registers an API client for
    the stream when no ``client_id`` is given and starts the listener.

    Example::

        with client.listen(stream_id) as listener:
            listener.broadcast({'eventType': 'update-global'})
            for event in listener.events(timeout=60):
                if isinstance(event, Broadcast):
                    print(event.sender_id, event.event_type)

    Callbacks run in the listener's thread: keep them short, and do not block them on
    :meth:`next_event`. An exception in a callback is logged, never fatal. After the callbacks,
    every event is queued (at most ``max_queue``, the oldest dropped first) for the iterator
    methods.

    Arguments:
        client {SpeckleApiClient} -- gives the server address, the apitoken, and the
            ``api_clients`` resource used to mark the API client online
        stream_id {str} -- the stream whose room (``stream-<stream_id>``) the socket joins
        client_id {str} -- the socket's client id: an API client ``_id``, a ``temp-...`` id
            or any unique string

    Keyword Arguments:
        on_event {callable} -- called with every event (default: {None})
        reconnect {bool} -- reconnect after a drop or failed attempt (default: {True})
        backoff {Backoff} -- reconnection delays (default: {Backoff()})
        mark_online {bool} -- mark the API client online on connect and offline on close
            (``PUT /clients/<id>``) when ``client_id`` names a saved one (default: {True})
        connect_timeout {float} -- seconds allowed for one connection attempt (default: {10.0})
        idle_timeout {float|None} -- reconnect when no frame arrived for this long; v1 servers
            ping every 30 s; ``None`` waits forever (default: {120.0})
        max_queue {int} -- events kept for the iterator methods (default: {10000})
        header {dict|list} -- extra handshake headers (default: {None})
        sslopt {dict} -- TLS options of ``websocket-client`` for ``wss://`` (default: {None})
    """

    def __init__(
        self,
        client: SocketClient,
        stream_id: str,
        client_id: str,
        *,
        on_event: EventCallback | None = None,
        reconnect: bool = True,
        backoff: Backoff | None = None,
        mark_online: bool = True,
        connect_timeout: float = 10.0,
        idle_timeout: float | None = 120.0,
        max_queue: int = 10_000,
        header: dict[str, str] | list[str] | None = None,
        sslopt: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(stream_id, str) or not stream_id:
            raise SpeckleInputError(f"stream_id must be a non-empty string, got {stream_id!r}")
        if not isinstance(client_id, str) or not client_id:
            raise SpeckleInputError(f"client_id must be a non-empty string, got {client_id!r}")
        if max_queue < 1:
            raise SpeckleInputError("max_queue must be at least 1")
        self.client = client
        self.stream_id = stream_id
        #: The id this listener connects with (the current id may differ: see :attr:`client_id`).
        self.requested_client_id = client_id
        self._client_id = client_id
        self.reconnect = reconnect
        self.backoff = backoff or Backoff()
        self.mark_online = mark_online
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.header = header
        self.sslopt = sslopt
        #: Number of server heartbeats answered.
        self.pings_answered = 0
        #: Number of successful reconnections.
        self.reconnects = 0
        self._callbacks: list[tuple[tuple[type[Event], ...], EventCallback]] = []
        if on_event is not None:
            self._callbacks.append(((Event,), on_event))
        self._queue: collections.deque[Event] = collections.deque(maxlen=max_queue)
        self._cond = threading.Condition()
        self._lock = threading.RLock()
        self._ws: websocket.WebSocket | None = None
        self._connecting: websocket.WebSocket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._finished = threading.Event()
        self._rooms: dict[str, dict[str, Any]] = {}
        self._in_own_room = True
        self._syncs: dict[str, threading.Event] = {}
        self._online = False
        #: The error that made the listener give up, if it did.
        self.error: BaseException | None = None

    # -- state ----------------------------------------------------------------------------------
    @property
    def client_id(self) -> str:
        """The socket's current client id (the server's ``newId`` after a duplicate)."""
        return self._client_id

    @property
    def connected(self) -> bool:
        """Whether the socket is open right now."""
        return self._connected.is_set()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called or the listener gave up."""
        return self._stop.is_set() or self._finished.is_set()

    @property
    def rooms(self) -> list[str]:
        """The rooms joined with :meth:`join` / :meth:`join_stream` (re-joined on reconnect)."""
        with self._lock:
            return list(self._rooms)

    def __repr__(self) -> str:
        state = "connected" if self.connected else ("closed" if self.closed else "connecting")
        return f"<StreamListener stream={self.stream_id!r} client_id={self.client_id!r} {state}>"

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> StreamListener:
        """Start the background thread (connects asynchronously); returns the listener."""
        with self._lock:
            if self._thread is not None:
                return self
            if self._stop.is_set():
                raise SpeckleInputError("a closed listener cannot be started again")
            self._thread = threading.Thread(
                target=self._run, name=f"speckle-listener-{self.stream_id}", daemon=True
            )
            self._thread.start()
        return self

    def close(self, timeout: float = 1.0) -> None:
        """Close the socket and stop reconnecting; safe to call from any thread, repeatedly.

        Returns as soon as the thread has ended (marking the API client offline first), or after
        ``timeout`` seconds, whichever is first.

        Keyword Arguments:
            timeout {float} -- the longest wait for the thread, in seconds (default: {1.0})
        """
        with self._lock:
            self._stop.set()
            ws, connecting, thread = self._ws, self._connecting, self._thread
        if ws is not None:
            try:
                ws.send_close()
            except (websocket.WebSocketException, OSError):
                pass
            _abort(ws)
        if connecting is not None:
            _abort(connecting)
        with self._cond:
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        elif thread is None:
            self._finished.set()

    def __enter__(self) -> StreamListener:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Wait until the socket is open.

        Keyword Arguments:
            timeout {float|None} -- seconds; ``None`` waits forever (default: {None})

        Returns:
            bool -- whether it is connected
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._connected.is_set():
            if self.closed:
                return False
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            self._connected.wait(0.05 if remaining is None else min(0.05, remaining))
        return True

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """Wait until the server has registered the socket, so that it receives broadcasts.

        v1 servers register a socket asynchronously after the handshake and send no "ready"
        frame; until then joins are ignored and broadcasts missed (§9.1). This sends the
        listener a direct message to itself until it comes back (the echo is not delivered
        as an event).

        Keyword Arguments:
            timeout {float} -- seconds (default: {10.0})

        Returns:
            bool -- whether the round trip succeeded in time
        """
        deadline = time.monotonic() + timeout
        token = uuid.uuid4().hex
        done = threading.Event()
        self._syncs[token] = done
        try:
            while time.monotonic() < deadline and not self.closed:
                if not self.wait_connected(deadline - time.monotonic()):
                    return False
                try:
                    self.message(self.client_id, {"eventType": SYNC_EVENT_TYPE, "token": token})
                except SpeckleConnectionError:
                    continue
                if done.wait(min(0.25, max(0.0, deadline - time.monotonic()))):
                    return True
            return done.is_set()
        finally:
            self._syncs.pop(token, None)

    # -- sending --------------------------------------------------------------------------------
    def send_raw(self, text: str) -> None:
        """Send one text frame as is.

        Raises:
            SpeckleConnectionError -- the socket is not connected
        """
        with self._lock:
            ws = self._ws
        if ws is None or not self._connected.is_set():
            raise SpeckleConnectionError(f"the listener of stream {self.stream_id} is not connected")
        try:
            ws.send(text)
        except (websocket.WebSocketException, OSError) as exc:
            raise SpeckleConnectionError(f"sending on the stream socket failed: {exc}") from exc

    def send_event(self, frame: dict[str, Any]) -> None:
        """Send a JSON event frame (``{"eventName": ..., ...}``)."""
        self.send_raw(json.dumps(frame))

    def broadcast(self, args: Any, resource_type: str = "stream", resource_id: str | None = None) -> None:
        """Send ``args`` to every other socket in a room (the sender need not be in it).

        Arguments:
            args {Any} -- the payload, by convention a dict with an ``eventType`` such as
                ``update-global``

        Keyword Arguments:
            resource_type {str} -- ``stream``, ``object``, ``project``, ``comment``, ``user``...
                (default: {'stream'})
            resource_id {str} -- the resource's id (default: {this listener's stream})

        Raises:
            SpeckleConnectionError -- the socket is not connected
        """
        rid = self.stream_id if resource_id is None else resource_id
        frame: dict[str, Any] = {"eventName": "broadcast", "senderId": self.client_id}
        frame.update(_address(resource_type, rid))
        frame["args"] = args
        self.send_event(frame)

    def message(self, recipient_id: str, args: Any) -> None:
        """Send ``args`` to the sockets whose client id is ``recipient_id``.

        Arguments:
            recipient_id {str} -- the recipient's client id
            args {Any} -- the payload

        Raises:
            SpeckleConnectionError -- the socket is not connected
        """
        if not isinstance(recipient_id, str) or not recipient_id:
            raise SpeckleInputError(f"recipient_id must be a non-empty string, got {recipient_id!r}")
        self.send_event(
            {
                "eventName": "message",
                "senderId": self.client_id,
                "recipientId": recipient_id,
                "streamId": self.stream_id,
                "args": args,
            }
        )

    def join(self, resource_type: str, resource_id: str) -> None:
        """Join room ``<resource_type>-<resource_id>``; kept and re-joined after reconnections.

        The server answers with a :class:`~speckle.realtime.events.RoomJoined` event or
        :class:`~speckle.realtime.events.ServerNotice` refusals. When disconnected, the join is
        sent on the next connection.

        Arguments:
            resource_type {str} -- ``stream``, ``object``, ``project``, ``comment`` or ``user``
            resource_id {str} -- the streamId (streams) or ``_id`` of the resource
        """
        self._join(f"{_check(resource_type, 'resource_type')}-{_check(resource_id, 'resource_id')}",
                   {"eventName": "join", "resourceType": resource_type, "resourceId": resource_id})

    def join_stream(self, stream_id: str) -> None:
        """Join ``stream-<stream_id>`` the legacy way (``{"eventName": "join", "streamId"}``).

        Success is silent; a refusal is a ``Failed to join room ...`` notice.

        Arguments:
            stream_id {str} -- the stream's streamId
        """
        self._join(f"stream-{_check(stream_id, 'stream_id')}", {"eventName": "join", "streamId": stream_id})

    def leave(self, resource_type: str, resource_id: str) -> None:
        """Leave room ``<resource_type>-<resource_id>`` (the server never answers).

        Arguments:
            resource_type {str} -- the room's resource type
            resource_id {str} -- the room's resource id
        """
        room = f"{_check(resource_type, 'resource_type')}-{_check(resource_id, 'resource_id')}"
        with self._lock:
            self._rooms.pop(room, None)
            if room == f"stream-{self.stream_id}":
                self._in_own_room = False
        self._send_if_connected({"eventName": "leave", "resourceType": resource_type, "resourceId": resource_id})

    def _join(self, room: str, frame: dict[str, Any]) -> None:
        with self._lock:
            self._rooms[room] = frame
            if room == f"stream-{self.stream_id}":
                self._in_own_room = True
        self._send_if_connected({**frame, "senderId": self.client_id})

    def _send_if_connected(self, frame: dict[str, Any]) -> None:
        try:
            self.send_event(frame)
        except SpeckleConnectionError:
            log.debug("not connected: %s will be sent on the next connection", frame.get("eventName"))

    # -- receiving ------------------------------------------------------------------------------
    def on(self, event_type: type[E] | tuple[type[Event], ...], callback: Callable[[E], Any]) -> Callable[[E], Any]:
        """Call ``callback(event)`` for events of a type (or tuple of types).

        Arguments:
            event_type {type} -- e.g. :class:`~speckle.realtime.events.Broadcast`
            callback {callable} -- runs in the listener's thread

        Returns:
            callable -- ``callback``
        """
        types = event_type if isinstance(event_type, tuple) else (event_type,)
        with self._lock:
            self._callbacks.append((types, callback))  # type: ignore[arg-type]
        return callback

    def next_event(self, timeout: float | None = None) -> Event | None:
        """The next queued event, waiting at most ``timeout`` seconds.

        Keyword Arguments:
            timeout {float|None} -- seconds; ``None`` waits until an event or :meth:`close`
                (default: {None})

        Returns:
            Event|None -- the event, or ``None`` on timeout or once closed and drained
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._queue:
                if self.closed:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            return self._queue.popleft()

    def events(self, timeout: float | None = None) -> Iterator[Event]:
        """Iterate over events until none arrives for ``timeout`` seconds or the listener closes.

        Keyword Arguments:
            timeout {float|None} -- the longest wait for one event; ``None`` waits until
                :meth:`close` (default: {None})

        Returns:
            Iterator[Event] -- the events
        """
        while True:
            event = self.next_event(timeout)
            if event is None:
                return
            yield event

    def __iter__(self) -> Iterator[Event]:
        return self.events()

    def wait_for(
        self,
        event_type: type[E] | tuple[type[Event], ...] = Event,
        timeout: float = 10.0,
        predicate: Callable[[E], bool] | None = None,
    ) -> E:
        """Take the first queued event of a type (matching ``predicate``), waiting for it.

        Other events stay queued, in order.

        Keyword Arguments:
            event_type {type} -- the wanted event class(es) (default: {Event})
            timeout {float} -- seconds (default: {10.0})
            predicate {callable} -- an extra condition on the event (default: {None})

        Returns:
            Event -- the event

        Raises:
            SpeckleTimeoutError -- no such event arrived in time (or the listener closed)
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for index, event in enumerate(self._queue):
                    if isinstance(event, event_type) and (predicate is None or predicate(event)):  # type: ignore[arg-type]
                        del self._queue[index]
                        return event  # type: ignore[return-value]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    names = getattr(event_type, "__name__", str(event_type))
                    raise SpeckleTimeoutError(f"no {names} event within {timeout}s on stream {self.stream_id}")
                self._cond.wait(remaining)

    # -- the thread -----------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        """Run the callbacks, then queue the event (callbacks have seen what the iterator gets)."""
        with self._lock:
            callbacks = list(self._callbacks)
        for types, callback in callbacks:
            if isinstance(event, types):
                try:
                    callback(event)
                except Exception:
                    log.exception("listener callback %r failed on %s", callback, type(event).__name__)
        with self._cond:
            self._queue.append(event)
            self._cond.notify_all()

    def _url(self) -> str:
        return socket_url(self.client.websocket_url, self.requested_client_id, self.stream_id, self.client.apitoken)

    def _open(self) -> websocket.WebSocket:
        ws = websocket.WebSocket(enable_multithread=True, sslopt=self.sslopt)
        with self._lock:
            if self._stop.is_set():
                raise SpeckleConnectionError("listener closed")
            self._connecting = ws
        try:
            ws.connect(self._url(), timeout=self.connect_timeout, header=self.header)
            ws.settimeout(self.idle_timeout)
        finally:
            with self._lock:
                self._connecting = None
        return ws

    def _run(self) -> None:
        failures = 0
        down_since: float | None = None
        try:
            while not self._stop.is_set():
                try:
                    ws = self._open()
                except (websocket.WebSocketException, OSError, SpeckleConnectionError) as exc:
                    if self._stop.is_set():
                        break
                    failures += 1
                    limit = self.backoff.max_attempts
                    if not self.reconnect or (limit is not None and failures >= limit):
                        self.error = exc
                        log.error("stream %s: giving up after %d failed connection attempt(s): %s",
                                  self.stream_id, failures, exc)
                        break
                    delay = self.backoff.delay(failures)
                    log.warning("stream %s: connection attempt %d failed (%s); retrying in %.2fs",
                                self.stream_id, failures, exc, delay)
                    self._stop.wait(delay)
                    continue
                self._client_id = self.requested_client_id
                with self._lock:
                    if self._stop.is_set():
                        _release(ws)
                        break
                    self._ws = ws
                    self._connected.set()
                attempts, failures = failures + 1, 0
                if down_since is None:
                    log.info("stream %s: connected as %s", self.stream_id, self.client_id)
                    self._emit(Connected(client_id=self.client_id, url=self.client.websocket_url))
                else:
                    self.reconnects += 1
                    downtime = time.monotonic() - down_since
                    log.info("stream %s: reconnected as %s after %.2fs (%d attempt(s))",
                             self.stream_id, self.client_id, downtime, attempts)
                    self._emit(Reconnected(client_id=self.client_id, attempts=attempts, downtime=downtime))
                self._restore_rooms()
                self._set_online(True)
                code, reason = self._receive(ws)
                with self._lock:
                    self._connected.clear()
                    self._ws = None
                _release(ws)
                if self._stop.is_set():
                    break
                down_since = time.monotonic()
                log.warning("stream %s: disconnected (code %s%s)%s", self.stream_id, code,
                            f", {reason}" if reason else "", "; reconnecting" if self.reconnect else "")
                self._emit(Disconnected(code=code, reason=reason, will_reconnect=self.reconnect))
                if not self.reconnect:
                    break
                failures = 1
                self._stop.wait(self.backoff.delay(1))
        except Exception as exc:  # never die silently in a background thread
            self.error = exc
            log.exception("stream %s: listener thread failed", self.stream_id)
        finally:
            with self._lock:
                self._connected.clear()
                self._ws = None
            if self._online:
                self._set_online(False)
            self._finished.set()
            with self._cond:
                self._cond.notify_all()
            log.debug("stream %s: listener stopped", self.stream_id)

    def _receive(self, ws: websocket.WebSocket) -> tuple[int | None, str]:
        """Read frames until the connection ends; returns the close code and reason."""
        while not self._stop.is_set():
            try:
                opcode, data = ws.recv_data()
            except websocket.WebSocketTimeoutException:
                return None, f"no frame for {self.idle_timeout}s"
            except (websocket.WebSocketException, OSError) as exc:
                return _CLOSE_ABNORMAL, str(exc) or type(exc).__name__
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return _close_status(data)
            if opcode == websocket.ABNF.OPCODE_TEXT:
                text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
                self._on_text(text)
            else:
                log.debug("stream %s: ignoring a binary frame of %d bytes", self.stream_id, len(data))
        return None, "closed"

    def _on_text(self, text: str) -> None:
        if text == PING:
            try:
                self.send_raw(ALIVE)
                self.pings_answered += 1
            except SpeckleConnectionError as exc:
                log.debug("could not answer a ping: %s", exc)
            return
        try:
            event = parse_frame(text, self.client_id)
        except Exception:  # parse_frame does not raise; belt and braces for a long-lived thread
            log.exception("stream %s: unparseable frame", self.stream_id)
            return
        if isinstance(event, ClientIdChanged):
            log.warning("stream %s: client id %s is already connected; the server renamed this socket %s",
                        self.stream_id, self._client_id, event.new_id)
            self._client_id = event.new_id
        elif isinstance(event, DirectMessage) and self._is_sync(event):
            return
        elif isinstance(event, ServerNotice) and event.kind in (NoticeKind.HEARTBEAT_WARNING, NoticeKind.KICKED):
            log.warning("stream %s: server says %r", self.stream_id, event.text)
        self._emit(event)

    def _is_sync(self, event: DirectMessage) -> bool:
        args = event.args
        if not (isinstance(args, dict) and args.get("eventType") == SYNC_EVENT_TYPE):
            return False
        token = args.get("token")
        done = self._syncs.get(token) if isinstance(token, str) else None
        if done is not None:
            done.set()
        return event.sender_id == self.client_id or done is not None

    def _restore_rooms(self) -> None:
        with self._lock:
            frames = list(self._rooms.values())
            leave_own = not self._in_own_room
        if leave_own:
            self._send_if_connected({"eventName": "leave", "streamId": self.stream_id})
        for frame in frames:
            self._send_if_connected({**frame, "senderId": self.client_id})
        if frames:
            log.debug("stream %s: re-joined %d room(s)", self.stream_id, len(frames))

    def _set_online(self, online: bool) -> None:
        if not self.mark_online or not is_real_client_id(self.requested_client_id):
            return
        if set_client_online(self.client, self.requested_client_id, online):
            self._online = online


def _check(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise SpeckleInputError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _address(resource_type: str, resource_id: str) -> dict[str, str]:
    """The room fields of a frame: ``streamId`` for streams (the official shape), else the pair."""
    _check(resource_type, "resource_type")
    _check(resource_id, "resource_id")
    if resource_type == "stream":
        return {"streamId": resource_id}
    return {"resourceType": resource_type, "resourceId": resource_id}


def _close_status(data: bytes) -> tuple[int | None, str]:
    if len(data) >= 2:
        code = struct.unpack("!H", data[:2])[0]
        return code, data[2:].decode("utf-8", "replace")
    return None, ""


def _release(ws: websocket.WebSocket) -> None:
    """Close ``ws``'s socket (in the thread that reads it)."""
    _abort(ws)
    ws.shutdown()


def _abort(ws: websocket.WebSocket) -> None:
    """Wake a thread blocked in ``recv`` on ``ws`` and release the socket, whatever its state."""
    sock = getattr(ws, "sock", None)
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
