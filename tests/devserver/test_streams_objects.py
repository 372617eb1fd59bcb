"""Streams, objects, hashing/de-dup, getbulk, clone/diff/delta (§8.4, §8.5)."""

from __future__ import annotations

import hashlib
import json

from .conftest import Http

NO_PERMISSION = "You do not have permissions to view this object"


def js_hash(obj: dict) -> str:
    return hashlib.md5(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def save(http: Http, user, objects) -> list[str]:
    return [p["_id"] for p in http.ok("POST", "/objects", user, json=objects)["resources"]]


def test_stream_crud_and_permissions(http: Http) -> None:
    owner, stranger = http.register(), http.register()
    created = http.ok("POST", "/streams", owner, json={"name": "S", "custom": 1, "owner": stranger.id,
                                                          "objects": [{"type": "Point", "value": [1, 2, 3]}]})
    assert created["message"] == "Created stream"
    stream = created["resource"]
    sid = stream["streamId"]
    assert stream["owner"] == owner.id and stream["custom"] == 1 and stream["private"] is False
    assert 7 <= len(sid) <= 14 and stream["objects"][0]["type"] == "Placeholder"
    assert "baseProperties" not in stream and "globalMeasures" not in stream
    got = http.ok("GET", f"/streams/{sid}")["resource"]  # public: anonymous read
    assert got["layers"][0]["name"] == "Default Generated Speckle Layer"
    assert got["layers"][0]["topology"] == "0;0-1 "
    assert http.ok("GET", f"/streams/{sid}")["resource"]["layers"][0]["guid"] != got["layers"][0]["guid"]
    assert http.ok("GET", f"/streams/{sid}?fields=name")["resource"]["layers"] == []
    only = http.ok("GET", f"/streams/{sid}?fields=name")["resource"]
    assert set(only) == {"_id", "name", "private", "canRead", "canWrite", "owner", "layers"}

    patch = http.ok("PUT", f"/streams/{sid}", owner, json={"name": "T", "streamId": "nope", "private": True})
    assert patch["message"] == "Patched stream fields: name,private"
    assert http.ok("GET", f"/streams/{sid}", owner)["resource"]["name"] == "T"
    private = http(method="GET", path=f"/streams/{sid}", user=stranger)
    expected = {"success": False, "message": "You are not authorised to read."}
    assert (private.status_code, private.json()) == (401, expected)
    missing = http("GET", "/streams/doesnotexist")
    assert (missing.status_code, missing.json()["message"]) == (404, "Resource not found.")
    write = http("PUT", f"/streams/{sid}", stranger, json={"name": "x"})
    assert (write.status_code, write.json()["message"]) == (400, "Error: You are not authorised to write.")
    # share write: stranger may now edit, but not protected fields
    http.ok("PUT", f"/streams/{sid}", owner, json={"canWrite": [stranger.id, None]})
    assert http.ok("GET", f"/streams/{sid}", owner)["resource"]["canWrite"] == [stranger.id]
    http.ok("PUT", f"/streams/{sid}", stranger, json={"description": "by writer"})
    protected = http("PUT", f"/streams/{sid}", stranger, json={"owner": stranger.id})
    assert protected.json()["message"] == "Error: Protected field, you are not authorised to edit owner."
    assert sid in [s["streamId"] for s in http.ok("GET", "/streams", stranger)["resources"]]
    delete = http("DELETE", f"/streams/{sid}", stranger)
    assert (delete.status_code, delete.json()["message"]) == (404, "Error: You do not own the stream.")


def test_put_stream_rename_when_first_key_and_objects_rules(http: Http) -> None:
    user = http.register()
    sid = http.stream(user)["streamId"]
    ids = save(http, user, [{"type": "A", "v": 1}, {"type": "B", "v": 2}])
    http.ok("PUT", f"/streams/{sid}", user, json={"objects": [{"type": "Placeholder", "_id": i} for i in ids]})
    assert [o["_id"] for o in http.ok("GET", f"/streams/{sid}")["resource"]["objects"]] == ids
    mixed = [{"type": "Placeholder", "_id": ids[0]}, {"type": "C", "v": 3}]
    http.ok("PUT", f"/streams/{sid}", user, json={"objects": mixed})
    objects = http.ok("GET", f"/streams/{sid}")["resource"]["objects"]
    assert len(objects) == 1 and objects[0]["_id"] not in ids
    bare = http("PUT", f"/streams/{sid}", user, json={"objects": ["abc", {"type": "X"}]})
    assert bare.status_code == 400 and bare.json()["message"].startswith("ObjectParameterError")
    renamed = http.ok("PUT", f"/streams/{sid}", user, json={"streamId": sid + "x", "name": "n"})
    assert renamed["message"] == "Patched stream fields: streamId,name"
    assert http("GET", f"/streams/{sid}x").status_code == 200


def test_list_streams_scope_query_and_populate(http: Http) -> None:
    a, b = http.register(), http.register()
    s1 = http.stream(a, name="alpha", jobNumber="123", tags=["x"])
    http.stream(a, name="beta")
    http.stream(b, name="other")
    shared = http.stream(b, name="shared", canRead=[a.id])
    listed = http.ok("GET", "/streams", a)
    assert listed["message"] == "Stream list returned. Contains both owned and shared with streams."
    assert {s["name"] for s in listed["resources"]} == {"alpha", "beta", "shared"}
    assert [s["name"] for s in http.ok("GET", "/streams?jobNumber=123", a)["resources"]] == ["alpha"]
    assert [s["name"] for s in http.ok("GET", "/streams?sort=-name&limit=1&offset=1", a)["resources"]] == ["beta"]
    fields = http.ok("GET", "/streams?fields=streamId,name&name=/^al/", a)["resources"]
    # populate() of the permissions keeps canRead/canWrite in an inclusive projection, as on v1
    assert fields == [{"canRead": [], "canWrite": [], "name": "alpha", "_id": s1["_id"], "streamId": s1["streamId"]}]
    assert list(fields[0]) == ["canRead", "canWrite", "name", "_id", "streamId"]
    populated = http.ok("GET", f"/streams?populatePermissions=true&streamId={shared['streamId']}", a)["resources"]
    assert populated[0]["canRead"][0]["_id"] == a.id and populated[0]["canRead"][0]["email"] == a.email
    assert http.ok("GET", "/streams?populatePermissions=false", a)["resources"] == []
    failed = http("GET", "/streams?private=maybe", a)
    assert (failed.status_code, failed.json()) == (400, {"success": False, "message": "Something failed."})


def test_admin_streams_and_override(admin_setup) -> None:
    api, admin, user, _ = admin_setup
    sid = api.stream(user, private=True)["streamId"]
    assert api.ok("GET", f"/streams/{sid}", admin)["resource"]["streamId"] == sid
    listing = api.ok("GET", "/streams/admin", admin)
    assert listing["message"] == "Master stream list returned." and len(listing["resources"]) == 1
    assert api("GET", "/streams/admin", user).status_code == 401
    api.ok("PUT", f"/streams/{sid}", admin, json={"owner": admin.id})
    assert api.ok("GET", f"/streams/{sid}", admin)["resource"]["owner"] == admin.id


def test_object_hash_dedup_and_owner(http: Http) -> None:
    a, b = http.register(), http.register()
    obj = {"type": "Point", "value": [1.5, 2, 3], "name": "ü"}
    expected_hash = js_hash(obj)
    [first] = save(http, a, [dict(obj)])
    assert http.ok("GET", f"/objects/{first}")["resource"]["hash"] == expected_hash
    [again] = save(http, b, dict(obj))  # single object body, another user: global de-dup
    assert again == first
    assert http.ok("GET", f"/objects/{first}")["resource"]["owner"] == a.id
    with_null = {"type": "Point", "hash": None, "value": 1}
    [other] = save(http, a, [dict(with_null)])
    assert http.ok("GET", f"/objects/{other}")["resource"]["hash"] == js_hash(with_null)
    float_one = save(http, a, [{"type": "N", "value": 1.0}])
    int_one = save(http, a, [{"type": "N", "value": 1}])
    assert float_one == int_one  # JS serialises 1.0 as 1
    dupes = save(http, a, [{"type": "D", "hash": "samehash1"}, {"type": "D", "hash": "samehash1"}])
    assert dupes[0] == dupes[1]
    trusted = save(http, a, [{"type": "T", "_id": "f" * 24, "hash": "unmatched-hash"}])
    assert trusted == ["f" * 24]
    assert http("GET", "/objects/" + "f" * 24).status_code == 400
    placeholders = http.ok("POST", "/objects", a, json=[{"type": "Placeholder", "_id": first}])
    assert placeholders["resources"] == [{"type": "Placeholder", "_id": first}]
    assert http.ok("POST", "/objects", a, json=[])["resources"] == []
    invalid = http("POST", "/objects", a, json=[{"value": 1}])
    assert (invalid.status_code, invalid.json()["message"]) == (400, "ValidationError: type: Path `type` is required.")
    crash = http("POST", "/objects", a, json=[None])
    assert crash.status_code == 500


def test_object_routes(http: Http) -> None:
    a, b = http.register(), http.register()
    [oid] = save(http, a, [{"type": "Mesh", "properties": {"x": 1, "n": {"a": 1}}}])
    [bare] = save(http, a, [{"type": "Mesh", "tag": "noprops"}])
    got = http.ok("GET", f"/objects/{oid}")
    assert "message" not in got and got["resource"]["type"] == "Mesh"
    assert set(http.ok("GET", f"/objects/{oid}?fields=properties")["resource"]) == {
        "_id", "properties", "type", "private", "canRead", "canWrite", "owner"}
    assert http.ok("PUT", f"/objects/{oid}", a, json={"name": "n"})["message"] == "Object updated."
    denied = http("PUT", f"/objects/{oid}", b, json={"name": "n"})
    assert (denied.status_code, denied.json()["message"]) == (400, "Error: You are not authorised to write.")
    merged = http.ok("PUT", f"/objects/{oid}/properties", a, json={"n": {"b": 2}})
    assert merged["message"] == "Object properties updated."
    assert http.ok("GET", f"/objects/{oid}")["resource"]["properties"] == {"x": 1, "n": {"b": 2}}
    http.ok("PUT", f"/objects/{bare}/properties", a, json={"n": 1})
    assert http.ok("GET", f"/objects/{bare}")["resource"].get("properties") is None
    http.ok("PUT", f"/objects/{oid}", a, json={"private": True})
    unreadable = http("GET", f"/objects/{oid}", b).json()
    assert unreadable == {"success": False, "message": "Error: You are not authorised to read."}
    cast = http("GET", "/objects/xyz")
    assert cast.status_code == 400 and cast.json()["message"].startswith("CastError: Cast to ObjectId failed")
    not_owner = http("DELETE", f"/objects/{oid}", b)
    assert (not_owner.status_code, not_owner.json()["message"]) == (404, "Error: You do not own the stream.")
    assert http.ok("DELETE", f"/objects/{oid}", a)["message"] == "Object was deleted. Bye bye data."
    gone = http("GET", f"/objects/{oid}")
    assert (gone.status_code, gone.json()["message"]) == (400, "Error: Resource not found.")


def test_getbulk(http: Http) -> None:
    a, b = http.register(), http.register()
    ids = save(http, a, [{"type": "Point", "value": i} for i in range(3)])
    [private] = save(http, a, [{"type": "Secret", "private": True, "value": 9}])
    missing = "0" * 24
    wanted = [ids[2], private, missing, ids[0], ids[2]]
    resources = http.ok("POST", "/objects/getbulk", b, json=wanted)["resources"]
    assert [r["_id"] for r in resources] == wanted
    assert resources[0]["value"] == 2 and resources[3]["value"] == 0 and "__v" in resources[0]
    assert resources[1] == {"_id": private, "type": "String", "value": NO_PERMISSION}
    assert resources[2] == {"_id": missing, "type": "String", "value": NO_PERMISSION}
    assert http.ok("POST", "/objects/getbulk", a, json=[private])["resources"][0]["value"] == 9
    filtered = http.ok("POST", "/objects/getbulk?value=1&fields=value", b, json=ids)["resources"]
    assert filtered[0]["value"] == NO_PERMISSION and filtered[1]["value"] == 1
    assert set(filtered[1]) == {"_id", "value", "type", "private", "canRead", "canWrite", "owner"}
    bad = http("POST", "/objects/getbulk", b, json=["xyz"])
    assert bad.status_code == 404 and "Cast to ObjectId failed" in bad.json()["message"]
    assert http("POST", "/objects/getbulk", b, json={"a": 1}).status_code == 404


def test_derive(http: Http) -> None:
    a, b = http.register(), http.register()
    ids = save(http, a, [{"type": "P", "props": {"a": 1, "l": [1, 2]}}, {"type": "Q", "private": True}])
    derived = http.ok("POST", "/objects/derive", b, json=[
        {"_id": ids[1], "x": 1}, {"_id": ids[0], "props": {"b": 2, "l": [9]}}])["resources"]
    assert len(derived) == 1  # the private one is skipped silently
    new = http.ok("GET", f"/objects/{derived[0]['_id']}")["resource"]
    assert new["props"] == {"a": 1, "l": [9, 2], "b": 2} and new["owner"] == b.id
    again = http.ok("POST", "/objects/derive", b, json=[{"_id": ids[0], "props": {"b": 2, "l": [9]}}])["resources"]
    assert again == derived
    malformed = http("POST", "/objects/derive", b, json={"_id": ids[0]})
    assert (malformed.status_code, malformed.json()["message"]) == (400, "Malformed request.")


def test_stream_objects_order_and_query(http: Http) -> None:
    user, stranger = http.register(), http.register()
    ids = save(http, user, [{"type": "Mesh", "n": 1}, {"type": "Line", "n": 2}, {"type": "Mesh", "n": 3}])
    order = [ids[2], ids[0], ids[2], ids[1]]
    sid = http.stream(user, objects=[{"type": "Placeholder", "_id": i} for i in order])["streamId"]
    body = http.ok("GET", f"/streams/{sid}/objects?sort=n")
    assert [o["_id"] for o in body["resources"]] == order
    assert body["message"].startswith("Object list returned.")
    assert [o["n"] for o in http.ok("GET", f"/streams/{sid}/objects?type=Mesh")["resources"]] == [3, 1, 3]
    assert http.ok("GET", f"/streams/{sid}/objects?omit=_id")["resources"] == []
    http.ok("PUT", f"/streams/{sid}", user, json={"private": True})
    denied = http("GET", f"/streams/{sid}/objects", stranger)
    assert (denied.status_code, denied.json()["message"]) == (404, "You are not authorised to read.")


def test_clone_diff_delta(http: Http) -> None:
    owner, other = http.register(), http.register()
    ids = save(http, owner, [{"type": "O", "i": i} for i in range(4)])
    layer = {"name": "L", "guid": "g1", "startIndex": 0, "objectCount": 3}
    src = http.stream(owner, name="Src", canRead=[other.id], layers=[layer],
                      objects=[{"type": "Placeholder", "_id": i} for i in ids[:3]])
    sid = src["streamId"]
    mine = http.ok("POST", f"/streams/{sid}/clone", owner, json={"name": "Copy"})
    assert set(mine) == {"success", "clone", "parent"}
    assert mine["clone"]["name"] == "Copy" and mine["clone"]["parent"] == sid
    assert mine["clone"]["canRead"] == [other.id] and "objects" not in mine["clone"]
    assert mine["parent"]["children"] == [mine["clone"]["streamId"]]
    theirs = http.ok("POST", f"/streams/{sid}/clone", other)["clone"]
    assert theirs["name"] == "Src (clone)" and theirs["owner"] == other.id
    assert (theirs["canRead"], theirs["canWrite"]) == ([owner.id], [])
    private = http.stream(owner, private=True)["streamId"]
    refused = http("POST", f"/streams/{private}/clone", other)
    assert (refused.status_code, refused.json()) == (400, {"success": False, "message": {}})

    tid = theirs["streamId"]
    http.ok("PUT", f"/streams/{tid}", other, json={
        "objects": [{"type": "Placeholder", "_id": i} for i in (ids[1], ids[3])],
        "layers": [layer, {"name": "M", "guid": "g2"}]})
    diff = http.ok("GET", f"/streams/{sid}/diff/{tid}")
    assert diff["objects"] == {"common": [ids[1]], "inA": [ids[0], ids[2]], "inB": [ids[3]]}
    assert [x["guid"] for x in diff["layers"]["inB"]] == ["g2"] and diff["layers"]["common"] == [layer]
    same = http("GET", f"/streams/{sid}/diff/{sid}")
    assert (same.status_code, same.json()["message"]) == (400, "Can not diff the same stream, yo!")
    assert http("GET", f"/streams/{sid}/diff/nope").json()["message"] == "Error: Failed to find streams."

    no_sender = http("GET", f"/streams/{sid}/delta/{tid}")
    body = no_sender.json()
    assert no_sender.status_code == 400 and body["success"] is True
    assert body["message"] == "Clients from Stream A and Stream B are undefined"
    assert body["author"] == "undefined" and body["delta"]["revisionA"]["sender"] == "undefined"
    assert [p["_id"] for p in body["delta"]["created"]] == [ids[3]]
    assert [p["_id"] for p in body["delta"]["deleted"]] == [ids[0], ids[2]]
    http.ok("POST", "/clients", owner, json={"role": "Sender", "documentType": "Rhino", "streamId": sid})
    http.ok("POST", "/clients", other, json={"role": "Sender", "documentType": "GH", "streamId": tid})
    full = http.ok("GET", f"/streams/{sid}/delta/{tid}")
    assert "message" not in full and full["author"]["_id"] == owner.id and full["author"]["email"] == owner.email
    assert full["delta"]["revisionB"]["sender"] == "GH" and "/" in full["delta"]["timestamp"]

    delta = full["delta"]
    delta["created"].append({"type": "New", "fresh": True})
    applied = http.ok("POST", f"/streams/{sid}/delta", other, json=delta)
    assert applied["message"] == "Applied Delta Δ"
    after = http.ok("GET", f"/streams/{sid}", owner)["resource"]
    assert [o["_id"] for o in after["objects"]][:2] == [ids[1], ids[3]] and len(after["objects"]) == 3
    assert after["layers"][0]["name"] == "Flattened Layer Structure" and after["layers"][0]["objectCount"] == 3
    children_before = len(after["children"])
    bad = http("POST", f"/streams/{sid}/delta", other, json={"revisionA": {"id": "wrong"}})
    assert (bad.status_code, bad.json()) == (400, {"success": False, "message": "{}"})
    assert len(http.ok("GET", f"/streams/{sid}", owner)["resource"]["children"]) == children_before + 1


def test_delete_stream_with_children(http: Http) -> None:
    owner, other = http.register(), http.register()
    sid = http.stream(owner)["streamId"]
    child = http.ok("POST", f"/streams/{sid}/clone", other)["clone"]["streamId"]
    grandchild = http.ok("POST", f"/streams/{child}/clone", other)["clone"]["streamId"]
    body = http.ok("DELETE", f"/streams/{sid}", owner)
    assert body["message"] == f"Stream {sid} and its children have been deleted."
    assert body["deletedStreams"] == [child, sid]
    assert http("GET", f"/streams/{child}").status_code == 404
    assert http("GET", f"/streams/{grandchild}").status_code == 200


def test_stream_objects_changed_since_and_counts(http: Http, monkeypatch) -> None:
    """``?fields=updatedAt&updatedAt>=<date>`` and ``?fields=_id&offset=&limit=`` (how clients
    check what changed and whether objects were deleted) are answered from indexes: each
    answer equals the one the general query path gives, duplicates and order included."""
    import time

    from speckle.devserver.services import streams

    user = http.register()
    ids = save(http, user, [{"type": "Point", "n": n, "value": [n, 0, 0]} for n in range(8)])
    order = [ids[3], ids[0], ids[3], *ids[1:3], *ids[4:], ids[0]]
    sid = http.stream(user, objects=[{"type": "Placeholder", "_id": i} for i in order])["streamId"]
    time.sleep(0.01)
    edited = http.ok("PUT", f"/objects/{ids[5]}", user, json={"name": "later"})
    assert edited["success"]
    later = http.ok("GET", f"/objects/{ids[5]}", user)["resource"]["updatedAt"]
    http.ok("DELETE", f"/objects/{ids[6]}", user)
    queries = [
        f"fields=updatedAt&updatedAt%3E={later}",
        "fields=updatedAt&updatedAt%3E=1970-01-01T00:00:00.000Z",
        "fields=updatedAt&updatedAt%3E=2999-01-01T00:00:00.000Z",
        f"fields=updatedAt&updatedAt>{later}",
        f"fields=_id&updatedAt%3C={later}",
        f"fields=_id&updatedAt%3E={later}&updatedAt%3C=2999-01-01",
        "fields=_id&updatedAt%3E=1970-01-01T00:00:00.000Z&limit=2&offset=6",
        "fields=_id&updatedAt%3E=1970-01-01T00:00:00.000Z&limit=2&offset=7",
        "fields=_id&limit=2&offset=1",
        "fields=updatedAt&limit=3",
        "fields=_id&offset=5",
        "fields=updatedAt",
    ]
    fast = [http.ok("GET", f"/streams/{sid}/objects?{q}", user)["resources"] for q in queries]
    monkeypatch.setattr(streams, "_FEW", 0)  # the few shown placed by walking the stream instead
    walked = [http.ok("GET", f"/streams/{sid}/objects?{q}", user)["resources"] for q in queries]
    monkeypatch.setattr(streams, "_versions_only", lambda query: False)
    general = [http.ok("GET", f"/streams/{sid}/objects?{q}", user)["resources"] for q in queries]
    assert fast == general and walked == general
    assert [o["_id"] for o in fast[0]] == [ids[5]]
    assert [o["_id"] for o in fast[1]] == [i for i in order if i != ids[6]]  # stream order, duplicates
    assert fast[2] == [] and [o["_id"] for o in fast[3]] == []
    assert len({o["_id"] for o in fast[6]}) == 1 and fast[7] == []  # 7 objects left of 8


def test_object_writes_and_updated_at_as_on_v1(http: Http) -> None:
    """``updatedAt`` (what clients check to know an object changed) moves as on v1: not for a
    ``PUT`` that changes no value, always for ``PUT .../properties`` (saved even when null)."""
    import time

    user = http.register()
    (oid,) = save(http, user, [{"type": "Point", "n": 1, "properties": None}])

    def stamp() -> str:
        return http.ok("GET", f"/objects/{oid}", user)["resource"]["updatedAt"]

    first = stamp()
    time.sleep(0.01)
    http.ok("PUT", f"/objects/{oid}", user, json={"n": 1})
    assert stamp() == first  # nothing changed: nothing saved
    http.ok("PUT", f"/objects/{oid}/properties", user, json={"a": 1})
    second = stamp()
    assert second > first and http.ok("GET", f"/objects/{oid}", user)["resource"]["properties"] is None
    time.sleep(0.01)
    http.ok("PUT", f"/objects/{oid}", user, json={"n": 2})
    assert stamp() > second


def test_query_cast_errors_name_the_model(http: Http) -> None:
    user = http.register()
    sid = http.stream(user, objects=[])["streamId"]
    # (as the real server answers it; V8 would read "=2026-12-03", without a time, as a date)
    answer = http("GET", f"/streams/{sid}/objects?updatedAt%3E%3D=2026-12-02T14:39:18.637Z", user)
    assert answer.status_code == 404
    assert answer.json()["message"] == ('Cast to date failed for value "=2026-12-02T14:39:18.637Z" at path '
                                        '"updatedAt" for model "SpeckleObject"')
