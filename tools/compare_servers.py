"""Compare the local server with a real Speckle v1 server, call by call.

The same sequence of calls (:func:`scenario`: every route, each role, malformed ids and
bodies, the query language, body limits and encodings, websocket joins, broadcasts,
messages, heartbeats and duplicate client ids) is sent to each server, starting from an
empty database. Each answer is recorded as status, ``Content-Type`` and body text (or the
text frames each socket received), *normalised*: only what must differ between two
servers is replaced, see :class:`Normaliser`. Two answers are identical when their
normalised records are equal, byte for byte.

Usage::

    # the real server (../shared/real-v1, started fresh) against a local one started here
    python tools/compare_servers.py --real http://127.0.0.1:3100
    # record the real server's answers as the fixtures the test suite replays
    python tools/compare_servers.py --real http://127.0.0.1:3100 --record tests/parity/fixtures/v1.json
    # the local server against recorded answers (what tests/parity does, no real server needed)
    python tools/compare_servers.py --fixture tests/parity/fixtures/v1.json

The real server must be fresh (``start.sh`` empties it): the first account registered is
its admin. Its websocket is always opened with a ``client_id`` (without one, its worker
crashes), so that case is not compared.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
import websocket

#: The configuration of the real server of ``../shared/real-v1`` that shows in answers.
REAL_SERVER_NAME = "Real V1 Server"
REAL_SERVER_VERSION = "1.x.x"
SAMPLE_PLUGIN: dict[str, Any] = {
    "name": "Sample Plugin", "version": "0.1.0", "desc": "This plugin tests plugins",
    "serveFrom": "/sample-plugin", "author": "DAS", "contact": "test@dimitrie.org",
    "homepage": "https://dimitrie.org", "git": "https://github.com/speckleworks/SpeckleViewer",
    "sourceDir": "plugins/speckle-sample-plugin",
}
PASSWORD = "correct horse battery"
ROLES = ("admin", "owner", "writer", "reader", "stranger")
#: ``Authorization`` header of a token that is not one.
BAD_TOKEN = "JWT not-a-token"

Record = dict[str, Any]


# -- normalisation ----------------------------------------------------------------------------
_PATTERNS = [
    ("jwt", r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    ("uuid", r"(?<![0-9a-fA-F-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
             r"(?![0-9a-fA-F-])"),
    ("hash", r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"),
    ("oid", r"(?<![0-9a-f])[0-9a-f]{24}(?![0-9a-f])"),
    ("date", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"),
    ("stamp", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),
    ("locale", r"\d{1,2}/\d{1,2}/\d{4},? \d{1,2}:\d\d:\d\d(?: [AP]M)?"),
    ("ms", r'(?<="date":)\d{12,14}'),
    ("base", r"(?:https?|wss?)://127\.0\.0\.1:\d+"),
]
#: Node >= 16 wording of a TypeError, written back in the Node 10 wording v1 servers used.
_NODE_TYPE_ERROR = re.compile(r"Cannot read properties of (\w+) \(reading ('|&#39;)(.*?)\2\)")
#: Stack traces on Express error pages (paths of the server's installation).
_STACK_TRACE = re.compile(r"<br> &nbsp; &nbsp;at [^<]*")
#: ``JSON.parse`` messages: their wording changed with every Node version.
_JSON_SYNTAX = re.compile(r"SyntaxError: (?!<JSON)[^<]*")
_NUMBERED = {"uuid", "hash", "oid"}
_TOKEN_RE = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in _PATTERNS))
#: Keys whose string values are stream ids (shortids, not recognisable by their form).
_STREAM_ID_KEYS = {"streamId", "parent", "children", "deletedStreams", "streams"}
_SHORTID = re.compile(r"^[A-Za-z0-9_-]{7,14}$")


class Normaliser:
    """Replaces what must differ between two servers, consistently over one run.

    Generated ids and content hashes become ``<oid:N>``, ``<hash:N>``, ``<uuid:N>`` and
    ``<sid:N>`` (stream ids), numbered in order of first appearance over the run, so equal
    ids stay equal and distinct ones distinct; tokens become ``<jwt>`` (two tokens for one
    user signed within the same second are equal); dates and times become ``<date>``,
    ``<stamp>``, ``<locale>`` and ``<ms>``; the server's base URL ``<base>`` and its name
    ``<serverName>``; Node's wording of a ``TypeError`` the Node 10 one; stack traces on
    error pages are dropped and ``JSON.parse`` messages (worded by each Node version
    differently) become ``<JSON.parse message>``. Everything else (keys, their order, spacing, error texts) is
    kept as it is.
    """

    def __init__(self, server_name: str) -> None:
        self.server_name = server_name
        self.numbers: dict[str, dict[str, int]] = {kind: {} for kind in (*_NUMBERED, "sid")}
        self.stream_ids: set[str] = set()
        self._sid_re: re.Pattern[str] | None = None

    def learn(self, value: Any, key: str | None = None) -> None:
        """Remember the stream ids found in a JSON value (under :data:`_STREAM_ID_KEYS`)."""
        if isinstance(value, dict):
            for k, v in value.items():
                self.learn(v, k)
        elif isinstance(value, list):
            for item in value:
                self.learn(item, key)
        elif isinstance(value, str) and key in _STREAM_ID_KEYS and _SHORTID.match(value) \
                and not re.fullmatch(r"[0-9a-f]{24}", value) and value not in self.stream_ids:
            self.stream_ids.add(value)
            alternatives = "|".join(sorted(map(re.escape, self.stream_ids), key=len, reverse=True))
            self._sid_re = re.compile(f"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_-])")

    def _number(self, kind: str, raw: str) -> str:
        table = self.numbers[kind]
        if raw not in table:
            table[raw] = len(table) + 1
        return f"<{kind}:{table[raw]}>"

    def text(self, text: str) -> str:
        """Normalise a body, a frame or a request path."""

        def token(match: re.Match[str]) -> str:
            kind = match.lastgroup or ""
            return self._number(kind, match.group(0)) if kind in _NUMBERED else f"<{kind}>"

        if self._sid_re is not None:
            text = self._sid_re.sub(lambda m: self._number("sid", m.group(0)), text)
        text = _TOKEN_RE.sub(token, text)
        text = _NODE_TYPE_ERROR.sub(r"Cannot read property \2\3\2 of \1", text)
        text = _STACK_TRACE.sub("", text)
        text = _JSON_SYNTAX.sub("SyntaxError: <JSON.parse message>", text)
        if self.server_name:
            text = text.replace(json.dumps(self.server_name), '"<serverName>"')
        return text

    def body(self, raw: bytes) -> str:
        """Normalise a response body (stream ids are learnt from it first)."""
        text = raw.decode("utf-8", errors="replace")
        try:
            self.learn(json.loads(text))
        except ValueError:
            pass
        return self.text(text)


# -- websocket clients --------------------------------------------------------------------------
class Socket:
    """A websocket client reading text frames in a background thread."""

    def __init__(self, url: str) -> None:
        self.ws = websocket.create_connection(url, timeout=10, enable_multithread=True)
        self.ws.settimeout(None)
        self.frames: list[str] = []
        self.closed = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                opcode, data = self.ws.recv_data(control_frame=False)
            except Exception:  # closed by either side
                break
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            if opcode == websocket.ABNF.OPCODE_TEXT:
                with self.lock:
                    self.frames.append(data.decode("utf-8", errors="replace"))
        self.closed = True

    def drain(self) -> list[str]:
        """Frames received since the last drain."""
        with self.lock:
            out, self.frames = self.frames, []
        return out

    def close(self) -> None:
        """Close the connection."""
        try:
            self.ws.close(timeout=1)
        except Exception:  # already closed
            pass
        self.thread.join(timeout=2)


# -- the runner --------------------------------------------------------------------------------
_UNSET: Any = object()


@dataclass
class Runner:
    """Sends calls to one server and records its answers as they are (see :func:`normalise`)."""

    base_url: str
    ws_wait: float = 0.4
    #: Frame counts each websocket step is expected to see (from recorded answers): a step waits
    #: for them (up to ``ws_patience`` seconds) before its ``ws_wait``, so a loaded machine does
    #: not cut a step short.
    expected_frames: list[dict[str, int]] | None = None
    ws_patience: float = 5.0
    records: list[Record] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    apitokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)
    sockets: dict[str, Socket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.http = requests.Session()

    # -- HTTP ---------------------------------------------------------------------------------
    def call(self, method: str, path: str, role: str | None = None, json_body: Any = _UNSET, *,
             data: bytes | str | None = None, headers: dict[str, str] | None = None,
             label: str = "") -> Any:
        """Send one request (``path`` below ``/api`` unless it starts with ``!``); return its JSON."""
        url = self.base_url + (path[1:] if path.startswith("!") else "/api" + path)
        sent = dict(headers or {})
        if role is not None:
            sent["Authorization"] = BAD_TOKEN if role == "badtoken" else self.tokens.get(role, "")
        body: bytes | None = None
        if json_body is not _UNSET:
            body = json.dumps(json_body).encode("utf-8")
            sent.setdefault("Content-Type", "application/json")
        elif data is not None:
            body = data.encode("utf-8") if isinstance(data, str) else data
        response = self.http.request(method, url, data=body, headers=sent, timeout=60)
        content_type = response.headers.get("Content-Type", "")
        self.records.append({
            "label": label,
            "request": f"{method} {path.lstrip('!')}" + (f" as {role}" if role else ""),
            "status": response.status_code,
            "type": content_type,
            "body": response.content.decode("utf-8", errors="replace"),
        })
        try:
            return response.json()
        except ValueError:
            return None

    # -- websockets ---------------------------------------------------------------------------
    def ws_open(self, name: str, role: str | None, client_id: str, extra: str = "") -> None:
        """Connect a socket (always with a ``client_id``)."""
        query = f"client_id={quote(client_id)}"
        if role is not None:
            query += f"&access_token={quote(self.apitokens[role])}"
        url = self.base_url.replace("http", "ws", 1) + "/?" + query + extra
        self.sockets[name] = Socket(url)

    def ws_send(self, name: str, message: Any) -> None:
        """Send a text frame (a JSON value is written compactly)."""
        text = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
        self.sockets[name].ws.send(text)

    def ws_settle(self, label: str, wait: float | None = None) -> None:
        """Wait, then record what each socket received (heartbeat ``ping`` frames left out)."""
        frames: dict[str, list[str]] = {name: [] for name in sorted(self.sockets)}

        def collect() -> None:
            for name, sock in self.sockets.items():
                frames[name].extend(f for f in sock.drain() if f != "ping")

        step = sum(1 for r in self.records if r.get("request") == "websocket")
        if self.expected_frames is not None and step < len(self.expected_frames):
            wanted = self.expected_frames[step]
            deadline = time.monotonic() + self.ws_patience
            while time.monotonic() < deadline:
                collect()
                if all(len(frames.get(name, [])) >= count for name, count in wanted.items()):
                    break
                time.sleep(0.02)
        time.sleep(self.ws_wait if wait is None else wait)
        collect()
        self.records.append({
            "label": label, "request": "websocket", "frames": frames,
            "closed": sorted(name for name, sock in self.sockets.items() if sock.closed),
        })

    def ws_expect_heartbeat(self, label: str, name: str, timeout: float) -> None:
        """Wait for the server's heartbeat on one socket; record the frames up to it."""
        sock = self.sockets[name]
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and "ping" not in seen:
            seen.extend(sock.drain())
            time.sleep(0.05)
        self.records.append({"label": label, "request": "websocket heartbeat", "frames": {name: seen}})

    def ws_close(self, name: str) -> None:
        """Close one socket."""
        self.sockets.pop(name).close()

    def close(self) -> None:
        """Close every socket and the HTTP session."""
        for name in list(self.sockets):
            self.ws_close(name)
        self.http.close()


# -- the sequence of calls ------------------------------------------------------------------------
def _get(value: Any, *path: Any, default: Any = None) -> Any:
    """``value[path[0]][path[1]]...`` or ``default``."""
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return default
    return value


def scenario(run: Runner, heartbeat_timeout: float = 35.0) -> None:
    """The sequence of calls compared between servers."""
    _server_info(run)
    _accounts(run)
    _streams(run)
    _objects(run)
    _freshness(run)
    _clients(run)
    _comments(run)
    _projects(run)
    _casts(run)
    _bodies(run)
    _paths(run)
    _numbers(run)
    _websockets(run, heartbeat_timeout)


def _server_info(run: Runner) -> None:
    for path in ("/api", "/api/", "/api/v1", "/api/v1/", "/api/plugins", "/api/v0/streams", "/nothing",
                 "/api/nothing"):
        run.call("GET", "!" + path)
    run.call("POST", "!/api")
    run.call("OPTIONS", "/streams", headers={"Origin": "http://example.org", "Access-Control-Request-Method": "PUT",
                                             "Access-Control-Request-Headers": "authorization,content-type"})
    run.call("HEAD", "/streams/nope")
    run.call("GET", "/STREAMS/", "anonymous")


def _accounts(run: Runner) -> None:
    # registration rules
    run.call("POST", "/accounts/register", None, {})
    run.call("POST", "/accounts/register", None, {"email": "x@y.zz"})
    run.call("POST", "/accounts/register", None, {"email": "bad-email", "password": PASSWORD})
    run.call("POST", "/accounts/register", None, {"email": "short@speckle.test", "password": "short"})
    for role in ROLES:
        answer = run.call("POST", "/accounts/register", None, {
            "email": f"{role.upper()}@Speckle.Test", "password": PASSWORD, "name": role.title(),
            "surname": "Tester", "company": "Parity Inc.",
        }, label=f"register {role}")
        run.tokens[role] = _get(answer, "resource", "token", default="")
        run.apitokens[role] = _get(answer, "resource", "apitoken", default="")
    run.call("POST", "/accounts/register", None, {"email": "owner@speckle.test", "password": PASSWORD})
    run.call("POST", "/accounts/register", None, {"email": "Bare@Speckle.Test", "password": PASSWORD})
    run.call("POST", "/accounts/register", None, {"email": ["a@b.cc"], "password": PASSWORD})
    # login
    run.call("POST", "/accounts/login", None, {})
    run.call("POST", "/accounts/login", None, {"email": "nobody@speckle.test", "password": PASSWORD})
    run.call("POST", "/accounts/login", None, {"email": "owner@speckle.test", "password": "wrong password"})
    for role in ROLES:
        answer = run.call("POST", "/accounts/login", None, {"email": f"{role}@speckle.test", "password": PASSWORD})
        run.tokens[role] = "JWT " + str(_get(answer, "resource", "token", default="")).removeprefix("JWT ")
        run.ids[role] = _get(answer, "resource", "_id")
    # profiles
    for role in (None, "badtoken", "owner", "admin"):
        run.call("GET", "/accounts", role)
    for role in ("owner", "admin"):
        run.call("GET", "/accounts/admin", role)
    run.call("PUT", "/accounts", "owner",
             {"name": "Owen", "company": "", "role": "admin", "email": "OWNER@speckle.test"})
    run.call("PUT", "/accounts", "stranger", {"email": "not-an-email"})
    run.call("GET", "/accounts", "owner")
    for role in ("stranger", "admin"):
        run.call("GET", f"/accounts/{run.ids['owner']}", role)
    run.call("GET", "/accounts/not-an-id", "owner")
    run.call("GET", "/accounts/5f0000000000000000000000", "owner")
    run.call("PUT", f"/accounts/{run.ids['stranger']}", "owner", {"role": "admin"})
    run.call("PUT", f"/accounts/{run.ids['stranger']}", "admin", {"role": "admin"})
    run.call("PUT", f"/accounts/{run.ids['stranger']}", "admin", {
        "name": "Stan", "surname": "Ger", "company": "Else", "email": "stranger@speckle.test",
        "role": "user", "archived": False})
    run.call("PUT", "/accounts/not-an-id", "admin", {
        "name": "a", "surname": "b", "company": "c", "email": "d@e.fg", "role": "user", "archived": False})
    # search
    for body in ({}, {"searchString": "ab"}, {"searchString": "test"}, {"searchString": "owen"},
                 {"searchString": ["a", "b", "c"]}, {"searchString": "zzzz"}):
        run.call("POST", "/accounts/search", "reader", body)
    run.call("POST", "/accounts/search", None, {"searchString": "test"})


def _streams(run: Runner) -> None:
    o, w, r = run.ids["owner"], run.ids["writer"], run.ids["reader"]
    run.call("POST", "/streams", None, {"name": "anonymous"})
    answer = run.call("POST", "/streams", "owner", {
        "name": "Parity", "description": "first", "tags": ["a", "b"], "canRead": [r], "canWrite": [w],
        "objects": [{"type": "Point", "value": [1, 2, 3]}, {"type": "Line", "value": [0, 0, 0, 1, 1, 1]}],
        "layers": [{"name": "L1", "guid": "layer-one", "startIndex": 0, "objectCount": 2, "topology": "0-2 "}],
        "baseProperties": {"units": "m"}, "jobNumber": "123",
    })
    s1 = run.ids["s1"] = _get(answer, "resource", "streamId", default="missing")
    answer = run.call("POST", "/streams", "owner", {})
    s2 = run.ids["s2"] = _get(answer, "resource", "streamId", default="missing")
    answer = run.call("POST", "/streams", "stranger", {"name": "Private", "private": True})
    sp = run.ids["sp"] = _get(answer, "resource", "streamId", default="missing")
    run.call("POST", "/streams", "owner", {"name": "bad objects", "objects": "nope"})
    run.call("POST", "/streams", "owner", {"name": "bad entry", "objects": [None]})
    # reading, each role
    for role in (None, "badtoken", "owner", "writer", "reader", "stranger", "admin"):
        run.call("GET", f"/streams/{sp}", role)
    run.call("GET", f"/streams/{s1}", None)
    run.call("GET", f"/streams/{s2}", "reader")
    run.call("GET", "/streams/nope", "owner")
    for role in ("owner", "reader", "stranger", "admin"):
        run.call("GET", "/streams", role)
    for role in ("owner", "admin"):
        run.call("GET", "/streams/admin", role)
    # the query language
    for query in ("fields=name,tags", "omit=objects,layers", "fields=name&omit=tags", "sort=-name", "sort=name",
                  "limit=1", "limit=1&offset=1", "limit=-1", "limit=-2&offset=1", "offset=1", "skip=1",
                  "name=Parity", "name!=Parity",
                  "name=/^par/i", "name=Parity,Private", "private=false", "private=notabool",
                  "jobNumber=123", "jobNumber", "!jobNumber", "tags:size=2", "tags:all=a,b",
                  "baseProperties.units=m", "createdAt>2020-01-01", "updatedAt<2020-01-01",
                  "owner=not-an-id", f"owner={o}", "populatePermissions=true", "populatePermissions=1",
                  "_id=not-an-id", "limit=abc", "sort=", "fields=", "fields=name&populatePermissions=true",
                  "canRead=not-an-id", f"canWrite={w}"):
        run.call("GET", f"/streams?{query}", "owner")
    run.call("GET", "/streams/admin?fields=name&sort=name", "admin")
    for query in ("fields=name", "fields=name,objects", "omit=owner", "omit=objects,layers,name", "name=nothing"):
        run.call("GET", f"/streams/{s1}?{query}", "reader")
    # writing
    run.call("PUT", f"/streams/{s1}", None, {"name": "x"})
    for role in ("reader", "stranger"):
        run.call("PUT", f"/streams/{s1}", role, {"name": "nope"})
    run.call("PUT", f"/streams/{s1}", "writer", {"name": "Parity 2", "streamId": "other"})
    run.call("PUT", f"/streams/{s1}", "writer", {"canRead": [r, None]})
    run.call("PUT", f"/streams/{s1}", "writer", {"private": True, "description": "set by writer"})
    run.call("PUT", f"/streams/{s1}", "owner", {"canWrite": [w]})
    run.call("PUT", f"/streams/{s2}", "owner", {"objects": "nope"})
    run.call("PUT", f"/streams/{s2}", "owner", {"objects": [{"type": "Point", "value": [1, 2, 3]},
                                                            {"type": "Point", "value": [4, 5, 6]}]})
    run.call("GET", f"/streams/{s2}?fields=__v", "owner", label="version probe")
    run.call("PUT", f"/streams/{s2}", "owner", {"streamId": s2, "name": "Second"})
    run.call("PUT", "/streams/nope", "owner", {"name": "x"})
    for role in ("owner", "reader", "stranger", None):
        run.call("GET", f"/streams/{s1}", role)
    run.call("GET", f"/streams/{s2}", "owner")
    # objects and clients of a stream
    for query in ("", "?type=Point", "?fields=type", "?sort=-type", "?limit=1"):
        run.call("GET", f"/streams/{s1}/objects{query}", "reader")
    run.call("GET", f"/streams/{sp}/objects", "owner")
    run.call("GET", "/streams/nope/objects", "owner")
    run.call("GET", f"/streams/{s1}/clients", "reader")
    run.call("GET", f"/streams/{sp}/clients", "owner")
    run.call("GET", "/streams/nope/clients", "owner")
    # clone, diff, delta
    run.call("POST", f"/streams/{sp}/clone", "owner", {})
    answer = run.call("POST", f"/streams/{s1}/clone", "reader", {"name": "Reader's clone"})
    run.ids["clone"] = _get(answer, "clone", "streamId", default="missing")
    answer = run.call("POST", f"/streams/{s2}/clone", "owner", {})
    run.ids["clone2"] = _get(answer, "clone", "streamId", default="missing")
    run.call("GET", f"/streams/{s2}?fields=__v", "owner", label="version probe")
    run.call("POST", "/streams/nope/clone", "owner", {})
    run.call("GET", f"/streams/{s1}", "owner")
    run.call("GET", f"/streams/{s1}/diff/{s2}", "owner")
    run.call("GET", f"/streams/{s1}/diff/{s1}", "owner")
    run.call("GET", f"/streams/{s1}/diff/nope", "owner")
    run.call("GET", f"/streams/{s1}/diff/{sp}", "owner")
    run.call("GET", f"/streams/{s2}/diff/{run.ids['clone2']}", None)
    run.call("GET", f"/streams/{s1}/delta/{s2}", "owner")
    run.call("GET", f"/streams/{s1}/delta/{s1}", "owner")
    run.call("GET", f"/streams/{s1}/delta/nope", "owner")
    run.call("POST", f"/streams/{s2}/delta", "owner", {})
    run.call("GET", f"/streams/{s2}?fields=__v", "owner", label="version probe")
    run.call("POST", f"/streams/{s2}/delta", "owner", {"revisionA": {"id": "other"}})
    run.call("GET", f"/streams/{s2}?fields=__v", "owner", label="version probe")
    run.call("POST", f"/streams/{s2}/delta", "owner", {"revisionA": {"id": s2}, "created": "x"})
    run.call("GET", f"/streams/{s2}?fields=__v", "owner", label="version probe")
    run.call("POST", f"/streams/{s2}/delta", "owner", {
        "revisionA": {"id": s2}, "created": [{"type": "Point", "value": [7, 8, 9]}], "deleted": []})
    run.call("GET", f"/streams/{s2}?fields=__v", "owner", label="version probe")
    run.call("POST", f"/streams/{s2}/delta", "owner", {
        "revisionA": {"id": s2}, "created": [], "deleted": [{"_id": "5f0000000000000000000000"}]})
    run.call("GET", f"/streams/{s2}/objects", "owner")


def _objects(run: Runner) -> None:
    answer = run.call("POST", "/objects", "owner", [
        {"type": "Point", "value": [1, 2, 3]}, {"type": "Brep", "name": "b", "properties": {"k": 1}},
        {"type": "Point", "value": [1, 2, 3]}])
    ids = [_get(answer, "resources", i, "_id", default="5f0000000000000000000001") for i in range(3)]
    run.ids["obj"] = ids[1]
    answer = run.call("POST", "/objects", "stranger", {"type": "Secret", "private": True, "hash": "custom-hash"})
    secret = _get(answer, "resources", 0, "_id", default="5f0000000000000000000002")
    run.call("POST", "/objects", "owner", [{"name": "no type"}])
    run.call("POST", "/objects", "owner", ["a string"])
    run.call("POST", "/objects", "owner", [{"type": "Placeholder", "_id": ids[0]}])
    run.call("POST", "/objects", None, [{"type": "Point"}])
    for role in (None, "owner", "stranger", "admin"):
        run.call("GET", f"/objects/{secret}", role)
    run.call("GET", f"/objects/{ids[1]}", None)
    run.call("GET", f"/objects/{ids[1]}?fields=name", "reader")
    run.call("GET", f"/objects/{ids[1]}?omit=properties,owner", "reader")
    run.call("GET", "/objects/not-an-id", "owner")
    run.call("GET", "/objects/5f0000000000000000000000", "owner")
    # getbulk
    run.call("POST", "/objects/getbulk", "owner", [ids[1], ids[0], ids[1], secret])
    run.call("POST", "/objects/getbulk/", None, [ids[0], secret])
    run.call("POST", "/objects/getbulk?fields=type", "owner", [ids[1], ids[0]])
    run.call("POST", "/objects/getbulk?type=Point", "owner", [ids[1], ids[0]])
    run.call("POST", "/objects/getbulk", "owner", [ids[0], "not-an-id"])
    run.call("POST", "/objects/getbulk", "owner", {"ids": [ids[0]]})
    run.call("POST", "/objects/getbulk", "owner", "just text")
    run.call("POST", "/objects/getbulk", "owner", [])
    run.call("POST", "/objects/getbulk", "owner", {})
    run.call("POST", "/objects/getbulk", "owner", [{"a": 1}])
    # derive, update, delete
    run.call("POST", "/objects/derive", "owner", [{"_id": ids[1], "name": "derived"}])
    run.call("POST", "/objects/derive", "owner", {"_id": ids[1]})
    run.call("POST", "/objects/derive", "owner", [{"_id": "not-an-id"}])
    run.call("POST", "/objects/derive", "owner", [{"_id": secret, "name": "stolen"}])
    run.call("PUT", f"/objects/{ids[1]}", "stranger", {"name": "nope"})
    run.call("PUT", f"/objects/{ids[1]}", "owner", {"name": "renamed"})
    run.call("PUT", f"/objects/{ids[1]}", "owner", {"name": "not saved", "_id": "x"})
    run.call("PUT", f"/objects/{ids[1]}/properties", "owner", {"extra": True})
    run.call("PUT", f"/objects/{ids[0]}/properties", "owner", {"extra": True})
    run.call("PUT", "/objects/not-an-id", "owner", {"name": "x"})
    run.call("GET", f"/objects/{ids[1]}", "owner")
    # empty objects: dropped when saved (mongoose minimize), except on declared paths of an update
    answer = run.call("POST", "/objects", "owner", [
        {"type": "Empty", "properties": {}}, {"type": "Nested", "w": {"a": 1, "b": {}}, "properties": {"p": {}}}])
    empty = [_get(answer, "resources", i, "_id", default="5f0000000000000000000003") for i in range(2)]
    run.call("POST", "/objects/getbulk", "owner", empty)
    run.call("PUT", f"/objects/{empty[0]}/properties", "owner", {"colour": "red"})
    run.call("GET", f"/objects/{empty[0]}", "owner")
    run.call("PUT", f"/objects/{empty[1]}", "owner", {"z": {"y": {}}, "w": {"a": 2, "b": {}}, "properties": {"p": {}}})
    run.call("GET", f"/objects/{empty[1]}", "owner")
    run.call("POST", "/objects/getbulk", "owner", empty)
    run.call("DELETE", f"/objects/{ids[1]}", "stranger")
    run.call("DELETE", f"/objects/{ids[1]}", "owner")
    run.call("DELETE", f"/objects/{ids[1]}", "owner")
    run.call("DELETE", "/objects/not-an-id", "owner")


def _freshness(run: Runner) -> None:
    """What ``client.receive`` asks to know what changed: objects changed since a time, counts
    of a stream's objects (offset/limit over distinct objects), and when ``updatedAt`` moves."""
    answer = run.call("POST", "/objects", "owner", [
        {"type": "Point", "value": [7, 7, 7], "n": 1}, {"type": "Line", "value": [0, 0, 0, 7, 7, 7]},
        {"type": "Point", "value": [8, 8, 8], "properties": None}])
    ids = [_get(answer, "resources", i, "_id", default=f"5f000000000000000000001{i}") for i in range(3)]
    a, b, c = ids
    answer = run.call("POST", "/streams", "owner", {"name": "fresh", "objects": [
        {"type": "Placeholder", "_id": i} for i in (a, b, a, c)]})
    sid = _get(answer, "resource", "streamId", default="none")
    created = _get(run.call("GET", f"/objects/{a}", "owner"), "resource", "updatedAt", default="2020-01-01")
    time.sleep(0.01)
    run.call("PUT", f"/objects/{a}", "owner", {"n": 1})  # no value changes: nothing saved
    run.call("PUT", f"/objects/{c}/properties", "owner", {"k": 1})  # properties null: saved all the same
    run.call("PUT", f"/objects/{b}", "owner", {"name": "changed"})
    for query in (f"fields=updatedAt&updatedAt>{created}", f"fields=updatedAt&updatedAt%3E={created}",
                  "fields=updatedAt&updatedAt%3E=2999-01-01T00:00:00.000Z",
                  "fields=updatedAt&updatedAt%3E=1970-01-01T00:00:00.000Z&limit=2&offset=2",
                  "fields=updatedAt&updatedAt%3E=1970-01-01T00:00:00.000Z&limit=2&offset=3",
                  "fields=updatedAt&updatedAt%3E%3D=2026-12-02T14:39:18.637Z"):
        run.call("GET", f"/streams/{sid}/objects?{query}", "owner")
    run.call("DELETE", f"/objects/{b}", "owner")
    for offset in (1, 2):  # a count after the deletion
        run.call("GET", f"/streams/{sid}/objects?fields=updatedAt&updatedAt%3E=1970-01-01T00:00:00.000Z&limit=2"
                        f"&offset={offset}", "owner")


def _clients(run: Runner) -> None:
    s1 = run.ids["s1"]
    run.call("POST", "/clients", None, {"role": "Receiver"})
    run.call("POST", "/clients", "owner", {"isAnonymous": True})
    answer = run.call("POST", "/clients", "owner", {
        "role": "Sender", "documentName": "doc", "documentType": "Rhino", "streamId": s1, "extra": "dropped"})
    c1 = run.ids["c1"] = _get(answer, "resource", "_id", default="5f0000000000000000000003")
    answer = run.call("POST", "/clients", "reader", {"role": "Receiver", "streamId": run.ids["s2"]})
    c2 = _get(answer, "resource", "_id", default="5f0000000000000000000004")
    for role in ("owner", "reader", "stranger"):
        run.call("GET", "/clients", role)
    run.call("GET", "/clients?fields=role&sort=-role", "owner")
    for role in ("owner", "reader", "stranger", None):
        run.call("GET", f"/clients/{c1}", role)
    run.call("GET", "/clients/not-an-id", "owner")
    run.call("GET", "/clients/5f0000000000000000000000", "owner")
    run.call("PUT", f"/clients/{c1}", "reader", {"online": False})
    run.call("PUT", f"/clients/{c1}", "writer", {"online": False, "documentName": "renamed", "junk": 1})
    run.call("PUT", "/clients/not-an-id", "owner", {"online": False})
    run.call("GET", f"/streams/{s1}/clients", "reader")
    run.call("PUT", f"/clients/{c1}", "owner", {"__v": 9, "canRead": [run.ids["reader"]]}, label="stale __v (client)")
    run.call("GET", f"/streams/{s1}/delta/{run.ids['s2']}", "owner")
    run.call("DELETE", f"/clients/{c2}", "stranger")
    run.call("DELETE", f"/clients/{c2}", "owner")
    run.call("DELETE", "/clients/not-an-id", "owner")


def _comments(run: Runner) -> None:
    s1, sp = run.ids["s1"], run.ids["sp"]
    run.call("POST", f"/comments/stream/{s1}", "reader", {"text": "hello"})
    answer = run.call("POST", f"/comments/stream/{s1}", "owner", {
        "text": "assigned", "assignedTo": [run.ids["reader"]], "labels": ["x"], "priority": "high"})
    cm = _get(answer, "resource", "_id", default="5f0000000000000000000005")
    run.call("POST", f"/comments/stream/{s1}", "owner", {})
    run.call("POST", f"/comments/stream/{sp}", "owner", {"text": "nope"})
    run.call("POST", f"/comments/stream/{s1}", None, {"text": "anonymous"})
    run.call("POST", "/comments/stream/nope", "owner", {"text": "x"})
    run.call("POST", f"/comments/object/{run.ids['obj']}", "owner", {"text": "x"})
    run.call("POST", "/comments/object/not-an-id", "owner", {"text": "x"})
    run.call("POST", f"/comments/user/{run.ids['owner']}", "owner", {"text": "x"})
    run.call("POST", f"/comments/unknown/{s1}", "owner", {"text": "x"})
    for role in (None, "reader", "stranger"):
        run.call("GET", f"/comments/stream/{s1}", role)
    run.call("GET", f"/comments/user/{run.ids['owner']}", "owner")
    run.call("GET", f"/comments/unknown/{s1}", "owner")
    for role in (None, "owner", "reader", "admin"):
        run.call("GET", f"/comments/{cm}", role)
    run.call("GET", "/comments/not-an-id", "owner")
    for role in ("owner", "reader"):
        run.call("GET", "/comments", role)
        run.call("GET", "/comments/assigned", role)
    run.call("GET", "/comments?sort=-text&fields=text", "owner")
    run.call("PUT", f"/comments/{cm}", "reader", {"text": "no"})
    run.call("PUT", f"/comments/{cm}", "owner", {"text": "edited", "closed": True, "junk": 1})
    run.call("GET", f"/comments/{cm}", "owner")
    run.call("PUT", f"/comments/{cm}", "owner", {"__v": 7, "labels": ["stale"]}, label="stale __v (comment)")
    run.call("PUT", f"/comments/{cm}", "owner", {"__v": 7, "text": "no list changed"})
    run.call("DELETE", f"/comments/{cm}", "reader")
    run.call("DELETE", f"/comments/{cm}", "owner")
    run.call("DELETE", "/comments/not-an-id", "owner")
    run.call("GET", f"/comments/stream/{s1}", "owner")


def _projects(run: Runner) -> None:
    s1, s2 = run.ids["s1"], run.ids["s2"]
    r, w, st = run.ids["reader"], run.ids["writer"], run.ids["stranger"]
    answer = run.call("POST", "/projects", "owner", {"name": "Project", "tags": ["p"]})
    p = _get(answer, "resource", "_id", default="5f0000000000000000000006")
    run.call("POST", "/projects", "stranger", {})
    run.call("POST", "/projects", None, {})
    for role in ("owner", "stranger"):
        run.call("GET", "/projects", role)
    run.call("GET", "/projects?fields=name&sort=-name", "owner")
    run.call("GET", "/projects/admin", "admin")
    run.call("GET", "/projects/admin", "owner")
    for role in ("owner", "stranger", "admin"):
        run.call("GET", f"/projects/{p}", role)
    run.call("GET", "/projects/not-an-id", "owner")
    run.call("GET", "/projects/5f0000000000000000000000", "owner")
    run.call("PUT", f"/projects/{p}", "stranger", {"name": "nope"})
    run.call("PUT", f"/projects/{p}", "owner", {"name": "Renamed", "description": "d"})
    run.call("PUT", f"/projects/{p}/addstream/{s1}", "owner")
    run.call("PUT", f"/projects/{p}/addstream/{s2}", "owner")
    run.call("PUT", f"/projects/{p}/addstream/nope", "owner")
    run.call("GET", f"/streams/{s2}?fields=__v", "owner", label="version probe")
    run.call("PUT", f"/projects/{p}/adduser/{r}", "owner")
    run.call("PUT", f"/projects/{p}/adduser/{w}", "owner")
    run.call("PUT", f"/projects/{p}/adduser/not-an-id", "owner")
    run.call("PUT", f"/projects/{p}/upgradeuser/{w}", "owner")
    run.call("PUT", f"/projects/{p}/downgradeuser/{w}", "owner")
    run.call("PUT", f"/projects/{p}/upgradeuser/{st}", "owner")
    run.call("GET", f"/streams/{s2}?fields=__v", "owner", label="version probe")
    for action in ("upgradeuser", "downgradeuser"):
        run.call("PUT", f"/projects/{p}/{action}/not-an-id", "owner")
    run.call("DELETE", f"/projects/{p}/removeuser/not-an-id", "owner")
    run.call("GET", f"/projects/{p}", "reader")
    run.call("GET", f"/streams/{s2}", "reader")
    run.call("DELETE", f"/projects/{p}/removeuser/{r}", "owner")
    run.call("DELETE", f"/projects/{p}/removestream/{s2}", "owner")
    run.call("DELETE", f"/projects/{p}/removestream/nope", "owner")
    run.call("GET", f"/projects/{p}", "owner")
    run.call("PUT", f"/projects/{p}", "owner", {"__v": 0, "tags": ["stale"]}, label="stale __v (project)")
    run.call("DELETE", f"/projects/{p}", "stranger")
    run.call("DELETE", f"/projects/{p}", "owner")
    run.call("DELETE", "/projects/not-an-id", "owner")
    run.call("DELETE", "/projects/5f0000000000000000000000", "owner")
    run.call("PUT", f"/streams/{s1}", "owner", {"__v": 0, "tags": ["stale"]}, label="stale __v (stream)")
    run.call("PUT", f"/streams/{s1}", "owner", {"__v": 0, "description": "stale, no list"})
    # stream deletion last: its children go with it
    run.call("DELETE", f"/streams/{run.ids['clone']}", "owner")
    run.call("DELETE", f"/streams/{s2}", "stranger")
    run.call("DELETE", f"/streams/{s2}", "owner")
    run.call("DELETE", "/streams/nope", "owner")
    run.call("GET", "/streams?fields=name,children", "owner")


def _casts(run: Runner) -> None:
    """Wrongly typed fields: mongoose's CastError/ValidationError answers."""
    s1, c1 = run.ids["s1"], run.ids["c1"]
    run.call("POST", "/clients", "owner", {"online": "notabool", "streamId": s1})
    run.call("PUT", f"/clients/{c1}", "owner", {"online": "notabool"})
    run.call("POST", "/streams", "owner", {"private": "notabool"})
    run.call("PUT", f"/streams/{s1}", "owner", {"private": "notabool"})
    run.call("PUT", f"/streams/{s1}", "owner", {"canRead": ["not-an-id"]})
    run.call("POST", "/projects", "owner", {"private": "notabool"})
    run.call("POST", f"/comments/stream/{s1}", "owner", {"text": "x", "closed": "notabool"})
    run.call("POST", "/objects", "owner", [{"type": "Point", "private": "notabool"}])


def _bodies(run: Runner) -> None:
    s1 = run.ids["s1"]
    json_type = {"Content-Type": "application/json"}
    run.call("PUT", f"/streams/{s1}", "owner", data='{"name": broken', headers=json_type)
    run.call("PUT", f"/streams/{s1}", "owner", data="[1,2", headers=json_type)
    run.call("PUT", f"/streams/{s1}", "owner", data="", headers=json_type)
    run.call("PUT", f"/streams/{s1}", "owner", data='"text"', headers=json_type)
    run.call("PUT", f"/streams/{s1}", "owner", data="null", headers=json_type)
    run.call("PUT", f"/streams/{s1}", "owner", data='{"name":"plain"}', headers={"Content-Type": "text/plain"})
    run.call("PUT", f"/streams/{s1}", "owner", data="name=form&tags=a&tags=b",
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    run.call("PUT", f"/streams/{s1}", "owner", data='{"name":"Ünïcödé ✓"}',
             headers={"Content-Type": "application/json; charset=utf-8"})
    run.call("PUT", f"/streams/{s1}", "owner", data='{"name":"latin"}'.encode("latin-1"),
             headers={"Content-Type": "application/json; charset=latin1"})
    run.call("PUT", f"/streams/{s1}", "owner", data='{"name":"x"}',
             headers={"Content-Type": "application/json; charset=klingon"})
    run.call("PUT", f"/streams/{s1}", "owner", data=b'{"name":"\xff"}', headers=json_type)
    run.call("PUT", f"/streams/{s1}", "owner", data=gzip.compress(b'{"name":"zipped"}'),
             headers={**json_type, "Content-Encoding": "gzip"})
    run.call("PUT", f"/streams/{s1}", "owner", data=b'{"name":"x"}', headers={**json_type, "Content-Encoding": "br"})
    run.call("PUT", f"/streams/{s1}", "owner", data=b"not gzip", headers={**json_type, "Content-Encoding": "gzip"})
    run.call("GET", f"/streams/{s1}?fields=name", "owner")
    big = b'{"name":"' + b"x" * (10 * 1024 * 1024) + b'"}'
    run.call("PUT", f"/streams/{s1}", "owner", data=big, headers=json_type)
    run.call("PUT", f"/streams/{s1}", "owner", data="name=" + "y" * (101 * 1024),
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    run.call("POST", "/objects", "owner", data=b'{"type":"Big","value":"' + b"z" * (9 * 1024 * 1024) + b'"}',
             headers=json_type)


def _paths(run: Runner) -> None:
    """Keys as mongoose sets them on open models: dotted keys are paths, objects merge into
    undeclared paths, ``Mixed`` paths are replaced; the driver's key checks on insert."""
    answer = run.call("POST", "/streams", "owner", {"name": "paths", "u": {"a": 1, "b": {"c": 2}},
                                                      "baseProperties": {"x": 1}, "k.l": {"m": 1}, "e": {}})
    sid = _get(answer, "resource", "streamId", default="none")
    for body in ({"u": {"b": {"d": 3}}}, {"u": {}}, {"v": {}}, {"baseProperties": {"y": 2}},
                 {"baseProperties.z": 3}, {"u.b.e": 4, "u.f": [1, {"g": 2}]}, {"a..b": 1, ".c": 2, "d.": 3},
                 {"w": [{"m.n": 1}], "$q": 1, "q": {"$r": 1}}, {"u": None}, {"u.a.deep": 1},
                 {"name.x": 1}, {"private.x": 1}, {"u.f.h": 1}, {"t": {"f.g": {"h": 1}}}):
        run.call("PUT", f"/streams/{sid}", "owner", body)
    run.call("GET", f"/streams/{sid}?omit=objects,layers", "owner")
    for body in ({"name": "p", "$q": 1}, {"name": "p", "q": {"r": [{"$s": 1}]}}, {"name": "p", "w": [{"m.n": 1}]},
                 {"name": "p", "x": {"y": {}}, "z": 1}, {"name": "p", "key\u0000": 1}):
        run.call("POST", "/streams", "owner", body)
    answer = run.call("POST", "/objects", "owner",
                      [{"type": "Paths", "u": {"a": 1}, "p.q": 2, "e": {}, "o": {"p": {}}}])
    oid = _get(answer, "resources", 0, "_id", default="5f0000000000000000000099")
    run.call("PUT", f"/objects/{oid}", "owner", {"u": {"b": 2}, "properties.r": 3, "$z": 1, "v": {}})
    run.call("PUT", f"/objects/{oid}/properties", "owner", {"s.t": 1, "n": {"o.p": 1}})
    run.call("GET", f"/objects/{oid}", "owner")
    for body in ([{"type": "Paths", "n": 1}, {"type": "Paths", "$z": 1}], [{"type": "Paths", "l": [{"a.b": 1}]}]):
        run.call("POST", "/objects", "owner", body)
    answer = run.call("POST", "/projects", "owner", {"name": "paths", "k.l": 1, "u": {"a": 1}})
    pid = _get(answer, "resource", "_id", default="5f0000000000000000000098")
    run.call("PUT", f"/projects/{pid}", "owner", {"u": {"b": 2}, "permissions.x": 1})
    run.call("GET", f"/projects/{pid}", "owner")
    # numbers in paths index arrays; closed models set paths into Mixed ones and array items only
    answer = run.call("POST", "/streams", "owner", {"name": "items", "tags": ["a", "b"], "arr": [1, {"k": 1}],
                                                      "layers": [{"name": "L"}]})
    sid = _get(answer, "resource", "streamId", default="none")
    for body in ({"tags.0": "z"}, {"tags.3": "w"}, {"arr.1.k": 2}, {"arr.0.q": 1}, {"arr.5": 7}, {"arr.x": 1},
                 {"layers.0.name": "M"}, {"arr.01": 3}, {"tags.1": {"a": 1}}, {"arr": {"0": 9}}):
        run.call("PUT", f"/streams/{sid}", "owner", body)
    run.call("GET", f"/streams/{sid}?fields=tags,arr,layers,__v", "owner")
    answer = run.call("POST", f"/comments/stream/{sid}", "owner", {"text": "t", "labels.0": "a", "view.c": 1,
                                                                    "x.y": 1})
    cid = _get(answer, "resource", "_id", default="5f0000000000000000000096")
    for body in ({"labels.2": "c"}, {"view.d.e": 2}, {"view": {"o.p": 3}}, {"text.x": 1}):
        run.call("PUT", f"/comments/{cid}", "owner", body)
    run.call("GET", f"/comments/{cid}", "owner")
    run.call("POST", f"/comments/stream/{sid}", "owner", {"text": "t", "view": {"a.b": 1}})
    answer = run.call("POST", f"/comments/stream/{sid}", "owner", {"text": "o", "otherResources": [
        {"resourceType": "stream", "resourceId": "x"}, {}, None]})  # subdocuments get an _id
    cid = _get(answer, "resource", "_id", default="5f0000000000000000000095")
    run.call("PUT", f"/comments/{cid}", "owner", {"otherResources": {}, "priority": "p", "status": "s", "zz": 1})
    run.call("GET", f"/comments/{cid}", "owner")
    # found by random updates compared with the real server: JSON.parse puts index keys first;
    # an object made by the update sets its arrays whole (no __v); a path through a stored false
    # is the database's error; the defaults a save adds sort with the new keys; canRead null crashes
    answer = run.call("POST", "/streams", "owner", {"name": "found", "u": {"k": 1}, "f": False})
    sid = _get(answer, "resource", "streamId", default="none")
    for body in ({"y": {"q": [7], "0": {"1": "", "0": -1}}}, {"f.0": 1}, {"commitMessage": "m", "a": 1},
                 {"globalMeasures.units": {"r.s": None}}, {"tags": None, "tags.1": "x"}, {"tags.1": [None]},
                 {"canRead": None, "private": "maybe"}, {"layers": [{"name": "L"}]}, {"layers.0.name": {"p": 1}},
                 {"x": "str", "x.0": 1}, {"u": {"0": "a", "p": 1}}, {"f.x": 1, "jobNumber": {"p": 1}}):
        run.call("PUT", f"/streams/{sid}", "owner", body)
    run.call("GET", f"/streams/{sid}?omit=objects", "owner")
    # a hash is computed when JavaScript finds none: {} and [] are true, 0 and "" false
    for entry in ({"type": "H", "hash": {}}, {"type": "H", "hash": 0, "n": 1}, {"type": "H", "hash": "", "n": 2},
                  {"type": "H", "hash": [], "n": 3}, {"type": None, "private": "x.y", "geometryHash": {"p": [7]}}):
        run.call("POST", "/objects", "owner", [entry])


def _numbers(run: Runner) -> None:
    """Numbers as JavaScript reads and writes them: integral floats, exponents, integers beyond
    2**53, overflow; the hash v1 computes is the MD5 of ``JSON.stringify`` (duplicates found)."""
    numbers = ("[1.0,2.50,1e21,1e-7,-0.0,123456789012345680000,0.30000000000000004,9007199254740993,1E400,"
               "-1e-400,100000000000000000000000,5e-324,1.7976931348623157e308,0.1e1,1.5E+3,2e-6,3.47e-6,"
               "1e16,4.5e16,9470000000000000.0,1e20]")
    json_type = {"Content-Type": "application/json"}
    answer = run.call("POST", "/objects", "owner", data='[{"type":"Numbers","v":' + numbers + "}]", headers=json_type)
    oid = _get(answer, "resources", 0, "_id", default="5f0000000000000000000097")
    run.call("GET", f"/objects/{oid}", "owner")
    run.call("POST", "/objects/getbulk", "owner", [oid])
    # the same numbers written otherwise: the same JSON.stringify, so the same hash and object
    run.call("POST", "/objects", "owner", data='[{"type":"Numbers","v":' + numbers.replace("1.0,", "1,") + "}]",
             headers=json_type)
    run.call("PUT", f"/objects/{oid}", "owner", data='{"w":[2e-6,1e17,5.0]}', headers=json_type)
    run.call("GET", f"/objects/{oid}?fields=w", "owner")


def _websockets(run: Runner, heartbeat_timeout: float) -> None:
    s1, sp = run.ids["s1"], run.ids["sp"]
    run.ws_open("owner", "owner", "ws-owner")
    run.ws_open("reader", "reader", "ws-reader")
    run.ws_open("stranger", "stranger", "ws-stranger")
    run.ws_open("anonymous", None, "ws-anonymous", f"&stream_id={s1}")
    run.ws_settle("sockets opened")
    run.ws_open("duplicate", "owner", "ws-owner")
    run.ws_settle("duplicate client id")
    run.ws_send("reader", {"eventName": "join", "streamId": s1})
    run.ws_send("owner", {"eventName": "join", "resourceType": "stream", "resourceId": s1})
    run.ws_settle("joins")
    run.ws_send("owner", {"eventName": "join", "resourceType": "stream", "resourceId": s1})
    run.ws_send("reader", {"eventName": "join", "streamId": s1})
    run.ws_settle("joins again")
    run.ws_send("stranger", {"eventName": "join", "streamId": sp})
    run.ws_settle("join of a private stream (its owner)")
    run.ws_send("anonymous", {"eventName": "join", "resourceType": "stream", "resourceId": sp})
    run.ws_settle("anonymous join of a private stream")
    run.ws_send("reader", {"eventName": "join", "resourceType": "stream", "resourceId": sp})
    run.ws_settle("join of a private stream (no permission)")
    run.ws_send("owner", {"eventName": "join", "resourceType": "project", "resourceId": "5f0000000000000000000000"})
    run.ws_settle("join of a missing resource")
    run.ws_send("owner", {"eventName": "join", "resourceType": "object", "resourceId": "not-an-id"})
    run.ws_settle("join with a malformed id")
    run.ws_send("stranger", {"eventName": "join", "resourceType": "stream", "resourceId": s1})
    run.ws_send("stranger", {"eventName": "leave", "roomName": f"stream-{s1}"})
    run.ws_send("owner", {"eventName": "broadcast", "resourceType": "stream", "resourceId": s1, "args": {"b": 2}})
    run.ws_settle("join, leave by room name, broadcast")
    run.ws_send("owner", {"eventName": "broadcast", "streamId": s1, "args": {"eventType": "update-global"}})
    run.ws_settle("broadcast to a stream room")
    run.ws_send("reader", '{"eventName":"broadcast","resourceType":"stream","resourceId":"' + s1 + '","args":{"a":1}}')
    run.ws_settle("broadcast by resource")
    run.ws_send("owner", {"eventName": "broadcast", "args": {}})
    run.ws_send("owner", {"eventName": "message", "recipientId": "ws-stranger", "args": {"hello": "there"}})
    run.ws_settle("direct message")
    run.ws_send("owner", {"eventName": "message", "recipientId": "nobody", "args": {}})
    run.ws_send("owner", {"eventName": "message", "args": {}})
    run.ws_send("owner", "not json")
    run.ws_send("owner", {"no": "eventName"})
    run.ws_send("owner", {"eventName": "unknown"})
    run.ws_send("owner", "alive")
    run.ws_settle("malformed messages and heartbeat answer")
    run.ws_send("reader", {"eventName": "leave", "streamId": s1})
    run.ws_send("owner", {"eventName": "broadcast", "streamId": s1, "args": {"after": "leave"}})
    run.ws_settle("broadcast after leave")
    run.ws_close("duplicate")
    run.ws_close("owner")
    run.ws_open("again", "owner", "ws-owner")
    run.ws_settle("client id free again after close")
    run.ws_expect_heartbeat("server heartbeat", "again", heartbeat_timeout)
    run.close()


# -- running and comparing ---------------------------------------------------------------------------
def run_against(base_url: str, ws_wait: float = 0.4, heartbeat_timeout: float = 35.0,
                expected: list[Record] | None = None) -> list[Record]:
    """Run :func:`scenario` against one server and return its records (raw answers).

    ``expected``: recorded answers to the same calls; websocket steps then wait for as many
    frames as were recorded (the comparison still sees whatever arrives).
    """
    counts = None if expected is None else [
        {name: len(got) for name, got in r["frames"].items()} for r in expected if r.get("request") == "websocket"
    ]
    runner = Runner(base_url, ws_wait, expected_frames=counts)
    try:
        scenario(runner, heartbeat_timeout)
    finally:
        runner.close()
    return runner.records


@contextmanager
def local_server(heartbeat_interval: float = 30.0) -> Iterator[str]:
    """A fresh local server configured like the real one of ``../shared/real-v1``; yields its URL.

    A ``heartbeat_interval`` under the real 30 s (to test heartbeats quickly) comes without the
    missed-heartbeat warnings, which would otherwise arrive during the scenario.
    """
    from speckle.devserver import LocalServer

    quiet = {} if heartbeat_interval >= 30 else {"warn_after_missed": 10_000, "kick_after_missed": 20_000}
    with LocalServer(
        bcrypt_rounds=4, name=REAL_SERVER_NAME, version=REAL_SERVER_VERSION, plugins=[SAMPLE_PLUGIN],
        heartbeat_interval=heartbeat_interval, **quiet,
    ) as server:
        yield server.url


@dataclass
class Report:
    """The outcome of comparing two runs of :func:`scenario`."""

    calls: int = 0
    equal_status: int = 0
    identical: int = 0
    differences: list[tuple[Record, Record | None]] = field(default_factory=list)

    def text(self, limit: int = 0) -> str:
        """A readable summary (``limit``: how many differences to show, 0 for all)."""
        lines = [f"calls: {self.calls}", f"equal statuses: {self.equal_status}/{self.calls}",
                 f"identical answers: {self.identical}/{self.calls}",
                 f"differences: {len(self.differences)}"]
        shown = self.differences if not limit else self.differences[:limit]
        for expected, got in shown:
            lines.append(f"--- {expected['label']} [{expected['request']}]")
            for key in ("status", "type", "body", "frames", "closed"):
                if key in expected and (got is None or got.get(key) != expected.get(key)):
                    want, have = _window(expected.get(key), None if got is None else got.get(key))
                    lines.append(f"  {key}: expected {want}")
                    lines.append(f"  {key}:      got {have}")
        return "\n".join(lines)


def _window(want: Any, have: Any, width: int = 500) -> tuple[str, str]:
    """Both values as text, cut to a window around where they start to differ."""
    a, b = (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in (want, have))
    start = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(0, start - width // 3)

    def cut(text: str) -> str:
        part = text[start : start + width]
        return ("..." if start else "") + part + (f"... ({len(text)} chars)" if start + width < len(text) else "")

    return cut(a), cut(b)


def normalise(records: list[Record], server_name: str = REAL_SERVER_NAME) -> list[Record]:
    """The records of one run, normalised by one :class:`Normaliser` (labels default to requests)."""
    norm = Normaliser(server_name)
    out: list[Record] = []
    for record in records:
        record = dict(record)
        record["request"] = norm.text(record["request"])
        record["label"] = record.get("label") or record["request"]
        if "body" in record:
            record["body"] = norm.body(record["body"].encode("utf-8"))
        if "frames" in record:
            record["frames"] = {name: [norm.text(f) for f in got] for name, got in record["frames"].items()}
        out.append(record)
    return out


def compare(expected: list[Record], got: list[Record]) -> Report:
    """Compare two runs (raw records) after normalising each (``expected`` is the real server's)."""
    expected, got = normalise(expected), normalise(got)
    report = Report()
    for index, want in enumerate(expected):
        have = got[index] if index < len(got) else None
        report.calls += 1
        if have is not None and have.get("request") == want.get("request"):
            if want.get("status") == have.get("status"):
                report.equal_status += 1
            if {k: v for k, v in want.items() if k != "label"} == {k: v for k, v in have.items() if k != "label"}:
                report.identical += 1
                continue
        report.differences.append((want, have))
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", help="URL of a fresh real v1 server, e.g. http://127.0.0.1:3100")
    parser.add_argument("--fixture", type=Path, help="compare the local server with these recorded answers")
    parser.add_argument("--record", type=Path, help="save the real server's normalised answers here")
    parser.add_argument("--local", help="URL of a fresh local server to use instead of starting one")
    parser.add_argument("--limit", type=int, default=0, help="show at most this many differences")
    parser.add_argument("--heartbeat-timeout", type=float, default=35.0)
    args = parser.parse_args(argv)
    if bool(args.real) == bool(args.fixture):
        parser.error("give exactly one of --real and --fixture")
    if args.real:
        expected = run_against(args.real, heartbeat_timeout=args.heartbeat_timeout)
        if args.record:
            save_fixture(args.record, expected)
    else:
        expected = load_fixture(args.fixture)
    if args.local:
        got = run_against(args.local, heartbeat_timeout=args.heartbeat_timeout, expected=expected)
    else:
        with local_server(heartbeat_interval=30.0 if args.real else 1.0) as url:
            got = run_against(url, heartbeat_timeout=args.heartbeat_timeout, expected=expected)
    report = compare(expected, got)
    print(report.text(args.limit))
    return 0 if report.identical == report.calls else 1


def save_fixture(path: Path, records: list[Record]) -> None:
    """Write recorded answers, normalised (one JSON document, one record per line)."""
    records = normalise(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    path.write_text("[\n" + lines + "\n]\n", encoding="utf-8")


def load_fixture(path: Path) -> list[Record]:
    """Read recorded answers."""
    return json.loads(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    sys.exit(main())
