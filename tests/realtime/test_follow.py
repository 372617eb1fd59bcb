"""``client.follow``: the model at once, then coalesced changes on update broadcasts and reconnections."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from speckle import SpeckleApiClient
from speckle.devserver import LocalServer
from speckle.realtime import Broadcast, StreamFollower, is_update_event

from .conftest import FAST, Listen


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the records of sent and received objects in a temporary folder."""
    folder = tmp_path / "config"
    monkeypatch.setenv("SPECKLE_CONFIG_DIR", str(folder))
    return folder


def settle() -> None:
    """Let the second of the last write pass (objects written in the second of a download are
    downloaded again next time: their ``updatedAt`` could repeat)."""
    time.sleep(1.05)


def points(count: int) -> list[dict[str, Any]]:
    base = random.randrange(10**9)
    return [{"type": "Point", "value": [base, i, 0.5]} for i in range(count)]


@pytest.fixture
def follow(user: SpeckleApiClient) -> Iterator[Any]:
    made: list[StreamFollower] = []

    def start(stream_id: str, **kwargs: Any) -> StreamFollower:
        kwargs.setdefault("backoff", FAST)
        follower = user.follow(stream_id, raw=True, **kwargs)
        made.append(follower)
        return follower

    yield start
    for follower in made:
        follower.close()


def test_the_model_then_one_change_per_burst(user: SpeckleApiClient, listen: Listen, follow: Any) -> None:
    sent = user.send(points(40), name="followed")
    ids = sent.object_ids
    settle()
    follower = follow(sent.stream_id)
    first = follower.next_change(timeout=10)
    assert first is not None and first.initial and first.reason == "initial"
    assert [o["_id"] for o in first.added] == ids and first.removed == [] and first.changed == []
    writer = listen(user, sent.stream_id, mark_online=False)

    user.transport.request("PUT", f"/objects/{ids[3]}", json_body={"name": "moved"})
    settle()
    for _ in range(5):  # a burst: one check
        writer.broadcast({"eventType": "update-global"})
    change = follower.next_change(timeout=10)
    assert change is not None and change.reason == "update-global" and change.events == 5
    assert [o["_id"] for o in change.changed] == [ids[3]] and change.changed[0]["name"] == "moved"
    assert change.added == [] and change.removed == []
    assert change.result.fetched == [ids[3]]
    assert change.objects[0] is first.objects[0]  # unchanged objects are shared, not downloaded
    assert follower.next_change(timeout=0.5) is None  # nothing more

    extra = user.send(points(2)).object_ids
    user.streams.update(sent.stream_id, {"objects": [{"type": "Placeholder", "_id": i} for i in [*ids[5:], *extra]]})
    writer.broadcast({"eventType": "update-children"})
    change = follower.next_change(timeout=10)
    assert change is not None and change.reason == "update-children"
    assert [o["_id"] for o in change.added] == extra
    assert [o["_id"] for o in change.removed] == ids[:5]
    assert sorted(change.result.fetched) == sorted(extra)

    user.transport.request("DELETE", f"/objects/{ids[6]}")
    writer.broadcast({"eventType": "update-global"})
    change = follower.next_change(timeout=10)
    assert change is not None and [o["_id"] for o in change.removed] == [ids[6]]
    assert change.result.missing == [1]


def test_a_broadcast_without_a_change_gives_nothing(user: SpeckleApiClient, listen: Listen, follow: Any) -> None:
    sent = user.send(points(5), name="quiet")
    settle()
    follower = follow(sent.stream_id)
    assert follower.next_change(timeout=10) is not None
    writer = listen(user, sent.stream_id, mark_online=False)
    writer.broadcast({"eventType": "update-global"})
    writer.broadcast({"eventType": "chat", "text": "not an update"})
    assert follower.next_change(timeout=1.0) is None
    user.streams.update(sent.stream_id, {"name": "renamed"})
    writer.broadcast({"eventType": "update-name"})
    change = follower.next_change(timeout=10)
    assert change is not None and change.stream.name == "renamed" and change.result.fetched == []


def test_a_reconnection_checks_for_missed_changes(user: SpeckleApiClient, follow: Any) -> None:
    sent = user.send(points(10), name="dropped")
    settle()
    follower = follow(sent.stream_id)
    assert follower.next_change(timeout=10) is not None
    assert follower.listener.wait_ready(5)
    user.transport.request("PUT", f"/objects/{sent.object_ids[0]}", json_body={"name": "missed"})
    _drop(follower)  # nobody broadcast the change; the reconnection finds it
    change = follower.next_change(timeout=15)
    assert change is not None and change.reason == "reconnected" and change.events == 0
    assert [o["name"] for o in change.changed] == ["missed"]


def _drop(follower: StreamFollower) -> None:
    """Cut the follower's socket as a network failure would."""
    from speckle.realtime.listener import _abort

    ws = follower.listener._ws
    assert ws is not None
    _abort(ws)


def test_is_update_event() -> None:
    assert is_update_event(Broadcast(stream_id="s1", args={"eventType": "update-global"}), "s1")
    assert not is_update_event(Broadcast(stream_id="s2", args={"eventType": "update-global"}), "s1")
    assert not is_update_event(Broadcast(stream_id="s1", args={"eventType": "message"}), "s1")


def test_speckle_follow_prints_json_changes(speckle_server: LocalServer, tmp_path: Path) -> None:
    sender = SpeckleApiClient(speckle_server.url)
    sender.register(email=f"cli-{random.randrange(10**9)}@speckle.local", password="follow tests", company=None)
    sent = sender.send(points(8), name="cli")
    settle()
    env_config = {"SPECKLE_CONFIG_DIR": str(tmp_path / "cli-config")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "speckle.cli.main", "follow", "--host", speckle_server.url, "--token",
         sender.token or "", "--count", "1", "--duration", "30", "--json", "--", str(sent.stream_id)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env_config},
    )
    try:
        assert proc.stderr is not None and proc.stdout is not None
        ready = proc.stderr.readline()
        assert "following stream" in ready, ready
        initial = json.loads(proc.stdout.readline())
        assert initial["reason"] == "initial" and initial["added"] == sent.object_ids
        sender.transport.request("PUT", f"/objects/{sent.object_ids[2]}", json_body={"name": "cli"})
        settle()
        with sender.listen(str(sent.stream_id), mark_online=False) as socket:
            assert socket.wait_ready(10)
            deadline = time.monotonic() + 20
            while proc.poll() is None and time.monotonic() < deadline:
                socket.broadcast({"eventType": "update-global"})
                time.sleep(0.5)
            out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    change = json.loads(out.splitlines()[0])
    assert change["reason"] == "update-global" and change["changed"] == [sent.object_ids[2]]
    assert change["downloaded"] == 1 and change["objects"] == 8
