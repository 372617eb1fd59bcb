"""``speckle server info``: what a server says about itself."""

from __future__ import annotations

import argparse
from typing import Any

from speckle.cli.common import add_command, add_group, connect, emit, print_record


def register(subparsers: Any) -> None:
    """Add ``server info``."""
    group = add_group(subparsers, "server", "information about the server")
    add_command(group, "info", "the server's name, version, API groups and plugins", func=info)


def info(args: argparse.Namespace) -> int:
    """Print ``GET /api/v1``: no login needed."""
    client = connect(args, auth=False)
    data = client.server.info()
    api = data.get("api") if isinstance(data.get("api"), dict) else {}
    plugins = data.get("plugins") if isinstance(data.get("plugins"), list) else []
    pairs = [
        ("server", client.server_url),
        ("name", data.get("serverName")),
        ("version", data.get("version")),
        ("speckle server", data.get("isSpeckleServer")),
        ("API groups", ", ".join(sorted(api)) or None),
        ("routes", sum(len(v) for v in api.values() if isinstance(v, list))),
        ("plugins", ", ".join(str(p.get("name", "?")) for p in plugins if isinstance(p, dict)) or None),
        ("logged in as", client.me.email if client.me else None),
    ]
    return emit(args, data, lambda: print_record(pairs))
