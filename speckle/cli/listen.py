"""``speckle listen STREAM_ID``: print a stream's live events until Ctrl-C."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Any

from speckle.cli.common import EXIT_OK, EXIT_SERVER, add_command, connect
from speckle.realtime import Broadcast, DirectMessage, Event

#: Events that count for ``--count``: what other clients sent (not connection events).
STREAM_EVENTS = (Broadcast, DirectMessage)


def register(subparsers: Any) -> None:
    """Add ``listen``."""
    parser = add_command(
        subparsers, "listen", "print a stream's live events until Ctrl-C",
        description=(
            "Connect to a stream's room and print every event as it arrives (one line each; JSON lines\n"
            "with --json) until Ctrl-C. The connection answers the server's heartbeats and reconnects\n"
            "by itself after a drop. A line on stderr says when the listener is ready."
        ),
        func=listen,
    )
    parser.add_argument("stream_id")
    parser.add_argument("--count", type=int, metavar="N", help="stop after N broadcasts or messages")
    parser.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this many seconds")


def event_dict(event: Event) -> dict[str, Any]:
    """An event as a JSON-ready dict: ``event`` (its class name), ``time`` and its fields."""
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)
              if f.name not in ("raw", "data", "received_at", "url")}
    return {"event": type(event).__name__, "time": event.received_at, **fields}


def event_line(event: Event) -> str:
    """One human line per event: time, kind, then its fields."""
    data = event_dict(event)
    stamp = time.strftime("%H:%M:%S", time.localtime(data.pop("time")))
    kind = data.pop("event")
    details = "  ".join(
        f"{key}={json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value}"
        for key, value in data.items() if value not in (None, "", [], {})
    )
    return f"{stamp}  {kind:<14} {details}".rstrip()


def listen(args: argparse.Namespace) -> int:
    """Print events until Ctrl-C, ``--count`` or ``--duration``."""
    client = connect(args, auth=False)
    deadline = None if args.duration is None else time.monotonic() + args.duration
    seen = 0
    listener = client.listen(args.stream_id)
    try:
        ready = listener.wait_ready(timeout=10.0)
        note = "" if ready else " (not confirmed yet: still trying)"
        print(f"listening to stream {args.stream_id} on {client.server_url}{note}; Ctrl-C to stop",
              file=sys.stderr, flush=True)
        while deadline is None or time.monotonic() < deadline:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            event = listener.next_event(timeout=0.5 if remaining is None else min(0.5, remaining))
            if event is None:
                if listener.closed:
                    break
                continue
            if args.json:
                print(json.dumps(event_dict(event), ensure_ascii=False, default=str), flush=True)
            else:
                print(event_line(event), flush=True)
            if isinstance(event, STREAM_EVENTS):
                seen += 1
                if args.count is not None and seen >= args.count:
                    break
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        listener.close()
    if listener.error is not None:
        print(f"speckle: error: the listener gave up: {listener.error}", file=sys.stderr)
        return EXIT_SERVER
    return EXIT_OK
