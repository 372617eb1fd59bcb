"""Record the real v1 server's answers used by tests/compat (GETs of each resource, the answer
to a read-modify-write PUT, and to a PUT carrying a stale __v)."""
import json, sys, requests, uuid
B = sys.argv[1] + "/api/v1"
s = requests.Session()
def call(m, p, body=None):
    r = s.request(m, B + p, json=body)
    return r.status_code, r.json()
em = f"{uuid.uuid4().hex[:8]}@example.com"
call("POST", "/accounts/register", {"email": em, "password": "supersecretpassword", "name": "Ada", "surname": "B", "company": "C"})
st, j = call("POST", "/accounts/login", {"email": em, "password": "supersecretpassword"})
s.headers["Authorization"] = j["resource"]["token"]
me = j["resource"]["_id"]
st, j = call("POST", "/streams", {"name": "s", "objects": [{"type": "Point", "value": [1, 2, 3]}], "layers": [{"name": "L", "guid": "g1", "startIndex": 0, "objectCount": 1}]}); sid = j["resource"]["streamId"]
st, j = call("POST", f"/comments/stream/{sid}", {"text": "hi"}); cid = j["resource"]["_id"]
st, p = call("POST", "/projects", {"name": "p"}); pid = p["resource"]["_id"]
st, cl = call("POST", "/clients", {"streamId": sid, "role": "Sender", "documentGuid": "d-1"}); clid = cl["resource"]["_id"]
st, ob = call("POST", "/objects", [{"type": "Point", "value": [5, 5, 7.25]}]); oid = ob["resources"][0]["_id"]
paths = {"comments": f"/comments/{cid}", "streams": f"/streams/{sid}", "projects": f"/projects/{pid}",
         "api_clients": f"/clients/{clid}", "objects": f"/objects/{oid}"}
arrays = {"comments": "labels", "streams": "tags", "projects": "tags", "api_clients": "canRead", "objects": "canRead"}
out = {"server": "SpeckleServer 1.6.0 (real, mongoose 5.9.7), recorded by tests/compat's helper script", "user_id": me, "resources": {}}
for kind, path in paths.items():
    st0, got = call("GET", path)
    doc = dict(got["resource"])
    arr = arrays[kind]
    # one change of a list, sent without __v: accepted, the version goes up
    st1, bump = call("PUT", path, {arr: [me]})
    # the same list change carrying the __v read before: refused
    st2, stale = call("PUT", path, {arr: [me, me], "__v": doc["__v"]})
    out["resources"][kind] = {"path": path, "get": got, "update": {"status": st1, "body": bump},
                              "stale": {"status": st2, "sent_v": doc["__v"], "body": stale}}
print(json.dumps(out, indent=1))
