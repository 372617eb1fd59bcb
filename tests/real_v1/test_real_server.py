"""Our client against the real v1 server: read-modify-write of every resource, stale versions,
the account file shared with the original ``SpeckleCache``, and a script in the original's style.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from speckle import SpeckleApiClient, SpeckleCache
from speckle.cli.main import main
from speckle.errors import NotFoundError, VersionConflictError

pytestmark = pytest.mark.real_v1

PASSWORD = "supersecretpassword"
HERE = Path(__file__).parent


def _register(url: str, prefix: str = "e2e") -> SpeckleApiClient:
    client = SpeckleApiClient(url)
    client.register(email=f"{prefix}-{uuid.uuid4().hex[:10]}@example.com", password=PASSWORD, company="E2E",
                    name="Real", surname="Server")
    return client


def _one_of_each(client: SpeckleApiClient) -> dict[str, str]:
    stream = client.streams.create({
        "name": "rmw", "objects": [{"type": "Point", "value": [1, 2, 3]}],
        "layers": [{"name": "L", "guid": "g1", "startIndex": 0, "objectCount": 1}],
    })
    comment = client.streams.comment_create(stream.streamId, {"text": "hi"})
    project = client.projects.create({"name": "p", "streams": [stream.streamId]})
    api_client = client.api_clients.create({"streamId": stream.streamId, "role": "Sender", "documentName": "d"})
    obj = client.objects.create([{"type": "Point", "value": [5, 5, uuid.uuid4().int % 10_000]}])[0]
    return {"comments": comment.id, "streams": stream.streamId, "projects": project.id,
            "api_clients": api_client.id, "objects": obj.id}


#: (list field, scalar field) changed on each resource.
CHANGES = {"comments": ("labels", "text"), "streams": ("tags", "name"), "projects": ("tags", "name"),
           "api_clients": ("canRead", "documentName"), "objects": ("canRead", "name")}


def test_read_modify_write_of_every_resource(real_url: str) -> None:
    client = _register(real_url)
    me = client.me.id
    for kind, item_id in _one_of_each(client).items():
        resource = getattr(client, kind)
        copy = resource.get(item_id)
        before = copy.to_payload()
        list_field, scalar_field = CHANGES[kind]
        setattr(copy, list_field, [me])
        setattr(copy, scalar_field, "changed once")
        resource.update(item_id, copy.dict())
        # the same copy again: its __v is stale by now, and it still goes through
        setattr(copy, list_field, [me, me])
        setattr(copy, scalar_field, "changed twice")
        resource.update(item_id, copy.dict())
        after = resource.get(item_id).to_payload()
        assert after[list_field] == [me, me], kind
        assert after[scalar_field] == "changed twice", kind
        untouched = {k: v for k, v in before.items()
                     if k not in (list_field, scalar_field, "__v", "updatedAt", "objects")}
        assert {k: after.get(k) for k in untouched} == untouched, kind  # nothing else changed
    profile = client.accounts.get_profile()
    profile.company = "Changed Inc"
    client.accounts.update_profile(profile.dict())
    assert client.accounts.get_profile().company == "Changed Inc"


def test_read_modify_write_by_a_collaborator(real_url: str) -> None:
    owner, other = _register(real_url, "owner"), _register(real_url, "other")
    ids = _one_of_each(owner)
    owner.streams.update(ids["streams"], {"canWrite": [other.me.id], "canRead": [other.me.id]})
    shared = other.streams.get(ids["streams"])
    shared.name = "edited by a collaborator"
    other.streams.update(shared.streamId, shared.dict())  # owner unchanged: not sent back
    api_client = other.api_clients.get(ids["api_clients"])  # owner comes back populated
    api_client.documentName = "renamed by a collaborator"
    other.api_clients.update(api_client.id, api_client.dict())
    assert owner.streams.get(ids["streams"]).name == "edited by a collaborator"
    assert owner.api_clients.get(ids["api_clients"]).documentName == "renamed by a collaborator"
    assert owner.streams.get(ids["streams"]).owner == owner.me.id


def test_comment_assignment_as_the_original_suite_does_it(real_url: str) -> None:
    client = _register(real_url)
    project = client.projects.create({"name": "test project", "tags": [], "streams": []})
    created = client.projects.comment_create(project.id, {"text": "Wow this is an amazing comment!"})
    client.comments.comment_create(created.id, {"text": "a reply moves the comment's version on"})
    created.assignedTo = [client.me["_id"]]
    client.comments.update(created.id, created.dict())
    assert [c.id for c in client.comments.assigned()] == [created.id]


def test_a_stale_version_is_a_version_conflict(real_url: str) -> None:
    client = _register(real_url)
    ids = _one_of_each(client)
    for kind, item_id in ids.items():
        resource = getattr(client, kind)
        read = resource.get(item_id)
        resource.update(item_id, {CHANGES[kind][0]: [client.me.id]})
        path = {"comments": "/comments/", "streams": "/streams/", "projects": "/projects/",
                "api_clients": "/clients/", "objects": "/objects/"}[kind] + item_id
        with pytest.raises(VersionConflictError) as caught:
            client.transport.request("PUT", path, json_body={CHANGES[kind][0]: [], "__v": read["__v"]})
        assert not isinstance(caught.value, NotFoundError)
        assert caught.value.sent_version == read["__v"] and "Read it again" in str(caught.value)


def _run_original(original_python: tuple[str, str], code: str, env: dict[str, str]) -> str:
    python, source = original_python
    result = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**env, "PYTHONPATH": source}, cwd="/")
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_account_file_shared_with_the_original_speckle_cache(
    real_url: str, original_python: tuple[str, str], settings_home: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SPECKLE_CONFIG_DIR", "APPDATA")}
    host = urlsplit(real_url).netloc
    # 1. speckle login saves an account: the original SpeckleCache finds it and its token works
    ours = _register(real_url, "ours")
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["login", "--host", real_url, "--email", ours.me.email, "--password-stdin"]) == 0
    found = _run_original(original_python, "\n".join([
        "import json",
        "from speckle import SpeckleCache, SpeckleApiClient",
        "rows = SpeckleCache().get_all_accounts()",
        f"row = [r for r in rows if r[3] == {ours.me.email!r}][0]",
        f"client = SpeckleApiClient(host={host!r}, use_ssl=False)",
        "client.login_with_token(row[4])",
        "print(json.dumps({'rest_api': row[2], 'email': client.me['email'], 'default': row[5]}))",
    ]), env)
    seen = json.loads(found.strip().splitlines()[-1])
    assert seen == {"rest_api": f"{real_url}/api/v1", "email": ours.me.email, "default": 1}
    # 2. an old script saves an account with the original SpeckleCache: we log in with it
    theirs = f"theirs-{uuid.uuid4().hex[:10]}@example.com"
    _run_original(original_python, "\n".join([
        "from speckle import SpeckleCache, SpeckleApiClient",
        f"client = SpeckleApiClient(host={host!r}, use_ssl=False)",
        f"client.register(email={theirs!r}, password={PASSWORD!r}, company='Old', name='Old', surname='Script')",
        "profile = client.accounts.get_profile()",
        f"SpeckleCache().write_account({host!r}, 'Real V1 Server', {theirs!r}, profile['apitoken'])",
    ]), env)
    client = SpeckleApiClient.from_account(theirs)
    assert client.me.email == theirs and client.streams.list() == []
    capsys.readouterr()
    assert main(["accounts", "--json"]) == 0
    listed = {a["email"]: a for a in json.loads(capsys.readouterr().out)}
    assert set(listed) == {ours.me.email, theirs}
    assert listed[theirs]["server_name"] == "Real V1 Server"
    rows = SpeckleCache().get_all_accounts()
    assert sorted(r[3] for r in rows) == sorted([ours.me.email, theirs])
    assert (settings_home / "SpeckleCache.db").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("which", ["ours", "original"])
def test_a_script_in_the_original_style(real_url: str, which: str, request: pytest.FixtureRequest,
                                        settings_home: Path) -> None:
    """The same script, unchanged, with the original client and with ours."""
    env: dict[str, Any] = {k: v for k, v in os.environ.items() if k not in ("SPECKLE_CONFIG_DIR", "APPDATA")}
    python = sys.executable
    if which == "original":
        python, source = request.getfixturevalue("original_python")
        env["PYTHONPATH"] = source
    result = subprocess.run([python, str(HERE / "original_style_script.py"), urlsplit(real_url).netloc],
                            capture_output=True, text=True, timeout=180, env=env, cwd=str(settings_home.parent.parent))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "original-style script: ok" in result.stdout
    assert (settings_home / "SpeckleCache.db").exists()


@pytest.mark.real_v1
def test_original_raw_calls_on_the_real_server(real_url: str) -> None:
    """The original client's ``...Async`` calls, as an old script makes them, on the real server."""
    from tests.compat.test_legacy_calls import run_original_style_script

    run_original_style_script(real_url)
