"""The server itself: its self-description, version, apps and API tokens.

Speckle servers come in two generations, and ``client.server`` speaks to both:

* a **v1** server describes itself at ``GET /api/v1`` (``isSpeckleServer: true``); it has no
  token API;
* a **v2 and newer** server answers GraphQL at ``POST /graphql``, authenticated with
  ``Authorization: Bearer <personal access token>`` (set ``client.server.token``).

The generation is detected on first use (``GET /api/v1``, then a GraphQL ``serverInfo``
query), cached on the resource, and can be forced with
``SpeckleApiClient(..., server_generation='v2')`` or ``client.server.generation = 'v2'``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from speckle._untrusted import preview
from speckle.base.resource import ResourceBase
from speckle.errors import (
    SpeckleAPIError,
    SpeckleInputError,
    SpeckleResponseError,
    SpeckleUnsupportedError,
)
from speckle.graphql import check_bearer_token, execute
from speckle.models.server import ServerInfo, WorkspacesInfo, parse_version

if TYPE_CHECKING:
    from speckle.transport import Transport

__all__ = [
    "Resource",
    "GENERATIONS",
    "SERVER_INFO_QUERY",
    "SERVER_INFO_QUERY_NO_WORKSPACES",
    "APPS_QUERY",
    "TOKEN_CREATE_MUTATION",
    "TOKEN_REVOKE_MUTATION",
]

logger = logging.getLogger("speckle")

#: The server generations: ``v1`` (REST) and ``v2`` (GraphQL; also every newer server).
GENERATIONS = ("v1", "v2")

_SERVER_INFO_FIELDS = """
    name
    company
    description
    adminContact
    canonicalUrl
    version
    scopes { name description }
    authStrategies { id name icon }
"""
_WORKSPACES_FIELD = "    workspaces { workspacesEnabled }\n"

#: ``serverInfo`` with every field of :class:`~speckle.models.server.ServerInfo`.
SERVER_INFO_QUERY = "query ServerInfo {\n  serverInfo {" + _SERVER_INFO_FIELDS + _WORKSPACES_FIELD + "  }\n}"
#: The same without ``workspaces``, for v2 servers that predate workspaces.
SERVER_INFO_QUERY_NO_WORKSPACES = "query ServerInfo {\n  serverInfo {" + _SERVER_INFO_FIELDS + "  }\n}"

APPS_QUERY = """query Apps {
  apps {
    id
    name
    description
    termsAndConditionsLink
    trustByDefault
    logo
    author { id name avatar }
  }
}"""

TOKEN_CREATE_MUTATION = """mutation ApiTokenCreate($token: ApiTokenCreateInput!) {
  apiTokenCreate(token: $token)
}"""

TOKEN_REVOKE_MUTATION = """mutation ApiTokenRevoke($token: String!) {
  apiTokenRevoke(token: $token)
}"""

#: The floor of the version tuple when a server reports no usable version.
_UNKNOWN_VERSION = {"v1": (1, 0, 0), "v2": (2, 0, 0)}
#: v1 description keys that ServerInfo maps to its own fields.
_V1_MAPPED = frozenset({"serverName", "version"})
_APP_KEYS = ("id", "name", "description", "termsAndConditionsLink", "trustByDefault", "logo", "author")
#: v1 plugin manifest keys that become App fields.
_PLUGIN_MAPPED = frozenset({"name", "desc", "author"})


def _check_generation(value: Any) -> str | None:
    if value is None:
        return None
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in GENERATIONS:
        raise SpeckleInputError(f"server generation must be one of {GENERATIONS} or None, got {value!r}")
    return text


def _author(value: Any) -> dict[str, Any]:
    """An App ``author`` as a dict with ``id``, ``name`` and ``avatar`` (None when unknown)."""
    if isinstance(value, Mapping):
        return {"id": value.get("id"), "name": value.get("name"), "avatar": value.get("avatar"), **value}
    return {"id": None, "name": value if isinstance(value, str) and value else None, "avatar": None}


def _plugin_as_app(plugin: Any) -> dict[str, Any]:
    """A v1 plugin manifest in the App shape; the manifest's other fields are kept after it."""
    if not isinstance(plugin, Mapping):
        raise SpeckleResponseError(f"a plugin manifest is not a JSON object: {preview(plugin)}")
    serve_from = plugin.get("serveFrom")
    app_id = serve_from.strip("/") if isinstance(serve_from, str) and serve_from.strip("/") else plugin.get("name")
    app = {
        "id": app_id,
        "name": plugin.get("name"),
        "description": plugin.get("desc", plugin.get("description")),
        "termsAndConditionsLink": plugin.get("termsAndConditionsLink"),
        "trustByDefault": plugin.get("trustByDefault"),
        "logo": plugin.get("logo"),
        "author": _author(plugin.get("author")),
    }
    app.update({k: v for k, v in plugin.items() if k not in _PLUGIN_MAPPED and k not in app})
    return app


class Resource(ResourceBase):
    """API Access class for the server

    Works with v1 servers (REST) and with v2 and newer servers (GraphQL); see
    :attr:`generation` and :attr:`token`.

    Example::

        >>> info = client.server.get()
        >>> info.name, info.version
        ('My Speckle Server', '2.23.4')
        >>> client.server.version()
        (2, 23, 4)

    Keyword Arguments:
        generation {str|None} -- ``'v1'`` or ``'v2'`` to skip detection (default: {None})
        token {str|None} -- a v2 personal access token (default: {None})
    """

    noun = "server"

    def __init__(
        self,
        session: Transport,
        basepath: str,
        me: Any = None,
        *,
        generation: str | None = None,
        token: str | None = None,
    ) -> None:
        super().__init__(session, basepath, me)
        self._generation = _check_generation(generation)
        self._token: str | None = None if token is None else check_bearer_token(token)
        #: The description fetched by detection, handed to the first ``get()`` (no second request).
        self._fresh: dict[str, Any] | None = None
        self._info_query = SERVER_INFO_QUERY

    # -- generation and credentials -------------------------------------------------------------

    @property
    def generation(self) -> str | None:
        """``'v1'``, ``'v2'`` (v2 and newer), or None while not yet detected.

        Setting it forces a generation (None detects again on next use).
        """
        return self._generation

    @generation.setter
    def generation(self, value: str | None) -> None:
        self._generation = _check_generation(value)
        self._fresh = None

    @property
    def token(self) -> str | None:
        """The v2 token (personal access token) sent to GraphQL as ``Authorization: Bearer``.

        Accepts the bare token or ``Bearer <token>``; a v1 ``JWT ...`` token is refused with
        :class:`~speckle.errors.SpeckleInputError`. None sends GraphQL requests without
        credentials. v1 servers never see it.
        """
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = None if value is None else check_bearer_token(value)

    def detect_generation(self) -> str:
        """The generation of the server, detected once and cached.

        ``GET /api/v1`` answering ``isSpeckleServer: true`` is a v1 server; otherwise a
        GraphQL ``serverInfo`` query that gets a GraphQL answer is a v2 (or newer) server.

        Returns:
            str -- ``'v1'`` or ``'v2'``

        Raises:
            SpeckleUnsupportedError -- the server is neither
            SpeckleConnectionError, SpeckleTimeoutError -- the server cannot be reached
        """
        if self._generation is not None:
            return self._generation
        try:
            description = self.info()
        except (SpeckleAPIError, SpeckleResponseError) as exc:
            description, v1_failure = None, str(exc)
        else:
            v1_failure = "it does not say isSpeckleServer: true"
            if description.get("isSpeckleServer") is True:
                self._generation, self._fresh = "v1", description
                logger.debug("%s is a Speckle v1 server", self.session.root_url)
                return "v1"
        try:
            data = self._graphql(self._info_query)
        except SpeckleAPIError as exc:
            if getattr(exc, "errors", None) is None:
                raise SpeckleUnsupportedError(
                    f"{self.session.root_url} is not a Speckle server this client knows: GET /api/v1: "
                    f"{v1_failure}; POST /graphql: {exc.message}"
                ) from exc
            data = None  # a GraphQL error is a GraphQL server: get() will report it
        except SpeckleResponseError as exc:
            raise SpeckleUnsupportedError(
                f"{self.session.root_url} is not a Speckle server this client knows: GET /api/v1: "
                f"{v1_failure}; POST /graphql: {exc.message}"
            ) from exc
        self._generation = "v2"
        self._fresh = data.get("serverInfo") if data and isinstance(data.get("serverInfo"), dict) else None
        logger.debug("%s is a Speckle v2+ (GraphQL) server", self.session.root_url)
        return "v2"

    def _graphql(self, document: str, variables: Mapping[str, Any] | None = None, *, mutation: bool = False) -> Any:
        return execute(self.session, document, variables, token=self._token, mutation=mutation)

    def _fetch_info_v2(self) -> dict[str, Any]:
        try:
            data = self._graphql(self._info_query)
        except SpeckleAPIError as exc:
            if self._info_query is SERVER_INFO_QUERY_NO_WORKSPACES or "workspaces" not in exc.message:
                raise
            logger.debug("the server predates workspaces; asking for serverInfo without them")
            self._info_query = SERVER_INFO_QUERY_NO_WORKSPACES
            data = self._graphql(self._info_query)
        return self._field(data, "serverInfo", "POST", "/graphql")

    def _description(self) -> tuple[str, dict[str, Any]]:
        """The generation and the raw description (detection's answer is used once)."""
        generation = self.detect_generation()
        fresh, self._fresh = self._fresh, None
        if fresh is not None:
            return generation, fresh
        return generation, (self.info() if generation == "v1" else self._fetch_info_v2())

    # -- v1 routes --------------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Get the server's self-description (``GET /api/v1``; v1 servers only)

        Returns:
            dict -- ``isSpeckleServer``, ``serverName``, ``version``, ``api`` (routes by group),
            ``plugins`` and ``jnMask``, as the server sent them
        """
        payload = self._request("GET", "")
        if not isinstance(payload, dict):
            raise SpeckleResponseError(f"the server description is not a JSON object: {preview(payload)}")
        return payload

    def plugins(self) -> list[dict[str, Any]]:
        """List the plugins installed on the server (``/api/plugins``; v1 servers only)

        Returns:
            list -- the plugin manifests (name, version, desc, serveFrom, author, ...)
        """
        payload = self.session.request("GET", "/api/plugins", root=True)
        if not isinstance(payload, list):
            raise SpeckleResponseError(f"the plugin list is not a JSON array: {preview(payload)}")
        return payload

    # -- both generations -------------------------------------------------------------------------

    def get(self) -> ServerInfo:
        """Get the server info

        On a v1 server, ``name`` is its ``serverName``, ``canonicalUrl`` the client's server
        address, ``scopes`` and ``authStrategies`` are empty, ``workspaces.workspacesEnabled``
        is False, and the other fields of ``GET /api/v1`` (``api``, ``plugins``, ``jnMask``...)
        are kept as extra fields.

        Returns:
            ServerInfo -- name, company, description, adminContact, canonicalUrl, version,
            scopes, authStrategies, workspaces (and any field the server adds)
        """
        generation, raw = self._description()
        if generation == "v2":
            return ServerInfo.from_data(raw)
        mapped: dict[str, Any] = {
            "name": raw.get("serverName"),
            "company": None,
            "description": None,
            "adminContact": None,
            "canonicalUrl": self.session.root_url,
            "version": raw.get("version"),
            "scopes": [],
            "authStrategies": [],
            "workspaces": WorkspacesInfo(workspacesEnabled=False),
        }
        mapped.update({k: v for k, v in raw.items() if k not in _V1_MAPPED and k not in mapped})
        return ServerInfo.from_data(mapped)

    def version(self) -> tuple[Any, ...]:
        """Get the server version

        Odd versions never raise: ``"1.x.x"`` (a v1 server's default) is ``(1, 0, 0)``,
        ``"dev"`` (a development build) is ``(999, 999, 999)``, and a missing or unreadable
        version (None, ``"UNKNOWN"``) is the generation's floor, ``(1, 0, 0)`` for a v1 server and
        ``(2, 0, 0)`` for a newer one (see :func:`speckle.models.server.parse_version`).

        Returns:
            tuple -- the server version in the format (major, minor, patch, (tag, build)),
            eg (2, 6, 3) for a stable build and (2, 6, 4, 'alpha', 4711) for alpha
        """
        info = self.get()
        return parse_version(info.version, unknown=_UNKNOWN_VERSION[self.detect_generation()])

    def apps(self) -> list[dict[str, Any]]:
        """Get the apps registered on the server

        On a v1 server these are its plugins (``/api/plugins``) in the same shape: ``id`` is the
        plugin's ``serveFrom`` path without its slash, ``description`` its ``desc``, ``author``
        a dict whose ``name`` is the manifest's author; the manifest's other fields
        (``version``, ``canonicalUrl``...) follow. ``author`` is always a dict.

        Returns:
            list -- one dict per app: id, name, description, termsAndConditionsLink,
            trustByDefault, logo, author (id, name, avatar)
        """
        if self.detect_generation() == "v1":
            return [_plugin_as_app(plugin) for plugin in self.plugins()]
        apps = self._field(self._graphql(APPS_QUERY), "apps", "POST", "/graphql") or []
        if not isinstance(apps, list):
            raise SpeckleResponseError(f"the server's apps are not a list: {preview(apps)}")
        return [
            {**{k: app.get(k) for k in _APP_KEYS}, **app, "author": _author(app.get("author"))}
            for app in apps
            if isinstance(app, Mapping)
        ]

    def _require_tokens(self, action: str) -> None:
        if self.detect_generation() == "v1":
            raise SpeckleUnsupportedError(
                f"cannot {action}: {self.session.root_url} is a Speckle v1 server, which has no API token "
                "operations (a v1 user's apitoken comes with login: client.login(...).apitoken)"
            )

    def create_token(self, name: str, scopes: list[str], lifespan: int) -> str:
        """Create a personal API token (v2 and newer servers)

        The request is authenticated with :attr:`token`, which needs the ``tokens:write`` scope.

        Arguments:
            name {str} -- a name for your new token
            scopes {List[str]} -- the scopes to grant with this token
            lifespan {int} -- duration before the token expires, in seconds

        Returns:
            str -- the new API token. note: this is the only time you'll see the token!

        Raises:
            SpeckleInputError -- a malformed argument (nothing is sent)
            SpeckleUnsupportedError -- the server is a v1 server
            BadRequestError -- the server refused the scopes or the lifespan
        """
        if not isinstance(name, str) or not name.strip():
            raise SpeckleInputError(f"name must be a non-empty string, got {name!r}")
        if isinstance(scopes, str) or not isinstance(scopes, (list, tuple)) or not scopes:
            raise SpeckleInputError(f"scopes must be a non-empty list of scope names, got {scopes!r}")
        if not all(isinstance(s, str) and s.strip() for s in scopes):
            raise SpeckleInputError(f"every scope must be a non-empty string, got {list(scopes)!r}")
        if isinstance(lifespan, bool) or not isinstance(lifespan, int) or lifespan <= 0:
            raise SpeckleInputError(f"lifespan must be a positive number of seconds (int), got {lifespan!r}")
        self._require_tokens("create a token")
        variables = {"token": {"name": name, "scopes": list(scopes), "lifespan": lifespan}}
        created = self._field(self._graphql(TOKEN_CREATE_MUTATION, variables, mutation=True), "apiTokenCreate")
        if not isinstance(created, str) or not created:
            raise SpeckleResponseError("the server's apiTokenCreate answer is not a token string")
        return created

    def revoke_token(self, token: str) -> bool:
        """Revokes (deletes) a personal API token (v2 and newer servers)

        Arguments:
            token {str} -- the token to revoke (delete), or its id

        Returns:
            bool -- True if the token was successfully deleted

        Raises:
            SpeckleInputError -- ``token`` is not a non-empty string (nothing is sent)
            SpeckleUnsupportedError -- the server is a v1 server
        """
        if not isinstance(token, str) or not token.strip():
            raise SpeckleInputError("token must be a non-empty string")
        self._require_tokens("revoke a token")
        revoked = self._field(
            self._graphql(TOKEN_REVOKE_MUTATION, {"token": token.strip()}, mutation=True), "apiTokenRevoke"
        )
        if not isinstance(revoked, bool):
            raise SpeckleResponseError(f"the server's apiTokenRevoke answer is not a boolean: {preview(revoked)}")
        return revoked

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} {self.session.root_url} generation={self._generation}>"
