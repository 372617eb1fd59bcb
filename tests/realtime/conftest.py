"""Fixtures of the realtime tests: users, streams and listeners that are always closed."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from speckle import SpeckleApiClient
from speckle.devserver import LocalServer
from speckle.realtime import Backoff, StreamListener

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"

#: Fast reconnection for tests.
FAST = Backoff(initial=0.05, maximum=0.3, jitter=0.5)


def new_user(server: LocalServer) -> tuple[SpeckleApiClient, str]:
    """A client registered as a new user of ``server``, and the user's email."""
    client = SpeckleApiClient(server.host, use_ssl=False)
    email = f"rt{next(_numbers)}-{uuid.uuid4().hex[:8]}@speckle.local"
    client.register(email=email, password=PASSWORD, company="Speckle", name="Live", surname="Tester")
    return client, email


@pytest.fixture
def user(speckle_server: LocalServer) -> SpeckleApiClient:
    return new_user(speckle_server)[0]


@pytest.fixture
def other_user(speckle_server: LocalServer) -> SpeckleApiClient:
    return new_user(speckle_server)[0]


@pytest.fixture
def anonymous(speckle_server: LocalServer) -> SpeckleApiClient:
    return SpeckleApiClient(speckle_server.host, use_ssl=False)


def make_stream(client: SpeckleApiClient, private: bool = False) -> str:
    stream = client.streams.create({"name": f"live-{uuid.uuid4().hex[:6]}", "private": private})
    return str(stream.streamId)


@pytest.fixture
def stream_id(user: SpeckleApiClient) -> str:
    return make_stream(user)


Listen = Callable[..., StreamListener]


@pytest.fixture
def listen() -> Iterator[Listen]:
    """``listen(client, stream_id, **kwargs)``: a started listener, ready to receive; closed at teardown."""
    made: list[StreamListener] = []

    def start(client: SpeckleApiClient, stream_id: str, ready: bool = True, **kwargs: Any) -> StreamListener:
        kwargs.setdefault("backoff", FAST)
        listener = client.listen(stream_id, **kwargs)
        made.append(listener)
        if ready:
            assert listener.wait_ready(5), "listener did not get ready"
        return listener

    yield start
    for listener in made:
        listener.close()
