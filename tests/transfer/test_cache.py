"""The sent-object record: hits, misses, scopes, forgetting and its size bound."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from speckle.errors import SpeckleInputError
from speckle.transfer import SentObjectCache
from speckle.transfer import cache as cache_module


def test_hits_misses_and_scopes(tmp_path: Path) -> None:
    cache = SentObjectCache(tmp_path / "sent.sqlite3")
    scope = SentObjectCache.scope("http://a.test/", "user1")
    cache.record(scope, [("h1", "id1"), ("h2", "id2")])
    assert cache.lookup(scope, ["h1", "h2", "h3"]) == {"h1": "id1", "h2": "id2"}
    assert cache.lookup(SentObjectCache.scope("http://a.test", "user2"), ["h1"]) == {}
    assert cache.lookup(SentObjectCache.scope("http://b.test", "user1"), ["h1"]) == {}
    cache.forget_ids(scope, ["id1"])
    assert cache.lookup(scope, ["h1", "h2"]) == {"h2": "id2"}
    cache.close()
    reopened = SentObjectCache(tmp_path / "sent.sqlite3")
    assert reopened.lookup(scope, ["h2"]) == {"h2": "id2"}
    reopened.forget(scope)
    assert len(reopened) == 0


def test_many_hashes_in_one_lookup(tmp_path: Path) -> None:
    cache = SentObjectCache(":memory:")
    pairs = [(f"h{i}", f"id{i}") for i in range(2500)]
    cache.record("s", pairs)
    found = cache.lookup("s", [f"h{i}" for i in range(0, 3000, 3)])
    assert found == {f"h{i}": f"id{i}" for i in range(0, 2500, 3)}


def test_size_is_bounded_and_least_recently_used_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(cache_module.time, "time", lambda: clock[0])
    cache = SentObjectCache(":memory:", max_entries=4)
    cache.record("s", [("old1", "a"), ("old2", "b")])
    clock[0] += 10 * 24 * 3600
    assert cache.lookup("s", ["old1"]) == {"old1": "a"}  # used again: refreshed
    clock[0] += 10
    cache.record("s", [("n1", "c"), ("n2", "d"), ("n3", "e")])
    assert len(cache) == 4
    assert cache.lookup("s", ["old1", "old2", "n1", "n2", "n3"]) == {"old1": "a", "n1": "c", "n2": "d", "n3": "e"}
    with pytest.raises(SpeckleInputError):
        SentObjectCache(":memory:", max_entries=0)


def test_default_file_is_in_the_config_folder(config_dir: Path) -> None:
    cache = SentObjectCache()
    assert Path(cache.path).parent == config_dir
    assert (Path(cache.path).stat().st_mode & 0o777) == 0o600


def test_find_gives_one_answer_per_key_in_order_from_memory_and_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sent.sqlite3"
    SentObjectCache(path).record("s", [("a", "id-a"), ("b", "id-b")])
    cache = SentObjectCache(path)  # a new process: nothing in memory yet
    assert cache.find("s", ["b", "x", "a", "b"]) == ["id-b", None, "id-a", "id-b"]
    cache.record("s", [("x", "id-x")])
    assert cache.find("s", ["x", "a"]) == ["id-x", "id-a"]
    assert cache.find("other", ["a"]) == [None]


def test_streams_written_are_remembered_per_scope_until_forgotten(tmp_path: Path) -> None:
    path = tmp_path / "sent.sqlite3"
    cache = SentObjectCache(path)
    cache.record_stream("s", "abc", {"objects": "k1", "name": "k2"}, "2026-01-01T00:00:00.000Z")
    assert cache.stream_state("s", "abc") == ({"objects": "k1", "name": "k2"}, "2026-01-01T00:00:00.000Z")
    assert cache.stream_state("other", "abc") is None and cache.stream_state("s", "xyz") is None
    cache.close()
    reopened = SentObjectCache(path)
    assert reopened.stream_state("s", "abc") == ({"objects": "k1", "name": "k2"}, "2026-01-01T00:00:00.000Z")
    reopened.forget_stream("s", "abc")
    assert reopened.stream_state("s", "abc") is None
    reopened.record_stream("s", "abc", {"objects": "k"}, "t")
    reopened.record("s", [("h", "id")])
    reopened.forget("s")  # a whole scope: objects and streams
    assert reopened.stream_state("s", "abc") is None and reopened.find("s", ["h"]) == [None]
    reopened.record_stream("s", "abc", {"objects": "k"}, "t")
    reopened.clear()
    assert reopened.stream_state("s", "abc") is None


def test_the_streams_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "STREAMS_KEPT", 3)
    cache = SentObjectCache(":memory:")
    for i in range(5):
        cache.record_stream("s", f"stream{i}", {"objects": "k"}, "t")
    assert [cache.stream_state("s", f"stream{i}") is not None for i in range(5)] == [False, False, True, True, True]


def test_a_record_of_an_older_layout_is_emptied_and_used(tmp_path: Path) -> None:
    path = tmp_path / "sent.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE scopes (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
        "CREATE TABLE sent (scope INTEGER NOT NULL, hash TEXT NOT NULL, object_id TEXT NOT NULL,"
        " used INTEGER NOT NULL, PRIMARY KEY (scope, hash)) WITHOUT ROWID;"
        "INSERT INTO scopes VALUES (1, 's'); INSERT INTO sent VALUES (1, 'md5', 'id', 1);"
    )
    old.commit()
    old.close()
    cache = SentObjectCache(path)
    assert len(cache) == 0  # its keys were MD5 hashes, not fingerprints: forgotten
    cache.record("s", [("k", "id")])
    cache.close()
    assert SentObjectCache(path).find("s", ["k"]) == ["id"]  # the new layout is kept on reopening


def test_deferred_entries_are_found_at_once_and_written_by_flush_or_close(tmp_path: Path) -> None:
    path = tmp_path / "sent.sqlite3"
    cache = SentObjectCache(path)
    cache.record("s", [("a", "id-a")], defer=True)
    assert cache.find("s", ["a"]) == ["id-a"]  # in memory already
    assert SentObjectCache(path).find("s", ["a"]) == [None]  # not yet in the file
    cache.flush()
    assert SentObjectCache(path).find("s", ["a"]) == ["id-a"]
    cache.record("s", [("b", "id-b")], defer=True)
    cache.close()
    assert SentObjectCache(path).find("s", ["a", "b"]) == ["id-a", "id-b"]


def test_a_large_lookup_reads_the_scope_whole_and_still_refreshes_what_it_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(cache_module.time, "time", lambda: clock[0])
    path = tmp_path / "sent.sqlite3"
    writer = SentObjectCache(path)
    writer.record("s", [(f"k{i}", f"id{i}") for i in range(100)])
    writer.record("other", [("k1", "elsewhere")])
    writer.close()
    clock[0] += 10 * 24 * 3600
    cache = SentObjectCache(path)
    statements: list[str] = []
    cache._db.set_trace_callback(statements.append)
    assert cache.find("s", [f"k{i}" for i in range(0, 30)] + ["nope"]) == [f"id{i}" for i in range(30)] + [None]
    reads = [s for s in statements if s.startswith("SELECT key, object_id FROM sent")]
    assert len(reads) == 1 and "IN (" not in reads[0]  # one pass over the scope
    assert not [s for s in statements if "IN (" in s]
    statements.clear()
    assert cache.find("s", ["k50", "nope2"]) == ["id50", None]  # from memory: the file is not asked
    assert not [s for s in statements if s.startswith("SELECT")]
    assert cache.find("other", ["k1"]) == ["elsewhere"]  # other scopes are separate
    cache.close()
    # the entries used were marked as used now; the others kept their old time
    db = sqlite3.connect(path)
    used = dict(db.execute("SELECT key, used FROM sent JOIN scopes ON scopes.id = sent.scope WHERE name = 's'"))
    assert used["k0"] == used["k50"] == int(clock[0]) and used["k99"] == 1_000_000


def test_runs_of_objects_are_found_whole_in_order_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sent.sqlite3"
    cache = SentObjectCache(path, max_entries=2 * cache_module.RUN_SIZE)
    cache.record_runs("s", [(["a", "b", "c"], ["1", "2", "3"]), (["d"], ["4"])])
    assert cache.find_run("s", ["a", "b", "c"]) == ["1", "2", "3"]
    assert cache.find_run("s", ["a", "c", "b"]) is None  # another order is another run
    assert cache.find_run("s", ["a", "b"]) is None and cache.find_run("other", ["d"]) is None
    cache.close()
    reopened = SentObjectCache(path, max_entries=2 * cache_module.RUN_SIZE)
    assert reopened.find_run("s", ["d"]) == ["4"]
    reopened.record_runs("s", [(["e"], ["5"])])  # past max_entries / RUN_SIZE runs: the oldest go
    assert sum(reopened.find_run("s", k) is not None for k in (["a", "b", "c"], ["d"], ["e"])) == 2
    assert reopened.find_run("s", ["e"]) == ["5"]
    reopened.record_runs("s", [(["x"], ["has,comma"]), (["y", "z"], ["only one"])])  # not storable: skipped
    assert reopened.find_run("s", ["x"]) is None and reopened.find_run("s", ["y", "z"]) is None
    reopened.forget_ids("s", ["unrelated"])  # a run holding none of the forgotten ids stays
    assert reopened.find_run("s", ["e"]) == ["5"]
    reopened.forget_ids("s", ["5"])  # the run holding a forgotten id goes
    assert reopened.find_run("s", ["e"]) is None and reopened.find("s", ["e"]) == [None]
    reopened.record_runs("s", [(["e"], ["5"])])
    reopened.clear()
    assert reopened.find_run("s", ["e"]) is None


def test_the_entries_of_runs_are_found_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "sent.sqlite3"
    cache = SentObjectCache(path)
    cache.record_runs("s", [(["a", "b", "c"], ["1", "2", "3"]), (["d", "e"], ["4", "5"])])
    assert cache.find("s", ["e", "x", "b"]) == ["5", None, "2"]  # from memory in this process
    assert len(cache) == 5
    cache.close()
    reopened = SentObjectCache(path)  # another process: a large lookup reads the scope whole
    assert reopened.find("s", ["c", "a", "zz"], expected=5) == ["3", "1", None]
    reopened.forget("s", ["a"])  # forgetting a key drops the run that holds it, not the others
    again = SentObjectCache(path)
    assert again.find("s", ["a", "b", "d"], expected=5) == [None, None, "4"]
    assert again.find_run("s", ["d", "e"]) == ["4", "5"] and again.find_run("s", ["a", "b", "c"]) is None
    again.close()
    reopened.close()
