"""pytest plugin (entry point ``pytest11: speckle``): local Speckle v1 servers as fixtures.

Fixtures:

* ``speckle_server`` — session-scoped running :class:`LocalServer` (in-memory, fast bcrypt).
* ``speckle_server_factory`` — ``factory(**config_overrides) -> LocalServer``; every server it
  starts is stopped at the end of the test.
* ``speckle_client`` — a ``speckle.SpeckleApiClient`` on ``speckle_server`` logged in as a
  freshly registered, unique user.

``speckle_server`` (and so ``speckle_client``) can target a real v1 server instead: give its
address with ``pytest --speckle-server-url http://host:port`` or the environment variable
``SPECKLE_SERVER_URL``; the fixture is then a :class:`RemoteServer` (same ``host``/``url``/
``ws_url``), and the same tests run against it.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from .server import LocalServer

#: bcrypt cost used by the fixtures (the minimum bcrypt accepts; production uses 12).
FAST_BCRYPT_ROUNDS = 4
_users = itertools.count(1)


#: Environment variable naming a real server for ``speckle_server`` (like ``--speckle-server-url``).
SERVER_URL_ENV = "SPECKLE_SERVER_URL"


@dataclass(frozen=True)
class RemoteServer:
    """A Speckle v1 server running elsewhere, with the addresses :class:`LocalServer` offers."""

    url: str

    @property
    def use_ssl(self) -> bool:
        """Whether the server is reached over HTTPS."""
        return urlsplit(self.url).scheme == "https"

    @property
    def host(self) -> str:
        """``host:port`` as ``SpeckleApiClient(server.host, use_ssl=server.use_ssl)`` expects it."""
        return urlsplit(self.url).netloc

    @property
    def ws_url(self) -> str:
        """``ws://host:port`` (``wss://`` over HTTPS)."""
        return ("wss://" if self.use_ssl else "ws://") + self.host


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--speckle-server-url``: run ``speckle_server`` tests against a real server."""
    parser.addoption(
        "--speckle-server-url", default=None,
        help=f"address of a real Speckle v1 server for the speckle_server fixture (or ${SERVER_URL_ENV}); "
             "a local server is started when neither is given",
    )


def server_url(config: pytest.Config) -> str | None:
    """The real server's address given by option or environment, if any."""
    url = config.getoption("--speckle-server-url", default=None) or os.environ.get(SERVER_URL_ENV) or None
    return url.rstrip("/") if url else None


@pytest.fixture(scope="session")
def speckle_server(pytestconfig: pytest.Config) -> Iterator[LocalServer | RemoteServer]:
    """A Speckle v1 server shared by the whole test session.

    A local one, unless ``--speckle-server-url``/``SPECKLE_SERVER_URL`` names a real one.
    """
    url = server_url(pytestconfig)
    if url is not None:
        yield RemoteServer(url)
        return
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
def speckle_client(speckle_server: LocalServer | RemoteServer) -> Any:
    """A ``SpeckleApiClient`` logged in as a new unique user of ``speckle_server``."""
    from speckle import SpeckleApiClient  # imported lazily: the client is optional here

    client = SpeckleApiClient(speckle_server.host, use_ssl=getattr(speckle_server, "use_ssl", False))
    number = next(_users)
    client.register(
        email=f"user{number}-{uuid.uuid4().hex[:8]}@speckle.local",
        password="correct horse battery staple",
        company="Speckle",
        name=f"User{number}",
        surname="Test",
    )
    return client
