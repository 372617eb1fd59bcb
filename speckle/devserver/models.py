"""Document shapes: defaults of each collection and how documents are serialised (§6)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from . import ids, schema
from .errors import SpeckleError

Document = dict[str, Any]

_ACL: dict[str, Any] = {
    "private": False, "canRead": [], "canWrite": [], "anonymousComments": False, "comments": [],
}

USER_FIELDS = (
    "name", "surname", "email", "password", "company", "apitoken", "logins", "avatar",
    "role", "private", "verified", "archived", "providerProfiles",
)
CLIENT_FIELDS = (
    "owner", "private", "canRead", "canWrite", "anonymousComments", "comments", "role",
    "documentName", "documentGuid", "documentType", "documentLocation", "streamId", "online",
)
COMMENT_FIELDS = (
    "owner", "comments", "text", "flagged", "resource", "otherResources", "closed",
    "assignedTo", "labels", "priority", "status", "view", "screenshot",
)

DEFAULTS: dict[str, dict[str, Any]] = {
    "users": {
        "name": "John", "surname": "Doe", "logins": [], "role": "user", "private": True,
        "verified": False, "archived": False, "providerProfiles": {},
    },
    "clients": {**_ACL, "online": True},
    "streams": {
        **_ACL, "name": "Speckle Stream", "description": "This is a simple speckle stream.",
        "tags": [], "baseProperties": {}, "globalMeasures": {}, "isComputedResult": False,
        "objects": [], "layers": [], "viewerLayers": [], "parent": None, "children": [],
        "ancestors": [], "deleted": False, "onlineEditable": False, "jobNumber": "",
    },
    "objects": {
        **_ACL, "geometryHash": None, "applicationId": None, "name": None, "properties": None,
        "deleted": False, "parent": None, "children": [], "ancestors": [],
    },
    "comments": {
        "comments": [], "flagged": False, "otherResources": [], "closed": False,
        "assignedTo": [], "labels": [], "view": {},
    },
    "projects": {
        **_ACL, "private": True, "name": "A Simple Speckle Project", "tags": [], "streams": [],
        "permissions": {"canRead": [], "canWrite": []}, "deleted": False, "jobNumber": "",
    },
}
#: Closed models keep only these fields of a client-supplied body.
CLOSED: dict[str, tuple[str, ...]] = {
    "users": USER_FIELDS, "clients": CLIENT_FIELDS, "comments": COMMENT_FIELDS,
}
#: Schema types used to cast query filters (§5.2).
SCHEMAS: dict[str, dict[str, str]] = {
    "streams": {
        "name": "string", "description": "string", "commitMessage": "string", "streamId": "string",
        "jobNumber": "string", "owner": "string", "private": "boolean", "deleted": "boolean",
        "isComputedResult": "boolean", "onlineEditable": "boolean", "anonymousComments": "boolean",
        "tags": "string", "canRead": "string", "canWrite": "string", "parent": "string",
        "children": "string", "createdAt": "date", "updatedAt": "date",
    },
    "objects": {
        "type": "string", "hash": "string", "geometryHash": "string", "applicationId": "string",
        "name": "string", "owner": "string", "private": "boolean", "deleted": "boolean",
        "createdAt": "date", "updatedAt": "date",
    },
    "clients": {
        "role": "string", "documentName": "string", "documentGuid": "string",
        "documentType": "string", "documentLocation": "string", "streamId": "string",
        "owner": "string", "online": "boolean", "private": "boolean",
        "createdAt": "date", "updatedAt": "date",
    },
    "comments": {
        "text": "string", "owner": "string", "closed": "boolean", "flagged": "boolean",
        "priority": "string", "status": "string", "labels": "string", "assignedTo": "string",
        "createdAt": "date", "updatedAt": "date",
    },
    "projects": {
        "name": "string", "description": "string", "jobNumber": "string", "owner": "string",
        "private": "boolean", "deleted": "boolean", "tags": "string", "streams": "string",
        "canRead": "string", "canWrite": "string", "createdAt": "date", "updatedAt": "date",
    },
}

PLACEHOLDER = "Placeholder"


def new_document(collection: str, body: Mapping[str, Any], **forced: Any) -> Document:
    """A new document: ``_id``, schema defaults, the body cast to the schema (§6), ``forced``.

    Raises the mongoose ``ValidationError`` when a body field cannot be cast.
    """
    fields = schema.cast_or_raise(collection, body, DEFAULTS[collection])  # nested paths keep defaults
    fields.pop("_id", None)
    fields.pop("__v", None)
    stamp = ids.now_iso()
    doc: Document = {"_id": ids.object_id()}
    doc.update(copy.deepcopy(DEFAULTS[collection]))
    doc.update(fields)
    doc.update(forced)
    doc["createdAt"] = stamp
    doc["updatedAt"] = stamp
    doc["__v"] = 0
    return doc


def apply(collection: str, doc: Document, body: Mapping[str, Any], *,
          ignore: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> Document:
    """``doc.set(body)``: cast the body to the schema and set it on ``doc`` (not ``_id``/``__v``).

    Arguments:
        collection {str} -- the document's collection
        doc {dict} -- the stored document, changed in place
        body {Mapping} -- the client-supplied fields
        ignore {tuple} -- paths whose cast failures are dropped silently (v1 re-assigns them)
        skip {tuple} -- keys set as given (the route already prepared them)

    Returns:
        dict -- ``doc``
    """
    fields, errors = schema.cast_body(collection, body, doc, skip=skip)
    errors = [e for e in errors if e.path not in ignore]
    if errors:
        raise schema.validation_failure(collection, errors)
    for key, value in fields.items():
        if key not in ("_id", "__v"):
            doc[key] = value
    return doc


def touch(doc: Document, *, version: bool = True) -> Document:
    """Bump ``updatedAt`` (and ``__v``) before a save."""
    doc["updatedAt"] = ids.now_iso()
    if version:
        doc["__v"] = int(doc.get("__v") or 0) + 1
    return doc


def check_version(doc: Mapping[str, Any], body: Mapping[str, Any]) -> None:
    """Refuse an update that carries a stale ``__v`` and changes a list, as mongoose does.

    The original server copies the body onto the document and saves it; a save that changes an
    array is versioned (``WHERE __v = <the __v sent>``), so a ``__v`` other than the stored one
    makes it fail with a ``VersionError`` (rendered by each route as the original did: 404 for
    comments and projects, 400 ``VersionError: ...`` for streams, objects and clients). Updates
    without ``__v``, or changing no list, are not checked.

    Raises:
        SpeckleError -- the ``VersionError``
    """
    if "__v" not in body:
        return
    sent = body["__v"]
    modified = [key for key, value in body.items() if key != "_id" and value != doc.get(key)]
    if sent != doc.get("__v") and any(isinstance(body[key], list) for key in modified if key != "__v"):
        raise SpeckleError(
            f'No matching document found for id "{doc.get("_id")}" version {sent} '
            f'modifiedPaths "{", ".join(modified)}"',
            "VersionError",
        )


def minimize(doc: Mapping[str, Any]) -> Document:
    """Drop empty-object values like mongoose ``toJSON`` (``minimize: true``)."""
    out: Document = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            value = minimize(value)
            if not value:
                continue
        out[key] = value
    return out


def user_out(user: Mapping[str, Any]) -> Document:
    """A user document as returned by the API: no password, minimized."""
    return minimize({k: v for k, v in user.items() if k != "password"})


def populated_user(user: Mapping[str, Any] | None) -> Document | None:
    """``{_id, name, surname, email, company}`` as mongoose ``populate`` returns it."""
    if user is None:
        return None
    return {k: user[k] for k in ("_id", "name", "surname", "email", "company") if k in user}


def placeholder(object_id: Any) -> Document:
    """``{"type": "Placeholder", "_id": id}``."""
    return {"type": PLACEHOLDER, "_id": object_id}


def placeholders(object_ids: Iterable[Any]) -> list[Document]:
    """Placeholders for a list of ids."""
    return [{"type": PLACEHOLDER, "_id": i} for i in object_ids]


def stream_out(stream: Mapping[str, Any]) -> Document:
    """A stream as returned by the API: ``objects`` as placeholders, minimized."""
    out = minimize(stream)
    if isinstance(out.get("objects"), list):
        out["objects"] = placeholders(out["objects"])
    return out


def is_placeholder(entry: Any) -> bool:
    """Whether an object entry is a placeholder (``type == "Placeholder"``)."""
    return isinstance(entry, dict) and entry.get("type") == PLACEHOLDER
