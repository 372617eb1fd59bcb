"""Document shapes: defaults of each collection and how documents are serialised (§6)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from . import ids, schema
from .errors import SpeckleError, type_error
from .paths import js_key_order, key_error, set_paths, truthy, updated_order

Document = dict[str, Any]


class Late:
    """A default mongoose applies *after* the body's fields (an empty ``Object`` default)."""

    def __init__(self, value: Any) -> None:
        self.value = value


#: No default: the path exists only once something sets it.
NO_DEFAULT: Any = object()

_ACL_PATHS: tuple[tuple[str, Any], ...] = (
    ("owner", NO_DEFAULT), ("private", False), ("canRead", []), ("canWrite", []),
    ("anonymousComments", False), ("comments", []),
)

#: Schema paths of each collection in the order the original models declare them, with their
#: defaults. A document's keys come in mongoose's order: nested objects, then (schema order)
#: the defaults and ``_id``, then the body's new keys, then :class:`Late` defaults, then what
#: the handler sets, then the timestamps and ``__v``.
SCHEMA_PATHS: dict[str, tuple[tuple[str, Any], ...]] = {
    "users": (
        ("name", "John"), ("surname", "Doe"), ("email", NO_DEFAULT), ("password", NO_DEFAULT),
        ("company", NO_DEFAULT), ("apitoken", NO_DEFAULT), ("logins", []), ("avatar", NO_DEFAULT),
        ("role", "user"), ("private", True), ("verified", False), ("archived", False),
        ("providerProfiles", Late({})),
    ),
    "clients": (
        *_ACL_PATHS, ("role", NO_DEFAULT), ("documentName", NO_DEFAULT), ("documentGuid", NO_DEFAULT),
        ("documentType", NO_DEFAULT), ("documentLocation", NO_DEFAULT), ("streamId", NO_DEFAULT),
        ("online", True),
    ),
    "streams": (
        ("streamId", NO_DEFAULT), *_ACL_PATHS, ("name", "Speckle Stream"),
        ("description", "This is a simple speckle stream."), ("commitMessage", NO_DEFAULT), ("tags", []),
        ("baseProperties", Late({})), ("globalMeasures", Late({})), ("isComputedResult", False),
        ("objects", []), ("layers", []), ("viewerLayers", []), ("parent", None), ("children", []),
        ("ancestors", []), ("deleted", False), ("onlineEditable", False), ("jobNumber", ""),
    ),
    "objects": (
        *_ACL_PATHS, ("type", NO_DEFAULT), ("name", None), ("geometryHash", None), ("hash", None),
        ("applicationId", None), ("properties", None), ("deleted", False), ("parent", None),
        ("children", []), ("ancestors", []),
    ),
    "comments": (
        ("owner", NO_DEFAULT), ("comments", []), ("text", NO_DEFAULT), ("flagged", False),
        ("resource", {}), ("otherResources", Late([])), ("closed", False), ("assignedTo", []), ("labels", []),
        ("priority", NO_DEFAULT), ("status", NO_DEFAULT), ("view", Late({})), ("screenshot", NO_DEFAULT),
    ),
    "projects": (
        ("permissions", {"canRead": [], "canWrite": []}), *_ACL_PATHS[:1], ("private", True),
        *_ACL_PATHS[2:], ("name", "A Simple Speckle Project"),
        ("description", "This is a project, which basically helps you share a set a of streams with a set "
                        "of users."),
        ("tags", []), ("streams", []), ("deleted", False), ("jobNumber", ""),
    ),
}
#: Nested paths (sub-documents): mongoose creates them before any default.
NESTED: dict[str, tuple[str, ...]] = {"projects": ("permissions",), "comments": ("resource",)}

DEFAULTS: dict[str, dict[str, Any]] = {
    collection: {k: (v.value if isinstance(v, Late) else v) for k, v in paths if v is not NO_DEFAULT}
    for collection, paths in SCHEMA_PATHS.items()
}
USER_FIELDS = tuple(k for k, _ in SCHEMA_PATHS["users"])
CLIENT_FIELDS = tuple(k for k, _ in SCHEMA_PATHS["clients"])
COMMENT_FIELDS = tuple(k for k, _ in SCHEMA_PATHS["comments"] if k != "resource")
#: Closed models keep only these fields of a client-supplied body.
CLOSED: dict[str, tuple[str, ...]] = {
    "users": USER_FIELDS, "clients": CLIENT_FIELDS, "comments": COMMENT_FIELDS,
}
#: Schema types used to cast query filters (§5.2).
SCHEMAS: dict[str, dict[str, str]] = {
    "streams": {
        "name": "string", "description": "string", "commitMessage": "string", "streamId": "string",
        "jobNumber": "string", "owner": "objectid", "private": "boolean", "deleted": "boolean",
        "isComputedResult": "boolean", "onlineEditable": "boolean", "anonymousComments": "boolean",
        "tags": "string", "canRead": "objectid", "canWrite": "objectid", "parent": "string",
        "children": "string", "createdAt": "date", "updatedAt": "date",
    },
    "objects": {
        "type": "string", "hash": "string", "geometryHash": "string", "applicationId": "string",
        "name": "string", "owner": "objectid", "private": "boolean", "deleted": "boolean",
        "createdAt": "date", "updatedAt": "date",
    },
    "clients": {
        "role": "string", "documentName": "string", "documentGuid": "string",
        "documentType": "string", "documentLocation": "string", "streamId": "string",
        "owner": "objectid", "online": "boolean", "private": "boolean",
        "createdAt": "date", "updatedAt": "date",
    },
    "comments": {
        "text": "string", "owner": "objectid", "closed": "boolean", "flagged": "boolean",
        "priority": "string", "status": "string", "labels": "string", "assignedTo": "objectid",
        "createdAt": "date", "updatedAt": "date",
    },
    "projects": {
        "name": "string", "description": "string", "jobNumber": "string", "owner": "objectid",
        "private": "boolean", "deleted": "boolean", "tags": "string", "streams": "string",
        "canRead": "objectid", "canWrite": "objectid", "createdAt": "date", "updatedAt": "date",
    },
}

for _schema in SCHEMAS.values():
    _schema.setdefault("_id", "objectid")
    _schema.setdefault("comments", "objectid")
SCHEMAS["streams"]["objects"] = "objectid"
SCHEMAS["objects"].update(parent="objectid", children="objectid", ancestors="objectid")
SCHEMAS["projects"].update({"permissions.canRead": "objectid", "permissions.canWrite": "objectid"})

PLACEHOLDER = "Placeholder"


def new_document(collection: str, body: Mapping[str, Any], *, defaults: Mapping[str, Any] | None = None,
                 insert_many: bool = False, **forced: Any) -> Document:
    """A new document with its keys in the order mongoose gives them (see :data:`SCHEMA_PATHS`).

    Arguments:
        collection {str} -- the collection (model) name
        body {Mapping} -- what the client sent, cast to the schema (``_id``/``__v`` ignored)
        defaults {Mapping} -- defaults that depend on the configuration (e.g. streams' ``private``)
        insert_many {bool} -- ``insertMany`` writes ``__v`` before the timestamps
        forced -- fields the handler sets after construction, in that order

    Returns:
        {dict} -- the document

    Raises the mongoose ``ValidationError`` when a body field cannot be cast.
    """
    fields = schema.cast_or_raise(collection, body, DEFAULTS[collection])  # nested paths keep defaults
    paths = SCHEMA_PATHS[collection]
    doc: Document = {key: {} for key in NESTED.get(collection, ())}
    late: list[tuple[str, Any]] = []
    for key, value in paths:
        if defaults is not None and key in defaults:
            value = defaults[key]
        if isinstance(value, Late):
            late.append((key, value.value))
        elif value is not NO_DEFAULT:
            if key in doc and isinstance(value, dict):
                doc[key].update(copy.deepcopy(value))
            else:
                doc[key] = copy.deepcopy(value)
    doc["_id"] = ids.object_id()
    for key, value in fields.items():
        if key not in ("_id", "__v"):
            doc[key] = value
    for key, value in late:
        if value != {}:  # an empty object is not stored (``minimize``)
            doc.setdefault(key, copy.deepcopy(value))
    doc.update(forced)
    stamp = ids.now_iso()
    if insert_many:
        doc["__v"] = 0
    # a createdAt the client gave is kept (cast to a date) and, on creation, is updatedAt too
    doc["createdAt"] = fields.get("createdAt") or stamp
    doc["updatedAt"] = doc["createdAt"]
    doc["__v"] = 0
    doc = minimize(doc)  # empty objects are not stored
    refused = key_error(doc, insert=True)
    if refused is not None:
        raise refused
    return doc


def hydrate(collection: str, raw: Mapping[str, Any], projection: Mapping[str, int] | None = None) -> Document:
    """A stored document as a mongoose document (not ``lean``) orders its keys.

    Mongoose first applies the defaults of the selected schema paths (schema order, then
    ``_id``), then copies the database's fields in their stored order: keys with a default
    move to the front.

    Arguments:
        collection {str} -- the collection (model) name
        raw {Mapping} -- the document as the database returns it (already projected)
        projection {Mapping} -- the projection of the query (``None``: every field)

    Returns:
        {dict} -- the document, keys reordered
    """
    inclusive = bool(projection) and any(projection.values())  # type: ignore[union-attr]
    top = {path.split(".")[0] for path in projection or ()}

    def selected(key: str) -> bool:
        if not projection:
            return True
        return key in top if inclusive else key not in top

    out: Document = {key: raw.get(key, {}) for key in NESTED.get(collection, ()) if selected(key)}
    for key, value in SCHEMA_PATHS[collection]:
        if value is NO_DEFAULT or isinstance(value, Late) or not selected(key):
            continue
        out[key] = raw[key] if key in raw else copy.deepcopy(value)
    if "_id" in raw:
        out["_id"] = raw["_id"]
    for key, value in raw.items():
        out[key] = value
    return out


def array_paths(collection: str) -> frozenset[str]:
    """The schema's array paths of a collection (setting one to a new value bumps ``__v``)."""
    return frozenset(k for k, v in SCHEMA_PATHS[collection]
                     if isinstance(v, list) or (isinstance(v, Late) and isinstance(v.value, list)))


def versioned(collection: str, doc: Mapping[str, Any], changes: Mapping[str, Any]) -> bool:
    """Whether mongoose bumps ``__v`` when ``changes`` are set on ``doc``: an array is set in
    place of a different value (a declared array path given a whole value that casts, or, on open
    models, an array at an undeclared path); setting an item by its index, ``null`` or a value
    that fails its cast bumps nothing."""
    paths = array_paths(collection)
    try:
        cast, _ = schema.cast_body(collection, {k: v for k, v in changes.items() if k in paths}, doc)
    except SpeckleError:
        return False  # the save fails
    if any(type(value) is list and doc.get(key) != value for key, value in cast.items()):
        return True
    model = schema.MODELS[collection]
    if model.strict:
        return False
    arrays: list[list[str]] = []
    try:
        set_paths(changes, model.fields, doc, arrays)
    except SpeckleError:
        return False  # the save fails
    # a declared key set whole is judged by its cast above
    return any(len(path) > 1 or path[0] not in model.fields for path in arrays)


def apply(collection: str, doc: Document, body: Mapping[str, Any], *,
          ignore: tuple[str, ...] = (), skip: tuple[str, ...] = (), late: bool = False) -> Document:
    """``doc.set(body)``: cast the body to the schema and set it on ``doc`` (not ``_id``/``__v``).

    Arguments:
        collection {str} -- the document's collection
        doc {dict} -- the stored document, changed in place
        body {Mapping} -- the client-supplied fields
        ignore {tuple} -- paths whose cast failures are dropped silently (v1 re-assigns them)
        skip {tuple} -- keys set as given (the route already prepared them)
        late {bool} -- the save also writes the missing :class:`Late` defaults (sorted with the
            new keys, as mongoose writes the changed paths)

    Returns:
        dict -- ``doc``
    """
    fields, errors = schema.cast_body(collection, body, doc, skip=skip)
    errors = schema.id_errors(body) + [e for e in errors if e.path not in ignore]
    if errors:
        raise schema.validation_failure(collection, errors)
    refused = key_error(fields, insert=False)
    if refused is not None:
        raise refused
    added = []
    for key, value in fields.items():
        if key in ("_id", "__v"):
            continue
        if key in doc:  # in place; what an object did not hold is appended sorted (see updated_order)
            doc[key] = updated_order(value, doc[key])
            if type(doc[key]) is dict:  # but a JavaScript object lists its index keys first
                js_key_order(doc[key])
        else:
            added.append(key)
    defaults = {}
    if late:
        defaults = {key: copy.deepcopy(value.value) for key, value in SCHEMA_PATHS[collection]
                    if isinstance(value, Late) and key not in doc and key not in fields}
    for key in sorted([*added, *defaults]):
        doc[key] = fields[key] if key in fields else defaults[key]
    return doc


def filter_access_lists(doc: Document) -> None:
    """``doc.canRead = doc.canRead.filter(x => !!x)`` (and ``canWrite``), as v1's updates of
    streams and projects do: the empty entries go, a list that is null (or missing) crashes it."""
    for key in ("canRead", "canWrite"):
        if not isinstance(doc.get(key), list):
            raise type_error("filter", "null" if key in doc else "undefined")
        doc[key] = [user for user in doc[key] if truthy(user)]


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
    return {k: user[k] for k in ("name", "surname", "_id", "email", "company") if k in user}


def placeholder(object_id: Any) -> Document:
    """``{"type": "Placeholder", "_id": id}``."""
    return {"type": PLACEHOLDER, "_id": object_id}


def placeholder_from_db(object_id: Any) -> Document:
    """A placeholder as the original builds it from a stored id (``{_id, type}``)."""
    return {"_id": object_id, "type": PLACEHOLDER}


def placeholders(object_ids: Iterable[Any]) -> list[Document]:
    """Placeholders for a list of ids."""
    return [{"type": PLACEHOLDER, "_id": i} for i in object_ids]


def stream_out(stream: Mapping[str, Any], *, id_first: bool = False, lean: bool = False) -> Document:
    """A stream as returned by the API: ``objects`` as placeholders, minimized.

    ``id_first``: placeholders written ``{_id, type}`` (the stream list) instead of ``{type, _id}``;
    ``lean``: read as a plain object (empty objects stored by an update are kept).
    """
    out = dict(stream) if lean else minimize(stream)
    if isinstance(out.get("objects"), list):
        make = placeholder_from_db if id_first else placeholder
        out["objects"] = [make(o) for o in out["objects"]]
    return out


def is_placeholder(entry: Any) -> bool:
    """Whether an object entry is a placeholder (``type == "Placeholder"``)."""
    return isinstance(entry, dict) and entry.get("type") == PLACEHOLDER
