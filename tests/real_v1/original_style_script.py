"""A script written for the original Python client (PySpeckle 1.x), in the style of its docs.

It runs unchanged with the original client and with this library:
``python original_style_script.py HOST:PORT`` (a v1 server without TLS); it exits non-zero on
the first thing that does not work as the original documented.
"""

import sys
import uuid

from speckle import SpeckleApiClient, SpeckleCache
from speckle.resources.api_clients import ApiClient
from speckle.schemas import Mesh, Point

host = sys.argv[1]
email = f"script-{uuid.uuid4().hex[:10]}@example.com"

client = SpeckleApiClient(host=host, use_ssl=False)
client.register(email=email, password="Speckle<3Python", company="SnakeySnakes", name="Snakey", surname="Snake")

profile = client.accounts.get_profile()
assert profile["email"] == email, profile
client.accounts.update_profile({"name": "Tester"})
assert client.accounts.get_profile()["name"] == "Tester"

# geometry from speckle.schemas, with the original's defaults
origin = Point()
assert origin.value == [0, 0, 0], origin.value
mesh = Mesh(vertices=[0, 0, 0, 1, 0, 0, 0, 1, 0], faces=[0, 0, 1, 2])
stream = client.streams.create({
    "name": "an old script's stream",
    "description": "made the way the original documented",
    "tags": ["test", "example"],
    "commitMessage": "created stream",
    "objects": [origin.dict(), Point(value=[1, 2, 3]).dict(), mesh.dict()],
    "layers": [],
})
assert stream.streamId and stream.name == "an old script's stream"
assert len(client.streams.list()) == 1
objects = client.streams.list_objects(stream.streamId)
assert [o.type for o in objects] == ["Point", "Point", "Mesh"], objects
assert objects[1].value == [1, 2, 3]

client.streams.update(stream.streamId, {"name": "renamed"})
assert client.streams.get(stream.streamId).name == "renamed"

# API clients, as in the API reference
api_client = ApiClient.parse_obj({
    "role": "Hybrid", "documentName": "Test", "documentType": "DataServer",
    "documentLocation": "http://some.server.com", "online": True,
})
assert api_client.role == "Hybrid" and api_client.documentGuid
data = api_client.dict()
data["streamId"] = stream.streamId
new_api_client = client.api_clients.create(data=data)
assert new_api_client.documentName == "Test"
fetched = client.api_clients.get(new_api_client.id)
assert fetched.id == new_api_client.id and fetched.role == "Hybrid"
client.api_clients.update(id=fetched.id, data={"documentName": "newTest"})
assert client.api_clients.get(fetched.id).documentName == "newTest"

# comments: read, change, send back what was read
comment = client.streams.comment_create(stream.streamId, {"text": "Wow this is an amazing comment!"})
client.comments.comment_create(comment.id, {"text": "a reply"})
comment.assignedTo = [client.me["_id"]]
client.comments.update(comment.id, comment.dict())
assert [c.id for c in client.comments.assigned()] == [comment.id]

# the account goes where the v1 connectors look for it
server = f"http://{host}/api/v1"
cache = SpeckleCache()
conn = cache.try_connect()
if not conn:
    cache.create_database()
if not cache.account_exists(server, email):
    cache.write_account(server, "Script server", email, profile["apitoken"])
assert cache.get_account(server, email)[3] == email

client.api_clients.delete(id=fetched.id)
client.streams.delete(id=stream.streamId)
assert client.streams.list() == []
print("original-style script: ok")
