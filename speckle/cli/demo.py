"""``speckle demo``: the whole round trip on a local server, with no network and no setup.

It starts a local v1 server on a free port of 127.0.0.1, registers two users, sends a stream of
geometry objects, listens to the stream while the second user's client broadcasts to it,
receives the stream back, checks the round trip, prints a report and stops the server.
"""

from __future__ import annotations

import argparse
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from speckle.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CommandError, add_command, print_json
from speckle.client import SpeckleApiClient
from speckle.realtime import Broadcast

#: bcrypt cost of the demo server (the minimum: the demo's passwords protect nothing).
DEMO_BCRYPT_ROUNDS = 4
DEMO_PASSWORD = "demo password 123"


def register(subparsers: Any) -> None:
    """Add ``demo``."""
    parser = add_command(
        subparsers, "demo", "run the whole client on an embedded local server and check it",
        description=(
            "Start a local Speckle v1 server (127.0.0.1, a free port), register two users, send a\n"
            "stream of geometry objects, listen to it while a second client broadcasts, receive it\n"
            "back, check the round trip and print a report. No network, no setup; exits 1 if a\n"
            "check fails."
        ),
        func=run,
    )
    parser.add_argument("--objects", type=int, default=300, metavar="N", help="objects to send (default 300)")


def geometry(count: int) -> list[dict[str, Any]]:
    """``count`` geometry objects: points, lines, polylines and meshes of a small twisted tower."""
    objects: list[dict[str, Any]] = []
    for i in range(count):
        level, angle = i // 8, (i % 8) * math.pi / 4 + i * 0.01
        x, y, z = round(10 * math.cos(angle), 6), round(10 * math.sin(angle), 6), 3.0 * level
        kind = i % 4
        if kind == 0:
            obj: dict[str, Any] = {"type": "Point", "value": [x, y, z]}
        elif kind == 1:
            obj = {"type": "Line", "value": [x, y, z, x, y, z + 3.0]}
        elif kind == 2:
            obj = {"type": "Polyline", "closed": False, "value": [0.0, 0.0, z, x, y, z, -x, y, z]}
        else:
            obj = {
                "type": "Mesh",
                "vertices": [x, y, z, x + 1, y, z, x + 1, y + 1, z, x, y + 1, z],
                "faces": [1, 0, 1, 2, 3],
                "colors": [],
            }
        obj["name"] = f"{obj['type'].lower()}-{i}"
        obj["properties"] = {"level": level, "index": i}
        objects.append(obj)
    return objects


@dataclass
class Report:
    """The demo's steps: what was done, how long it took, and whether each check passed."""

    steps: list[dict[str, Any]] = field(default_factory=list)

    def step(self, name: str, action: Callable[[], Any], check: Callable[[Any], str | None] | None = None) -> Any:
        """Run one step; ``check(result)`` returns an error text, or None when it passed."""
        started = time.perf_counter()
        try:
            result = action()
            error = check(result) if check is not None else None
        except Exception as exc:  # a failed step is reported, the demo goes on
            result, error = None, f"{type(exc).__name__}: {exc}"
        self.steps.append({"step": name, "ok": error is None, "seconds": round(time.perf_counter() - started, 3),
                           **({"error": error} if error else {})})
        return result

    @property
    def ok(self) -> bool:
        """Whether every step passed."""
        return all(step["ok"] for step in self.steps)


def _compare(sent: list[dict[str, Any]], received: list[Any]) -> str | None:
    if len(received) != len(sent):
        return f"received {len(received)} objects, sent {len(sent)}"
    for index, (mine, theirs) in enumerate(zip(sent, received, strict=True)):
        if not isinstance(theirs, dict):
            return f"object {index} came back as {type(theirs).__name__}"
        for key, value in mine.items():
            if theirs.get(key) != value:
                return f"object {index} ({mine.get('name')}): {key} differs: {theirs.get(key)!r} != {value!r}"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the demo and print its report."""
    from speckle.devserver import LocalServer  # imported here: aiohttp is slow to import

    if args.objects < 1:
        raise CommandError("--objects must be at least 1", EXIT_USAGE)
    report = Report()
    objects = geometry(args.objects)
    started = time.perf_counter()
    tag = uuid.uuid4().hex[:8]
    facts: dict[str, Any] = {"objects": len(objects)}
    with LocalServer(bcrypt_rounds=DEMO_BCRYPT_ROUNDS) as server:
        facts["server"] = server.url
        alice = SpeckleApiClient(server.url, sent_cache=False)
        bob = SpeckleApiClient(server.url, sent_cache=False)
        try:
            report.step("register two users", lambda: (
                alice.register(f"alice-{tag}@demo.local", DEMO_PASSWORD, "Demo", name="Alice"),
                bob.register(f"bob-{tag}@demo.local", DEMO_PASSWORD, "Demo", name="Bob"),
            ), lambda users: None if all(u.apitoken for u in users) else "no API token")
            sent = report.step(
                f"send {len(objects)} objects", lambda: alice.send(objects, name="Demo tower"),
                lambda r: None if r.stream_id and len(r.placeholders) == len(objects) else "incomplete send",
            )
            if sent is not None:
                facts["stream"] = sent.stream_id
                _live_and_back(report, alice, bob, sent.stream_id, objects)
        finally:
            alice.close()
            bob.close()
    facts["seconds"] = round(time.perf_counter() - started, 3)
    if args.json:
        print_json({"ok": report.ok, **facts, "steps": report.steps})
    else:
        print(f"speckle demo: local server {facts['server']}, stream {facts.get('stream', '-')}")
        for step in report.steps:
            mark = "ok  " if step["ok"] else "FAIL"
            error = f"  {step['error']}" if "error" in step else ""
            print(f"  [{mark}] {step['step']:<42} {step['seconds']:6.2f}s{error}")
        verdict = "all checks passed" if report.ok else "SOME CHECKS FAILED"
        print(f"{verdict} in {facts['seconds']:.2f}s")
    return EXIT_OK if report.ok else EXIT_FAILURE


def _live_and_back(report: Report, alice: SpeckleApiClient, bob: SpeckleApiClient, stream_id: str,
                   objects: list[dict[str, Any]]) -> None:
    """Listen as Alice while Bob renames the stream and broadcasts; then Bob receives it back."""
    listener = report.step("open a listener (alice)", lambda: alice.listen(stream_id),
                           lambda lst: None if lst.wait_ready(10.0) else "the socket did not become ready")
    if listener is None:
        return
    try:
        bob_socket = report.step("connect a second client (bob)", lambda: bob.listen(stream_id, mark_online=False),
                                 lambda lst: None if lst.wait_ready(10.0) else "the socket did not become ready")
        if bob_socket is None:
            return
        with bob_socket:
            payload = {"eventType": "update-meta", "note": "hello from bob"}
            report.step("bob broadcasts, alice hears it", lambda: (
                bob_socket.broadcast(payload),
                listener.wait_for(Broadcast, timeout=5.0, predicate=lambda e: e.args == payload),
            )[1], lambda event: None if event.sender_id == bob_socket.client_id else "wrong sender")
    finally:
        listener.close()
    received = report.step("bob receives the stream back", lambda: bob.receive(stream_id, raw=True),
                           lambda r: None if not r.missing else f"{len(r.missing)} objects missing")
    if received is not None:
        report.step("round trip: same objects, same order", lambda: received.objects,
                    lambda got: _compare(objects, got))
