"""``speckle listen STREAM_ID``: print a stream's live events until Ctrl-C; ``speckle follow
STREAM_ID``: print the stream's model, then each change of it."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Any

from speckle.cli.common import EXIT_OK, EXIT_SERVER, add_command, connect
from speckle.realtime import Broadcast, DirectMessage, Event, StreamChange

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

    parser = add_command(
        subparsers, "follow", "print a stream's model, then each change of it, until Ctrl-C",
        description=(
            "Receive a stream, print a line about its model, then a line for each change (objects\n"
            "added, removed, changed in place) as connectors write it, until Ctrl-C. Only new and\n"
            "changed objects are downloaded. JSON lines with --json, listing the object ids."
        ),
        func=follow,
    )
    parser.add_argument("stream_id")
    parser.add_argument("--count", type=int, metavar="N", help="stop after N changes (the model itself not counted)")
    parser.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this many seconds")
    parser.add_argument("--no-cache", action="store_true", help="do not use the record of received objects")


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


def _object_id(obj: Any) -> str | None:
    return obj.get("_id") if isinstance(obj, dict) else getattr(obj, "id", None)


def change_dict(change: StreamChange) -> dict[str, Any]:
    """A change as a JSON-ready dict: the stream, counts, and the ids of the objects involved."""
    result = change.result
    return {
        "time": change.received_at,
        "stream": change.stream.streamId,
        "name": change.stream.name,
        "updatedAt": change.stream.updatedAt,
        "reason": change.reason,
        "events": change.events,
        "objects": len(change.objects),
        "added": [_object_id(o) for o in change.added],
        "removed": [_object_id(o) for o in change.removed],
        "changed": [_object_id(o) for o in change.changed],
        "missing": [result.ids[i] for i in result.missing],
        "downloaded": len(result.fetched),
        "seconds": round(change.seconds, 3),
    }


def change_line(change: StreamChange) -> str:
    """One human line per change."""
    stamp = time.strftime("%H:%M:%S", time.localtime(change.received_at))
    text = (f"{stamp}  {change.reason:<14} {change.stream.streamId}  {len(change.objects)} objects  "
            f"+{len(change.added)} -{len(change.removed)} ~{len(change.changed)}  "
            f"({len(change.result.fetched)} downloaded in {change.seconds:.2f}s)")
    if change.result.missing:
        text += f"  {len(change.result.missing)} missing"
    return text


def follow(args: argparse.Namespace) -> int:
    """Print the model, then changes, until Ctrl-C, ``--count`` or ``--duration``."""
    client = connect(args, auth=False)
    deadline = None if args.duration is None else time.monotonic() + args.duration
    seen = 0
    follower = client.follow(args.stream_id, raw=True, use_cache=not args.no_cache)
    try:
        while deadline is None or time.monotonic() < deadline:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            change = follower.next_change(timeout=0.5 if remaining is None else min(0.5, remaining))
            if change is None:
                if follower.closed:
                    break
                continue
            if change.initial:
                print(f"following stream {args.stream_id} on {client.server_url}; Ctrl-C to stop",
                      file=sys.stderr, flush=True)
            if args.json:
                print(json.dumps(change_dict(change), ensure_ascii=False, default=str), flush=True)
            else:
                print(change_line(change), flush=True)
            if not change.initial:
                seen += 1
                if args.count is not None and seen >= args.count:
                    break
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        follower.close()
    if follower.listener.error is not None:
        print(f"speckle: error: the listener gave up: {follower.listener.error}", file=sys.stderr)
        return EXIT_SERVER
    return EXIT_OK
