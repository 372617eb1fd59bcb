"""Batching on the wire (requests-mock): limits, order, 413 split-and-retry, gzip."""

from __future__ import annotations

import gzip
import json
import threading
from typing import Any

import pytest
import requests_mock

from speckle import SpeckleApiClient
from speckle.errors import BadRequestError, PayloadTooLargeError
from speckle.transfer import plan_batches

HOST = "http://speckle.test"
API = f"{HOST}/api/v1"


def _body(request: Any) -> list[Any]:
    raw = request.body
    if request.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw)


class FakeObjects:
    """``POST /objects`` answering placeholders whose id is the object's ``n``; 413 above a size."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self.bodies: list[int] = []
        self.sizes: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, request: Any, context: Any) -> Any:
        objects = _body(request)
        size = len(json.dumps(objects, separators=(",", ":")))
        with self.lock:
            self.sizes.append(size)
        if self.limit is not None and size > self.limit:
            context.status_code = 413
            context.headers["Content-Type"] = "text/html"
            return "<pre>PayloadTooLargeError: request entity too large</pre>"
        with self.lock:
            self.bodies.append(len(objects))
        context.headers["Content-Type"] = "application/json"
        return json.dumps({"success": True, "resources": [{"type": "Placeholder", "_id": f"id{o['n']}"}
                                                          for o in objects]})


def client(**options: Any) -> SpeckleApiClient:
    return SpeckleApiClient(HOST, sent_cache=False, **options)


def test_plan_batches_respects_bytes_and_count() -> None:
    sizes = [10, 10, 10, 50, 10, 200, 10]
    batches = plan_batches(sizes, max_bytes=40, max_count=2)
    assert [i for a, b in batches for i in range(a, b)] == list(range(len(sizes)))
    for a, b in batches:
        assert b - a <= 2
        assert b - a == 1 or 2 + sum(sizes[a:b]) + (b - a - 1) <= 40
    assert plan_batches([], 10, 10) == []


@pytest.mark.parametrize("workers", [1, 4])
def test_create_splits_a_long_list_and_keeps_the_order(workers: int) -> None:
    fake = FakeObjects()
    objects = [{"type": "Point", "n": i, "value": [i] * (i % 7)} for i in range(1000)]
    with requests_mock.Mocker() as m:
        m.post(f"{API}/objects", text=fake)
        placeholders = client(max_workers=workers, batch_count=64, batch_bytes=2000).objects.create(objects)
    assert [p.id for p in placeholders] == [f"id{i}" for i in range(1000)]
    assert sum(fake.bodies) == 1000 and max(fake.bodies) <= 64
    assert max(fake.sizes) <= 2000
    assert all("hash" not in o for o in objects)  # create sends the objects as given


def test_a_batch_refused_with_413_is_split_and_retried() -> None:
    fake = FakeObjects(limit=3000)
    objects = [{"type": "Point", "n": i, "value": [i, i, i]} for i in range(500)]
    seen: list[tuple[int, int]] = []
    with requests_mock.Mocker() as m:
        m.post(f"{API}/objects", text=fake)
        result = client(max_workers=3, batch_bytes=20000).objects.create(
            objects, raw=True, progress=lambda done, total: seen.append((done, total))
        )
    assert [p["_id"] for p in result] == [f"id{i}" for i in range(500)]
    assert sum(fake.bodies) == 500  # every object saved exactly once
    assert max(fake.sizes) > 3000  # the first batches were refused...
    assert seen[0] == (0, 500) and seen[-1] == (500, 500)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_an_object_too_large_alone_raises_payload_too_large() -> None:
    fake = FakeObjects(limit=100)
    objects = [{"type": "Point", "n": 0}, {"type": "Mesh", "n": 1, "vertices": [1.5] * 100}]
    with requests_mock.Mocker() as m:
        m.post(f"{API}/objects", text=fake)
        with pytest.raises(PayloadTooLargeError, match="object 1 alone"):
            client().objects.create(objects)


def test_a_failed_batch_raises_its_typed_error() -> None:
    objects = [{"type": "Point", "n": i} for i in range(100)]
    with requests_mock.Mocker() as m:
        m.post(f"{API}/objects", status_code=400, json={"success": False, "message": "ValidationError: nope"})
        with pytest.raises(BadRequestError, match="nope"):
            client(max_workers=4, batch_count=10).objects.create(objects)


def test_large_bodies_are_gzipped_small_ones_are_not() -> None:
    fake = FakeObjects()
    big = [{"type": "Mesh", "n": i, "vertices": [0.5] * 2000} for i in range(20)]
    with requests_mock.Mocker() as m:
        m.post(f"{API}/objects", text=fake)
        client(gzip_threshold=64 * 1024, max_workers=1).objects.create(big)
        client(gzip_threshold=64 * 1024).objects.create([{"type": "Point", "n": 1}])
        client(gzip_threshold=None).objects.create(big)
        encodings = [r.headers.get("Content-Encoding") for r in m.request_history]
    assert encodings == ["gzip", None, None]
    zipped = m.request_history[0]
    assert len(zipped.body) < len(gzip.decompress(zipped.body)) / 5
    assert _body(zipped) == big


def test_get_bulk_fetches_chunks_in_parallel_in_request_order() -> None:
    def answer(request: Any, context: Any) -> Any:
        return {"success": True, "resources": [{"_id": i, "type": "Point", "value": [int(i[2:])]}
                                               for i in json.loads(request.body)]}

    ids = [f"id{i}" for i in range(950)] + ["id3"]
    with requests_mock.Mocker() as m:
        m.post(f"{API}/objects/getbulk", json=answer)
        objects = client(fetch_count=100, max_workers=4).objects.get_bulk(ids)
        raw = client(fetch_count=1000).objects.get_bulk(ids[:5], raw=True)
        assert m.call_count == 11
    assert [o.id for o in objects] == ids
    assert type(objects[0]).__name__ == "Point"
    assert raw[0] == {"_id": "id0", "type": "Point", "value": [0]}


def test_send_splits_bodies_built_in_advance_on_413_and_keeps_order_and_hashes() -> None:
    import hashlib

    from speckle.transfer import object_hash
    from speckle.transfer.api import send_objects

    fake = FakeObjects(limit=3000)
    sent: list[Any] = []
    objects = [{"type": "Point", "n": i, "value": [i, i * 0.5, None]} for i in range(500)]

    def answer(request: Any, context: Any) -> Any:
        with fake.lock:
            sent.extend(_body(request))
        return fake(request, context)

    with requests_mock.Mocker() as m:
        m.post(f"{API}/objects", text=answer)
        result = send_objects(client(max_workers=3, batch_bytes=20000), objects)
    assert result.object_ids == [f"id{i}" for i in range(500)]
    assert sum(fake.bodies) == 500 and max(fake.sizes) > 3000  # refused, split, each object saved once
    saved = {o["n"]: o for o in sent}  # what was saved, once split small enough
    for obj in objects:
        wire = saved[obj["n"]]
        assert wire == {**obj, "hash": object_hash(obj)} and list(wire)[-1] == "hash"
        canonical = json.dumps(obj, separators=(",", ":")).encode()
        assert wire["hash"] == hashlib.md5(canonical).hexdigest()


def test_received_objects_share_repeated_strings_and_nothing_else_changes() -> None:
    from speckle.transfer.batching import share_repeated_strings

    def answer() -> list[Any]:
        return json.loads(json.dumps([
            {"_id": "a1", "owner": "u1", "createdAt": "t1", "updatedAt": "t1", "type": "Point", "hash": "h"},
            {"_id": "a2", "owner": "u1", "createdAt": "t2", "updatedAt": "t1", "type": "Line", "value": None},
            {"_id": "a3", "owner": "u2", "createdAt": "t1", "type": 5},
            "not an object",
            {"_id": "other", "owner": "u1", "createdAt": "t1", "updatedAt": None, "type": "Point"},
        ]))

    items, pool, ids = answer(), {}, ["a1", "a2", "a3", "x", "a5"]
    ids = [json.loads(json.dumps(i)) for i in ids]  # strings of their own
    share_repeated_strings(items, pool, ids)
    assert items == answer()  # equal values, same keys, same order
    assert [list(i) for i in items if isinstance(i, dict)] == [list(i) for i in answer() if isinstance(i, dict)]
    assert items[0]["owner"] is items[1]["owner"] is items[4]["owner"]
    assert items[0]["createdAt"] is items[2]["createdAt"] is items[4]["createdAt"] is items[0]["updatedAt"]
    assert items[0]["type"] is items[4]["type"] and items[2]["owner"] == "u2"
    assert all(items[k]["_id"] is ids[k] for k in range(3)) and items[4]["_id"] == "other"


@pytest.mark.parametrize("workers", [1, 4])
def test_create_sends_objects_as_given_across_windows_and_answers_models_like_validation(workers: int) -> None:
    from speckle.models.objects import Placeholder, Point

    sent: list[Any] = []
    lock = threading.Lock()

    def answer(request: Any, context: Any) -> Any:
        objects = _body(request)
        with lock:
            sent.extend(objects)
        context.headers["Content-Type"] = "application/json"
        return json.dumps({"success": True, "resources": [{"type": "Placeholder", "_id": f"id{o['n']}"}
                                                          for o in objects]})

    objects: list[Any] = [{"type": "Point", "n": i, "value": [i, None, 0.5]} for i in range(12001)]
    objects[7] = Point(value=[1, 2, 3], n=7)  # a model is sent as its payload
    with requests_mock.Mocker() as m:
        m.post(f"{API}/objects", text=answer)
        placeholders = client(max_workers=workers, batch_count=700).objects.create(objects)
        raw = client(max_workers=workers, batch_count=700).objects.create(objects[:3000], raw=True)
    assert [p.id for p in placeholders] == [f"id{i}" for i in range(12001)]
    assert all(type(p) is Placeholder for p in placeholders)
    for k in (0, 1, 5000, 12000):
        expected = Placeholder.model_validate({"type": "Placeholder", "_id": f"id{k}"})
        got = placeholders[k]
        assert got == expected and got.to_payload() == expected.to_payload() == {"type": "Placeholder", "_id": f"id{k}"}
        assert got.model_fields_set == expected.model_fields_set and got.model_dump() == expected.model_dump()
    placeholders[0].name = "changed"  # each model is its own
    assert placeholders[1].name is None and "name" not in placeholders[1].to_payload()
    by_n = {o["n"]: o for o in sent[:12001]}
    assert len(by_n) == 12001 and by_n[5] == objects[5] and by_n[7] == {"type": "Point", "value": [1, 2, 3], "n": 7}
    assert raw == [{"type": "Placeholder", "_id": f"id{i}"} for i in range(3000)]


def test_placeholder_ids_checks_every_entry_on_the_fast_path_too() -> None:
    from speckle.base.resource import placeholder_ids
    from speckle.errors import SpeckleResponseError

    good = [{"type": "Placeholder", "_id": f"{i:024x}"} for i in range(1000)]
    assert placeholder_ids(good, expected=1000) == [f"{i:024x}" for i in range(1000)]
    assert placeholder_ids([{"_id": "é-non-ascii"}]) == ["é-non-ascii"]
    assert placeholder_ids([]) == []
    for bad in ([*good, {"_id": ""}], [*good, {"_id": 5}], [*good, {"type": "Placeholder"}], [*good, "id"],
                [*good, {"_id": "\udc80"}], {"_id": "x"}):
        with pytest.raises(SpeckleResponseError):
            placeholder_ids(bad)
    with pytest.raises(SpeckleResponseError, match="999 objects"):
        placeholder_ids(good, expected=999)


def test_an_answer_of_one_owner_and_save_time_shares_them_in_one_pass() -> None:
    from speckle.transfer.batching import share_repeated_strings

    def answer() -> list[Any]:
        return json.loads(json.dumps([{"_id": f"a{i}", "owner": "u1", "type": "Point" if i % 2 else "Line",
                                       "createdAt": "t1", "value": [i], "updatedAt": "t1"} for i in range(50)]))

    items, pool = answer(), {}
    share_repeated_strings(items, pool)
    assert items == answer() and all(list(a) == list(b) for a, b in zip(items, answer(), strict=True))
    assert len({id(i["owner"]) for i in items}) == 1 and len({id(i["createdAt"]) for i in items}) == 1
    assert items[0]["createdAt"] is items[0]["updatedAt"] and items[1]["type"] is items[3]["type"]
    assert pool == {"u1": "u1", "t1": "t1", "Point": "Point", "Line": "Line"}
