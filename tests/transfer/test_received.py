"""The record of received objects: only new, changed or deleted objects are asked for again."""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from speckle import SpeckleApiClient
from speckle.errors import SpeckleInputError
from speckle.models.objects import DeniedObject
from speckle.transfer import ReceivedObjectCache

from .conftest import geometry

MakeClient = Callable[..., SpeckleApiClient]


def settle() -> None:
    """Let the second of the last write pass: objects written in the second of a download are
    asked for again next time (their ``updatedAt`` could repeat)."""
    time.sleep(1.05)


def fresh(count: int) -> list[dict[str, Any]]:
    """Objects no other test sent (objects with equal hashes are shared across users)."""
    return geometry(count, seed=random.randrange(10_000, 10**9))


def sent_stream(client: SpeckleApiClient, count: int) -> tuple[str, list[str]]:
    sent = client.send(fresh(count), name="record")
    settle()
    return str(sent.stream_id), sent.object_ids


def test_an_unchanged_stream_is_not_downloaded_again(speckle_server: Any, make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    stream_id, ids = sent_stream(client, 400)
    first = client.receive(stream_id, raw=True)
    assert sorted(first.fetched) == sorted(ids) and first.reused == 0
    again = client.receive(stream_id, raw=True)
    assert again.fetched == [] and again.reused == 400
    assert again.objects == first.objects and [o["_id"] for o in again.objects] == ids
    assert again.objects[0] is not first.objects[0]  # fresh objects, not the caller's
    models = client.receive(stream_id)
    assert models.fetched == [] and [type(o).__name__ for o in models.objects[:4]] == [
        "Point", "Line", "Mesh", "Polyline"]
    assert models.objects[2].vertices == first.objects[2]["vertices"]


def test_a_new_client_reads_the_record_from_its_file(speckle_server: Any, make_client: MakeClient,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "received.sqlite3"
    client = make_client(speckle_server, received_cache=str(path))
    stream_id, _ = sent_stream(client, 100)
    first = client.receive(stream_id, raw=True)
    other = SpeckleApiClient(speckle_server.host, use_ssl=False, received_cache=str(path))
    other.login_with_token(client.token)
    again = other.receive(stream_id, raw=True)
    assert again.fetched == [] and again.objects == first.objects
    stranger = make_client(speckle_server, received_cache=str(path))  # another user: another scope
    assert len(stranger.receive(stream_id, raw=True).fetched) == 100


def test_objects_changed_in_place_are_fetched_again_and_only_they(speckle_server: Any,
                                                                  make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    stream_id, ids = sent_stream(client, 300)
    client.receive(stream_id, raw=True)
    client.transport.request("PUT", f"/objects/{ids[10]}", json_body={"name": "renamed"})
    client.transport.request("PUT", f"/objects/{ids[2]}/properties", json_body={"extra": 1})  # a Mesh
    settle()
    result = client.receive(stream_id, raw=True)
    assert sorted(result.fetched) == sorted([ids[10], ids[2]])
    assert result.objects[10]["name"] == "renamed"
    assert result.objects[2]["properties"]["extra"] == 1
    assert client.receive(stream_id, raw=True).fetched == []


def test_a_deleted_object_is_reported_and_never_served_from_the_record(speckle_server: Any,
                                                                       make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    stream_id, ids = sent_stream(client, 50)
    client.receive(stream_id, raw=True)
    client.transport.request("DELETE", f"/objects/{ids[7]}")
    result = client.receive(stream_id, raw=True)
    assert result.missing == [7] and result.fetched == [ids[7]]
    assert result.objects[7]["type"] == "String" and "owner" not in result.objects[7]
    models = client.receive(stream_id)
    assert models.missing == [7] and isinstance(models.objects[7], DeniedObject)
    again = client.receive(stream_id, raw=True)  # known as gone: asked for again, never served
    assert again.missing == [7] and again.fetched == [ids[7]] and again.reused == 49


def test_objects_written_just_before_a_download_are_checked_again(speckle_server: Any,
                                                                  make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    sent = client.send(fresh(20), name="fresh")
    first = client.receive(str(sent.stream_id), raw=True)  # objects written this very second: not trusted yet
    trusted = set(first.versions)  # (how many depends on when the second turned)
    settle()
    again = client.receive(str(sent.stream_id), raw=True)
    assert set(again.fetched) == set(sent.object_ids) - trusted
    assert client.receive(str(sent.stream_id), raw=True).fetched == []


def test_settled_versions() -> None:
    from speckle.transfer.freshness import settled as _settled

    now = "2026-12-03T12:17:03.000Z"
    assert _settled("2026-12-03T12:17:02.999Z", now)
    assert not _settled("2026-12-03T12:17:03.000Z", now) and not _settled("2026-12-03T12:17:03.500Z", now)
    assert not _settled("2026-12-03T12:17:02Z", now) and not _settled(None, now) and not _settled(17, now)


def test_use_cache_false_and_previous(speckle_server: Any, make_client: MakeClient) -> None:
    client = make_client(speckle_server, received_cache=False)
    stream_id, ids = sent_stream(client, 60)
    first = client.receive(stream_id, raw=True)
    assert len(client.receive(stream_id, raw=True).fetched) == 60  # no record: all again
    client.transport.request("PUT", f"/objects/{ids[1]}", json_body={"name": "x"})
    settle()
    again = client.receive(stream_id, raw=True, previous=first)
    assert again.fetched == [ids[1]] and again.objects[0] is first.objects[0]
    assert again.objects[1]["name"] == "x" and first.objects[1].get("name") is None

    recorded = make_client(speckle_server)
    stream2, _ = sent_stream(recorded, 30)
    recorded.receive(stream2, raw=True)
    assert len(recorded.receive(stream2, raw=True, use_cache=False).fetched) == 30


def test_streams_listing_duplicates_and_new_objects(speckle_server: Any, make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    stream_id, ids = sent_stream(client, 10)
    client.receive(stream_id, raw=True)
    extra = client.send(fresh(3)).object_ids
    client.streams.update(stream_id, {"objects": [{"type": "Placeholder", "_id": i} for i in [*ids, ids[0], *extra]]})
    result = client.receive(stream_id, raw=True)
    assert sorted(result.fetched) == sorted(extra)
    assert result.objects[10] is result.objects[0] and len(result.objects) == 14


def _run(cache: ReceivedObjectCache, scope: str, ids: list[str], content: bytes, **kwargs: Any) -> int:
    import ormsgpack

    return cache.store_run(scope, ormsgpack.packb(ids), ormsgpack.packb(["t1"] * len(ids)), content, len(ids),
                           **kwargs)


def test_runs_are_read_a_few_at_a_time_in_the_order_asked(tmp_path: Path) -> None:
    cache = ReceivedObjectCache(tmp_path / "r.sqlite3")
    keys = [_run(cache, "s", [f"id{n}"], f"content {n}".encode()) for n in range(7)]
    other = _run(cache, "elsewhere", ["x"], b"other scope")
    cache.flush()
    reads: list[int] = []
    load = cache.load_runs

    def counted(scope: str, run_ids: Any) -> Any:
        reads.append(len(run_ids))
        return load(scope, run_ids)

    cache.load_runs = counted  # type: ignore[method-assign]
    wanted = [keys[5], keys[1], 10**9, keys[3], other, keys[1], keys[6], keys[0]]
    got = list(cache.iter_runs("s", wanted, per_read=3))
    assert [key for key, _ in got] == [keys[5], keys[1], keys[3], keys[6], keys[0]]  # unknown, other scope, repeat: out
    assert [row[2] for _, row in got] == [b"content 5", b"content 1", b"content 3", b"content 6", b"content 0"]
    assert reads == [3, 3, 1]  # 7 distinct keys asked, 3 at a time
    cache.close()


def test_a_stream_state_is_touched_only_while_the_record_holds_it(tmp_path: Path) -> None:
    cache = ReceivedObjectCache(tmp_path / "r.sqlite3")
    stamp = cache.store_stream("s", "abc", "2020-01-01T00:00:00.000Z", b"state")
    assert cache.touch_stream("s", "abc", stamp) == stamp  # used just now: nothing written
    assert cache.stream("s", "abc", unless=stamp) == ("2020-01-01T00:00:00.000Z", None, stamp)
    two_days = 2 * 24 * 3600 * 10**9
    cache._db.execute("UPDATE streams SET used = ?", (stamp - two_days,))
    touched = cache.touch_stream("s", "abc", stamp - two_days)
    assert touched is not None and touched > stamp
    assert cache.stream("s", "abc", unless=touched) == ("2020-01-01T00:00:00.000Z", None, touched)
    newer = cache.store_stream("s", "abc", "2020-01-02T00:00:00.000Z", b"another state")  # another writer
    assert cache.touch_stream("s", "abc", touched - two_days) is None  # not the state it knew
    assert cache.stream("s", "abc", unless=touched) == ("2020-01-02T00:00:00.000Z", b"another state", newer)
    cache.close()


def test_record_bounds_and_scopes(tmp_path: Path) -> None:
    cache = ReceivedObjectCache(tmp_path / "r.sqlite3", max_bytes=1000, max_entries=5)
    scope = ReceivedObjectCache.scope("http://a.test/", "u1")
    first = _run(cache, scope, ["id0", "id1", "id2"], b"x" * 300)
    second = _run(cache, scope, ["id3", "id4"], b"w" * 150)
    assert len(cache) == 5 and cache.size == 450
    assert set(cache.load_runs(scope, [first, second, 12345])) == {first, second}
    assert cache.load_runs(ReceivedObjectCache.scope("http://a.test", "u2"), [first]) == {}  # another scope
    third = _run(cache, scope, ["id9"], b"y" * 100)  # one over max_entries: the least recently used go
    assert len(cache) <= 5 and set(cache.load_runs(scope, [first, second, third])) == {second, third}
    big = _run(cache, scope, ["big"], b"z" * 900)  # over max_bytes
    assert cache.size <= 1000 and list(cache.load_runs(scope, [big])) == [big]
    cache.forget(scope, [big])
    assert cache.load_runs(scope, [big]) == {}
    cache.forget(scope)
    assert len(cache) == 0
    with pytest.raises(SpeckleInputError):
        ReceivedObjectCache(":memory:", max_bytes=0)


def _writer(path: str, worker: int, rounds: int) -> int:
    cache = ReceivedObjectCache(path, timeout=30.0)
    scope = ReceivedObjectCache.scope("http://shared.test", "u")
    for round_ in range(rounds):
        run = _run(cache, scope, [f"w{worker}-{round_}-{i}" for i in range(50)], b"d" * 2000,
                   wait=bool(round_ % 2))
        assert list(cache.load_runs(scope, [run])) == [run]
    cache.close()
    return worker


def test_many_processes_share_the_record(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite3")
    ReceivedObjectCache(path).close()
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        done = pool.starmap(_writer, [(path, worker, 20) for worker in range(4)])
    assert sorted(done) == [0, 1, 2, 3]
    cache = ReceivedObjectCache(path)
    assert len(cache) == 4 * 20 * 50


def test_the_stream_itself_is_read_again_only_when_written(speckle_server: Any, make_client: MakeClient) -> None:
    client = make_client(speckle_server)
    stream_id, ids = sent_stream(client, 20)
    first = client.receive(stream_id, raw=True)
    again = client.receive(stream_id, raw=True)
    assert again.stream.name == "record" and again.ids == ids and again.stream.updatedAt == first.stream.updatedAt
    client.streams.update(stream_id, {"name": "renamed", "objects": [{"type": "Placeholder", "_id": i}
                                                                     for i in ids[:10]]})
    renamed = client.receive(stream_id, raw=True)
    assert renamed.stream.name == "renamed" and renamed.ids == ids[:10] and renamed.fetched == []


def _requests_of(client: SpeckleApiClient) -> list[str]:
    """The paths and queries of the requests ``client`` sends from now on."""
    from urllib.parse import unquote, urlsplit

    seen: list[str] = []

    def hook(response: Any, *args: Any, **kwargs: Any) -> None:
        parts = urlsplit(response.request.url)
        seen.append(response.request.method + " " + parts.path.removeprefix("/api/v1")
                    + ("?" + unquote(parts.query) if parts.query else ""))

    client.session.hooks["response"].append(hook)
    return seen


def test_checks_are_a_few_small_requests_however_large_the_stream(speckle_server: Any,
                                                                   make_client: MakeClient) -> None:
    """A v1 server builds the full listing of a stream's objects in quadratic time: receiving
    again asks for what changed since the last check, and for a count, never for the listing."""
    client = make_client(speckle_server)
    stream_id, ids = sent_stream(client, 120)
    seen = _requests_of(client)
    client.receive(stream_id, raw=True)
    assert not [r for r in seen if "/objects?" in r]  # a first receive checks nothing
    seen.clear()
    again = client.receive(stream_id, raw=True)
    assert again.fetched == [] and again.reused == 120
    assert seen[0] == f"GET /streams/{stream_id}?fields=updatedAt"
    assert seen[1].startswith(f"GET /streams/{stream_id}/objects?fields=updatedAt&updatedAt>=20")
    assert seen[2] == (f"GET /streams/{stream_id}/objects?fields=updatedAt&updatedAt>=1970-01-01T00:00:00.000Z"
                       "&limit=2&offset=119")
    assert len(seen) == 3
    seen.clear()
    client.transport.request("DELETE", f"/objects/{ids[5]}")
    seen.clear()
    gone = client.receive(stream_id, raw=True)  # the count is off: then, and only then, the listing
    assert gone.missing == [5] and gone.fetched == [ids[5]]
    assert f"GET /streams/{stream_id}/objects?fields=updatedAt" in seen


def test_the_stream_state_is_read_and_written_only_when_it_changed(speckle_server: Any, make_client: MakeClient,
                                                                   tmp_path: Path) -> None:
    """With ``previous``, the record's state of the stream is not decoded again while it is the one
    ``previous`` wrote, and not written again when nothing but the time of the check changed; a
    state another client wrote meanwhile is read, and a client reading the older record still
    finds every change since."""
    path = str(tmp_path / "received.sqlite3")
    client = make_client(speckle_server, received_cache=path)
    stream_id, ids = sent_stream(client, 60)
    cache = client.received_cache
    assert cache is not None
    reads: list[bool] = []
    writes: list[int] = []
    read, write = cache.stream, cache.store_stream

    def spy_read(*args: Any, **kwargs: Any) -> Any:
        row = read(*args, **kwargs)
        reads.append(row is not None and row[1] is not None)
        return row

    def spy_write(*args: Any, **kwargs: Any) -> int:
        writes.append(1)
        return write(*args, **kwargs)

    cache.stream, cache.store_stream = spy_read, spy_write  # type: ignore[method-assign]
    first = client.receive(stream_id, raw=True)
    assert writes == [1]
    again = client.receive(stream_id, raw=True, previous=first)
    assert again.fetched == [] and reads[-1] is False and writes == [1]  # neither decoded nor written
    other = SpeckleApiClient(speckle_server.host, use_ssl=False, received_cache=path)
    other.login_with_token(client.token)
    client.transport.request("PUT", f"/objects/{ids[7]}", json_body={"name": "seen by the other"})
    settle()
    assert other.receive(stream_id, raw=True).fetched == [ids[7]]  # from the state written first
    after = client.receive(stream_id, raw=True, previous=again)
    assert reads[-1] is True  # the other client's state, read
    assert after.fetched == [ids[7]] and after.objects[7]["name"] == "seen by the other"
    assert writes == [1, 1]
    unchanged = client.receive(stream_id, raw=True, previous=after)
    assert unchanged.fetched == [] and reads[-1] is False and writes == [1, 1]
    client.transport.request("PUT", f"/objects/{ids[8]}", json_body={"name": "later"})
    settle()
    newcomer = SpeckleApiClient(speckle_server.host, use_ssl=False, received_cache=path)
    newcomer.login_with_token(client.token)
    seen = newcomer.receive(stream_id, raw=True)  # the record's check is older than the last one
    assert seen.fetched == [ids[8]] and seen.objects[8]["name"] == "later"
    latest = client.receive(stream_id, raw=True, previous=unchanged)
    assert latest.fetched == [ids[8]] and writes == [1, 1, 1]


def test_previous_with_the_same_ids_is_reused_in_place(speckle_server: Any, make_client: MakeClient) -> None:
    client = make_client(speckle_server, received_cache=False)
    stream_id, ids = sent_stream(client, 40)
    first = client.receive(stream_id, raw=True)
    same = client.receive(stream_id, raw=True, previous=first)
    assert same.fetched == [] and all(a is b for a, b in zip(same.objects, first.objects, strict=True))
    assert same.objects is not first.objects and same.versions == first.versions
    client.transport.request("PUT", f"/objects/{ids[3]}", json_body={"name": "moved"})
    client.transport.request("DELETE", f"/objects/{ids[4]}")
    settle()
    after = client.receive(stream_id, raw=True, previous=same)
    assert sorted(after.fetched) == sorted([ids[3], ids[4]]) and after.missing == [4]
    assert after.objects[3]["name"] == "moved" and after.objects[3] is not same.objects[3]
    assert after.objects[0] is first.objects[0] and same.objects[3].get("name") is None
    assert ids[3] in after.versions and ids[4] not in after.versions


def test_the_newest_version_held_wins(tmp_path: Path) -> None:
    """Another process may record what it downloaded after a newer version was recorded."""
    import ormsgpack

    from speckle.transfer.api import _from_runs

    cache = ReceivedObjectCache(tmp_path / "r.sqlite3")
    scope = ReceivedObjectCache.scope("http://x", "u")
    a, b = "a" * 24, "b" * 24

    def run(versions: list[str], names: list[str]) -> int:
        return cache.store_run(scope, ormsgpack.packb([a, b]), ormsgpack.packb(versions),
                               ormsgpack.packb([{"_id": a, "n": names[0]}, {"_id": b, "n": names[1]}]), 2)

    new = run(["2026-12-03T10:00:02.000Z", "2026-12-03T10:00:01.000Z"], ["new", "old"])
    late = run(["2026-12-03T10:00:01.000Z", "2026-12-03T10:00:02.000Z"], ["old", "new"])
    held, versions, kept, compact = _from_runs(cache, scope, [new, late, 99], {a, b}, {})
    assert held == {a: {"_id": a, "n": "new"}, b: {"_id": b, "n": "new"}}
    assert versions == {a: "2026-12-03T10:00:02.000Z", b: "2026-12-03T10:00:02.000Z"}
    assert kept == [new, late] and not compact
    held, _, kept, _ = _from_runs(cache, scope, [new, late], {a, b}, {a: "2026-12-03T10:00:09.000Z"})
    assert list(held) == [b] and kept == [late]  # changed since: not served


def test_received_objects_are_not_walked_by_young_collections(speckle_server: Any, make_client: MakeClient) -> None:
    """The collector is paused while objects are built; afterwards they are moved to the oldest
    generation at once, so the next young collections do not walk the whole model again."""
    import gc

    client = make_client(speckle_server, received_cache=False)
    stream_id, _ = sent_stream(client, 30)
    result = client.receive(stream_id, raw=True)
    young = {id(o) for o in gc.get_objects(generation=0)} | {id(o) for o in gc.get_objects(generation=1)}
    assert gc.isenabled() and not any(id(o) in young for o in result.objects)
    gc.freeze()  # objects the application froze stay frozen, and none is added
    try:
        frozen = gc.get_freeze_count()
        client.receive(stream_id, raw=True)
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_runs_of_mostly_changed_objects_are_written_again(speckle_server: Any, make_client: MakeClient,
                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from speckle.transfer import api

    monkeypatch.setattr(api, "_COMPACT_SLACK", 0)
    path = str(tmp_path / "r.sqlite3")
    client = make_client(speckle_server, received_cache=path)
    stream_id, ids = sent_stream(client, 40)
    client.receive(stream_id, raw=True)
    cache = client.received_cache
    assert cache is not None and len(cache) == 40
    for _id in ids[:30]:
        client.transport.request("PUT", f"/objects/{_id}", json_body={"name": "edited"})
    settle()
    edited = client.receive(stream_id, raw=True)
    assert sorted(edited.fetched) == sorted(ids[:30])
    assert len(cache) == 40  # the 10 live objects of the old run written again, the old run dropped
    other = SpeckleApiClient(speckle_server.host, use_ssl=False, received_cache=path)
    other.login_with_token(client.token)
    again = other.receive(stream_id, raw=True)
    assert again.fetched == [] and again.objects == edited.objects


def test_a_broken_record_is_no_error(speckle_server: Any, make_client: MakeClient, tmp_path: Path,
                                     caplog: pytest.LogCaptureFixture) -> None:
    """The record is a cache: when it cannot be read or written, receive downloads everything."""
    import sqlite3

    path = tmp_path / "r.sqlite3"
    client = make_client(speckle_server, received_cache=str(path))
    stream_id, ids = sent_stream(client, 20)
    first = client.receive(stream_id, raw=True)
    assert client.received_cache is not None
    client.received_cache.flush()
    with sqlite3.connect(path) as db:  # another program breaks the file's tables
        db.execute("DROP TABLE streams")
        db.execute("DROP TABLE runs")
    with caplog.at_level("WARNING", logger="speckle.transfer"):
        again = client.receive(stream_id, raw=True)
    assert sorted(again.fetched) == sorted(ids) and again.objects == first.objects
    assert "cannot be read" in caplog.text


def test_private_objects_of_others_cost_the_listing_once(speckle_server: Any, make_client: MakeClient) -> None:
    """Another user's private object in the stream exists but comes back as a stand-in: the
    count is off once, the full listing tells it exists, and later checks count it in."""
    make_client(speckle_server)  # (the first user of a fresh server is its admin, who reads everything)
    client, other = make_client(speckle_server), make_client(speckle_server)
    stream_id, ids = sent_stream(client, 10)
    (secret,) = [p["_id"] for p in other.transport.request("POST", "/objects", json_body=[
        {"type": "Secret", "private": True, "value": random.random()}])["resources"]]
    client.streams.update(stream_id, {"objects": [{"type": "Placeholder", "_id": i} for i in [*ids, secret]]})
    settle()
    seen = _requests_of(client)
    first = client.receive(stream_id, raw=True)
    assert first.missing == [10]
    for round_ in range(3):
        seen.clear()
        again = client.receive(stream_id, raw=True)
        assert again.missing == [10] and again.fetched == [secret] and again.reused == 10
        listed = f"GET /streams/{stream_id}/objects?fields=updatedAt" in seen
        assert listed == (round_ == 0)  # the listing once, to learn that the stand-in exists
