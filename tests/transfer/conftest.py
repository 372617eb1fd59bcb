"""Fixtures of the transfer tests: an isolated config folder, clients on small local servers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from speckle import SpeckleApiClient


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every sent-object record of the tests in a temporary folder."""
    folder = tmp_path / "config"
    monkeypatch.setenv("SPECKLE_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def make_client() -> Iterator[Callable[..., SpeckleApiClient]]:
    """``make_client(server, **client_options)``: a client registered as a new user."""
    made: list[SpeckleApiClient] = []

    def factory(server: Any, **options: Any) -> SpeckleApiClient:
        client = SpeckleApiClient(server.host, use_ssl=False, **options)
        client.register(email=f"t-{uuid.uuid4().hex[:10]}@speckle.local", password="transfer tests", company="x")
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def geometry(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """Distinct objects of a few geometry types, deterministic for a seed."""
    out: list[dict[str, Any]] = []
    for i in range(count):
        base = seed * 1_000_000 + i
        kind = i % 4
        if kind == 0:
            out.append({"type": "Point", "value": [base, i * 0.5, 1.25]})
        elif kind == 1:
            out.append({"type": "Line", "value": [0, 0, 0, base, 1.5, 2]})
        elif kind == 2:
            out.append({"type": "Mesh", "vertices": [float(base)] * 30, "faces": [0, 1, 2, 3] * 5,
                        "properties": {"name": f"m{i}", "é": "ü"}})
        else:
            out.append({"type": "Polyline", "closed": False, "value": [base, 2.5] * 12, "name": None})
    return out
