"""``/clients`` routes (§8.3): permissions come from the client's stream."""

from __future__ import annotations

from .. import ids, models
from ..errors import Family, SpeckleError, type_error
from ..permissions import Operation, check
from .base import Auth, Call, Document, get_by_id, get_stream, route


def _client_with_access(call: Call, operation: Operation, body_keys: list[str] | None = None) -> Document:
    client = get_by_id(call, "clients", call.params["clientId"], "UserAppClient")
    if client is None:
        raise type_error("streamId")
    stream = get_stream(call, client["streamId"]) if isinstance(client.get("streamId"), str) else None
    # only owner/canRead/canWrite of the stream are loaded for this check (no `private`)
    acl = None if stream is None else {k: stream.get(k) for k in ("owner", "canRead", "canWrite")}
    check(call.user, operation, acl, "stream", body_keys)
    return client


@route("POST", "/clients", auth=Auth.OPTIONAL)
def create_client(call: Call) -> Document:
    """Register an application client (anonymous ones get a temporary id only)."""
    body = call.body_dict()
    if call.user is None or body.get("isAnonymous") is True:
        return {"success": True, "message": "Anonymous client created.",
                "resource": {"_id": "temp-" + ids.object_id()}}
    client = models.new_document("clients", body, owner=call.uid)
    call.store.insert("clients", client)
    return {"success": True, "message": "Client created.", "resource": models.minimize(client)}


@route("GET", "/clients", auth=Auth.MANDATORY)
def list_clients(call: Call) -> Document:
    """Clients owned by the caller (filters ignored)."""
    query = call.query()
    clients = query.apply(call.store.find_by("clients", "owner", call.uid), filters=False, hydrate="clients")
    return {"success": True, "message": f"Client list for user {call.uid}",
            "resources": [models.minimize(c) for c in clients]}


@route("GET", "/clients/:clientId", auth=Auth.MANDATORY)
def get_client(call: Call) -> Document:
    """One client, with ``owner`` populated."""
    client = models.minimize(_client_with_access(call, "read"))
    owner = call.store.get("users", client["owner"]) if isinstance(client.get("owner"), str) else None
    client["owner"] = models.populated_user(owner)
    return {"success": True, "message": "Client found.", "resource": client}


@route("PUT", "/clients/:clientId", auth=Auth.MANDATORY)
def update_client(call: Call) -> Document:
    """Merge body fields into a client (write on its stream)."""
    body = call.body_dict()
    client = _client_with_access(call, "write", list(body))
    models.check_version(client, body)
    version = models.versioned("clients", client, body)
    models.apply("clients", client, body)
    call.store.save("clients", models.touch(client, version=version))
    return {"success": True, "message": "Client updated following fields: " + ",".join(body)}


@route("DELETE", "/clients/:clientId", auth=Auth.MANDATORY, family=Family.C)
def delete_client(call: Call) -> Document:
    """Hard-delete a client (write on its stream)."""
    client = _client_with_access(call, "write")
    if not call.store.delete("clients", [client["_id"]]):
        raise SpeckleError("Resource not found.")
    return {"success": True, "message": "Client was deleted! Bye bye data."}
