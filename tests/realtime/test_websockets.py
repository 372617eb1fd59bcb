"""``client.websockets()``: the seed's low-level ``WebSocketApp`` with the URL a v1 server expects."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import websocket

from speckle import SpeckleApiClient, SpeckleInputError
from speckle.devserver import LocalServer
from speckle.realtime import Broadcast, socket_url

from .conftest import PASSWORD, Listen, make_stream, new_user


def query(url: str) -> dict[str, str]:
    parsed = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in parsed.values())
    return {k: v[0] for k, v in parsed.items()}


@pytest.mark.parametrize(
    ("host", "use_ssl", "prefix"),
    [
        ("speckle.example.com", True, "wss://speckle.example.com/?"),
        ("speckle.example.com:3000", False, "ws://speckle.example.com:3000/?"),
        ("https://speckle.example.com/api/v1", False, "wss://speckle.example.com/?"),
        ("http://127.0.0.1:3000/proxy/api", True, "ws://127.0.0.1:3000/proxy/?"),
    ],
)
def test_scheme_follows_the_client(host: str, use_ssl: bool, prefix: str) -> None:
    client = SpeckleApiClient(host, use_ssl=use_ssl)
    app = client.websockets("abcStream", client_id="me")
    assert isinstance(app, websocket.WebSocketApp)
    assert app.url.startswith(prefix)
    assert query(app.url) == {"client_id": "me", "stream_id": "abcStream"}  # anonymous: no access_token


def test_token_is_percent_encoded() -> None:
    url = socket_url("ws://h", "c&d", "s", "JWT a.b+c")
    assert "access_token=JWT%20a.b%2Bc" in url and "client_id=c%26d" in url
    assert query(url) == {"client_id": "c&d", "stream_id": "s", "access_token": "JWT a.b+c"}


def test_access_token_is_the_apitoken_after_register_login_and_token_login(speckle_server: LocalServer) -> None:
    registered, email = new_user(speckle_server)
    apitoken = registered.apitoken
    assert apitoken and apitoken.startswith("JWT ")
    session_token = registered.me.token if registered.me else None
    assert session_token and session_token != apitoken

    logged_in = SpeckleApiClient(speckle_server.host, use_ssl=False)
    logged_in.login(email, PASSWORD)
    by_token = SpeckleApiClient(speckle_server.host, use_ssl=False)
    by_token.login_with_token(session_token)  # even the 24 h token gives the apitoken on the socket
    for client in (registered, logged_in, by_token):
        url = client.websockets("aStream", client_id="c1").url
        assert url.startswith(f"ws://{speckle_server.host}/?")
        assert query(url)["access_token"] == apitoken


def test_without_client_id_an_api_client_is_registered(speckle_client: SpeckleApiClient) -> None:
    stream_id = make_stream(speckle_client)
    before = {c.id for c in speckle_client.api_clients.list()}
    app = speckle_client.websockets(stream_id)
    client_id = query(app.url)["client_id"]
    assert client_id not in before
    record = speckle_client.api_clients.get(client_id)
    assert record.streamId == stream_id and record.owner


def test_anonymous_registration_gives_a_temporary_id(anonymous: SpeckleApiClient, stream_id: str) -> None:
    params = query(anonymous.websockets(stream_id).url)
    assert params["client_id"].startswith("temp-") and "access_token" not in params


@pytest.mark.parametrize("bad", ["", 5])
def test_bad_client_id_is_refused(bad: object) -> None:
    with pytest.raises(SpeckleInputError):
        SpeckleApiClient("h", use_ssl=False).websockets("s", client_id=bad)  # type: ignore[arg-type]


def test_the_app_receives_broadcasts_of_its_stream(user: SpeckleApiClient, other_user: SpeckleApiClient,
                                                   listen: Listen) -> None:
    stream_id = make_stream(user, private=True)  # stream_id in the URL puts the socket in the room
    received: list[str] = []
    opened = threading.Event()

    def on_message(ws: websocket.WebSocketApp, message: str) -> None:
        received.append(message)
        if message == "ping":
            ws.send("alive")

    app = user.websockets(stream_id, on_open=lambda ws: opened.set(), on_message=on_message)
    runner = threading.Thread(target=app.run_forever, daemon=True)
    runner.start()
    try:
        assert opened.wait(5)
        sender = listen(other_user, make_stream(other_user))
        receiver = listen(user, stream_id)  # a listener in the same room proves the broadcast went out
        sender.broadcast({"eventType": "update-global"}, resource_id=stream_id)
        assert receiver.wait_for(Broadcast, 3).stream_id == stream_id
        deadline = threading.Event()
        for _ in range(30):
            if received:
                break
            deadline.wait(0.1)
        assert received and '"update-global"' in received[0]
    finally:
        app.close()
        runner.join(5)  # websocket-client's own shutdown; the thread is a daemon either way
