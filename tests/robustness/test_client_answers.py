"""Malformed server answers for every public client method: a normal return or a SpeckleError.

Each case starts from the realistic answers of one method (the shapes v1 servers send, as in
``tests/client/test_wire_resources.py``) and Hypothesis mutates one of them: a value somewhere
in the document replaced by junk (wrong types, nulls, lone surrogates, huge strings or numbers,
nesting thousands of levels deep) or a key dropped, or the whole body replaced (truncated JSON,
junk bytes, HTML, nothing), under any status code, any ``Content-Type`` charset, a wrong
``Content-Encoding`` and redirects to malformed locations. Whatever
the answer, the call must end within its deadline, either returning or raising a
:class:`~speckle.errors.SpeckleError` whose text can be printed.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import pytest
import requests_mock
from hypothesis import given
from hypothesis import strategies as st

from speckle import SpeckleApiClient
from speckle._untrusted import preview
from speckle.errors import SpeckleError, SpeckleInputError, SpeckleResponseError
from speckle.models import SpeckleModel

HOST = "http://speckle.fuzz"
UID = "5f0c7e6b9d1e8a0012345678"
SID = "I9-BQERra"
OID = "5f0c7e6b9d1e8a00bbbbbbbb"
#: The deadline of the fuzzed clients (nothing blocks here: this bounds the client's own work).
DEADLINE = 10.0
TOKEN = "JWT " + jwt.encode({"_id": UID, "iat": 1, "exp": 4102444800}, "fuzz-secret-of-32-bytes-length!!", "HS256")


def ok(**fields: Any) -> dict[str, Any]:
    return {"success": True, "message": "Done.", **fields}


def user() -> dict[str, Any]:
    return {"_id": UID, "name": "Snakey", "surname": "Snake", "email": "test@test.com", "company": "S",
            "apitoken": TOKEN, "role": "user", "private": True, "archived": False,
            "createdAt": "2020-05-20T10:00:00.000Z", "__v": 1}


def stream() -> dict[str, Any]:
    return {"_id": "5f0c7e6b9d1e8a00aaaaaaaa", "streamId": SID, "owner": UID, "private": False, "canRead": [],
            "canWrite": [], "objects": [{"type": "Placeholder", "_id": OID}, {"type": "Placeholder", "_id": "o2"}],
            "layers": [{"name": "L", "guid": "g", "startIndex": 0, "objectCount": 2, "topology": "0-2"}],
            "name": "My stream", "children": [], "parent": None, "updatedAt": "2020-05-20T10:00:00.000Z"}


def obj(_id: str = OID) -> dict[str, Any]:
    return {"_id": _id, "owner": UID, "type": "Mesh", "vertices": [0, 0.5, 1], "faces": [0, 0, 1, 2],
            "properties": {"z": None, "a": 1}, "hash": "h", "__v": 0}


def placeholders(n: int) -> list[dict[str, Any]]:
    return [{"type": "Placeholder", "_id": f"p{i}"} for i in range(n)]


def project() -> dict[str, Any]:
    return {"_id": "p1", "owner": UID, "name": "P", "private": True, "streams": [SID],
            "permissions": {"canRead": [], "canWrite": []}, "canRead": [], "canWrite": []}


def comment() -> dict[str, Any]:
    return {"_id": "k1", "owner": UID, "text": "t", "assignedTo": [UID], "closed": False,
            "resource": {"resourceType": "stream", "resourceId": SID}}


def api_client() -> dict[str, Any]:
    return {"_id": "c1", "owner": UID, "role": "Sender", "documentGuid": "g", "streamId": SID, "online": True}


def info() -> dict[str, Any]:
    return {"isSpeckleServer": True, "serverName": "S", "version": "1.9.2", "api": {"streams": ["GET /"]},
            "plugins": [], "jnMask": "######-##"}


def gql_info() -> dict[str, Any]:
    return {"data": {"serverInfo": {"name": "S2", "company": "C", "description": None, "adminContact": None,
                                    "canonicalUrl": HOST, "version": "2.5.4",
                                    "scopes": [{"name": "streams:read", "description": "Read"}],
                                    "authStrategies": [{"id": "local", "name": "Local", "icon": "x"}],
                                    "workspaces": {"workspacesEnabled": False}}}}


def gql(data: dict[str, Any]) -> dict[str, Any]:
    return {"data": data}


def delta() -> dict[str, Any]:
    return {"success": True, "delta": {"created": [{"type": "Placeholder", "_id": "n"}], "deleted": [],
                                       "common": [OID], "revisionA": {"id": SID}, "revisionB": {"id": "S2"}}}


def diff() -> dict[str, Any]:
    return {"success": True, "objects": {"common": [OID], "inA": [], "inB": ["x"]},
            "layers": {"common": [], "inA": [], "inB": []}}


Route = tuple[str, str, Callable[[], Any]]
ObjectsAnswer = Callable[[], Any]

#: name -> (routes as (method, path regex, realistic answer), call, needs a login, server generation)
CASES: dict[str, tuple[list[Route], Callable[[SpeckleApiClient], Any], bool, str]] = {}


def case(name: str, routes: list[Route], call: Callable[[SpeckleApiClient], Any], *,
         login: bool = True, generation: str = "v1") -> None:
    CASES[name] = (routes, call, login, generation)


A = "/api/v1"
# -- client -------------------------------------------------------------------------------------------------
case("register", [("POST", f"{A}/accounts/register$", lambda: ok(resource={"token": TOKEN, "apitoken": TOKEN})),
                  ("GET", f"{A}/accounts$", lambda: ok(resource=user()))],
     lambda c: c.register("a@b.cd", "password!", "Co"), login=False)
case("login", [("POST", f"{A}/accounts/login$", lambda: ok(resource=user()))],
     lambda c: c.login("a@b.cd", "password!"), login=False)
case("login_with_token", [("GET", f"{A}/accounts$", lambda: ok(resource=user()))],
     lambda c: c.login_with_token(TOKEN), login=False)
case("send", [("POST", f"{A}/objects$", lambda: ok(resources=placeholders(3))),
              ("POST", f"{A}/streams$", lambda: ok(resource=stream()))],
     lambda c: c.send([{"type": "Point", "value": [i, 0, 0]} for i in range(3)], "model"))
case("send to stream", [("POST", f"{A}/objects$", lambda: ok(resources=placeholders(3))),
                        ("PUT", f"{A}/streams/{SID}$", lambda: ok())],
     lambda c: c.send([{"type": "Point", "value": [i, 0, 0]} for i in range(3)], stream_id=SID))
case("receive", [("GET", f"{A}/streams/{SID}$", lambda: ok(resource=stream())),
                 ("POST", f"{A}/objects/getbulk$", lambda: ok(resources=[obj(), obj("o2")]))],
     lambda c: c.receive(SID))
case("receive raw", [("GET", f"{A}/streams/{SID}$", lambda: ok(resource=stream())),
                     ("POST", f"{A}/objects/getbulk$", lambda: ok(resources=[obj(), obj("o2")]))],
     lambda c: c.receive(SID, raw=True))
# receiving again: what changed since the previous result (which stands for the record of received
# objects), the changed objects, then a count of the objects (off here: the listing is asked for)
case("receive again", [("GET", f"{A}/streams/{SID}$", lambda: ok(resource=stream())),
                       ("GET", f"{A}/streams/{SID}/objects$",
                        lambda: ok(resources=[{"_id": OID, "updatedAt": "2020-05-20T10:00:00.000Z"},
                                              {"_id": "o2", "updatedAt": "2020-05-21T10:00:00.000Z"}])),
                       ("POST", f"{A}/objects/getbulk$", lambda: ok(resources=[obj("o2")]))],
     lambda c: c.receive(SID, raw=True, previous=_previous(c)))
case("register_socket_client", [("POST", f"{A}/clients$", lambda: ok(resource={"_id": "c9"}))],
     lambda c: c.register_socket_client(SID))
# -- accounts -----------------------------------------------------------------------------------------------
case("accounts.get_profile", [("GET", f"{A}/accounts$", lambda: ok(resource=user()))],
     lambda c: c.accounts.get_profile())
case("accounts.get", [("GET", f"{A}/accounts/{UID}$", lambda: ok(resource={"_id": UID, "name": "N"}))],
     lambda c: c.accounts.get(UID))
case("accounts.update_profile", [("PUT", f"{A}/accounts$", lambda: ok())],
     lambda c: c.accounts.update_profile({"name": "N"}))
case("accounts.search", [("POST", f"{A}/accounts/search$", lambda: ok(resources=[user()]))],
     lambda c: c.accounts.search("snake"))
case("accounts.admin_list", [("GET", f"{A}/accounts/admin$", lambda: ok(resource=[user()]))],
     lambda c: c.accounts.admin_list())
case("accounts.admin_update", [("PUT", f"{A}/accounts/{UID}$", lambda: ok())],
     lambda c: c.accounts.admin_update(UID, {"name": "a", "surname": "b", "company": "c", "email": "d@e.fg",
                                             "role": "user", "archived": False}))
case("accounts.set_role", [("GET", f"{A}/accounts/admin$", lambda: ok(resource=[user()])),
                           ("PUT", f"{A}/accounts/{UID}$", lambda: ok())],
     lambda c: c.accounts.set_role(UID, "admin"))
# -- streams ------------------------------------------------------------------------------------------------
case("streams.list", [("GET", f"{A}/streams$", lambda: ok(resources=[stream()]))], lambda c: c.streams.list())
case("streams.create", [("POST", f"{A}/streams$", lambda: ok(resource=stream()))],
     lambda c: c.streams.create({"name": "n", "objects": [OID]}))
case("streams.get", [("GET", f"{A}/streams/{SID}$", lambda: ok(resource=stream()))], lambda c: c.streams.get(SID))
case("streams.update", [("PUT", f"{A}/streams/{SID}$", lambda: ok())],
     lambda c: c.streams.update(SID, {"name": "n"}))
case("streams.update mixed objects", [("POST", f"{A}/objects$", lambda: ok(resources=placeholders(2))),
                                      ("PUT", f"{A}/streams/{SID}$", lambda: ok())],
     lambda c: c.streams.update(SID, {"objects": [{"type": "Point", "value": [1, 2, 3]}, OID,
                                                  {"type": "Null"}]}))
case("streams.delete", [("DELETE", f"{A}/streams/{SID}$", lambda: ok(deletedStreams=[SID]))],
     lambda c: c.streams.delete(SID))
case("streams.clone", [("POST", f"{A}/streams/{SID}/clone$", lambda: ok(clone=stream(), parent=stream()))],
     lambda c: c.streams.clone(SID, "copy"))
case("streams.diff", [("GET", f"{A}/streams/{SID}/diff/S2$", diff)], lambda c: c.streams.diff(SID, "S2"))
case("streams.delta", [("GET", f"{A}/streams/{SID}/delta/S2$", delta)], lambda c: c.streams.delta(SID, "S2"))
case("streams.apply_delta", [("POST", f"{A}/streams/{SID}/delta$", lambda: ok())],
     lambda c: c.streams.apply_delta(SID, {"created": [], "deleted": []}))
case("streams.list_objects", [("GET", f"{A}/streams/{SID}/objects$", lambda: ok(resources=[obj(), obj("o2")]))],
     lambda c: c.streams.list_objects(SID))
case("streams.list_clients", [("GET", f"{A}/streams/{SID}/clients$", lambda: ok(resources=[api_client()]))],
     lambda c: c.streams.list_clients(SID))
case("streams.admin_list", [("GET", f"{A}/streams/admin$", lambda: ok(resources=[stream()]))],
     lambda c: c.streams.admin_list())
case("streams.comment_get", [("GET", f"{A}/comments/stream/{SID}$", lambda: ok(resources=[comment()]))],
     lambda c: c.streams.comment_get(SID))
case("streams.comment_create", [("POST", f"{A}/comments/stream/{SID}$", lambda: ok(resource=comment()))],
     lambda c: c.streams.comment_create(SID, "hi"))
# -- objects ------------------------------------------------------------------------------------------------
case("objects.create", [("POST", f"{A}/objects$", lambda: ok(resources=placeholders(2)))],
     lambda c: c.objects.create([{"type": "Point", "value": [1, 2, 3]}, {"type": "Null"}]))
case("objects.create raw", [("POST", f"{A}/objects$", lambda: ok(resources=placeholders(2)))],
     lambda c: c.objects.create([{"type": "Point", "value": [1, 2, 3]}, {"type": "Null"}], raw=True))
case("objects.create one", [("POST", f"{A}/objects$", lambda: ok(resources=placeholders(1)))],
     lambda c: c.objects.create({"type": "Point", "value": [1, 2, 3]}))
case("objects.get", [("GET", f"{A}/objects/{OID}$", lambda: ok(resource=obj()))], lambda c: c.objects.get(OID))
case("objects.update", [("PUT", f"{A}/objects/{OID}$", lambda: ok())],
     lambda c: c.objects.update(OID, {"name": "n"}))
case("objects.set_properties", [("PUT", f"{A}/objects/{OID}/properties$", lambda: ok())],
     lambda c: c.objects.set_properties(OID, {"a": 1}))
case("objects.delete", [("DELETE", f"{A}/objects/{OID}$", lambda: ok())], lambda c: c.objects.delete(OID))
case("objects.get_bulk", [("POST", f"{A}/objects/getbulk$", lambda: ok(resources=[obj(), obj("o2")]))],
     lambda c: c.objects.get_bulk([OID, "o2"]))
case("objects.get_bulk raw", [("POST", f"{A}/objects/getbulk$", lambda: ok(resources=[obj(), obj("o2")]))],
     lambda c: c.objects.get_bulk([OID, "o2"], raw=True))
case("objects.derive", [("POST", f"{A}/objects/derive$", lambda: ok(resources=placeholders(1)))],
     lambda c: c.objects.derive([{"_id": OID, "name": "child"}]))
case("objects.list", [("GET", f"{A}/streams$", lambda: ok(resources=[{"streamId": SID}, {"streamId": "S2"}])),
                      ("GET", f"{A}/streams/{SID}/objects$", lambda: ok(resources=[obj()])),
                      ("GET", f"{A}/streams/S2/objects$", lambda: ok(resources=[obj(), obj("o2")]))],
     lambda c: c.objects.list())
case("objects.comment_get", [("GET", f"{A}/comments/object/{OID}$", lambda: ok(resources=[comment()]))],
     lambda c: c.objects.comment_get(OID))
# -- api clients --------------------------------------------------------------------------------------------
case("api_clients.create", [("POST", f"{A}/clients$", lambda: ok(resource=api_client()))],
     lambda c: c.api_clients.create({"role": "Sender", "streamId": SID}))
case("api_clients.list", [("GET", f"{A}/clients$", lambda: ok(resources=[api_client()]))],
     lambda c: c.api_clients.list())
case("api_clients.get", [("GET", f"{A}/clients/c1$", lambda: ok(resource=api_client()))],
     lambda c: c.api_clients.get("c1"))
case("api_clients.update", [("PUT", f"{A}/clients/c1$", lambda: ok())],
     lambda c: c.api_clients.update("c1", {"online": False}))
case("api_clients.delete", [("DELETE", f"{A}/clients/c1$", lambda: ok())], lambda c: c.api_clients.delete("c1"))
# -- comments -----------------------------------------------------------------------------------------------
case("comments.list", [("GET", f"{A}/comments$", lambda: ok(resources=[comment()]))], lambda c: c.comments.list())
case("comments.assigned", [("GET", f"{A}/comments/assigned$", lambda: ok(resources=[comment()]))],
     lambda c: c.comments.assigned())
case("comments.get", [("GET", f"{A}/comments/k1$", lambda: ok(resource=comment()))], lambda c: c.comments.get("k1"))
case("comments.update", [("PUT", f"{A}/comments/k1$", lambda: ok(fields=["text"]))],
     lambda c: c.comments.update("k1", {"text": "u"}))
case("comments.delete", [("DELETE", f"{A}/comments/k1$", lambda: ok())], lambda c: c.comments.delete("k1"))
case("comments.list_for", [("GET", f"{A}/comments/project/p1$", lambda: ok(resources=[comment()]))],
     lambda c: c.comments.list_for("project", "p1"))
case("comments.create_for", [("POST", f"{A}/comments/project/p1$", lambda: ok(resource=comment()))],
     lambda c: c.comments.create_for("project", "p1", {"text": "x"}))
# -- projects -----------------------------------------------------------------------------------------------
case("projects.create", [("POST", f"{A}/projects$", lambda: ok(resource=project()))],
     lambda c: c.projects.create({"name": "P"}))
case("projects.list", [("GET", f"{A}/projects$", lambda: ok(resources=[project()]))], lambda c: c.projects.list())
case("projects.get", [("GET", f"{A}/projects/p1$", lambda: ok(resource=project()))], lambda c: c.projects.get("p1"))
case("projects.update", [("PUT", f"{A}/projects/p1$", lambda: ok())], lambda c: c.projects.update("p1", {"name": "Q"}))
case("projects.delete", [("DELETE", f"{A}/projects/p1$", lambda: ok(modifiedStreams=[])),
                         ("GET", f"{A}/projects/p1$", lambda: ok(resource=project()))],
     lambda c: c.projects.delete("p1"))
case("projects.add_user", [("PUT", f"{A}/projects/p1/adduser/{UID}$", lambda: ok())],
     lambda c: c.projects.add_user("p1", UID))
case("projects.add_stream", [("PUT", f"{A}/projects/p1/addstream/{SID}$", lambda: ok())],
     lambda c: c.projects.add_stream("p1", SID))
case("projects.admin_list", [("GET", f"{A}/projects/admin$", lambda: ok(resources=[project()]))],
     lambda c: c.projects.admin_list())
# -- server (v1 and GraphQL) --------------------------------------------------------------------------------
case("server.info", [("GET", f"{A}/?$", info)], lambda c: c.server.info(), login=False)
case("server.plugins", [("GET", "/api/plugins$", lambda: [{"name": "P", "version": "0.1.0", "serveFrom": "/p"}])],
     lambda c: c.server.plugins(), login=False)
case("server.get v1", [("GET", f"{A}/?$", info)], lambda c: c.server.get(), login=False, generation="")
case("server.version v1", [("GET", f"{A}/?$", info)], lambda c: c.server.version(), login=False)
case("server.apps v1", [("GET", "/api/plugins$", lambda: [{"name": "P", "desc": "d", "serveFrom": "/p",
                                                            "author": "me"}])],
     lambda c: c.server.apps(), login=False)
case("server.detect_generation", [("GET", f"{A}/?$", info), ("POST", "/graphql$", gql_info)],
     lambda c: c.server.detect_generation(), login=False, generation="")
case("server.get v2", [("POST", "/graphql$", gql_info)], lambda c: c.server.get(), login=False, generation="v2")
case("server.version v2", [("POST", "/graphql$", gql_info)], lambda c: c.server.version(), login=False,
     generation="v2")
case("server.apps v2", [("POST", "/graphql$", lambda: gql({"apps": [{"id": "a", "name": "A", "author": None}]}))],
     lambda c: c.server.apps(), login=False, generation="v2")
case("server.create_token", [("POST", "/graphql$", lambda: gql({"apiTokenCreate": "abcdef0123456789"}))],
     lambda c: c.server.create_token("t", ["streams:read"], 3600), login=False, generation="v2")
case("server.revoke_token", [("POST", "/graphql$", lambda: gql({"apiTokenRevoke": True}))],
     lambda c: c.server.revoke_token("abc"), login=False, generation="v2")


# -- mutations ------------------------------------------------------------------------------------------------


class Deep:
    """A value nested ``depth`` levels deep, written straight as JSON text (json.dumps would recurse)."""

    def __init__(self, depth: int, kind: str) -> None:
        self.depth, self.kind = depth, kind

    def json(self) -> str:
        if self.kind == "list":
            return "[" * self.depth + "]" * self.depth
        return '{"a":' * self.depth + "1" + "}" * self.depth


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["\ud800", "a\udfffb", "", "Placeholder", "\x00", "ünï©ødé", "x" * 200_000, "<html>",
                     "You are not authorised", "Resource not found.", "ValidationError: x", "{}"]),
)
_keys = st.one_of(st.text(max_size=6), st.sampled_from(["_id", "type", "resources", "resource", "success",
                                                        "message", "objects", "streamId", "data", "errors"]))
_junk = st.one_of(
    st.recursive(
        _scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
        max_leaves=10,
    ),
    st.builds(Deep, st.sampled_from([300, 1000, 1100, 5000, 100_000]), st.sampled_from(["list", "dict"])),
)


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location in ``doc`` (the root included)."""
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.extend(paths(value, (*prefix, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out.extend(paths(value, (*prefix, index)))
    return out


def mutate(doc: Any, path: tuple[Any, ...], value: Any, drop: bool) -> Any:
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def to_json(doc: Any, ascii_only: bool) -> bytes:
    """JSON text of ``doc``, with every :class:`Deep` written in place."""
    deep: list[Deep] = []

    def mark(value: Any) -> Any:
        if isinstance(value, Deep):
            deep.append(value)
            return f"\u0001deep{len(deep) - 1}\u0001"
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(doc), ensure_ascii=ascii_only)
    for index, value in enumerate(deep):
        text = text.replace(json.dumps(f"\u0001deep{index}\u0001", ensure_ascii=ascii_only), value.json())
    return text.encode("utf-8", "surrogatepass")


STATUSES = [200] * 8 + [201, 204, 301, 400, 401, 403, 404, 410, 413, 415, 429, 500, 502, 503]
CONTENT_TYPES = ["application/json; charset=utf-8"] * 4 + [
    "application/json", "text/html; charset=rot13", "application/json; charset=idna", "text/plain; charset=utf-16",
    "application/json; charset=nonsense", "text/html", "text/html; charset=base64", "text/plain; charset=latin-1",
    "application/json; charset=utf-32", "text/html; charset=\"utf-8\"; q=;;", "",
]
HTML = ("<!DOCTYPE html><html><head><title>Error</title></head><body><pre>TypeError: Cannot read property "
        "'x' of undefined<br> &nbsp; &nbsp;at foo (/app/x.js:1:2)</pre></body></html>")


@st.composite
def answer(draw: st.DrawFn, doc: Any) -> tuple[int, dict[str, str], bytes]:
    """A malformed version of the answer ``doc``: status, headers and body."""
    kind = draw(st.sampled_from(["mutate"] * 6 + ["truncate", "bytes", "html", "empty", "huge-html", "deep"]))
    if kind == "mutate":
        where = draw(st.sampled_from(paths(doc)))
        drop = bool(where) and draw(st.booleans())
        body = to_json(mutate(doc, where, None if drop else draw(_junk), drop), draw(st.booleans()))
    elif kind == "truncate":
        text = to_json(doc, False)
        body = text[: draw(st.integers(0, max(len(text) - 1, 0)))]
    elif kind == "bytes":
        body = draw(st.binary(max_size=64)) + draw(st.sampled_from([b"", b"\xff\xfe\x00", b"\xed\xa0\x80"]))
    elif kind == "html":
        body = HTML.encode()
    elif kind == "huge-html":
        body = draw(st.sampled_from(["<pre>", "<title>", "<", "<a", "&amp;<"])).encode() * 25_000
    elif kind == "deep":
        body = Deep(draw(st.sampled_from([900, 1023, 1024, 3000, 200_000])), draw(st.sampled_from(["list", "dict"]))
                    ).json().encode()
    else:
        body = b""
    status = draw(st.sampled_from(STATUSES)) if draw(st.integers(0, 3)) == 0 else 200
    headers = {"Content-Type": draw(st.sampled_from(CONTENT_TYPES))}
    if status == 301:
        headers["Location"] = draw(st.sampled_from(["//[::1", "http://speckle.fuzz/api/v1/nowhere", "/\u00e9"]))
    if draw(st.integers(0, 9)) == 0:  # a body that does not match its announced encoding
        headers["Content-Encoding"] = draw(st.sampled_from(["gzip", "deflate", "br", "zstd", "x-junk"]))
    if status in (429, 503):
        headers["Retry-After"] = draw(st.sampled_from(["0", "soon", "-1", "1e400"]))
    return status, headers, body


def _previous(client: SpeckleApiClient) -> Any:
    """An earlier result of stream SID: both objects, the first unchanged since."""
    from speckle.models.resources import Stream
    from speckle.transfer import ReceiveResult
    from speckle.transfer.freshness import StreamState

    held = [{**obj(), "updatedAt": "2020-05-20T10:00:00.000Z"}, {**obj("o2"), "updatedAt": "2020-05-19T10:00:00.000Z"}]
    result = ReceiveResult(Stream.from_data({"streamId": SID}), held, raw=True, ids=[OID, "o2"],
                           versions={OID: "2020-05-20T10:00:00.000Z", "o2": "2020-05-19T10:00:00.000Z"})
    resource = {k: v for k, v in stream().items() if k != "objects"}
    result._stream_state = StreamState(resource["updatedAt"], resource, [OID, "o2"], "2020-05-20T12:00:00.000Z")
    return result


class _Formatting(logging.Handler):
    """Formats every record (so a log line that cannot be written fails the test)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)


@contextmanager
def every_log_line() -> Iterator[None]:
    """The library's DEBUG logging on, every record formatted, for the duration of the block."""
    lib = logging.getLogger("speckle")
    handler, level = _Formatting(), lib.level
    lib.addHandler(handler)
    lib.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        lib.removeHandler(handler)
        lib.setLevel(level)


def shown(result: Any) -> str:
    """The text a user sees of a result: the repr of the library's objects (bounded whatever they
    hold); plain dicts and lists (raw payloads) hold the server's JSON as it came, up to the
    decoder's 1,000 levels, which Python's own repr cannot print: they are shown as a preview."""
    items = result if isinstance(result, list) else [result]
    if all(isinstance(item, (dict, list, str, int, float, bool, type(None))) for item in items):
        return preview(result)
    return repr(result)


def make_client(login: bool, generation: str) -> SpeckleApiClient:
    client = SpeckleApiClient(HOST, max_retries=1, deadline=DEADLINE, sent_cache=False, received_cache=False,
                              server_generation=generation or None)
    client.transport._sleep = lambda seconds: None
    if login:
        client.token = TOKEN
    return client


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_malformed_answers_give_a_result_or_a_speckle_error(name: str, data: st.DataObject) -> None:
    routes, call, login, generation = CASES[name]
    target = data.draw(st.integers(0, len(routes) - 1), label="mutated route")
    status, headers, body = data.draw(answer(routes[target][2]()), label="answer")
    compiled = [(method, re.compile(pattern)) for method, pattern, _ in routes]

    def respond(request: Any) -> Any:
        path = request.path_url.split("?", 1)[0]
        for index, (method, pattern) in enumerate(compiled):
            if request.method == method and pattern.search(path):
                if index == target:
                    return requests_mock.create_response(request, status_code=status, headers=headers,
                                                         content=body)
                return requests_mock.create_response(request, json=routes[index][2]())
        return requests_mock.create_response(request, status_code=404, json={"success": False,
                                                                              "message": "Not found."})

    client = make_client(login, generation)
    started = time.monotonic()
    with requests_mock.Mocker() as wire, every_log_line():
        wire.add_matcher(respond)
        try:
            result = call(client)
        except SpeckleError as error:
            assert str(error) and repr(error)
        else:
            shown(result)
            for item in result if isinstance(result, list) else [result]:
                if isinstance(item, SpeckleModel):
                    try:  # what came in can be sent back, or says why not
                        item.to_payload()
                    except SpeckleInputError:
                        pass
    assert time.monotonic() - started < DEADLINE


@pytest.mark.parametrize("name", sorted(CASES))
def test_realistic_answers_work(name: str) -> None:
    """The unmutated answers are valid: each case exercises its method's normal path."""
    routes, call, login, generation = CASES[name]
    compiled = [(method, re.compile(pattern), make) for method, pattern, make in routes]

    def respond(request: Any) -> Any:
        path = request.path_url.split("?", 1)[0]
        for method, pattern, make in compiled:
            if request.method == method and pattern.search(path):
                return requests_mock.create_response(request, json=make())
        return None

    with requests_mock.Mocker() as wire:
        wire.add_matcher(respond)
        call(make_client(login, generation))


#: Junk put at every location of every answer by the exhaustive test (the classes that broke before).
EVERYWHERE = [Deep(1000, "dict"), "a\ud800b"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_junk_at_every_location_of_every_answer(name: str) -> None:
    """Deterministic complement of the Hypothesis test: each junk value at each location."""
    routes, call, login, generation = CASES[name]
    compiled = [(method, re.compile(pattern), build) for method, pattern, build in routes]
    for target, (_, _, make) in enumerate(routes):
        for where in paths(make()):
            for junk in EVERYWHERE:
                body = to_json(mutate(make(), where, junk, False), True)
                def respond(request: Any, body: bytes = body, target: int = target) -> Any:
                    path = request.path_url.split("?", 1)[0]
                    for index, (method, pattern, build) in enumerate(compiled):
                        if request.method == method and pattern.search(path):
                            if index == target:
                                return requests_mock.create_response(request, content=body)
                            return requests_mock.create_response(request, json=build())
                    return None

                with requests_mock.Mocker() as wire, every_log_line():
                    wire.add_matcher(respond)
                    try:
                        result = call(make_client(login, generation))
                    except SpeckleError as error:
                        assert str(error)
                    else:
                        shown(result)


def answer_with(name: str, target: int, body: bytes, headers: dict[str, str] | None = None) -> Any:
    """Call case ``name`` with route ``target`` answering ``body`` (the others realistic)."""
    routes, call, login, generation = CASES[name]
    compiled = [(method, re.compile(pattern), build) for method, pattern, build in routes]

    def respond(request: Any) -> Any:
        path = request.path_url.split("?", 1)[0]
        for index, (method, pattern, build) in enumerate(compiled):
            if request.method == method and pattern.search(path):
                if index == target:
                    return requests_mock.create_response(request, content=body, headers=headers or {})
                return requests_mock.create_response(request, json=build())
        return None

    with requests_mock.Mocker() as wire:
        wire.add_matcher(respond)
        return call(make_client(login, generation))


#: The answers of the issue that escaped as untyped exceptions, one per class.
ISSUE_ANSWERS = [
    ("objects.create raw", 0, b'{"success":true,"resources":["a","b"]}'),
    ("objects.create raw", 0, b'{"success":true,"resources":[{"_id":"a"},5]}'),
    ("objects.list", 0, b'{"success":true,"resources":["S1", 5]}'),
    ("objects.list", 1, b'{"success":true,"resources":{"_id":"a"}}'),
    ("objects.derive", 0, b'{"success":true,"resources":true}'),
    ("streams.update mixed objects", 0, b'{"success":true,"resources":["a","b"]}'),
    ("streams.update mixed objects", 0, b'{"success":true,"resources":[{"_id":"a"}]}'),
    ("receive", 0, b'{"success":true,"resource":{"streamId":"I9-BQERra","objects":5}}'),
    ("receive", 0, b'{"success":true,"resource":{"streamId":"I9-BQERra","objects":[{"_id":"\\ud800"}]}}'),
    ("streams.list_objects", 0, b'{"success":true,"resources":null}'),
    ("send", 0, b'{"success":true,"resources":[{"_id":1},{"_id":2},{"_id":3}]}'),
    ("streams.get", 0, b"[" * 5000 + b"]" * 5000),
    ("register_socket_client", 0, b'{"success":true,"resource":{"_id":"\\ud800"}}'),
    ("login", 0, b'{"success":true,"resource":{"_id":"u","apitoken":"JWT \\u00e9\\n"}}'),
]


@pytest.mark.parametrize(("name", "target", "body"), ISSUE_ANSWERS)
def test_the_answers_of_the_issue_are_response_errors(name: str, target: int, body: bytes) -> None:
    with pytest.raises(SpeckleResponseError):
        answer_with(name, target, body)


def test_placeholders_are_built_from_their_ids_whatever_else_they_hold() -> None:
    body = b'{"success":true,"resources":[{"type":null,"_id":"a"},{"type":"Placeholder","_id":"b","x":[1]}]}'
    placeholders = answer_with("objects.create", 0, body)
    assert [p.to_payload() for p in placeholders] == [{"type": "Placeholder", "_id": i} for i in "ab"]


@pytest.mark.parametrize("charset", ["rot13", "idna", "utf-16", "nonsense"])
def test_a_json_answer_naming_any_charset_is_read_as_json(charset: str) -> None:
    body = json.dumps(ok(resource=stream())).encode()
    got = answer_with("streams.get", 0, body, {"Content-Type": f"application/json; charset={charset}"})
    assert got.streamId == SID
