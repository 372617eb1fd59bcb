"""The local server answers like the real v1 server, call by call, without the real server.

``fixtures/real_v1.json`` holds what a real SpeckleServer 1.6 (``../shared/real-v1``) answered to
the sequence of calls of ``tools/compare_servers.py`` (every route, each role, malformed ids and
bodies, the query language, body limits and encodings, websocket joins, broadcasts, messages,
heartbeats and duplicate client ids), normalised. Here the same sequence runs against a fresh
local server and every answer must be identical to the recorded one within that normalisation
(ids, tokens, dates, the server name; see ``Normaliser``). Re-record after changing the sequence:
``python tools/compare_servers.py --real http://127.0.0.1:3100 --record tests/parity/fixtures/real_v1.json``
against a freshly started real server.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import compare_servers  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "real_v1.json"


@pytest.fixture(scope="module")
def runs() -> tuple[list[dict], list[dict]]:
    """The recorded real answers and the local server's answers to the same calls."""
    expected = compare_servers.load_fixture(FIXTURE)
    with compare_servers.local_server(heartbeat_interval=0.5) as url:
        got = compare_servers.run_against(url, ws_wait=0.2, heartbeat_timeout=5.0, expected=expected)
    return expected, got


def test_the_whole_sequence_was_recorded_and_replayed(runs) -> None:
    expected, got = runs
    assert len(expected) > 300
    assert compare_servers.normalise(expected) == expected  # recorded normalised; normalising is idempotent
    assert [r["request"] for r in compare_servers.normalise(got)] == [r["request"] for r in expected]
    kinds = {r["request"].split(" ")[0] for r in expected}
    assert {"GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "websocket"} <= kinds


def test_every_status_is_the_real_one(runs) -> None:
    report = compare_servers.compare(*runs)
    assert report.equal_status == report.calls, report.text(limit=10)


def test_every_answer_is_identical_to_the_real_one(runs) -> None:
    report = compare_servers.compare(*runs)
    assert report.identical == report.calls, report.text(limit=10)


def test_a_changed_answer_is_reported() -> None:
    expected = compare_servers.load_fixture(FIXTURE)
    changed = [dict(r) for r in expected]
    index = next(i for i, r in enumerate(changed) if r.get("body", "").startswith('{"success":true'))
    changed[index]["body"] = changed[index]["body"].replace('"success":true', '"success":false', 1)
    report = compare_servers.compare(expected, changed)
    assert (report.calls, report.identical, report.equal_status) == (len(expected), len(expected) - 1, len(expected))
    assert [want["request"] for want, _ in report.differences] == [expected[index]["request"]]


def test_normaliser_keeps_equal_ids_equal_and_order() -> None:
    norm = compare_servers.Normaliser("Real V1 Server")
    body = (b'{"serverName":"Real V1 Server","_id":"5f1b2c3d4e5f6a7b8c9d0e1f","owner":"5f1b2c3d4e5f6a7b8c9d0e1f",'
            b'"other":"6a1b2c3d4e5f6a7b8c9d0e1f","streamId":"Ab3_x-Yz9","createdAt":"2026-12-03T12:00:00.000Z"}')
    assert norm.body(body) == ('{"serverName":"<serverName>","_id":"<oid:1>","owner":"<oid:1>","other":"<oid:2>",'
                               '"streamId":"<sid:1>","createdAt":"<date>"}')
    assert norm.text("Client list for stream Ab3_x-Yz9 returned.") == "Client list for stream <sid:1> returned."
    assert norm.text("TypeError: Cannot read properties of null (reading 'x')") == \
        "TypeError: Cannot read property 'x' of null"
