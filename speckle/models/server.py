"""Models of a server's self-description (``client.server.get()``) and its version parser.

The models follow the ``serverInfo`` type of newer (v2+) Speckle servers; a v1 server's
``GET /api/v1`` description is mapped onto the same :class:`ServerInfo` by
:mod:`speckle.resources.server`. Like every model they keep the fields they do not know.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from speckle._untrusted import short_repr as _r
from speckle.models.base import SpeckleModel

__all__ = ["Scope", "AuthStrategy", "WorkspacesInfo", "ServerInfo", "parse_version", "DEV_VERSION"]

#: The version tuple of a development build (``"dev"``): newer than any release.
DEV_VERSION: tuple[int, int, int] = (999, 999, 999)

_VERSION_RE = re.compile(
    r"^v?(?P<major>\d+)(?:\.(?P<minor>\d+|[xX*]))?(?:\.(?P<patch>\d+|[xX*]))?"
    r"(?:-(?P<tag>[0-9A-Za-z]+)(?:\.(?P<build>[0-9A-Za-z.]+))?)?(?:\+[0-9A-Za-z.\-]*)?$"
)


class Scope(SpeckleModel):
    """An API scope a token can be granted: ``name`` (``streams:read``) and ``description``."""

    name: str | None = None
    description: str | None = None


class AuthStrategy(SpeckleModel):
    """A way to log in to the server: ``id``, ``name``, ``icon`` (and, when sent, ``url``, ``color``)."""

    id: str | None = None
    name: str | None = None
    icon: str | None = None


class WorkspacesInfo(SpeckleModel):
    """Workspace support of the server: ``workspacesEnabled``."""

    workspacesEnabled: bool | None = None


class ServerInfo(SpeckleModel):
    """Information about a Speckle server (``client.server.get()``).

    ``scopes`` and ``authStrategies`` are empty lists when the server lists none (always, for a
    v1 server); ``workspaces`` is None when the server does not say (an older v2 server) and
    ``workspacesEnabled=False`` for a v1 server. Fields the server adds are kept.
    """

    name: str | None = None
    company: str | None = None
    description: str | None = None
    adminContact: str | None = None
    canonicalUrl: str | None = None
    version: str | None = None
    scopes: list[Scope] = Field(default_factory=list)
    authStrategies: list[AuthStrategy] = Field(default_factory=list)
    workspaces: WorkspacesInfo | None = None

    @classmethod
    def from_data(cls, data: Any) -> Any:
        """Build the model; ``null`` lists from the server become empty lists.

        Arguments:
            data {dict} -- the ``serverInfo`` document

        Returns:
            ServerInfo -- the model (untyped but complete when the data does not fit the fields)
        """
        if isinstance(data, dict) and (data.get("scopes", []) is None or data.get("authStrategies", []) is None):
            data = {k: ([] if k in ("scopes", "authStrategies") and v is None else v) for k, v in data.items()}
        return super().from_data(data)

    def __repr__(self) -> str:
        return (
            f"<ServerInfo name={_r(self.name)} version={_r(self.version)} canonicalUrl={_r(self.canonicalUrl)}>"
        )


def parse_version(version: Any, unknown: tuple[int, int, int] = (0, 0, 0)) -> tuple[Any, ...]:
    """Parse a server version string into a comparable tuple.

    * ``"2.6.3"`` -> ``(2, 6, 3)``; ``"2.6.4-alpha.4711"`` -> ``(2, 6, 4, 'alpha', 4711)``;
      a tag without a build number (``"2.0.0-rc"``) gets build ``0``, a build that is not a
      number (``"2.0.0-alpha.abc"``) too; a leading ``v`` and ``+metadata`` are ignored.
    * Missing or wildcard parts count as ``0``: ``"2.3"`` -> ``(2, 3, 0)``, ``"1.x.x"`` (what a
      v1 server reports by default) -> ``(1, 0, 0)``.
    * ``"dev"`` (a development build) -> :data:`DEV_VERSION` ``(999, 999, 999)``.
    * Anything else (None, ``""``, ``"UNKNOWN"``...) -> ``unknown``.

    Arguments:
        version {str|None} -- the version string the server reported

    Keyword Arguments:
        unknown {tuple} -- the answer for a version that says nothing (default: {(0, 0, 0)})

    Returns:
        tuple -- ``(major, minor, patch)`` or ``(major, minor, patch, tag, build)``, numbers as ints
    """
    if not isinstance(version, str):
        return unknown
    text = version.strip()
    if text.lower() == "dev":
        return DEV_VERSION
    match = _VERSION_RE.match(text)
    if match is None:
        return unknown
    numbers = tuple(
        int(part) if part is not None and part.isdigit() else 0
        for part in (match.group("major"), match.group("minor"), match.group("patch"))
    )
    tag = match.group("tag")
    if tag is None:
        return numbers
    build = (match.group("build") or "").split(".")[0]
    return (*numbers, tag, int(build) if build.isdigit() else 0)
