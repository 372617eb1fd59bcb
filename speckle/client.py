"""``SpeckleApiClient``: the client with every resource of a v1 server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import websocket

from speckle.base.client import ClientBase
from speckle.base.resource import check_id
from speckle.errors import SpeckleInputError
from speckle.models.resources import User
from speckle.resources import accounts, api_clients, comments, objects, projects, server, streams

__all__ = ["SpeckleApiClient"]


class SpeckleApiClient(ClientBase):
    """Speckle Client documentation

    The SpeckleClient class is used to manage authentication and dispatch request to a given
    SpeckleServer.

    Example::

        from speckle import SpeckleApiClient

        client = SpeckleApiClient('myspeckle.speckle.works')
        client.register(email='test@test.com', password='Speckle<3Python',
                        company='SnakeySnakes', name='Snakey', surname='Snake')
        streams = client.streams.list()

    The resources are attributes, created once per client: ``accounts``, ``projects``,
    ``streams``, ``api_clients``, ``comments``, ``objects`` and ``server``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        resource_args = (self.transport, self.basepath, self.me)
        self.accounts = accounts.Resource(*resource_args)
        self.projects = projects.Resource(*resource_args)
        self.streams = streams.Resource(*resource_args)
        self.api_clients = api_clients.Resource(*resource_args)
        self.comments = comments.Resource(*resource_args)
        self.objects = objects.Resource(*resource_args)
        self.server = server.Resource(*resource_args)

    def _resources(self) -> tuple[Any, ...]:
        return tuple(
            getattr(self, name)
            for name in ("accounts", "projects", "streams", "api_clients", "comments", "objects", "server")
            if hasattr(self, name)
        )

    def _set_me(self, me: User | None) -> None:
        super()._set_me(me)
        for resource in self._resources():
            resource.me = me

    def websocket_query(self, stream_id: str | None, client_id: str) -> str:
        """The websocket URL for a stream: ``client_id``, ``stream_id`` and the apitoken as
        ``access_token`` (v1 servers authenticate sockets by apitoken only)."""
        params = {"client_id": client_id}
        if stream_id is not None:
            params["stream_id"] = stream_id
        if self.apitoken:
            params["access_token"] = self.apitoken
        return f"{self.websocket_url}/?{urlencode(params)}"

    def register_socket_client(self, stream_id: str, role: str = "Receiver") -> str:
        """Create an API client record for a stream and return its id, for a websocket
        ``client_id`` (a ``temp-...`` id when not logged in)."""
        created = self.api_clients.create(
            {
                "role": role,
                "documentName": "speckle-python",
                "documentType": "Python",
                "streamId": stream_id,
                "online": True,
            }
        )
        if not created.id:
            raise SpeckleInputError("the server did not give the new API client an id")
        return created.id

    def websockets(
        self,
        stream_id: str,
        client_id: str | None = None,
        header: dict[str, str] | list[str] | None = None,
        on_open: Callable[..., Any] | None = None,
        on_message: Callable[..., Any] | None = None,
        on_error: Callable[..., Any] | None = None,
        on_close: Callable[..., Any] | None = None,
        on_ping: Callable[..., Any] | None = None,
        on_pong: Callable[..., Any] | None = None,
        on_cont_message: Callable[..., Any] | None = None,
        get_mask_key: Callable[..., Any] | None = None,
        subprotocols: list[str] | None = None,
        on_data: Callable[..., Any] | None = None,
    ) -> websocket.WebSocketApp:
        """Connect to a specific stream on the host server through websockets

        This function essentially generates the correct connection url the Speckle Server
        expects in order to connect to a specific stream. After that all this function does is
        instantiate a WebSocketApp class from the websocket-client package. Without a
        ``client_id`` an API client is registered for the stream first.

        .. note:: v1 servers send the text ``ping`` every 30 s and drop sockets that do not
           answer ``alive``; :meth:`listen` answers for you and reconnects by itself.

        Arguments:
            stream_id {str} -- The id of a stream

        Keyword Arguments:
            client_id {str} -- The id of the client to authenticate as (default: {None})
            header {dict} -- custom header for websocket handshake (default: {None})
            on_open, on_message, on_error, on_close, on_ping, on_pong, on_cont_message,
            on_data, get_mask_key, subprotocols -- passed to ``websocket.WebSocketApp``

        Returns:
            WebSocketApp -- a websocket-client instance
        """
        check_id(stream_id, "stream id")
        if client_id is None:
            client_id = self.register_socket_client(stream_id)
        elif not isinstance(client_id, str) or not client_id:
            raise SpeckleInputError(f"client_id must be a non-empty string, got {client_id!r}")
        return websocket.WebSocketApp(
            self.websocket_query(stream_id, client_id),
            header=header,
            on_open=on_open,
            on_message=on_message,
            on_error=on_error,
            on_close=on_close,
            on_ping=on_ping,
            on_pong=on_pong,
            on_cont_message=on_cont_message,
            get_mask_key=get_mask_key,
            subprotocols=subprotocols,
            on_data=on_data,
        )
