"""JSON encoding and content hashing of Speckle objects for bulk transfers.

Every object is serialised once: :func:`hash_object` writes its compact JSON (keys in the
order the caller gave them, non-ASCII kept, ``hash`` left out), hashes it with MD5 and appends
the ``hash`` key to the same bytes, which are what goes on the wire. This is the rule v1 servers
apply themselves to an object that comes without a hash (the MD5 of the JSON text as received),
so the client and the server's de-duplication agree, and the hash is the same in every run, on
every machine, for every equal object.

Example::

    >>> from speckle.transfer import object_hash
    >>> object_hash({'type': 'Point', 'value': [0, 1, 2]})
    '09644a5746d3c2e6d741573e1d6ef8cc'
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import orjson

from speckle.errors import SpeckleInputError
from speckle.models.base import SpeckleModel

__all__ = ["HASH_KEY", "as_object", "encode_object", "hash_object", "object_hash", "join_array"]

#: The key the hash is stored under (the v1 object schema's ``hash``).
HASH_KEY = "hash"

_SORTED = orjson.OPT_SORT_KEYS


def encode_object(obj: Any, *, sort_keys: bool = False) -> bytes:
    """Serialise one JSON document to compact UTF-8 bytes.

    The result parses to the same document as the standard library's compact output
    (``orjson`` is used when it can represent the data exactly). ``NaN`` and infinities are
    refused, as JSON has no such numbers.

    Arguments:
        obj {Any} -- a dict, list or scalar made of JSON types

    Keyword Arguments:
        sort_keys {bool} -- write the keys of every dict in sorted order (default: {False})

    Returns:
        bytes -- the JSON text

    Raises:
        SpeckleInputError -- when the data cannot be represented in JSON
    """
    try:
        out = orjson.dumps(obj, default=_default, option=_SORTED if sort_keys else 0)
    except TypeError:  # integers beyond 64 bits, non-string keys, dict-like objects...
        out = None
    if out is not None and (b"null" not in out or _finite(obj)):
        return out
    # orjson writes NaN and infinities as null: let the standard library decide (it refuses them)
    try:
        text = json.dumps(
            obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False, sort_keys=sort_keys, default=_default
        )
    except (TypeError, ValueError) as exc:
        raise SpeckleInputError(f"cannot send this data as JSON: {exc}") from exc
    return text.encode("utf-8")


def _finite(value: Any) -> bool:
    """True when no float inside ``value`` is NaN or infinite (fast for lists of numbers)."""
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind is dict:
        return all(_finite(v) for v in value.values())
    if kind is list or kind is tuple:
        try:
            return math.isfinite(sum(value))
        except (TypeError, OverflowError):
            return all(_finite(v) for v in value)
    return True


def _default(value: Any) -> Any:
    """JSON for the values JSON has no type for: Speckle models (at any depth) become their payload."""
    if isinstance(value, SpeckleModel):
        return value.to_payload()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def as_object(item: Any) -> dict[str, Any]:
    """The dict to serialise for one object: a dict as is, a model's payload, a mapping copied.

    Models nested inside are converted while serialising (see :func:`encode_object`).

    Raises:
        SpeckleInputError -- when ``item`` is neither a dict, a mapping nor a Speckle model
    """
    if type(item) is dict:
        return item
    if isinstance(item, SpeckleModel):
        return item.to_payload()
    if isinstance(item, Mapping):
        return dict(item)
    raise SpeckleInputError(f"an object must be a dict or a Speckle model, got {type(item).__name__}")


def _content(obj: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(obj, dict) and HASH_KEY not in obj:
        return obj
    return {key: value for key, value in obj.items() if key != HASH_KEY}


def hash_object(obj: Mapping[str, Any]) -> tuple[str, bytes]:
    """Hash an object and give the JSON to send for it.

    The hash is the MD5 hex digest of the object's compact JSON: keys in the caller's order, no
    white space, non-ASCII characters kept, and the ``hash`` key itself left out. The JSON to
    send is the same text with ``"hash": <digest>`` added as the last key (any ``hash`` the
    object carried is replaced). ``obj`` is not modified.

    Arguments:
        obj {dict} -- the object

    Returns:
        tuple -- ``(hash, json_bytes)``

    Raises:
        SpeckleInputError -- when the object cannot be represented in JSON
    """
    canonical = encode_object(_content(obj))
    digest = hashlib.md5(canonical, usedforsecurity=False).hexdigest()
    sep = b"," if len(canonical) > 2 else b""
    return digest, b"".join((canonical[:-1], sep, b'"hash":"', digest.encode("ascii"), b'"}'))


def object_hash(obj: Mapping[str, Any]) -> str:
    """The content hash :func:`hash_object` gives ``obj`` (what ``client.send`` stores as its ``hash``).

    Arguments:
        obj {dict} -- the object

    Returns:
        str -- 32 hexadecimal digits
    """
    return hash_object(obj)[0]


def join_array(items: list[bytes]) -> bytes:
    """The JSON array of already serialised items.

    Arguments:
        items {list} -- JSON texts as bytes

    Returns:
        bytes -- ``[item,item,...]``
    """
    return b"[" + b",".join(items) + b"]"
