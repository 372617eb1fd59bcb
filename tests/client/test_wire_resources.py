"""Every public method of every resource on the wire: method, URL, query, headers, body, result."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests_mock

from speckle.errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    SpeckleInputError,
)
from speckle.models import (
    ApiClient,
    Comment,
    DeniedObject,
    Mesh,
    Placeholder,
    Point,
    Project,
    SpeckleObject,
    Stream,
    StreamDelta,
    StreamDiff,
    User,
)

from .conftest import API, HOST, OTHER_ID, TOKEN, USER_ID, stream_doc, user_doc

OK = {"success": True}


def sent(wire: requests_mock.Mocker) -> Any:
    """The JSON body of the last request (``None`` when there was none)."""
    body = wire.last_request.body
    return None if body is None else json.loads(body)


def raw(wire: requests_mock.Mocker) -> bytes:
    body = wire.last_request.body
    return body.encode() if isinstance(body, str) else body


def check_request(wire: requests_mock.Mocker, method: str, path: str, query: str = "", auth: bool = True) -> None:
    request = wire.last_request
    assert request.method == method
    assert request.url.split("?")[0] == f"{API}{path}"
    assert (request.url.split("?", 1)[1] if "?" in request.url else "") == query
    if auth:
        assert request.headers["Authorization"] == TOKEN
    else:
        assert "Authorization" not in request.headers


def dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


# -- accounts ---------------------------------------------------------------------------------------


def test_accounts_get_profile(wire, client):
    wire.get(f"{API}/accounts", json={"success": True, "resource": user_doc()})
    me = client.accounts.get_profile()
    check_request(wire, "GET", "/accounts")
    assert isinstance(me, User)
    assert me.id == USER_ID and me["_id"] == USER_ID and me["email"] == "test@test.com"
    assert me.to_payload() == user_doc()
    assert list(me.to_payload()) == list(user_doc())


def test_accounts_get_other_user(wire, client):
    public = {"_id": OTHER_ID, "name": "Other", "surname": "", "company": "X", "archived": False}
    wire.get(f"{API}/accounts/{OTHER_ID}", json={"success": True, "resource": public})
    user = client.accounts.get(OTHER_ID)
    check_request(wire, "GET", f"/accounts/{OTHER_ID}")
    assert isinstance(user, User) and user.email is None and user.to_payload() == public


def test_accounts_get_unknown_user_is_not_found(wire, client):
    wire.get(f"{API}/accounts/nope", status_code=400, json={"success": False, "message": "Error: no users found."})
    with pytest.raises(NotFoundError) as info:
        client.accounts.get("nope")
    assert info.value.status_code == 400


def test_accounts_update_profile_sends_data_as_given(wire, client):
    wire.put(f"{API}/accounts", json={"success": True, "message": "User profile updated."})
    data = {"surname": "S", "name": "N", "company": None}
    answer = client.accounts.update_profile(data)
    check_request(wire, "PUT", "/accounts")
    assert raw(wire) == dumps(data)
    assert answer == {"success": True, "message": "User profile updated."}


def test_accounts_search(wire, client):
    found = [{"_id": OTHER_ID, "name": "Snake", "surname": "", "company": "", "email": "s@x.io"}]
    wire.post(f"{API}/accounts/search", json={"success": True, "resources": found})
    users = client.accounts.search("snake")
    check_request(wire, "POST", "/accounts/search")
    assert sent(wire) == {"searchString": "snake"}
    assert [type(u) for u in users] == [User] and users[0].to_payload() == found[0]


def test_accounts_search_too_short_is_refused_locally(wire, client):
    with pytest.raises(SpeckleInputError):
        client.accounts.search("ab")
    assert wire.call_count == 0


def test_accounts_admin_list_reads_resource_holding_an_array(wire, client):
    everyone = [user_doc(), user_doc(_id=OTHER_ID, email="o@x.io", role="admin")]
    wire.get(f"{API}/accounts/admin", json={"success": True, "resource": everyone})
    users = client.accounts.admin_list()
    check_request(wire, "GET", "/accounts/admin")
    assert [u.id for u in users] == [USER_ID, OTHER_ID]
    assert all(isinstance(u, User) for u in users)


def test_accounts_admin_list_refused_for_non_admins(wire, client):
    wire.get(f"{API}/accounts/admin", status_code=401, text="Only admins can access this route",
             headers={"Content-Type": "text/html; charset=utf-8"})
    with pytest.raises(PermissionDeniedError) as info:
        client.accounts.admin_list()
    assert info.value.status_code == 401


def test_accounts_admin_update_needs_all_six_fields(wire, client):
    with pytest.raises(SpeckleInputError):
        client.accounts.admin_update(OTHER_ID, {"name": "x"})
    assert wire.call_count == 0
    record = {"name": "a", "surname": "b", "company": "c", "email": "d@e.fr", "role": "user", "archived": True}
    wire.put(f"{API}/accounts/{OTHER_ID}", json={"success": True, "message": "User profile updated."})
    client.accounts.admin_update(OTHER_ID, record)
    check_request(wire, "PUT", f"/accounts/{OTHER_ID}")
    assert raw(wire) == dumps(record)


def test_accounts_set_role_sends_the_complete_record(wire, client):
    other = {"_id": OTHER_ID, "name": "O", "surname": None, "email": "o@x.io", "role": "user", "archived": False}
    wire.get(f"{API}/accounts/admin", json={"success": True, "resource": [user_doc(), other]})
    wire.put(f"{API}/accounts/{OTHER_ID}", json={"success": True, "message": "User profile updated."})
    client.accounts.set_role(OTHER_ID, "admin")
    check_request(wire, "PUT", f"/accounts/{OTHER_ID}")
    assert sent(wire) == {"name": "O", "surname": "", "company": "", "email": "o@x.io", "role": "admin",
                          "archived": False}
    with pytest.raises(SpeckleInputError):
        client.accounts.set_role(OTHER_ID, "god")
    with pytest.raises(NotFoundError):
        client.accounts.set_role("5f0c7e6b9d1e8a00ffffffff", "admin")


# -- client: register, login, tokens, websockets ------------------------------------------------------


def test_register_reads_the_three_field_answer_then_loads_the_profile(wire, anon):
    wire.post(
        f"{API}/accounts/register",
        json={"success": True, "message": "User saved. Redirect to login.",
              "resource": {"apitoken": TOKEN, "token": "JWT a.b.c", "email": "test@test.com"}},
    )
    wire.get(f"{API}/accounts", json={"success": True, "resource": user_doc()})
    user = anon.register("test@test.com", "Speckle<3Python", "SnakeySnakes", name="Snakey", surname="Snake")
    first = wire.request_history[0]
    assert first.method == "POST" and first.url == f"{API}/accounts/register"
    assert "Authorization" not in first.headers
    assert json.loads(first.body) == {"email": "test@test.com", "password": "Speckle<3Python",
                                      "company": "SnakeySnakes", "name": "Snakey", "surname": "Snake"}
    check_request(wire, "GET", "/accounts")
    assert isinstance(user, User) and user.id == USER_ID and user.apitoken == TOKEN
    assert anon.token == TOKEN and anon.me is not None and anon.me.id == USER_ID
    assert anon.streams.me is anon.me


@pytest.mark.parametrize(
    ("message", "status", "cls"),
    [
        ("Email taken. Please login. Thanks!", 400, BadRequestError),
        ("Password too short.", 400, BadRequestError),
        ("This is an invite only speckle server. Sorry!", 401, PermissionDeniedError),
    ],
)
def test_register_errors(wire, anon, message, status, cls):
    wire.post(f"{API}/accounts/register", status_code=status, json={"success": False, "message": message})
    with pytest.raises(cls) as info:
        anon.register("a@b.co", "password1", None)
    assert info.value.message == message and anon.token is None
    assert "password1" not in str(info.value)


def test_register_checks_arguments_locally(wire, anon):
    with pytest.raises(SpeckleInputError):
        anon.register("", "password1", None)
    with pytest.raises(SpeckleInputError):
        anon.register("a@b.co", None, None)  # type: ignore[arg-type]
    assert wire.call_count == 0


def test_login(wire, anon):
    resource = user_doc(token="JWT x.y.z")
    wire.post(f"{API}/accounts/login", json={"success": True, "message": "You have logged in.", "resource": resource})
    user = anon.login("test@test.com", "pw-12345678")
    check_request(wire, "POST", "/accounts/login", auth=False)
    assert raw(wire) == dumps({"email": "test@test.com", "password": "pw-12345678"})
    assert isinstance(user, User) and user.to_payload() == resource
    assert anon.token == TOKEN  # the long-lived apitoken, not the 24 h token
    assert anon.me is user and anon.apitoken == TOKEN


def test_login_wrong_password(wire, anon):
    wire.post(f"{API}/accounts/login", status_code=401, json={"success": False, "message": "Invalid credentials."})
    with pytest.raises(AuthenticationError) as info:
        anon.login("test@test.com", "wrong-pass")
    assert info.value.message == "Invalid credentials." and info.value.status_code == 401
    assert "wrong-pass" not in str(info.value)


def test_login_unknown_email_empty_message_object(wire, anon):
    wire.post(f"{API}/accounts/login", status_code=401, json={"success": False, "message": {}})
    with pytest.raises(AuthenticationError) as info:
        anon.login("nobody@test.com", "whatever1")
    assert "Invalid credentials" in info.value.message
    assert str(info.value).count("{}") == 0


def test_login_archived_user(wire, anon):
    wire.post(f"{API}/accounts/login", status_code=403, json={"success": False, "message": "This user is archived."})
    with pytest.raises(PermissionDeniedError):
        anon.login("test@test.com", "whatever1")


def test_login_with_token(wire, anon):
    wire.get(f"{API}/accounts", json={"success": True, "resource": user_doc()})
    user = anon.login_with_token(TOKEN)
    check_request(wire, "GET", "/accounts")
    assert user.id == USER_ID and anon.token == TOKEN and anon.me is user


@pytest.mark.parametrize(
    "token",
    [TOKEN.split()[1], "Bearer " + TOKEN.split()[1], "JWT not-a-jwt", "", "JWT a.b", "JWT !!!.???.x", None, 42],
)
def test_login_with_malformed_token_sends_nothing(wire, anon, token):
    with pytest.raises(SpeckleInputError):
        anon.login_with_token(token)
    assert wire.call_count == 0 and anon.token is None


def test_login_with_expired_token(wire, anon):
    from .conftest import make_token

    with pytest.raises(AuthenticationError) as info:
        anon.login_with_token(make_token(ttl=-60))
    assert type(info.value).__name__ == "TokenExpiredError"
    assert wire.call_count == 0


def test_login_with_token_the_server_rejects(wire, anon):
    wire.get(f"{API}/accounts", status_code=401, text="Unauthorized")
    with pytest.raises(AuthenticationError) as info:
        anon.login_with_token(TOKEN)
    assert info.value.status_code == 401 and anon.token is None
    assert TOKEN.split()[1] not in str(info.value)


def test_token_property_validates_and_is_sent(wire, anon):
    with pytest.raises(SpeckleInputError):
        anon.token = "abc"
    anon.token = TOKEN
    wire.get(f"{API}/streams", json={"success": True, "resources": []})
    anon.streams.list()
    assert wire.last_request.headers["Authorization"] == TOKEN
    anon.logout()
    anon.streams.list()
    assert "Authorization" not in wire.last_request.headers


@pytest.mark.parametrize(
    ("host", "kwargs", "base", "ws"),
    [
        ("speckle.example.com", {}, "https://speckle.example.com/api/v1", "wss://speckle.example.com"),
        ("localhost:3000", {"use_ssl": False}, "http://localhost:3000/api/v1", "ws://localhost:3000"),
        ("http://127.0.0.1:3000", {}, "http://127.0.0.1:3000/api/v1", "ws://127.0.0.1:3000"),
        ("https://h.io/api/v1/", {"use_ssl": False}, "https://h.io/api/v1", "wss://h.io"),
        ("http://proxy.io/speckle", {}, "http://proxy.io/speckle/api/v1", "ws://proxy.io/speckle"),
    ],
)
def test_host_forms(host, kwargs, base, ws):
    from speckle import SpeckleApiClient

    client = SpeckleApiClient(host, **kwargs)
    assert client.basepath == base
    assert client.transport.base_url == base
    assert client.websocket_url == ws


@pytest.mark.parametrize("host", ["", "ftp://x.io", "http://", "a b", "host:notaport", None])
def test_bad_hosts(host):
    from speckle import SpeckleApiClient

    with pytest.raises(SpeckleInputError):
        SpeckleApiClient(host)


def test_resources_are_created_once(client):
    assert client.streams is client.streams
    assert client.streams.session is client.transport
    for name in ("accounts", "projects", "streams", "api_clients", "comments", "objects", "server"):
        assert getattr(client, name).session is client.transport


def test_websockets_url(wire):
    from speckle import SpeckleApiClient

    client = SpeckleApiClient("http://127.0.0.1:3000")
    wire.get("http://127.0.0.1:3000/api/v1/accounts", json={"success": True, "resource": user_doc()})
    client.login_with_token(TOKEN)
    app = client.websockets("I9-BQERra", client_id="c1")
    assert app.url.startswith("ws://127.0.0.1:3000/?")
    query = parse_qs(app.url.split("?", 1)[1])
    assert query["client_id"] == ["c1"] and query["stream_id"] == ["I9-BQERra"]
    assert query["access_token"] == [TOKEN]  # the apitoken, JWT prefix included
    assert wire.call_count == 1


def test_websockets_registers_a_client_when_none_is_given(wire, client):
    wire.post(f"{API}/clients", json={"success": True, "message": "Client created.", "resource": {"_id": "c9"}})
    app = client.websockets("s1")
    assert sent(wire)["streamId"] == "s1"
    assert "client_id=c9" in app.url


# -- server -----------------------------------------------------------------------------------------------


def test_server_info_and_plugins(wire, anon):
    info = {"isSpeckleServer": True, "serverName": "S", "version": "1.x.x", "api": {"streams": []},
            "plugins": [], "jnMask": "######-##"}
    wire.get(f"{API}/", json=info)
    assert anon.server.info() == info
    plugins = [{"name": "Sample Plugin", "version": "0.1.0", "serveFrom": "/sample-plugin"}]
    wire.get(f"{HOST}/api/plugins", json=plugins)
    assert anon.server.plugins() == plugins
    assert wire.last_request.url == f"{HOST}/api/plugins"


# -- streams --------------------------------------------------------------------------------------------


def test_streams_list_default_omits_objects(wire, client):
    wire.get(f"{API}/streams", json={"success": True, "message": "Stream list returned.", "resources": [stream_doc()]})
    streams = client.streams.list()
    check_request(wire, "GET", "/streams", "omit=objects")
    assert [type(s) for s in streams] == [Stream] and streams[0].streamId == "I9-BQERra"


def test_streams_list_with_query(wire, client):
    wire.get(f"{API}/streams", json={"success": True, "resources": []})
    client.streams.list({"fields": ["streamId", "name"], "private": False, "limit": 5})
    check_request(wire, "GET", "/streams", "fields=streamId,name&private=false&limit=5")


def test_streams_create_body_exact_and_result(wire, client):
    created = stream_doc(name="New", extra={"keep": None})
    wire.post(f"{API}/streams", json={"success": True, "message": "Created stream", "resource": created})
    data = {"name": "New", "objects": [{"type": "Point", "value": [1, 2, 3]}, "5f0c7e6b9d1e8a00bbbbbbbb"],
            "layers": [], "description": None}
    stream = client.streams.create(data)
    check_request(wire, "POST", "/streams")
    assert sent(wire) == {"name": "New", "objects": [{"type": "Point", "value": [1, 2, 3]},
                                                     {"type": "Placeholder", "_id": "5f0c7e6b9d1e8a00bbbbbbbb"}],
                          "layers": [], "description": None}
    assert list(sent(wire)) == ["name", "objects", "layers", "description"]
    assert isinstance(stream, Stream) and stream.to_payload() == created
    assert isinstance(stream.objects[0], Placeholder)


def test_streams_get_with_query(wire, client):
    doc = stream_doc("s1", customField={"z": 1, "a": None})
    wire.get(f"{API}/streams/s1", json={"success": True, "message": "Delivered stream.", "resource": doc})
    stream = client.streams.get("s1", {"fields": "name"})
    check_request(wire, "GET", "/streams/s1", "fields=name")
    assert stream.to_payload() == doc and list(stream.to_payload()) == list(doc)
    assert stream["customField"] == {"z": 1, "a": None}


@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [(404, "Resource not found.", NotFoundError), (401, "You are not authorised to read.", PermissionDeniedError)],
)
def test_streams_get_errors(wire, client, status, message, cls):
    wire.get(f"{API}/streams/s1", status_code=status, json={"success": False, "message": message})
    with pytest.raises(cls) as info:
        client.streams.get("s1")
    assert (info.value.status_code, info.value.message, info.value.method) == (status, message, "GET")


def test_streams_ids_are_checked_and_escaped(wire, client):
    with pytest.raises(SpeckleInputError):
        client.streams.get("")
    with pytest.raises(SpeckleInputError):
        client.streams.get(None)  # type: ignore[arg-type]
    assert wire.call_count == 0
    wire.get(requests_mock.ANY, json={"success": True, "resource": stream_doc()})
    client.streams.get("a/b?c")
    assert wire.last_request.url == f"{API}/streams/a%2Fb%3Fc"


def test_streams_update(wire, client):
    wire.put(f"{API}/streams/s1", json={"success": True, "message": "Patched stream fields: name,private"})
    data = {"name": "n", "private": True, "baseProperties": None}
    answer = client.streams.update("s1", data)
    check_request(wire, "PUT", "/streams/s1")
    assert raw(wire) == dumps(data)
    assert answer["message"] == "Patched stream fields: name,private"


def test_streams_update_refuses_streamid_change(wire, client):
    with pytest.raises(SpeckleInputError):
        client.streams.update("s1", {"streamId": "other", "name": "x"})
    assert wire.call_count == 0


def test_streams_update_with_mixed_objects_saves_full_objects_first(wire, client):
    wire.post(f"{API}/objects", json={"success": True, "resources": [{"type": "Placeholder", "_id": "new1"}]})
    wire.put(f"{API}/streams/s1", json={"success": True, "message": "Patched stream fields: objects"})
    client.streams.update("s1", {"objects": ["old1", {"type": "Point", "value": [0, 0, 0]}]})
    assert json.loads(wire.request_history[0].body) == [{"type": "Point", "value": [0, 0, 0]}]
    assert sent(wire) == {"objects": [{"type": "Placeholder", "_id": "old1"}, {"type": "Placeholder", "_id": "new1"}]}


def test_streams_delete(wire, client):
    answer = {"success": True, "message": "Stream s1 and its children have been deleted.",
              "deletedStreams": ["c", "s1"]}
    wire.delete(f"{API}/streams/s1", json=answer)
    assert client.streams.delete("s1") == answer
    check_request(wire, "DELETE", "/streams/s1")
    assert wire.last_request.body is None


def test_streams_delete_not_owner_is_permission_error(wire, client):
    wire.delete(f"{API}/streams/s1", status_code=404,
                json={"success": False, "message": "Error: You do not own the stream."})
    with pytest.raises(PermissionDeniedError):
        client.streams.delete("s1")


def test_streams_clone_returns_clone_and_parent(wire, client):
    clone = {k: v for k, v in stream_doc("c1", name="backup", parent="s1").items() if k not in ("objects", "layers")}
    parent = {k: v for k, v in stream_doc("s1", children=["c1"]).items() if k not in ("objects", "layers")}
    wire.post(f"{API}/streams/s1/clone", json={"success": True, "clone": clone, "parent": parent})
    result = client.streams.clone("s1", name="backup")
    check_request(wire, "POST", "/streams/s1/clone")
    assert sent(wire) == {"name": "backup"}
    new, old = result
    assert isinstance(new, Stream) and isinstance(old, Stream)
    assert new.streamId == "c1" and old.children == ["c1"]
    assert new.to_payload() == clone and old.to_payload() == parent
    client.streams.clone("s1")
    assert sent(wire) == {}


def test_streams_diff_plain_string_ids(wire, client):
    layer = {"name": "L", "guid": "g1", "orderIndex": 0, "startIndex": 0, "objectCount": 1, "topology": "0;0-1 "}
    answer = {"success": True, "objects": {"common": ["a", "a"], "inA": ["b"], "inB": ["c"]},
              "layers": {"common": [layer], "inA": [], "inB": []}}
    wire.get(f"{API}/streams/s1/diff/s2", json=answer)
    diff = client.streams.diff("s1", "s2")
    check_request(wire, "GET", "/streams/s1/diff/s2")
    assert isinstance(diff, StreamDiff)
    assert diff.objects.common == ["a", "a"] and diff.objects.inA == ["b"] and diff.objects.inB == ["c"]
    assert diff.layers.common[0].guid == "g1"
    assert diff["success"] is True


def test_streams_diff_same_stream(wire, client):
    wire.get(f"{API}/streams/s1/diff/s1", status_code=400,
             json={"success": False, "message": "Can not diff the same stream, yo!"})
    with pytest.raises(BadRequestError):
        client.streams.diff("s1", "s1")


def test_streams_delta_400_with_success_true_is_a_result(wire, client):
    answer = {"success": True, "revisionDatetime": "11/22/2020, 6:05:23 AM", "author": "undefined",
              "delta": {"created": [{"type": "Placeholder", "_id": "c"}], "deleted": [], "common": [],
                        "revisionA": {"id": "s1", "updatedAt": "undefined", "sender": "undefined"},
                        "revisionB": {"id": "s2", "updatedAt": "undefined", "sender": "undefined"},
                        "timestamp": "11/22/2020, 6:05:23 AM"},
              "message": "Clients from Stream A and Stream B are undefined"}
    wire.get(f"{API}/streams/s1/delta/s2", status_code=400, json=answer)
    delta = client.streams.delta("s1", "s2")
    check_request(wire, "GET", "/streams/s1/delta/s2")
    assert isinstance(delta, StreamDelta)
    assert delta.delta.created[0].id == "c" and delta.author == "undefined"
    assert delta.message.startswith("Clients from")


def test_streams_apply_delta(wire, client):
    wire.post(f"{API}/streams/s1/delta", json={"success": True, "message": "Applied Delta Δ"})
    answer = client.streams.apply_delta("s1", {"created": [{"type": "Point"}], "deleted": [{"_id": "x"}]}, name="b")
    check_request(wire, "POST", "/streams/s1/delta")
    assert sent(wire) == {"created": [{"type": "Point"}], "deleted": [{"_id": "x"}], "revisionA": {"id": "s1"},
                          "name": "b"}
    assert answer["message"] == "Applied Delta Δ"
    wire.post(f"{API}/streams/s1/delta", status_code=400, json={"success": False, "message": "{}"})
    with pytest.raises(BadRequestError):
        client.streams.apply_delta("s1", {"created": [], "deleted": []})


def test_streams_list_objects_typed(wire, client):
    objects = [{"_id": "p", "type": "Point", "value": [1, 2, 3], "__v": 0},
               {"_id": "m", "type": "Mesh", "vertices": [0, 0, 0], "faces": [0, 0, 0, 0]},
               {"_id": "p", "type": "Point", "value": [1, 2, 3], "__v": 0}]
    wire.get(f"{API}/streams/s1/objects", json={"success": True, "resources": objects, "message": "Object list"})
    result = client.streams.list_objects("s1", {"type": "Mesh"})
    check_request(wire, "GET", "/streams/s1/objects", "type=Mesh")
    assert [type(o) for o in result] == [Point, Mesh, Point]
    assert [o.to_payload() for o in result] == objects


def test_streams_list_objects_unreadable_is_permission_error(wire, client):
    wire.get(f"{API}/streams/s1/objects", status_code=404,
             json={"success": False, "message": "You are not authorised to read."})
    with pytest.raises(PermissionDeniedError) as info:
        client.streams.list_objects("s1")
    assert info.value.status_code == 404


def test_streams_list_clients_and_admin_list(wire, client):
    wire.get(f"{API}/streams/s1/clients", json={"success": True, "resources": [{"_id": "c", "role": "Sender"}]})
    clients = client.streams.list_clients("s1")
    check_request(wire, "GET", "/streams/s1/clients")
    assert isinstance(clients[0], ApiClient) and clients[0].role == "Sender"
    assert "documentGuid" not in clients[0].to_payload()  # nothing invented for server data
    wire.get(f"{API}/streams/admin", json={"success": True, "resources": [stream_doc()]})
    assert isinstance(client.streams.admin_list({"deleted": False})[0], Stream)
    check_request(wire, "GET", "/streams/admin", "deleted=false")


def test_stream_comments(wire, client):
    comment = {"_id": "k1", "owner": USER_ID, "text": "hi", "resource": {"resourceType": "stream", "resourceId": "s1"}}
    wire.post(f"{API}/comments/stream/s1", json={"success": True, "message": "Stop talking", "resource": comment})
    created = client.streams.comment_create("s1", {"text": "hi", "labels": None})
    check_request(wire, "POST", "/comments/stream/s1")
    assert raw(wire) == dumps({"text": "hi", "labels": None})
    assert isinstance(created, Comment) and created.resource.resourceId == "s1"
    wire.get(f"{API}/comments/stream/s1", json={"success": True, "resources": [comment]})
    listed = client.streams.comment_get("s1")
    check_request(wire, "GET", "/comments/stream/s1")
    assert [c.to_payload() for c in listed] == [comment]


# -- objects ----------------------------------------------------------------------------------------------


def test_objects_create_one_and_many(wire, client):
    wire.post(f"{API}/objects", json={"success": True, "resources": [{"type": "Placeholder", "_id": "o1"}]})
    one = client.objects.create({"type": "Point", "value": [1, 2, 3], "hash": None})
    check_request(wire, "POST", "/objects")
    assert raw(wire) == dumps([{"type": "Point", "value": [1, 2, 3], "hash": None}])
    assert isinstance(one, Placeholder) and one.id == "o1"
    placeholders = [{"type": "Placeholder", "_id": f"o{i}"} for i in range(3)]
    wire.post(f"{API}/objects", json={"success": True, "resources": placeholders})
    objects = [Point(value=[0, 0, 0]), {"type": "Line", "value": [0, 0, 0, 1, 1, 1]},
               {"type": "Placeholder", "_id": "x"}]
    many = client.objects.create(objects)
    assert [p.id for p in many] == ["o0", "o1", "o2"]
    assert sent(wire)[0] == {"type": "Point", "value": [0, 0, 0]}


def test_objects_create_validation_error(wire, client):
    wire.post(f"{API}/objects", status_code=400,
              json={"success": False, "message": "ValidationError: type: Path `type` is required."})
    with pytest.raises(BadRequestError):
        client.objects.create({"value": 1})
    assert wire.call_count == 1


def test_objects_get(wire, client):
    obj = {"_id": "o1", "owner": USER_ID, "type": "Mesh", "vertices": [0, 0.5, 1], "faces": [0, 0, 1, 2],
           "properties": {"z": None, "a": 1}, "hash": "h", "__v": 0}
    wire.get(f"{API}/objects/o1", json={"success": True, "resource": obj})
    got = client.objects.get("o1", {"omit": ["properties"]})
    check_request(wire, "GET", "/objects/o1", "omit=properties")
    assert isinstance(got, Mesh) and got.to_payload() == obj
    assert got.vertices == [0, 0.5, 1] and type(got.vertices[0]) is int


def test_objects_get_missing_is_not_found_even_as_400(wire, client):
    wire.get(f"{API}/objects/o1", status_code=400, json={"success": False, "message": "Error: Resource not found."})
    with pytest.raises(NotFoundError) as info:
        client.objects.get("o1")
    assert info.value.status_code == 400


def test_objects_update_and_set_properties_and_delete(wire, client):
    wire.put(f"{API}/objects/o1", json={"success": True, "message": "Object updated."})
    assert client.objects.update("o1", {"name": "n", "properties": None})["message"] == "Object updated."
    check_request(wire, "PUT", "/objects/o1")
    assert raw(wire) == dumps({"name": "n", "properties": None})
    wire.put(f"{API}/objects/o1/properties", json={"success": True, "message": "Object properties updated."})
    client.objects.set_properties("o1", {"b": 2, "a": {"x": None}})
    check_request(wire, "PUT", "/objects/o1/properties")
    assert raw(wire) == dumps({"b": 2, "a": {"x": None}})
    wire.delete(f"{API}/objects/o1", json={"success": True, "message": "Object was deleted. Bye bye data."})
    assert client.objects.delete("o1")["success"] is True
    check_request(wire, "DELETE", "/objects/o1")


def test_objects_get_bulk_denial_stand_ins(wire, client):
    denied = {"_id": "gone", "type": "String", "value": "You do not have permissions to view this object"}
    found = {"_id": "p", "owner": USER_ID, "type": "Point", "value": [1, 2, 3]}
    wire.post(f"{API}/objects/getbulk", json={"success": True, "resources": [found, denied, found]})
    result = client.objects.get_bulk(["p", "gone", "p"], {"fields": "value"})
    check_request(wire, "POST", "/objects/getbulk", "fields=value")
    assert sent(wire) == ["p", "gone", "p"]
    assert [type(o) for o in result] == [Point, DeniedObject, Point]
    assert result[1].to_payload() == denied


def test_objects_get_bulk_pages_long_lists(wire, client):
    ids = [f"{i:024x}" for i in range(2500)]

    def answer(request, context):
        return {"success": True, "resources": [{"_id": i, "type": "Null"} for i in request.json()]}

    wire.post(f"{API}/objects/getbulk", json=answer)
    result = client.objects.get_bulk(ids)
    assert [o.id for o in result] == ids
    assert wire.call_count >= 2  # paged, whatever the page size
    assert sorted(i for r in wire.request_history for i in r.json()) == sorted(ids)


def test_objects_get_bulk_bad_ids(wire, client):
    with pytest.raises(SpeckleInputError):
        client.objects.get_bulk("abc")  # type: ignore[arg-type]
    with pytest.raises(SpeckleInputError):
        client.objects.get_bulk(["a", None])  # type: ignore[list-item]
    assert wire.call_count == 0


def test_objects_derive(wire, client):
    wire.post(f"{API}/objects/derive", json={"success": True, "resources": [{"type": "Placeholder", "_id": "d"}]})
    result = client.objects.derive([{"_id": "o1", "name": "child"}])
    check_request(wire, "POST", "/objects/derive")
    assert sent(wire) == [{"_id": "o1", "name": "child"}]
    assert result[0].id == "d"
    with pytest.raises(SpeckleInputError):
        client.objects.derive([{"name": "no id"}])


def test_objects_comments(wire, client):
    wire.get(f"{API}/comments/object/o1", json={"success": True, "resources": []})
    assert client.objects.comment_get("o1") == []
    check_request(wire, "GET", "/comments/object/o1")


def test_objects_list_walks_streams(wire, client):
    wire.get(f"{API}/streams", json={"success": True, "resources": [{"streamId": "s1"}, {"streamId": "s2"}]})
    wire.get(f"{API}/streams/s1/objects", json={"success": True, "resources": [{"_id": "a", "type": "Null"}]})
    wire.get(f"{API}/streams/s2/objects", json={"success": True, "resources": [{"_id": "a", "type": "Null"},
                                                                                 {"_id": "b", "type": "Null"}]})
    assert [o.id for o in client.objects.list()] == ["a", "b"]


# -- api clients --------------------------------------------------------------------------------------------


def test_api_clients_crud(wire, client):
    doc = {"_id": "c1", "owner": USER_ID, "role": "Sender", "documentGuid": "g", "streamId": "s1", "online": True}
    wire.post(f"{API}/clients", json={"success": True, "message": "Client created.", "resource": doc})
    model = ApiClient.parse_obj({"role": "Sender", "documentName": "Test", "streamId": "s1", "online": True})
    created = client.api_clients.create(model)
    check_request(wire, "POST", "/clients")
    body = sent(wire)
    assert list(body) == ["role", "documentName", "streamId", "online", "documentGuid"]
    assert body["documentGuid"] == model.documentGuid
    assert isinstance(created, ApiClient) and created.to_payload() == doc

    wire.get(f"{API}/clients", json={"success": True, "message": "Client list", "resources": [doc]})
    assert client.api_clients.list({"limit": 1})[0].id == "c1"
    check_request(wire, "GET", "/clients", "limit=1")

    wire.get(f"{API}/clients/c1", json={"success": True, "message": "Client found.", "resource": doc})
    assert client.api_clients.get("c1").streamId == "s1"

    wire.put(f"{API}/clients/c1", json={"success": True, "message": "Client updated following fields: online"})
    client.api_clients.update("c1", {"online": False})
    check_request(wire, "PUT", "/clients/c1")
    assert sent(wire) == {"online": False}

    wire.delete(f"{API}/clients/c1", json={"success": True, "message": "Client was deleted! Bye bye data."})
    assert client.api_clients.delete("c1")["success"] is True


def test_api_clients_anonymous_temp_id(wire, anon):
    wire.post(f"{API}/clients", json={"success": True, "message": "Anonymous client created.",
                                      "resource": {"_id": "temp-5f0c7e6b9d1e8a0012345678"}})
    created = anon.api_clients.create({"role": "Receiver"})
    assert created.id.startswith("temp-")
    assert "Authorization" not in wire.last_request.headers


def test_api_clients_get_unreadable(wire, client):
    wire.get(f"{API}/clients/c1", status_code=400,
             json={"success": False, "message": "Error: You are not authorised to read."})
    with pytest.raises(PermissionDeniedError):
        client.api_clients.get("c1")


# -- comments ------------------------------------------------------------------------------------------------


def test_comments_methods(wire, client):
    comment = {"_id": "k1", "owner": USER_ID, "text": "t", "assignedTo": [USER_ID], "closed": False}
    wire.get(f"{API}/comments", json={"success": True, "resources": [comment]})
    assert client.comments.list({"closed": False})[0].to_payload() == comment
    check_request(wire, "GET", "/comments", "closed=false")
    wire.get(f"{API}/comments/assigned", json={"success": True, "resources": [comment]})
    assert isinstance(client.comments.assigned()[0], Comment)
    wire.get(f"{API}/comments/k1", json={"success": True, "resource": comment})
    assert client.comments.get("k1").text == "t"
    wire.put(f"{API}/comments/k1", json={"success": True, "message": "Comment edited", "fields": ["text", "closed"]})
    assert client.comments.update("k1", {"text": "u", "closed": True})["fields"] == ["text", "closed"]
    assert sent(wire) == {"text": "u", "closed": True}
    wire.delete(f"{API}/comments/k1", json={"success": True, "message": "Comment deleted."})
    assert client.comments.delete("k1")["message"] == "Comment deleted."
    wire.post(f"{API}/comments/comment/k1", json={"success": True, "resource": {"_id": "k2", "text": "reply"}})
    assert client.comments.comment_create("k1", "reply").id == "k2"
    assert sent(wire) == {"text": "reply"}
    wire.get(f"{API}/comments/comment/k1", json={"success": True, "resources": []})
    assert client.comments.comment_get("k1") == []


def test_comments_for_any_resource_type(wire, client):
    wire.post(f"{API}/comments/project/p1", json={"success": True, "resource": {"_id": "k", "text": "x"}})
    client.comments.create_for("project", "p1", {"text": "x"})
    check_request(wire, "POST", "/comments/project/p1")
    wire.get(f"{API}/comments/user/{USER_ID}", json={"success": True})  # users: no ``resources``
    assert client.comments.list_for("user", USER_ID) == []
    with pytest.raises(SpeckleInputError):
        client.comments.list_for("banana", "x")
    with pytest.raises(SpeckleInputError):
        client.comments.create_for("stream", "s1", 42)


def test_comment_not_owner_is_not_found(wire, client):
    wire.get(f"{API}/comments/k1", status_code=404,
             json={"success": False, "message": "Cannot read property 'filter' of undefined"})
    with pytest.raises(NotFoundError):
        client.comments.get("k1")


def test_comment_on_unreadable_stream(wire, client):
    wire.post(f"{API}/comments/stream/s1", status_code=401,
              json={"success": False, "message": "You are not authorised to comment."})
    with pytest.raises(PermissionDeniedError):
        client.comments.create_for("stream", "s1", "hi")


# -- projects ------------------------------------------------------------------------------------------------


def test_projects_crud(wire, client):
    doc = {"_id": "p1", "owner": USER_ID, "name": "P", "private": True, "streams": ["s1"],
           "permissions": {"canRead": [], "canWrite": []}, "canRead": [], "canWrite": [], "custom": None}
    wire.post(f"{API}/projects", json={"success": True, "resource": doc})
    data = {"name": "P", "streams": ["s1"], "custom": None}
    project = client.projects.create(data)
    check_request(wire, "POST", "/projects")
    assert raw(wire) == dumps(data)
    assert isinstance(project, Project) and project.to_payload() == doc
    assert project.permissions.canRead == []

    wire.get(f"{API}/projects", json={"success": True, "resources": [doc]})
    assert client.projects.list()[0].id == "p1"
    check_request(wire, "GET", "/projects")
    wire.get(f"{API}/projects/p1", json={"success": True, "resource": doc})
    assert client.projects.get("p1")["custom"] is None
    wire.put(f"{API}/projects/p1", json={"success": True, "message": "Patched name for p1."})
    client.projects.update("p1", {"name": "Q"})
    check_request(wire, "PUT", "/projects/p1")
    wire.delete(f"{API}/projects/p1", json={"success": True, "message": "Project was permanently deleted.",
                                            "modifiedStreams": []})
    assert client.projects.delete("p1")["modifiedStreams"] == []
    wire.get(f"{API}/projects/admin", json={"success": True, "resources": [doc]})
    assert client.projects.admin_list()[0].id == "p1"


@pytest.mark.parametrize(
    ("name", "method", "action"),
    [
        ("add_stream", "PUT", "addstream"),
        ("remove_stream", "DELETE", "removestream"),
        ("add_user", "PUT", "adduser"),
        ("remove_user", "DELETE", "removeuser"),
        ("upgrade_user", "PUT", "upgradeuser"),
        ("downgrade_user", "PUT", "downgradeuser"),
    ],
)
def test_projects_membership(wire, client, name, method, action):
    answer = {"success": True, "project": {"_id": "p1"}, "stream": {"streamId": "s1"}}
    wire.register_uri(method, f"{API}/projects/p1/{action}/x1", json=answer)
    assert getattr(client.projects, name)("p1", "x1") == answer
    check_request(wire, method, f"/projects/p1/{action}/x1")
    with pytest.raises(SpeckleInputError):
        getattr(client.projects, name)("p1", "")


def test_projects_comments_and_errors(wire, client):
    wire.get(f"{API}/comments/project/p1", json={"success": True, "resources": []})
    assert client.projects.comment_get("p1") == []
    denied = {"success": False, "message": "You are not authorised to read."}
    wire.get(f"{API}/projects/p2", status_code=401, json=denied)
    with pytest.raises(PermissionDeniedError):
        client.projects.get("p2")


def test_anonymous_calls_to_mandatory_routes(wire, anon):
    wire.get(f"{API}/projects", status_code=401, text="Unauthorized")
    with pytest.raises(AuthenticationError) as info:
        anon.projects.list()
    assert info.value.message == "Unauthorized" and info.value.url == f"{API}/projects"


def test_models_accept_dict_style_reads(wire, client):
    wire.get(f"{API}/streams/s1", json={"success": True, "resource": stream_doc("s1")})
    stream = client.streams.get("s1")
    # scripts written for the original client indexed the envelope
    assert stream["resource"]["streamId"] == "s1"
    assert isinstance(stream.objects[0], SpeckleObject)
