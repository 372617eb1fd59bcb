"""Typed exceptions raised by the Speckle client.

Every error the library raises derives from :class:`SpeckleError`. Errors that
come from an HTTP exchange carry the HTTP ``status_code``, the server's
``message`` (always a string; v1 servers sometimes send ``{}`` or an object,
which is rendered as JSON), the request ``method`` and the ``url`` (never with
a token in it) and the raw ``body`` text.

v1 servers use status codes inconsistently (a permission failure is ``401`` on
some routes, ``404`` or ``400`` on others; see the v1 reference, quirk 1), so
:func:`error_for_response` classifies a failure by its status code *and* by the
well-known server messages: a user reading someone else's private stream always
gets :class:`PermissionDeniedError`, whatever code the route used, and the
original code stays available as ``status_code``.

Example::

    from speckle import SpeckleApiClient
    from speckle.errors import NotFoundError, PermissionDeniedError

    try:
        stream = client.streams.get('doesNotExist')
    except NotFoundError as err:
        print(err.status_code, err.message)
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "SpeckleError",
    "SpeckleInputError",
    "SpeckleUnsupportedError",
    "SpeckleTransportError",
    "SpeckleConnectionError",
    "SpeckleTimeoutError",
    "SpeckleResponseError",
    "SpeckleAPIError",
    "BadRequestError",
    "ValidationError",
    "AuthenticationError",
    "TokenExpiredError",
    "PermissionDeniedError",
    "NotFoundError",
    "VersionConflictError",
    "GoneError",
    "PayloadTooLargeError",
    "UnsupportedMediaTypeError",
    "RateLimitError",
    "ServerError",
    "error_for_response",
]


class SpeckleError(Exception):
    """Base class of every error raised by :mod:`speckle`.

    Attributes:
        message {str} -- a human readable description (the server's message when there is one)
        status_code {int|None} -- the HTTP status, or None when no response was received
        method {str|None} -- the HTTP method of the failed request
        url {str|None} -- the URL of the failed request (tokens are never part of it)
        body {str|None} -- the raw response body, truncated to 2,000 characters
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        method: str | None = None,
        url: str | None = None,
        body: str | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.method = method
        self.url = url
        self.body = body[:2000] if isinstance(body, str) else body
        super().__init__(message)

    def __str__(self) -> str:
        where = f"{self.method} {self.url}" if self.method and self.url else (self.url or "")
        status = f"HTTP {self.status_code}" if self.status_code is not None else ""
        context = ", ".join(part for part in (status, where) if part)
        return f"{self.message} ({context})" if context else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status_code={self.status_code!r}, "
            f"method={self.method!r}, url={self.url!r})"
        )


class SpeckleInputError(SpeckleError, ValueError):
    """An argument given to the client is malformed; nothing was sent to the server."""


class SpeckleUnsupportedError(SpeckleError):
    """The server does not offer this operation (e.g. API tokens on a v1 server)."""


class SpeckleTransportError(SpeckleError):
    """No usable HTTP response: the connection failed, timed out, or the body was not JSON."""


class SpeckleConnectionError(SpeckleTransportError):
    """The server could not be reached, or the connection dropped."""


class SpeckleTimeoutError(SpeckleTransportError):
    """The server did not answer within the client's timeout."""


class SpeckleResponseError(SpeckleTransportError):
    """The server answered, but not with the JSON document the API promises (HTML, garbage...)."""


class SpeckleAPIError(SpeckleError):
    """The server answered with an error (a non-2xx status or ``success: false``)."""


class BadRequestError(SpeckleAPIError):
    """The server rejected the request as malformed or invalid (HTTP 400)."""


#: Alias: v1 servers report validation failures as plain 400s.
ValidationError = BadRequestError


class AuthenticationError(SpeckleAPIError):
    """No valid credentials: wrong password, missing, malformed, expired or revoked token."""


class TokenExpiredError(AuthenticationError):
    """The token's ``exp`` claim lies in the past; log in again."""


class PermissionDeniedError(SpeckleAPIError):
    """Authenticated, but not allowed to do this (HTTP 403, and v1's "not authorised" 401/400/404)."""


class NotFoundError(SpeckleAPIError):
    """The resource does not exist or the id is malformed (HTTP 404, and v1's "not found" 400)."""


class VersionConflictError(SpeckleAPIError):
    """The document changed on the server since it was read (a stale ``__v``).

    v1 servers (Mongoose) refuse to save a change to a list field (``tags``, ``assignedTo``,
    ``canRead``...) when the update carries a ``__v`` older than the stored one, and answer
    404 (comments, projects) or 400 (streams, objects, API clients) with a ``VersionError``.
    The client never sends ``__v`` back itself (see :data:`speckle.base.resource.SERVER_MANAGED_FIELDS`);
    this error means a ``__v`` was sent on purpose, or by code that bypasses the resources.
    Read the resource again, re-apply the change and update once more.

    Attributes:
        document_id {str|None} -- the id the server names (a stream's ``_id``, not its ``streamId``)
        sent_version {int|None} -- the version the update carried
        modified_paths {list} -- the fields the server found modified
    """

    document_id: str | None = None
    sent_version: int | None = None
    modified_paths: list[str] = []


class GoneError(SpeckleAPIError):
    """The route has been removed from the server (HTTP 410, e.g. the v0 API)."""


class PayloadTooLargeError(SpeckleAPIError):
    """The request body is larger than the server accepts (HTTP 413)."""


class UnsupportedMediaTypeError(SpeckleAPIError):
    """The server cannot decode the request body (HTTP 415)."""


class RateLimitError(SpeckleAPIError):
    """Too many requests (HTTP 429)."""


class ServerError(SpeckleAPIError):
    """The server failed (HTTP 5xx)."""


_PERMISSION_MARKERS = (
    "not authorised",
    "not authorized",
    "only admins",
    "do not own",
    "invite only",
    "anonymous client",
    "user is archived",
)
_NOT_FOUND_MARKERS = (
    "not found",
    "no user found",
    "no users found",
    "failed to find",
    "cast to objectid failed",
)
#: Mongoose's VersionError: ``No matching document found for id "<id>" version <n> modifiedPaths "<a, b>"``
_VERSION_ERROR_RE = re.compile(
    r'No matching document found for id "(?P<id>[^"]*)" version (?P<version>-?\d+|\S+)'
    r'(?: modifiedPaths "(?P<paths>[^"]*)")?'
)
_DEAD_USER_MARKERS = (
    "no user with these credentials",
    "this user has been archived",
)

_BY_STATUS: dict[int, type[SpeckleAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    410: GoneError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    429: RateLimitError,
}


def _classify(status_code: int, message: str) -> type[SpeckleAPIError]:
    text = message.lower()
    if status_code < 500 and _VERSION_ERROR_RE.search(message):
        return VersionConflictError
    if any(marker in text for marker in _DEAD_USER_MARKERS):
        # v1 answers 500 for a valid token of a deleted or archived user (quirk 8)
        return AuthenticationError
    if status_code in (413, 415, 410, 429) or status_code >= 500:
        return _BY_STATUS.get(status_code, ServerError)
    if any(marker in text for marker in _PERMISSION_MARKERS):
        return PermissionDeniedError
    if any(marker in text for marker in _NOT_FOUND_MARKERS):
        return NotFoundError
    if status_code == 401 and text.startswith("invalid credentials"):
        return AuthenticationError
    return _BY_STATUS.get(status_code, BadRequestError if status_code < 500 else ServerError)


def error_for_response(
    status_code: int,
    message: str,
    *,
    method: str | None = None,
    url: str | None = None,
    body: str | None = None,
    payload: Any = None,
) -> SpeckleAPIError:
    """Build the typed error for a failed response.

    Arguments:
        status_code {int} -- the HTTP status of the response
        message {str} -- the server's message, already rendered as text

    Keyword Arguments:
        method {str} -- the HTTP method (default: {None})
        url {str} -- the request URL without credentials (default: {None})
        body {str} -- the raw body (default: {None})
        payload {Any} -- the parsed JSON body, if any; kept as ``error.payload`` (default: {None})

    Returns:
        SpeckleAPIError -- an instance of the most specific subclass
    """
    cls = _classify(status_code, message)
    match = _VERSION_ERROR_RE.search(message) if cls is VersionConflictError else None
    if match is not None:
        return _version_conflict(match, status_code, message, method=method, url=url, body=body, payload=payload)
    error = cls(message, status_code=status_code, method=method, url=url, body=body)
    error.payload = payload
    return error


def _version_conflict(
    match: re.Match[str],
    status_code: int,
    message: str,
    *,
    method: str | None,
    url: str | None,
    body: str | None,
    payload: Any,
) -> VersionConflictError:
    sent = match.group("version")
    paths = [p.strip() for p in (match.group("paths") or "").split(",") if p.strip()]
    changed = ", ".join(p for p in paths if p != "__v") or "its fields"
    text = (
        f"version conflict: {match.group('id')} changed on the server since this copy was read "
        f"(the update carried __v {sent}, the server holds a newer one; changed: {changed}). "
        f"Read it again and re-apply the change. Server message: {message}"
    )
    error = VersionConflictError(text, status_code=status_code, method=method, url=url, body=body)
    error.payload = payload
    error.document_id = match.group("id")
    error.sent_version = int(sent) if sent.lstrip("-").isdigit() else None
    error.modified_paths = paths
    return error
