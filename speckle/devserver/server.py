"""Running the local server: :class:`LocalServer` (background thread) and :func:`serve` (blocking)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from .app import build_app
from .config import ServerConfig
from .services import State

log = logging.getLogger(__name__)


class _Running:
    """An aiohttp site bound to a port, plus what is needed to tear it down."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.state = State.create(config)
        self.app, self.api = build_app(self.state)
        self.runner = web.AppRunner(
            self.app, auto_decompress=False, access_log=None, handle_signals=False,
            shutdown_timeout=1.0,
        )
        self.port = config.port

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.config.host, self.config.port)
        await site.start()
        server = site._server  # the asyncio.Server: the only place the bound port is known
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        base = self.config.canonical_url or f"http://{self.config.host}:{self.port}"
        self.api.base_url = base.rstrip("/")

    async def stop(self) -> None:
        await self.api.hub.close_all()
        await self.runner.cleanup()
        self.api.close()
        self.state.store.close()


def _make_config(config: ServerConfig | None, overrides: dict[str, Any], default_port: int) -> ServerConfig:
    base = config if config is not None else ServerConfig(port=default_port)
    return dataclasses.replace(base, **overrides) if overrides else base


class LocalServer:
    """A Speckle v1 server running in a background thread.

    >>> with LocalServer(bcrypt_rounds=4) as server:   # doctest: +SKIP
    ...     client = SpeckleApiClient(server.host, use_ssl=False)

    Without a config the port defaults to ``0`` (a free port chosen by the OS).
    """

    def __init__(self, config: ServerConfig | None = None, **overrides: Any) -> None:
        self.config = _make_config(config, overrides, default_port=0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._running: _Running | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- addresses ------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound TCP port."""
        if self._running is None:
            raise RuntimeError("server not started")
        return self._running.port

    @property
    def host(self) -> str:
        """``host:port`` as ``SpeckleApiClient(server.host, use_ssl=False)`` expects it."""
        return f"{self.config.host}:{self.port}"

    @property
    def url(self) -> str:
        """``http://host:port`` (the API lives under ``/api``)."""
        return f"http://{self.host}"

    @property
    def ws_url(self) -> str:
        """``ws://host:port`` (WebSockets are accepted on any path)."""
        return f"ws://{self.host}"

    @property
    def state(self) -> State:
        """The server state (store, tokens, config) — for tests and tools."""
        if self._running is None:
            raise RuntimeError("server not started")
        return self._running.state

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> LocalServer:
        """Start listening; returns once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._ready.clear()
        self._thread = threading.Thread(target=self._serve, name="speckle-devserver", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"local Speckle server failed to start: {self._error}") from self._error
        log.info("local Speckle server listening on %s", self.url)
        return self

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._running = _Running(self.config)
            loop.run_until_complete(self._running.start())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._running.stop())
            loop.close()

    def stop(self) -> None:
        """Stop the server and wait for its thread."""
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve(config: ServerConfig | None = None, on_ready: Callable[[str], None] | None = None) -> None:
    """Run a server in the current thread until SIGINT/SIGTERM; ``on_ready(url)`` once listening."""
    config = config or ServerConfig()

    async def main() -> None:
        running = _Running(config)
        await running.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - non-main thread/Windows
                pass
        if on_ready is not None:
            on_ready(f"http://{config.host}:{running.port}")
        try:
            await stop.wait()
        finally:
            await running.stop()

    asyncio.run(main())
