"""Configuration of the local Speckle v1 server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

try:  # the package version doubles as the advertised server version
    from speckle._version import __version__ as _PACKAGE_VERSION
except ImportError:  # pragma: no cover - only when vendored without the package
    _PACKAGE_VERSION = "1.x.x"

HOUR = 3600.0
DAY = 24 * HOUR
YEAR = 365 * DAY


@dataclass
class ServerConfig:
    """Every knob of :class:`~speckle.devserver.server.LocalServer`.

    The names mirror the environment variables of the original server where one
    exists (``SERVER_NAME`` -> ``name``, ``PUBLIC_REGISTRATION`` ->
    ``public_registration``, ``EXPOSE_EMAILS`` -> ``expose_emails``, ``REQ_SIZE``
    -> ``max_body_bytes``, ``JNMASK`` -> ``jn_mask`` ...).
    """

    host: str = "127.0.0.1"
    port: int = 3000
    #: SQLite file; ``None`` keeps everything in memory.
    db_path: str | None = None
    #: ``serverName`` of ``GET /api``.
    name: str = "Speckle Local Server"
    public_registration: bool = True
    #: Default ``private`` of new streams is ``not public_streams``.
    public_streams: bool = True
    #: Raw ``EXPOSE_EMAILS`` value: ``"true"`` shows emails in ``GET /accounts/:id``,
    #: any non-empty value shows them in ``POST /accounts/search``. The default is the
    #: ``EXPOSE_EMAILS=false`` of the original's shipped ``.env`` (so search shows emails).
    expose_emails: str = "false"
    max_body_bytes: int = 10 * 1024 * 1024
    #: Limit of ``application/x-www-form-urlencoded`` bodies (body-parser default).
    max_form_bytes: int = 100 * 1024
    heartbeat_interval: float = 30.0
    warn_after_missed: int = 5
    kick_after_missed: int = 10
    bcrypt_rounds: int = 12
    session_token_ttl: float = DAY
    api_token_ttl: float = 2 * YEAR
    #: Base URL used in the ``GET /api`` route listing; derived from the bound
    #: address when ``None``.
    canonical_url: str | None = None
    plugins: list[dict[str, Any]] = field(default_factory=list)
    jn_mask: str = "######-##"
    version: str = _PACKAGE_VERSION
    #: Pretty-print JSON responses with 2 spaces (``INDENT_RESPONSES=true``).
    indent_responses: bool = False
