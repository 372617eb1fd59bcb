"""Mongoose schemas of the v1 models and the casting ``doc.set(body)`` performs (§6).

Each model is declared once, as in the original ``models/*.js``: a field is a
:class:`Scalar` (``String``, ``Boolean``, ``ObjectId``, ``Mixed``), an
:class:`ArrayOf` one of those (``[String]``, ``[ObjectId]``, ``Array`` = ``[Mixed]``),
a :class:`Nested` path (``resource: {resourceType, resourceId}``) or an array of
nested documents (``otherResources``). :func:`cast_body` applies a request body
the way mongoose 5 does:

* a value is cast to its field type (``5`` -> ``"5"`` for a ``String``; ``"yes"`` ->
  ``True`` for a ``Boolean``; a single id -> ``[id]`` for ``[ObjectId]``; an object
  ``{"_id": id}`` -> ``id`` for an ``ObjectId``);
* a value that cannot be cast is not set and is reported; the caller raises the
  mongoose ``ValidationError`` (:func:`validation_failure`) listing every failure,
  in body order, with the ``Cast to <Kind> failed for value "<inspect>" at path "<p>"``
  wording of v1;
* undeclared keys are kept as sent on open models (``strict: false``) and dropped on
  closed ones.

Casting is linear in the size of the body and never recurses deeper than the
schema (values are inspected with a bounded depth).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import ids, paths
from .errors import SpeckleError
from .jsinspect import cast_value_text, js_date, js_string

Document = dict[str, Any]


@dataclass(frozen=True)
class Scalar:
    """A single-valued path; ``kind`` is the mongoose type (``String``, ``Boolean``, ``ObjectID``, ``Date``,
    ``Mixed``)."""

    kind: str
    lowercase: bool = False


@dataclass(frozen=True)
class ArrayOf:
    """An array path whose items are cast to ``item`` (a single value becomes ``[value]``)."""

    item: Scalar | Nested


@dataclass(frozen=True)
class Nested:
    """A nested path (a plain sub-object in the schema, not a separate document)."""

    fields: Mapping[str, Field]


Field = Scalar | ArrayOf | Nested

STRING = Scalar("String")
LOWER_STRING = Scalar("String", lowercase=True)
BOOLEAN = Scalar("Boolean")
OBJECT_ID = Scalar("ObjectID")
MIXED = Scalar("Mixed")
DATE = Scalar("Date")
IDS = ArrayOf(OBJECT_ID)
STRINGS = ArrayOf(STRING)
ARRAY = ArrayOf(MIXED)


@dataclass(frozen=True)
class Model:
    """One mongoose model: its name, whether unknown keys are kept, its paths."""

    name: str
    strict: bool
    fields: Mapping[str, Field] = field(default_factory=dict)


#: ``{timestamps: true}``: every model has these two dates (stored as ``toISOString`` text).
_TIMESTAMPS: dict[str, Field] = {"createdAt": DATE, "updatedAt": DATE}
_ACL: dict[str, Field] = {
    "owner": OBJECT_ID, "private": BOOLEAN, "canRead": IDS, "canWrite": IDS,
    "anonymousComments": BOOLEAN, "comments": IDS,
}
_RESOURCE = Nested({"resourceType": STRING, "resourceId": STRING})

#: The schemas of ``SpeckleServer/models/*.js`` (v1.6), by collection.
MODELS: dict[str, Model] = {
    "users": Model("User", True, {
        **_TIMESTAMPS,
        "name": STRING, "surname": STRING, "email": LOWER_STRING, "password": STRING,
        "company": STRING, "apitoken": STRING, "logins": ARRAY, "avatar": STRING, "role": STRING,
        "private": BOOLEAN, "verified": BOOLEAN, "archived": BOOLEAN, "providerProfiles": MIXED,
    }),
    "clients": Model("UserAppClient", True, {
        **_TIMESTAMPS,
        **_ACL, "role": STRING, "documentName": STRING, "documentGuid": STRING,
        "documentType": STRING, "documentLocation": STRING, "streamId": STRING, "online": BOOLEAN,
    }),
    "streams": Model("DataStream", False, {
        **_TIMESTAMPS,
        "streamId": STRING, **_ACL, "name": STRING, "description": STRING, "commitMessage": STRING,
        "tags": STRINGS, "baseProperties": MIXED, "globalMeasures": MIXED,
        "isComputedResult": BOOLEAN, "objects": IDS, "layers": ARRAY, "viewerLayers": ARRAY,
        "parent": STRING, "children": ARRAY, "ancestors": ARRAY, "deleted": BOOLEAN,
        "onlineEditable": BOOLEAN, "jobNumber": STRING,
    }),
    "objects": Model("SpeckleObject", False, {
        **_TIMESTAMPS,
        **_ACL, "type": STRING, "name": STRING, "geometryHash": STRING, "hash": STRING,
        "applicationId": STRING, "properties": MIXED, "deleted": BOOLEAN, "partOf": ARRAY,
        "parent": OBJECT_ID, "children": IDS, "ancestors": IDS,
    }),
    "comments": Model("Comment", True, {
        **_TIMESTAMPS,
        "owner": OBJECT_ID, "comments": IDS, "text": STRING, "flagged": BOOLEAN,
        "resource": _RESOURCE, "otherResources": ArrayOf(_RESOURCE), "closed": BOOLEAN,
        "assignedTo": IDS, "labels": STRINGS, "priority": STRING, "status": STRING,
        "view": MIXED, "screenshot": STRING,
    }),
    "projects": Model("Project", False, {
        **_TIMESTAMPS,
        **_ACL, "name": STRING, "description": STRING, "tags": STRINGS, "streams": STRINGS,
        "permissions": Nested({"canRead": IDS, "canWrite": IDS}), "deleted": BOOLEAN,
        "jobNumber": STRING,
    }),
}

#: Python types that need no cast for a scalar kind (the fast path of bulk saves).
_PLAIN: dict[str, type] = {"String": str, "Boolean": bool}
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")
_HEX = frozenset("0123456789abcdefABCDEF")


class CastFailure(Exception):
    """A value cannot be cast to its path's type."""


@dataclass
class PathError:
    """One failed path of a ``ValidationError``: where, what, and mongoose's message."""

    path: str
    kind: str
    value: Any
    message: str
    name: str = "CastError"

    def as_json(self) -> Document:
        """The error object as ``JSON.stringify`` shows it inside ``errors``."""
        if self.name != "CastError":
            return {"message": self.message, "name": self.name, "properties": {
                "message": self.message, "type": self.kind, "path": self.path}, "kind": self.kind,
                "path": self.path}
        return {"stringValue": cast_value_text(self.value), "kind": self.kind, "value": self.value,
                "path": self.path, "reason": {}, "message": self.message, "name": "CastError"}


def required_error(path: str) -> PathError:
    """The ``ValidatorError`` of a ``required`` path that has no value."""
    return PathError(path, "required", None, f"Path `{path}` is required.", "ValidatorError")


def _cast_error(kind: str, value: Any, path: str, label: str | None = None) -> PathError:
    label = label or path
    text = f'Cast to {kind} failed for value {cast_value_text(value)} at path "{label}"'
    return PathError(path, kind, value, text)


def id_errors(body: Mapping[str, Any]) -> list[PathError]:
    """The failure of a body's ``_id`` that is no ObjectId (``doc.set({_id})`` then ``save()``)."""
    if "_id" not in body:
        return []
    try:
        object_id(body["_id"])
    except CastFailure:
        return [_cast_error(OBJECT_ID.kind, body["_id"], "_id")]
    return []


def object_id(value: Any) -> str | None:
    """mongoose ``ObjectId`` cast: 24 hex digits, 12 one-byte characters, or ``{_id}`` of those."""
    if value is None:
        return None
    if isinstance(value, dict) and value.get("_id") not in (None, "", 0, False):
        value = value["_id"]
    if isinstance(value, dict):
        raise CastFailure
    text = js_string(value)
    if len(text) == 24 and all(c in _HEX for c in text):
        return text.lower()
    if len(text) == 12 and all(ord(c) < 256 for c in text):
        return "".join(f"{ord(c):02x}" for c in text)
    raise CastFailure


def _scalar(spec: Scalar, value: Any) -> Any:
    """Cast one value (``None`` stays ``None``)."""
    if value is None or spec.kind == "Mixed":
        return value
    if spec.kind == "String":
        if isinstance(value, dict):
            inner = value.get("_id")
            if isinstance(inner, str) and inner:
                return inner
            raise CastFailure
        if isinstance(value, list):
            raise CastFailure
        text = js_string(value)
        return text.lower() if spec.lowercase else text
    if spec.kind == "Date":
        try:
            return js_date(value)
        except ValueError as exc:
            raise CastFailure from exc
    if spec.kind == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return value == 1
        if isinstance(value, str) and value in _TRUE + _FALSE:
            return value in _TRUE
        raise CastFailure
    return object_id(value)


def _nested(
    spec: Nested, value: Mapping[str, Any], prefix: str, base: Mapping[str, Any] | None,
    errors: list[PathError], *, strict: bool = True,
) -> Document:
    """Cast a sub-object key by key, merged over ``base`` (unknown keys kept only when not ``strict``)."""
    out: Document = dict(base) if isinstance(base, Mapping) else {}
    for key, item in value.items():
        sub = spec.fields.get(key)
        if sub is None:
            if not strict:
                out[key] = item
            continue
        ok, cast = _field(sub, item, f"{prefix}.{key}", out.get(key), errors, strict=strict)
        if ok:
            out[key] = cast
    return out


def _array(spec: ArrayOf, value: Any, path: str, errors: list[PathError]) -> tuple[bool, Any]:
    if value is None:
        return True, None
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    item_spec = spec.item
    for index, item in enumerate(items):
        if isinstance(item_spec, Nested):
            if item is None:
                out.append(None)
                continue
            if not isinstance(item, dict):
                errors.append(_cast_error("Array", value, path))
                return False, None
            inner: list[PathError] = []
            cast = _nested(item_spec, item, "", None, inner)
            if inner:
                for error in inner:
                    leaf = error.path.lstrip(".")
                    errors.append(_cast_error(error.kind, error.value, f"{path}.{index}.{leaf}", leaf))
                return False, None
            # a subdocument: mongoose gives it an _id, first (one it carries is kept)
            given = item.get("_id")
            out.append({"_id": given if isinstance(given, str) and given else ids.object_id(), **cast})
            continue
        try:
            out.append(_scalar(item_spec, item))
        except CastFailure:
            errors.append(_cast_error("Array", value, path))
            return False, None
    return True, out


def _field(spec: Field, value: Any, path: str, current: Any, errors: list[PathError], *,
           strict: bool = True) -> tuple[bool, Any]:
    """Cast ``value`` for ``spec``; ``(False, None)`` when it failed (reported in ``errors``)."""
    if isinstance(spec, Scalar):
        try:
            return True, _scalar(spec, value)
        except CastFailure:
            errors.append(_cast_error(spec.kind, value, path))
            return False, None
    if isinstance(spec, ArrayOf):
        return _array(spec, value, path, errors)
    if isinstance(value, dict):
        return True, _nested(spec, value, path, current, errors, strict=strict)
    return False, _NOT_OBJECT


_NOT_OBJECT = object()


def cast_body(
    collection: str, body: Mapping[str, Any], current: Mapping[str, Any] | None = None,
    *, skip: tuple[str, ...] = (),
) -> tuple[Document, list[PathError]]:
    """The fields ``doc.set(body)`` would set on a ``collection`` document, and the failures.

    Arguments:
        collection {str} -- the collection whose mongoose model applies
        body {Mapping} -- the client-supplied fields
        current {Mapping} -- the stored document (nested paths merge into it), if any
        skip {tuple} -- keys the caller handles itself (passed through uncast)

    Returns:
        tuple -- ``(fields to set, cast failures in body order)``
    """
    model = MODELS[collection]
    errors: list[PathError] = []
    failed: dict[str, PathError] = {}  # keys whose item set by index failed its cast
    refused: list[SpeckleError] = []  # the database's refusals: after the validation, if it passes
    dotted = any("." in key for key in body)
    if model.strict and dotted:
        body = {key: value for key, value in body.items() if "." not in key or _settable(model, key)}
    if dotted or (not model.strict and paths.needs_paths(body, model.fields)):
        elements: list[tuple[str, str, Any]] = []  # dotted keys are paths; open models merge objects
        body = paths.set_paths(body, model.fields, current, elements=elements, refused=refused)
        for key, label, value in elements:  # an array's item set by its index is cast alone
            spec = model.fields.get(key)
            if isinstance(spec, ArrayOf) and isinstance(spec.item, Scalar) and key in body:
                try:
                    _scalar(spec.item, value)
                except CastFailure:
                    failed[key] = _cast_error(spec.item.kind, value, label)
    out: Document = {}
    for key, value in body.items():
        if key in failed and type(value) is list:  # the array holds the item: only it failed
            errors.append(failed[key])
            continue
        spec = model.fields.get(key)
        if key in skip or spec is None:
            if key in skip or not model.strict:
                out[key] = value
            continue
        ok, cast = _field(spec, value, key, (current or {}).get(key), errors, strict=model.strict)
        if cast is _NOT_OBJECT:
            # a nested path given a non-object: ignored by strict models, refused by open ones
            if not model.strict and value not in (None, 0, "", False):
                errors.append(_cast_error("Object", value, key))
            elif not model.strict:
                out[key] = value
            continue
        if key in failed:  # the path made {} in place of the array (refused above) and an item failed
            errors.append(failed[key])
        elif ok:
            out[key] = cast
    if refused and not errors:
        raise refused[0]
    return out, errors


def _settable(model: Model, key: str) -> bool:
    """Whether a closed model sets a dotted key: into a ``Mixed`` or nested path, or an array's
    item by its index (mongoose ignores other paths of closed models)."""
    head, _, rest = key.partition(".")
    spec = model.fields.get(head)
    if spec is MIXED or isinstance(spec, Nested):
        return True
    index = rest.partition(".")[0]
    return isinstance(spec, ArrayOf) and index.isascii() and index.isdigit()


def validation_failure(collection: str, errors: list[PathError]) -> SpeckleError:
    """The mongoose ``ValidationError`` listing ``errors`` (``toString``: ``ValidationError: p: m, …``)."""
    model = MODELS[collection].name
    detail = ", ".join(f"{e.path}: {e.message}" for e in errors)
    obj = {
        "errors": {e.path: e.as_json() for e in errors},
        "_message": f"{model} validation failed",
        "message": f"{model} validation failed: {detail}",
        "name": "ValidationError",
    }
    return SpeckleError(obj["message"], "ValidationError", obj, to_string=f"ValidationError: {detail}")


def cast_or_raise(
    collection: str, body: Mapping[str, Any], current: Mapping[str, Any] | None = None,
    *, skip: tuple[str, ...] = (),
) -> Document:
    """:func:`cast_body`, raising the ``ValidationError`` when any path failed."""
    out, errors = cast_body(collection, body, current, skip=skip)
    if errors:
        raise validation_failure(collection, errors)
    return out


def clean_ids(value: Any) -> list[str]:
    """The user ids of a stored ``canRead``/``canWrite``-like value (anything else: none).

    Data written before casting existed may hold a string or other junk; a string must
    never be searched as a substring (``"" in "abc"`` would let anonymous callers in).
    """
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and item]


def cast_in_place(collection: str, entry: Document, *, required: tuple[str, ...] = ()) -> bool:
    """Cast the declared fields of a new document in place; ``True`` when a value changed.

    The fast path of bulk saves: only the keys the schema declares are looked at, and a
    value that already has its type (a ``str`` for a ``String``) is left alone. Raises
    the ``ValidationError`` when a field cannot be cast: the cast failures in body order,
    then the ``required`` paths that are empty (as mongoose validates after setting).
    """
    declared = MODELS[collection].fields
    changed = False
    failed = False
    for key in entry.keys() & declared.keys():
        spec = declared[key]
        value = entry[key]
        if value is None or spec is MIXED or (spec.__class__ is Scalar and type(value) is _PLAIN.get(spec.kind)):
            continue  # already of its type
        errors: list[PathError] = []
        ok, cast = _field(spec, value, key, None, errors)
        if errors or cast is _NOT_OBJECT:
            failed = True
            continue
        if (ok and cast != value) or type(cast) is not type(value):
            entry[key] = cast
            changed = True
    if failed:
        empty = [required_error(path) for path in required if entry.get(path) in (None, "")]
        raise validation_failure(collection, cast_body(collection, entry)[1] + empty)
    return changed
