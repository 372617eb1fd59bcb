"""The WebSocket protocol (§9): rooms, events, replies, duplicate ids, heartbeat."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
import websocket

from speckle.devserver.realtime import BYE, NO_CLIENT_ID, WARNING

from .conftest import Http

Connect = Callable[..., websocket.WebSocket]


@pytest.fixture
def connect(http: Http) -> Iterator[Connect]:
    """Open sockets on the shared server; all are closed at teardown."""
    opened: list[websocket.WebSocket] = []

    def open_socket(client_id: str | None = "c", path: str = "/", server=None, **params: str) -> websocket.WebSocket:
        target = server or http.server
        query = {**({"client_id": client_id} if client_id is not None else {}), **params}
        qs = "&".join(f"{k}={quote(v)}" for k, v in query.items())
        ws = websocket.create_connection(f"{target.ws_url}{path}?{qs}", timeout=5)
        opened.append(ws)
        return ws

    yield open_socket
    for ws in opened:
        try:
            ws.close(timeout=0.2)
        except Exception:
            pass


def uid(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns()}"


def silent(ws: websocket.WebSocket, wait: float = 0.3) -> bool:
    """True when nothing arrives within ``wait`` seconds."""
    ws.settimeout(wait)
    try:
        ws.recv()
    except websocket.WebSocketTimeoutException:
        return True
    finally:
        ws.settimeout(5)
    return False


def test_missing_client_id(connect: Connect) -> None:
    ws = connect(client_id=None)
    assert ws.recv() == NO_CLIENT_ID
    opcode, frame = ws.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE and frame.data == b""  # no status code -> 1005


def test_broadcast_rooms_and_message(connect: Connect, http: Http) -> None:
    sid = uid("room")
    a, b, c = uid("a"), uid("b"), uid("c")
    ws_a = connect(a, stream_id=sid)
    ws_b = connect(b, path="/api", stream_id=sid)
    ws_c = connect(c, path="/any/path")
    event = {"eventName": "broadcast", "senderId": a, "streamId": sid, "args": {"eventType": "update-global"}}
    frame = json.dumps(event, indent=1)
    ws_a.send(frame)
    assert ws_b.recv() == frame  # relayed byte for byte
    assert silent(ws_a) and silent(ws_c)  # sender excluded, non-members excluded
    # the sender need not be in the room
    ws_c.send(json.dumps({"eventName": "broadcast", "streamId": sid}))
    assert json.loads(ws_a.recv()) == {"eventName": "broadcast", "streamId": sid}
    assert json.loads(ws_b.recv()) == {"eventName": "broadcast", "streamId": sid}
    direct = json.dumps({"eventName": "message", "recipientId": c, "args": {"x": 1}})
    ws_a.send(direct)
    assert ws_c.recv() == direct and silent(ws_b)
    ws_b.send(json.dumps({"eventName": "leave", "streamId": sid}))
    ws_a.send(json.dumps({"eventName": "broadcast", "streamId": sid, "n": 2}))
    assert silent(ws_b)
    for junk in ("not json", "[1,2]", json.dumps({"no": "event"}), json.dumps({"eventName": "nope"})):
        ws_a.send(junk)
    ws_a.send_binary(b"\x00\x01")
    assert silent(ws_a, 0.2) and ws_a.connected


def test_join_with_stream_id(connect: Connect, http: Http) -> None:
    owner, stranger = http.register(), http.register()
    public = http.stream(owner)["streamId"]
    private = http.stream(owner, private=True)["streamId"]
    anon = connect(uid("anon"))
    anon.send(json.dumps({"eventName": "join", "streamId": public}))
    assert silent(anon)
    anon.send(json.dumps({"eventName": "join", "streamId": public}))
    assert anon.recv() == "You already joined that room."
    anon.send(json.dumps({"eventName": "join", "streamId": private}))
    assert anon.recv() == f"Failed to join room stream-{private}"
    intruder = connect(uid("s"), access_token=stranger.apitoken)
    intruder.send(json.dumps({"eventName": "join", "streamId": private}))
    assert intruder.recv() == f"Failed to join room stream-{private}"
    session_token = connect(uid("t"), access_token=owner.token)  # only the apitoken authenticates
    session_token.send(json.dumps({"eventName": "join", "streamId": private}))
    assert session_token.recv() == f"Failed to join room stream-{private}"
    member = connect(uid("o"), access_token=owner.apitoken)
    member.send(json.dumps({"eventName": "join", "streamId": private}))
    assert silent(member)
    anon.send(json.dumps({"eventName": "broadcast", "streamId": private, "hello": 1}))
    assert json.loads(member.recv())["hello"] == 1
    missing = connect(uid("m"))
    missing.send(json.dumps({"eventName": "join", "streamId": "does-not-exist"}))
    assert missing.recv() == "Failed to join room stream-does-not-exist"


def test_join_with_resource_type(connect: Connect, http: Http) -> None:
    owner, stranger = http.register(), http.register()
    private_project = http.ok("POST", "/projects", owner, json={"name": "p"})["resource"]["_id"]
    oid = http.ok("POST", "/objects", owner, json=[{"type": "W", "k": uid("o")}])["resources"][0]["_id"]
    anon = connect(uid("anon"))
    anon.send(json.dumps({"eventName": "join", "resourceType": "object", "resourceId": oid}))
    assert json.loads(anon.recv()) == {"message": "Room joined.", "roomName": f"object-{oid}"}
    anon.send(json.dumps({"eventName": "join", "resourceType": "object", "resourceId": oid}))
    assert anon.recv() == "You already joined that room."
    anon.send(json.dumps({"eventName": "join", "resourceType": "project", "resourceId": private_project}))
    assert anon.recv() == "You are an anonymous client. You cannot access this resource."
    assert anon.recv() == "Anonymous room join for private resource."
    plus_encoded = quote(stranger.apitoken, safe="").replace("%20", "+")  # JWT+eyJ... form
    other = websocket.create_connection(f"{http.server.ws_url}/?client_id={uid('x')}&access_token={plus_encoded}",
                                        timeout=5)
    other.send(json.dumps({"eventName": "join", "resourceType": "project", "resourceId": private_project}))
    assert other.recv() == "You are not authorised to read."
    other.send(json.dumps({"eventName": "join", "resourceType": "user", "resourceId": owner.id}))
    assert other.recv() == "Not authorised"
    other.send(json.dumps({"eventName": "join", "resourceType": "objects", "resourceId": "xyz"}))
    assert other.recv() == 'Cast to ObjectId failed for value "xyz" at path "_id" for model "SpeckleObject"'
    other.send(json.dumps({"eventName": "join", "resourceType": "object", "resourceId": "0" * 24}))
    assert other.recv() == "Cannot read property 'private' of null"
    other.send(json.dumps({"eventName": "join", "resourceType": "gadget", "resourceId": "1"}))
    assert silent(other)
    mine = connect(uid("own"), access_token=owner.apitoken)
    mine.send(json.dumps({"eventName": "join", "resourceType": "project", "resourceId": private_project}))
    assert json.loads(mine.recv())["roomName"] == f"project-{private_project}"
    other.close()
    anon.send(json.dumps({"eventName": "broadcast", "resourceType": "project", "resourceId": private_project}))
    assert json.loads(mine.recv())["resourceId"] == private_project
    mine.send(json.dumps({"eventName": "leave", "roomName": f"project-{private_project}"}))
    anon.send(json.dumps({"eventName": "broadcast", "resourceType": "project", "resourceId": private_project}))
    assert silent(mine)


def test_duplicate_client_id(connect: Connect) -> None:
    shared = uid("dup")
    first = connect(shared)
    second = connect(shared)
    notice = json.loads(second.recv())
    assert notice["message"] == "Warning: this client is open in another file."
    new_id = notice["newId"]
    assert len(new_id) == 24 and int(new_id, 16) >= 0
    third = connect(uid("sender"))
    third.send(json.dumps({"eventName": "message", "recipientId": new_id, "n": 1}))
    assert json.loads(second.recv())["n"] == 1 and silent(first)
    first.close()
    time.sleep(0.1)
    fourth = connect(shared)  # released once the first socket is gone
    assert silent(fourth)


def _closed_without_close_frame(ws: websocket.WebSocket, deadline: float) -> bool:
    """Read until the connection drops; False if a close frame arrives."""
    ws.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            opcode, _ = ws.recv_data_frame(control_frame=True)
        except websocket.WebSocketTimeoutException:
            continue
        except (OSError, websocket.WebSocketConnectionClosedException, ConnectionError):
            return True
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return False
    raise AssertionError("socket was not dropped in time")


def test_heartbeat_keeps_answering_sockets_and_kicks_silent_ones(speckle_server_factory, connect: Connect) -> None:
    server = speckle_server_factory(heartbeat_interval=0.05)
    alive = connect(uid("alive"), server=server)
    quiet = connect(uid("quiet"), server=server)
    stop = threading.Event()
    seen: list[str] = []

    def answer() -> None:  # a well-behaved client: answers every ping with "alive"
        alive.settimeout(0.2)
        while not stop.is_set():
            try:
                frame = alive.recv()
            except websocket.WebSocketTimeoutException:
                continue
            seen.append(frame)
            if frame == "ping":
                alive.send("alive")

    responder = threading.Thread(target=answer)
    responder.start()
    try:
        texts: list[str] = []
        quiet.settimeout(3)
        while not texts or texts[-1] != BYE:
            texts.append(quiet.recv())
        assert texts.count("ping") == 11 and texts.count(WARNING) == 6
        assert texts.index(WARNING) == 6  # 7th tick: 6 missed > 5, warns before its ping
        assert texts[-2:] == [WARNING, BYE] and texts[-3] == "ping"
        assert _closed_without_close_frame(quiet, time.monotonic() + 3)
        time.sleep(0.5)  # > 20 heartbeat periods in total for the answering socket
    finally:
        stop.set()
        responder.join()
    assert seen.count("ping") >= 20 and set(seen) == {"ping"}
    assert alive.connected
    alive.settimeout(1)
    assert alive.recv() == "ping"
