"""Clients, comments and projects (§8.3, §8.6, §8.7)."""

from __future__ import annotations

import pytest

from .conftest import Http


def test_clients(http: Http) -> None:
    owner, reader, stranger = http.register(), http.register(), http.register()
    anon = http.ok("POST", "/clients", json={"role": "Sender"})
    assert anon["message"] == "Anonymous client created." and anon["resource"]["_id"].startswith("temp-")
    flagged = http.ok("POST", "/clients", owner, json={"isAnonymous": True})
    assert flagged["resource"]["_id"].startswith("temp-")
    sid = http.stream(owner, canRead=[reader.id])["streamId"]
    created = http.ok("POST", "/clients", owner, json={"role": "Sender", "documentType": "Rhino",
                                                          "streamId": sid, "junk": 1, "owner": stranger.id})
    client = created["resource"]
    assert created["message"] == "Client created."
    assert client["owner"] == owner.id and "junk" not in client and client["online"] is True
    cid = client["_id"]
    listed = http.ok("GET", "/clients?fields=role", owner)
    assert listed["message"] == f"Client list for user {owner.id}"
    assert listed["resources"] == [{"_id": cid, "role": "Sender"}]
    got = http.ok("GET", f"/clients/{cid}", reader)
    assert got["message"] == "Client found." and got["resource"]["owner"]["email"] == owner.email
    # public stream, but clients are only readable by stream members
    denied = http("GET", f"/clients/{cid}", stranger)
    assert (denied.status_code, denied.json()["message"]) == (400, "Error: You are not authorised to read.")
    assert http("GET", "/clients/" + "0" * 24, owner).json()["message"] == \
        "TypeError: Cannot read property 'streamId' of null"
    assert http("GET", f"/clients/{anon['resource']['_id']}", owner).json()["message"].startswith("CastError")
    updated = http.ok("PUT", f"/clients/{cid}", owner, json={"role": "Receiver", "documentName": "d"})
    assert updated["message"] == "Client updated following fields: role,documentName"
    assert http("PUT", f"/clients/{cid}", reader, json={"role": "x"}).json()["message"] == \
        "Error: You are not authorised to write."
    in_stream = http.ok("GET", f"/streams/{sid}/clients?role=Receiver")
    assert in_stream["message"] == f"Client list for stream {sid} returned." and len(in_stream["resources"]) == 1
    refused = http("DELETE", f"/clients/{cid}", reader)
    assert (refused.status_code, refused.json()["message"]) == (404, "Error: You are not authorised to write.")
    assert http.ok("DELETE", f"/clients/{cid}", owner)["message"] == "Client was deleted! Bye bye data."


@pytest.mark.parametrize("rtype", ["stream", "streams", "object", "objects", "project", "projects",
                                   "comment", "comments"])
def test_comment_on_every_type(http: Http, rtype: str) -> None:
    user = http.register()
    if rtype.startswith("stream"):
        rid = http.stream(user)["streamId"]
    elif rtype.startswith("object"):
        rid = http.ok("POST", "/objects", user, json=[{"type": "X", "k": rtype}])["resources"][0]["_id"]
    elif rtype.startswith("project"):
        rid = http.ok("POST", "/projects", user, json={"name": "p"})["resource"]["_id"]
    else:
        sid = http.stream(user)["streamId"]
        rid = http.ok("POST", f"/comments/stream/{sid}", user, json={"text": "root"})["resource"]["_id"]
    created = http.ok("POST", f"/comments/{rtype}/{rid}", user, json={"text": "hello", "junk": 1})
    assert created["message"] == "Stop talking and chatting and do some work."
    comment = created["resource"]
    assert comment["resource"] == {"resourceType": rtype, "resourceId": rid}
    assert comment["owner"] == user.id and "junk" not in comment
    listed = http.ok("GET", f"/comments/{rtype}/{rid}", user)["resources"]
    assert [c["_id"] for c in listed] == [comment["_id"]]


def test_comment_permissions(admin_setup) -> None:
    api, admin, owner, stranger = admin_setup
    sid = api.stream(owner)["streamId"]
    refused = api("POST", f"/comments/stream/{sid}", stranger, json={"text": "hi"})
    assert (refused.status_code, refused.json()["message"]) == (401, "You are not authorised to comment.")
    anon = api("POST", f"/comments/stream/{sid}", json={"text": "hi"})
    assert anon.status_code == 401
    api.ok("PUT", f"/streams/{sid}", owner, json={"anonymousComments": True})
    anonymous = api.ok("POST", f"/comments/stream/{sid}", json={"text": "anon"})["resource"]
    assert anonymous["owner"] is None
    invalid = api("POST", f"/comments/stream/{sid}", owner, json={"title": "no text"})
    assert (invalid.status_code, invalid.json()["message"]) == (
        404, "Comment validation failed: text: Path `text` is required.")
    mine = api.ok("POST", f"/comments/stream/{sid}", owner, json={"text": "mine", "assignedTo": [stranger.id]})
    cid = mine["resource"]["_id"]
    # only owner/admin can read a comment by id; others get a TypeError 404
    assert api.ok("GET", f"/comments/{cid}", owner)["resource"]["text"] == "mine"
    assert api.ok("GET", f"/comments/{cid}", admin)["resource"]["text"] == "mine"
    other = api("GET", f"/comments/{cid}", stranger)
    assert other.status_code == 404 and "Cannot read property" in other.json()["message"]
    assert api("GET", "/comments/" + "0" * 24, owner).json()["message"] == "Resource not found."
    edited = api.ok("PUT", f"/comments/{cid}", owner, json={"text": "edited", "closed": True})
    assert edited == {"success": True, "message": "Comment edited", "fields": ["text", "closed"]}
    assert api("PUT", f"/comments/{cid}", stranger, json={"text": "x"}).status_code == 404
    assert [c["_id"] for c in api.ok("GET", "/comments/assigned", stranger)["resources"]] == [cid]
    assert cid in [c["_id"] for c in api.ok("GET", "/comments?closed=true", owner)["resources"]]
    assert api.ok("GET", "/comments?closed=false", owner)["resources"] == []
    assert api("DELETE", f"/comments/{cid}", stranger).status_code == 404
    assert api.ok("DELETE", f"/comments/{cid}", owner)["message"] == "Comment deleted."
    stream = api.ok("GET", f"/streams/{sid}", owner)["resource"]
    assert cid in stream["comments"]  # the id stays in the parent
    crash = api("POST", f"/comments/widget/{sid}", owner, json={"text": "x"})
    assert crash.status_code == 500 and "text/html" in crash.headers["Content-Type"]
    on_user = api("POST", f"/comments/user/{owner.id}", stranger, json={"text": "x"})
    assert (on_user.status_code, on_user.json()["message"]) == (401, "Not authorised")
    api.ok("PUT", f"/streams/{sid}", owner, json={"private": True, "anonymousComments": False})
    unreadable = api("GET", f"/comments/stream/{sid}", stranger)
    assert (unreadable.status_code, unreadable.json()["message"]) == (401, "You are not authorised to read.")
    assert api("GET", "/comments/stream/nope").status_code == 404


def test_projects_crud(admin_setup) -> None:
    api, admin, owner, member = admin_setup
    created = api.ok("POST", "/projects", owner, json={"name": "P", "jobNumber": "42-1"})
    assert "message" not in created
    project = created["resource"]
    pid = project["_id"]
    assert project["private"] is True and project["permissions"] == {"canRead": [], "canWrite": []}
    assert api("GET", f"/projects/{pid}").status_code == 401  # mandatory auth: text 401
    denied = api("GET", f"/projects/{pid}", member)
    assert (denied.status_code, denied.json()["message"]) == (401, "You are not authorised to read.")
    assert api.ok("GET", f"/projects/{pid}", admin)["resource"]["name"] == "P"
    missing = api("GET", "/projects/" + "0" * 24, owner)
    assert (missing.status_code, missing.json()["message"]) == (404, "Resource not found.")
    assert api("GET", "/projects/xyz", owner).status_code == 404
    patched = api.ok("PUT", f"/projects/{pid}", owner, json={"name": "Q", "jobNumber": "1"})
    assert patched["message"] == f"Patched name,jobNumber for {pid}."
    assert [p["name"] for p in api.ok("GET", "/projects?jobNumber=1", owner)["resources"]] == ["Q"]
    assert api.ok("GET", "/projects", member)["resources"] == []
    assert len(api.ok("GET", "/projects/admin", admin)["resources"]) == 1
    assert api("GET", "/projects/admin", owner).status_code == 401
    refused = api("DELETE", f"/projects/{pid}", member)
    body = refused.json()
    assert refused.status_code == 400 and body["message"]["level"] == "error" and "timestamp" in body["message"]
    deleted = api.ok("DELETE", f"/projects/{pid}", owner)
    assert deleted["message"] == "Project was permanently deleted." and deleted["modifiedStreams"] == []


def test_project_membership_propagation(admin_setup) -> None:
    api, _, owner, member = admin_setup
    third = api.register()
    stream_owner = api.register()
    sid = api.stream(stream_owner, canWrite=[owner.id])["streamId"]
    pid = api.ok("POST", "/projects", owner, json={"permissions": {"canRead": [third.id], "canWrite": []}})[
        "resource"]["_id"]
    added = api.ok("PUT", f"/projects/{pid}/addstream/{sid}", owner)
    assert added["project"]["streams"] == [sid]
    assert set(added["stream"]) == {"_id", "canRead", "canWrite", "name", "streamId", "owner", "__v", "updatedAt"}
    assert set(added["stream"]["canRead"]) == {third.id, owner.id}
    refused = api("PUT", f"/projects/{pid}/addstream/{sid}", member)
    assert (refused.status_code, refused.json()["message"]) == (400, "You are not authorised to write.")

    msg = api.ok("PUT", f"/projects/{pid}/adduser/{member.id}", owner)["message"]
    assert msg == f"Added user {member.id} to project {pid}'s permission table and updated streams."
    stream = api.ok("GET", f"/streams/{sid}", stream_owner)["resource"]
    assert member.id in stream["canWrite"] and member.id not in stream["canRead"]
    project = api.ok("GET", f"/projects/{pid}", member)["resource"]
    assert member.id in project["canRead"] and member.id in project["permissions"]["canWrite"]
    assert api("PUT", f"/projects/{pid}/adduser/xyz", owner).status_code == 404

    down = api.ok("PUT", f"/projects/{pid}/downgradeuser/{member.id}", owner)
    assert down["streamsToAddReadAndPullWrite"] == [sid]
    stream = api.ok("GET", f"/streams/{sid}", stream_owner)["resource"]
    assert member.id in stream["canRead"] and member.id not in stream["canWrite"]

    up = api.ok("PUT", f"/projects/{pid}/upgradeuser/{member.id}", owner)
    assert up["message"] == f"Added user {member.id} to read streams."
    stream = api.ok("GET", f"/streams/{sid}", stream_owner)["resource"]
    assert member.id in stream["canRead"] and member.id in stream["canWrite"]

    # a second project granting the same user write keeps it when the first withdraws
    other = api.ok("POST", "/projects", owner, json={"permissions": {"canRead": [], "canWrite": [member.id]}})
    api.ok("PUT", f"/projects/{other['resource']['_id']}/addstream/{sid}", owner)
    removed = api.ok("DELETE", f"/projects/{pid}/removeuser/{member.id}", owner)
    assert removed["streamsToPullReadFrom"] == [sid] and removed["streamsToPullBothFrom"] == []
    stream = api.ok("GET", f"/streams/{sid}", stream_owner)["resource"]
    assert member.id in stream["canWrite"] and member.id not in stream["canRead"]
    assert member.id not in removed["project"]["canRead"]

    gone = api.ok("DELETE", f"/projects/{pid}/removestream/{sid}", owner)
    assert gone["project"]["streams"] == []
    stream = api.ok("GET", f"/streams/{sid}", stream_owner)["resource"]
    assert third.id not in stream["canRead"] and owner.id in stream["canRead"]
    deleted = api.ok("DELETE", f"/projects/{other['resource']['_id']}", owner)
    assert deleted["modifiedStreams"][0]["streamId"] == sid
    assert member.id not in api.ok("GET", f"/streams/{sid}", stream_owner)["resource"]["canWrite"]
