"""Transport on the wire: timeouts, retries, backoff, envelopes, typed errors and logging."""

from __future__ import annotations

import gzip
import json
import logging

import pytest
import requests
import requests_mock

from speckle import SpeckleApiClient
from speckle.errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SpeckleAPIError,
    SpeckleConnectionError,
    SpeckleError,
    SpeckleInputError,
    SpeckleResponseError,
    SpeckleTimeoutError,
    SpeckleTransportError,
)
from speckle.transport import Transport

from .conftest import API, HOST, TOKEN, stream_doc, user_doc

OK_OBJECTS = {"success": True, "message": "Saved objects to database.",
              "resources": [{"type": "Placeholder", "_id": "a"}]}

# -- retries ------------------------------------------------------------------------------------

SAFE_CALLS = [
    pytest.param("GET", f"{API}/streams/s1", lambda c: c.streams.get("s1"), {"resource": stream_doc("s1")}, id="get"),
    pytest.param("PUT", f"{API}/streams/s1", lambda c: c.streams.update("s1", {"name": "x"}), {}, id="put"),
    pytest.param("DELETE", f"{API}/streams/s1", lambda c: c.streams.delete("s1"), {}, id="delete"),
    pytest.param(
        "POST", f"{API}/objects/getbulk", lambda c: c.objects.get_bulk(["a"]), {"resources": [{"_id": "a"}]},
        id="getbulk",
    ),
    pytest.param(
        "POST", f"{API}/objects", lambda c: c.objects.create([{"type": "Point"}]), OK_OBJECTS, id="object-create"
    ),
]


@pytest.mark.parametrize("status", [502, 503, 504, 429])
@pytest.mark.parametrize(("method", "url", "call", "body"), SAFE_CALLS)
def test_safe_requests_are_retried_on_transient_statuses(wire, client, sleeps, status, method, url, call, body):
    wire.register_uri(
        method, url, [{"status_code": status, "text": "busy"}, {"json": {"success": True, **body}}]
    )
    call(client)
    assert wire.call_count == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize(("method", "url", "call", "body"), SAFE_CALLS)
def test_safe_requests_are_retried_on_connection_errors(wire, client, sleeps, method, url, call, body):
    wire.register_uri(
        method, url, [{"exc": requests.exceptions.ConnectionError("reset")}, {"json": {"success": True, **body}}]
    )
    call(client)
    assert wire.call_count == 2


@pytest.mark.parametrize("failure", [{"status_code": 503, "text": "busy"}, {"exc": requests.ConnectionError("boom")}])
def test_stream_creation_is_not_retried(wire, client, sleeps, failure):
    wire.post(f"{API}/streams", [failure, {"json": {"success": True, "resource": stream_doc()}}])
    with pytest.raises((ServerError, SpeckleConnectionError)):
        client.streams.create({"name": "once"})
    assert wire.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.streams.clone("s1"),
        lambda c: c.accounts.search("snake"),
        lambda c: c.projects.create({"name": "p"}),
        lambda c: c.comments.create_for("stream", "s1", "hi"),
    ],
)
def test_other_posts_are_not_retried(wire, client, sleeps, call):
    wire.post(requests_mock.ANY, status_code=502, text="Bad Gateway")
    with pytest.raises(ServerError) as info:
        call(client)
    assert info.value.status_code == 502
    assert wire.call_count == 1


def test_retries_are_bounded_and_give_the_last_error(wire, client, sleeps):
    wire.get(f"{API}/streams/s1", status_code=503, text="Service Unavailable")
    with pytest.raises(ServerError) as info:
        client.streams.get("s1")
    assert wire.call_count == 1 + client.transport.max_retries == 4
    assert len(sleeps) == 3
    assert info.value.status_code == 503


def test_persistent_connection_errors_give_connection_error(wire, client, sleeps):
    wire.get(f"{API}/streams/s1", exc=requests.exceptions.ConnectionError("[Errno 111] Connection refused"))
    with pytest.raises(SpeckleConnectionError) as info:
        client.streams.get("s1")
    assert wire.call_count == 4
    assert info.value.status_code is None
    assert info.value.method == "GET"
    assert info.value.url == f"{API}/streams/s1"
    assert "Connection refused" in info.value.message


def test_backoff_grows_exponentially_with_jitter_and_a_cap(wire, sleeps):
    client = SpeckleApiClient(HOST, max_retries=6, backoff_factor=0.5)
    client.transport.backoff_max = 2.0
    client.transport._sleep = sleeps.append
    wire.get(f"{API}/streams/s1", status_code=502)
    with pytest.raises(ServerError):
        client.streams.get("s1")
    assert len(sleeps) == 6
    for attempt, delay in enumerate(sleeps):
        nominal = min(2.0, 0.5 * 2**attempt)
        assert nominal / 2 <= delay <= nominal
    assert max(sleeps) <= 2.0
    # jitter: repeated runs do not sleep the same amounts
    first = list(sleeps)
    sleeps.clear()
    with pytest.raises(ServerError):
        client.streams.get("s1")
    assert sleeps != first


def test_retry_after_is_honoured(wire, client, sleeps):
    wire.get(
        f"{API}/streams/s1",
        [
            {"status_code": 429, "headers": {"Retry-After": "3"}},
            {"json": {"success": True, "resource": stream_doc("s1")}},
        ],
    )
    client.streams.get("s1")
    assert sleeps and sleeps[0] >= 3.0


def test_rate_limit_error_when_retries_run_out(wire, client, sleeps):
    wire.get(f"{API}/streams/s1", status_code=429, json={"message": "slow down"})
    with pytest.raises(RateLimitError) as info:
        client.streams.get("s1")
    assert info.value.message == "slow down"


def test_max_retries_zero_disables_retrying(wire, sleeps):
    client = SpeckleApiClient(HOST, max_retries=0)
    client.transport._sleep = sleeps.append
    wire.get(f"{API}/streams/s1", [{"status_code": 503}, {"json": {"success": True, "resource": stream_doc()}}])
    with pytest.raises(ServerError):
        client.streams.get("s1")
    wire.post(f"{API}/objects", exc=requests.ConnectionError("down"))
    with pytest.raises(SpeckleConnectionError):
        client.objects.create({"type": "Point"})
    assert wire.call_count == 2
    assert sleeps == []


def test_negative_max_retries_is_refused():
    with pytest.raises(SpeckleInputError):
        SpeckleApiClient(HOST, max_retries=-1)


def test_no_retry_on_client_errors(wire, client, sleeps):
    wire.get(f"{API}/streams/s1", status_code=404, json={"success": False, "message": "Resource not found."})
    with pytest.raises(NotFoundError):
        client.streams.get("s1")
    assert wire.call_count == 1


# -- timeouts ------------------------------------------------------------------------------------


def test_configured_timeout_is_passed_to_requests(wire, client):
    wire.get(f"{API}/accounts", json={"success": True, "resource": user_doc()})
    client.accounts.get_profile()
    assert wire.last_request.timeout == 7.5


def test_connect_read_timeout_tuple(wire):
    client = SpeckleApiClient(HOST, timeout=(2.0, 20.0))
    wire.get(f"{API}/", json={"isSpeckleServer": True})
    client.server.info()
    assert wire.last_request.timeout == (2.0, 20.0)


def test_default_timeout_is_set():
    assert SpeckleApiClient(HOST).transport.timeout is not None


@pytest.mark.parametrize("exc", [requests.exceptions.ReadTimeout, requests.exceptions.ConnectTimeout])
def test_timeouts_raise_timeout_error(wire, client, sleeps, exc):
    wire.get(f"{API}/streams/s1", exc=exc("slow"))
    with pytest.raises(SpeckleTimeoutError) as info:
        client.streams.get("s1")
    assert isinstance(info.value, SpeckleTransportError)
    assert "7.5" in info.value.message
    assert info.value.method == "GET" and info.value.url == f"{API}/streams/s1"


def test_timeout_of_a_post_is_not_retried(wire, client, sleeps):
    wire.post(f"{API}/streams", exc=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(SpeckleTimeoutError):
        client.streams.create({"name": "x"})
    assert wire.call_count == 1


# -- bodies and envelopes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "headers"),
    [
        ("<html><body>Proxy login</body></html>", {"Content-Type": "text/html"}),
        ("", {}),
        ('{"success": true, "resource": ', {"Content-Type": "application/json"}),
    ],
)
def test_non_json_success_is_a_response_error(wire, client, text, headers):
    wire.get(f"{API}/streams/s1", text=text, headers=headers)
    with pytest.raises(SpeckleResponseError) as info:
        client.streams.get("s1")
    assert info.value.status_code == 200
    assert info.value.url == f"{API}/streams/s1"


def test_success_false_in_a_200_is_an_error(wire, client):
    wire.get(f"{API}/streams/s1", json={"success": False, "message": "Resource not found."})
    with pytest.raises(NotFoundError) as info:
        client.streams.get("s1")
    assert info.value.message == "Resource not found."
    assert info.value.status_code == 200


def test_success_false_without_a_known_message(wire, client):
    wire.put(f"{API}/streams/s1", json={"success": False, "message": "Something odd"})
    with pytest.raises(SpeckleAPIError) as info:
        client.streams.update("s1", {"name": "n"})
    assert info.value.message == "Something odd"


def test_missing_envelope_key_is_a_response_error(wire, client):
    wire.get(f"{API}/streams/s1", json={"success": True, "message": "Delivered stream."})
    with pytest.raises(SpeckleResponseError):
        client.streams.get("s1")


def test_json_body_keeps_key_order_none_and_unicode(wire, client):
    wire.post(f"{API}/streams", json={"success": True, "resource": stream_doc()})
    data = {"z": 1, "name": "Ünïcode ✓", "a": None, "nested": {"b": None, "a": [1, 2.5]}}
    client.streams.create(data)
    body = wire.last_request.body
    assert body == json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    assert wire.last_request.headers["Content-Type"].startswith("application/json")


def test_unserialisable_data_is_an_input_error_and_nothing_is_sent(wire, client):
    with pytest.raises(SpeckleInputError):
        client.streams.create({"name": float("nan")})
    with pytest.raises(SpeckleInputError):
        client.streams.create({"tags": {1, 2}})
    assert wire.call_count == 0


def test_gzip_threshold_compresses_large_bodies(wire):
    client = SpeckleApiClient(HOST, gzip_threshold=100)

    def saved(request, context):
        objects = json.loads(gzip.decompress(request.body))
        return {"success": True, "resources": [{"type": "Placeholder", "_id": str(i)} for i in range(len(objects))]}

    wire.post(f"{API}/objects", json=saved)
    payload = [{"type": "Point", "value": [i, i, i]} for i in range(50)]
    client.objects.create(payload)
    request = wire.last_request
    assert request.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(request.body)) == payload


def test_transport_url_building():
    transport = Transport("http://h:1/api/v1/")
    assert transport.base_url == "http://h:1/api/v1"
    assert transport.root_url == "http://h:1"
    assert transport.url_for("streams") == "http://h:1/api/v1/streams"
    assert transport.url_for("/api/plugins", root=True) == "http://h:1/api/plugins"


# -- errors ---------------------------------------------------------------------------------------

EXPRESS_413 = (
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n"
    "<pre>PayloadTooLargeError: request entity too large<br> &nbsp; &nbsp;at readStream "
    "(/app/node_modules/raw-body/index.js:155:17)</pre>\n</body>\n</html>\n"
)
EXPRESS_404 = (
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n"
    "<pre>Cannot GET /api/v1/streams/s1/nope</pre>\n</body>\n</html>\n"
)
EXPRESS_500_ARCHIVED = (
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n"
    "<pre>Error: This user has been archived.<br> &nbsp; &nbsp;at /app/app/api/middleware/"
    "PassportJwt.js:20:24</pre>\n</body>\n</html>\n"
)


@pytest.mark.parametrize(
    ("status", "kwargs", "cls", "message"),
    [
        (401, {"text": "Unauthorized"}, AuthenticationError, "Unauthorized"),
        (401, {"text": "Only admins can access this route", "headers": {"Content-Type": "text/html"}},
         PermissionDeniedError, "Only admins can access this route"),
        (401, {"json": {"success": False, "message": "You are not authorised to read."}},
         PermissionDeniedError, "You are not authorised to read."),
        (403, {"json": {"success": False, "message": "Forbidden"}}, PermissionDeniedError, "Forbidden"),
        (404, {"json": {"success": False, "message": "Resource not found."}}, NotFoundError, "Resource not found."),
        (404, {"text": EXPRESS_404, "headers": {"Content-Type": "text/html"}},
         NotFoundError, "Cannot GET /api/v1/streams/s1/nope"),
        (404, {"json": {"success": False, "message": "Error: You do not own the stream."}},
         PermissionDeniedError, "Error: You do not own the stream."),
        (400, {"json": {"success": False, "message": "ValidationError: type: Path `type` is required."}},
         BadRequestError, "ValidationError: type: Path `type` is required."),
        (400, {"json": {"success": False, "message": "Error: Resource not found."}}, NotFoundError,
         "Error: Resource not found."),
        (413, {"text": EXPRESS_413, "headers": {"Content-Type": "text/html"}},
         PayloadTooLargeError, "PayloadTooLargeError: request entity too large"),
        (413, {"text": "Payload Too Large"}, PayloadTooLargeError, "Payload Too Large"),
        (500, {"text": EXPRESS_500_ARCHIVED, "headers": {"Content-Type": "text/html"}},
         AuthenticationError, "Error: This user has been archived."),
        (500, {"text": "<pre>TypeError: Cannot read property 'x' of null</pre>"}, ServerError,
         "TypeError: Cannot read property 'x' of null"),
    ],
)
def test_error_classes(wire, client, sleeps, status, kwargs, cls, message):
    wire.put(f"{API}/streams/s1", status_code=status, **kwargs)
    with pytest.raises(cls) as info:
        client.streams.update("s1", {"name": "n"})
    error = info.value
    assert isinstance(error, SpeckleError)
    assert error.status_code == status
    assert error.message == message
    assert error.method == "PUT"
    assert error.url == f"{API}/streams/s1"
    assert TOKEN.split()[1] not in str(error) + repr(error)
    assert f"HTTP {status}" in str(error)


def test_error_message_objects_are_rendered(wire, client):
    message = {"name": "WeirdError", "code": 7}
    wire.put(f"{API}/projects/p1", status_code=400, json={"success": False, "message": message})
    with pytest.raises(BadRequestError) as info:
        client.projects.update("p1", {"name": "n"})
    assert isinstance(info.value.message, str)
    assert json.loads(info.value.message) == message
    assert info.value.payload["message"] == message


@pytest.mark.parametrize(
    ("get_answer", "cls"),
    [
        ({"status_code": 404, "json": {"success": False, "message": "Resource not found."}}, NotFoundError),
        ({"json": {"success": True, "resource": {"_id": "p1", "owner": "someone"}}}, PermissionDeniedError),
        ({"status_code": 401, "json": {"success": False, "message": "You are not authorised to read."}},
         PermissionDeniedError),
    ],
)
def test_project_delete_logger_decorated_error(wire, client, get_answer, cls):
    decorated = {"success": False, "message": {"level": "error", "timestamp": "2020-05-20 10:00:00"}}
    wire.delete(f"{API}/projects/p1", status_code=400, json=decorated)
    wire.get(f"{API}/projects/p1", **get_answer)
    with pytest.raises(cls) as info:
        client.projects.delete("p1")
    error = info.value
    assert (error.status_code, error.method, error.url) == (400, "DELETE", f"{API}/projects/p1")
    assert "timestamp" not in error.message


def test_empty_object_message_is_explained(wire, client):
    wire.post(f"{API}/streams/s1/clone", status_code=400, json={"success": False, "message": {}})
    with pytest.raises(BadRequestError) as info:
        client.streams.clone("s1")
    assert info.value.message and info.value.message != "{}"


def test_tokens_never_appear_in_error_urls(wire, client):
    url_with_token = f"{API}/streams?access_token={TOKEN.replace(' ', '%20')}"
    wire.get(requests_mock.ANY, status_code=404, text="nope")
    with pytest.raises(NotFoundError) as info:
        client.transport.request("GET", url_with_token)
    assert TOKEN.split()[1] not in str(info.value)
    assert TOKEN.split()[1] not in (info.value.url or "")


# -- verbose logging --------------------------------------------------------------------------------


def test_verbose_logging_masks_tokens_and_passwords(wire, caplog):
    client = SpeckleApiClient(HOST, verbose=True)
    wire.post(f"{API}/accounts/login", json={"success": True, "resource": user_doc(token=TOKEN)})
    wire.get(f"{API}/streams/s1", json={"success": True, "resource": stream_doc("s1")})
    with caplog.at_level(logging.DEBUG, logger="speckle"):
        client.login("test@test.com", "s3cret-passw0rd")
        client.streams.get("s1")
    text = caplog.text
    assert "POST" in text and "/accounts/login" in text and "/streams/s1" in text
    assert "200" in text
    assert "s3cret-passw0rd" not in text
    assert TOKEN.split()[1] not in text
    assert wire.last_request.headers["Authorization"] == TOKEN
    info_records = [r for r in caplog.records if r.name == "speckle.http" and r.levelno == logging.INFO]
    assert len(info_records) >= 4  # request and response lines of both calls


def test_quiet_client_logs_no_requests_at_info(wire, client, caplog):
    wire.get(f"{API}/streams/s1", json={"success": True, "resource": stream_doc("s1")})
    with caplog.at_level(logging.INFO, logger="speckle"):
        client.streams.get("s1")
    assert not [r for r in caplog.records if r.name == "speckle.http"]


def test_retry_warnings_mask_tokens(wire, client, caplog):
    url = f"{API}/streams?token={TOKEN}"
    wire.get(requests_mock.ANY, [{"status_code": 503}, {"json": {"success": True, "resources": []}}])
    with caplog.at_level(logging.WARNING, logger="speckle"):
        client.transport.request("GET", url)
    assert "retry 1/3" in caplog.text
    assert TOKEN.split()[1] not in caplog.text


def test_answers_are_read_whole_and_parsed_alike_lean_or_not(wire):
    # a body far larger than requests' 10 KB chunks, read in one piece; gzip is inflated
    doc = {"success": True, "resource": {"name": "é ✓", "big": 2**70, "none": None,
                                         "objects": [{"type": "Placeholder", "_id": f"{i:024x}"} for i in range(5000)]}}
    raw = json.dumps(doc, ensure_ascii=False).encode()
    wire.get(f"{API}/plain", content=raw, headers={"Content-Type": "application/json"})
    wire.get(f"{API}/zipped", content=gzip.compress(raw),
             headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    transport = Transport(API)
    for path in ("/plain", "/zipped"):
        assert transport.request("GET", path) == doc
        assert transport.request("GET", path, lean=True) == doc


def test_proxy_and_ca_settings_of_the_environment_still_apply(monkeypatch):
    # looked up once per server, not at every request, but with requests' own rules
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "direct.test")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/bundle.pem")
    transport = Transport("https://speckle.test/api/v1")
    settings = transport._environment("https://speckle.test/api/v1/streams")
    assert settings["proxies"]["https"] == "http://proxy.test:3128" and settings["verify"] == "/etc/ssl/bundle.pem"
    assert "https" not in transport._environment("https://direct.test/api/v1/streams")["proxies"]
    settings["proxies"]["https"] = "changed by a caller"  # a copy each time
    assert transport._environment("https://speckle.test/x")["proxies"]["https"] == "http://proxy.test:3128"
    transport.session.proxies = {"http": "http://mine.test:1"}  # the session's own settings are merged
    proxies = transport._environment("https://speckle.test/x")["proxies"]
    assert proxies["http"] == "http://mine.test:1" and proxies["https"] == "http://proxy.test:3128"
    transport.session.trust_env = False
    transport.session.proxies = {}
    assert transport._environment("https://speckle.test/x") == {"proxies": {}, "verify": True, "cert": None}
