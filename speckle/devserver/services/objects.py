"""``/objects`` routes and the bulk object save (§8.5)."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .. import ids, models, paths, schema
from ..errors import Family, HttpError, ServerCrash, SpeckleError, Style, cast_error, validation_error
from ..jsinspect import cast_value_text
from ..jsonutil import dumps, loads
from ..permissions import check, is_admin
from ..querylang import prepare_projection, project
from ..store import column_value, hash_key
from .base import Auth, Call, Document, RawJson, get_by_id, route

OBJECT_DEFAULTS = models.DEFAULTS["objects"]
_FIELDS = schema.MODELS["objects"].fields
#: declared ``Mixed`` paths of objects (set whole: their keys are not split into paths)
_MIXED = tuple(key for key, spec in _FIELDS.items() if spec is schema.MIXED)


def _refused(entry: Mapping[str, Any], text: str) -> SpeckleError | None:
    """The driver's refusal of a new object's keys (``text``: its stored JSON), if any.

    After :func:`~speckle.devserver.paths.set_paths` no key reached through objects alone
    holds a dot; what is left is a key starting with ``$`` or holding a NUL anywhere, and
    dots in keys of objects inside arrays or inside a ``Mixed`` path. A few substring
    searches of the JSON tell these apart from plain geometry, whose arrays of numbers are
    then never walked.
    """
    if "$" in text or "\\u0000" in text or _object_in_array(text):
        return paths.key_error(loads(text), insert=True)
    for key in _MIXED:
        value = entry.get(key)
        if type(value) is dict:
            refused = paths.key_error(value, insert=True)
            if refused is not None:
                return refused
    return None


def _object_in_array(text: str) -> bool:
    """Whether a JSON text may hold an object inside an array (``[{`` or ``,{``; a string
    holding one of them answers yes too)."""
    brace = text.find("{", 1)
    while brace != -1:
        if text[brace - 1] in "[,":
            return True
        brace = text.find("{", brace + 1)
    return False


NO_PERMISSION = "You do not have permissions to view this object"


def bulk_save(call: Call, entries: Any) -> list[Any]:
    """Hash, globally de-duplicate and insert ``entries``; return them carrying ``_id``.

    Implements steps 1-5 of §8.5 with one indexed hash lookup per chunk and one
    ``executemany`` insert in a single transaction.
    """
    if not isinstance(entries, list):
        raise ServerCrash("objects.forEach is not a function", "TypeError")
    texts: dict[int, str] = {}  # id(entry) -> its JSON text before "hash" was added (saves a re-dump)
    for entry in entries:
        if entry is None:
            raise ServerCrash("Cannot read property 'hash' of null", "TypeError")
        if isinstance(entry, dict) and entry.get("type") != models.PLACEHOLDER and not paths.truthy(entry.get("hash")):
            text = dumps(entry)
            digest = hashlib.md5(text.encode("utf-8")).hexdigest()
            if "hash" not in entry:
                texts[id(entry)] = text
            entry["hash"] = digest
    if all(models.is_placeholder(e) for e in entries):
        return entries
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("hash"), (dict, list)) and entry["hash"] != []:
            # v1 looks the hashes up first: the query cast fails (lowercase kind, model named);
            # an empty array adds nothing to the query's $in (it fails the save's cast instead)
            raise SpeckleError(
                f'Cast to string failed for value {cast_value_text(entry["hash"])} at path "hash"'
                ' for model "SpeckleObject"', "CastError")
    known = call.store.object_ids_by_hash(
        e["hash"] for e in entries if isinstance(e, dict) and isinstance(e.get("hash"), str)
    )
    pending: list[dict[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise SpeckleError(
                f'Parameter "obj" to Document() must be an object, got {_js_text(entry)}',
                "ObjectParameterError",
            )
        digest = entry.get("hash")
        existing = known.get(digest) if isinstance(digest, str) else None
        if existing is not None:
            entry["_id"] = existing
        elif "_id" not in entry:
            pending.append(entry)
    for entry in pending:
        if paths.needs_paths(entry, _FIELDS):  # dotted keys and objects are set as paths
            expanded = paths.set_paths(entry, _FIELDS, OBJECT_DEFAULTS)
            entry.clear()
            entry.update(expanded)
            texts.pop(id(entry), None)
        if schema.cast_in_place("objects", entry, required=("type", "hash")):
            texts.pop(id(entry), None)  # the stored JSON must show the cast values
        for path in ("type", "hash"):
            if entry.get(path) in (None, ""):
                raise validation_error("SpeckleObject", path, f"Path `{path}` is required.")
    if pending:
        _insert(call, pending, texts)
    return entries


def _js_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


#: Keys the server sets on every inserted object (entries carrying them take the slow path).
_FORCED = frozenset(("_id", "owner", "createdAt", "updatedAt", "__v"))
_DEFAULT_KEYS = frozenset(OBJECT_DEFAULTS)
_BEFORE_HASH, _AFTER_HASH = (
    "".join(f"{dumps(k)}:{dumps(v)}," for k, v in part.items())
    for part in (
        dict(list(OBJECT_DEFAULTS.items())[: list(OBJECT_DEFAULTS).index("hash")]),
        dict(list(OBJECT_DEFAULTS.items())[list(OBJECT_DEFAULTS).index("hash") + 1 :]),
    )
)


def _insert(call: Call, pending: list[dict[str, Any]], texts: dict[int, str]) -> None:
    """Insert new objects in one transaction, keys in the order ``insertMany`` stores them.

    That order is the schema defaults (the entry's values in their place), ``_id``, the
    entry's other keys, ``owner``, ``__v`` and the timestamps. For the common entry (no
    schema key of its own but the ``hash`` computed here) the stored JSON is spliced from
    the text serialised for hashing, so each object is dumped once.
    """
    stamp = ids.now_iso()
    owner = call.uid or None
    tail = f'"owner":{dumps(owner)},"__v":0,"createdAt":"{stamp}","updatedAt":"{stamp}"}}'
    rows: list[tuple[Any, ...]] = []
    first_by_hash: dict[str, str] = {}
    for entry, new_id in zip(pending, ids.object_ids(len(pending)), strict=True):
        keys = entry.keys()
        entry_text = texts.get(id(entry))
        if (entry_text is not None and not keys & _FORCED and keys & _DEFAULT_KEYS == {"hash"}
                and "{}" not in entry_text):
            inner = entry_text[1:-1]
            text = (f'{{{_BEFORE_HASH}"hash":"{entry["hash"]}",{_AFTER_HASH}"_id":"{new_id}",'
                    f'{inner}{"," if inner else ""}{tail}')
        else:
            doc = dict(OBJECT_DEFAULTS)
            doc["_id"] = new_id
            doc.update((k, v) for k, v in entry.items() if k not in ("_id", "__v", "createdAt", "updatedAt"))
            doc["owner"] = owner
            doc["_id"] = new_id
            doc["__v"] = 0
            doc["createdAt"] = stamp
            doc["updatedAt"] = stamp
            doc = models.minimize(doc)  # mongoose saves without empty objects
            text = dumps(doc)
        refused = _refused(entry, text)
        if refused is not None:
            raise refused  # nothing of the batch is inserted
        rows.append((new_id, text, column_value(entry["hash"]), hash_key(entry["hash"]), owner,
                     1 if entry.get("private") else 0, stamp))
        entry["_id"] = first_by_hash.setdefault(entry["hash"], new_id)
    call.store.insert_rows("objects", rows)


@route("POST", "/objects", auth=Auth.MANDATORY)
def create_objects(call: Call) -> Document:
    """Save one object or an array of objects; answer one placeholder per entry."""
    body = call.body if isinstance(call.body, list) else [call.body]
    saved = bulk_save(call, body)
    return {"success": True, "message": "Saved objects to database.",
            "resources": [models.placeholder(e.get("_id")) for e in saved]}


def lodash_merge(target: Any, source: Any) -> Any:
    """Deep merge like lodash ``merge`` (objects by key, arrays index by index)."""
    if isinstance(target, dict) and isinstance(source, dict):
        for key, value in source.items():
            target[key] = lodash_merge(target.get(key), value) if key in target else copy.deepcopy(value)
        return target
    if isinstance(target, list) and isinstance(source, list):
        for index, value in enumerate(source):
            if index < len(target):
                target[index] = lodash_merge(target[index], value)
            else:
                target.append(copy.deepcopy(value))
        return target
    return copy.deepcopy(source)


@route("POST", "/objects/derive", auth=Auth.MANDATORY)
def derive_objects(call: Call) -> Document:
    """Save merged copies of existing readable objects (database order)."""
    if not isinstance(call.body, list):
        raise HttpError(400, {"success": False, "message": "Malformed request."})
    changes: dict[str, list[dict[str, Any]]] = {}
    for entry in call.body:
        _id = entry.get("_id") if isinstance(entry, dict) else None
        if not ids.is_object_id(_id):
            raise cast_error(_id, "SpeckleObject")
        changes.setdefault(_id, []).append(entry)
    derived: list[dict[str, Any]] = []
    for original in call.store.object_seq_order(changes):
        if not _readable(call, original):
            continue
        for change in changes[original["_id"]]:
            merged = lodash_merge(copy.deepcopy(original), change)
            for key in ("hash", "_id", "createdAt"):
                merged.pop(key, None)
            derived.append(merged)
    saved = bulk_save(call, derived) if derived else []
    return {"success": True, "message": "Saved objects to database.",
            "resources": [models.placeholder(e.get("_id")) for e in saved]}


def _readable(call: Call, obj: dict[str, Any]) -> bool:
    try:
        check(call.user, "read", obj, "object")
    except SpeckleError:
        return False
    return True


def _no_permission(object_id: Any) -> dict[str, Any]:
    return {"_id": object_id, "type": "String", "value": NO_PERMISSION}


@route("POST", "/objects/getbulk", auth=Auth.OPTIONAL, family=Family.C, style=Style.MESSAGE)
def get_bulk(call: Call) -> Document | RawJson:
    """One entry per requested id, in request order; placeholders for the rest."""
    wanted = call.body
    if isinstance(wanted, dict):  # ``{$in: body}`` casts the object itself
        raise cast_error(wanted, "SpeckleObject")
    if not isinstance(wanted, list):
        raise SpeckleError("req.body.map is not a function", "TypeError")
    for _id in wanted:
        if not ids.is_object_id(_id):
            raise cast_error(_id, "SpeckleObject")
    query = call.query(models.SCHEMAS["objects"])
    projection = prepare_projection(query.projection, query.raw)
    rows = call.store.object_rows(wanted)
    admin = is_admin(call.user)
    uid = call.uid
    if not query.criteria and not projection:
        parts: list[str] = []
        for _id in wanted:
            row = rows.get(_id)
            if row is not None and (not row[1] or admin or (uid and row[0] == uid)):
                parts.append(row[2])
            elif row is not None and _readable(call, json.loads(row[2])):
                parts.append(row[2])
            else:
                parts.append(dumps(_no_permission(_id)))
        return RawJson('{"success":true,"resources":[' + ",".join(parts) + "]}")
    out: list[Any] = []
    cache: dict[str, dict[str, Any] | None] = {}
    for _id in wanted:
        if _id not in cache:
            row = rows.get(_id)
            doc = json.loads(row[2]) if row else None
            ok = doc is not None and _readable(call, doc) and query.match(doc)
            cache[_id] = project(doc, projection) if ok and doc is not None else None
        doc = cache[_id]
        out.append(doc if doc is not None else _no_permission(_id))
    return {"success": True, "resources": out}


def _get_object(call: Call) -> dict[str, Any]:
    obj = get_by_id(call, "objects", call.params["objectId"], "SpeckleObject")
    if obj is None:
        raise SpeckleError("Resource not found.")
    return obj


@route("GET", "/objects/:objectId", auth=Auth.OPTIONAL)
def get_object(call: Call) -> Document:
    """One object (prepared projection)."""
    query = call.query()  # parsed first, as v1 does (a query it cannot parse crashes it)
    obj = _get_object(call)
    check(call.user, "read", obj, "object")
    projection = prepare_projection(query.projection, query.raw)
    obj = models.hydrate("objects", project(obj, projection), projection)
    obj.pop("partOf", None)
    return {"success": True, "resource": models.minimize(obj)}


#: The paths the object schema declares (their values are saved as set, empty objects included).
_DECLARED = frozenset(key for key, _ in models.SCHEMA_PATHS["objects"]) | {"_id", "__v", "createdAt", "updatedAt"}


def _minimize_undeclared(obj: dict[str, Any], body: Mapping[str, Any]) -> None:
    """Save undeclared keys of an update without empty objects, as mongoose does (``minimize``).

    Declared paths (``properties``...) keep an empty object; on an undeclared key it is dropped,
    and the key too when nothing is left.
    """
    for key in body:
        if key in _DECLARED or not isinstance(obj.get(key), dict):
            continue
        value = models.minimize(obj[key])
        if value:
            obj[key] = value
        else:
            del obj[key]


@route("PUT", "/objects/:objectId", auth=Auth.MANDATORY)
def update_object(call: Call) -> Document:
    """Set body keys on an object (hash not recomputed)."""
    obj = _get_object(call)
    body = call.body_dict()
    check(call.user, "write", obj, "object", body.keys())
    models.check_version(obj, body)
    before = copy.deepcopy(obj)
    version = models.versioned("objects", obj, body)
    models.apply("objects", obj, body)
    _minimize_undeclared(obj, body)
    if obj != before:  # mongoose saves nothing (updatedAt unchanged) when no value changed
        call.store.save("objects", models.touch(obj, version=version))
    return {"success": True, "message": "Object updated."}


@route("PUT", "/objects/:objectId/properties", auth=Auth.MANDATORY)
def update_object_properties(call: Call) -> Document:
    """Shallow-merge the body into ``properties`` (nothing merged when ``properties`` is null,
    but the object is saved all the same: its ``updatedAt`` changes).

    An object saved without ``properties`` (an empty one is dropped when saved) gets its
    default, ``null``, written at the end of the stored document, as v1's save does.
    """
    obj = _get_object(call)
    check(call.user, "write", obj, "object")
    if isinstance(obj.get("properties"), dict):
        obj["properties"].update(call.body_dict())
    elif "properties" not in obj:
        obj["properties"] = None
    # ``markModified('properties')`` then ``save()``: saved, and updatedAt set, even when null
    call.store.save("objects", models.touch(obj, version=False))
    return {"success": True, "message": "Object properties updated."}


@route("DELETE", "/objects/:objectId", auth=Auth.MANDATORY, family=Family.C)
def delete_object(call: Call) -> Document:
    """Hard-delete an object (owner or admin)."""
    obj = _get_object(call)
    check(call.user, "delete", obj, "object")
    call.store.delete("objects", [obj["_id"]])
    return {"success": True, "message": "Object was deleted. Bye bye data."}
