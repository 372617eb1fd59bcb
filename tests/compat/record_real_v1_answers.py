"""Record the real v1 server's answers that ``test_read_modify_write.py`` replays.

Run against a fresh real server (``../shared/real-v1/start.sh``), from outside the project::

    python tests/compat/record_real_v1_answers.py http://127.0.0.1:3100 > tests/compat/real_v1_answers.json

For each resource it saves a GET, the answer to a list change sent without ``__v`` and the
answer to the same change carrying the ``__v`` read before it (mongoose's VersionError).
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

import requests

PASSWORD = "supersecretpassword"
#: The list field changed on each resource.
LIST_FIELD = {"comments": "labels", "streams": "tags", "projects": "tags", "api_clients": "canRead",
              "objects": "canRead"}


def record(base_url: str) -> dict[str, Any]:
    """Register a user, create one of each resource and record the exchanges."""
    api = base_url.rstrip("/") + "/api/v1"
    session = requests.Session()

    def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = session.request(method, api + path, json=body, timeout=30)
        return response.status_code, response.json()

    email = f"{uuid.uuid4().hex[:8]}@example.com"
    call("POST", "/accounts/register", {"email": email, "password": PASSWORD, "name": "Ada", "surname": "B",
                                        "company": "C"})
    _, login = call("POST", "/accounts/login", {"email": email, "password": PASSWORD})
    session.headers["Authorization"] = login["resource"]["token"]
    me = login["resource"]["_id"]
    _, stream = call("POST", "/streams", {
        "name": "s", "objects": [{"type": "Point", "value": [1, 2, 3]}],
        "layers": [{"name": "L", "guid": "g1", "startIndex": 0, "objectCount": 1}]})
    stream_id = stream["resource"]["streamId"]
    _, comment = call("POST", f"/comments/stream/{stream_id}", {"text": "hi"})
    _, project = call("POST", "/projects", {"name": "p"})
    _, client = call("POST", "/clients", {"streamId": stream_id, "role": "Sender", "documentGuid": "d-1"})
    _, objects = call("POST", "/objects", [{"type": "Point", "value": [5, 5, uuid.uuid4().int % 1000 / 4]}])
    paths = {
        "comments": f"/comments/{comment['resource']['_id']}",
        "streams": f"/streams/{stream_id}",
        "projects": f"/projects/{project['resource']['_id']}",
        "api_clients": f"/clients/{client['resource']['_id']}",
        "objects": f"/objects/{objects['resources'][0]['_id']}",
    }
    out: dict[str, Any] = {"server": "SpeckleServer 1.6.0 (mongoose 5.9.7)", "user_id": me, "resources": {}}
    for kind, path in paths.items():
        _, got = call("GET", path)
        field = LIST_FIELD[kind]
        update_status, update = call("PUT", path, {field: [me]})
        stale_status, stale = call("PUT", path, {field: [me, me], "__v": got["resource"]["__v"]})
        out["resources"][kind] = {
            "path": path,
            "get": got,
            "update": {"status": update_status, "body": update},
            "stale": {"status": stale_status, "sent_v": got["resource"]["__v"], "body": stale},
        }
    return out


if __name__ == "__main__":
    sys.stdout.write(json.dumps(record(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:3100"), indent=1))
    sys.stdout.write("\n")
