"""``/streams`` routes (§8.4)."""

from __future__ import annotations

import copy
import datetime
import operator
import re
import uuid
from collections.abc import Callable, Container, Iterator
from typing import Any

from .. import ids, models, schema
from ..errors import Family, HttpError, ServerCrash, SpeckleError, Style, type_error
from ..jsonutil import dumps
from ..permissions import check, is_member
from ..querylang import prepare_projection, project
from .base import Auth, Call, Document, RawJson, Reply, get_stream, get_users, require, route
from .objects import bulk_save

SCHEMA = models.SCHEMAS["streams"]


def generated_layer(name: str, count: int) -> Document:
    """The single layer the server invents (default or flattened)."""
    return {
        "name": name, "guid": str(uuid.uuid4()), "orderIndex": 0, "startIndex": 0,
        "objectCount": count, "topology": f"0;0-{count} ",
        "properties": {"color": {"a": 1, "hex": "Black"}},
    }


def new_stream_id(call: Call) -> str:
    """A fresh, unused shortid."""
    while True:
        candidate = ids.short_id()
        if get_stream(call, candidate) is None:
            return candidate


def _object_ids(saved: list[Any]) -> list[Any]:
    return [e.get("_id") if isinstance(e, dict) else None for e in saved]


def _readable_stream(call: Call, stream_id: str, *, shared: bool = False) -> Document:
    """The stream, if the caller may read it (``shared``: see :func:`get_stream`)."""
    stream = require(get_stream(call, stream_id, shared=shared))
    check(call.user, "read", stream, "stream")
    return stream


@route("POST", "/streams", auth=Auth.MANDATORY)
def create_stream(call: Call) -> Document:
    """Create a stream, bulk-saving its objects."""
    body = call.body_dict()
    saved = bulk_save(call, body["objects"]) if "objects" in body else []
    stream = models.new_document(
        "streams", body, defaults={"private": not call.config.public_streams},
        owner=call.uid, streamId=new_stream_id(call), objects=_object_ids(saved),
    )
    call.store.insert("streams", stream)
    out = models.minimize(stream)
    out["objects"] = [{"type": models.PLACEHOLDER, "_id": o} for o in stream["objects"]]
    return {"success": True, "resource": out, "message": "Created stream"}


def _populate_permissions(call: Call, streams: list[Document]) -> None:
    wanted = {u for s in streams for key in ("canRead", "canWrite") for u in schema.clean_ids(s.get(key))}
    users = get_users(call, list(wanted))
    for stream in streams:
        for key in ("canRead", "canWrite"):
            if isinstance(stream.get(key), list):
                stream[key] = [models.populated_user(users[u]) for u in stream[key]
                               if isinstance(u, str) and u in users]


def _list_streams(call: Call, *, scoped: bool) -> list[Document]:
    query = call.query(SCHEMA)
    populate = False
    for crit in list(query.criteria):
        if "populatePermissions" in crit and scoped:
            value = crit["populatePermissions"]
            if value and not isinstance(value, dict):
                populate = True
                query.criteria.remove(crit)
    uid = call.uid

    def mine(stream: Document) -> bool:
        return is_member(uid, stream)

    if scoped and query.projection and any(query.projection.values()):
        # populate() of canRead/canWrite adds them to an inclusive projection
        query.projection = {**query.projection, "canRead": 1, "canWrite": 1}
    streams = query.apply(call.store.all("streams"), scope=mine if scoped else None, hydrate="streams")
    if populate:
        _populate_permissions(call, streams)
    return [models.stream_out(s, id_first=True) for s in streams]


@route("GET", "/streams", auth=Auth.MANDATORY, style=Style.SOMETHING_FAILED)
def list_streams(call: Call) -> Document:
    """Streams the caller owns or shares."""
    return {"success": True,
            "message": "Stream list returned. Contains both owned and shared with streams.",
            "resources": _list_streams(call, scoped=True)}


@route("GET", "/streams/admin", auth=Auth.ADMIN, style=Style.SOMETHING_FAILED)
def list_all_streams(call: Call) -> Document:
    """Every stream (admin)."""
    return {"success": True, "message": "Master stream list returned.",
            "resources": _list_streams(call, scoped=False)}


@route("GET", "/streams/:streamId", auth=Auth.OPTIONAL, family=Family.B, style=Style.MESSAGE)
def get_one_stream(call: Call) -> Document:
    """One stream; ``layers`` always present (a default layer is invented when needed)."""
    query = call.query()  # parsed first, as v1 does (a query it cannot parse crashes it)
    stream = _readable_stream(call, call.params["streamId"], shared=True)  # (projected into a new dict)
    out = models.stream_out(project(stream, prepare_projection(query.projection, query.raw)), lean=True)
    if not out.get("layers"):
        objects = out.get("objects")
        out["layers"] = (
            [generated_layer("Default Generated Speckle Layer", len(objects))]
            if isinstance(objects, list) else []
        )
    return {"success": True, "message": "Delivered stream.", "resource": out}


@route("PUT", "/streams/:streamId", auth=Auth.MANDATORY)
def update_stream(call: Call) -> Document:
    """Set body keys on a stream (see §8.4 for ``streamId`` and ``objects`` quirks)."""
    stream = require(get_stream(call, call.params["streamId"]))
    body = dict(call.body_dict())
    check(call.user, "write", stream, "stream", body.keys())
    if "streamId" in body and next(iter(body)) != "streamId":
        del body["streamId"]
    saved_objects = False
    if "objects" in body:
        entries = body["objects"]
        if not isinstance(entries, list):
            raise ServerCrash("req.body.objects.filter is not a function", "TypeError")
        full = [e for e in entries if not models.is_placeholder(e)]
        if full:
            body["objects"] = _object_ids(bulk_save(call, full))
            saved_objects = True
    models.check_version(stream, body)
    for key in ("canRead", "canWrite"):  # stream.canRead.filter(...) crashes before the save validates
        if key in body and body[key] is None:
            raise type_error("filter", "null")
    # mongoose bumps __v when an array path changes (canRead/canWrite compared as sent, nulls included)
    version = models.versioned("streams", stream, {k: v for k, v in body.items() if k != "objects"})
    objects_before = stream.get("objects")
    # v1 re-assigns canRead/canWrite (nulls filtered out) after setting the body, which
    # drops their cast failures: the old lists stay; `objects` is re-assigned likewise
    # when objects were saved
    models.apply("streams", stream, body, ignore=("canRead", "canWrite"),
                 skip=("objects",) if saved_objects else (), late=True)
    models.filter_access_lists(stream)  # after the body is set
    version = version or stream.get("objects") != objects_before
    call.store.save("streams", models.touch(stream, version=version))
    return {"success": True, "message": "Patched stream fields: " + ",".join(body.keys())}


@route("DELETE", "/streams/:streamId", auth=Auth.MANDATORY, family=Family.C)
def delete_stream(call: Call) -> Document:
    """Hard-delete a stream and its direct children."""
    stream = require(get_stream(call, call.params["streamId"]))
    check(call.user, "delete", stream, "stream")
    children = [c for c in stream.get("children") or [] if isinstance(c, str)]
    doomed = [stream["_id"]] + [c["_id"] for c in call.store.find_in("streams", "streamId", children)]
    call.store.delete("streams", doomed)
    return {"success": True,
            "message": f"Stream {stream['streamId']} and its children have been deleted.",
            "deletedStreams": [*children, stream["streamId"]]}


def clone_stream(call: Call, source: Document, name: Any) -> Document:
    """Copy ``source`` as its new child (ownership rules of §8.4); both are saved."""
    clone = copy.deepcopy(source)
    stamp = ids.now_iso()
    clone.update(
        _id=ids.object_id(), streamId=new_stream_id(call), parent=source["streamId"], children=[],
        name=name or f"{source.get('name')} (clone)", createdAt=stamp, updatedAt=stamp, __v=0,
    )
    if call.uid != source.get("owner"):
        clone.update(owner=call.uid, canRead=[source.get("owner")], canWrite=[])
    call.store.insert("streams", clone)
    source.setdefault("children", []).append(clone["streamId"])
    call.store.save("streams", models.touch(source))
    return clone


def _without_content(stream: Document) -> Document:
    out = models.stream_out(stream)
    out.pop("objects", None)
    out.pop("layers", None)
    return out


@route("POST", "/streams/:streamId/clone", auth=Auth.MANDATORY, style=Style.OBJECT)
def clone(call: Call) -> Document:
    """Clone a readable stream."""
    source = _readable_stream(call, call.params["streamId"])
    new = clone_stream(call, source, call.body_dict().get("name"))
    return {"success": True, "clone": _without_content(new), "parent": _without_content(source)}


def _two_readable(call: Call) -> tuple[Document, Document]:
    first = get_stream(call, call.params["streamId"])
    second = get_stream(call, call.params["otherId"])
    if first is None or second is None:
        raise SpeckleError("Failed to find streams.")
    check(call.user, "read", first, "stream")
    check(call.user, "read", second, "stream")
    return first, second


@route("GET", "/streams/:streamId/diff/:otherId", auth=Auth.OPTIONAL)
def diff(call: Call) -> Document:
    """Compare objects (plain ids) and stored layers (by guid) of two streams."""
    if call.params["streamId"] == call.params["otherId"]:
        raise HttpError(400, {"success": False, "message": "Can not diff the same stream, yo!"})
    a, b = _two_readable(call)
    a_objs, b_objs = a.get("objects") or [], b.get("objects") or []
    b_set, a_set = set(map(str, b_objs)), set(map(str, a_objs))
    a_layers, b_layers = a.get("layers") or [], b.get("layers") or []
    b_guids = {layer.get("guid") for layer in b_layers if isinstance(layer, dict)}
    a_guids = {layer.get("guid") for layer in a_layers if isinstance(layer, dict)}
    return {
        "success": True,
        "objects": {"common": [o for o in a_objs if str(o) in b_set],
                    "inA": [o for o in a_objs if str(o) not in b_set],
                    "inB": [o for o in b_objs if str(o) not in a_set]},
        "layers": {"common": [x for x in a_layers if x.get("guid") in b_guids],
                   "inA": [x for x in a_layers if x.get("guid") not in b_guids],
                   "inB": [x for x in b_layers if x.get("guid") not in a_guids]},
    }


def _sender(call: Call, stream: Document) -> Document | None:
    for client in call.store.find_by("clients", "streamId", stream["streamId"]):
        if client.get("role") == "Sender":
            if client.get("documentType") is None:
                raise type_error("documentType", "undefined")
            return client
    return None


def _revision(stream: Document, sender: Document | None) -> Document:
    if sender is None:
        return {"id": stream["streamId"], "updatedAt": "undefined", "sender": "undefined"}
    return {"id": stream["streamId"], "updatedAt": ids.locale_string(sender.get("updatedAt")),
            "sender": sender.get("documentType")}


@route("GET", "/streams/:streamId/delta/:otherId", auth=Auth.OPTIONAL)
def get_delta(call: Call) -> Document | Reply:
    """Delta from stream A to stream B, with sender metadata."""
    if call.params["streamId"] == call.params["otherId"]:
        raise HttpError(400, {"success": False, "message": "Can not diff the same stream, yo!"})
    a, b = _two_readable(call)
    sender_a, sender_b = _sender(call, a), _sender(call, b)
    a_objs, b_objs = a.get("objects") or [], b.get("objects") or []
    a_set, b_set = set(map(str, a_objs)), set(map(str, b_objs))
    stamp = ids.locale_string()
    author: Any = "undefined"
    if sender_a is not None:
        owner = call.store.get("users", sender_a["owner"]) if isinstance(sender_a.get("owner"), str) else None
        author = models.populated_user(owner)
    body: Document = {
        "success": True,
        "revisionDatetime": stamp,
        "author": author,
        "delta": {
            "created": models.placeholders(o for o in b_objs if str(o) not in a_set),
            "deleted": models.placeholders(o for o in a_objs if str(o) not in b_set),
            "common": models.placeholders(o for o in a_objs if str(o) in b_set),
            "revisionA": _revision(a, sender_a),
            "revisionB": _revision(b, sender_b),
            "timestamp": stamp,
        },
    }
    missing = [name for name, sender in (("A", sender_a), ("B", sender_b)) if sender is None]
    if not missing:
        return body
    message = f"Clients from Stream {' and Stream '.join(missing)} are undefined"
    return Reply({"success": True, "message": message, **body}, 400)


@route("POST", "/streams/:streamId/delta", auth=Auth.MANDATORY, style=Style.STRINGIFY)
def apply_delta(call: Call) -> Document:
    """Apply a delta (after saving a backup clone) — no permission check, as in the original."""
    stream = require(get_stream(call, call.params["streamId"]))
    body = call.body_dict()
    clone_stream(call, stream, body.get("name"))
    revision = body.get("revisionA")
    if not isinstance(revision, dict) or revision.get("id") != stream["streamId"]:
        raise SpeckleError("Mismatched revision/streamId.")
    current = list(stream.get("objects") or [])
    present = set(map(str, current))
    created = body.get("created") or []
    deleted = body.get("deleted") or []
    if not isinstance(created, list) or not isinstance(deleted, list):
        raise SpeckleError("Bad delta.")
    if any(isinstance(e, dict) and str(e.get("_id")) in present for e in created):
        raise SpeckleError("Bad delta. Some `delta.created` objects are existing in the original stream.")
    gone = {str(e.get("_id")) if isinstance(e, dict) else str(e) for e in deleted}
    if not gone <= present:
        raise SpeckleError("Bad delta. Some `delta.deleted` objects are not existing in the original stream.")
    added = _object_ids(bulk_save(call, created)) if created else []
    objects = [o for o in current if str(o) not in gone] + added
    stream["objects"] = objects
    stream["layers"] = [generated_layer("Flattened Layer Structure", len(objects))]
    call.store.save("streams", models.touch(stream))
    return {"success": True, "message": "Applied Delta Δ"}


def _query_after_check(call: Call, schema: dict[str, str]) -> Any:
    """The query of a route that parses it inside its promise chain (after the permission check):
    a query v1 cannot parse is a handler error there, not a crash."""
    try:
        return call.query(schema)
    except ServerCrash as exc:
        raise exc.rejected() from exc


@route("GET", "/streams/:streamId/objects", auth=Auth.OPTIONAL, family=Family.C, style=Style.MESSAGE)
def stream_objects(call: Call) -> Document:
    """The stream's objects in stream order, duplicates repeated (§8.4)."""
    stream = _readable_stream(call, call.params["streamId"], shared=True)  # (read only)
    entries = stream.get("objects") or []
    query = _query_after_check(call, models.SCHEMAS["objects"])
    versions_only = _versions_only(query)
    if versions_only:  # e.g. ?fields=updatedAt: answered from an index, without the documents
        docs = _versions(call, stream, entries, query)
        if docs is not None:
            return RawJson('{"success":true,"resources":' + dumps(docs) + ',"message":' + dumps(_LIST_MESSAGE) + "}")
    order = [o for o in entries if isinstance(o, str)]
    if versions_only:
        found = call.store.object_versions(order)
        present = set(order)
        docs = query.apply([{"_id": _id, "updatedAt": updated} if updated is not None else {"_id": _id}
                            for _id, updated in sorted(found.items()) if _id in present], hydrate="objects")
    else:
        docs = query.apply(call.store.find_in("objects", "_id", order), hydrate="objects")
    by_id = {d["_id"]: d for d in docs if "_id" in d}
    return {"success": True, "resources": [by_id[o] for o in order if o in by_id], "message": _LIST_MESSAGE}


def _versions(call: Call, stream: Document, entries: list[Any], query: Any) -> list[Document] | None:
    """The answer of a query of versions only (``_id``, ``updatedAt``) without sorting: no
    criteria, or ``updatedAt`` compared with dates, then paging; None for other queries.

    A stream is checked often and rarely changes: what exists of it is remembered by the store
    (:meth:`~speckle.devserver.store.Store.present_objects`), so that a check finding nothing
    changed, or counting, reads no document and walks no list of the stream's size.
    """
    bounds = _date_bounds(query) if not query.sort else None
    if bounds is None:
        return None
    wanted = "updatedAt" in query.projection

    def order() -> list[str]:
        return [o for o in entries if isinstance(o, str)]

    if not (bounds or query.offset or query.limit):
        ids = order()
        found = call.store.object_versions(ids)
        return _in_stream_order(ids, found, found, wanted)
    present, existing, oldest = call.store.present_objects(
        (stream["streamId"], stream.get("updatedAt"), len(entries)), order)
    lower = max((text for compare, text in bounds if compare in (operator.ge, operator.gt)), default=None)
    # every object at or after the bound (e.g. ?updatedAt>=1970-...): nothing to test one by one
    everything = (bool(bounds) and all(compare is operator.ge for compare, _ in bounds)
                  and oldest is not None and lower is not None and lower <= oldest)
    found: dict[str, Any] = {}
    if bounds and not everything:
        found = call.store.object_versions(present, since=lower, span=(present[0], present[-1])) if present else {}
        present = sorted(_id for _id, stored in found.items() if _id in existing
                         and _within_bounds(stored, bounds, query, _id))
    present = present[query.offset:]
    keep = present[:query.limit] if query.limit else present
    if wanted and not found:  # the versions of what is shown only
        found = call.store.object_versions(keep)
    if len(keep) <= _FEW:  # their places in the stream, without walking it in Python
        places = sorted(place for _id in keep for place in _places(entries, _id))
        return [_version(entries[place], found, wanted) for place in places]
    return _in_stream_order(order(), set(keep), found, wanted)


#: At most this many ids are placed in a stream by ``list.index`` (each a scan in C).
_FEW = 16


def _places(entries: list[Any], _id: str) -> Iterator[int]:
    """Every position of ``_id`` in ``entries``."""
    start = 0
    while True:
        try:
            start = entries.index(_id, start)
        except ValueError:
            return
        yield start
        start += 1


def _version(_id: str, found: dict[str, Any], wanted: bool) -> Document:
    return {"_id": _id, "updatedAt": found[_id]} if wanted and found.get(_id) is not None else {"_id": _id}


def _in_stream_order(ids: list[str], keep: Container[str], found: dict[str, Any], wanted: bool) -> list[Document]:
    return [_version(_id, found, wanted) for _id in ids if _id in keep]


_LIST_MESSAGE = "Object list returned. If querying, duplication of objects in list will not be respected."
#: Object fields the store keeps outside the documents, enough for some queries.
_VERSION_FIELDS = frozenset(("_id", "updatedAt"))


#: How v1 servers write dates (``Date.toISOString``): such strings sort as the dates they name.
_ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_TEXT_OPS = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}


def _date_bounds(query: Any) -> list[tuple[Callable[[str, str], bool], str]] | None:
    """``[(comparison, ISO text)]`` when every criterion compares ``updatedAt`` with a date of
    whole milliseconds (then stored ISO strings are compared as text); None otherwise."""
    bounds = []
    for criterion in query.criteria:
        condition = criterion.get("updatedAt") if set(criterion) == {"updatedAt"} else None
        if not isinstance(condition, dict) or not condition:
            return None
        for op, value in condition.items():
            if (op not in _TEXT_OPS or not isinstance(value, datetime.datetime) or value.tzinfo is None
                    or value.microsecond % 1000 or not 1000 <= value.year <= 9999):
                return None
            text = value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
            bounds.append((_TEXT_OPS[op], text))
    return bounds


def _within_bounds(stored: Any, bounds: list[tuple[Callable[[str, str], bool], str]], query: Any, _id: str) -> bool:
    if type(stored) is str and _ISO_MS.fullmatch(stored):
        return all(compare(stored, text) for compare, text in bounds)
    return query.match({"_id": _id, "updatedAt": stored} if stored is not None else {"_id": _id})


def _versions_only(query: Any) -> bool:
    """Whether a query names only ``_id`` and ``updatedAt``, projecting onto them."""
    if not query.projection or any(v != 1 for v in query.projection.values()):
        return False
    named = set(query.projection) | {path for path, _ in query.sort}
    for criterion in query.criteria:
        named.update(criterion)
    return named <= _VERSION_FIELDS


@route("GET", "/streams/:streamId/clients", auth=Auth.OPTIONAL, family=Family.B, style=Style.MESSAGE)
def stream_clients(call: Call) -> Document:
    """Clients attached to a readable stream."""
    stream = _readable_stream(call, call.params["streamId"])
    query = _query_after_check(call, models.SCHEMAS["clients"])
    clients = query.apply(call.store.find_by("clients", "streamId", stream["streamId"]), hydrate="clients")
    return {"success": True, "resources": [models.minimize(c) for c in clients],
            "message": f"Client list for stream {stream['streamId']} returned."}
