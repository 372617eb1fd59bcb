"""The sent-object record: hits, misses, scopes, forgetting and its size bound."""

from __future__ import annotations

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
    clock[0] += 10 * 3600
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
