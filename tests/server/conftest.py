"""Fixtures of the server resource tests: mocked v1 and v2 servers.

Every GraphQL document the client sends to the mocked v2 server is parsed, validated against
the reference schema excerpt (``server-subset.graphql``) and its variables are coerced against
the operation's variable definitions; a document or variables that a real server would reject
fail the test.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import graphql
import jwt
import pytest
import requests
import requests_mock
from graphql.execution.values import get_variable_values

from speckle import SpeckleApiClient

HOST = "http://speckle.test"
GRAPHQL_URL = f"{HOST}/graphql"
V1_INFO_URL = f"{HOST}/api/v1/"
#: Copy of shared/reference/v2-graphql/server-subset.graphql (the schema excerpt of newer servers).
SCHEMA_PATH = Path(__file__).parent / "data" / "server-subset.graphql"
#: A v2 personal access token (opaque, not a JWT).
PAT = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5"


def v1_token() -> str:
    """A ``JWT ...`` token shaped like a v1 apitoken, valid for an hour."""
    now = int(time.time())
    return "JWT " + jwt.encode({"_id": "5f0c7e6b9d1e8a0012345678", "iat": now, "exp": now + 3600},
                               "not-the-server-secret-but-32-bytes-long", algorithm="HS256")


@pytest.fixture(scope="session")
def schema() -> graphql.GraphQLSchema:
    """The reference schema excerpt of newer servers."""
    return graphql.build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))


def check_document(schema: graphql.GraphQLSchema, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Validate one GraphQL request body; return the operation's root field and coerced variables."""
    document = graphql.parse(body["query"])
    errors = graphql.validate(schema, document)
    assert not errors, f"invalid GraphQL document: {errors}"
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    assert len(operations) == 1, "send exactly one operation per request"
    operation = operations[0]
    result = get_variable_values(schema, operation.variable_definitions or (), body.get("variables") or {})
    assert not isinstance(result, list), f"variables rejected by the schema: {result}"
    coerced = getattr(result, "coerced", result)  # graphql-core 3.3 wraps the values, 3.2 does not
    assert isinstance(coerced, dict), f"variables rejected by the schema: {result}"
    field = operation.selection_set.selections[0]
    assert isinstance(field, graphql.FieldNode)
    return field.name.value, coerced


class GraphQLServer:
    """A mocked v2 server: ``answers[root field]`` is a response body, a list of them (used in
    order) or ``(status, body)``; ``calls`` records ``(root field, variables, headers)``."""

    def __init__(self, mocker: requests_mock.Mocker, schema: graphql.GraphQLSchema) -> None:
        self.schema = schema
        self.answers: dict[str, Any] = {}
        self.calls: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.bodies: list[dict[str, Any]] = []
        mocker.post(GRAPHQL_URL, json=self._answer)
        # a v2 server has no v1 API: Express-style HTML 404
        self.v1_probe = mocker.get(V1_INFO_URL, status_code=404, text="<pre>Cannot GET /api/v1/</pre>",
                                   headers={"Content-Type": "text/html"})

    def _answer(self, request: requests.PreparedRequest, context: Any) -> Any:
        body = json.loads(request.body)
        self.bodies.append(body)
        field, variables = check_document(self.schema, body)
        self.calls.append((field, variables, dict(request.headers)))
        answer = self.answers[field]
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if isinstance(answer, tuple):
            context.status_code, answer = answer
        return answer

    def fields(self) -> list[str]:
        """The root fields asked for, in order."""
        return [call[0] for call in self.calls]


SERVER_INFO = {
    "name": "Speckle Cloud",
    "company": "Speckle Systems",
    "description": "The Speckle server",
    "adminContact": "admin@speckle.systems",
    "canonicalUrl": "https://app.speckle.systems",
    "version": "2.23.4",
    "scopes": [
        {"name": "streams:read", "description": "Read your streams"},
        {"name": "streams:write", "description": "Write your streams"},
        {"name": "profile:read", "description": "Read your profile"},
        {"name": "tokens:write", "description": "Create tokens"},
    ],
    "authStrategies": [{"id": "local", "name": "Local", "icon": "TODO"}],
    "workspaces": {"workspacesEnabled": True},
}


def server_info(**changes: Any) -> dict[str, Any]:
    """A ``serverInfo`` response body, with ``changes`` applied to the server info."""
    return {"data": {"serverInfo": {**SERVER_INFO, **changes}}}


def gql_error(message: str, code: str | None, path: str = "") -> dict[str, Any]:
    """A GraphQL error response body (partial ``data`` is null)."""
    error: dict[str, Any] = {"message": message, "locations": [{"line": 2, "column": 3}]}
    if path:
        error["path"] = [path]
    if code:
        error["extensions"] = {"code": code}
    return {"errors": [error], "data": None}


@pytest.fixture
def wire() -> Iterator[requests_mock.Mocker]:
    """A ``requests_mock`` mocker: every request must be registered."""
    with requests_mock.Mocker() as mocker:
        yield mocker


@pytest.fixture
def v2(wire: requests_mock.Mocker, schema: graphql.GraphQLSchema) -> GraphQLServer:
    """A mocked v2 server answering ``serverInfo`` with :data:`SERVER_INFO`."""
    server = GraphQLServer(wire, schema)
    server.answers["serverInfo"] = server_info()
    return server


@pytest.fixture
def make_client() -> Callable[..., SpeckleApiClient]:
    """``make_client(**kwargs)``: a client of ``http://speckle.test`` without retries."""

    def make(**kwargs: Any) -> SpeckleApiClient:
        kwargs.setdefault("max_retries", 0)
        return SpeckleApiClient(HOST, **kwargs)

    return make


@pytest.fixture
def client(make_client: Callable[..., SpeckleApiClient]) -> SpeckleApiClient:
    """A client holding a v1 ``JWT`` token and a v2 personal access token for ``client.server``."""
    client = make_client()
    client.token = v1_token()
    client.server.token = PAT
    return client
