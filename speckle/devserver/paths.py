"""What ``doc.set(body)`` does with paths, and which keys the database driver refuses (§6).

Open models (``strict: false``: streams, objects, projects) keep keys their schema does not
declare, and mongoose 5 sets them as *paths*, not as plain keys:

* a key with dots is a path: ``{"a.b": 1}`` stores ``{"a": {"b": 1}}`` (``"a..b"`` gives an
  empty key in between, ``".c"`` an empty key first);
* an object given to an undeclared path is merged into what the path holds, key by key and
  at any depth (``{"u": {"b": 2}}`` over ``{"u": {"a": 1}}`` stores ``{"u": {"a": 1, "b": 2}}``);
  an empty object sets nothing, ``null`` and arrays replace;
* a path through a value that is no object: a falsy one (``null``, ``false``, ``0``, ``""``)
  becomes ``{}`` on the way, a string, number or ``true`` makes mongoose throw
  ``TypeError: Cannot create property 'x' on string '...'``; declared paths are set whole, a
  path into a ``Mixed`` one (``baseProperties.x``) sets inside it;
* a number in a path indexes an array (``tags.3`` sets the fourth tag, the holes before it are
  stored as null); another key of an array stores nothing;
* closed models (``strict``) set a path only into a ``Mixed`` path, a nested one, or an array
  by index; other paths are ignored.

Any JavaScript object, and so every object v1 parses, stores or answers, lists its array-index
keys (``"0"``, ``"42"``) first, in numeric order (:func:`js_key_order`).

On insert, the MongoDB driver (``bson`` 1.1, ``checkKeys``) refuses a document holding, at any
depth, a key that starts with ``$`` or contains a dot (``Error: key a.b must not contain '.'``);
updates are not checked, so such keys can be stored by ``PUT``. A key with a NUL character is
refused by every write.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .errors import SpeckleError
from .jsinspect import js_string

Document = dict[str, Any]

_MISSING = object()
#: the largest array index of JavaScript
_MAX_INDEX = 2**32 - 2


def needs_paths(body: Mapping[str, Any], declared: Mapping[str, Any]) -> bool:
    """Whether :func:`set_paths` would differ from setting ``body``'s keys one by one."""
    return any("." in key or (type(value) is dict and key not in declared) for key, value in body.items())


def set_paths(body: Mapping[str, Any], declared: Mapping[str, Any], current: Mapping[str, Any] | None,
              arrays: list[list[str]] | None = None,
              elements: list[tuple[str, str, Any]] | None = None,
              refused: list[SpeckleError] | None = None) -> Document:
    """The top-level values ``doc.set(body)`` leaves on a document of an open model.

    Arguments:
        body {Mapping} -- the client-supplied fields
        declared {Mapping} -- the schema's top-level paths and their specs (set whole, cast by
            the caller): a path through a typed one fails like mongoose's, objects inside a
            ``Mixed`` one (``kind`` "Mixed") are set whole, a nested one's ``fields`` are declared
        current {Mapping} -- the stored document (None for a new one); not modified
        arrays {list} -- receives the path of each array set in place of a different value, or
            given a property that is no index (mongoose bumps a saved document's ``__v`` then)
        elements {list} -- receives ``(key, path, value)`` for each item of a top-level array
            set by its index (``tags.1``), for the caller to cast it as mongoose does
        refused {list} -- receives the database's refusal of a path (see :func:`_stored_falsy`)
            instead of raising it: the save validates first, the database refuses after

    Returns:
        dict -- each top-level key the body sets, with its whole new value, in the order
        mongoose sets them (copies: ``current`` is left as it is)

    Raises:
        SpeckleError -- ``TypeError`` for a path through a string, number or ``true``
    """
    out: Document = {}

    def mixed(key: str) -> bool:
        return getattr(declared[key], "kind", None) == "Mixed"

    def top(key: str) -> Any:
        if key in out:
            return out[key]
        if current is not None and key in current:
            out[key] = copy.deepcopy(current[key])
            return out[key]
        return _MISSING

    def refuse(error: SpeckleError) -> None:
        if refused is None:
            raise error
        refused.append(error)

    created: set[tuple[str, ...]] = set()  # objects this update made on the way (set whole)
    assigned: set[tuple[str, ...]] = set()  # paths this update set

    def stored(path: list[str]) -> bool:
        """Whether the value at ``path`` is the stored one (nothing on the way set by this update)."""
        return not any(tuple(path[:i]) in created or tuple(path[:i]) in assigned for i in range(1, len(path) + 1))

    def bumps(parts: list[str], value: Any, prior: Any) -> bool:
        """Whether setting ``value`` at ``parts`` makes mongoose bump ``__v``: an array set in place
        of a different value, not inside an object this update made."""
        if any(tuple(parts[:i]) in created for i in range(1, len(parts))):
            return False
        return type(value) is list and value != prior

    def assign(parts: list[str], value: Any) -> None:
        head = parts[0]
        if len(parts) == 1:
            if arrays is not None and bumps(parts, value, (current or {}).get(head, _MISSING)):
                arrays.append(parts)
            out[head] = value
            assigned.add((head,))
            return
        node = top(head)
        typed = head in declared and not mixed(head)
        if typed and (node is _MISSING or not truthy(node)):
            out[head] = {}  # mongoose sets {} on the typed path: its cast fails (reported by the caller)
            if elements is not None and len(parts) == 2:
                elements.append((head, f"{head}.{parts[1]}", value))
            return
        if node is _MISSING or not truthy(node):
            if node is not _MISSING and node is not None and stored(parts[:1]):
                refuse(_stored_falsy(parts[1], node))
                return
            node = out[head] = {}
            created.add((head,))
        for index in range(1, len(parts)):
            part = parts[index]
            last = index == len(parts) - 1
            if type(node) is list:
                if not (part.isascii() and part.isdigit()):
                    if arrays is not None:  # a property of an array: not stored, the array saved again
                        arrays.append(parts[:index])
                    return
                slot = int(part)
                prior = node[slot] if slot < len(node) else _MISSING
                if last:
                    if elements is not None and index == 1:
                        elements.append((head, f"{head}.{part}", value))
                    if arrays is not None and bumps(parts, value, prior):
                        arrays.append(parts)
                    _put(node, slot, value)
                    assigned.add(tuple(parts))
                    return
                if prior is _MISSING or not truthy(prior):
                    prior = {}
                    _put(node, slot, prior)
                    created.add(tuple(parts[: index + 1]))
                node = prior
                continue
            if type(node) is not dict:
                if isinstance(node, str) and part.isascii() and part.isdigit() and int(part) < len(node):
                    raise SpeckleError(f"Cannot assign to read only property '{part}' of string '{node}'", "TypeError")
                raise _no_property(part, node, "TypeError")
            if last:
                if arrays is not None and bumps(parts, value, node.get(part, _MISSING)):
                    arrays.append(parts)
                node[part] = value
                assigned.add(tuple(parts))
                return
            step = node.get(part, _MISSING)
            if step is _MISSING or not truthy(step):
                if step is not _MISSING and step is not None and stored(parts[: index + 1]):
                    refuse(_stored_falsy(parts[index + 1], step))
                    return
                step = node[part] = {}
                created.add(tuple(parts[: index + 1]))
            node = step

    def whole(parts: list[str]) -> bool:
        """A declared path, a path inside a ``Mixed`` one, or an item of a declared array: an
        object there is set, not merged."""
        if parts[0] not in declared:
            return False
        nested = getattr(declared[parts[0]], "fields", None)  # a nested path's own fields are declared too
        return (len(parts) == 1 or mixed(parts[0]) or (parts[1].isascii() and parts[1].isdigit())
                or (nested is not None and len(parts) == 2 and parts[1] in nested))

    def merge(parts: list[str], value: Mapping[str, Any]) -> None:
        for key, item in value.items():
            sub = parts + key.split(".")
            if type(item) is dict and not whole(sub):
                merge(sub, item)
            else:
                assign(sub, item)

    for key, value in body.items():
        parts = key.split(".")
        if type(value) is dict and not whole(parts):
            merge(parts, value)
        else:
            assign(parts, value)
    return out


def _no_property(part: str, value: Any, name: str) -> SpeckleError:
    """``Cannot create property '<part>' on <type> '<value>'``: JavaScript's words for a property
    set on a string, number or boolean."""
    kind = "boolean" if isinstance(value, bool) else "number" if isinstance(value, (int, float)) else "string"
    return SpeckleError(f"Cannot create property '{part}' on {kind} '{js_string(value)}'", name)


def _stored_falsy(part: str, value: Any) -> SpeckleError:
    """The database's refusal of a path through a stored ``false``, ``0`` or ``""``: mongoose
    updates the path itself there (a ``null`` or missing value is replaced by an object first).
    Worded as the reference server's database words it."""
    return _no_property(part, value, "MongoError")


def _put(items: list[Any], slot: int, value: Any) -> None:
    """``items[slot] = value`` as JavaScript does it: the holes up to ``slot`` are stored as null."""
    if slot >= len(items):
        items.extend([None] * (slot + 1 - len(items)))
    items[slot] = value


def updated_order(new: Any, old: Any) -> Any:
    """``new`` (a value replacing ``old``) with its keys in the order an update leaves them.

    Mongoose writes the changed paths of a saved document sorted, and the database appends
    the keys an object did not have in that order: the keys ``old`` had keep their places,
    the others follow, sorted (at every depth where both are objects).
    """
    if type(new) is not dict or type(old) is not dict:
        return new
    out = {key: updated_order(new[key], value) for key, value in old.items() if key in new}
    for key in sorted(key for key in new if key not in old):
        out[key] = new[key]
    return out


def _is_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and (key == "0" or key[0] != "0") and int(key) <= _MAX_INDEX


def js_key_order(value: Any) -> None:
    """Reorder the keys of every object in ``value`` as ``JSON.parse`` leaves them: keys that are
    array indexes (``"0"``, ``"42"``) first, in numeric order, then the others as written."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(child for child in item if isinstance(child, (dict, list)))
            continue
        if not isinstance(item, dict):
            continue
        if any(_is_index(key) for key in item):
            pairs = list(item.items())
            item.clear()
            item.update(sorted((p for p in pairs if _is_index(p[0])), key=lambda p: int(p[0])))
            item.update(p for p in pairs if not _is_index(p[0]))
        stack.extend(child for child in item.values() if isinstance(child, (dict, list)))


def truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value (``[]`` and ``{}`` are true)."""
    if isinstance(value, (dict, list)):
        return True
    return bool(value) and value == value  # NaN is falsy


def key_error(value: Any, *, insert: bool) -> SpeckleError | None:
    """The driver's refusal of the first bad key of ``value`` (depth first, in key order), if any.

    Arguments:
        value {Any} -- what is written (a document, or the new values of an update)

    Keyword Arguments:
        insert {bool} -- an insert (keys starting with ``$`` or holding a dot are refused too)

    Returns:
        SpeckleError|None -- ``Error: key <k> must not ...``, or None when every key is fine
    """
    stack: list[Any] = [iter(value.items()) if isinstance(value, dict) else iter(enumerate(value))] \
        if isinstance(value, (dict, list)) else []
    while stack:
        pair = next(stack[-1], None)
        if pair is None:
            stack.pop()
            continue
        key, item = pair
        if type(key) is str:
            if "\0" in key:
                return SpeckleError(f"key {key} must not contain null bytes")
            if insert and key[:1] == "$":
                return SpeckleError(f"key {key} must not start with '$'")
            if insert and "." in key:
                return SpeckleError(f"key {key} must not contain '.'")
        if isinstance(item, dict):
            stack.append(iter(item.items()))
        elif isinstance(item, list):
            stack.append(iter(enumerate(item)))
    return None
