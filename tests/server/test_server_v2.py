"""``client.server`` against a mocked v2 (GraphQL) server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests

from speckle.errors import (
    AuthenticationError,
    BadRequestError,
    PermissionDeniedError,
    ServerError,
    SpeckleAPIError,
    SpeckleConnectionError,
    SpeckleInputError,
    SpeckleResponseError,
    SpeckleUnsupportedError,
)
from speckle.graphql import SpeckleGraphQLError
from speckle.models.server import AuthStrategy, Scope, ServerInfo, WorkspacesInfo

from .conftest import GRAPHQL_URL, PAT, V1_INFO_URL, gql_error, server_info

# -- detection --------------------------------------------------------------------------------------


def test_detects_v2_once_and_reuses_the_detection_answer(wire, v2, client):
    assert client.server.generation is None
    info = client.server.get()
    assert client.server.generation == "v2"
    # one probe of the v1 API, one serverInfo query whose answer get() reused
    assert v2.v1_probe.call_count == 1 and v2.fields() == ["serverInfo"]
    assert info.name == "Speckle Cloud"
    client.server.get()
    client.server.version()
    assert v2.v1_probe.call_count == 1 and v2.fields() == ["serverInfo"] * 3


def test_forced_generation_skips_detection(wire, v2, make_client):
    client = make_client(server_generation="v2")
    assert client.server.generation == "v2"
    assert client.server.version() == (2, 23, 4)
    assert v2.v1_probe.call_count == 0 and wire.call_count == 1


@pytest.mark.parametrize("value", ["v3", "2", 2, ""])
def test_unknown_generation_is_refused(make_client, value):
    with pytest.raises(SpeckleInputError, match="generation"):
        make_client(server_generation=value)


def test_generation_can_be_reset_to_detect_again(wire, v2, client):
    client.server.generation = "v1"
    client.server.generation = None
    assert client.server.detect_generation() == "v2"


def test_a_graphql_error_during_detection_still_means_v2(wire, v2, client):
    v2.answers["serverInfo"] = [gql_error("Internal failure", "INTERNAL_SERVER_ERROR"), server_info()]
    assert client.server.detect_generation() == "v2"
    assert client.server.get().name == "Speckle Cloud"


def test_neither_generation_is_a_clear_unsupported_error(wire, client):
    wire.get(V1_INFO_URL, status_code=404, text="Not Found")
    wire.post(GRAPHQL_URL, status_code=404, text="<html><title>404 Not Found</title></html>")
    with pytest.raises(SpeckleUnsupportedError, match="not a Speckle server") as info:
        client.server.get()
    assert "/api/v1" in info.value.message and "/graphql" in info.value.message
    assert client.server.generation is None


def test_json_that_is_not_graphql_is_not_a_v2_server(wire, client):
    wire.get(V1_INFO_URL, json={"hello": "world"})
    wire.post(GRAPHQL_URL, json={"hello": "world"})
    with pytest.raises(SpeckleUnsupportedError, match="isSpeckleServer"):
        client.server.detect_generation()


def test_an_unreachable_server_is_a_connection_error_not_a_wrong_generation(wire, client):
    wire.get(V1_INFO_URL, exc=requests.ConnectionError("[Errno 111] Connection refused"))
    with pytest.raises(SpeckleConnectionError):
        client.server.get()
    assert client.server.generation is None


# -- get() / version() -----------------------------------------------------------------------------


def test_get_parses_typed_models_and_keeps_unknown_fields(wire, v2, client):
    v2.answers["serverInfo"] = server_info(termsOfService="be nice", scopes=None)
    info = client.server.get()
    assert isinstance(info, ServerInfo)
    assert (info.company, info.adminContact, info.canonicalUrl) == (
        "Speckle Systems", "admin@speckle.systems", "https://app.speckle.systems")
    assert info.scopes == []  # null from the server: still iterable
    assert info.termsOfService == "be nice" and info["termsOfService"] == "be nice"
    assert isinstance(info.authStrategies[0], AuthStrategy) and info.authStrategies[0].id == "local"
    assert isinstance(info.workspaces, WorkspacesInfo) and info.workspaces.workspacesEnabled is True


def test_get_scopes_are_scope_models(wire, v2, client):
    scopes = client.server.get().scopes
    assert all(isinstance(s, Scope) for s in scopes)
    assert [s.name for s in scopes] == ["streams:read", "streams:write", "profile:read", "tokens:write"]


def test_server_info_query_needs_no_token(wire, v2, make_client):
    client = make_client()
    client.server.get()
    assert "Authorization" not in v2.calls[0][2]


def test_servers_before_workspaces_get_a_query_without_them(wire, v2, make_client):
    client = make_client(server_generation="v2")
    info = server_info()
    del info["data"]["serverInfo"]["workspaces"]
    v2.answers["serverInfo"] = [
        gql_error('Cannot query field "workspaces" on type "ServerInfo".', "GRAPHQL_VALIDATION_FAILED"),
        info,
    ]
    assert client.server.get().workspaces is None
    assert "workspaces" not in v2.bodies[1]["query"]
    client.server.get()
    assert ["workspaces" in body["query"] for body in v2.bodies] == [True, False, False]


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("2.23.4", (2, 23, 4)),
        ("2.6.4-alpha.4711", (2, 6, 4, "alpha", 4711)),
        ("dev", (999, 999, 999)),
        (None, (2, 0, 0)),
        ("UNKNOWN", (2, 0, 0)),
    ],
)
def test_version(wire, v2, client, reported, expected):
    v2.answers["serverInfo"] = server_info(version=reported)
    assert client.server.version() == expected


def test_seed_version_comparison(wire, v2, client):
    version = client.server.version()
    major, minor = version[0], version[1]
    assert (major, minor) >= (2, 0) and not (major, minor) >= (3, 0)


# -- apps() -----------------------------------------------------------------------------------------


def test_apps_are_dicts_with_the_app_fields(wire, v2, client):
    v2.answers["apps"] = {"data": {"apps": [
        {"id": "spklwebapp", "name": "Speckle Web Manager", "description": "The web app",
         "termsAndConditionsLink": None, "trustByDefault": True, "logo": None,
         "author": {"id": None, "name": "Speckle", "avatar": None}},
        {"id": "explorer", "name": "Explorer", "description": None, "termsAndConditionsLink": None,
         "trustByDefault": False, "logo": "https://x/logo.png", "author": None},
    ]}}
    apps = client.server.apps()
    assert [app["id"] for app in apps] == ["spklwebapp", "explorer"]
    assert apps[0]["trustByDefault"] is True and apps[0]["author"]["name"] == "Speckle"
    assert apps[1]["author"] == {"id": None, "name": None, "avatar": None}  # seed: app['author']['name']
    assert apps[1]["logo"] == "https://x/logo.png"
    assert all(isinstance(app, dict) for app in apps)


# -- tokens ---------------------------------------------------------------------------------------


def test_create_token_request_shape_and_bearer_auth(wire, v2, client):
    v2.answers["apiTokenCreate"] = {"data": {"apiTokenCreate": "f00dfeedf00dfeed"}}
    token = client.server.create_token(
        name="CI/CD Pipeline Token", scopes=["streams:read", "streams:write", "profile:read"], lifespan=86400 * 30
    )
    assert token == "f00dfeedf00dfeed"
    field, variables, headers = v2.calls[-1]
    assert field == "apiTokenCreate"
    assert variables == {"token": {"name": "CI/CD Pipeline Token",
                                   "scopes": ["streams:read", "streams:write", "profile:read"],
                                   "lifespan": 2592000}}
    assert headers["Authorization"] == f"Bearer {PAT}"
    assert all("JWT" not in call[2].get("Authorization", "") for call in v2.calls)
    assert v2.bodies[-1]["variables"]["token"]["lifespan"] == 2592000  # a JSON number


def test_revoke_token(wire, v2, client):
    v2.answers["apiTokenRevoke"] = [{"data": {"apiTokenRevoke": True}}, {"data": {"apiTokenRevoke": False}}]
    assert client.server.revoke_token("abc123def456") is True
    assert v2.calls[-1][:2] == ("apiTokenRevoke", {"token": "abc123def456"})
    assert client.server.revoke_token("abc123def456") is False


def test_seed_faq_scope_validation_creates_only_with_available_scopes(wire, v2, client):
    v2.answers["apiTokenCreate"] = {"data": {"apiTokenCreate": "new-token"}}

    def create_if_available(desired_scopes: list[str]) -> Any:
        info = client.server.get()
        available_scopes = {scope.name for scope in info.scopes}
        if all(scope in available_scopes for scope in desired_scopes):
            return client.server.create_token(name="My Token", scopes=desired_scopes, lifespan=2592000)
        return None

    assert create_if_available(["streams:read", "streams:write", "profile:read"]) == "new-token"
    assert create_if_available(["streams:read", "automate:report-results"]) is None
    assert v2.fields().count("apiTokenCreate") == 1


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("FORBIDDEN", PermissionDeniedError),
        ("UNAUTHENTICATED", AuthenticationError),
        ("BAD_USER_INPUT", BadRequestError),
        ("STREAM_NOT_FOUND", SpeckleGraphQLError),
        (None, SpeckleGraphQLError),
    ],
)
def test_graphql_errors_are_typed(wire, v2, client, code, cls):
    v2.answers["apiTokenCreate"] = gql_error("Your auth token does not have the required scope: tokens:write.",
                                             code, "apiTokenCreate")
    with pytest.raises(cls) as info:
        client.server.create_token("t", ["streams:read"], 3600)
    error = info.value
    assert isinstance(error, SpeckleAPIError)
    assert error.message == "Your auth token does not have the required scope: tokens:write."
    assert error.errors == v2.answers["apiTokenCreate"]["errors"]
    assert error.payload["data"] is None


def test_several_graphql_errors_keep_every_message(wire, v2, client):
    body = gql_error("first", "BAD_USER_INPUT")
    body["errors"].append({"message": "second", "extensions": {"code": "FORBIDDEN"}})
    v2.answers["apiTokenRevoke"] = body
    with pytest.raises(BadRequestError, match="first; second") as info:
        client.server.revoke_token("abc")
    assert len(info.value.errors) == 2


def test_http_400_with_graphql_errors_gives_their_messages(wire, v2, client):
    v2.answers["apiTokenCreate"] = (400, gql_error('Variable "$token" got invalid value', "BAD_USER_INPUT"))
    with pytest.raises(BadRequestError, match="got invalid value") as info:
        client.server.create_token("t", ["streams:read"], 3600)
    assert info.value.status_code == 400 and info.value.errors


def test_http_500_is_a_server_error(wire, v2, client):
    v2.answers["apiTokenRevoke"] = (500, {"message": "boom"})
    with pytest.raises(ServerError, match="boom"):
        client.server.revoke_token("abc")


def test_a_mutation_is_not_retried(wire, v2, make_client):
    client = make_client(max_retries=2, server_generation="v2")
    client.server.token = PAT
    v2.answers["apiTokenCreate"] = (503, {"message": "try later"})
    with pytest.raises(ServerError):
        client.server.create_token("t", ["streams:read"], 3600)
    assert v2.fields() == ["apiTokenCreate"]


def test_a_non_string_token_answer_is_a_response_error(wire, v2, client):
    v2.answers["apiTokenCreate"] = {"data": {"apiTokenCreate": None}}
    with pytest.raises(SpeckleResponseError):
        client.server.create_token("t", ["streams:read"], 3600)


@pytest.mark.parametrize(
    ("kwargs", "what"),
    [
        ({"name": "", "scopes": ["streams:read"], "lifespan": 60}, "name"),
        ({"name": "t", "scopes": "streams:read", "lifespan": 60}, "scopes"),
        ({"name": "t", "scopes": [], "lifespan": 60}, "scopes"),
        ({"name": "t", "scopes": ["streams:read", ""], "lifespan": 60}, "scope"),
        ({"name": "t", "scopes": ["streams:read"], "lifespan": 0}, "lifespan"),
        ({"name": "t", "scopes": ["streams:read"], "lifespan": True}, "lifespan"),
        ({"name": "t", "scopes": ["streams:read"], "lifespan": "3600"}, "lifespan"),
    ],
)
def test_create_token_checks_arguments_before_sending(wire, v2, client, kwargs, what):
    with pytest.raises(SpeckleInputError, match=what):
        client.server.create_token(**kwargs)
    assert wire.call_count == 0


def test_revoke_token_checks_its_argument(wire, v2, client):
    with pytest.raises(SpeckleInputError):
        client.server.revoke_token("  ")
    assert wire.call_count == 0


# -- the v2 token ---------------------------------------------------------------------------------


def test_server_token_accepts_bearer_form_and_refuses_v1_tokens(client):
    client.server.token = f"Bearer {PAT}"
    assert client.server.token == PAT
    with pytest.raises(SpeckleInputError, match="v1 token"):
        client.server.token = client.token
    with pytest.raises(SpeckleInputError):
        client.server.token = "two words"
    client.server.token = None
    assert client.server.token is None


def test_without_a_v2_token_the_v1_jwt_is_not_sent(wire, v2, client):
    client.server.token = None
    v2.answers["apiTokenRevoke"] = gql_error("You must provide an auth token.", "UNAUTHENTICATED")
    with pytest.raises(AuthenticationError):
        client.server.revoke_token("abc")
    assert all("Authorization" not in headers for _, _, headers in v2.calls)
    assert client.token.startswith("JWT ")  # the client's own token is untouched


def test_tokens_never_reach_the_logs(wire, v2, client, caplog):
    v2.answers["apiTokenCreate"] = {"data": {"apiTokenCreate": "s3cr3t-new-token"}}
    v2.answers["apiTokenRevoke"] = {"data": {"apiTokenRevoke": True}}
    with caplog.at_level(logging.DEBUG, logger="speckle"):
        client.server.create_token("t", ["streams:read"], 3600)
        client.server.revoke_token("revoked-s3cr3t")
    assert caplog.records
    assert not any(secret in caplog.text for secret in (PAT, "s3cr3t-new-token", "revoked-s3cr3t"))
