"""Load test of the local server: many concurrent mixed requests, then ``kill -9`` and a check that
every acknowledged write is still there.

Starts ``speckle serve --db FILE`` in a subprocess (or uses ``--host``), registers users, and runs
``--requests`` requests from ``--concurrency`` threads. The mix: object saves, stream edits,
comments, clients (created and edited), stream/object/list reads, and a share of requests the
server must refuse (values that cannot be cast, a body nested too deep, an invalid filter). It
reports throughput, p50/p95/p99 latency, the ``5xx`` answers (any is a failure) and, after the
server is killed with ``SIGKILL`` and restarted on the same file, the acknowledged writes that are
missing (any is a failure)::

    python benchmarks/load.py --requests 5000 --concurrency 200

The exit status is 0 only when there was no ``5xx`` and nothing was lost.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from speckle.devserver.process import ServerProcess

PASSWORD = "password123"


@dataclass
class Ledger:
    """Acknowledged writes (what must survive) and what every request cost."""

    objects: dict[str, int] = field(default_factory=dict)  # object id -> marker value
    comments: dict[str, set[str]] = field(default_factory=dict)  # streamId -> comment ids
    clients: dict[str, str] = field(default_factory=dict)  # client id -> documentName (last acked)
    descriptions: dict[str, str] = field(default_factory=dict)  # streamId -> last acked description
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Worker:
    """One simulated client: its own user token and stream."""

    api: str
    token: str
    stream_id: str
    ledger: Ledger
    rng: random.Random
    session: requests.Session = field(default_factory=requests.Session)
    sequence: int = 0

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        response = self.session.request(method, self.api + path, headers={"Authorization": self.token},
                                        timeout=120, **kwargs)
        elapsed = time.perf_counter() - started
        with self.ledger.lock:
            self.ledger.latencies.append(elapsed)
            self.ledger.statuses[response.status_code] += 1
        return response

    def step(self) -> None:
        """One request of the mix."""
        self.sequence += 1
        marker = self.rng.randrange(1 << 30)
        kind = self.rng.random()
        ledger = self.ledger
        if kind < 0.20:
            body = [{"type": "Point", "value": [marker, 1.5, 2.5], "marker": marker, "n": i} for i in range(5)]
            response = self.call("POST", "/objects", json=body)
            if response.status_code == 200:
                with ledger.lock:
                    for entry, placeholder in zip(body, response.json()["resources"], strict=True):
                        ledger.objects[placeholder["_id"]] = entry["marker"]
        elif kind < 0.35:
            text = f"d{self.sequence}-{marker}"
            if self.call("PUT", f"/streams/{self.stream_id}", json={"description": text}).status_code == 200:
                with ledger.lock:
                    ledger.descriptions[self.stream_id] = text
        elif kind < 0.45:
            response = self.call("POST", f"/comments/stream/{self.stream_id}", json={"text": f"c{marker}"})
            if response.status_code == 200:
                with ledger.lock:
                    ledger.comments.setdefault(self.stream_id, set()).add(response.json()["resource"]["_id"])
        elif kind < 0.52:
            name = f"doc{marker}"
            response = self.call("POST", "/clients", json={"streamId": self.stream_id, "documentName": name})
            if response.status_code == 200:
                client_id = response.json()["resource"]["_id"]
                with ledger.lock:
                    ledger.clients[client_id] = name
                renamed = f"doc{marker}-renamed"
                if self.call("PUT", f"/clients/{client_id}", json={"documentName": renamed}).status_code == 200:
                    with ledger.lock:
                        ledger.clients[client_id] = renamed
        elif kind < 0.70:
            self.call("GET", f"/streams/{self.stream_id}")
        elif kind < 0.80:
            self.call("GET", "/streams?fields=name,description&sort=-updatedAt&limit=20")
        elif kind < 0.88:
            with ledger.lock:
                some = list(ledger.objects)[-20:]
            self.call("POST", "/objects/getbulk", json=some)
        else:  # requests the server must refuse without harm
            bad = self.rng.choice([
                ("PUT", f"/streams/{self.stream_id}", {"json": {"canRead": 1.5, "private": "maybe"}}),
                ("POST", "/clients", {"json": {"streamId": 2**64 + marker}}),
                ("POST", "/clients", {"json": {"online": "notabool"}}),
                ("POST", "/objects", {"json": [{"type": "x", "hash": {"a": marker}}]}),
                ("POST", "/streams", {"data": "[" * 5000 + "]" * 5000,
                                      "headers": {"Content-Type": "application/json"}}),
                ("GET", "/streams?name=/(a%2B)%2B%24/", {}),
            ])
            method, path, kwargs = bad
            headers = kwargs.pop("headers", None)
            if headers:
                self.session.headers.update(headers)
            try:
                self.call(method, path, **kwargs)
            finally:
                if headers:
                    self.session.headers.pop("Content-Type", None)


def register(api: str, index: int) -> str:
    email = f"load{index}-{os.getpid()}@example.com"
    response = requests.post(f"{api}/accounts/register", json={"email": email, "password": PASSWORD}, timeout=60)
    response.raise_for_status()
    return str(response.json()["resource"]["apitoken"])


def verify(api: str, tokens: dict[str, str], ledger: Ledger) -> list[str]:
    """The acknowledged writes missing from the server (empty when nothing was lost)."""
    missing: list[str] = []
    ids = list(ledger.objects)
    found: dict[str, Any] = {}
    any_token = next(iter(tokens.values()))
    for start in range(0, len(ids), 2000):
        part = ids[start : start + 2000]
        answer = requests.post(f"{api}/objects/getbulk", json=part, headers={"Authorization": any_token},
                               timeout=120).json()
        found.update({o["_id"]: o for o in answer["resources"]})
    missing += [f"object {i}" for i in ids if found.get(i, {}).get("marker") != ledger.objects[i]]
    for stream_id, token in tokens.items():  # one stream per client
        auth = {"Authorization": token}
        stream = requests.get(f"{api}/streams/{stream_id}", headers=auth, timeout=60).json()["resource"]
        if stream_id in ledger.descriptions and stream.get("description") != ledger.descriptions[stream_id]:
            missing.append(f"description of {stream_id}")
        comments = requests.get(f"{api}/comments/stream/{stream_id}", headers=auth, timeout=60).json()
        have = {c["_id"] for c in comments.get("resources", [])}
        missing += [f"comment {c}" for c in ledger.comments.get(stream_id, set()) - have]
    all_clients: dict[str, Any] = {}
    for token in set(tokens.values()):
        for client in requests.get(f"{api}/clients", headers={"Authorization": token}, timeout=60).json()["resources"]:
            all_clients[client["_id"]] = client
    missing += [f"client {c} ({name})" for c, name in ledger.clients.items()
                if c in all_clients and all_clients[c].get("documentName") != name]
    missing += [f"client {c}" for c in ledger.clients if c not in all_clients]
    return missing


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests in total (default 3000)")
    parser.add_argument("--concurrency", type=int, default=200, help="parallel clients (default 200)")
    parser.add_argument("--users", type=int, default=20, help="accounts the clients share (default 20)")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "load.db")
        server = ServerProcess(db)
        try:
            api = server.url + "/api"
            users = [register(api, index) for index in range(args.users)]
            # one stream per client, so the last acknowledged edit of each is known
            tokens: dict[str, str] = {}
            for index in range(args.concurrency):
                token = users[index % len(users)]
                made = requests.post(f"{api}/streams", json={"name": f"load {index}"},
                                     headers={"Authorization": token}, timeout=60)
                tokens[made.json()["resource"]["streamId"]] = token
            ledger = Ledger()
            rng = random.Random(args.seed)
            workers = [Worker(api, token, stream_id, ledger, random.Random(rng.random()))
                       for stream_id, token in tokens.items()]
            per_worker = [args.requests // args.concurrency + (1 if i < args.requests % args.concurrency else 0)
                          for i in range(args.concurrency)]

            def run(index: int) -> None:
                for _ in range(per_worker[index]):
                    workers[index].step()

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                list(pool.map(run, range(args.concurrency)))
            elapsed = time.perf_counter() - started
            server.kill()
            server = ServerProcess(db)
            missing = verify(server.url + "/api", tokens, ledger)
        finally:
            server.stop()

    latencies = ledger.latencies
    errors = sum(count for status, count in ledger.statuses.items() if status >= 500)
    writes = len(ledger.objects) + sum(map(len, ledger.comments.values())) + len(ledger.clients) \
        + len(ledger.descriptions)
    print(f"requests: {len(latencies)} from {args.concurrency} concurrent clients in {elapsed:.1f} s "
          f"({len(latencies) / elapsed:.0f} requests/s)")
    print(f"latency: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p95 {percentile(latencies, 0.95) * 1000:.0f} ms,"
          f" p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms,"
          f" mean {statistics.fmean(latencies) * 1000:.0f} ms")
    print("statuses: " + ", ".join(f"{status}: {count}" for status, count in sorted(ledger.statuses.items())))
    print(f"5xx: {errors}")
    print(f"acknowledged writes checked after kill -9 and restart: {writes}; lost: {len(missing)}")
    for line in missing[:20]:
        print(f"  missing {line}")
    return 0 if errors == 0 and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
