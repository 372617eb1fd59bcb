"""The record of received objects and ``follow`` against the real v1 server (opt in).

Runs when a real v1 server answers at ``$SPECKLE_REAL_V1_URL`` (default http://127.0.0.1:3100,
see ``../shared/real-v1``); skipped otherwise.
"""

from __future__ import annotations

import os
import random
import time
import uuid

import pytest
import requests

from speckle import SpeckleApiClient

URL = os.environ.get("SPECKLE_REAL_V1_URL", "http://127.0.0.1:3100")


def _answers() -> bool:
    try:
        return requests.get(f"{URL}/api/v1", timeout=2).status_code == 200
    except requests.RequestException:
        return False


pytestmark = [
    pytest.mark.real_v1,
    pytest.mark.skipif(not _answers(), reason=f"no real v1 server answers at {URL}"),
]


def _registered() -> SpeckleApiClient:
    client = SpeckleApiClient(URL, use_ssl=URL.startswith("https"))
    client.register(email=f"recv-{uuid.uuid4().hex[:10]}@speckle.local", password="real v1 tests", company="x")
    return client


@pytest.fixture
def client() -> SpeckleApiClient:
    return _registered()


def _objects(count: int) -> list[dict[str, object]]:
    base = random.randrange(10**9)
    return [{"type": "Point", "value": [base, i, 0.25], "properties": {"i": i}} for i in range(count)]


def test_the_record_against_the_real_server(client: SpeckleApiClient, tmp_path: object,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECKLE_CONFIG_DIR", str(tmp_path))
    sent = client.send(_objects(60), name="real record")
    ids = sent.object_ids
    time.sleep(1.05)
    first = client.receive(str(sent.stream_id), raw=True)
    assert len(first.fetched) == 60 and first.missing == []
    assert client.receive(str(sent.stream_id), raw=True).fetched == []

    client.transport.request("PUT", f"/objects/{ids[4]}", json_body={"value": [1, 2, 3]})
    client.transport.request("PUT", f"/objects/{ids[9]}/properties", json_body={"extra": True})
    client.transport.request("DELETE", f"/objects/{ids[20]}")
    time.sleep(1.05)
    again = client.receive(str(sent.stream_id), raw=True)
    assert sorted(again.fetched) == sorted([ids[4], ids[9], ids[20]])
    assert again.objects[4]["value"] == [1, 2, 3] and again.objects[9]["properties"]["extra"] is True
    assert again.missing == [20] and "owner" not in again.objects[20]
    assert client.receive(str(sent.stream_id), raw=True).fetched == [ids[20]]  # deleted: asked again, never served


def test_follow_against_the_real_server(client: SpeckleApiClient, tmp_path: object,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECKLE_CONFIG_DIR", str(tmp_path))
    sent = client.send(_objects(30), name="real follow")
    ids = sent.object_ids
    time.sleep(1.05)
    with client.follow(str(sent.stream_id), raw=True) as follower:
        first = follower.next_change(timeout=20)
        assert first is not None and len(first.added) == 30
        with client.listen(str(sent.stream_id), mark_online=False) as writer:
            assert writer.wait_ready(10)
            client.transport.request("PUT", f"/objects/{ids[2]}", json_body={"name": "live"})
            time.sleep(1.05)
            writer.broadcast({"eventType": "update-global"})
            writer.broadcast({"eventType": "update-children"})
            change = follower.next_change(timeout=20)
    assert change is not None and set(change.reason.split(",")) == {"update-global", "update-children"}
    assert [o["_id"] for o in change.changed] == [ids[2]] and change.changed[0]["name"] == "live"
    assert change.result.fetched == [ids[2]]


def test_checks_against_the_real_server(client: SpeckleApiClient, tmp_path: object,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The real server answers the small checks as the client expects: what changed since a
    time (dates compared as dates), and a count (offset/limit over distinct objects); the full
    listing (quadratic there) is asked for only when the count is off."""
    from .test_received import _requests_of

    monkeypatch.setenv("SPECKLE_CONFIG_DIR", str(tmp_path))
    sent = client.send(_objects(40), name="real checks")
    stream_id, ids = str(sent.stream_id), sent.object_ids
    client.streams.update(stream_id, {"objects": [{"type": "Placeholder", "_id": i} for i in [*ids, ids[0]]]})
    time.sleep(1.05)
    first = client.receive(stream_id, raw=True)
    seen = _requests_of(client)
    again = client.receive(stream_id, raw=True)
    assert again.fetched == [] and again.objects == first.objects
    assert [r.split("?")[0] for r in seen] == ["GET /streams/" + stream_id, f"GET /streams/{stream_id}/objects",
                                                f"GET /streams/{stream_id}/objects"]
    assert "offset=39" in seen[2]
    client.transport.request("PUT", f"/objects/{ids[3]}", json_body={"name": "moved"})
    time.sleep(1.05)
    seen.clear()
    shared = client.receive(stream_id, raw=True, previous=again)
    assert shared.fetched == [ids[3]] and shared.objects[3]["name"] == "moved"
    assert shared.objects[0] is again.objects[0] and len(seen) == 4  # 3 checks and one getbulk
    client.transport.request("DELETE", f"/objects/{ids[8]}")
    seen.clear()
    gone = client.receive(stream_id, raw=True)
    assert gone.missing == [8] and gone.fetched == [ids[8]]
    assert f"GET /streams/{stream_id}/objects?fields=updatedAt" in seen  # the listing, once


def test_private_objects_of_others_against_the_real_server(client: SpeckleApiClient, tmp_path: object,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from .test_received import _requests_of

    monkeypatch.setenv("SPECKLE_CONFIG_DIR", str(tmp_path))
    other = _registered()
    sent = client.send(_objects(10), name="real private")
    (secret,) = [p["_id"] for p in other.transport.request("POST", "/objects", json_body=[
        {"type": "Secret", "private": True, "value": random.random()}])["resources"]]
    stream_id = str(sent.stream_id)
    client.streams.update(stream_id, {"objects": [{"type": "Placeholder", "_id": i}
                                                  for i in [*sent.object_ids, secret]]})
    time.sleep(1.05)
    assert client.receive(stream_id, raw=True).missing == [10]
    seen = _requests_of(client)
    for round_ in range(2):
        seen.clear()
        again = client.receive(stream_id, raw=True)
        assert again.missing == [10] and again.fetched == [secret]
        assert (f"GET /streams/{stream_id}/objects?fields=updatedAt" in seen) == (round_ == 0)


def test_a_stream_send_created_is_recorded_from_the_answer_on_the_real_server(
        client: SpeckleApiClient, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECKLE_CONFIG_DIR", str(tmp_path))
    objects = _objects(20)
    first = client.send(objects, name="answer", layers=[])
    reads: list[str] = []
    real = client.transport.request

    def counted(method: str, path: str, **kwargs: object) -> object:
        reads.append(f"{method} {path}")
        return real(method, path, **kwargs)

    monkeypatch.setattr(client.transport, "request", counted)
    again = client.send(objects, stream_id=first.stream_id, name="answer", layers=[])
    assert again.stream_unchanged and reads == [f"GET /streams/{first.stream_id}"]  # updatedAt only
    # a dotted key is stored as a path by the real server: the answer differs, nothing is recorded
    dotted = client.send(objects, **{"my.key": 1})
    assert not client.send(objects, stream_id=dotted.stream_id, **{"my.key": 1}).stream_unchanged
