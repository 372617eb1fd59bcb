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


pytest_plugins = ["pytester"]

_PROBE = """
def test_probe(speckle_server):
    assert type(speckle_server).__name__ == "RemoteServer"
    assert speckle_server.url == "https://speckle.example.org:4443"
    assert speckle_server.host == "speckle.example.org:4443"
    assert speckle_server.ws_url == "wss://speckle.example.org:4443"
    assert speckle_server.use_ssl
"""


def test_server_url_option_targets_a_real_server(pytester, monkeypatch) -> None:
    monkeypatch.delenv("SPECKLE_SERVER_URL", raising=False)
    pytester.makepyfile(_PROBE)
    result = pytester.runpytest_inprocess("--speckle-server-url", "https://speckle.example.org:4443/")
    result.assert_outcomes(passed=1)


def test_server_url_environment_variable_targets_a_real_server(pytester, monkeypatch) -> None:
    monkeypatch.setenv("SPECKLE_SERVER_URL", "https://speckle.example.org:4443")
    pytester.makepyfile(_PROBE)
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)


def test_without_url_the_fixture_is_a_local_server(pytester, monkeypatch) -> None:
    monkeypatch.delenv("SPECKLE_SERVER_URL", raising=False)
    pytester.makepyfile("""
def test_probe(speckle_server):
    assert type(speckle_server).__name__ == "LocalServer"
""")
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
