"""Fixtures of the client tests: a client wired to ``requests_mock`` and v1-shaped payloads."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests_mock

from speckle import SpeckleApiClient

HOST = "http://speckle.test"
API = f"{HOST}/api/v1"
USER_ID = "5f0c7e6b9d1e8a0012345678"
OTHER_ID = "5f0c7e6b9d1e8a0087654321"


SECRET = "not-the-server-secret-but-32-bytes-long"


def make_token(user_id: str = USER_ID, ttl: float = 3600, secret: str = SECRET) -> str:
    """A ``JWT ...`` token shaped like a v1 apitoken (``exp`` ``ttl`` seconds from now)."""
    now = int(time.time())
    return "JWT " + jwt.encode({"_id": user_id, "iat": now, "exp": now + int(ttl)}, secret, algorithm="HS256")


TOKEN = make_token()
SESSION_TOKEN = make_token(ttl=600)


def user_doc(**extra: Any) -> dict[str, Any]:
    """The own-profile document of ``GET /accounts`` / login (v1 field order)."""
    doc: dict[str, Any] = {
        "_id": USER_ID,
        "name": "Snakey",
        "surname": "Snake",
        "email": "test@test.com",
        "company": "SnakeySnakes",
        "apitoken": TOKEN,
        "logins": [{"date": 1590000000000}],
        "role": "user",
        "private": True,
        "verified": False,
        "archived": False,
        "createdAt": "2020-05-20T10:00:00.000Z",
        "updatedAt": "2020-05-20T10:00:00.000Z",
        "__v": 1,
    }
    doc.update(extra)
    return doc


def stream_doc(stream_id: str = "I9-BQERra", **extra: Any) -> dict[str, Any]:
    """A stream as ``GET /streams/:id`` returns it."""
    doc: dict[str, Any] = {
        "_id": "5f0c7e6b9d1e8a00aaaaaaaa",
        "streamId": stream_id,
        "owner": USER_ID,
        "private": False,
        "canRead": [],
        "canWrite": [],
        "objects": [{"type": "Placeholder", "_id": "5f0c7e6b9d1e8a00bbbbbbbb"}],
        "layers": [],
        "name": "My stream",
        "createdAt": "2020-05-20T10:00:00.000Z",
        "updatedAt": "2020-05-20T10:00:00.000Z",
        "__v": 0,
    }
    doc.update(extra)
    return doc


@pytest.fixture
def wire() -> Iterator[requests_mock.Mocker]:
    """A ``requests_mock`` mocker: every request must be registered."""
    with requests_mock.Mocker() as mocker:
        yield mocker


@pytest.fixture
def sleeps() -> list[float]:
    """The backoff delays the client slept, in order (recorded, not slept)."""
    return []


@pytest.fixture
def anon(sleeps: list[float]) -> SpeckleApiClient:
    """A client of ``http://speckle.test`` without credentials; backoff sleeps are recorded."""
    client = SpeckleApiClient(HOST, max_retries=3, timeout=7.5)
    client.transport._sleep = sleeps.append
    return client


@pytest.fixture
def client(anon: SpeckleApiClient) -> SpeckleApiClient:
    """``anon`` holding a valid apitoken."""
    anon.token = TOKEN
    return anon
