"""The HTTP layer: one aiohttp catch-all handler doing Express-like dispatch.

Order per request (as in the original middleware stack): CORS, WebSocket
upgrade (any path), body parsing (413/415/400 before routing and auth), fixed
paths (``/api/v0``, ``/api/plugins``, server info), route match (HTML 404
otherwise), auth guard, handler in a worker thread, rendering.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from . import ids
from .errors import HttpError, ServerCrash, SpeckleError, html_page, render_error
from .http_body import BodyError, BodyLimits, read_body
from .realtime import Hub
from .routing import Router, split_path
from .services import ROUTES, Auth, Call, Reply, Route, State
from .services.base import RawJson
from .store import dumps

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"
ALLOW_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"
STATE_KEY: web.AppKey[State] = web.AppKey("state", State)


class _BareResponse(web.Response):
    """A response without any ``Content-Type`` (the auth guard's ``Unauthorized``)."""

    async def _prepare_headers(self) -> None:
        await super()._prepare_headers()
        self._headers.popall("Content-Type", None)


def html_response(status: int, text: str) -> web.Response:
    """An Express HTML error page."""
    return web.Response(status=status, text=html_page(text), content_type="text/html")


def json_response(body: Any, status: int = 200, *, indent: bool = False) -> web.Response:
    """``res.send(object)``: compact JSON, UTF-8."""
    if isinstance(body, RawJson):
        text = str(body) if not indent else json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    else:
        text = json.dumps(body, indent=2, ensure_ascii=False) if indent else dumps(body)
    response = web.Response(status=status, body=text.encode("utf-8"))
    response.headers["Content-Type"] = JSON_TYPE
    return response


def weak_etag(body: bytes) -> str:
    """Express's weak ETag: ``W/"<length hex>-<base64 sha1, 27 chars>"``."""
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode("ascii")[:27]
    return f'W/"{len(body):x}-{digest}"'


class Api:
    """Dispatches requests to the service layer and renders the results."""

    def __init__(self, state: State, hub: Hub, workers: int = 4) -> None:
        self.state = state
        self.hub = hub
        self.router = Router(ROUTES)
        self.limits = BodyLimits(state.config.max_body_bytes, state.config.max_form_bytes)
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="speckle-api")
        self.base_url = ""

    # -- entry point ----------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer any request."""
        if request.headers.get("Upgrade", "").lower() == "websocket" and request.method == "GET":
            return await self.hub.handle(request)
        if request.method == "OPTIONS":
            response: web.StreamResponse = web.Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
            wanted = request.headers.get("Access-Control-Request-Headers")
            if wanted:
                response.headers["Access-Control-Allow-Headers"] = wanted
                response.headers["Vary"] = "Access-Control-Request-Headers"
        else:
            response = await self._dispatch(request)
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["X-Powered-By"] = "Express"
        return response

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        segments = split_path(request.rel_url.raw_path)
        lowered = [s.lower() for s in segments]
        if lowered[:2] == ["api", "v0"]:
            response = json_response({"error": "The v0 API has been removed."}, 410)
            return response
        try:
            body = await read_body(request, self.limits)
        except BodyError as exc:
            return html_response(exc.status, exc.text)
        except UnicodeDecodeError:
            return html_response(400, "SyntaxError: Unexpected token in JSON at position 0")
        if lowered[:2] == ["api", "plugins"]:
            return json_response(self.plugins())
        if lowered[:1] != ["api"]:
            return self._not_found(request)
        rest = segments[2:] if lowered[1:2] == ["v1"] else segments[1:]
        if rest in ([], [""]):
            if request.method in ("GET", "HEAD"):
                return self._finish(request, json_response(self.info()))
            return self._not_found(request)
        match = self.router.match(request.method, rest)
        if match is None:
            return self._not_found(request)
        user, refusal = await self._authenticate(request, match.route.auth)
        if refusal is not None:
            return refusal
        call = Call(self.state, user, match.params, request.rel_url.raw_query_string, body)
        return self._finish(request, await self._run(match.route, call))

    @staticmethod
    def _not_found(request: web.Request) -> web.Response:
        return html_response(404, f"Cannot {request.method} {request.rel_url.raw_path}")

    def _finish(self, request: web.Request, response: web.Response) -> web.Response:
        """Add the weak ETag to GET 200s and answer ``304`` on a matching ``If-None-Match``."""
        if request.method in ("GET", "HEAD") and response.status == 200 and response.body is not None:
            tag = weak_etag(bytes(response.body))  # type: ignore[arg-type]
            response.headers["ETag"] = tag
            if request.headers.get("If-None-Match") == tag:
                return web.Response(status=304, headers={"ETag": tag})
        return response

    # -- auth -------------------------------------------------------------------------------------
    async def _authenticate(
        self, request: web.Request, auth: Auth
    ) -> tuple[dict[str, Any] | None, web.Response | None]:
        if auth is Auth.NONE:
            return None, None
        user_id = self.state.tokens.user_id_from_header(request.headers.get("Authorization"))
        if user_id is None:
            if auth is Auth.OPTIONAL:
                return None, None
            return None, _BareResponse(status=401, body=b"Unauthorized")
        user = await self._in_worker(self._load_user, user_id)
        if user is None:
            return None, html_response(500, "Error: No user with these credentials found.")
        if user.get("archived"):
            return None, html_response(500, "Error: This user has been archived.")
        if auth is Auth.ADMIN and user.get("role") != "admin":
            return None, web.Response(status=401, text="Only admins can access this route",
                                      content_type="text/html")
        return user, None

    def _load_user(self, user_id: str) -> dict[str, Any] | None:
        return self.state.store.get("users", user_id) if ids.is_object_id(user_id) else None

    # -- handlers ---------------------------------------------------------------------------------
    async def _in_worker(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def _run(self, route: Route, call: Call) -> web.Response:
        indent = self.state.config.indent_responses
        try:
            result = await self._in_worker(self._call_handler, route, call)
        except HttpError as exc:
            return json_response(exc.body, exc.status, indent=indent)
        except SpeckleError as exc:
            status, body = render_error(route.family, route.style, exc)
            return json_response(body, status, indent=indent)
        except ServerCrash as exc:
            return html_response(500, exc.text)
        except Exception as exc:  # a bug of ours: answer like Express would
            log.exception("handler %s %s failed", route.method, route.path)
            return html_response(500, f"{type(exc).__name__}: {exc}")
        if isinstance(result, Reply):
            return json_response(result.body, result.status, indent=indent)
        return json_response(result, indent=indent)

    def _call_handler(self, route: Route, call: Call) -> Any:
        """Run a handler; a locked route runs in one transaction of the store.

        Errors the route answers with (as v1 does) keep the writes made before them, like
        v1's sequential saves; anything unexpected rolls the request's writes back.
        """
        if route.locked:
            with self.state.store.transaction(keep=(HttpError, SpeckleError, ServerCrash)):
                return route.handler(call)
        return route.handler(call)

    # -- server info ------------------------------------------------------------------------------
    def plugins(self) -> list[dict[str, Any]]:
        """Plugin manifests augmented with ``canonicalUrl``."""
        out = []
        for manifest in self.state.config.plugins:
            entry = dict(manifest)
            serve_from = entry.get("serveFrom")
            if isinstance(serve_from, str) and "canonicalUrl" not in entry:
                entry["canonicalUrl"] = self.base_url + serve_from
            out.append(entry)
        return out

    def info(self) -> dict[str, Any]:
        """The ``GET /api`` server description (§8.1)."""
        config = self.state.config
        return {
            "isSpeckleServer": True,
            "serverName": config.name,
            "version": config.version,
            "api": self.router.listing(self.base_url),
            "plugins": self.plugins(),
            "jnMask": config.jn_mask,
        }

    def close(self) -> None:
        """Stop the worker threads."""
        self.executor.shutdown(wait=True)


def build_app(state: State) -> tuple[web.Application, Api]:
    """The aiohttp application serving the API and WebSockets on every path."""
    hub = Hub(state)
    api = Api(state, hub)
    app = web.Application(client_max_size=1024**4)
    app[STATE_KEY] = state
    app.router.add_route("*", "/{tail:.*}", api.handle)
    return app, api
