"""Service-layer plumbing: the route registry, the call context and shared lookups.

Handlers are plain synchronous functions registered with :func:`route`; each
declares its authentication guard and its error family/style, so the HTTP
layer can render every error the way the original route did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .. import ids
from ..auth import Tokens
from ..config import ServerConfig
from ..errors import Family, SpeckleError, Style, cast_error
from ..models import SCHEMAS
from ..querylang import CastFailure, Query, parse_query
from ..schema import MODELS
from ..store import Store

Document = dict[str, Any]


class Auth(Enum):
    """Route guards (§3.2)."""

    NONE = "none"
    OPTIONAL = "optional"
    MANDATORY = "mandatory"
    ADMIN = "admin"


@dataclass
class State:
    """Everything a handler may use: configuration, storage and token issuer."""

    config: ServerConfig
    store: Store
    tokens: Tokens

    @classmethod
    def create(cls, config: ServerConfig) -> State:
        """Open the store named by ``config`` and load its token secret."""
        store = Store(config.db_path)
        tokens = Tokens.for_store(store, config.session_token_ttl, config.api_token_ttl)
        return cls(config, store, tokens)


@dataclass
class Reply:
    """A handler result with a status other than 200 (or explicit headers)."""

    body: Any
    status: int = 200


@dataclass
class Call:
    """One request as seen by a handler."""

    state: State
    user: Document | None
    params: dict[str, str]
    query_string: str = ""
    body: Any = field(default_factory=dict)

    @property
    def store(self) -> Store:
        """Shortcut to the store."""
        return self.state.store

    @property
    def config(self) -> ServerConfig:
        """Shortcut to the configuration."""
        return self.state.config

    @property
    def uid(self) -> str:
        """Id of the caller (``""`` when anonymous)."""
        return (self.user or {}).get("_id", "")

    def query(self, schema: dict[str, str] | None = None, ignore: tuple[str, ...] = ()) -> Query:
        """The parsed query string (a value the schema cannot take is mongoose's query
        ``CastError``, which names the model)."""
        try:
            return parse_query(self.query_string, schema, ignore)
        except CastFailure as exc:
            model = next((MODELS[name].name for name, paths in SCHEMAS.items() if paths is schema), None)
            if model is None:
                raise
            raise CastFailure(f'{exc.text} for model "{model}"', exc.name) from exc

    def body_dict(self) -> Document:
        """The body when it is a JSON object, else ``{}``."""
        return self.body if isinstance(self.body, dict) else {}


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class Route:
    """One API route (mounted under ``/api`` and ``/api/v1``)."""

    method: str
    path: str
    handler: Handler
    auth: Auth
    family: Family
    style: Style
    #: Run the whole handler under the store lock (off for bcrypt-heavy routes).
    locked: bool = True

    @property
    def segments(self) -> tuple[str, ...]:
        """Path segments (``:name`` marks a parameter)."""
        return tuple(s for s in self.path.split("/") if s)


ROUTES: list[Route] = []


def route(method: str, path: str, *, auth: Auth, family: Family = Family.A,
          style: Style = Style.TO_STRING, locked: bool = True) -> Callable[[Handler], Handler]:
    """Register a handler for ``method path``."""

    def decorate(handler: Handler) -> Handler:
        ROUTES.append(Route(method, path, handler, auth, family, style, locked))
        return handler

    return decorate


# -- shared lookups ----------------------------------------------------------------------------
def get_by_id(call: Call, collection: str, _id: str, model: str) -> Document | None:
    """Fetch by ``_id``; a malformed id raises the mongoose ``CastError``."""
    if not ids.is_object_id(_id):
        raise cast_error(_id, model)
    return call.store.get(collection, _id)


def get_stream(call: Call, stream_id: str, *, shared: bool = False) -> Document | None:
    """A stream by its ``streamId``; ``shared``: the store's decoded copy, which the caller
    must not modify (for read-only handlers: no decoding when the stream was not written)."""
    if shared:
        return call.store.find_first_shared("streams", "streamId", stream_id)
    found = call.store.find_by("streams", "streamId", stream_id)
    return found[0] if found else None


def require(found: Document | None, text: str = "Resource not found.") -> Document:
    """Raise ``Error: Resource not found.`` for a missing document."""
    if found is None:
        raise SpeckleError(text)
    return found


def get_users(call: Call, user_ids: list[Any]) -> dict[str, Document]:
    """Users by id (missing ones absent)."""
    wanted = [u for u in user_ids if isinstance(u, str)]
    return {u["_id"]: u for u in call.store.find_in("users", "_id", wanted)}


class RawJson(str):
    """A handler result that is already serialised JSON text (sent as-is)."""
