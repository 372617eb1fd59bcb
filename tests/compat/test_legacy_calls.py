"""The original client's ``...Async`` calls: a script in that style against the local server, and their wire format."""

from __future__ import annotations

import copy
import json
import uuid

import pytest
import requests
import requests_mock

from speckle import SpeckleApiClient
from speckle.errors import NotFoundError, SpeckleInputError

#: Every ``...Async`` method of the original ``SpeckleApiClient`` (its SpeckleClient.py).
ORIGINAL_ASYNC_METHODS = [
    "ClientCreateAsync", "ClientDeleteAsync", "ClientGetAllAsync", "ClientGetAsync", "ClientUpdateAsync",
    "CommentCreateAsync", "CommentDeleteAsync", "CommentGetAsync", "CommentGetFromResourceAsync",
    "CommentUpdateAsync", "ObjectCreateAsync", "ObjectDeleteAsync", "ObjectGetAsync", "ObjectGetBulkAsync",
    "ObjectUpdateAsync", "ObjectUpdatePropertiesAsync", "ProjectCreateAsync", "ProjectDeleteAsync",
    "ProjectGetAllAsync", "ProjectGetAsync", "ProjectUpdateAsync", "StreamCloneAsync", "StreamCreateAsync",
    "StreamDeleteAsync", "StreamDiffAsync", "StreamGetAsync", "StreamGetObjectsAsync", "StreamsGetAllAsync",
    "StreamUpdateAsync", "UserGetAsync", "UserGetProfileByIdAsync", "UserLoginAsync", "UserRegisterAsync",
    "UserSearchAsync", "UserUpdateProfileAsync",
]


def test_every_original_call_exists() -> None:
    client = SpeckleApiClient("http://127.0.0.1:9")
    missing = [name for name in ORIGINAL_ASYNC_METHODS if not callable(getattr(client, name, None))]
    assert missing == []
    assert isinstance(client.s, requests.Session) and client.s is client.session
    assert client.websockets_server == "ws://127.0.0.1:9"


def test_a_script_in_the_original_style(speckle_server) -> None:
    run_original_style_script(speckle_server.url)


def run_original_style_script(url: str) -> None:
    """Register, log in, stream and object calls as the original's raw methods made them."""
    client = SpeckleApiClient(url)
    email = f"legacy-{uuid.uuid4().hex[:12]}@example.com"
    user = {"server_name": "local", "email": email, "password": "legacy-password", "name": "Old", "surname": "Script"}
    assert client.UserRegisterAsync(user)["success"] is True
    assert client.token is None                                   # registering does not log in
    login = client.UserLoginAsync({"email": user["email"], "password": user["password"]})
    assert client.token == login["resource"]["apitoken"]
    assert client.UserGetAsync()["resource"]["email"] == user["email"]

    point = {"type": "Point", "value": [1, 2, 3], "properties": {"layer": "A"}, "hash": "stale", "_id": "stale"}
    kept = copy.deepcopy(point)
    created = client.ObjectCreateAsync([point])
    assert point == kept                                          # the caller's dict is not changed
    object_id = created["resources"][0]["_id"]
    assert object_id != "stale"
    assert client.ObjectGetAsync(object_id, "fields=value")["resource"]["value"] == [1, 2, 3]
    client.ObjectUpdatePropertiesAsync(object_id, {"colour": "red"})
    bulk = client.ObjectGetBulkAsync([object_id])
    assert bulk["resources"][0]["properties"] == {"layer": "A", "colour": "red"}

    stream = client.StreamCreateAsync({"name": "Legacy", "objects": [{"_id": object_id}]})["resource"]
    sid = stream["streamId"]
    client.StreamUpdateAsync(sid, {"name": "Legacy v2"})
    assert client.StreamGetAsync(sid, "fields=name")["resource"]["name"] == "Legacy v2"
    assert [o["_id"] for o in client.StreamGetObjectsAsync(sid)["resources"]] == [object_id]
    assert sid in [s["streamId"] for s in client.StreamsGetAllAsync()["resources"]]
    clone = client.StreamCloneAsync(sid)
    diff = client.StreamDiffAsync(sid, clone["clone"]["streamId"])
    assert diff["success"] is True

    comment = client.CommentCreateAsync("stream", sid, {"text": "looks good"})["resource"]
    assert [c["text"] for c in client.CommentGetFromResourceAsync("stream", sid)["resources"]] == ["looks good"]
    client.CommentUpdateAsync(comment["_id"], {"text": "looks great"})
    assert client.CommentGetAsync(comment["_id"])["resource"]["text"] == "looks great"
    client.CommentDeleteAsync(comment["_id"])

    api_client = client.ClientCreateAsync({"role": "Sender", "documentName": "legacy.py", "streamId": sid})
    cid = api_client["resource"]["_id"]
    client.ClientUpdateAsync(cid, {"documentName": "legacy2.py"})
    assert client.ClientGetAsync(cid)["resource"]["documentName"] == "legacy2.py"
    assert cid in [c["_id"] for c in client.ClientGetAllAsync()["resources"]]
    client.ClientDeleteAsync(cid)

    project = client.ProjectCreateAsync({"name": "Legacy project"})["resource"]
    client.ProjectUpdateAsync(project["_id"], {"name": "Legacy project 2"})
    assert client.ProjectGetAsync(project["_id"])["resource"]["name"] == "Legacy project 2"
    assert project["_id"] in [p["_id"] for p in client.ProjectGetAllAsync()["resources"]]
    client.ProjectDeleteAsync(project["_id"])

    client.UserUpdateProfileAsync({"company": "Old Scripts Ltd"})
    assert client.UserGetAsync()["resource"]["company"] == "Old Scripts Ltd"

    client.StreamDeleteAsync(sid)
    client.ObjectDeleteAsync(object_id)
    with pytest.raises(NotFoundError):                            # a typed error, not the original's None
        client.StreamGetAsync(sid)


API = "http://speckle.test/api/v1"


def test_wire_format_of_raw_calls() -> None:
    client = SpeckleApiClient("http://speckle.test")
    with requests_mock.Mocker() as mock:
        mock.get(f"{API}/streams", json={"success": True, "resources": []})
        mock.post(f"{API}/objects/getbulk", json={"success": True, "resources": []})
        mock.put(f"{API}/accounts", json={"success": True, "message": "User updated."})
        client.StreamsGetAllAsync()
        client.ObjectGetBulkAsync(["a", "b"], "fields=type")
        client.UserUpdateProfileAsync({"name": None})
    first, second, third = mock.request_history
    assert first.qs == {"omit": ["objects"]}
    assert second.qs == {"fields": ["type"]} and json.loads(second.body) == ["a", "b"]
    assert json.loads(third.body) == {"name": None}               # None is sent, not dropped


def test_bad_arguments_are_typed_errors() -> None:
    client = SpeckleApiClient("http://speckle.test")
    with pytest.raises(SpeckleInputError, match="'surname'"):
        client.UserRegisterAsync({"server_name": "x", "email": "a@b.c", "password": "p", "name": "n"})
    with pytest.raises(SpeckleInputError):
        client.ObjectCreateAsync({"type": "Point"})
    with pytest.raises(SpeckleInputError):
        client.StreamGetAsync("")
    with pytest.raises(SpeckleInputError):
        client.StreamGetAsync("abc", {"fields": "name"})
