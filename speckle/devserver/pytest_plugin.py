"""pytest plugin (entry point ``pytest11: speckle``): local Speckle v1 servers as fixtures.

Fixtures:

* ``speckle_server`` — session-scoped running :class:`LocalServer` (in-memory, fast bcrypt).
* ``speckle_server_factory`` — ``factory(**config_overrides) -> LocalServer``; every server it
  starts is stopped at the end of the test.
* ``speckle_client`` — a ``speckle.SpeckleApiClient`` on ``speckle_server`` logged in as a
  freshly registered, unique user.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .server import LocalServer

#: bcrypt cost used by the fixtures (the minimum bcrypt accepts; production uses 12).
FAST_BCRYPT_ROUNDS = 4
_users = itertools.count(1)


@pytest.fixture(scope="session")
def speckle_server() -> Iterator[LocalServer]:
    """A local Speckle v1 server shared by the whole test session."""
    with LocalServer(bcrypt_rounds=FAST_BCRYPT_ROUNDS) as server:
        yield server


@pytest.fixture
def speckle_server_factory() -> Iterator[Callable[..., LocalServer]]:
    """Start extra servers with config overrides; all are stopped at teardown."""
    started: list[LocalServer] = []

    def factory(**overrides: Any) -> LocalServer:
        overrides.setdefault("bcrypt_rounds", FAST_BCRYPT_ROUNDS)
        server = LocalServer(**overrides).start()
        started.append(server)
        return server

    yield factory
    for server in reversed(started):
        server.stop()


@pytest.fixture
def speckle_client(speckle_server: LocalServer) -> Any:
    """A ``SpeckleApiClient`` logged in as a new unique user of ``speckle_server``."""
    from speckle import SpeckleApiClient  # imported lazily: the client is optional here

    client = SpeckleApiClient(speckle_server.host, use_ssl=False)
    number = next(_users)
    client.register(
        email=f"user{number}-{uuid.uuid4().hex[:8]}@speckle.local",
        password="correct horse battery staple",
        company="Speckle",
        name=f"User{number}",
        surname="Test",
    )
    return client
