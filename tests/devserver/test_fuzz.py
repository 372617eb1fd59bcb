"""API fuzzing of ``speckle serve --db FILE`` with Schemathesis, driven by the v1 OpenAPI description.

The description (``data/speckle-v1-openapi``, a copy of SpeckleSpecs, MIT) is loaded as is and
corrected in :func:`v1_spec` where v1-api.md documents otherwise. Every operation gets a bounded
number of valid and invalid requests (Hypothesis, derandomized), each sent twice: with the
generated path parameters and with the ids of real resources of the fuzzing user; one request in
three is anonymous. Checks:

* no undocumented ``5xx``: the only ``500`` answers are the crashes v1 itself has (HTML pages of
  :class:`~speckle.devserver.errors.ServerCrash`); an unexpected exception in a handler is logged
  by the server and fails the test;
* the server still answers afterwards;
* nothing acknowledged is lost: everything the user can list is the same after ``kill -9`` and a
  restart on the same file.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from hypothesis import HealthCheck, Phase, given, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402

from speckle.devserver.process import ServerProcess  # noqa: E402

SPEC_DIR = Path(__file__).parent / "data" / "speckle-v1-openapi"
#: Requests per operation and generation mode (each sent twice); the whole module stays well under a minute.
EXAMPLES = int(os.environ.get("SPECKLE_FUZZ_EXAMPLES", "4"))
PASSWORD = "password123"
ANY_JSON: dict[str, Any] = {}


# -- the description -----------------------------------------------------------------------------
def _load(path: Path, cache: dict[Path, Any]) -> Any:
    path = path.resolve()
    if path not in cache:
        cache[path] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return cache[path]


def _inline(node: Any, base: Path, cache: dict[Path, Any], seen: tuple[str, ...] = ()) -> Any:
    """Replace file ``$ref`` s by their content (a cycle becomes ``{}``: any value)."""
    if isinstance(node, list):
        return [_inline(item, base, cache, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        target = (base / ref.partition("#")[0]).resolve()
        if str(target) in seen:
            return {}
        return _inline(_load(target, cache), target.parent, cache, (*seen, str(target)))
    return {key: _inline(value, base, cache, seen) for key, value in node.items()}


def _operation(summary: str, *, body: Any = None, params: tuple[str, ...] = ()) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params],
        "responses": {"200": {"description": "ok"}},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return operation


def v1_spec() -> dict[str, Any]:
    """SpeckleSpecs as one document, corrected where v1-api.md says otherwise."""
    spec = _inline(_load(SPEC_DIR / "SpeckleSpecs.yaml", {}), SPEC_DIR, {})
    spec["servers"] = [{"url": "/api"}]
    paths = spec["paths"]
    # routes v1 has that the description lacks (v1-api.md §7)
    paths["/accounts/{userId}"]["put"] = _operation("admin edit of a user", body=ANY_JSON, params=("userId",))
    paths["/streams/{streamId}/clients"] = {"get": _operation("clients of a stream", params=("streamId",))}
    paths["/streams/{streamId}/delta"] = {"post": _operation("apply a delta", body=ANY_JSON, params=("streamId",))}
    paths["/streams/{streamId}/delta/{otherId}"] = {
        "get": _operation("delta of two streams", params=("streamId", "otherId"))}
    paths["/objects/derive"] = {"post": _operation("derive objects", body={"type": "array", "items": {}})}
    paths["/comments"] = {"get": _operation("comments of the caller")}
    paths["/comments/assigned"] = {"get": _operation("comments assigned to the caller")}
    for action, method in (("addstream", "put"), ("removestream", "delete")):
        paths[f"/projects/{{projectId}}/{action}/{{streamId}}"] = {
            method: _operation(action, params=("projectId", "streamId"))}
    for action, method in (("adduser", "put"), ("removeuser", "delete"), ("upgradeuser", "put"),
                           ("downgradeuser", "put")):
        paths[f"/projects/{{projectId}}/{action}/{{userId}}"] = {
            method: _operation(action, params=("projectId", "userId"))}
    # POST /objects takes one object or an array (§8.5); getbulk ids are object ids (strings)
    objects = paths["/objects"]["post"]["requestBody"]["content"]["application/json"]
    objects["schema"] = {"oneOf": [objects["schema"], {"type": "object"}]}
    # every body is optional for v1 (an absent body is `{}`), and the described response
    # statuses are incomplete (401/404/413/415 and documented 500s, §2): not checked here
    for item in paths.values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation["requestBody"]["required"] = False
    return copy.deepcopy(spec)


# -- the server under test ----------------------------------------------------------------------
def start_server(db: Path) -> ServerProcess:
    """``speckle serve --db FILE`` in a subprocess, its log kept next to the database."""
    return ServerProcess(db, log=db.with_suffix(f".{time.monotonic_ns()}.log"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("fuzz") / "fuzz.db")
    try:
        yield server
    finally:
        server.stop()


def _register(api: str, email: str) -> str:
    response = requests.post(f"{api}/accounts/register", json={"email": email, "password": PASSWORD}, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["resource"]["apitoken"])


def _world(api: str, token: str) -> dict[str, str]:
    """Real resources of the fuzzing user, by path-parameter name."""
    auth = {"Authorization": token}
    me = requests.get(f"{api}/accounts", headers=auth, timeout=30).json()["resource"]["_id"]
    stream = requests.post(f"{api}/streams", headers=auth, timeout=30,
                           json={"name": "fuzzed", "objects": [{"type": "Point", "value": [1, 2, 3]}]}).json()
    other = requests.post(f"{api}/streams", headers=auth, json={"name": "other"}, timeout=30).json()
    sid = stream["resource"]["streamId"]
    oid = stream["resource"]["objects"][0]["_id"]
    project = requests.post(f"{api}/projects", headers=auth, json={"name": "p"}, timeout=30).json()
    comment = requests.post(f"{api}/comments/stream/{sid}", headers=auth, json={"text": "c"}, timeout=30).json()
    client = requests.post(f"{api}/clients", headers=auth, json={"streamId": sid}, timeout=30).json()
    return {"streamId": sid, "otherStreamId": other["resource"]["streamId"], "otherId": sid, "objectId": oid,
            "projectId": project["resource"]["_id"], "commentId": comment["resource"]["_id"],
            "clientId": client["resource"]["_id"], "userId": me, "resourceType": "stream", "resourceId": sid}


def _snapshot(api: str, token: str, object_ids: list[str]) -> dict[str, Any]:
    """Everything the user can list (the state every acknowledged write left)."""
    auth = {"Authorization": token}
    out: dict[str, Any] = {}
    for path in ("/accounts", "/streams", "/projects", "/clients", "/comments"):
        response = requests.get(api + path, headers=auth, timeout=30)
        assert response.status_code == 200, (path, response.text[:300])
        out[path] = response.json()
    for stream in out["/streams"]["resources"]:
        stream.pop("layers", None)  # a default layer is invented with a fresh guid per read
    out["objects"] = requests.post(f"{api}/objects/getbulk", headers=auth, json=object_ids, timeout=30).json()
    return out


def _object_ids(snapshot: dict[str, Any]) -> list[str]:
    return sorted({o["_id"] for s in snapshot["/streams"]["resources"] for o in s.get("objects") or []
                   if isinstance(o, dict) and isinstance(o.get("_id"), str)})


def test_fuzzing_finds_no_undocumented_5xx_and_loses_nothing(served: ServerProcess) -> None:
    schema = schemathesis.openapi.from_dict(v1_spec())
    _register(served.api, "fuzz-admin@example.com")  # the first account is admin: fuzz as a plain user
    token = _register(served.api, "fuzz@example.com")
    world = _world(served.api, token)
    session = requests.Session()
    seen: dict[str, int] = {"requests": 0, "5xx": 0}
    crashes: list[str] = []

    def send(case: Any) -> None:
        # every third request is anonymous (no Authorization header)
        headers = {"Authorization": token} if seen["requests"] % 3 else {}
        response = case.call(base_url=served.api, session=session, headers=headers, timeout=30)
        seen["requests"] += 1
        if response.status_code >= 500:
            seen["5xx"] += 1
            crashes.append(f"{case.method} {case.formatted_path} -> {response.status_code} {response.text[:200]}")
            # documented v1 crashes are Express HTML pages; anything else is a bug of ours
            assert response.status_code == 500 and response.text.startswith("<!DOCTYPE html>"), crashes[-1]

    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        names = [p.name for p in operation.path_parameters]
        real = {name: world.get(name, world["streamId"]) for name in names}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies = [operation.as_strategy(generation_mode=mode)]
            if names:
                strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=real))
            for strategy in strategies:
                @given(case=strategy)
                @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
                def run(case: Any) -> None:
                    send(case)

                run()
    elapsed = time.monotonic() - started
    print(f"schemathesis: {seen['requests']} requests, {seen['5xx']} documented 500s, {elapsed:.1f} s")
    print("\n".join(crashes))
    logged = served.log()
    assert "ERROR" not in logged and "Traceback" not in logged, logged[-3000:]
    assert seen["requests"] >= 100
    # the server still answers, and every acknowledged write survives kill -9 + restart
    assert requests.get(served.api, timeout=10).status_code == 200
    before = _snapshot(served.api, token, [])
    before = _snapshot(served.api, token, _object_ids(before))
    served.kill()
    again = start_server(served.db)
    try:
        after = _snapshot(again.api, token, _object_ids(before))
        assert after == before
    finally:
        again.stop()


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    server = start_server(tmp_path / "kill.db")
    try:
        token = _register(server.api, "owner@example.com")
        auth = {"Authorization": token}
        session = requests.Session()
        acknowledged: dict[str, str] = {}
        sid = session.post(f"{server.api}/streams", headers=auth, json={"name": "s"}, timeout=30).json()
        sid = sid["resource"]["streamId"]
        for i in range(60):
            if i % 3 == 0:  # a bad write in between must not spoil the next ones
                session.post(f"{server.api}/clients", headers=auth, json={"streamId": 2**64 + i}, timeout=30)
            made = session.post(f"{server.api}/streams", headers=auth, json={"name": f"n{i}"}, timeout=30)
            assert made.status_code == 200
            acknowledged[made.json()["resource"]["streamId"]] = f"n{i}"
            edit = session.put(f"{server.api}/streams/{sid}", headers=auth, json={"description": f"d{i}"}, timeout=30)
            assert edit.status_code == 200
        server.kill()  # no chance to flush anything
    finally:
        server.stop()
    again = start_server(tmp_path / "kill.db")
    try:
        streams = requests.get(f"{again.api}/streams", headers={"Authorization": token}, timeout=30).json()
        names = {s["streamId"]: s["name"] for s in streams["resources"]}
        assert {k: names.get(k) for k in acknowledged} == acknowledged
        kept = requests.get(f"{again.api}/streams/{sid}", headers={"Authorization": token}, timeout=30).json()
        assert kept["resource"]["description"] == "d59"
    finally:
        again.stop()
