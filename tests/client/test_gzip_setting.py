"""The gzip threshold: automatic (off for servers on this machine), explicit, or refused."""

from __future__ import annotations

import gzip
import json

import pytest
import requests_mock

from speckle import SpeckleApiClient, SpeckleInputError
from speckle.transport import DEFAULT_GZIP_THRESHOLD


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("http://127.0.0.1:3000", None),
        ("localhost:3000", None),
        ("http://[::1]:3000", None),
        ("speckle.example.com", DEFAULT_GZIP_THRESHOLD),
        ("https://10.1.2.3/api", DEFAULT_GZIP_THRESHOLD),
    ],
)
def test_auto_gzip_is_off_for_loopback_servers_only(host: str, expected: int | None) -> None:
    assert SpeckleApiClient(host, sent_cache=False).transport.gzip_threshold == expected


def test_explicit_threshold_compresses_large_bodies_on_any_host() -> None:
    client = SpeckleApiClient("http://127.0.0.1:3000", gzip_threshold=100, sent_cache=False)
    with requests_mock.Mocker() as mock:
        mock.post("http://127.0.0.1:3000/api/v1/objects", json={"success": True, "resources": [{"_id": "a" * 24}]})
        client.objects.create({"type": "String", "value": "x" * 500})
        request = mock.request_history[0]
    assert request.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(request.body)) == [{"type": "String", "value": "x" * 500}]


@pytest.mark.parametrize("bad", [-1, "sometimes", 1.5, True])
def test_bad_threshold_is_refused(bad: object) -> None:
    with pytest.raises(SpeckleInputError, match="gzip_threshold"):
        SpeckleApiClient("speckle.example.com", gzip_threshold=bad, sent_cache=False)
