"""``/comments`` routes (§8.6); every route is family B, ``.message`` style."""

from __future__ import annotations

from .. import models, schema
from ..errors import Family, ServerCrash, SpeckleError, Style, type_error
from ..permissions import Kind, check
from .base import Auth, Call, Document, get_by_id, get_stream, require, route

#: resourceType -> (collection, permission kind, mongoose model name)
RESOURCE_TYPES: dict[str, tuple[str, Kind, str]] = {
    "stream": ("streams", "stream", "DataStream"),
    "streams": ("streams", "stream", "DataStream"),
    "object": ("objects", "object", "SpeckleObject"),
    "objects": ("objects", "object", "SpeckleObject"),
    "project": ("projects", "project", "Project"),
    "projects": ("projects", "project", "Project"),
    "comment": ("comments", "comment", "Comment"),
    "comments": ("comments", "comment", "Comment"),
    "user": ("users", "user", "User"),
}
B = {"family": Family.B, "style": Style.MESSAGE}


def resolve_resource(call: Call, resource_type: str, resource_id: str) -> tuple[str, Kind, Document | None]:
    """Look a comment target up by type (streams by ``streamId``, others by ``_id``)."""
    if resource_type not in RESOURCE_TYPES:
        raise ServerCrash("Cannot read property 'then' of undefined", "TypeError")
    collection, kind, model = RESOURCE_TYPES[resource_type]
    if collection == "streams":
        return collection, kind, get_stream(call, resource_id)
    return collection, kind, get_by_id(call, collection, resource_id, model)


@route("POST", "/comments/:resourceType/:resourceId", auth=Auth.OPTIONAL, **B)
def create_comment(call: Call) -> Document:
    """Comment on a resource; the id is pushed into the target first (as the original does)."""
    rtype, rid = call.params["resourceType"], call.params["resourceId"]
    collection, kind, target = resolve_resource(call, rtype, rid)
    check(call.user, "comment", target, kind)
    if target is None:  # check() refuses a missing resource already; this narrows the type
        raise SpeckleError("Resource not found.")
    if kind == "user":
        raise type_error("push", "undefined")
    # v1 builds the comment, pushes its id into the target and saves both: the target keeps
    # the id even when the comment fails validation (cast failures, then a missing text)
    fields, errors = schema.cast_body("comments", call.body_dict(), models.DEFAULTS["comments"])
    comment = models.new_document(
        "comments", fields, owner=call.uid or None, resource={"resourceType": rtype, "resourceId": rid},
    )
    target.setdefault("comments", []).append(comment["_id"])
    call.store.save(collection, models.touch(target))
    if comment.get("text") in (None, "") and not any(e.path == "text" for e in errors):
        errors.append(schema.required_error("text"))
    if errors:
        raise schema.validation_failure("comments", errors)
    call.store.insert("comments", comment)
    return {"success": True, "message": "Stop talking and chatting and do some work.",
            "resource": models.minimize(comment)}


@route("GET", "/comments/:resourceType/:resourceId", auth=Auth.OPTIONAL, **B)
def list_resource_comments(call: Call) -> Document:
    """The comments of a readable resource."""
    _, kind, target = resolve_resource(call, call.params["resourceType"], call.params["resourceId"])
    check(call.user, "read", target, kind)
    if target is None:  # check() refuses a missing resource already; this narrows the type
        raise SpeckleError("Resource not found.")
    if kind == "user":
        return {"success": True}
    wanted = [c for c in target.get("comments") or [] if isinstance(c, str)]
    found = {c["_id"]: c for c in call.store.find_in("comments", "_id", wanted)}
    return {"success": True, "resources": [models.minimize(found[c]) for c in wanted if c in found]}


def _comment(call: Call) -> Document:
    return require(get_by_id(call, "comments", call.params["commentId"], "Comment"))


@route("GET", "/comments", auth=Auth.MANDATORY, **B)
def list_comments(call: Call) -> Document:
    """Comments the caller owns or is assigned to (full query language)."""
    uid = call.uid
    query = call.query(models.SCHEMAS["comments"])
    found = query.apply(
        call.store.all("comments"),
        scope=lambda c: c.get("owner") == uid or uid in schema.clean_ids(c.get("assignedTo")),
        hydrate="comments",
    )
    return {"success": True, "resources": [models.minimize(c) for c in found]}


@route("GET", "/comments/assigned", auth=Auth.MANDATORY, **B)
def assigned_comments(call: Call) -> Document:
    """Comments assigned to the caller."""
    uid = call.uid
    found = [c for c in call.store.all("comments") if uid in schema.clean_ids(c.get("assignedTo"))]
    return {"success": True, "resources": [models.minimize(c) for c in found]}


@route("GET", "/comments/:commentId", auth=Auth.OPTIONAL, **B)
def get_comment(call: Call) -> Document:
    """One comment (owner/admin only, §4.2)."""
    comment = _comment(call)
    check(call.user, "read", comment, "comment")
    return {"success": True, "resource": models.minimize(comment)}


@route("PUT", "/comments/:commentId", auth=Auth.MANDATORY, **B)
def update_comment(call: Call) -> Document:
    """Set body keys on a comment; ``fields`` lists them."""
    comment = _comment(call)
    body = call.body_dict()
    check(call.user, "write", comment, "comment", body.keys())
    models.check_version(comment, body)
    version = models.versioned("comments", comment, body)
    models.apply("comments", comment, body)
    call.store.save("comments", models.touch(comment, version=version))
    return {"success": True, "message": "Comment edited", "fields": list(body)}


@route("DELETE", "/comments/:commentId", auth=Auth.MANDATORY, **B)
def delete_comment(call: Call) -> Document:
    """Delete a comment (its id stays in the parent)."""
    comment = _comment(call)
    check(call.user, "delete", comment, "comment")
    call.store.delete("comments", [comment["_id"]])
    return {"success": True, "message": "Comment deleted."}
