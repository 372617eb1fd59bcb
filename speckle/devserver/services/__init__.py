"""Business logic of every REST route; importing this package registers the routes."""

from __future__ import annotations

from . import accounts, clients, comments, objects, projects, streams
from .base import ROUTES, Auth, Call, Reply, Route, State

__all__ = [
    "ROUTES", "Auth", "Call", "Reply", "Route", "State",
    "accounts", "clients", "comments", "objects", "projects", "streams",
]
