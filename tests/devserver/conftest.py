"""Fixtures of the devserver tests (real sockets on 127.0.0.1)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

# the plugin's fixtures, usable before the package is pip-installed (conftest wins over the
# entry-point plugin when both are active)
from speckle.devserver.pytest_plugin import speckle_server, speckle_server_factory  # noqa: F401
from speckle.devserver.server import LocalServer

PASSWORD = "password123"
_numbers = itertools.count(1)


@dataclass
class User:
    """A registered account."""

    id: str
    email: str
    apitoken: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        """``Authorization`` header with the apitoken."""
        return {"Authorization": self.apitoken}


class Http:
    """Small ``requests`` wrapper rooted at ``<server>/api``."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.base = server.url + "/api"
        self.session = requests.Session()

    def __call__(self, method: str, path: str, user: User | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if user is not None:
            headers.update(user.auth)
        return self.session.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def ok(self, method: str, path: str, user: User | None = None, **kwargs: Any) -> dict[str, Any]:
        """Call and assert a 200 JSON answer with ``success: true``."""
        response = self(method, path, user, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        if isinstance(body, dict) and "success" in body:
            assert body["success"] is True, body
        return body

    def register(self, **fields: Any) -> User:
        """Register a unique user (fields override) and return it."""
        number = next(_numbers)
        body = {"email": f"user{number}-{uuid.uuid4().hex[:6]}@example.com", "password": PASSWORD,
                "name": f"Name{number}", "surname": "Surname", "company": "ACME", **fields}
        resource = self.ok("POST", "/accounts/register", json=body)["resource"]
        profile = self.ok("GET", "/accounts", headers={"Authorization": resource["apitoken"]})
        return User(profile["resource"]["_id"], resource["email"], resource["apitoken"], resource["token"])

    def stream(self, user: User, **fields: Any) -> dict[str, Any]:
        """Create a stream and return its resource."""
        return self.ok("POST", "/streams", user, json=fields)["resource"]


@pytest.fixture
def http(speckle_server: LocalServer) -> Http:  # noqa: F811
    """HTTP helper on the shared session server."""
    return Http(speckle_server)


@pytest.fixture
def fresh(speckle_server_factory: Callable[..., LocalServer]) -> Callable[..., Http]:  # noqa: F811
    """Start a dedicated server (first user registered on it is admin)."""

    def make(**overrides: Any) -> Http:
        return Http(speckle_server_factory(**overrides))

    return make


@pytest.fixture
def admin_setup(fresh: Callable[..., Http]) -> tuple[Http, User, User, User]:
    """A dedicated server with an admin and two ordinary users."""
    api = fresh()
    admin = api.register()
    return api, admin, api.register(), api.register()
