"""Restart with a db file, concurrent load, bulk performance, LocalServer/CLI plumbing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from speckle.devserver import LocalServer, ServerConfig

from .conftest import PASSWORD, Http

REPO = Path(__file__).resolve().parents[2]


def test_restart_keeps_everything(tmp_path: Path) -> None:
    db = str(tmp_path / "speckle.db")
    with LocalServer(db_path=db, bcrypt_rounds=4) as server:
        api = Http(server)
        admin = api.register()
        sid = api.stream(admin, name="kept", objects=[{"type": "P", "v": 1}])["streamId"]
        oid = api.ok("GET", f"/streams/{sid}", admin)["resource"]["objects"][0]["_id"]
        first_port = server.port
    with LocalServer(db_path=db, bcrypt_rounds=4) as server:
        api = Http(server)
        assert server.port != 0 and isinstance(first_port, int)
        assert api.ok("GET", "/accounts", admin)["resource"]["role"] == "admin"  # token still valid
        assert api.ok("GET", f"/streams/{sid}", admin)["resource"]["name"] == "kept"
        assert api.ok("GET", f"/objects/{oid}")["resource"]["v"] == 1
        assert api.ok("POST", "/accounts/login", json={"email": admin.email, "password": PASSWORD})
        dup = api("POST", "/accounts/register", json={"email": admin.email, "password": PASSWORD})
        assert dup.status_code == 400
        assert api.ok("GET", "/accounts", api.register())["resource"]["role"] == "user"


def test_concurrent_requests_lose_nothing(http: Http) -> None:
    users = [http.register() for _ in range(4)]
    streams = {u.id: http.stream(u, name="c")["streamId"] for u in users}
    per_user = 60

    def work(user_index: int) -> list[str]:
        user = users[user_index]
        session = requests.Session()
        made = []
        for i in range(per_user):
            if i % 3 == 0:
                body = session.post(f"{http.base}/objects", headers=user.auth, timeout=30,
                                    json=[{"type": "C", "u": user.id, "i": i}]).json()
                made.append(body["resources"][0]["_id"])
            elif i % 3 == 1:
                sid = streams[user.id]
                assert session.put(f"{http.base}/streams/{sid}", headers=user.auth, timeout=30,
                                   json={"description": f"d{i}"}).status_code == 200
            else:
                sid = streams[user.id]
                response = session.post(f"{http.base}/comments/stream/{sid}", headers=user.auth, timeout=30,
                                        json={"text": f"t{i}"})
                assert response.status_code == 200, response.text
        return made

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, [i % 4 for i in range(8)]))
    all_ids = [oid for made in results for oid in made]
    assert len(all_ids) == 8 * 20
    assert len(set(all_ids)) == 4 * 20  # two workers per user send identical objects -> de-dup
    fetched = http.ok("POST", "/objects/getbulk", json=all_ids)["resources"]
    assert all(o["type"] == "C" for o in fetched)
    for user in users:
        stream = http.ok("GET", f"/streams/{streams[user.id]}", user)["resource"]
        assert len(stream["comments"]) == 2 * 20  # no lost read-modify-write update
        assert len(http.ok("GET", f"/comments/stream/{streams[user.id]}", user)["resources"]) == 40


def test_bulk_save_and_fetch_keeps_order_and_dedups(http: Http) -> None:
    """25,000 objects in one request: every one saved, fetched back in order, re-saved to the same ids.

    (Its speed is measured by benchmarks/bulk.py, not asserted here.)
    """
    user = http.register()
    objects = [{"type": "Point", "value": [i * 0.5, i + 0.25, 3.125], "applicationId": f"app-{i}",
                "properties": {"index": i, "label": "x" * 150}} for i in range(25_000)]
    response = http("POST", "/objects", user, json=objects)
    assert response.status_code == 200 and len(response.content) > 0
    ids = [p["_id"] for p in response.json()["resources"]]
    assert len(set(ids)) == 25_000
    fetched = http.ok("POST", "/objects/getbulk", user, json=ids[:10_000])["resources"]
    assert [o["applicationId"] for o in fetched] == [f"app-{i}" for i in range(10_000)]
    assert [o["properties"]["index"] for o in fetched[-3:]] == [9_997, 9_998, 9_999]
    again = http.ok("POST", "/objects", user, json=objects[:5000])["resources"]
    assert [p["_id"] for p in again] == ids[:5000]


def test_local_server_properties_and_reuse() -> None:
    config = ServerConfig(port=0, bcrypt_rounds=4, name="Props")
    server = LocalServer(config)
    server.start()
    try:
        assert server.host == f"127.0.0.1:{server.port}" and server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.ws_url == f"ws://127.0.0.1:{server.port}"
        assert requests.get(server.url + "/api", timeout=10).json()["serverName"] == "Props"
    finally:
        server.stop()
    try:
        requests.get(server.url + "/api", timeout=2)
        raise AssertionError("server still answering after stop()")
    except requests.ConnectionError:
        pass
    server.stop()  # idempotent


def test_start_failure_is_reported() -> None:
    with LocalServer(bcrypt_rounds=4) as first:
        clash = LocalServer(port=first.port, bcrypt_rounds=4)
        try:
            clash.start()
            raise AssertionError("second server bound a busy port")
        except RuntimeError as exc:
            assert "failed to start" in str(exc)


def test_cli_serve_prints_url_and_stops_on_sigterm() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "speckle.cli.main", "serve", "--port", "0", "--name", "CLI",
         "--max-body-size", "1mb", "--heartbeat", "5"],
        stdout=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Speckle v1 server listening on http://127.0.0.1:")
        url = line.split()[5]
        assert "SpeckleApiClient('127.0.0.1:" in line and "use_ssl=False" in line
        assert requests.get(url + "/api", timeout=10).json()["serverName"] == "CLI"
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_thread_safety_of_lifecycle() -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with LocalServer(bcrypt_rounds=4) as server:
                assert requests.get(server.url + "/api", timeout=10).status_code == 200
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
