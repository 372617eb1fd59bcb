"""Random stream updates sent to a real v1 server and to a local one: the first difference per seed.

Each seed registers a user on each server, creates one stream and sends it the same 40
``PUT /streams/<id>`` bodies (random keys among the schema's fields, dotted paths, ``$`` keys and
unknown ones; random values: null, booleans, numbers, strings, arrays, objects), reading the
stream back after each. A seed is identical when every status, message and stream read back is
equal (ids, dates, tokens and Node's newer ``TypeError`` wording aside). Not part of the test
suite: it finds what ``tools/compare_servers.py`` should then compare.

Usage::

    python tools/random_updates.py --real http://127.0.0.1:3100 --seeds 1-24
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import uuid
from typing import Any

import requests
from compare_servers import local_server

KEYS = ["name", "description", "tags", "private", "baseProperties", "layers", "u", "v", "a.b", "u.x", "tags.1",
        "layers.0.name", "jobNumber", "parent", "children", "commitMessage", "deleted", "globalMeasures.units",
        "canRead", "onlineEditable", "x.0", "$y", "isComputedResult"]
UPDATES = 40
#: what differs between two servers and is not compared
_IDS = re.compile(r"[0-9a-f]{24}")
_NODE20 = re.compile(r"Cannot read properties of (\w+) \(reading '([^']*)'\)")
_DATES = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _value(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if r < 0.15:
        return None
    if r < 0.25:
        return rng.choice([True, False])
    if r < 0.4:
        return rng.choice([0, 1, -1, 2.5, 1e-6, 1e17, 3.0])
    if r < 0.55:
        return rng.choice(["", "a", "yes", "true", "0", "1.5", "x.y", "5f0000000000000000000001"])
    if r < 0.75 and depth < 2:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 2:
        return {rng.choice(["p", "q", "r.s", "0"]): _value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return 7


def run(base: str, seed: int) -> list[tuple[str, int, str, str]]:
    """The seed's updates against ``base``: (body, status, message, stream read back) each."""
    rng = random.Random(seed)
    http = requests.Session()
    answer = http.post(f"{base}/api/v1/accounts/register", timeout=30, json={
        "email": f"fuzz-{uuid.uuid4().hex[:8]}@speckle.local", "password": "random updates", "company": "x"})
    http.headers["Authorization"] = answer.json()["resource"]["apitoken"]
    created = http.post(f"{base}/api/v1/streams", timeout=30, json={"name": "fz", "u": {"k": 1}, "tags": ["t"]})
    stream_id = created.json()["resource"]["streamId"]
    out = []
    for _ in range(UPDATES):
        body = {rng.choice(KEYS): _value(rng) for _ in range(rng.randint(1, 3))}
        put = http.put(f"{base}/api/v1/streams/{stream_id}", json=body, timeout=30)
        doc = http.get(f"{base}/api/v1/streams/{stream_id}?omit=objects", timeout=30).json().get("resource", {})
        for key in ("_id", "owner", "streamId", "createdAt", "updatedAt", "layers"):
            doc.pop(key, None)
        message = _NODE20.sub(r"Cannot read property '\2' of \1", _IDS.sub("<id>", put.text))
        out.append((json.dumps(body), put.status_code, message, json.dumps(doc)))
    return out


OBJECT_KEYS = ["type", "name", "properties", "value", "u", "a.b", "properties.p", "hash", "applicationId", "0", "10",
               "geometryHash", "children", "u.x", "$z", "private", "deleted"]


def run_objects(base: str, seed: int) -> list[tuple[str, int, str, str]]:
    """The seed's objects against ``base``: a batch of 10 random objects saved, then 30 random
    ``PUT /objects/<id>`` and ``PUT /objects/<id>/properties``, each object read back."""
    rng = random.Random(seed)
    http = requests.Session()
    answer = http.post(f"{base}/api/v1/accounts/register", timeout=30, json={
        "email": f"fuzz-{uuid.uuid4().hex[:8]}@speckle.local", "password": "random updates", "company": "x"})
    http.headers["Authorization"] = answer.json()["resource"]["apitoken"]
    out = []

    def read(object_id: str) -> str:
        doc = http.get(f"{base}/api/v1/objects/{object_id}", timeout=30).json().get("resource", {})
        for key in ("_id", "owner", "createdAt", "updatedAt"):
            doc.pop(key, None)
        return json.dumps(doc)

    def record(label: str, response: requests.Response, read_back: str) -> None:
        message = _NODE20.sub(r"Cannot read property '\2' of \1", _IDS.sub("<id>", response.text))
        out.append((label, response.status_code, message, read_back))

    tag = rng.random()  # objects of this seed only (the server de-duplicates by hash across users)
    batch = [{"type": "Fuzz", "seed": tag, "i": i, **{rng.choice(OBJECT_KEYS): _value(rng) for _ in range(3)}}
             for i in range(10)]
    saved = http.post(f"{base}/api/v1/objects", json=batch, timeout=30)
    ids = [p.get("_id") for p in saved.json().get("resources", [])] if saved.status_code == 200 else []
    record(json.dumps(batch), saved, json.dumps([read(i) for i in ids]))
    for _ in range(30 if ids else 0):
        object_id = rng.choice(ids)
        body = {rng.choice(OBJECT_KEYS): _value(rng) for _ in range(rng.randint(1, 3))}
        path = f"/objects/{object_id}" + ("/properties" if rng.random() < 0.3 else "")
        record(f"{path.split('/')[-1]} {json.dumps(body)}", http.put(f"{base}/api/v1{path}", json=body, timeout=30),
               read(object_id))
    return out


#: other resources: (create path, fixed fields of the created one, read and update path, keys)
RESOURCES: dict[str, tuple[str, dict[str, Any], str, list[str]]] = {
    "projects": ("/projects", {"name": "p"}, "/projects/{id}",
                 ["name", "description", "tags", "streams", "permissions", "permissions.canRead", "private", "u", "a.b",
                  "jobNumber", "canRead", "deleted", "x.0", "$y", "tags.0"]),
    "comments": ("/comments/stream/{stream}", {"text": "t"}, "/comments/{id}",
                 ["text", "flagged", "closed", "labels", "labels.1", "assignedTo", "priority", "status", "view",
                  "view.camera", "screenshot", "resource", "otherResources", "u", "a.b", "$y"]),
    "clients": ("/clients", {"role": "Sender"}, "/clients/{id}",
                ["role", "documentName", "documentGuid", "documentType", "documentLocation", "online", "private",
                 "canRead", "u", "a.b", "documentName.x", "$y"]),
}


def run_resource(kind: str, base: str, seed: int) -> list[tuple[str, int, str, str]]:
    """The seed's ``kind`` against ``base``: one created with random fields, then 30 random updates."""
    create, fixed, path, keys = RESOURCES[kind]
    rng = random.Random(seed)
    http = requests.Session()
    answer = http.post(f"{base}/api/v1/accounts/register", timeout=30, json={
        "email": f"fuzz-{uuid.uuid4().hex[:8]}@speckle.local", "password": "random updates", "company": "x"})
    http.headers["Authorization"] = answer.json()["resource"]["apitoken"]
    stream = http.post(f"{base}/api/v1/streams", json={"name": "s"}, timeout=30).json()["resource"]["streamId"]
    out = []

    def plain(text: str) -> str:
        return _DATES.sub("<date>", _IDS.sub("<id>", text.replace(stream, "<stream>")))

    def record(label: str, response: requests.Response, read_back: str) -> None:
        message = _NODE20.sub(r"Cannot read property '\2' of \1", plain(response.text))
        out.append((plain(label), response.status_code, message, plain(read_back)))

    def read(resource_id: str) -> str:
        doc = http.get(f"{base}/api/v1{path.format(id=resource_id)}", timeout=30).json()
        doc = doc.get("resource", doc) if isinstance(doc, dict) else doc
        for key in ("_id", "owner", "createdAt", "updatedAt", "streamId"):
            doc.pop(key, None) if isinstance(doc, dict) else None
        return json.dumps(doc)

    body = {**fixed, **{rng.choice(keys): _value(rng) for _ in range(2)}}
    if kind == "clients":
        body["streamId"] = stream
    created = http.post(f"{base}/api/v1{create.format(stream=stream)}", json=body, timeout=30)
    resource_id = (created.json().get("resource") or {}).get("_id") if created.status_code == 200 else None
    record(f"create {json.dumps(body)}", created, read(resource_id) if resource_id else "")
    for _ in range(30 if resource_id else 0):
        update = {rng.choice(keys): _value(rng) for _ in range(rng.randint(1, 3))}
        record(json.dumps(update), http.put(f"{base}/api/v1{path.format(id=resource_id)}", json=update, timeout=30),
               read(str(resource_id)))
    return out


def first_difference(real: list[tuple[str, int, str, str]], local: list[tuple[str, int, str, str]]) -> str | None:
    for index, (want, got) in enumerate(zip(real, local, strict=True)):
        if want != got:
            return (f"update {index + 1}: {want[0]}\n  real  {want[1]} {want[2][:300]}\n  local {got[1]} {got[2][:300]}"
                    + (f"\n  real  stream {want[3][:600]}\n  local stream {got[3][:600]}" if want[3] != got[3] else ""))
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", required=True, help="the real v1 server's URL")
    parser.add_argument("--seeds", default="1-24", help="seeds, as FIRST-LAST (default 1-24)")
    parser.add_argument("--route", choices=("streams", "objects", *RESOURCES), default="streams",
                        help="updates of one stream, a batch of objects then their updates, or one other "
                             "resource created then updated (default streams)")
    args = parser.parse_args(argv)
    if args.route in RESOURCES:
        def sequence(base: str, seed: int) -> list[tuple[str, int, str, str]]:
            return run_resource(args.route, base, seed)
    else:
        sequence = run if args.route == "streams" else run_objects
    first, _, last = args.seeds.partition("-")
    seeds = range(int(first), int(last or first) + 1)
    identical = 0
    with local_server() as url:
        for seed in seeds:
            difference = first_difference(sequence(args.real.rstrip("/"), seed), sequence(url, seed))
            if difference is None:
                identical += 1
            else:
                print(f"seed {seed}: {difference}")
    print(f"identical seeds: {identical}/{len(seeds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
