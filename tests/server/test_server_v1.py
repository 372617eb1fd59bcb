"""``client.server`` against v1 servers: mocked, then the local server end to end."""

from __future__ import annotations

from typing import Any

import pytest

from speckle import SpeckleApiClient
from speckle.errors import SpeckleUnsupportedError
from speckle.models.server import ServerInfo, WorkspacesInfo, parse_version

from .conftest import GRAPHQL_URL, HOST, V1_INFO_URL

PLUGIN = {
    "name": "Sample Plugin",
    "version": "0.1.0",
    "desc": "A sample",
    "serveFrom": "/sample-plugin",
    "author": "Speckle Works",
    "homepage": "https://speckle.works",
    "canonicalUrl": "http://speckle.test/sample-plugin",
}


def description(**changes: Any) -> dict[str, Any]:
    """A ``GET /api/v1`` server description."""
    doc = {
        "isSpeckleServer": True,
        "serverName": "Please Change My Name Server",
        "version": "1.x.x",
        "api": {"streams": [{"method": "GET", "route": "http://speckle.test/api/streams"}]},
        "plugins": [PLUGIN],
        "jnMask": "######-##",
    }
    doc.update(changes)
    return doc


@pytest.fixture
def v1(wire):
    """A mocked v1 server; ``POST /graphql`` is registered only to prove it is never called."""
    info = wire.get(V1_INFO_URL, json=description())
    wire.get(f"{HOST}/api/plugins", json=[PLUGIN])
    graphql = wire.post(GRAPHQL_URL, status_code=404, text="Cannot POST /graphql")
    return info, graphql


def test_get_maps_the_v1_description(v1, client):
    info = client.server.get()
    assert isinstance(info, ServerInfo)
    assert client.server.generation == "v1"
    assert info.name == "Please Change My Name Server"
    assert info.canonicalUrl == HOST
    assert info.version == "1.x.x"
    assert info.scopes == [] and info.authStrategies == []
    assert isinstance(info.workspaces, WorkspacesInfo) and info.workspaces.workspacesEnabled is False
    assert info.company is None and info.description is None and info.adminContact is None
    # the rest of the description is kept
    assert info.jnMask == "######-##" and info["api"]["streams"][0]["method"] == "GET"
    assert "serverName" not in info


def test_detection_answer_is_reused_and_graphql_never_called(v1, client):
    info_route, graphql_route = v1
    client.server.get()
    assert info_route.call_count == 1
    client.server.version()
    client.server.apps()
    assert info_route.call_count == 2 and graphql_route.call_count == 0


def test_canonical_url_keeps_a_path_prefix(wire):
    wire.get("https://proxy.test/speckle/api/v1/", json=description())
    client = SpeckleApiClient("https://proxy.test/speckle/api/v1", max_retries=0)
    assert client.server.get().canonicalUrl == "https://proxy.test/speckle"


@pytest.mark.parametrize(
    ("reported", "expected"),
    [("1.x.x", (1, 0, 0)), ("1.4.2", (1, 4, 2)), ("UNKNOWN", (1, 0, 0)), (None, (1, 0, 0)), ("", (1, 0, 0))],
)
def test_version(wire, client, reported, expected):
    wire.get(V1_INFO_URL, json=description(version=reported))
    assert client.server.version() == expected


def test_version_missing_from_the_description(wire, client):
    doc = description()
    del doc["version"]
    wire.get(V1_INFO_URL, json=doc)
    assert client.server.version() == (1, 0, 0)


def test_apps_are_the_plugins_in_the_app_shape(v1, client):
    (app,) = client.server.apps()
    assert list(app)[:7] == ["id", "name", "description", "termsAndConditionsLink", "trustByDefault", "logo", "author"]
    assert app["id"] == "sample-plugin" and app["name"] == "Sample Plugin" and app["description"] == "A sample"
    assert app["author"] == {"id": None, "name": "Speckle Works", "avatar": None}
    assert app["version"] == "0.1.0" and app["canonicalUrl"] == "http://speckle.test/sample-plugin"
    assert "desc" not in app


@pytest.mark.parametrize("call", [
    lambda s: s.create_token("t", ["streams:read"], 3600),
    lambda s: s.revoke_token("abc"),
])
def test_token_operations_are_unsupported(v1, client, call):
    with pytest.raises(SpeckleUnsupportedError, match="v1 server"):
        call(client.server)
    assert v1[1].call_count == 0


def test_forced_v1_never_probes(wire, make_client):
    route = wire.get(f"{HOST}/api/plugins", json=[])
    client = make_client(server_generation="v1")
    with pytest.raises(SpeckleUnsupportedError):
        client.server.revoke_token("abc")
    assert client.server.apps() == [] and wire.call_count == route.call_count == 1


# -- the local server, end to end ---------------------------------------------------------------------


def test_local_server_end_to_end(speckle_server, speckle_client):
    server = speckle_client.server
    info = server.get()
    assert server.generation == "v1"
    assert info.name == speckle_server.config.name
    assert info.canonicalUrl == speckle_server.url.rstrip("/")
    assert info.version == speckle_server.config.version
    assert server.version() == parse_version(speckle_server.config.version, unknown=(1, 0, 0))
    assert all(isinstance(part, int) for part in server.version()[:3])
    assert info.get("isSpeckleServer") is True and "streams" in info["api"]
    with pytest.raises(SpeckleUnsupportedError):
        server.create_token("t", ["streams:read"], 3600)


def test_local_server_plugins_as_apps_and_odd_version(speckle_server_factory):
    manifest = {"name": "Viewer", "version": "2.0.0", "desc": "3D viewer", "serveFrom": "/viewer", "author": "Me"}
    local = speckle_server_factory(name="Plugged", version="UNKNOWN", plugins=[manifest])
    client = SpeckleApiClient(local.url, max_retries=0)
    assert client.server.version() == (1, 0, 0)
    (app,) = client.server.apps()
    assert (app["id"], app["name"], app["description"]) == ("viewer", "Viewer", "3D viewer")
    assert app["author"]["name"] == "Me"
    assert app["canonicalUrl"].endswith("/viewer")
    assert client.server.get().name == "Plugged"
