"""``SpeckleApiClient``: the client with every resource of a v1 server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import websocket

from speckle import realtime, transfer
from speckle.base.client import ClientBase
from speckle.base.resource import check_id
from speckle.compat.legacy import LegacyCallsMixin
from speckle.errors import SpeckleInputError
from speckle.models.resources import User
from speckle.resources import accounts, api_clients, comments, objects, projects, server, streams
from speckle.transfer import ReceiveResult, SendResult

__all__ = ["SpeckleApiClient"]


class SpeckleApiClient(LegacyCallsMixin, ClientBase):
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

    Keyword Arguments:
        server_generation {str|None} -- ``'v1'`` or ``'v2'`` (v2 and newer, GraphQL) to skip
            ``client.server``'s detection of the server generation (default: {None}, detect)
        max_workers {int} -- parallel requests of bulk transfers (default: {0}, twice the CPUs, 2 to 8)
        batch_bytes {int} -- upper bound of one upload body, uncompressed (default: {4 MiB})
        batch_count {int} -- upper bound of objects per upload request (default: {5000})
        fetch_count {int} -- ids per getbulk request of downloads (default: {500})
        sent_cache {SentObjectCache|str|bool} -- record of sent objects, a path, or False (default: {True})
        received_cache {ReceivedObjectCache|str|bool} -- record of received objects, a path, or False
            (default: {True})
        gzip_threshold {int|None|str} -- gzip bodies of at least this many bytes; ``'auto'``: 256 KiB,
            except for servers on this machine (127.0.0.1, localhost), where compressing only costs CPU
            (default: {'auto'})
        kwargs {Any} -- every other argument of ClientBase (host, timeout, deadline, max_retries...)
    """

    def __init__(
        self,
        *args: Any,
        server_generation: str | None = None,
        max_workers: int = 0,
        batch_bytes: int = transfer.DEFAULT_BATCH_BYTES,
        batch_count: int = transfer.DEFAULT_BATCH_COUNT,
        fetch_count: int = transfer.DEFAULT_FETCH_COUNT,
        sent_cache: transfer.SentObjectCache | str | bool = True,
        received_cache: transfer.ReceivedObjectCache | str | bool = True,
        **kwargs: Any,
    ) -> None:
        #: How bulk transfers are cut and run (``client.objects.create``/``get_bulk``, ``send``, ``receive``).
        self.transfer_options = transfer.TransferOptions(max_workers, batch_bytes, batch_count, fetch_count)
        self._sent_cache_setting = sent_cache
        self._sent_cache: transfer.SentObjectCache | None = sent_cache if isinstance(
            sent_cache, transfer.SentObjectCache
        ) else None
        self._received_cache_setting = received_cache
        self._received_cache: transfer.ReceivedObjectCache | None = received_cache if isinstance(
            received_cache, transfer.ReceivedObjectCache
        ) else None
        super().__init__(*args, **kwargs)
        resource_args = (self.transport, self.basepath, self.me)
        self.accounts = accounts.Resource(*resource_args)
        self.projects = projects.Resource(*resource_args)
        self.streams = streams.Resource(*resource_args)
        self.api_clients = api_clients.Resource(*resource_args)
        self.comments = comments.Resource(*resource_args)
        self.objects = objects.Resource(*resource_args)
        self.objects.transfer_options = self.transfer_options
        self.server = server.Resource(*resource_args, generation=server_generation)

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

    @classmethod
    def from_account(
        cls,
        account: Any = None,
        server: str | None = None,
        *,
        store: Any = None,
        **kwargs: Any,
    ) -> SpeckleApiClient:
        """A client logged in with a saved account (see :mod:`speckle.accounts_store`)

        Example::

            client = SpeckleApiClient.from_account()                     # the default account
            client = SpeckleApiClient.from_account('me@example.com')     # by email

        Keyword Arguments:
            account {SavedAccount|str|None} -- an account, an email, or None for the default
                account (default: {None})
            server {str} -- the account's server, when an email is saved for several
                (default: {None})
            store {AccountStore} -- the store to read (default: {None}: the user's store)
            kwargs -- more ``SpeckleApiClient`` options (``timeout``, ``max_retries``...)

        Returns:
            SpeckleApiClient -- a client logged in with the account's token (its profile loaded)

        Raises:
            AccountNotFoundError -- no saved account matches
            AuthenticationError -- the server rejected the saved token
        """
        from speckle.accounts_store import resolve_account

        saved = resolve_account(account, server, store)
        client = cls(saved.server, **kwargs)
        client.login_with_token(saved.apitoken)
        return client

    @classmethod
    def from_env(cls, **kwargs: Any) -> SpeckleApiClient:
        """A client for ``$SPECKLE_HOST``, logged in with ``$SPECKLE_TOKEN`` when it is set

        Example::

            # SPECKLE_HOST=https://speckle.example.com SPECKLE_TOKEN='JWT eyJ...' python script.py
            client = SpeckleApiClient.from_env()

        Keyword Arguments:
            kwargs -- more ``SpeckleApiClient`` options (``timeout``, ``max_retries``...)

        Returns:
            SpeckleApiClient -- the client (anonymous when ``SPECKLE_TOKEN`` is unset)

        Raises:
            SpeckleInputError -- ``SPECKLE_HOST`` is not set
            AuthenticationError -- the server rejected the token
        """
        import os

        from speckle.accounts_store import HOST_ENV, TOKEN_ENV

        host = os.environ.get(HOST_ENV, "").strip()
        if not host:
            raise SpeckleInputError(f"${HOST_ENV} is not set: export {HOST_ENV}=https://your.speckle.server")
        client = cls(host, **kwargs)
        token = os.environ.get(TOKEN_ENV, "").strip()
        if token:
            client.login_with_token(token)
        return client

    # -- bulk transfers ----------------------------------------------------------------------------

    @property
    def transfer_cache(self) -> transfer.SentObjectCache | None:
        """The record of objects already sent (opened on first use), or None when disabled."""
        if self._sent_cache is None and self._sent_cache_setting is not False:
            setting = self._sent_cache_setting
            self._sent_cache = transfer.SentObjectCache(None if setting is True else str(setting))
        return self._sent_cache

    @property
    def received_cache(self) -> transfer.ReceivedObjectCache | None:
        """The record of objects already received (opened on first use), or None when disabled."""
        if self._received_cache is None and self._received_cache_setting is not False:
            setting = self._received_cache_setting
            self._received_cache = transfer.ReceivedObjectCache(None if setting is True else str(setting))
        return self._received_cache

    def send(
        self,
        objects: list[Any],
        name: str | None = None,
        *,
        stream_id: str | None = None,
        layers: list[Any] | None = None,
        use_cache: bool = True,
        progress: transfer.Progress | None = None,
        **fields: Any,
    ) -> SendResult:
        """Send a model: save its objects in parallel batches, then create or update a stream

        Each object is sent as its JSON (keys in the caller's order) with its content ``hash`` set
        by the client (:func:`speckle.transfer.object_hash`); the caller's dicts are not
        modified. Objects this user already sent to this server are not uploaded again (see
        :class:`speckle.transfer.SentObjectCache`).

        Arguments:
            objects {list} -- dicts or models of Speckle objects (placeholders and ids pass through)

        Keyword Arguments:
            name {str} -- the stream's name (default: {None})
            stream_id {str} -- update this stream, replacing its objects (default: {None}: create one)
            layers {list} -- the stream's layers (default: {None})
            use_cache {bool} -- skip objects already sent to this server (default: {True})
            progress {callable} -- called as progress(done, total) with counts of objects (default: {None})
            fields {Any} -- other stream fields (description, tags, private...)

        Returns:
            SendResult -- ``stream_id``, ``placeholders`` in input order, ``uploaded``, ``reused``
        """
        return transfer.send(
            self, objects, name=name, stream_id=stream_id, layers=layers, use_cache=use_cache,
            progress=progress, **fields,
        )

    def receive(
        self,
        stream_id: str,
        *,
        raw: bool = False,
        use_cache: bool = True,
        previous: ReceiveResult | None = None,
        progress: transfer.Progress | None = None,
    ) -> ReceiveResult:
        """Receive a stream and all its objects, in stream order, in parallel batches

        Objects received before and unchanged since (see
        :class:`speckle.transfer.ReceivedObjectCache`) are not downloaded again: three small
        requests tell what changed since the last receive of the stream; changed and deleted
        objects are always asked of the server. Pass the earlier result as ``previous`` to reuse
        its unchanged objects without decoding them again.

        Arguments:
            stream_id {str} -- the stream's streamId

        Keyword Arguments:
            raw {bool} -- plain dicts instead of models, faster and smaller (default: {False})
            use_cache {bool} -- use the record of received objects (default: {True})
            previous {ReceiveResult} -- an earlier result of this stream whose unchanged objects
                are reused as they are (same instances) (default: {None})
            progress {callable} -- called as progress(done, total) with counts of objects (default: {None})

        Returns:
            ReceiveResult -- ``stream`` (without objects), ``objects`` in stream order, ``missing``,
            ``fetched`` (ids downloaded)
        """
        return transfer.receive(self, stream_id, raw=raw, use_cache=use_cache, previous=previous, progress=progress)

    def websocket_query(self, stream_id: str | None, client_id: str) -> str:
        """The websocket URL for a stream: ``client_id``, ``stream_id`` and the apitoken as
        ``access_token`` (v1 servers authenticate sockets by apitoken only).

        Arguments:
            stream_id {str|None} -- the stream whose room the socket joins on connection
            client_id {str} -- the socket's client id

        Returns:
            str -- ``ws(s)://host/?client_id=...&stream_id=...&access_token=JWT%20...``
        """
        return realtime.socket_url(self.websocket_url, client_id, stream_id, self.apitoken)

    def register_socket_client(self, stream_id: str, role: str = "Receiver") -> str:
        """Create an API client record for a stream and return its id, for a websocket
        ``client_id`` (a ``temp-...`` id when not logged in).

        Arguments:
            stream_id {str} -- the stream the API client belongs to

        Keyword Arguments:
            role {str} -- the API client's role (default: {'Receiver'})

        Returns:
            str -- the new API client's id
        """
        check_id(stream_id, "stream id")
        return realtime.register_socket_client(self, stream_id, role)

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

    def follow(
        self,
        stream_id: str,
        client_id: str | None = None,
        *,
        raw: bool = False,
        use_cache: bool = True,
        debounce: float = 0.05,
        backoff: realtime.Backoff | None = None,
        start: bool = True,
        **options: Any,
    ) -> realtime.StreamFollower:
        """Follow a stream: its current model at once, then a change whenever it changes.

        A :meth:`listen` socket hears the ``update-...`` broadcasts connectors send after
        writing a stream (and notices reconnections, after which a change may have been
        missed); each one leads to a :meth:`receive` that downloads only the objects that are
        new or changed. Broadcasts that come in a burst are coalesced into one check.

        Example::

            with client.follow(stream_id) as follower:
                for change in follower:   # the current model first
                    print(change.reason, len(change.added), len(change.removed), len(change.changed))

        Arguments:
            stream_id {str} -- the stream's streamId

        Keyword Arguments:
            client_id {str} -- the socket's client id; registered when None (default: {None})
            raw {bool} -- plain dicts instead of models (default: {False})
            use_cache {bool} -- use the record of received objects (default: {True})
            debounce {float} -- seconds without a new broadcast before checking (default: {0.05})
            backoff {Backoff} -- reconnection delays of the socket (default: {Backoff()})
            start {bool} -- start the listener now (default: {True})
            options {Any} -- other options of the StreamFollower (``max_delay``, ``ready_timeout``,
                ``retry_after``) and of the StreamListener (``idle_timeout``, ``connect_timeout``...)

        Returns:
            StreamFollower -- iterate over it for :class:`~speckle.realtime.StreamChange` objects
        """
        follower_options = {k: options.pop(k) for k in ("max_delay", "ready_timeout", "retry_after") if k in options}
        listener = self.listen(stream_id, client_id, backoff=backoff, start=False, **options)
        follower = realtime.StreamFollower(
            self, listener, raw=raw, use_cache=use_cache, debounce=debounce, **follower_options
        )
        return follower.start() if start else follower

    def listen(
        self,
        stream_id: str,
        client_id: str | None = None,
        *,
        on_event: realtime.listener.EventCallback | None = None,
        reconnect: bool = True,
        backoff: realtime.Backoff | None = None,
        mark_online: bool = True,
        idle_timeout: float | None = 120.0,
        start: bool = True,
        **options: Any,
    ) -> realtime.StreamListener:
        """Listen to a stream live: a socket in its room that stays connected.

        The listener answers the server's heartbeats, reconnects with exponential backoff
        after drops (re-joining its rooms), and delivers typed events
        (:mod:`speckle.realtime.events`) to ``on_event`` and to its iterator. Without a
        ``client_id`` an API client is registered for the stream first (a ``temp-...`` id when
        not logged in); a saved API client is marked online while the listener is connected.

        Example::

            with client.listen(stream_id) as listener:
                for event in listener.events(timeout=60):
                    print(event)

        Arguments:
            stream_id {str} -- The id of a stream

        Keyword Arguments:
            client_id {str} -- the socket's client id; registered when None (default: {None})
            on_event {callable} -- called in the listener's thread with every event
                (default: {None})
            reconnect {bool} -- reconnect after drops (default: {True})
            backoff {Backoff} -- reconnection delays (default: {Backoff()})
            mark_online {bool} -- mark the API client online/offline (default: {True})
            idle_timeout {float|None} -- reconnect when no frame arrives for this long
                (default: {120.0})
            start {bool} -- start the listener now (default: {True})
            options {Any} -- other StreamListener options (``connect_timeout``,
                ``max_queue``, ``header``, ``sslopt``)

        Returns:
            StreamListener -- the listener (started unless ``start`` is false)
        """
        check_id(stream_id, "stream id")
        if client_id is None:
            client_id = self.register_socket_client(stream_id)
        listener = realtime.StreamListener(
            self,
            stream_id,
            client_id,
            on_event=on_event,
            reconnect=reconnect,
            backoff=backoff,
            mark_online=mark_online,
            idle_timeout=idle_timeout,
            **options,
        )
        return listener.start() if start else listener
