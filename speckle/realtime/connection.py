"""Socket addresses and API-client bookkeeping shared by ``client.websockets`` and listeners."""

from __future__ import annotations

import logging
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from speckle._untrusted import preview
from speckle.base.resource import check_id
from speckle.errors import SpeckleError, SpeckleInputError, SpeckleResponseError

__all__ = ["SocketClient", "socket_url", "register_socket_client", "is_real_client_id", "set_client_online"]

log = logging.getLogger(__name__)

#: Prefix of the ids the server gives anonymous API clients (not valid REST ids).
TEMP_PREFIX = "temp-"


class SocketClient(Protocol):
    """What the realtime helpers need from a :class:`~speckle.SpeckleApiClient`."""

    @property
    def websocket_url(self) -> str: ...  # pragma: no cover - protocol

    @property
    def apitoken(self) -> str | None: ...  # pragma: no cover - protocol

    api_clients: Any
    transport: Any


def socket_url(base_url: str, client_id: str, stream_id: str | None = None, access_token: str | None = None) -> str:
    """The URL of a v1 stream socket (§9.1).

    Arguments:
        base_url {str} -- the server's websocket address (``ws://host`` or ``wss://host/prefix``)
        client_id {str} -- the socket's client id

    Keyword Arguments:
        stream_id {str} -- joins room ``stream-<stream_id>`` on connection (default: {None})
        access_token {str} -- the user's apitoken (``JWT ...``); the socket is anonymous
            without it (default: {None})

    Returns:
        str -- ``<base_url>/?client_id=...&stream_id=...&access_token=JWT%20...``
    """
    if not isinstance(client_id, str) or not client_id:
        raise SpeckleInputError(f"client_id must be a non-empty string, got {client_id!r}")
    params = {"client_id": client_id}
    if stream_id is not None:
        params["stream_id"] = stream_id
    if access_token:
        params["access_token"] = access_token
    # %20 rather than "+" for the space of "JWT <jwt>": every query decoder reads it
    return f"{base_url.rstrip('/')}/?{urlencode(params, quote_via=quote)}"


def register_socket_client(client: SocketClient, stream_id: str, role: str = "Receiver") -> str:
    """Create an API client record for a stream and return its id, for a socket ``client_id``.

    Logged-in clients get a saved record (marked ``online``); anonymous ones a ``temp-...`` id.

    Arguments:
        client {SpeckleApiClient} -- the client to register with
        stream_id {str} -- the stream the record belongs to

    Keyword Arguments:
        role {str} -- the record's role (default: {'Receiver'})

    Returns:
        str -- the new client id
    """
    created = client.api_clients.create(
        {
            "role": role,
            "documentName": "speckle-python",
            "documentType": "Python",
            "streamId": stream_id,
            "online": True,
        }
    )
    client_id = created.id
    if not isinstance(client_id, str) or not client_id or not client_id.isprintable():
        raise SpeckleResponseError(f"the server gave the new API client no usable id: {preview(client_id)}")
    try:
        check_id(client_id, "client id")
    except SpeckleInputError as exc:  # a lone surrogate: it could not go into the socket's URL
        raise SpeckleResponseError(f"the server gave the new API client no usable id: {preview(client_id)}") from exc
    return client_id


def is_real_client_id(client_id: str | None) -> bool:
    """Whether ``client_id`` can name a saved API client (not a ``temp-`` id)."""
    return bool(client_id) and not str(client_id).startswith(TEMP_PREFIX)


def set_client_online(client: SocketClient, client_id: str, online: bool, timeout: float = 5.0) -> bool:
    """``PUT /clients/:id {"online": online}``, as the SpeckleCore clients do on connect/close.

    Sent once, without retries (a listener must close promptly even when the server is gone).
    Failures are logged (the record may belong to someone else's stream, or the server may be
    down), never raised.

    Arguments:
        client {SpeckleApiClient} -- the client to send the update with
        client_id {str} -- the API client's id
        online {bool} -- the new state

    Keyword Arguments:
        timeout {float} -- seconds allowed for the request (default: {5.0})

    Returns:
        bool -- whether the server accepted the update
    """
    try:
        client.transport.request(
            "PUT", f"/clients/{quote(client_id, safe='')}", json_body={"online": online}, retry=False, timeout=timeout
        )
    except SpeckleError as exc:
        log.warning("could not mark API client %s %s: %s", client_id, "online" if online else "offline", exc)
        return False
    log.debug("API client %s marked %s", client_id, "online" if online else "offline")
    return True
