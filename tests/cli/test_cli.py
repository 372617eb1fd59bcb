"""``speckle`` sub-commands run in-process (``main(argv)``) against the local server."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from speckle import SpeckleApiClient
from speckle.accounts_store import AccountStore
from speckle.cli import common

from .conftest import PASSWORD, Result, unique_email

Cli = Callable[..., Result]


def one_error_line(result: Result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("speckle: error: ")
    assert "Traceback" not in result.err
    return lines[0]


# -- accounts ---------------------------------------------------------------------------------------


def test_login_saves_the_token_never_the_password(cli: Cli, speckle_server: Any, config_home: Path) -> None:
    email = unique_email()
    SpeckleApiClient(speckle_server.url).register(email=email, password=PASSWORD, company=None, name="Pat")
    result = cli("login", "--host", speckle_server.url, "--email", email, "--password-stdin", "--json",
                 stdin=PASSWORD + "\n")
    assert result.code == 0, result.err
    saved = result.json()
    assert saved == {"server": speckle_server.url, "email": email, "name": "Pat", "default": True,
                     "server_name": SpeckleApiClient(speckle_server.url).server.info()["serverName"]}
    raw = (config_home / "SpeckleCache.db").read_bytes()
    assert PASSWORD.encode() not in raw
    assert b"JWT " in raw and email.encode() in raw
    whoami = cli("whoami", "--json")
    assert whoami.code == 0 and whoami.json()["email"] == email
    assert "apitoken" not in whoami.json() and "JWT" not in whoami.out


def test_wrong_password_and_unknown_email_exit_3(cli: Cli, user: dict[str, str]) -> None:
    wrong = cli("login", "--host", user["host"], "--email", user["email"], "--password-stdin",
                stdin="not the password\n")
    assert wrong.code == common.EXIT_AUTH
    assert "Invalid credentials" in one_error_line(wrong)
    unknown = cli("login", "--host", user["host"], "--email", unique_email(), "--password-stdin",
                  stdin=PASSWORD + "\n")
    assert unknown.code == common.EXIT_AUTH


def test_login_with_token_accounts_default_and_logout(cli: Cli, user: dict[str, str], speckle_server: Any) -> None:
    other = SpeckleApiClient(speckle_server.url)
    other_email = unique_email("other")
    profile = other.register(email=other_email, password=PASSWORD, company=None, name="Other")
    result = cli("login", "--host", speckle_server.url, "--token", profile.apitoken, "--no-default")
    assert result.code == 0 and other_email in result.out
    listed = cli("accounts", "--json").json()
    assert {a["email"]: a["default"] for a in listed} == {user["email"]: True, other_email: False}
    assert "JWT" not in cli("accounts").out
    assert cli("whoami", "--account", other_email, "--json").json()["email"] == other_email
    assert cli("accounts", "default", other_email).code == 0
    assert cli("whoami", "--json").json()["email"] == other_email
    assert cli("logout").code == 0  # forgets the default account
    assert [a["email"] for a in cli("accounts", "--json").json()] == [user["email"]]
    assert cli("logout", "--account", "nobody@example.com").code == common.EXIT_AUTH
    assert cli("logout", "--all").code == 0
    not_logged_in = cli("streams", "list")
    assert not_logged_in.code == common.EXIT_AUTH
    assert "speckle login" in one_error_line(not_logged_in)


def test_environment_pair_and_host_option(cli: Cli, speckle_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = SpeckleApiClient(speckle_server.url)
    email = unique_email("env")
    client.register(email=email, password=PASSWORD, company=None)
    monkeypatch.setenv("SPECKLE_HOST", speckle_server.host)  # scheme-less local host: http
    monkeypatch.setenv("SPECKLE_TOKEN", client.me.apitoken)
    assert cli("whoami", "--json").json()["email"] == email
    monkeypatch.delenv("SPECKLE_TOKEN")
    assert cli("whoami").code == common.EXIT_AUTH
    assert cli("server", "info", "--json").json()["isSpeckleServer"] is True  # anonymous is enough
    assert cli("--token", client.me.apitoken, "whoami", "--json").json()["email"] == email


# -- streams ----------------------------------------------------------------------------------------


def test_streams_lifecycle(cli: Cli, user: dict[str, str], tmp_path: Path) -> None:
    objects = tmp_path / "objects.json"
    objects.write_text(json.dumps([{"type": "Point", "value": [1, 2, 3]}, {"type": "Line", "value": [0] * 6}]))
    created = cli("streams", "create", "--name", "Tower", "--data", str(objects), "--json")
    assert created.code == 0, created.err
    stream_id = created.json()["streamId"]
    assert len(created.json()["objects"]) == 2

    table = cli("streams", "list")
    assert table.out.splitlines()[0].split()[:2] == ["STREAMID", "NAME"]
    assert any(line.startswith(stream_id) and "Tower" in line for line in table.out.splitlines())

    assert cli("streams", "update", "--name", "Tower v2", "--private", "--", stream_id).code == 0
    got = cli("streams", "get", "--objects", "--json", "--", stream_id).json()
    assert (got["name"], got["private"]) == ("Tower v2", True)
    assert [o["type"] for o in got["objects"]] == ["Point", "Line"]
    human = cli("streams", "get", "--", stream_id)
    assert "Tower v2" in human.out and "objects:" in human.out

    clone = cli("streams", "clone", "--name", "Backup", "--json", "--", stream_id).json()
    clone_id = clone["clone"]["streamId"]
    assert clone["parent"]["streamId"] == stream_id and clone["clone"]["name"] == "Backup"
    diff = cli("streams", "diff", "--json", "--", stream_id, clone_id).json()
    assert len(diff["objects"]["common"]) == 2 and diff["objects"]["inA"] == []

    deleted = cli("streams", "delete", "--json", "--", stream_id).json()
    assert set(deleted["deletedStreams"]) >= {stream_id}
    missing = cli("streams", "get", "--", stream_id)
    assert missing.code == common.EXIT_NOT_FOUND
    one_error_line(missing)


def test_stream_input_errors(cli: Cli, user: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x",')
    result = cli("streams", "create", "--data", str(bad))
    assert result.code == common.EXIT_USAGE
    assert "malformed JSON" in one_error_line(result)
    assert cli("streams", "create", "--data", str(tmp_path / "missing.json")).code == common.EXIT_USAGE
    assert cli("streams", "create", "--data", "-", stdin="42").code == common.EXIT_USAGE
    assert cli("streams", "update", "someStream").code == common.EXIT_USAGE  # nothing to update
    assert cli("streams", "get", "doesNotExist").code == common.EXIT_NOT_FOUND
    # stream ids may start with '-': they go after '--'
    assert cli("streams", "get", "-doesNotExist").code == common.EXIT_USAGE
    assert cli("streams", "get", "--json", "--", "-doesNotExist").code == common.EXIT_NOT_FOUND
    assert cli("streams", "frobnicate").code == common.EXIT_USAGE
    assert cli("streams").code == common.EXIT_USAGE
    assert cli("--no-such-option").code == common.EXIT_USAGE


def test_permission_denied_exits_4(cli: Cli, user: dict[str, str], speckle_server: Any) -> None:
    owner = SpeckleApiClient(speckle_server.url)
    owner.register(email=unique_email("owner"), password=PASSWORD, company=None)
    stream = owner.streams.create({"name": "Private", "private": True})
    result = cli("streams", "update", "--name", "mine now", "--", stream.streamId)
    assert result.code == common.EXIT_PERMISSION
    one_error_line(result)


# -- objects, projects, comments --------------------------------------------------------------------


def test_objects_create_get_bulk(cli: Cli, user: dict[str, str]) -> None:
    created = cli("objects", "create", stdin=json.dumps([{"type": "Point", "value": [1, 2, 3]},
                                                         {"type": "Point", "value": [4, 5, 6]}]))
    assert created.code == 0, created.err
    ids = created.out.split()
    assert len(ids) == 2
    one = cli("objects", "get", ids[1])
    assert json.loads(one.out)["value"] == [4, 5, 6]
    bulk = cli("objects", "bulk", *ids, "--json").json()
    assert [o["value"] for o in bulk] == [[1, 2, 3], [4, 5, 6]]
    from_stdin = cli("objects", "bulk", "--ids", "-", "--fields", "type", "--json", stdin=json.dumps(ids))
    assert [o["type"] for o in from_stdin.json()] == ["Point", "Point"]
    assert cli("objects", "create", stdin="[1, 2]").code == common.EXIT_USAGE
    assert cli("objects", "create", stdin="not json").code == common.EXIT_USAGE
    assert cli("objects", "bulk").code == common.EXIT_USAGE
    assert cli("objects", "get", "5f0c7e6b9d1e8a0012345678").code == common.EXIT_NOT_FOUND


def test_projects(cli: Cli, user: dict[str, str]) -> None:
    stream_id = cli("streams", "create", "--name", "In project", "--json").json()["streamId"]
    project = cli("projects", "create", "--name", "Campus", "--json").json()
    project_id = project["_id"]
    assert cli("projects", "add-stream", "--", project_id, stream_id).code == 0
    got = cli("projects", "get", project_id, "--json").json()
    assert got["name"] == "Campus" and stream_id in got["streams"]
    assert any(p["_id"] == project_id for p in cli("projects", "list", "--json").json())
    assert cli("projects", "update", project_id, "--description", "Phase 1").code == 0
    assert cli("projects", "get", project_id, "--json").json()["description"] == "Phase 1"
    assert cli("projects", "remove-stream", "--", project_id, stream_id).code == 0
    assert cli("projects", "delete", project_id).code == 0
    assert cli("projects", "get", project_id).code == common.EXIT_NOT_FOUND


def test_comments(cli: Cli, user: dict[str, str]) -> None:
    stream_id = cli("streams", "create", "--name", "Commented", "--json").json()["streamId"]
    comment = cli("comments", "create", "--json", "--", "stream", stream_id, "Nice tower").json()
    listed = cli("comments", "list", "--json", "--", "stream", stream_id).json()
    assert [c["text"] for c in listed] == ["Nice tower"]
    assert cli("comments", "update", comment["_id"], "--text", "Nicer tower", "--close").code == 0
    got = cli("comments", "get", comment["_id"], "--json").json()
    assert (got["text"], got["closed"]) == ("Nicer tower", True)
    assert cli("comments", "assigned", "--json").code == 0
    assert cli("comments", "delete", comment["_id"]).code == 0
    assert cli("comments", "list", "--json", "--", "stream", stream_id).json() == []
    assert cli("comments", "list", "--", "planet", stream_id).code == common.EXIT_USAGE


# -- server, transfers ------------------------------------------------------------------------------


def test_server_info(cli: Cli, user: dict[str, str]) -> None:
    human = cli("server", "info")
    assert human.code == 0 and "Speckle" in human.out and user["email"] in human.out
    data = cli("server", "info", "--json").json()
    assert data["isSpeckleServer"] is True and "streams" in data["api"]


def test_send_and_receive_files(cli: Cli, user: dict[str, str], tmp_path: Path) -> None:
    objects = [{"type": "Point", "value": [i, i, i], "name": f"p{i}"} for i in range(50)]
    source = tmp_path / "model.json"
    source.write_text(json.dumps(objects))
    sent = cli("send", str(source), "--json")
    assert sent.code == 0, sent.err
    summary = sent.json()
    assert summary["objects"] == 50
    target = tmp_path / "back.json"
    received = cli("receive", "-o", str(target), "--json", "--", summary["streamId"])
    assert received.code == 0 and received.json()["objects"] == 50
    document = json.loads(target.read_text())
    assert document["streamId"] == summary["streamId"] and document["name"] == "model"
    assert [(o["name"], o["value"]) for o in document["objects"]] == [(o["name"], o["value"]) for o in objects]
    # the received document can be sent again as it is, into the same stream
    again = cli("send", "--stream=" + summary["streamId"], "--json", str(target)).json()
    assert again["streamId"] == summary["streamId"] and again["objects"] == 50
    stdout = cli("receive", "--", summary["streamId"])
    assert [o["value"] for o in json.loads(stdout.out)["objects"]] == [o["value"] for o in objects]
    assert cli("send", "-", stdin='{"no": "objects"}').code == common.EXIT_USAGE
    assert cli("receive", "doesNotExist").code == common.EXIT_NOT_FOUND


@pytest.fixture
def html_server() -> Iterator[str]:
    """A web server that answers every request with an HTML page, not the v1 API."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server calls
            body = b"<html>not a speckle server</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_transport_errors_exit_6_and_debug_shows_the_traceback(cli: Cli, html_server: str) -> None:
    result = cli("--host", html_server, "server", "info")
    assert result.code == common.EXIT_SERVER
    one_error_line(result)
    debug = cli("--host", html_server, "server", "info", "--debug")
    assert debug.code == common.EXIT_SERVER and "Traceback" in debug.err


def test_exit_codes_of_errors() -> None:
    from speckle import errors

    assert common.exit_code_for(errors.TokenExpiredError("x")) == common.EXIT_AUTH
    assert common.exit_code_for(errors.ServerError("x")) == common.EXIT_SERVER
    assert common.exit_code_for(errors.SpeckleTimeoutError("x")) == common.EXIT_SERVER
    assert common.exit_code_for(errors.BadRequestError("x")) == common.EXIT_FAILURE
    assert common.exit_code_for(errors.SpeckleInputError("x")) == common.EXIT_USAGE
    assert len({common.EXIT_OK, common.EXIT_FAILURE, common.EXIT_USAGE, common.EXIT_AUTH,
                common.EXIT_PERMISSION, common.EXIT_NOT_FOUND, common.EXIT_SERVER}) == 7


def test_store_file_is_the_one_the_cli_uses(cli: Cli, user: dict[str, str], config_home: Path) -> None:
    assert [a.email for a in AccountStore().list()] == [user["email"]]
    assert AccountStore().path.parent == config_home
