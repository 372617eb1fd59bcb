"""Authorization on every route: strangers and anonymous callers neither read nor change
private streams, objects, projects, comments and clients, whatever shape the ids take.

Statuses follow v1's error families (§2.2 of v1-api.md): the point is that no call below
succeeds and that the owner's data is unchanged afterwards. Documented v1 behaviours that
let others act (``POST /streams/:id/delta`` checks no permission, §8.4; ``stream_id`` in a
websocket URL joins any room, §9) are kept for compatibility and not exercised here.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
import websocket

from .conftest import Http, User

NOT_ALLOWED = {400, 401, 403, 404}


@pytest.fixture
def world(admin_setup: tuple[Http, User, User, User]) -> dict[str, Any]:
    """An owner's private stream, object, project, comment and client; a stranger."""
    api, _admin, owner, stranger = admin_setup
    obj = api.ok("POST", "/objects", owner, json=[{"type": "Secret", "private": True, "v": 42}])
    oid = obj["resources"][0]["_id"]
    stream = api.stream(owner, name="private", private=True, objects=[{"_id": oid, "type": "Placeholder"}])
    other = api.stream(owner, name="other", private=True)
    sid = stream["streamId"]
    project = api.ok("POST", "/projects", owner, json={"name": "secret project", "streams": [sid]})["resource"]
    comment = api.ok("POST", f"/comments/stream/{sid}", owner, json={"text": "secret"})["resource"]
    client = api.ok("POST", "/clients", owner, json={"streamId": sid, "documentName": "secret"})["resource"]
    return {"api": api, "owner": owner, "stranger": stranger, "sid": sid, "other": other["streamId"],
            "oid": oid, "pid": project["_id"], "cid": comment["_id"], "clid": client["_id"]}


def _id_shapes(value: str) -> list[Any]:
    """Every shape the API accepts for one id: string, list, object, list of objects."""
    return [value, [value], {"_id": value}, [{"_id": value}]]


def _cases(w: dict[str, Any], uid: str) -> list[tuple[str, str, Any]]:
    sid, oid, pid, cid, clid = w["sid"], w["oid"], w["pid"], w["cid"], w["clid"]
    cases: list[tuple[str, str, Any]] = [
        # streams
        ("GET", f"/streams/{sid}", None),
        ("GET", f"/streams/{sid}?fields=name,objects", None),
        ("GET", f"/streams/{sid}/objects", None),
        ("GET", f"/streams/{sid}/clients", None),
        ("GET", f"/streams/{sid}/diff/{w['other']}", None),
        ("GET", f"/streams/{sid}/delta/{w['other']}", None),
        ("PUT", f"/streams/{sid}", {"name": "hacked"}),
        ("PUT", f"/streams/{sid}", {"private": False}),
        ("PUT", f"/streams/{sid}", {"owner": uid or "000000000000000000000000"}),
        ("POST", f"/streams/{sid}/clone", {"name": "mine now"}),
        ("DELETE", f"/streams/{sid}", None),
        # objects
        ("GET", f"/objects/{oid}", None),
        ("PUT", f"/objects/{oid}", {"v": 0}),
        ("PUT", f"/objects/{oid}/properties", {"v": 0}),
        ("DELETE", f"/objects/{oid}", None),
        # projects
        ("GET", f"/projects/{pid}", None),
        ("PUT", f"/projects/{pid}", {"name": "hacked"}),
        ("PUT", f"/projects/{pid}/addstream/{w['other']}", None),
        ("DELETE", f"/projects/{pid}/removestream/{sid}", None),
        ("DELETE", f"/projects/{pid}", None),
        # comments
        ("GET", f"/comments/{cid}", None),
        ("GET", f"/comments/stream/{sid}", None),
        ("POST", f"/comments/stream/{sid}", {"text": "spam"}),
        ("POST", f"/comments/comment/{cid}", {"text": "spam"}),
        ("PUT", f"/comments/{cid}", {"text": "hacked"}),
        ("DELETE", f"/comments/{cid}", None),
        # clients
        ("GET", f"/clients/{clid}", None),
        ("PUT", f"/clients/{clid}", {"documentName": "hacked"}),
        ("DELETE", f"/clients/{clid}", None),
    ]
    if uid:
        cases += [("PUT", f"/projects/{pid}/adduser/{uid}", None),
                  ("PUT", f"/projects/{pid}/upgradeuser/{uid}", None)]
    for shape in _id_shapes(uid or "000000000000000000000000"):
        for key in ("canRead", "canWrite"):
            cases.append(("PUT", f"/streams/{sid}", {key: shape}))
            cases.append(("PUT", f"/projects/{pid}", {key: shape}))
            cases.append(("PUT", f"/objects/{oid}", {key: shape}))
            cases.append(("PUT", f"/clients/{clid}", {key: shape}))
        cases.append(("PUT", f"/comments/{cid}", {"assignedTo": shape}))
        cases.append(("PUT", f"/projects/{pid}", {"permissions": {"canRead": shape}}))
    return cases


def _snapshot(w: dict[str, Any]) -> dict[str, Any]:
    api, owner = w["api"], w["owner"]
    return {
        "stream": api.ok("GET", f"/streams/{w['sid']}", owner)["resource"],
        "object": api.ok("GET", f"/objects/{w['oid']}", owner)["resource"],
        "project": api.ok("GET", f"/projects/{w['pid']}", owner)["resource"],
        "comment": api.ok("GET", f"/comments/{w['cid']}", owner)["resource"],
        "client": api.ok("GET", f"/clients/{w['clid']}", owner)["resource"],
    }


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
def test_no_one_else_reads_or_writes_private_resources(world: dict[str, Any], who: str) -> None:
    api: Http = world["api"]
    user: User | None = world["stranger"] if who == "stranger" else None
    before = _snapshot(world)
    for method, path, body in _cases(world, user.id if user else ""):
        response = api(method, path, user, json=body) if body is not None else api(method, path, user)
        assert response.status_code in NOT_ALLOWED, (who, method, path, body, response.status_code, response.text)
        assert "secret" not in response.text and '"v":42' not in response.text, (method, path, response.text)
    after = _snapshot(world)
    for key in before:
        before[key].pop("layers", None)
        after[key].pop("layers", None)  # invented per read (fresh guid)
    assert after == before


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
def test_lists_and_bulk_reads_leave_private_data_out(world: dict[str, Any], who: str) -> None:
    api: Http = world["api"]
    user: User | None = world["stranger"] if who == "stranger" else None
    oid = world["oid"]
    for body in ([oid], [oid, oid]):
        got = api("POST", "/objects/getbulk", user, json=body)
        assert got.status_code == 200 and all(o.get("v") is None for o in got.json()["resources"])
    for body in ([{"_id": oid}], {"_id": oid}, oid):
        assert api("POST", "/objects/getbulk", user, json=body).status_code in NOT_ALLOWED
    if user is None:
        for path in ("/streams", "/projects", "/clients", "/comments", "/comments/assigned"):
            assert api("GET", path).status_code == 401
        return
    derived = api.ok("POST", "/objects/derive", user, json=[{"_id": oid, "v": 1}])
    assert derived["resources"] == []  # unreadable ids are dropped
    assert world["sid"] not in json.dumps(api.ok("GET", "/streams", user))
    assert world["pid"] not in json.dumps(api.ok("GET", "/projects", user))
    assert world["clid"] not in json.dumps(api.ok("GET", "/clients", user))
    assert world["cid"] not in json.dumps(api.ok("GET", "/comments", user))
    assert api.ok("GET", "/comments/assigned", user)["resources"] == []
    for query in ("?owner=" + world["owner"].id, "?private=true", "?name=/secret|private/"):
        assert api.ok("GET", "/streams" + query, user)["resources"] == []
        assert api.ok("GET", "/projects" + query, user)["resources"] == []
    # admin-only lists
    for path in ("/streams/admin", "/projects/admin", "/accounts/admin"):
        assert api("GET", path, user).status_code == 401


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
def test_websocket_joins_of_private_resources_are_refused(world: dict[str, Any], who: str) -> None:
    api: Http = world["api"]
    token = f"&access_token={quote(world['stranger'].apitoken)}" if who == "stranger" else ""
    ws = websocket.create_connection(f"{api.server.ws_url}/?client_id=authz-{who}{token}", timeout=5)
    try:
        ws.send(json.dumps({"eventName": "join", "streamId": world["sid"]}))
        assert ws.recv() == f"Failed to join room stream-{world['sid']}"
        ws.send(json.dumps({"eventName": "join", "resourceType": "stream", "resourceId": world["sid"]}))
        assert "Room joined." not in ws.recv()
    finally:
        ws.close()


def test_the_owner_still_has_everything(world: dict[str, Any]) -> None:
    snap = _snapshot(world)
    assert snap["stream"]["name"] == "private" and snap["object"]["v"] == 42
    assert snap["project"]["name"] == "secret project" and snap["comment"]["text"] == "secret"
    assert snap["client"]["documentName"] == "secret"
