"""GraphQL over the client's transport, for newer (v2+) Speckle servers.

Newer servers answer ``POST /graphql`` with ``{"data": ..., "errors": [...]}``. Errors mostly
come with HTTP 200; :func:`execute` turns them into typed exceptions by their
``extensions.code``:

===================  ==============================================
``FORBIDDEN``        :class:`~speckle.errors.PermissionDeniedError`
``UNAUTHENTICATED``  :class:`~speckle.errors.AuthenticationError`
``BAD_USER_INPUT``   :class:`~speckle.errors.BadRequestError`
anything else        :class:`SpeckleGraphQLError`
===================  ==============================================

Each exception carries ``message`` (the messages of all errors), ``errors`` (the server's
error list, verbatim) and ``payload`` (the whole response). HTTP failures (4xx/5xx) are the
transport's typed errors, with the GraphQL messages when the body holds any.

Requests carry ``Authorization: Bearer <token>`` when a token is given and no
``Authorization`` header otherwise: the client's v1 ``JWT ...`` token is never sent here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from speckle._untrusted import preview, utf8_safe
from speckle.errors import (
    AuthenticationError,
    BadRequestError,
    PermissionDeniedError,
    SpeckleAPIError,
    SpeckleInputError,
    SpeckleResponseError,
)

if TYPE_CHECKING:
    from speckle.transport import Transport

__all__ = ["SpeckleGraphQLError", "execute", "error_for_graphql", "check_bearer_token", "GRAPHQL_PATH"]

#: Where newer servers answer GraphQL, under the server root.
GRAPHQL_PATH = "/graphql"


class SpeckleGraphQLError(SpeckleAPIError):
    """The GraphQL server reported an error without a code the client maps to a narrower class."""


_BY_CODE: dict[str, type[SpeckleAPIError]] = {
    "FORBIDDEN": PermissionDeniedError,
    "UNAUTHENTICATED": AuthenticationError,
    "BAD_USER_INPUT": BadRequestError,
}


def _text(value: Any) -> str:
    return utf8_safe(value) if isinstance(value, str) else preview(value)


def _code(error: Any) -> str | None:
    extensions = error.get("extensions") if isinstance(error, Mapping) else None
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    return code if isinstance(code, str) else None


def error_for_graphql(
    errors: list[Any],
    *,
    payload: Any = None,
    status_code: int | None = None,
    url: str | None = None,
) -> SpeckleAPIError:
    """The typed exception for a GraphQL ``errors`` list (classified by the first known code).

    Arguments:
        errors {list} -- the ``errors`` of the response

    Keyword Arguments:
        payload {dict} -- the whole response, kept as ``error.payload`` (default: {None})
        status_code {int} -- the HTTP status (default: {None})
        url {str} -- the request URL (default: {None})

    Returns:
        SpeckleAPIError -- with ``errors`` (the list) and ``payload`` attributes
    """
    messages = [
        _text(e.get("message")) if isinstance(e, Mapping) and e.get("message") else preview(e) for e in errors[:20]
    ] or ["the GraphQL server reported an error without details"]
    codes = [code for code in map(_code, errors) if code]
    cls = next((_BY_CODE[code] for code in codes if code in _BY_CODE), SpeckleGraphQLError)
    error = cls("; ".join(messages), status_code=status_code, method="POST", url=url)
    error.errors = list(errors)
    error.payload = payload
    return error


def check_bearer_token(token: Any) -> str:
    """Validate a v2 token (personal access token or app token) and return it bare.

    A leading ``Bearer`` (and its space) is dropped.

    Raises:
        SpeckleInputError -- not a non-empty single-line string, or a v1 ``JWT ...`` token
    """
    if not isinstance(token, str) or not token.strip():
        raise SpeckleInputError("a v2 token must be a non-empty string (a personal access token)")
    text = token.strip()
    if text[:7].lower() == "bearer ":
        text = text[7:].strip()
    if text[:4].lower() == "jwt ":
        raise SpeckleInputError(
            "this is a v1 token ('JWT ...'); newer servers take a personal access token, "
            "sent as 'Authorization: Bearer <token>'"
        )
    if not text or any(c.isspace() for c in text):
        raise SpeckleInputError("a v2 token is one word without white space")
    return text


def execute(
    transport: Transport,
    document: str,
    variables: Mapping[str, Any] | None = None,
    *,
    token: str | None = None,
    mutation: bool = False,
) -> dict[str, Any]:
    """Send one GraphQL document to ``{server}/graphql`` and return its ``data``.

    Arguments:
        transport {Transport} -- the client's transport (timeouts, retries, logging)
        document {str} -- the GraphQL query or mutation

    Keyword Arguments:
        variables {dict} -- the variables of the document (default: {None})
        token {str} -- a bare v2 token, sent in the ``Authorization`` header as
            ``Bearer <token>``; None sends no ``Authorization`` header (default: {None})
        mutation {bool} -- True for a mutation, which is never retried (default: {False})

    Returns:
        dict -- the ``data`` of the response

    Raises:
        SpeckleAPIError -- a typed error for GraphQL errors (see the module documentation)
        SpeckleResponseError -- the answer is not a GraphQL response
    """
    body: dict[str, Any] = {"query": document}
    if variables:
        body["variables"] = dict(variables)
    # a None value removes the session's v1 ``Authorization`` header from this request
    headers: dict[str, Any] = {"Authorization": f"Bearer {token}" if token else None}
    url = transport.url_for(GRAPHQL_PATH, root=True)
    try:
        payload = transport.request("POST", url, json_body=body, retry=not mutation, headers=headers)
    except SpeckleAPIError as exc:
        answer = getattr(exc, "payload", None)
        errors = answer.get("errors") if isinstance(answer, Mapping) else None
        if isinstance(errors, list) and errors:
            raise error_for_graphql(errors, payload=answer, status_code=exc.status_code, url=exc.url) from exc
        raise
    if not isinstance(payload, Mapping) or not ("data" in payload or "errors" in payload):
        raise SpeckleResponseError(
            f"the server's answer is not a GraphQL response: {preview(payload)}", method="POST", url=url
        )
    errors = payload.get("errors")
    if errors:
        raise error_for_graphql(errors if isinstance(errors, list) else [errors], payload=payload, url=url)
    data = payload.get("data")
    if not isinstance(data, Mapping):
        raise SpeckleResponseError(f"the GraphQL response has no data: {preview(payload)}", method="POST", url=url)
    return dict(data)
