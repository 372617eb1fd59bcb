"""Benchmark of bulk object transfers: ``client.send`` / ``client.receive`` against baselines.

Run against a local server started in a separate process (fairer: the client's CPU time is
then the client's alone)::

    python benchmarks/bulk.py --objects 100000

or against any v1 server::

    python benchmarks/bulk.py --host https://speckle.example.com --email me@x.com --password ...
    python benchmarks/bulk.py --host http://127.0.0.1:3000 --token "JWT eyJ..."

For send and receive it reports objects per second, bytes on the wire (request + response
bodies), client CPU seconds per 100,000 objects and (for the client's own operations) peak
Python memory, for:

* ``client``   -- ``client.send`` (objects + stream) and ``client.receive(raw=True)``;
* ``naive``    -- (a) one request per object, timed on a subsample and extrapolated;
* ``single``   -- (b) everything in one request (a 413 is reported, not hidden);
* ``floor``    -- (c) the same request bodies, serialised in advance, posted by a bare
  ``requests`` loop, with only the work any client must do besides: for send, the placeholders
  decoded and the stream created (a second data set of the same shape, so the server's
  de-duplication does not make it cheaper); for receive, the stream read and every answer's
  JSON decoded;
* ``resend``   -- (d) ``client.send`` of the unchanged model again (and, for information, of
  the model with 1% of its objects changed);
* ``limit``    -- the CPU any v1 client must spend, measured in the same run on the same data:
  for send, ``orjson.dumps`` of every object plus one MD5 per object; for receive, ``orjson.loads``
  of every answer (the stream and each ``getbulk`` body). ``client.send`` and
  ``client.receive(raw=True)`` are reported against it (client CPU / limit CPU);
* ``memory``   -- peak Python memory (:mod:`tracemalloc`, allocations made during the call; the
  model passed in is not counted) of a first ``client.send`` and of ``client.objects.create`` of a
  fresh model, against the size of its JSON.

Client CPU is the CPU time of this process, all its threads included (``time.process_time``);
the local server runs in another process, so none of its work is counted.

Every received object is checked against what was sent (same hash, same position).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import gzip
import hashlib
import marshal
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import requests

from speckle import SpeckleApiClient
from speckle.transfer import TransferOptions, hash_object, object_hash, plan_batches
from speckle.transfer.batching import gc_paused
from speckle.transfer.encoding import encode_object, join_array

# -- data -------------------------------------------------------------------------------------------


def _coords(rng: random.Random, count: int) -> list[float]:
    return [rng.uniform(-1000.0, 1000.0) for _ in range(count)]


def make_objects(count: int, seed: int) -> list[dict[str, Any]]:
    """A deterministic mix of geometry: points, lines, polylines, circles, meshes and breps."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for index in range(count):
        kind = rng.random()
        props = {"layer": f"L{index % 17}", "index": index, "material": rng.choice(["steel", "glass", "wood"])}
        if kind < 0.30:
            obj: dict[str, Any] = {"type": "Point", "value": _coords(rng, 3)}
        elif kind < 0.55:
            obj = {"type": "Line", "value": _coords(rng, 6)}
        elif kind < 0.75:
            obj = {"type": "Polyline", "closed": rng.random() < 0.5, "value": _coords(rng, 3 * rng.randint(4, 40))}
        elif kind < 0.85:
            obj = {"type": "Circle", "radius": rng.uniform(0.1, 50),
                   "center": {"type": "Point", "value": _coords(rng, 3)},
                   "normal": {"type": "Vector", "value": [0, 0, 1]}}
        elif kind < 0.97:
            vertices = rng.randint(8, 120)
            faces: list[int] = []
            for _ in range(vertices):
                faces += [0, rng.randrange(vertices), rng.randrange(vertices), rng.randrange(vertices)]
            obj = {"type": "Mesh", "vertices": _coords(rng, 3 * vertices), "faces": faces, "colors": []}
        else:
            obj = {"type": "Brep", "rawData": uuid.UUID(int=rng.getrandbits(128)).hex * rng.randint(4, 40),
                   "provenance": "Rhino", "displayValue": {"type": "Mesh", "vertices": _coords(rng, 24),
                                                           "faces": [1, 0, 1, 2, 3] * 6}}
        obj["properties"] = props
        out.append(obj)
    return out


# -- measuring --------------------------------------------------------------------------------------


@dataclass
class Row:
    operation: str
    way: str
    objects: int
    seconds: float
    cpu: float
    wire: int
    peak: int | None = None
    note: str = ""
    #: CPU seconds of the limit (the least any v1 client does), measured in the same run
    limit: float | None = None
    #: bytes of JSON of the objects, for the peak's ratio
    json_bytes: int | None = None

    def cells(self) -> list[str]:
        rate = self.objects / self.seconds if self.seconds else float("inf")
        per = 100_000 / self.objects if self.objects else 0.0
        peak = f"{self.peak / 2**20:.0f}" if self.peak is not None else "-"
        limit = f"{self.limit * per:.2f}" if self.limit is not None else "-"
        times = f"{self.cpu / self.limit:.2f}" if self.limit else "-"
        ratio = f"{self.peak / self.json_bytes:.2f}" if self.peak is not None and self.json_bytes else "-"
        return [self.operation, self.way, f"{self.objects:,}", f"{self.seconds:.2f}", f"{rate:,.0f}",
                f"{self.wire / 2**20:.1f}", f"{self.cpu * per:.2f}", limit, times, peak, ratio, self.note]


class WireCounter:
    """Counts request and response body bytes of a requests session.

    An answer is counted by its ``Content-Length`` (the bytes on the wire) without reading its
    body: a response hook runs before the client reads the body, and ``response.content`` read
    there would read it 10 KB at a time, adding the CPU of that slow path to the client's figure.
    Only an answer without a length (chunked) is read here.
    """

    def __init__(self, session: requests.Session) -> None:
        self.bytes = 0
        self._lock = threading.Lock()
        session.hooks["response"].append(self._hook)

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        length = response.headers.get("Content-Length", "")
        received = int(length) if length.isdigit() else len(response.content)
        size = len(response.request.body or b"") + received
        with self._lock:  # the client's workers answer in parallel
            self.bytes += size


@contextlib.contextmanager
def measure(counter: WireCounter, memory: bool = False) -> Iterator[dict[str, Any]]:
    gc.collect()
    out: dict[str, Any] = {}
    wire0 = counter.bytes
    if memory:
        tracemalloc.start()
    cpu0, t0 = time.process_time(), time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - t0
        out["cpu"] = time.process_time() - cpu0
        out["wire"] = counter.bytes - wire0
        if memory:
            out["peak"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()


# -- server -----------------------------------------------------------------------------------------


_SERVE = """
import sys
from speckle.devserver import ServerConfig, serve
serve(ServerConfig(port=0, max_body_bytes=int(sys.argv[1])), on_ready=lambda url: print(url, flush=True))
"""


def parse_size(text: str) -> int:
    """``10mb``, ``512kb`` or a number of bytes."""
    units = {"kb": 1024, "mb": 1024**2, "gb": 1024**3}
    text = text.strip().lower()
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


@contextlib.contextmanager
def local_server(max_body: str) -> Iterator[str]:
    """A local v1 server in a separate process; yields its URL."""
    command = [sys.executable, "-c", _SERVE, str(parse_size(max_body))]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("http"):
            raise SystemExit(f"the local server did not start: {line!r}")
        yield line
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def login(client: SpeckleApiClient, args: argparse.Namespace) -> None:
    if args.token:
        client.login_with_token(args.token)
    elif args.email:
        client.login(args.email, args.password)
    else:
        client.register(email=f"bench-{uuid.uuid4().hex[:10]}@speckle.local", password="benchmark password",
                        company="bench", name="Bench")


# -- scenarios --------------------------------------------------------------------------------------


def encoded_bodies(objects: list[dict[str, Any]], options: TransferOptions, gzip_threshold: int | None) -> list[
        tuple[bytes, dict[str, str]]]:
    """The request bodies ``client.send`` would post for these objects, ready to go."""
    wires = [hash_object(o)[1] for o in objects]
    out = []
    for start, end in plan_batches([len(w) for w in wires], options.batch_bytes, options.batch_count):
        body = join_array(wires[start:end])
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if gzip_threshold is not None and len(body) >= gzip_threshold:
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        out.append((body, headers))
    return out


def floor_send(client: SpeckleApiClient, floor: requests.Session, counter: WireCounter,
               objects: list[dict[str, Any]], options: TransferOptions, gz: int | None) -> dict[str, Any]:
    """(c): the request bodies of ``objects``, serialised in advance, posted by a bare loop."""
    bodies = encoded_bodies(objects, options, gz)
    with measure(counter) as m:
        placeholders: list[Any] = []
        for body, headers in bodies:
            response = floor.post(f"{client.basepath}/objects", data=body, headers=headers)
            response.raise_for_status()
            placeholders += orjson.loads(response.content)["resources"]
        # the same stream the client makes: its list of placeholders
        stream = encode_object({"name": "floor", "objects": placeholders})
        floor.post(f"{client.basepath}/streams", data=stream,
                   headers={"Content-Type": "application/json"}).raise_for_status()
    return m


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall-clock time."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def runs_note(runs: list[dict[str, Any]]) -> str:
    if len(runs) == 1:
        return "1 run"
    times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    return f"median of {len(runs)} runs ({times} s)"


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


# -- the CPU limit and peak memory ------------------------------------------------------------------


def send_limit(objects: list[dict[str, Any]]) -> float:
    """CPU seconds of the least any v1 client does to send ``objects``: ``orjson.dumps`` of
    each object and one MD5 of that JSON."""
    dumps, md5 = orjson.dumps, hashlib.md5
    gc.collect()
    cpu0 = time.process_time()
    for obj in objects:
        md5(dumps(obj)).hexdigest()
    return time.process_time() - cpu0


def receive_bodies(floor: requests.Session, basepath: str, stream_id: str, ids: list[str],
                   fetch_count: int) -> list[bytes]:
    """The answers a receive of the stream reads (the stream, then each ``getbulk``), as bytes."""
    bodies = [floor.get(f"{basepath}/streams/{stream_id}").content]
    for start in range(0, len(ids), fetch_count):
        response = floor.post(f"{basepath}/objects/getbulk", data=encode_object(ids[start : start + fetch_count]),
                              headers={"Content-Type": "application/json"})
        response.raise_for_status()
        bodies.append(response.content)
    return bodies


def receive_limit(bodies: list[bytes]) -> float:
    """CPU seconds of the least any v1 client does to receive: ``orjson.loads`` of every answer
    (kept until the end, as a receive keeps them; the garbage collector paused, as the client
    pauses it)."""
    gc.collect()
    kept: list[Any] = []
    gc.disable()
    try:
        cpu0 = time.process_time()
        for body in bodies:
            kept.append(orjson.loads(body))
        spent = time.process_time() - cpu0
    finally:
        gc.enable()
    del kept
    return spent


def json_size(objects: list[dict[str, Any]]) -> int:
    return sum(len(encode_object(o)) for o in objects)


def receive_runs(client: SpeckleApiClient, counter: WireCounter, stream_id: str, expected: list[str],
                 limit: float, repeat: int) -> Row:
    """``client.receive(raw=True)`` ``repeat`` times, each checked (order and hashes): median wall
    time and median CPU, against the limit measured in the same run."""
    runs = []
    for _ in range(repeat):
        with measure(counter) as m:
            received = client.receive(stream_id, raw=True)
        got = [o.get("hash") for o in received.objects]
        if got != expected:
            bad = sum(1 for a, b in zip(got, expected, strict=False) if a != b) + abs(len(got) - len(expected))
            raise SystemExit(f"receive: {bad} objects lost, changed or out of order")
        del received, got
        gc.collect()
        runs.append(m)
    m = median_run(runs)
    cpu = median([r["cpu"] for r in runs])
    return Row("receive", "client.receive(raw=True)", len(expected), m["seconds"], cpu, m["wire"], limit=limit,
               note=f"order + hashes verified; {runs_note(runs)}; CPU {cpu:.2f} s = {cpu / limit:.2f}x the limit "
                    f"({limit:.2f} s)")


def create_rows(client: SpeckleApiClient, counter: WireCounter, n: int, repeat: int) -> list[Row]:
    """``client.objects.create`` of fresh models (placeholder models, and ``raw=True``): wall time
    and CPU (medians), then its peak memory in a separate run."""
    rows = []
    for raw in (False, True):
        runs = []
        for run_index in range(repeat):
            data = make_objects(n, seed=5000 + 100 * run_index + raw)
            with measure(counter) as m:
                saved = client.objects.create(data, raw=raw)
            if len(saved) != n:
                raise SystemExit("objects.create lost placeholders")
            del data, saved
            runs.append(m)
        m = median_run(runs)
        cpu = median([r["cpu"] for r in runs])
        rows.append(Row("send", f"objects.create({'raw=True' if raw else 'models'})", n, m["seconds"], cpu,
                        m["wire"], note=f"{runs_note(runs)}; CPU median"))
    data = make_objects(n, seed=5999)
    size = json_size(data)
    with measure(counter, memory=True) as m:
        saved = client.objects.create(data)
    del saved
    rows[0].peak, rows[0].json_bytes = m["peak"], size
    rows[0].note += f"; peak {m['peak'] / size:.2f}x the JSON ({size / 2**20:.0f} MiB, tracemalloc)"
    return rows


def send_memory(client: SpeckleApiClient, counter: WireCounter, row: Row, n: int) -> None:
    """Peak memory of a first ``client.send`` (default options) of a fresh model, into ``row``."""
    data = make_objects(n, seed=6000)
    size = json_size(data)
    with measure(counter, memory=True) as m:
        client.send(data, name="bench-mem")
    row.peak, row.json_bytes = m["peak"], size
    row.note += f"; peak {m['peak'] / size:.2f}x the JSON ({size / 2**20:.0f} MiB, tracemalloc)"


def bare_session(client: SpeckleApiClient) -> requests.Session:
    session = requests.Session()
    if client.token:
        session.headers["Authorization"] = client.token
    return session


def run(args: argparse.Namespace, url: str) -> list[Row]:
    rows: list[Row] = []
    n = args.objects
    cache_dir = tempfile.mkdtemp(prefix="speckle-bench-")
    client = SpeckleApiClient(url, use_ssl=url.startswith("https"), max_workers=args.workers or 0,
                              sent_cache=os.path.join(cache_dir, "sent.sqlite3"), received_cache=False, timeout=300)
    login(client, args)
    counter = WireCounter(client.session)
    opts = client.transfer_options
    gz = client.transport.gzip_threshold
    log = print if not args.quiet else (lambda *a: None)
    log(f"server {url}; {n:,} objects; {opts.max_workers} workers; batches <= {opts.batch_bytes:,} B / "
        f"{opts.batch_count} objects; gzip >= {gz} B")

    model = make_objects(n, seed=1)
    json_bytes = sum(len(encode_object(o)) for o in model)
    log(f"model: {json_bytes / 2**20:.1f} MiB of JSON")
    floor = bare_session(client)
    fcounter = WireCounter(floor)

    # (c) floor and the client's first send, alternating, each on a fresh data set of the same
    # shape (so that the server's de-duplication makes none cheaper); the medians are reported
    floor_runs: list[dict[str, Any]] = []
    send_runs: list[dict[str, Any]] = []
    send_limits: list[float] = []
    sent = None
    for run_index in range(args.repeat):
        other = make_objects(n, seed=1000 + run_index)
        floor_runs.append(floor_send(client, floor, fcounter, other, opts, gz))
        del other
        data = model if run_index == 0 else make_objects(n, seed=2000 + run_index)
        with measure(counter) as m:
            result = client.send(data, name="bench")
        m["uploaded"] = result.uploaded
        send_runs.append(m)
        send_limits.append(send_limit(data))
        if run_index == 0:
            sent = result  # the model's stream, re-sent below
        del data, result
        log(f"  run {run_index + 1}/{args.repeat}: floor {floor_runs[-1]['seconds']:.2f}s, "
            f"client.send {send_runs[-1]['seconds']:.2f}s")
    if sent is None:
        raise SystemExit("--repeat must be at least 1")
    m = median_run(floor_runs)
    rows.append(Row("send", "(c) floor: pre-serialised, bare requests", n, m["seconds"], m["cpu"], m["wire"],
                    note=f"objects + stream; {runs_note(floor_runs)}"))
    m = median_run(send_runs)
    cpu, limit = median([r["cpu"] for r in send_runs]), median(send_limits)
    rows.append(Row("send", "client.send", n, m["seconds"], cpu, m["wire"], limit=limit,
                    note=f"{m['uploaded']:,} uploaded; incl. stream; {runs_note(send_runs)}; "
                         f"CPU {cpu:.2f} s = {cpu / limit:.2f}x the limit ({limit:.2f} s), medians"))
    first_send = m["seconds"]

    # the same first send without the sent-object record: what the record costs a first send
    # (its fingerprints and rows), on a fresh data set again
    data = make_objects(n, seed=3000)
    with measure(counter) as m:
        result = client.send(data, name="bench, no record", use_cache=False)
    limit = send_limit(data)
    rows.append(Row("send", "client.send, use_cache=False", n, m["seconds"], m["cpu"], m["wire"], limit=limit,
                    note=f"{result.uploaded:,} uploaded; no sent-object record; 1 run; CPU {m['cpu']:.2f} s = "
                         f"{m['cpu'] / limit:.2f}x the limit ({limit:.2f} s)"))
    del data, result

    # (d) re-send of the unchanged model
    with measure(counter) as m:
        again = client.send(model, stream_id=sent.stream_id)
    rows.append(Row("send", "(d) re-send unchanged", n, m["seconds"], m["cpu"], m["wire"],
                    note=f"{again.uploaded} uploaded; stream {'unchanged' if again.stream_unchanged else 'written'}; "
                         f"{100 * m['seconds'] / first_send:.1f}% of first send"))
    if again.object_ids != sent.object_ids:
        raise SystemExit("re-send gave different ids")

    # (d) again, from another process's point of view: a new client on the same record file
    other_client = SpeckleApiClient(url, use_ssl=url.startswith("https"), max_workers=args.workers or 0,
                                    sent_cache=os.path.join(cache_dir, "sent.sqlite3"), timeout=300)
    other_client.login_with_token(client.token)
    ocounter = WireCounter(other_client.session)
    with measure(ocounter) as m:
        fresh_again = other_client.send(model, stream_id=sent.stream_id)
    rows.append(Row("send", "(d) re-send unchanged, new client", n, m["seconds"], m["cpu"], m["wire"],
                    note=f"{fresh_again.uploaded} uploaded; record read from its file; "
                         f"{100 * m['seconds'] / first_send:.1f}% of first send"))
    if fresh_again.object_ids != sent.object_ids or fresh_again.uploaded:
        raise SystemExit("re-send from a new client gave different ids or uploaded objects")
    other_client.close()

    # re-send with 1% of the objects changed (every 100th gets a new property)
    edited = [{**o, "properties": {**o["properties"], "edited": True}} if i % 100 == 0 else o
              for i, o in enumerate(model)]
    with measure(counter) as m:
        third = client.send(edited, stream_id=sent.stream_id)
    rows.append(Row("send", "re-send, 1% changed", n, m["seconds"], m["cpu"], m["wire"],
                    note=f"{third.uploaded:,} uploaded; {100 * m['seconds'] / first_send:.1f}% of first send"))
    changed = [i for i, (a, b) in enumerate(zip(third.object_ids, sent.object_ids, strict=True)) if a != b]
    if changed != list(range(0, n, 100)):
        raise SystemExit("the 1% re-send did not replace exactly the changed objects")
    del edited
    client.send(model, stream_id=sent.stream_id)  # the stream holds the model again, for receive

    # (a) naive: one request per object, on a subsample of fresh objects
    sample = make_objects(args.naive_sample, seed=3)
    with measure(counter) as m:
        for obj in sample:
            client.objects.create(obj)
    factor = n / len(sample)
    rows.append(Row("send", "(a) naive: 1 request/object", n, m["seconds"] * factor, m["cpu"] * factor,
                    int(m["wire"] * factor), note=f"extrapolated from {len(sample)}"))

    # (b) one request for everything
    fresh = make_objects(n, seed=4)
    with measure(counter) as m:
        try:
            client.transport.request("POST", "/objects", json_body=fresh, retry=False)
            note = "accepted"
        except Exception as exc:
            note = f"failed: {type(exc).__name__} {getattr(exc, 'status_code', '')}".strip()
    rows.append(Row("send", "(b) single request", n, m["seconds"], m["cpu"], m["wire"], note=note))
    del fresh

    # memory of a first send and objects.create (separate, untimed runs: tracemalloc slows everything down)
    expected = [object_hash(o) for o in model]
    del model
    gc.collect()
    send_memory(client, counter, rows[1], n)
    rows.extend(create_rows(client, counter, n, args.repeat))

    # -- receive --
    bodies = receive_bodies(floor, client.basepath, sent.stream_id, sent.object_ids, opts.fetch_count)
    received_limit = median([receive_limit(bodies) for _ in range(3)])
    del bodies
    gc.collect()
    rows.append(receive_runs(client, counter, sent.stream_id, expected, received_limit, args.repeat))
    received = client.receive(sent.stream_id, raw=True)
    received_json = json_size(received.objects)
    del received
    gc.collect()
    with measure(counter, memory=True) as m:
        received = client.receive(sent.stream_id, raw=True)
    rows[-1].peak, rows[-1].json_bytes = m["peak"], received_json
    rows[-1].note += f"; peak = {m['peak'] / received_json:.2f}x objects' JSON ({received_json / 2**20:.0f} MiB)"
    del received
    gc.collect()

    if not args.skip_models:
        with measure(counter) as m:
            models = client.receive(sent.stream_id)
        rows.append(Row("receive", "client.receive (models)", n, m["seconds"], m["cpu"], m["wire"],
                        note="pydantic models"))
        del models
        gc.collect()

    ids = sent.object_ids
    chunks = [ids[i : i + opts.fetch_count] for i in range(0, n, opts.fetch_count)]
    bodies_r = [encode_object(chunk) for chunk in chunks]
    with measure(fcounter) as m:
        # the least a receive does: the same requests, in order, and decoding their JSON
        decoded: list[Any] = []
        response = floor.get(f"{client.basepath}/streams/{sent.stream_id}")
        response.raise_for_status()
        orjson.loads(response.content)
        for body in bodies_r:
            response = floor.post(f"{client.basepath}/objects/getbulk", data=body,
                                  headers={"Content-Type": "application/json"})
            response.raise_for_status()
            decoded += orjson.loads(response.content)["resources"]
            del response
    rows.append(Row("receive", "(c) floor: bare requests + JSON decode", n, m["seconds"], m["cpu"], m["wire"]))
    del decoded

    sample_ids = ids[: args.naive_sample]
    with measure(counter) as m:
        for _id in sample_ids:
            client.transport.request("GET", f"/objects/{_id}")
    factor = n / len(sample_ids)
    rows.append(Row("receive", "(a) naive: 1 request/object", n, m["seconds"] * factor, m["cpu"] * factor,
                    int(m["wire"] * factor), note=f"extrapolated from {len(sample_ids)}"))

    with measure(counter) as m:
        try:
            answer = client.transport.request("POST", "/objects/getbulk", json_body=ids, retry=False)
            note = f"accepted ({len(answer['resources']):,} objects)"
            del answer
        except Exception as exc:
            note = f"failed: {type(exc).__name__} {getattr(exc, 'status_code', '')}".strip()
    rows.append(Row("receive", "(b) single request", n, m["seconds"], m["cpu"], m["wire"], note=note))
    rows += receive_again_rows(args, url, client, str(sent.stream_id), expected, cache_dir)
    client.close()
    return rows


# -- receiving again: the record of received objects, and follow --------------------------------------

_RECEIVE_IN_NEW_PROCESS = """
import json, os, sys, time
from speckle import SpeckleApiClient
url, token, record, stream_id, use_cache = sys.argv[1:6]
client = SpeckleApiClient(url, use_ssl=url.startswith("https"), received_cache=record, timeout=300)
client.login_with_token(token)
times0, t0 = os.times(), time.perf_counter()
result = client.receive(stream_id, raw=True, use_cache=use_cache == "1")
seconds, times = time.perf_counter() - t0, os.times()
user, system = times.user - times0.user, times.system - times0.system
print(json.dumps({"seconds": seconds, "cpu": user + system, "system": system, "fetched": len(result.fetched),
                  "reused": result.reused, "hashes": [o.get("hash") for o in result.objects]}))
"""


def edit_in_place(client: SpeckleApiClient, ids: list[str], workers: int) -> None:
    """``PUT /objects/<id>`` on each object (a new name), in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    def put(object_id: str) -> None:
        client.transport.request("PUT", f"/objects/{object_id}", json_body={"name": f"edited {time.time()}"})

    with ThreadPoolExecutor(max(1, workers)) as pool:
        list(pool.map(put, ids))


def receive_again_rows(args: argparse.Namespace, url: str, owner: SpeckleApiClient, stream_id: str,
                       expected: list[str], cache_dir: str) -> list[Row]:
    """Receiving a stream again with the record of received objects: unchanged (same client,
    ``previous=``, a new process), 1% changed in place, a deleted object, and follow's latency."""
    rows: list[Row] = []
    n = len(expected)
    record = os.path.join(cache_dir, "received.sqlite3")
    client = SpeckleApiClient(url, use_ssl=url.startswith("https"), max_workers=args.workers or 0,
                              received_cache=record, timeout=300)
    client.login_with_token(owner.token)
    counter = WireCounter(client.session)
    time.sleep(1.1)  # objects written in the second of a download are checked again (see docs/performance.rst)

    gc.collect()
    with measure(counter) as m:
        first = client.receive(stream_id, raw=True)
    if [o.get("hash") for o in first.objects] != expected or len(first.fetched) != n:
        raise SystemExit("receive with the record: objects lost, changed or out of order")
    flushed = time.perf_counter()
    if client.received_cache is not None:
        client.received_cache.flush()  # written by a background thread: not timed, reported
    flushed = time.perf_counter() - flushed
    rows.append(Row("receive again", "first receive, record empty", n, m["seconds"], m["cpu"], m["wire"],
                    note=f"raw=True; every object downloaded; the record written {flushed:.2f} s after"))
    base = m["seconds"]

    def share(seconds: float) -> str:
        return f"{100 * seconds / base:.1f}% of the first receive"

    del first
    gc.collect()
    with measure(counter) as m:
        again = client.receive(stream_id, raw=True)
    if [o.get("hash") for o in again.objects] != expected or again.fetched:
        raise SystemExit("re-receive: wrong objects, or unchanged objects downloaded")
    rows.append(Row("receive again", "unchanged, same client", n, m["seconds"], m["cpu"], m["wire"],
                    note=f"0 downloaded; fresh objects read from the record; {share(m['seconds'])}"))

    # the least any fresh copy costs: decoding the objects with marshal, the fastest decoder of
    # Python's own types (which a cache file must not use: it crashes on corrupted data); the
    # median of 3, each after the last copy is freed (as the receive above ran after `first` was)
    frozen = marshal.dumps(again.objects)
    copies: list[dict[str, Any]] = []
    for _ in range(3):
        gc.collect()
        with gc_paused(), measure(counter) as one:  # as receive does: the collector would walk every new dict
            copy = marshal.loads(frozen)
        del copy  # (freed outside the timing)
        copies.append(one)
    del frozen
    m = median_run(copies)
    rows.append(Row("receive again", "fresh objects, least possible", n, m["seconds"], m["cpu"], 0,
                    note=f"marshal.loads of the objects, from memory (no receive): {share(m['seconds'])}"))

    with measure(counter) as m:
        shared = client.receive(stream_id, raw=True, previous=again)
    if shared.fetched or shared.objects[0] is not again.objects[0]:
        raise SystemExit("re-receive with previous=: objects downloaded or not shared")
    rows.append(Row("receive again", "unchanged, previous=", n, m["seconds"], m["cpu"], m["wire"],
                    note=f"0 downloaded; objects shared with the previous result; {share(m['seconds'])}"))
    del shared
    gc.collect()

    def in_new_process(use_cache: bool) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-c", _RECEIVE_IN_NEW_PROCESS, url, owner.token or "", record,
                               stream_id, "1" if use_cache else "0"],
                              capture_output=True, text=True, check=False, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"receive in a new process failed: {done.stderr}")
        answer: dict[str, Any] = orjson.loads(done.stdout.splitlines()[-1])
        if answer["hashes"] != expected:
            raise SystemExit("receive in a new process: objects lost, changed or out of order")
        return answer

    # a new process pays for fresh memory (page faults), whatever it builds the objects from
    download = in_new_process(False)
    fresh = in_new_process(True)
    if fresh["fetched"]:
        raise SystemExit("re-receive in a new process: unchanged objects downloaded")
    rows.append(Row("receive again", "first receive, new process", n, download["seconds"], download["cpu"], 0,
                    note=f"use_cache=False (every object downloaded): the base for a new process; "
                         f"CPU {download['cpu']:.2f} s, of which system {download['system']:.2f} s"))
    rows.append(Row("receive again", "unchanged, new process", n, fresh["seconds"], fresh["cpu"], 0,
                    note=f"0 downloaded; record read from its file; {share(fresh['seconds'])}, "
                         f"{100 * fresh['seconds'] / download['seconds']:.1f}% of the first receive in a new "
                         f"process; CPU {fresh['cpu']:.2f} s, of which system {fresh['system']:.2f} s"))

    if not args.skip_models:
        with measure(counter) as m:
            models = client.receive(stream_id)
        rows.append(Row("receive again", "unchanged, models", n, m["seconds"], m["cpu"], m["wire"],
                        note=f"0 downloaded; pydantic models built from the record ({len(models.fetched)} downloaded)"))
        del models
        gc.collect()

    ids = again.ids
    changed = sorted(set(ids[::100]))
    edit_in_place(owner, changed, client.transfer_options.max_workers)
    time.sleep(1.1)
    if client.received_cache is not None:
        client.received_cache.flush()
    with measure(counter) as m:
        edited = client.receive(stream_id, raw=True)
    if sorted(edited.fetched) != changed:
        raise SystemExit(f"1% changed: {len(edited.fetched)} objects downloaded, {len(changed)} were changed")
    if any(not edited.objects[i]["name"].startswith("edited") for i in range(0, n, 100)):
        raise SystemExit("1% changed: an edited object was served unchanged")
    rows.append(Row("receive again", "1% changed in place", n, m["seconds"], m["cpu"], m["wire"],
                    note=f"exactly the {len(changed):,} changed objects downloaded; {share(m['seconds'])}"))

    changed = sorted(set(ids[50::100]))  # another 1%, received with the previous result
    edit_in_place(owner, changed, client.transfer_options.max_workers)
    time.sleep(1.1)
    with measure(counter) as m:
        shared = client.receive(stream_id, raw=True, previous=edited)
    if sorted(shared.fetched) != changed or shared.objects[1] is not edited.objects[1]:
        raise SystemExit("1% changed, previous=: other objects downloaded, or unchanged ones not shared")
    rows.append(Row("receive again", "1% changed in place, previous=", n, m["seconds"], m["cpu"], m["wire"],
                    note=f"exactly the {len(changed):,} changed objects downloaded, the others shared; "
                         f"{share(m['seconds'])}"))
    del shared

    gone = ids[n // 2]
    owner.transport.request("DELETE", f"/objects/{gone}")
    with measure(counter) as m:
        after = client.receive(stream_id, raw=True)
    positions = [i for i, _id in enumerate(ids) if _id == gone]
    if after.missing != positions or after.fetched != [gone] or "owner" in after.objects[positions[0]]:
        raise SystemExit("deleted object: not reported as missing, or served from the record")
    rows.append(Row("receive again", "1 object deleted", n, m["seconds"], m["cpu"], m["wire"],
                    note=f"reported in missing (index {positions[0]:,}); only it asked for"))
    del again, edited, after
    gc.collect()

    # follow: the latency from a write (1% changed in place, then update-global) to the change
    latencies: list[float] = []
    with client.follow(stream_id, raw=True) as follower, owner.listen(stream_id, mark_online=False) as writer:
        follower.next_change(timeout=120)
        writer.wait_ready(10)
        for round_ in range(args.repeat):
            batch = sorted(set(ids[1 + round_ :: 100]) - {gone})
            edit_in_place(owner, batch, client.transfer_options.max_workers)
            time.sleep(1.1)  # (as a connector's save takes time; not part of the latency)
            wrote = time.perf_counter()
            writer.broadcast({"eventType": "update-global"})
            change = follower.next_change(timeout=60)
            latencies.append(time.perf_counter() - wrote)
            if change is None or sorted(o["_id"] for o in change.changed) != batch:
                raise SystemExit("follow: the change does not hold exactly the changed objects")
    latencies.sort()
    rows.append(Row("receive again", "follow: 1% changed -> change", n, latencies[len(latencies) // 2], 0.0, 0,
                    note=f"broadcast to change delivered; median of {len(latencies)} "
                         f"({', '.join(f'{x:.2f}' for x in latencies)} s)"))
    client.close()
    return rows


def render(rows: list[Row]) -> str:
    head = ["operation", "way", "objects", "seconds", "objects/s", "wire MiB", "CPU s/1e5", "limit s/1e5",
            "x limit", "peak MiB", "x JSON", "note"]
    table = [head] + [r.cells() for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary(rows: list[Row]) -> str:
    def find(op: str, prefix: str) -> Row:
        return next(r for r in rows if r.operation == op and r.way.startswith(prefix))

    out = []
    for op, way in (("send", "client.send"), ("receive", "client.receive(raw")):
        mine, floor = find(op, way), find(op, "(c)")
        out.append(f"{op}: client reaches {100 * floor.seconds / mine.seconds:.0f}% of the floor's throughput; "
                   f"{find(op, '(a)').seconds / mine.seconds:.0f}x faster than naive")
    for op, way in (("send", "client.send"), ("receive", "client.receive(raw")):
        mine = find(op, way)
        if mine.limit:
            out.append(f"{op}: client CPU {mine.cpu:.2f} s, {mine.cpu / mine.limit:.2f}x the limit "
                       f"({mine.limit:.2f} s, measured in this run)")
    bare, floor = find("send", "client.send, use_cache=False"), find("send", "(c)")
    if bare.limit:
        out.append(f"send: client CPU without the sent-object record {bare.cpu / bare.limit:.2f}x the limit; "
                   f"the floor's uploads alone {floor.cpu / bare.limit:.2f}x it")
    for op, way in (("send", "client.send"), ("send", "objects.create(models)")):
        mine = find(op, way)
        if mine.peak is not None and mine.json_bytes:
            out.append(f"{way}: peak memory {mine.peak / mine.json_bytes:.2f}x the JSON")
    send, resend = find("send", "client.send"), find("send", "(d)")
    fresh = find("send", "(d) re-send unchanged, new client")
    out.append(f"re-send: {100 * resend.seconds / send.seconds:.1f}% of the first send's time "
               f"({100 * fresh.seconds / send.seconds:.1f}% from a new client)")
    out.append(receive_again_summary(rows))
    return "\n".join(out)


def receive_again_summary(rows: list[Row]) -> str:
    def find(way: str) -> Row:
        return next(r for r in rows if r.operation == "receive again" and r.way.startswith(way))

    base = find("first receive, record empty").seconds
    parts = [f"{way} {100 * find(way).seconds / base:.1f}%" for way in
             ("unchanged, same client", "unchanged, previous=", "unchanged, new process", "1% changed",
              "1% changed in place, previous=")]
    in_new = 100 * find("unchanged, new process").seconds / find("first receive, new process").seconds
    return (f"receive again (share of the first receive): {'; '.join(parts)} ({in_new:.1f}% of a first receive "
            f"in a new process); fresh objects at the least (marshal) "
            f"{100 * find('fresh objects, least possible').seconds / base:.1f}%; follow latency "
            f"{find('follow').seconds:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=100_000, help="objects in the model (default 100000)")
    parser.add_argument("--host", help="server URL (default: start a local server in a subprocess)")
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument("--token", help="'JWT ...' API token")
    parser.add_argument("--workers", type=int, default=0, help="parallel requests (default: the client's)")
    parser.add_argument("--naive-sample", type=int, default=500, help="objects timed for the naive way")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of the first send and its floor, on fresh data sets (default 3; medians shown)")
    parser.add_argument("--max-body-size", default="10mb", help="body limit of the local server")
    parser.add_argument("--skip-models", action="store_true", help="do not time receive with pydantic models")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.email and not args.password:
        parser.error("--email needs --password")
    if args.host:
        rows = run(args, args.host)
    else:
        with local_server(args.max_body_size) as url:
            rows = run(args, url)
    print(render(rows))
    print()
    print(summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
