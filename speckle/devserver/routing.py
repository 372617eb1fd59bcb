"""Express-like path matching: case-insensitive literals, ignored trailing slash, §1.1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from .services.base import Route

API_GROUPS = ("projects", "clients", "streams", "accounts", "comments", "objects")


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
        """The ``api`` object of ``GET /api``: each route under every group its path names."""
        groups: dict[str, list[dict[str, str]]] = {name: [] for name in API_GROUPS}
        for candidate in sorted(self.routes, key=lambda r: r.segments):
            for name in API_GROUPS:
                if name[:-1] in candidate.path.lower():
                    groups[name].append(
                        {"method": candidate.method, "route": f"{base_url}/api{candidate.path}"}
                    )
        return groups


def split_path(path: str) -> list[str]:
    """Split a raw path into segments, ignoring one trailing slash."""
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]
    return path.split("/")[1:]
