"""``client.send`` / ``client.receive`` against local servers: order, hashes, de-duplication, 413, gzip."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import pytest

from speckle import SpeckleApiClient
from speckle.errors import PayloadTooLargeError, SpeckleInputError, SpeckleResponseError
from speckle.models.objects import Point
from speckle.transfer import object_fingerprint, object_hash

from .conftest import geometry

MakeClient = Callable[..., SpeckleApiClient]


@pytest.fixture(scope="module")
def small_body_server() -> Any:
    """A local server that refuses bodies over 64 KiB."""
    from speckle.devserver import LocalServer

    with LocalServer(bcrypt_rounds=4, max_body_bytes=64 * 1024) as server:
        yield server


def test_round_trip_of_5000_objects(speckle_server: Any, make_client: MakeClient) -> None:
    client = make_client(speckle_server, batch_bytes=256 * 1024, max_workers=4, fetch_count=700)
    objects = geometry(5000)
    original = copy.deepcopy(objects)
    steps: list[tuple[int, int]] = []
    sent = client.send(objects, name="Tower", layers=[{"name": "all", "startIndex": 0, "objectCount": 5000}],
                       description="bulk", progress=lambda d, t: steps.append((d, t)))
    assert objects == original and all("hash" not in o for o in objects)
    assert sent.uploaded == 5000 and sent.reused == 0 and len(sent.placeholders) == 5000
    assert steps[-1] == (5000, 5000)

    received = client.receive(sent.stream_id, raw=True)
    assert received.stream.name == "Tower" and received.stream.description == "bulk"
    assert received.stream.layers[0].objectCount == 5000
    assert [o["_id"] for o in received.objects] == sent.object_ids
    assert [o["hash"] for o in received.objects] == [object_hash(o) for o in objects]
    for mine, theirs in zip(objects[:50], received.objects[:50], strict=True):
        assert {k: theirs[k] for k in mine} == mine
    assert received.missing == []

    models = client.receive(sent.stream_id)
    assert [type(o).__name__ for o in models.objects[:4]] == ["Point", "Line", "Mesh", "Polyline"]


def test_resending_an_unchanged_model_uploads_nothing(speckle_server: Any, make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    objects = geometry(300, seed=1)
    first = client.send(objects, name="v1")
    again = client.send(objects, stream_id=first.stream_id, name="v2")
    assert again.uploaded == 0 and again.reused == 300
    assert again.object_ids == first.object_ids and again.stream_id == first.stream_id

    changed = copy.deepcopy(objects)
    changed[7]["value"] = [9, 9, 9]
    third = client.send(changed, stream_id=first.stream_id)
    assert third.uploaded == 1 and third.reused == 299
    assert third.object_ids[7] != first.object_ids[7]
    received = client.receive(first.stream_id, raw=True)
    assert received.stream.name == "v2"
    assert received.objects[7]["value"] == [9, 9, 9]

    # without the record, the server's de-duplication by hash still gives the same ids
    fresh = client.send(objects, use_cache=False)
    assert fresh.uploaded == 300 and fresh.object_ids == first.object_ids


def test_without_the_record_placeholders_and_ids_still_pass_through(speckle_server: Any,
                                                                    make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    objects = geometry(6, seed=11)
    saved = client.send(objects[:2], use_cache=False)
    mixed = [objects[2], saved.placeholders[0], objects[3], saved.object_ids[1], objects[4]]
    sent = client.send(mixed, use_cache=False)
    assert sent.uploaded == 3 and sent.reused == 0
    assert sent.object_ids[1] == saved.object_ids[0] and sent.object_ids[3] == saved.object_ids[1]
    received = client.receive(sent.stream_id, raw=True, use_cache=False)
    assert [o["_id"] for o in received.objects] == sent.object_ids
    uploaded = [received.objects[i]["hash"] for i in (0, 2, 4)]
    assert uploaded == [object_hash(o) for o in (objects[2], objects[3], objects[4])]
    assert client.transfer_cache.lookup(client.transfer_cache.scope(client.server_url, client.me.id),
                                        [object_fingerprint(objects[2])]) == {}


def test_another_user_or_a_reset_server_never_gets_stale_ids(speckle_server_factory: Any,
                                                             make_client: MakeClient) -> None:
    objects = geometry(20, seed=2)
    server = speckle_server_factory()
    first = make_client(server).send(objects)
    other = make_client(server).send(objects)
    assert other.uploaded == 20  # the record is per user...
    assert other.object_ids == first.object_ids  # ...and the server de-duplicates anyway


def test_413_batches_are_split_against_a_real_server(small_body_server: Any, make_client: MakeClient) -> None:
    client = make_client(small_body_server, batch_bytes=1024 * 1024, gzip_threshold=None)
    objects = geometry(800, seed=3)
    sent = client.send(objects)
    received = client.receive(sent.stream_id, raw=True)
    assert [o["hash"] for o in received.objects] == [object_hash(o) for o in objects]

    # the stream's own list of placeholders cannot be split: a clear error, objects kept
    many = geometry(1500, seed=5)
    with pytest.raises(PayloadTooLargeError, match="objects were saved"):
        client.send(many)
    assert client.transfer_cache.lookup(client.transfer_cache.scope(client.server_url, client.me.id),
                                        [object_fingerprint(many[0])])


def test_gzip_bodies_are_accepted_and_count_inflated(small_body_server: Any, make_client: MakeClient) -> None:
    client = make_client(small_body_server, gzip_threshold=1, batch_bytes=60 * 1024)
    objects = [{"type": "Mesh", "vertices": [float(i)] * 3000, "faces": [0] * 1000} for i in range(30)]
    sent = client.send(objects)
    assert len(set(sent.object_ids)) == 30
    got = client.objects.get_bulk(sent.object_ids, raw=True)
    assert [o["vertices"][0] for o in got] == [float(i) for i in range(30)]


def test_receive_keeps_duplicates_and_reports_missing(speckle_server: Any, make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    objects = geometry(10, seed=4)
    sent = client.send([*objects, objects[0], {"type": "Placeholder", "_id": "5f0000000000000000000000"}])
    assert sent.object_ids[10] == sent.object_ids[0] and sent.uploaded == 11
    client.objects.delete(sent.object_ids[3])
    received = client.receive(sent.stream_id, raw=True)
    assert received.objects[10] is received.objects[0]
    assert received.missing == [3, 11]
    assert client.send([objects[3]]).uploaded == 1  # the deleted object is forgotten, sent again


def _updated_at(client: SpeckleApiClient, stream_id: str) -> str:
    return client.streams.get(stream_id, {"fields": "updatedAt"}).updatedAt


def test_a_stream_that_holds_the_model_already_is_not_written_again(speckle_server: Any,
                                                                      make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    objects = geometry(200, seed=6)
    first = client.send(objects, name="Tower", description="v1")
    stamp = _updated_at(client, first.stream_id)
    again = client.send(objects, stream_id=first.stream_id)  # fields not given are left as they are
    assert again.stream_unchanged and again.object_ids == first.object_ids
    assert "stream_unchanged=True" in repr(again)
    assert client.send(objects, stream_id=first.stream_id, name="Tower", description="v1").stream_unchanged
    assert _updated_at(client, first.stream_id) == stamp

    # a different value is written
    renamed = client.send(objects, stream_id=first.stream_id, name="Tower 2")
    assert not renamed.stream_unchanged and client.streams.get(first.stream_id).name == "Tower 2"

    # so is the same model after anybody else wrote the stream
    client.streams.update(first.stream_id, {"objects": first.placeholders[:3]})
    restored = client.send(objects, stream_id=first.stream_id, name="Tower 2")
    assert not restored.stream_unchanged
    assert client.receive(first.stream_id, raw=True).objects[199]["_id"] == first.object_ids[199]
    assert client.send(objects, stream_id=first.stream_id, name="Tower 2").stream_unchanged

    # and always without the record
    stamp = _updated_at(client, first.stream_id)
    forced = client.send(objects, stream_id=first.stream_id, use_cache=False)
    assert not forced.stream_unchanged and _updated_at(client, first.stream_id) != stamp


def test_a_changed_model_rewrites_the_stream(speckle_server: Any, make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    objects = geometry(40, seed=7)
    first = client.send(objects, name="A")
    changed = [*objects[:39], {"type": "Point", "value": [7, 7, 7]}]
    second = client.send(changed, stream_id=first.stream_id)
    assert not second.stream_unchanged and second.uploaded == 1
    assert client.receive(first.stream_id, raw=True).objects[39]["value"] == [7, 7, 7]
    back = client.send(objects, stream_id=first.stream_id)  # the old model again: objects reused, stream written
    assert back.uploaded == 0 and not back.stream_unchanged
    assert client.receive(first.stream_id, raw=True).objects[39]["_id"] == first.object_ids[39]


def test_what_the_server_stores_differently_is_never_taken_as_unchanged(speckle_server: Any,
                                                                          make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    objects = geometry(10, seed=8)
    # v1 servers show a made-up layer for a stream with no layers: the read-back after an update
    # differs from what was sent, so the update is not recorded
    first = client.send(objects)
    assert not client.send(objects, stream_id=first.stream_id, layers=[]).stream_unchanged
    assert not client.send(objects, stream_id=first.stream_id, layers=[]).stream_unchanged
    # the answer to a creation is the saved document itself (its layers as stored): recorded
    created = client.send(objects, layers=[])
    stamp = _updated_at(client, created.stream_id)
    assert client.send(objects, stream_id=created.stream_id, layers=[]).stream_unchanged
    assert _updated_at(client, created.stream_id) == stamp
    assert client.streams.get(created.stream_id, {"omit": "objects"}).layers == []
    # a key a projection cannot select exactly is not recorded either
    second = client.send(objects, **{"my.key": 1})
    assert not client.send(objects, stream_id=second.stream_id, **{"my.key": 1}).stream_unchanged


def test_an_object_with_nan_never_takes_the_id_of_its_null_twin(speckle_server: Any,
                                                                   make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    client.send([{"type": "Point", "value": [1.0, None, 2.0]}])
    with pytest.raises(SpeckleInputError, match="JSON"):
        client.send([{"type": "Point", "value": [1.0, math.nan, 2.0]}])


def test_models_and_objects_with_a_hash_are_reused_too(speckle_server: Any, make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    models = [Point(value=[i, 0, 0]) for i in range(5)]
    first = client.send(models)
    assert first.uploaded == 5
    again = client.send([{**m.to_payload(), "hash": "stale"} for m in models])
    assert again.uploaded == 0 and again.object_ids == first.object_ids


def test_when_the_stream_cannot_be_checked_it_is_written(speckle_server: Any, make_client: MakeClient,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(speckle_server)
    objects = geometry(5, seed=9)
    first = client.send(objects, name="A")
    real = client.transport.request
    writes: list[str] = []

    def flaky(method: str, path: str, **kwargs: Any) -> Any:
        if method == "GET" and kwargs.get("params") == [("fields", "updatedAt")]:
            raise SpeckleResponseError("garbage", status_code=200)
        if method == "PUT":
            writes.append(path)
        return real(method, path, **kwargs)

    monkeypatch.setattr(client.transport, "request", flaky)
    again = client.send(objects, stream_id=first.stream_id, name="A")
    assert not again.stream_unchanged and writes == [f"/streams/{first.stream_id}"]


def test_a_new_client_on_the_same_record_reuses_everything(speckle_server: Any, make_client: MakeClient,
                                                           tmp_path: Any) -> None:
    path = str(tmp_path / "sent.sqlite3")
    client = make_client(speckle_server, sent_cache=path)
    objects = [*geometry(120, seed=11), {"type": "Placeholder", "_id": "5f0000000000000000000001"}]
    first = client.send(objects, name="model")
    client.close()
    other = SpeckleApiClient(speckle_server.host, use_ssl=False, sent_cache=path)
    other.login_with_token(client.token)
    again = other.send(objects, stream_id=first.stream_id)
    assert again.uploaded == 0 and again.reused == 120 and again.stream_unchanged
    assert again.object_ids == first.object_ids
    # one object inserted in front: no run matches any more, each object is still found by itself
    shifted = other.send([{"type": "Point", "value": [0.25, 0.5, 0.75]}, *objects])
    assert shifted.uploaded == 1 and shifted.reused == 120 and shifted.object_ids[1:] == first.object_ids
    other.close()
