"""The pytest plugin's fixtures."""

from __future__ import annotations

import requests


def test_speckle_client_is_logged_in(speckle_client, speckle_server) -> None:
    token = speckle_client.token
    assert isinstance(token, str) and token.startswith("JWT ")
    me = requests.get(speckle_server.url + "/api/accounts", headers={"Authorization": token}, timeout=10).json()
    assert me["success"] is True and me["resource"]["email"].endswith("@speckle.local")


def test_factory_applies_overrides(speckle_server_factory, speckle_server) -> None:
    other = speckle_server_factory(name="Factory", public_registration=False)
    assert other.port != speckle_server.port
    info = requests.get(other.url + "/api", timeout=10).json()
    assert info["serverName"] == "Factory"
    refused = requests.post(other.url + "/api/accounts/register", json={"email": "a@b.cc", "password": "x" * 8},
                            timeout=10)
    assert refused.status_code == 401
