"""Transport rules: mounts, routing, bodies, CORS, server info (§1, §8.1, §8.8)."""

from __future__ import annotations

import gzip
import json
import zlib

import requests

from .conftest import Http


def test_server_info(fresh) -> None:
    api = fresh(name="Test Server", plugins=[{"name": "P", "serveFrom": "/p"}])
    for path in ("/api", "/api/", "/api/v1", "/API/V1/"):
        response = requests.get(api.server.url + path, timeout=10)
        assert response.status_code == 200 and response.headers["Content-Type"] == "application/json; charset=utf-8"
        info = response.json()
        assert info["isSpeckleServer"] is True and info["serverName"] == "Test Server"
        assert info["jnMask"] == "######-##" and "success" not in info
    routes = info["api"]
    assert {"method": "POST", "route": api.server.url + "/api/accounts/register"} in routes["accounts"]
    stream_routes = [r["route"] for r in routes["streams"]]
    # grouped as the real server does: by the plural word in the path, in registration order
    assert api.server.url + "/api/projects/:projectId/addstream/:streamId" not in stream_routes
    assert stream_routes[:3] == [api.server.url + p for p in ("/api/streams", "/api/streams", "/api/streams/admin")]
    assert api.server.url + "/api/streams/:streamId/clients" in [r["route"] for r in routes["clients"]]
    assert api.server.url + "/api/objects/getbulk/" in [r["route"] for r in routes["objects"]]
    assert api.server.url + "/api/streams/:streamId/objects" in [r["route"] for r in routes["objects"]]
    assert info["plugins"] == [{"name": "P", "serveFrom": "/p", "canonicalUrl": api.server.url + "/p"}]
    assert requests.delete(api.server.url + "/api/plugins/x", timeout=10).json() == info["plugins"]
    assert requests.get(api.server.url + "/api/v1/plugins", timeout=10).status_code == 404


def test_fixed_paths_and_routing(http: Http) -> None:
    base = http.server.url
    gone = requests.post(base + "/api/v0/streams", timeout=10)
    assert (gone.status_code, gone.json()) == (410, {"error": "The v0 API has been removed."})
    missing = requests.get(base + "/api/xyz", timeout=10)
    assert missing.status_code == 404 and "<pre>Cannot GET /api/xyz</pre>" in missing.text
    assert missing.headers["Content-Type"].startswith("text/html")
    wrong_method = requests.patch(base + "/api/streams", timeout=10)
    assert wrong_method.status_code == 404 and "Cannot PATCH /api/streams" in wrong_method.text
    user = http.register()
    oid = http.ok("POST", "/objects", user, json=[{"type": "A", "z": 1}])["resources"][0]["_id"]
    for path in ("/api/objects/getBulk", "/api/v1/OBJECTS/getbulk/"):
        response = requests.post(base + path, json=[oid], timeout=10)
        assert response.status_code == 200 and response.json()["resources"][0]["z"] == 1
    sid = http.stream(user, name="CaseSensitive")["streamId"]
    assert requests.get(f"{base}/api/streams/{sid}", timeout=10).status_code == 200
    if sid.swapcase() != sid:  # parameter values keep their case
        assert requests.get(f"{base}/api/streams/{sid.swapcase()}", timeout=10).status_code == 404


def test_cors_and_etag(http: Http) -> None:
    base = http.server.url
    preflight = requests.options(base + "/api/streams", timeout=10, headers={
        "Origin": "http://x", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization,Content-Type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert preflight.headers["Access-Control-Allow-Headers"] == "Authorization,Content-Type"
    assert requests.get(base + "/api/nothing", timeout=10).headers["Access-Control-Allow-Origin"] == "*"
    first = requests.get(base + "/api", timeout=10)
    tag = first.headers["ETag"]
    assert tag.startswith('W/"')
    again = requests.get(base + "/api", headers={"If-None-Match": tag}, timeout=10)
    assert again.status_code == 304 and again.content == b""


def test_bodies(fresh) -> None:
    api = fresh(max_body_bytes=50_000)
    user = api.register()
    url = api.base + "/objects"
    headers = {**user.auth, "Content-Type": "application/json"}
    big = json.dumps([{"type": "Blob", "data": "x" * 60_000}]).encode()
    too_large = requests.post(url, data=big, headers=headers, timeout=10)
    assert too_large.status_code == 413 and "request entity too large" in too_large.text
    # decided before authentication
    assert requests.post(url, data=big, headers={"Content-Type": "application/json"}, timeout=10).status_code == 413
    small = json.dumps([{"type": "Zipped", "n": 1}]).encode()
    zipped = requests.post(url, data=gzip.compress(small), timeout=10,
                           headers={**headers, "Content-Encoding": "gzip"})
    assert zipped.status_code == 200 and len(zipped.json()["resources"]) == 1
    deflated = requests.post(url, data=zlib.compress(json.dumps([{"type": "Deflated"}]).encode()), timeout=10,
                             headers={**headers, "Content-Encoding": "deflate"})
    assert deflated.status_code == 200
    bomb = requests.post(url, data=gzip.compress(big), timeout=10, headers={**headers, "Content-Encoding": "gzip"})
    assert bomb.status_code == 413  # the limit applies to the inflated size
    brotli = requests.post(url, data=small, timeout=10, headers={**headers, "Content-Encoding": "br"})
    assert brotli.status_code == 415 and 'unsupported content encoding &quot;br&quot;' in brotli.text
    for raw in (b'{"broken": ', b'"abc"', b"42"):
        bad = requests.post(url, data=raw, headers=headers, timeout=10)
        assert bad.status_code == 400 and bad.headers["Content-Type"].startswith("text/html")
    # another content type: the handler sees {} (one object without type -> validation error)
    plain = requests.post(url, data=small, headers={**user.auth, "Content-Type": "text/plain"}, timeout=10)
    assert plain.status_code == 400 and plain.json()["message"] == "ValidationError: type: Path `type` is required."
    charset = requests.post(url, data=small, headers={**headers, "Content-Type": "application/json; charset=utf-8"},
                            timeout=10)
    assert charset.status_code == 200


def test_response_is_compact_json(http: Http) -> None:
    response = requests.get(http.server.url + "/api", timeout=10)
    assert b": " not in response.content[:50] and response.content.startswith(b'{"isSpeckleServer":true')
