"""Read-modify-write on every resource, and the typed error of a stale version.

``real_v1_answers.json`` holds what the real v1 server (SpeckleServer 1.6.0, mongoose 5.9.7)
answered: a GET of each resource, a list change without ``__v`` and the same change carrying
the ``__v`` read before it (re-record with ``record_real_v1_answers.py``). The requests-mock
tests replay those answers; the local-server tests check ``speckle serve`` answers alike.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests_mock

from speckle import SpeckleApiClient
from speckle.base.resource import SERVER_MANAGED_FIELDS
from speckle.errors import NotFoundError, SpeckleAPIError, VersionConflictError

HOST = "http://speckle.test"
API = f"{HOST}/api/v1"
REAL = json.loads((Path(__file__).with_name("real_v1_answers.json")).read_text(encoding="utf-8"))
RESOURCES = sorted(REAL["resources"])
#: The list field each recorded exchange changed.
LIST_FIELD = {"comments": "labels", "streams": "tags", "projects": "tags", "api_clients": "canRead",
              "objects": "canRead"}


def _client() -> SpeckleApiClient:
    client = SpeckleApiClient(HOST, max_retries=0)
    client.token = "JWT eyJhbGciOiJIUzI1NiJ9.eyJfaWQiOiJhIn0.c2lnbmF0dXJl"
    return client


def _id_in_path(kind: str) -> str:
    return REAL["resources"][kind]["path"].rsplit("/", 1)[1]


@pytest.mark.parametrize("kind", RESOURCES)
def test_update_with_what_get_returned_sends_no_server_managed_field(kind: str) -> None:
    recorded = REAL["resources"][kind]
    client = _client()
    with requests_mock.Mocker() as wire:
        wire.get(API + recorded["path"], json=recorded["get"])
        wire.put(API + recorded["path"], json=recorded["update"]["body"])
        resource = getattr(client, kind)
        item = resource.get(_id_in_path(kind))
        setattr(item, LIST_FIELD[kind], [REAL["user_id"]])
        answer = resource.update(_id_in_path(kind), item.dict())
        body = json.loads(wire.last_request.body)
    assert answer == recorded["update"]["body"]
    read = recorded["get"]["resource"]
    assert not set(body) & set(SERVER_MANAGED_FIELDS)
    assert "owner" in read and "owner" not in body  # unchanged: collaborators may not send it
    # everything else goes back as it was read, plus the change
    expected = {k: v for k, v in read.items() if k not in (*SERVER_MANAGED_FIELDS, "owner")}
    expected[LIST_FIELD[kind]] = [REAL["user_id"]]
    if kind == "streams":  # the stream's objects go back as the placeholders the server gave
        assert body.pop("objects") == expected.pop("objects")
    assert body == expected
    assert "__v" in read  # the server did send it: it was left out, not missing


def test_owner_is_sent_when_changed_or_given() -> None:
    recorded = REAL["resources"]["streams"]
    client = _client()
    with requests_mock.Mocker() as wire:
        wire.get(API + recorded["path"], json=recorded["get"])
        wire.put(API + recorded["path"], json=recorded["update"]["body"])
        stream = client.streams.get(_id_in_path("streams"))
        stream.owner = "5f0c7e6b9d1e8a0087654321"  # the owner hands the stream over
        client.streams.update(stream.streamId, stream.dict())
        assert json.loads(wire.last_request.body)["owner"] == "5f0c7e6b9d1e8a0087654321"
        client.streams.update(stream.streamId, {"owner": REAL["user_id"]})  # a plain dict: as given
        assert json.loads(wire.last_request.body) == {"owner": REAL["user_id"]}
        unchanged = client.streams.get(_id_in_path("streams"))
        client.streams.update(unchanged.streamId, unchanged)  # the model itself
        assert "owner" not in json.loads(wire.last_request.body)


def test_the_callers_dict_is_not_modified() -> None:
    client = _client()
    data = {"text": "t", "__v": 3, "_id": "c1"}
    with requests_mock.Mocker() as wire:
        wire.put(f"{API}/comments/c1", json={"success": True, "message": "Comment edited", "fields": ["text"]})
        client.comments.update("c1", data)
        assert json.loads(wire.last_request.body) == {"text": "t"}
    assert data == {"text": "t", "__v": 3, "_id": "c1"}


@pytest.mark.parametrize("kind", RESOURCES)
def test_a_stale_version_is_a_version_conflict_not_a_not_found(kind: str) -> None:
    recorded = REAL["resources"][kind]
    stale = recorded["stale"]
    client = _client()
    with requests_mock.Mocker() as wire:
        wire.put(API + recorded["path"], status_code=stale["status"], json=stale["body"])
        with pytest.raises(VersionConflictError) as caught:
            # through the transport: the resources never send __v themselves
            client.transport.request("PUT", recorded["path"], json_body={LIST_FIELD[kind]: [], "__v": stale["sent_v"]})
    error = caught.value
    assert isinstance(error, SpeckleAPIError) and not isinstance(error, NotFoundError)
    assert error.status_code == stale["status"]
    assert error.sent_version == stale["sent_v"]
    assert error.modified_paths == [LIST_FIELD[kind], "__v"]
    assert error.document_id and error.document_id in stale["body"]["message"]
    text = str(error)
    assert "changed on the server since this copy was read" in text and "Read it again" in text
    assert stale["body"]["message"] in text  # the server's own words are kept


def _normalized(message: str) -> str:
    return re.sub(r'id "[^"]*"', 'id "ID"', message)


@pytest.fixture
def user_client(speckle_server: Any) -> SpeckleApiClient:
    client = SpeckleApiClient(speckle_server.url)
    client.register(email=f"rmw-{uuid.uuid4().hex[:10]}@example.com", password="supersecretpassword",
                    company=None, name="Rmw")
    return client


def _make(client: SpeckleApiClient) -> dict[str, str]:
    stream = client.streams.create({"name": "s", "objects": [{"type": "Point", "value": [1, 2, 3]}], "layers": []})
    comment = client.streams.comment_create(stream.streamId, {"text": "hi"})
    project = client.projects.create({"name": "p"})
    api_client = client.api_clients.create({"streamId": stream.streamId, "role": "Sender"})
    obj = client.objects.create([{"type": "Point", "value": [5, 5, uuid.uuid4().int % 1000]}])[0]
    return {"comments": comment.id, "streams": stream.streamId, "projects": project.id,
            "api_clients": api_client.id, "objects": obj.id}


def test_local_server_answers_a_stale_version_like_the_real_one(user_client: SpeckleApiClient) -> None:
    ids = _make(user_client)
    me = user_client.me.id
    for kind, item_id in ids.items():
        resource = getattr(user_client, kind)
        path = REAL["resources"][kind]["path"].rsplit("/", 1)[0] + "/" + item_id
        read = resource.get(item_id)
        resource.update(item_id, {LIST_FIELD[kind]: [me]})  # the version moves on
        stale = REAL["resources"][kind]["stale"]
        with pytest.raises(VersionConflictError) as caught:
            user_client.transport.request("PUT", path, json_body={LIST_FIELD[kind]: [me, me], "__v": read["__v"]})
        assert caught.value.status_code == stale["status"], kind
        assert _normalized(caught.value.payload["message"]) == _normalized(
            stale["body"]["message"].replace(f"version {stale['sent_v']}", f"version {read['__v']}")), kind
        # with the current version (or none) the same change goes through
        current = resource.get(item_id)
        user_client.transport.request("PUT", path, json_body={LIST_FIELD[kind]: [me, me], "__v": current["__v"]})
        assert resource.get(item_id)[LIST_FIELD[kind]] == [me, me]


def test_read_modify_write_twice_with_the_same_copy(user_client: SpeckleApiClient) -> None:
    """The original suite's pattern: a copy read before other changes is sent back later."""
    ids = _make(user_client)
    me = user_client.me.id
    for kind, item_id in ids.items():
        resource = getattr(user_client, kind)
        copy = resource.get(item_id)
        setattr(copy, LIST_FIELD[kind], [me])
        resource.update(item_id, copy.dict())
        setattr(copy, LIST_FIELD[kind], [me, me])  # copy's __v is stale now
        resource.update(item_id, copy.dict())
        assert resource.get(item_id)[LIST_FIELD[kind]] == [me, me], kind
    # a collaborator with write access sends back what they read (the owner unchanged)
    other = SpeckleApiClient(user_client.server_url)
    other.register(email=f"rmw-{uuid.uuid4().hex[:10]}@example.com", password="supersecretpassword", company=None)
    user_client.streams.update(ids["streams"], {"canWrite": [other.me.id]})
    shared = other.streams.get(ids["streams"])
    shared.name = "edited by a collaborator"
    other.streams.update(shared.streamId, shared.dict())
    assert user_client.streams.get(ids["streams"]).name == "edited by a collaborator"
    comment = user_client.comments.get(ids["comments"])
    comment.assignedTo = [me]
    user_client.comments.update(comment.id, comment.dict())
    assert [c.id for c in user_client.comments.assigned()] == [comment.id]
