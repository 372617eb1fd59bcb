"""A local, in-process Speckle v1 server (REST + WebSockets) for tests and development.

>>> from speckle.devserver import LocalServer
>>> with LocalServer() as server:        # doctest: +SKIP
...     print(server.url)                # http://127.0.0.1:54321
"""

from __future__ import annotations

from .config import ServerConfig
from .server import LocalServer, serve

__all__ = ["LocalServer", "ServerConfig", "serve"]
