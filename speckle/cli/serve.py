"""``speckle serve``: run the local Speckle v1 server."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(text: str) -> int:
    """Parse a body-parser style size (``10mb``, ``100kb``, ``512k``, ``1048576``) into bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)b?\s*", text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f"invalid size: {text!r} (try 10mb, 512kb)")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def register(subparsers: Any) -> None:
    """Add the ``serve`` sub-command."""
    parser = subparsers.add_parser(
        "serve", help="run a local Speckle v1 server",
        description="Run a local Speckle v1-compatible server (REST + WebSockets).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3000, help="port to bind (default 3000; 0 = any)")
    parser.add_argument("--db", metavar="PATH", help="SQLite file to keep data in (default: memory)")
    parser.add_argument("--name", default=None, help="server name shown by GET /api")
    parser.add_argument("--no-public-registration", action="store_true",
                        help="refuse POST /accounts/register")
    parser.add_argument("--heartbeat", type=float, metavar="SECONDS", default=30.0,
                        help="WebSocket ping interval (default 30)")
    parser.add_argument("--max-body-size", type=parse_size, metavar="SIZE", default="10mb",
                        help="largest accepted JSON body, e.g. 10mb (default)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C/SIGTERM."""
    from speckle.devserver import ServerConfig, serve  # imported here: aiohttp is slow to import

    config = ServerConfig(
        host=args.host, port=args.port, db_path=args.db,
        public_registration=not args.no_public_registration,
        heartbeat_interval=args.heartbeat, max_body_bytes=args.max_body_size,
    )
    if args.name:
        config.name = args.name

    def ready(url: str) -> None:
        host = url.split("://", 1)[1]
        print(f"Speckle v1 server listening on {url} — SpeckleApiClient('{host}', use_ssl=False)")
        sys.stdout.flush()

    serve(config, on_ready=ready)
    return 0
