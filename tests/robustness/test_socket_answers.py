"""Answers only a real socket can give: trickled bytes, malformed redirects, unusable charsets.

A raw server on 127.0.0.1 (:mod:`tests.robustness.rawserver`) sends exactly the bytes of each
test, so these go through requests, urllib3 and the client's own sockets as in production.
"""

from __future__ import annotations

import time

import pytest

from speckle import SpeckleApiClient
from speckle.errors import ServerError, SpeckleConnectionError, SpeckleResponseError, SpeckleTimeoutError
from speckle.transport import Transport

from .rawserver import raw_server

BODY = b'{"success":true,"resource":{"_id":"5f0c7e6b9d1e8a00aaaaaaaa","streamId":"s1","name":"' + b"a" * 40 + b'"}}'
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


def client_of(url: str, **options: object) -> SpeckleApiClient:
    options = {"max_retries": 0, "timeout": 2.0, "sent_cache": False, "received_cache": False,
               "server_generation": "v1", **options}
    return SpeckleApiClient(url, **options)  # type: ignore[arg-type]


def test_a_fast_answer_is_read_through_the_deadline_sockets() -> None:
    with raw_server(OK) as url, client_of(url, deadline=5) as client:
        assert client.streams.get("s1").name == "a" * 40
        assert client.streams.get("s1").streamId == "s1"  # the kept-alive connection is reused


@pytest.mark.parametrize("head", [len(OK) - 30, 5], ids=["body", "status line and headers"])
def test_a_server_trickling_its_answer_ends_at_the_deadline(head: int) -> None:
    # one byte every 0.2 s: each read succeeds well within the 2 s timeout, the whole never ends
    with raw_server(OK, head=head, delay=0.2) as url, client_of(url, deadline=1.5) as client:
        started = time.monotonic()
        with pytest.raises(SpeckleTimeoutError) as info:
            client.streams.get("s1")
        elapsed = time.monotonic() - started
    assert 1.4 <= elapsed < 3.0
    assert "deadline of 1.5s" in str(info.value)


def test_the_deadline_covers_retries_too() -> None:
    with raw_server(OK, head=len(OK) - 30, delay=0.2) as url, client_of(url, deadline=1.5, max_retries=5) as client:
        client.transport.backoff_factor = 0.01
        started = time.monotonic()
        with pytest.raises(SpeckleTimeoutError):
            client.streams.get("s1")
    assert time.monotonic() - started < 3.0


def test_a_per_call_deadline_overrides_the_clients() -> None:
    with raw_server(OK, head=len(OK) - 30, delay=0.2) as url:
        transport = Transport(f"{url}/api/v1", timeout=2.0, max_retries=0, deadline=None)
        started = time.monotonic()
        with pytest.raises(SpeckleTimeoutError):
            transport.request("GET", "/streams/s1", deadline=1.0)
        assert time.monotonic() - started < 2.5
        transport.close()


def test_without_a_deadline_a_slow_but_steady_answer_completes() -> None:
    with raw_server(OK, head=len(OK) - 8, delay=0.05) as url, client_of(url, deadline=None) as client:
        assert client.streams.get("s1").streamId == "s1"


@pytest.mark.parametrize(
    "location",
    [b"//[::1", b"http://[::1", b"/caf\xc3\xa9\xff\xfe", b"\xff\xfe\xfd", b"http://exa mple.com:99999/x", b"http://:0"],
)
def test_malformed_redirects_are_typed_errors(location: bytes) -> None:
    answer = b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n"
    with raw_server(answer) as url, client_of(url, max_retries=1) as client:
        with pytest.raises((SpeckleResponseError, SpeckleConnectionError)) as info:
            client.streams.get("s1")
    assert info.value.method == "GET"


def test_endless_redirects_are_a_typed_error() -> None:
    answer = b"HTTP/1.1 302 Found\r\nLocation: /api/v1/streams/s1\r\nContent-Length: 0\r\n\r\n"
    with raw_server(answer) as url, client_of(url) as client:
        with pytest.raises(SpeckleResponseError, match="redirected too many times"):
            client.streams.get("s1")


@pytest.mark.parametrize("charset", ["rot13", "idna", "base64", "utf-7", "nonsense", "utf-16"])
def test_unusable_charsets_do_not_escape(charset: str) -> None:
    page = b"<html><pre>Boom \xff\xfe\xc3\xa9</pre></html>"
    answer = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html; charset=" + charset.encode()
              + b"\r\nContent-Length: %d\r\n\r\n%s" % (len(page), page))
    with raw_server(answer) as url, client_of(url) as client:
        with pytest.raises(ServerError) as info:
            client.streams.get("s1")
    assert "Boom" in info.value.message or charset == "utf-16"


def test_json_with_a_charset_is_still_json() -> None:
    answer = OK.replace(b"application/json", b"application/json; charset=rot13")
    with raw_server(answer) as url, client_of(url) as client:
        assert client.streams.get("s1").streamId == "s1"


def test_a_time_limit_block_bounds_several_requests_together() -> None:
    with raw_server(OK) as url, client_of(url, deadline=None) as client:
        with client.time_limit(0.5):
            assert client.streams.get("s1").streamId == "s1"
            time.sleep(0.6)
            started = time.monotonic()
            with pytest.raises(SpeckleTimeoutError, match=r"deadline of 0\.5s"):
                client.streams.get("s1")  # nothing is sent once the block's time is up
            assert time.monotonic() - started < 0.2
        assert client.streams.get("s1").streamId == "s1"  # the limit ends with the block


def test_a_time_limit_block_covers_the_workers_of_bulk_transfers() -> None:
    # three getbulk requests in three worker threads, each answered one byte every 0.2 s
    answer = OK.replace(b'"resource":{', b'"resources":[{').replace(b'"}}', b'"}]}').replace(
        b"Content-Length: %d" % len(BODY), b"Content-Length: %d" % (len(BODY) + 2))
    with raw_server(answer, head=len(answer) - 30, delay=0.2) as url:
        with client_of(url, deadline=None, max_workers=3, fetch_count=1) as client:
            started = time.monotonic()
            with client.time_limit(1.0), pytest.raises(SpeckleTimeoutError):
                client.objects.get_bulk(["a", "b", "c"])
            assert time.monotonic() - started < 2.5
