"""The server models and the version parser."""

from __future__ import annotations

import pytest

from speckle.models import AuthStrategy, Scope, ServerInfo, WorkspacesInfo
from speckle.models.server import DEV_VERSION, parse_version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.6.3", (2, 6, 3)),
        ("2.6.4-alpha.4711", (2, 6, 4, "alpha", 4711)),
        ("3.0.0-beta.12", (3, 0, 0, "beta", 12)),
        ("v2.23.4", (2, 23, 4)),
        ("2.23.4+build.7", (2, 23, 4)),
        ("2.3", (2, 3, 0)),
        ("3", (3, 0, 0)),
        ("2.0.0-rc", (2, 0, 0, "rc", 0)),
        ("2.0.0-alpha.abc", (2, 0, 0, "alpha", 0)),
        ("1.x.x", (1, 0, 0)),
        (" 2.1.0 ", (2, 1, 0)),
        ("dev", DEV_VERSION),
        ("DEV", DEV_VERSION),
    ],
)
def test_parse_version(text, expected):
    parsed = parse_version(text)
    assert parsed == expected
    assert all(isinstance(part, int) for i, part in enumerate(parsed) if i != 3)


@pytest.mark.parametrize("text", [None, "", "UNKNOWN", "latest", "2.x.y.z", 2.1, "1..2"])
def test_unreadable_versions_give_the_fallback(text):
    assert parse_version(text) == (0, 0, 0)
    assert parse_version(text, unknown=(2, 0, 0)) == (2, 0, 0)


def test_versions_compare_like_the_seed_shows():
    assert parse_version("3.1.0") >= (3, 0)
    assert parse_version("2.23.4") < parse_version("2.24.0") < parse_version("10.0.0")
    assert parse_version("dev") > parse_version("99.0.0")


def test_server_info_models_and_round_trip():
    data = {
        "name": "S",
        "scopes": [{"name": "streams:read", "description": "Read"}],
        "authStrategies": [{"id": "local", "name": "Local", "icon": "i", "url": "/auth/local", "color": None}],
        "workspaces": {"workspacesEnabled": False},
        "inviteOnly": True,
    }
    info = ServerInfo.from_data(data)
    assert isinstance(info.scopes[0], Scope) and isinstance(info.authStrategies[0], AuthStrategy)
    assert isinstance(info.workspaces, WorkspacesInfo)
    assert info.authStrategies[0].url == "/auth/local"  # unknown nested field kept
    assert info.inviteOnly is True
    assert info.to_payload() == data


def test_server_info_defaults_are_iterable():
    info = ServerInfo.from_data({"name": "S", "authStrategies": None})
    assert info.scopes == [] and info.authStrategies == [] and info.workspaces is None
