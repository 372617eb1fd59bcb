"""The client base: server address, credentials, login and registration."""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import logging
import re
import sys
from typing import Any
from urllib.parse import urlsplit

import requests

from speckle._untrusted import short_repr
from speckle.errors import (
    AuthenticationError,
    SpeckleInputError,
    SpeckleResponseError,
    TokenExpiredError,
)
from speckle.models.resources import User
from speckle.transport import (
    DEFAULT_DEADLINE,
    DEFAULT_GZIP_THRESHOLD,
    DEFAULT_TIMEOUT,
    Timeout,
    Transport,
    time_limit,
)

__all__ = ["ClientBase", "parse_host", "check_token"]

logger = logging.getLogger("speckle")

_TOKEN_RE = re.compile(r"^(?P<scheme>jwt)\s+(?P<jwt>[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)$", re.I)
_BARE_JWT_RE = re.compile(r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*$")


def parse_host(host: str, use_ssl: bool = True) -> tuple[str, str, str]:
    """Split a server address into ``(scheme, netloc, path prefix)``.

    ``host`` may be a host name (``speckle.example.com``), ``host:port``, or a full URL
    (``http://127.0.0.1:3000``), whose scheme then wins over ``use_ssl``. A trailing
    ``/api`` or ``/api/v1`` is dropped; any other path is kept as a prefix (a server behind a
    reverse proxy).

    Raises:
        SpeckleInputError -- for anything that is not a usable server address
    """
    if not isinstance(host, str) or not host.strip():
        raise SpeckleInputError(f"host must be a non-empty string such as 'speckle.example.com', got {host!r}")
    text = host.strip()
    if "://" in text:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise SpeckleInputError(f"host URL must start with http:// or https://, got {host!r}")
    else:
        parts = urlsplit(("https://" if use_ssl else "http://") + text)
        scheme = "https" if use_ssl else "http"
    netloc = parts.netloc
    if not netloc or any(c.isspace() for c in netloc) or parts.query or parts.fragment:
        raise SpeckleInputError(f"not a server address: {host!r}")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise SpeckleInputError(f"bad port in host {host!r}: {exc}") from exc
    prefix = re.sub(r"/api(/v\d+)?/?$", "", parts.path.rstrip("/"))
    return scheme, netloc, prefix


def _jwt_claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    claims = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    if not isinstance(claims, dict):
        raise ValueError("claims are not an object")
    return claims


def check_token(token: Any) -> str:
    """Validate a v1 API token (``JWT eyJ...``) and return it without surrounding white space.

    The token's claims are read (not verified: only the server can) to refuse a token that
    has already expired.

    Raises:
        SpeckleInputError -- the token is not a string of the form ``JWT <jwt>``
        TokenExpiredError -- the token's ``exp`` lies in the past
    """
    if not isinstance(token, str) or not token.strip():
        raise SpeckleInputError("token must be a non-empty string such as 'JWT eyJhbGciOi...'")
    text = token.strip()
    match = _TOKEN_RE.match(text)
    if match is None:
        if text.lower().startswith("bearer "):
            raise SpeckleInputError(
                "v1 servers take tokens of the form 'JWT eyJ...', not 'Bearer ...' "
                "(a Bearer token belongs to a v2 or newer server)"
            )
        if _BARE_JWT_RE.match(text):
            raise SpeckleInputError(
                "the token lacks its 'JWT ' prefix: v1 tokens look like 'JWT eyJhbGciOi...'; "
                "paste the whole token as the server gave it"
            )
        raise SpeckleInputError("malformed token: expected 'JWT ' followed by a JSON web token")
    try:
        claims = _jwt_claims(match.group("jwt"))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise SpeckleInputError(f"malformed token: its claims cannot be read ({exc})") from exc
    exp = claims.get("exp")
    if isinstance(exp, (int, float)):
        expires = _dt.datetime.fromtimestamp(exp, tz=_dt.UTC)
        if expires <= _dt.datetime.now(tz=_dt.UTC):
            raise TokenExpiredError(f"the token expired on {expires:%Y-%m-%d %H:%M:%S} UTC; log in again")
    return text


class ClientBase:
    """Base class for http speckle client

    This class contains the basic properties required to register, authenticate and hold
    authentication credentials.

    Keyword Arguments:
        host {str} -- the server: a host name, ``host:port`` or a full URL such as
            ``http://127.0.0.1:3000`` (default: {'hestia.speckle.works'})
        version {str} -- the API version (default: {'v1'})
        use_ssl {bool} -- https/wss when ``host`` has no scheme (default: {True})
        verbose {bool} -- log every request and response, tokens masked (default: {False})
        timeout {float|tuple} -- seconds, or ``(connect, read)``, for every socket operation of a
            request (default: {30})
        deadline {float|None} -- seconds one call may last in all, however slowly the server
            sends its answer (retries included); None: no total limit (default: {300})
        max_retries {int} -- retries of requests that are safe to repeat; 0 disables (default: {3})
        backoff_factor {float} -- first retry delay in seconds, doubled each time (default: {0.5})
        gzip_threshold {int|None|str} -- gzip request bodies of at least this many bytes; None never;
            ``'auto'``: 256 KiB, or never for a server on this machine (default: {'auto'})
        session {requests.Session} -- a session to use instead of a new one (default: {None})
    """

    def __init__(
        self,
        host: str = "hestia.speckle.works",
        version: str = "v1",
        use_ssl: bool = True,
        verbose: bool = False,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        deadline: float | None = DEFAULT_DEADLINE,
        max_retries: int = 3,
        backoff_factor: float = 0.5,
        gzip_threshold: int | str | None = "auto",
        session: requests.Session | None = None,
    ) -> None:
        if not isinstance(version, str) or not re.fullmatch(r"v\d+", version):
            raise SpeckleInputError(f"version must look like 'v1', got {version!r}")
        scheme, netloc, prefix = parse_host(host, use_ssl)
        self.host = netloc
        self.version = version
        self.use_ssl = scheme == "https"
        self.verbose = verbose
        self.server_url = f"{scheme}://{netloc}{prefix}"
        self.basepath = f"{self.server_url}/api/{version}"
        self.transport = Transport(
            self.basepath,
            root_url=self.server_url,
            timeout=timeout,
            deadline=deadline,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            gzip_threshold=_gzip_threshold(gzip_threshold, netloc),
            verbose=verbose,
            session=session,
        )
        #: The requests session every call goes through (one per client).
        self.session = self.transport.session
        #: The profile of the logged-in user, or None.
        self.me: User | None = None
        if verbose:
            _enable_verbose_logging()

    # -- credentials -----------------------------------------------------------------------------

    @property
    def token(self) -> str | None:
        """The token sent with every request (``JWT ...``), or None when logged out."""
        return self.transport.token

    @token.setter
    def token(self, value: str | None) -> None:
        self.transport.token = None if value is None else check_token(value)

    @property
    def apitoken(self) -> str | None:
        """The long-lived API token of the logged-in user (the only one websockets accept)."""
        if self.me is not None and self.me.apitoken:
            return self.me.apitoken
        return None

    @property
    def websocket_url(self) -> str:
        """The websocket address of the server (``ws://`` or ``wss://``, following the scheme)."""
        return ("wss://" if self.use_ssl else "ws://") + self.server_url.split("://", 1)[1]

    def _set_me(self, me: User | None) -> None:
        self.me = me

    def register(
        self,
        email: str,
        password: str,
        company: str | None,
        name: str | None = None,
        surname: str | None = None,
    ) -> User:
        """Register a new user to the speckle server

        After a user has registered, this function will log them in and save auth token
        credentials in the client object.

        Arguments:
            email {str} -- Email address of the new user, must not exist on the server
            password {str} -- Pretty self explanatory, must be at least 8 characters long
            company {str} -- Company the user is registering to speckle under

        Keyword Arguments:
            name {str} -- User name, server will default to 'Anonymous' if None (default: {None})
            surname {str} -- User surname, server will default to '' if None (default: {None})

        Returns:
            User -- the profile of the new user
        """
        _check_str("email", email)
        _check_str("password", password)
        body: dict[str, Any] = {"email": email, "password": password}
        for key, value in (("company", company), ("name", name), ("surname", surname)):
            if value is not None:
                _check_str(key, value, allow_empty=True)
                body[key] = value
        payload = self.transport.request("POST", "/accounts/register", json_body=body)
        resource = payload.get("resource") if isinstance(payload, dict) else None
        if not isinstance(resource, dict) or not resource.get("apitoken"):
            raise SpeckleResponseError("the server's registration answer holds no token")
        self.transport.token = _server_token(resource["apitoken"])
        profile = self._load_profile()
        profile.token = resource.get("token")
        logger.info("registered and logged in as %s", short_repr(profile.email))
        return profile

    def login(self, email: str, password: str) -> User:
        """Login user to speckle server

        After a user has logged in, this function will save auth token credentials in the
        client object.

        Arguments:
            email {str} -- Email address of the user
            password {str} -- Pretty self explanatory, must also be the user's actual password

        Returns:
            User -- the profile of the user
        """
        _check_str("email", email)
        _check_str("password", password)
        try:
            credentials = {"email": email, "password": password}
            payload = self.transport.request("POST", "/accounts/login", json_body=credentials)
        except AuthenticationError as exc:
            if "no details" in exc.message:
                # v1 answers an unknown email with 401 and an empty message (quirk 11)
                exc.message = "Invalid credentials: no account with this email on the server."
                exc.args = (exc.message,)
            raise
        resource = payload.get("resource") if isinstance(payload, dict) else None
        if not isinstance(resource, dict):
            raise SpeckleResponseError("the server's login answer holds no profile")
        profile = User.from_data(resource)
        self.transport.token = _server_token(profile.apitoken or profile.token)
        self._set_me(profile)
        logger.info("logged in as %s", short_repr(profile.email))
        return profile

    def login_with_token(self, token: str) -> User:
        """Login user to the speckle server using an API token

        If your server uses an alternate login mechansim (e.g. ActiveDirectory), you can use
        this function to store your API token in the client. The token must be the whole
        ``JWT ...`` string; the user's profile is loaded to check it.

        Arguments:
            token {str} -- your Speckle API token

        Returns:
            User -- the profile of the token's user
        """
        checked = check_token(token)
        previous = self.transport.token
        self.transport.token = checked
        try:
            profile = self._load_profile()
        except AuthenticationError as exc:
            self.transport.token = previous
            exc.message = f"the server rejected the token: {exc.message}"
            exc.args = (exc.message,)
            raise
        if profile.token is None and checked != profile.apitoken:
            profile.token = checked
        return profile

    def _load_profile(self) -> User:
        payload = self.transport.request("GET", "/accounts")
        resource = payload.get("resource") if isinstance(payload, dict) else None
        if not isinstance(resource, dict):
            raise SpeckleResponseError("the server's profile answer holds no user")
        profile = User.from_data(resource)
        self._set_me(profile)
        return profile

    def time_limit(self, seconds: float | None) -> Any:
        """A block whose requests all end within ``seconds`` from now (see :func:`speckle.transport.time_limit`)

        Example::

            with client.time_limit(60):
                stream = client.streams.get(stream_id)
                objects = client.objects.get_bulk(ids)   # both within 60 s, or SpeckleTimeoutError

        Arguments:
            seconds {float|None} -- the time the block's requests may take; None: no limit

        Returns:
            ContextManager -- the block
        """
        return time_limit(seconds)

    def logout(self) -> None:
        """Forget the credentials (v1 servers cannot revoke tokens)."""
        self.transport.token = None
        self._set_me(None)

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the client's HTTP connections."""
        self.transport.close()

    def __enter__(self) -> ClientBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        who = f" user={self.me.email!r}" if self.me is not None else ""
        return f"<{type(self).__name__} {self.basepath}{who}>"


def _gzip_threshold(setting: int | str | None, netloc: str) -> int | None:
    if setting == "auto":
        host = urlsplit("//" + netloc).hostname or ""
        loopback = host == "localhost" or host.startswith("127.") or host == "::1"
        return None if loopback else DEFAULT_GZIP_THRESHOLD
    if setting is None or (isinstance(setting, int) and not isinstance(setting, bool) and setting >= 0):
        return setting
    raise SpeckleInputError(f"gzip_threshold must be a number of bytes, None or 'auto', got {setting!r}")


def _server_token(value: Any) -> str:
    """A token the server gave, checked to be usable as a header (printable ASCII)."""
    if not isinstance(value, str) or not value or not value.isascii() or not value.isprintable():
        raise SpeckleResponseError("the server's answer holds no usable token")
    return value


def _check_str(name: str, value: Any, *, allow_empty: bool = False) -> None:
    if not isinstance(value, str) or (not allow_empty and not value):
        kind = "string" if allow_empty else "non-empty string"
        raise SpeckleInputError(f"{name} must be a {kind}, got {type(value).__name__}")


def _enable_verbose_logging() -> None:
    """Make the library's INFO logs visible when the application configured no logging."""
    lib = logging.getLogger("speckle")
    if lib.level == logging.NOTSET or lib.level > logging.INFO:
        lib.setLevel(logging.INFO)
    real = [h for h in lib.handlers if not isinstance(h, logging.NullHandler)]
    if not real and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        lib.addHandler(handler)
