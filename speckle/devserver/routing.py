"""Express-like path matching: case-insensitive literals, ignored trailing slash, §1.1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from .services.base import Route

API_GROUPS = ("projects", "clients", "streams", "accounts", "comments", "objects")
#: The routes in the order the original registers them (and lists them in ``GET /api``), with its
#: spelling of the paths (two with a trailing slash).
V1_ROUTE_ORDER: tuple[tuple[str, str], ...] = (
    ("POST", "/accounts/register"), ("POST", "/accounts/login"), ("GET", "/accounts"), ("GET", "/accounts/admin"),
    ("PUT", "/accounts"), ("GET", "/accounts/:userId"), ("PUT", "/accounts/:userId"), ("POST", "/accounts/search"),
    ("POST", "/clients"), ("GET", "/clients"), ("GET", "/clients/:clientId"), ("PUT", "/clients/:clientId"),
    ("DELETE", "/clients/:clientId"), ("POST", "/streams"), ("GET", "/streams"), ("GET", "/streams/admin"),
    ("GET", "/streams/:streamId"), ("PUT", "/streams/:streamId"), ("POST", "/streams/:streamId/delta"),
    ("DELETE", "/streams/:streamId"), ("POST", "/streams/:streamId/clone"),
    ("GET", "/streams/:streamId/diff/:otherId"), ("GET", "/streams/:streamId/delta/:otherId"),
    ("GET", "/streams/:streamId/objects"), ("GET", "/streams/:streamId/clients"), ("POST", "/objects"),
    ("POST", "/objects/derive"), ("GET", "/objects/:objectId"), ("POST", "/objects/getbulk/"),
    ("PUT", "/objects/:objectId"), ("PUT", "/objects/:objectId/properties/"), ("DELETE", "/objects/:objectId"),
    ("GET", "/comments"), ("GET", "/comments/assigned"), ("POST", "/comments/:resourceType/:resourceId"),
    ("GET", "/comments/:resourceType/:resourceId"), ("GET", "/comments/:commentId"),
    ("PUT", "/comments/:commentId"), ("DELETE", "/comments/:commentId"), ("POST", "/projects"),
    ("GET", "/projects"), ("GET", "/projects/admin"), ("GET", "/projects/:projectId"),
    ("PUT", "/projects/:projectId"), ("PUT", "/projects/:projectId/addstream/:streamId"),
    ("DELETE", "/projects/:projectId/removestream/:streamId"), ("PUT", "/projects/:projectId/adduser/:userId"),
    ("DELETE", "/projects/:projectId/removeuser/:userId"), ("PUT", "/projects/:projectId/upgradeuser/:userId"),
    ("PUT", "/projects/:projectId/downgradeuser/:userId"), ("DELETE", "/projects/:projectId"),
)


@dataclass(frozen=True)
class Match:
    """A matched route with its decoded path parameters."""

    route: Route
    params: dict[str, str]


class Router:
    """Match ``(method, segments)`` against the registered routes (literals before parameters)."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = sorted(routes, key=lambda r: tuple(s.startswith(":") for s in r.segments))

    def match(self, method: str, segments: Sequence[str]) -> Match | None:
        """The route for ``method`` and the raw (still percent-encoded) path ``segments``."""
        method = "GET" if method == "HEAD" else method
        for candidate in self.routes:
            if candidate.method != method or len(candidate.segments) != len(segments):
                continue
            params: dict[str, str] = {}
            for pattern, raw in zip(candidate.segments, segments, strict=True):
                if pattern.startswith(":"):
                    if not raw:
                        break
                    params[pattern[1:]] = unquote(raw)
                elif pattern.lower() != unquote(raw).lower():
                    break
            else:
                return Match(candidate, params)
        return None

    def listing(self, base_url: str) -> dict[str, list[dict[str, str]]]:
        """The ``api`` object of ``GET /api``: each route under every group its path names.

        Routes come in the original's registration order (:data:`V1_ROUTE_ORDER`), routes of
        ours it does not have last.
        """
        served = {(r.method, r.path.rstrip("/")) for r in self.routes}
        known = [(m, p) for m, p in V1_ROUTE_ORDER if (m, p.rstrip("/")) in served]
        listed = {(m, p.rstrip("/")) for m, p in known}
        extra = sorted((r.method, r.path) for r in self.routes if (r.method, r.path.rstrip("/")) not in listed)
        groups: dict[str, list[dict[str, str]]] = {name: [] for name in API_GROUPS}
        for method, path in [*known, *extra]:
            for name in API_GROUPS:
                if name in path:
                    groups[name].append({"method": method, "route": f"{base_url}/api{path}"})
        return groups


def split_path(path: str) -> list[str]:
    """Split a raw path into segments, ignoring one trailing slash."""
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]
    return path.split("/")[1:]
