"""``StreamListener`` over real sockets against the local server."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import websocket

from speckle import SpeckleApiClient, SpeckleConnectionError, SpeckleTimeoutError
from speckle.devserver import LocalServer
from speckle.devserver.realtime import BYE
from speckle.realtime import (
    Backoff,
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
    StreamListener,
)

from .conftest import FAST, Listen, make_stream, new_user


def quiet(listener: StreamListener, types: type[Event] | tuple[type[Event], ...], wait: float = 0.3) -> bool:
    """True when no event of ``types`` arrives within ``wait`` seconds."""
    with pytest.raises(SpeckleTimeoutError):
        listener.wait_for(types, timeout=wait)
    return True


def test_two_clients_exchange_broadcasts_and_direct_messages(
    listen: Listen, user: SpeckleApiClient, other_user: SpeckleApiClient, stream_id: str
) -> None:
    alice = listen(user, stream_id)
    bob = listen(other_user, stream_id)
    assert isinstance(alice.wait_for(Connected, 1), Connected)

    alice.broadcast({"eventType": "update-global", "n": 1})
    got = bob.wait_for(Broadcast, 3)
    assert (got.sender_id, got.stream_id, got.event_type, got.args["n"]) == (alice.client_id, stream_id,
                                                                             "update-global", 1)
    assert json.loads(got.raw or "") == {"eventName": "broadcast", "senderId": alice.client_id,
                                          "streamId": stream_id, "args": {"eventType": "update-global", "n": 1}}
    assert quiet(alice, Broadcast)  # the sender does not hear itself

    bob.message(alice.client_id, {"eventType": "hello", "text": "hi alice"})
    dm = alice.wait_for(DirectMessage, 3)
    assert (dm.sender_id, dm.recipient_id, dm.stream_id, dm.args["text"]) == (bob.client_id, alice.client_id,
                                                                              stream_id, "hi alice")
    assert quiet(bob, DirectMessage, 0.1)


def test_resource_rooms_join_broadcast_and_leave(
    listen: Listen, user: SpeckleApiClient, other_user: SpeckleApiClient, stream_id: str
) -> None:
    project = user.projects.create({"name": "live project"})
    alice = listen(user, stream_id)
    bob = listen(other_user, make_stream(other_user))
    alice.join("project", project.id)
    assert alice.wait_for(RoomJoined, 3).room_name == f"project-{project.id}"
    assert alice.rooms == [f"project-{project.id}"]
    bob.broadcast({"eventType": "project-update"}, resource_type="project", resource_id=project.id)
    got = alice.wait_for(Broadcast, 3)
    assert (got.resource_type, got.resource_id, got.room) == ("project", project.id, f"project-{project.id}")
    alice.join("project", project.id)
    assert alice.wait_for(ServerNotice, 3).kind == NoticeKind.ALREADY_JOINED
    alice.leave("project", project.id)
    assert alice.rooms == []
    assert alice.wait_ready(3)  # the leave was processed before this round trip
    bob.broadcast({"eventType": "project-update"}, resource_type="project", resource_id=project.id)
    assert quiet(alice, Broadcast)


def test_private_stream_room_refuses_anonymous_and_admits_owner(
    listen: Listen, user: SpeckleApiClient, anonymous: SpeckleApiClient, other_user: SpeckleApiClient
) -> None:
    private = make_stream(user, private=True)
    public = make_stream(other_user)
    stranger = listen(anonymous, public)
    assert stranger.client_id.startswith("temp-")
    stranger.join("stream", private)
    first = stranger.wait_for(ServerNotice, 3)
    second = stranger.wait_for(ServerNotice, 3)
    assert first.text == "You are an anonymous client. You cannot access this resource."
    assert second.text == "Anonymous room join for private resource."
    assert {first.kind, second.kind} == {NoticeKind.JOIN_REFUSED}
    stranger.join_stream(private)
    refused = stranger.wait_for(ServerNotice, 3)
    assert (refused.text, refused.kind) == (f"Failed to join room stream-{private}", NoticeKind.JOIN_REFUSED)

    owner = listen(user, public)
    owner.join("stream", private)
    assert owner.wait_for(RoomJoined, 3).room_name == f"stream-{private}"
    owner.leave("stream", private)
    owner.join_stream(private)  # the legacy join succeeds silently
    assert owner.wait_ready(3)
    assert quiet(owner, ServerNotice, 0.1)

    writer = listen(other_user, public)
    writer.broadcast({"eventType": "update-meta"}, resource_id=private)
    assert owner.wait_for(Broadcast, 3).stream_id == private
    assert quiet(stranger, Broadcast)


def test_listener_survives_a_server_restart(speckle_server_factory, tmp_path: Path, listen: Listen) -> None:
    db = str(tmp_path / "speckle.db")
    server = speckle_server_factory(db_path=db)
    port = server.port
    owner, _ = new_user(server)
    stream_id = make_stream(owner)
    project = owner.projects.create({"name": "restart"})
    events: list[Event] = []
    listener = listen(owner, stream_id, on_event=events.append)
    listener.join("project", project.id)
    listener.wait_for(RoomJoined, 3)
    assert owner.api_clients.get(listener.requested_client_id).online is True

    server.stop()
    dropped = listener.wait_for(Disconnected, 5)
    assert dropped.will_reconnect and not listener.connected
    with pytest.raises(SpeckleConnectionError):
        listener.broadcast({"eventType": "lost"})
    time.sleep(0.3)  # a few failed attempts while the server is down
    speckle_server_factory(db_path=db, port=port)  # same data, same address

    back = listener.wait_for(Reconnected, 10)
    assert back.client_id == listener.requested_client_id and back.attempts >= 1 and back.downtime > 0.2
    assert listener.reconnects == 1
    assert listener.wait_ready(5)
    rejoined = listener.wait_for(RoomJoined, 3)  # re-joined by itself
    assert rejoined.room_name == f"project-{project.id}"

    sender = listen(owner, stream_id, client_id="restart-sender", mark_online=False)
    sender.broadcast({"eventType": "update-global", "after": "restart"})
    assert listener.wait_for(Broadcast, 3).args["after"] == "restart"
    sender.broadcast({"eventType": "update-project"}, resource_type="project", resource_id=project.id)
    assert listener.wait_for(Broadcast, 3).room == f"project-{project.id}"
    kinds = [type(e).__name__ for e in events if isinstance(e, (Connected, Disconnected, Reconnected))]
    assert kinds == ["Connected", "Disconnected", "Reconnected"]


def test_heartbeats_are_answered_while_a_silent_socket_is_kicked(speckle_server_factory, listen: Listen) -> None:
    server = speckle_server_factory(heartbeat_interval=0.05)
    client, _ = new_user(server)
    stream_id = make_stream(client)
    listener = listen(client, stream_id)
    raw = websocket.create_connection(
        f"{server.ws_url}/?client_id=silent&stream_id={stream_id}&access_token={quote(client.apitoken or '')}",
        timeout=5,
    )
    try:
        texts = []
        while not texts or texts[-1] != BYE:
            texts.append(raw.recv())
        assert texts.count("ping") == 11  # never answered: kicked after 10 missed
    finally:
        raw.close(timeout=0.1)
    deadline = time.monotonic() + 5
    while listener.pings_answered < 25 and time.monotonic() < deadline:  # > twice the kick threshold
        time.sleep(0.05)
    assert listener.connected and listener.pings_answered >= 25
    assert listener.reconnects == 0
    assert quiet(listener, (Disconnected, ServerNotice), 0.05)


def test_duplicate_client_id_adopts_the_new_id(listen: Listen, anonymous: SpeckleApiClient, user: SpeckleApiClient,
                                                stream_id: str) -> None:
    shared = f"dup-{time.monotonic_ns()}"
    first = listen(anonymous, stream_id, client_id=shared)
    second = listen(anonymous, stream_id, client_id=shared, ready=False)
    changed = second.wait_for(ClientIdChanged, 3)
    assert changed.old_id == shared and len(changed.new_id) == 24
    assert second.client_id == changed.new_id and second.requested_client_id == shared
    assert second.wait_ready(3)
    sender = listen(user, stream_id)
    sender.message(changed.new_id, {"eventType": "for-second"})
    assert second.wait_for(DirectMessage, 3).args == {"eventType": "for-second"}
    assert quiet(first, DirectMessage, 0.1)
    second.broadcast({"eventType": "from-second"})
    assert first.wait_for(Broadcast, 3).sender_id == changed.new_id


def test_idle_connection_is_replaced(listen: Listen, user: SpeckleApiClient, other_user: SpeckleApiClient,
                                     stream_id: str) -> None:
    listener = listen(user, stream_id, idle_timeout=0.3)  # the shared server pings only every 30 s
    dropped = listener.wait_for(Disconnected, 3)
    assert dropped.code is None and "no frame" in dropped.reason
    listener.wait_for(Reconnected, 3)
    assert listener.wait_ready(3)
    listen(other_user, stream_id).broadcast({"eventType": "still-here"})
    assert listener.wait_for(Broadcast, 3).event_type == "still-here"


def test_unusual_frames_never_stop_the_listener(listen: Listen, speckle_server: LocalServer, user: SpeckleApiClient,
                                                stream_id: str) -> None:
    listener = listen(user, stream_id)
    raw = websocket.create_connection(f"{speckle_server.ws_url}/?client_id=odd-{time.monotonic_ns()}", timeout=5)
    try:
        target = listener.client_id
        for frame in ({"eventName": "message", "recipientId": target, "senderId": {"weird": True}, "args": None},
                      {"eventName": "message", "recipientId": target, "args": "x" * 100_000},
                      {"eventName": "broadcast", "streamId": stream_id, "args": [None]}):
            raw.send(json.dumps(frame))
        raw.send_binary(b"\x00\xff")
    finally:
        raw.close(timeout=0.1)
    first = listener.wait_for(DirectMessage, 3)
    assert first.sender_id == '{"weird":true}' and first.args is None  # non-string ids shown as JSON
    assert listener.wait_for(DirectMessage, 3).args == "x" * 100_000
    assert listener.wait_for(Broadcast, 3).args == [None]
    assert listener.connected and listener.wait_ready(3)


def test_callbacks_iterator_and_context_manager(user: SpeckleApiClient, other_user: SpeckleApiClient,
                                                stream_id: str, listen: Listen) -> None:
    seen: list[Broadcast] = []
    failures: list[Event] = []

    def explode(event: Event) -> None:
        failures.append(event)
        raise RuntimeError("a broken callback must not kill the listener")

    sender = listen(other_user, stream_id)
    with user.listen(stream_id, backoff=FAST, on_event=explode) as listener:
        listener.on(Broadcast, seen.append)
        assert listener.wait_ready(5)
        for n in range(3):
            sender.broadcast({"eventType": "update-global", "n": n})
        got = []
        for event in listener:
            if isinstance(event, Broadcast):
                got.append(event.args["n"])
                if len(got) == 3:
                    break
        assert got == [0, 1, 2]
        assert [e.args["n"] for e in seen] == [0, 1, 2]
        assert listener.next_event(timeout=0.05) is None
        assert list(listener.events(timeout=0.05)) == []
    assert listener.closed and not listener.connected
    assert len(failures) >= 4  # Connected + 3 broadcasts, each survived
    assert listener.next_event() is None  # closed and drained: no blocking


def test_close_is_prompt_connected_reconnecting_and_from_any_thread(
    speckle_server_factory, user: SpeckleApiClient, stream_id: str
) -> None:
    listener = user.listen(stream_id, backoff=FAST)
    assert listener.wait_ready(5)
    started = time.perf_counter()
    listener.close()
    assert time.perf_counter() - started < 0.5
    assert listener.closed and not listener.connected and not listener._thread.is_alive()  # type: ignore[union-attr]
    listener.close()  # idempotent

    server = speckle_server_factory()
    client, _ = new_user(server)
    waiting = client.listen(make_stream(client), backoff=Backoff(initial=30, maximum=60))
    assert waiting.wait_connected(5)
    server.stop()
    waiting.wait_for(Disconnected, 5)  # now sleeping ~15-30 s before the next attempt
    closers = [threading.Thread(target=waiting.close) for _ in range(4)]
    started = time.perf_counter()
    for thread in closers:
        thread.start()
    for thread in closers:
        thread.join()
    assert time.perf_counter() - started < 0.5
    assert waiting.closed and not waiting._thread.is_alive()  # type: ignore[union-attr]


def test_api_client_is_marked_online_then_offline(user: SpeckleApiClient, stream_id: str) -> None:
    before = {c.id for c in user.api_clients.list()}
    listener = user.listen(stream_id, backoff=FAST)
    try:
        assert listener.wait_ready(5)
        record = user.api_clients.get(listener.requested_client_id)
        assert listener.requested_client_id not in before and record.streamId == stream_id
        user.api_clients.update(record.id, {"online": False})
        listener.close()
        listener2 = user.listen(stream_id, client_id=record.id, backoff=FAST)
        assert listener2.wait_ready(5)
        assert user.api_clients.get(record.id).online is True  # marked online on connect
    finally:
        listener.close()
    listener2.close()
    assert user.api_clients.get(record.id).online is False  # and offline on close


def test_failing_online_mark_is_not_fatal(user: SpeckleApiClient, other_user: SpeckleApiClient, stream_id: str,
                                          caplog: pytest.LogCaptureFixture) -> None:
    record = user.register_socket_client(stream_id)
    # other_user may not write the record of someone else's stream: the PUT fails
    with caplog.at_level("WARNING", logger="speckle.realtime"):
        listener = other_user.listen(stream_id, client_id=record, backoff=FAST)
        try:
            assert listener.wait_ready(5)
        finally:
            listener.close()
    assert any("could not mark API client" in r.getMessage() for r in caplog.records)
    assert all((other_user.apitoken or "@@") not in r.getMessage() for r in caplog.records)


def test_giving_up_after_max_attempts(anonymous: SpeckleApiClient) -> None:
    client = SpeckleApiClient("127.0.0.1:9", use_ssl=False)  # discard port: nothing listens
    listener = client.listen("someStream", client_id="x", backoff=Backoff(initial=0.01, maximum=0.02,
                                                                          max_attempts=3))
    try:
        assert not listener.wait_connected(5)
        assert listener.closed and isinstance(listener.error, (OSError, websocket.WebSocketException))
    finally:
        listener.close()
