"""A new user's session against the local v1 server, end to end, including the error cases."""

from __future__ import annotations

import random
import socket
import time
import uuid
from typing import Any

import jwt
import pytest

from speckle import SpeckleApiClient
from speckle.errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    SpeckleConnectionError,
    SpeckleInputError,
    TokenExpiredError,
)
from speckle.models import Comment, DeniedObject, Mesh, Placeholder, Point, Project, Stream, StreamDiff, User

PASSWORD = "correct horse battery staple"


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@speckle.local"


def new_client(server: Any, **kwargs: Any) -> SpeckleApiClient:
    """A client given the server as a full URL (``http://127.0.0.1:<port>``)."""
    kwargs.setdefault("timeout", 10)
    return SpeckleApiClient(server.url, **kwargs)


def register(server: Any, label: str) -> SpeckleApiClient:
    client = new_client(server)
    client.register(unique_email(label), PASSWORD, "Speckle", name=label.title(), surname="Tester")
    return client


def mixed_geometry(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` objects of mixed types, with ints, floats, None, unicode and nested data."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(count):
        kind = i % 5
        if kind == 0:
            obj: dict[str, Any] = {"type": "Point", "value": [i, rng.random(), -1.5]}
        elif kind == 1:
            obj = {"type": "Line", "value": [0, 0, 0, i, i + 0.25, 1]}
        elif kind == 2:
            n = 4
            obj = {"type": "Mesh", "vertices": [rng.uniform(-1e3, 1e3) for _ in range(3 * n)],
                   "faces": [1, 0, 1, 2, 3], "colors": [], "textureCoordinates": None}
        elif kind == 3:
            obj = {"type": "Polyline", "closed": bool(i % 2), "value": [float(j) for j in range(9)]}
        else:
            obj = {"type": "Custom-Thing", "zeta": None, "alpha": {"nested": [1, "two", 3.0, None]}, "ü": "✓"}
        obj["properties"] = {"index": i, "label": f"obj-{seed}-{i}", "weight": None}
        obj["applicationId"] = f"app-{seed}-{i}"
        out.append(obj)
    return out


def strip_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """What the user sent: the server adds ``_id``, ``owner``, ``hash``, defaults and timestamps."""
    server_only = {"_id", "owner", "hash", "__v", "createdAt", "updatedAt", "private", "canRead", "canWrite",
                   "anonymousComments", "comments", "children", "ancestors", "parent", "geometryHash", "name",
                   "transform", "deleted"}
    return {k: v for k, v in obj.items() if k not in server_only}


def test_new_user_session(speckle_server):
    # -- register, login, login_with_token, profile --------------------------------------------------
    email = unique_email("newbie")
    client = new_client(speckle_server)
    me = client.register(email, PASSWORD, "Snakes", name="Snakey", surname="Snake")
    assert isinstance(me, User) and me.email == email and me.name == "Snakey"
    assert me.apitoken and me.apitoken.startswith("JWT ") and client.token == me.apitoken

    second = new_client(speckle_server)
    logged = second.login(email, PASSWORD)
    assert logged.id == me.id and logged.token and logged.logins

    third = new_client(speckle_server)
    assert third.login_with_token(me.apitoken).id == me.id

    answer = client.accounts.update_profile({"name": "Renamed", "company": "NewCo"})
    assert answer["success"] is True
    profile = client.accounts.get_profile()
    assert (profile.name, profile.company, profile.surname) == ("Renamed", "NewCo", "Snake")
    assert client.accounts.get(me.id).name == "Renamed"
    assert me.id in [u.id for u in second.accounts.search("Renamed")]

    # -- objects: 1,000 mixed geometry, created and read back identical -------------------------------
    originals = mixed_geometry(1000, seed=1)
    placeholders = client.objects.create(originals)
    assert len(placeholders) == 1000 and all(isinstance(p, Placeholder) and p.id for p in placeholders)
    ids = [p.id for p in placeholders]
    back = client.objects.get_bulk(ids)
    assert [o.id for o in back] == ids
    assert [strip_server_fields(o.to_payload()) for o in back] == originals
    assert isinstance(back[0], Point) and isinstance(back[2], Mesh)
    assert type(back[0].value[0]) is int and type(back[0].value[2]) is float
    one = client.objects.get(ids[2])
    assert strip_server_fields(one.to_payload()) == originals[2]

    client.objects.update(ids[0], {"name": "moved", "value": [9, 9, 9]})
    client.objects.set_properties(ids[0], {"label": "changed", "extra": [1]})
    changed = client.objects.get(ids[0])
    assert changed.value == [9, 9, 9] and changed.name == "moved"
    assert changed.properties == {"index": 0, "label": "changed", "weight": None, "extra": [1]}

    # -- streams --------------------------------------------------------------------------------------
    stream = client.streams.create({"name": "Tower", "objects": [{"type": "Placeholder", "_id": i} for i in ids],
                                    "custom": {"b": None, "a": 1}})
    assert isinstance(stream, Stream) and stream.streamId and len(stream.objects) == 1000
    assert stream["custom"] == {"b": None, "a": 1}
    sid = stream.streamId
    assert sid in [s.streamId for s in client.streams.list()]
    listed = client.streams.list({"fields": ["streamId", "name"], "name": "Tower"})
    assert [s.streamId for s in listed] == [sid] and listed[0].objects is None

    fetched = client.streams.get(sid)
    assert [o.id for o in fetched.objects] == ids and fetched["custom"] == {"b": None, "a": 1}
    assert client.streams.update(sid, {"name": "Tower 2", "description": None})["success"] is True
    assert client.streams.get(sid, {"fields": "name"}).name == "Tower 2"

    in_stream = client.streams.list_objects(sid)
    assert [strip_server_fields(o.to_payload()) for o in in_stream][1:] == originals[1:]
    meshes = client.streams.list_objects(sid, {"type": "Mesh"})
    assert len(meshes) == 200 and all(isinstance(m, Mesh) for m in meshes)

    clone, parent = client.streams.clone(sid, name="backup")
    assert clone.parent == sid and clone.name == "backup" and clone.streamId in parent.children
    client.streams.update(clone.streamId, {"objects": [*ids[:10], {"type": "Point", "value": [5, 5, 5]}]})
    diff = client.streams.diff(sid, clone.streamId)
    assert isinstance(diff, StreamDiff)
    assert diff.objects.common == ids[:10] and diff.objects.inA == ids[10:] and len(diff.objects.inB) == 1
    assert all(isinstance(i, str) for i in diff.objects.inB)

    # -- comments on a stream -------------------------------------------------------------------------
    comment = client.streams.comment_create(sid, {"text": "Looks good", "labels": ["review"]})
    assert isinstance(comment, Comment) and comment.text == "Looks good"
    assert [c.id for c in client.streams.comment_get(sid)] == [comment.id]
    assert client.comments.update(comment.id, {"closed": True})["success"] is True
    assert client.comments.get(comment.id).closed is True

    # -- the error cases of a new user ------------------------------------------------------------------
    with pytest.raises(AuthenticationError) as info:
        new_client(speckle_server).login(email, "wrong password!")
    assert info.value.status_code == 401 and "wrong password!" not in str(info.value)
    with pytest.raises(AuthenticationError):
        new_client(speckle_server).login(unique_email("ghost"), PASSWORD)
    with pytest.raises(SpeckleInputError):
        new_client(speckle_server).login_with_token(me.apitoken.split()[1])
    with pytest.raises(NotFoundError) as info:
        client.streams.get("doesNotExist")
    assert info.value.status_code == 404 and info.value.url.endswith("/streams/doesNotExist")
    with pytest.raises(NotFoundError):
        client.objects.get("5f0c7e6b9d1e8a00ffffffff")

    # -- deletes ----------------------------------------------------------------------------------------
    deleted = client.streams.delete(sid)
    assert set(deleted["deletedStreams"]) == {sid, clone.streamId}
    with pytest.raises(NotFoundError):
        client.streams.get(sid)
    assert client.objects.delete(ids[-1])["success"] is True
    gone = client.objects.get_bulk([ids[-1], ids[1]])
    assert isinstance(gone[0], DeniedObject) and gone[1].id == ids[1]
    assert client.comments.delete(comment.id)["success"] is True


def test_two_users_private_and_shared_streams_and_projects(speckle_server_factory):
    server = speckle_server_factory()
    admin = register(server, "admin")  # the first user of a server is its admin
    assert admin.me.role == "admin"
    alice = register(server, "alice")
    bob = register(server, "bob")

    private = alice.streams.create({"name": "secret", "private": True,
                                    "objects": [{"type": "Point", "value": [1, 2, 3], "private": True}]})
    with pytest.raises(PermissionDeniedError) as info:
        bob.streams.get(private.streamId)
    assert info.value.status_code == 401
    with pytest.raises(PermissionDeniedError):
        bob.streams.list_objects(private.streamId)
    with pytest.raises(PermissionDeniedError):
        bob.streams.update(private.streamId, {"name": "mine now"})
    with pytest.raises(PermissionDeniedError):
        bob.streams.delete(private.streamId)
    with pytest.raises(PermissionDeniedError):
        new_client(server).streams.get(private.streamId)  # anonymous
    assert private.streamId not in [s.streamId for s in bob.streams.list()]
    denied = bob.objects.get_bulk([private.objects[0].id])
    assert isinstance(denied[0], DeniedObject)

    # the admin may read and change anything
    assert admin.streams.get(private.streamId).name == "secret"
    assert private.streamId in [s.streamId for s in admin.streams.admin_list()]
    assert {u.id for u in admin.accounts.admin_list()} >= {alice.me.id, bob.me.id}
    with pytest.raises(PermissionDeniedError):
        bob.accounts.admin_list()

    # sharing with canRead gives bob read access, not write access
    alice.streams.update(private.streamId, {"canRead": [bob.me.id]})
    assert bob.streams.get(private.streamId).name == "secret"
    assert private.streamId in [s.streamId for s in bob.streams.list()]
    with pytest.raises(PermissionDeniedError):
        bob.streams.update(private.streamId, {"name": "x"})

    # projects: a user added to a project gets write access to its streams
    other = alice.streams.create({"name": "project stream", "private": True})
    project = alice.projects.create({"name": "Tower project", "custom": None})
    assert isinstance(project, Project) and project["custom"] is None
    alice.projects.add_stream(project.id, other.streamId)
    with pytest.raises(PermissionDeniedError):
        bob.streams.get(other.streamId)
    alice.projects.add_user(project.id, bob.me.id)
    assert bob.streams.update(other.streamId, {"name": "edited by bob"})["success"] is True
    assert project.id in [p.id for p in bob.projects.list()]
    alice.projects.downgrade_user(project.id, bob.me.id)
    with pytest.raises(PermissionDeniedError):
        bob.streams.update(other.streamId, {"name": "again"})
    assert bob.streams.get(other.streamId).name == "edited by bob"
    alice.projects.upgrade_user(project.id, bob.me.id)
    bob.streams.update(other.streamId, {"name": "again"})
    alice.projects.remove_user(project.id, bob.me.id)
    with pytest.raises(PermissionDeniedError):
        bob.streams.get(other.streamId)
    alice.projects.remove_stream(project.id, other.streamId)
    assert alice.projects.get(project.id).streams == []
    with pytest.raises(PermissionDeniedError):
        bob.projects.delete(project.id)
    alice.projects.delete(project.id)
    with pytest.raises(NotFoundError):
        alice.projects.get(project.id)

    # admin override: role changes and locking a user out
    admin.accounts.set_role(bob.me.id, "admin")
    assert bob.accounts.get_profile().role == "admin"
    assert bob.streams.get(private.streamId)  # admins read everything


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_expired_and_malformed_tokens(speckle_server):
    client = register(speckle_server, "tokens")
    secret = speckle_server.state.tokens.secret
    now = int(time.time())
    expired = "JWT " + jwt.encode({"_id": client.me.id, "iat": now - 100, "exp": now - 10}, secret, algorithm="HS256")
    with pytest.raises(TokenExpiredError):
        new_client(speckle_server).login_with_token(expired)
    # the server itself refuses an expired token (sent without the client's local check)
    raw = new_client(speckle_server)
    raw.transport.token = expired
    with pytest.raises(AuthenticationError) as info:
        raw.accounts.get_profile()
    assert info.value.status_code == 401
    assert expired.split()[1] not in str(info.value)
    forged = "JWT " + jwt.encode({"_id": client.me.id, "iat": now, "exp": now + 60}, "x" * 32, algorithm="HS256")
    with pytest.raises(AuthenticationError):
        new_client(speckle_server).login_with_token(forged)
    for bad in ("JWT nonsense", "Bearer " + expired.split()[1], "", "JWT a.b"):
        with pytest.raises(SpeckleInputError):
            new_client(speckle_server).login_with_token(bad)


def test_payload_too_large(speckle_server_factory):
    server = speckle_server_factory(max_body_bytes=20_000)
    client = register(server, "big")
    with pytest.raises(PayloadTooLargeError) as info:
        client.streams.create({"name": "big", "objects": mixed_geometry(300, seed=2)})
    assert info.value.status_code == 413 and info.value.method == "POST"
    small = client.streams.create({"name": "small"})  # the client still works afterwards
    assert small.streamId


def test_connection_refused():
    client = SpeckleApiClient(f"http://127.0.0.1:{_free_port()}", max_retries=1, backoff_factor=0.01, timeout=2)
    with pytest.raises(SpeckleConnectionError) as info:
        client.streams.get("abc")
    assert info.value.status_code is None and info.value.method == "GET"


def test_validation_error_from_the_server(speckle_client):
    with pytest.raises(BadRequestError):
        speckle_client.objects.create({"value": [1, 2, 3]})  # no type
