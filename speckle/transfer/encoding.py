"""JSON encoding and content hashing of Speckle objects for bulk transfers.

Two digests identify an object:

* its *fingerprint* (:func:`object_fingerprint`), the key of the record of objects already sent:
  the XXH3-128 digest of the object's MessagePack serialisation (written by ``ormsgpack``:
  binary floats, no text formatting, several times faster than writing JSON). Knowing that an
  object was sent before costs about 1.5 µs per kilobyte of JSON, and no JSON at all.
  MessagePack is restricted to JSON's data model here (dicts with string keys, lists, tuples,
  strings, integers, floats, booleans, None): equal fingerprints mean equal JSON data, types
  included (``1`` and ``1.0`` differ, as they do in JSON), so an equal fingerprint always gives
  the right object id. Objects with anything else (models, other mappings, subclasses, dates)
  are fingerprinted by their canonical JSON instead. No object with NaN or infinity is ever
  recorded (it cannot be sent), so none is ever found in the record either;
* for objects that must be uploaded, its content ``hash`` (:func:`seal`): :func:`canonical_json`
  writes its compact JSON (keys in the order the caller gave them, non-ASCII kept, ``hash`` left
  out), and the MD5 of those bytes is appended to them as the last key, which is what goes on the
  wire. This is the rule v1 servers apply themselves to an object that comes without a hash (the
  MD5 of ``JSON.stringify`` of the object), so the client and the server's de-duplication agree,
  and the hash is the same in every run, on every machine, for every equal object. Only numbers
  that JavaScript writes otherwise than ``orjson`` (integral floats such as ``1.0``, exponents of
  -6 and +16 to +20, integers beyond 2**53) make a server's hash of the same object differ.

Example::

    >>> from speckle.transfer import object_hash
    >>> object_hash({'type': 'Point', 'value': [0, 1, 2]})
    '09644a5746d3c2e6d741573e1d6ef8cc'
"""

from __future__ import annotations

import binascii
import hashlib
import json
import math
import operator
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import ormsgpack
import xxhash

from speckle.errors import SpeckleInputError
from speckle.models.base import SpeckleModel

__all__ = [
    "HASH_KEY",
    "as_object",
    "canonical_json",
    "encode_object",
    "fingerprints",
    "hash_object",
    "join_array",
    "object_fingerprint",
    "object_hash",
    "seal",
    "json_batches",
    "sealed_batches",
]

#: The key the hash is stored under (the v1 object schema's ``hash``).
HASH_KEY = "hash"

_SORTED = orjson.OPT_SORT_KEYS
#: MessagePack of JSON's data model only: anything else raises (and gets a JSON fingerprint)
_PACK_OPTIONS = (
    ormsgpack.OPT_PASSTHROUGH_BIG_INT
    | ormsgpack.OPT_PASSTHROUGH_DATACLASS
    | ormsgpack.OPT_PASSTHROUGH_DATETIME
    | ormsgpack.OPT_PASSTHROUGH_ENUM
    | ormsgpack.OPT_PASSTHROUGH_SUBCLASS
    | ormsgpack.OPT_PASSTHROUGH_UUID
)
#: ``HASH_KEY in obj``, for ``map`` over many objects
_HAS_HASH = operator.methodcaller("__contains__", HASH_KEY)
#: the scheme of the fingerprints (a new scheme never meets the keys of an old one)
_SEED = xxhash.xxh64_intdigest(b"speckle object fingerprint: msgpack 1")


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
    except RecursionError as exc:
        raise SpeckleInputError("cannot send this data as JSON: it is nested too deeply") from exc
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


def canonical_json(obj: Mapping[str, Any]) -> bytes:
    """The compact JSON an object is hashed by: keys in the caller's order, ``hash`` left out.

    Arguments:
        obj {dict} -- the object (not modified)

    Returns:
        bytes -- the JSON text

    Raises:
        SpeckleInputError -- when the object cannot be represented in JSON
    """
    return encode_object(_without_hash(obj))


def _without_hash(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """``obj`` itself when it has no ``hash`` key, else a copy without it."""
    if type(obj) is dict and HASH_KEY not in obj:
        return obj
    return {key: value for key, value in obj.items() if key != HASH_KEY}


def _json_fingerprint(obj: Mapping[str, Any]) -> str:
    return "j" + xxhash.xxh3_128_hexdigest(canonical_json(obj))


def object_fingerprint(obj: Mapping[str, Any]) -> str:
    """The key of an object in the sent-object record (see the module's description).

    Arguments:
        obj {dict} -- the object (not modified; a ``hash`` key is left out)

    Returns:
        str -- hexadecimal digits

    Raises:
        SpeckleInputError -- when the object cannot be represented in JSON
    """
    content = _without_hash(obj)
    try:
        data = ormsgpack.packb(content, option=_PACK_OPTIONS)
    except (TypeError, ValueError):  # models, mappings, subclasses, dates, big integers...
        return _json_fingerprint(content)
    return xxhash.xxh3_128_hexdigest(data, _SEED)


def fingerprints(objs: list[dict[str, Any]]) -> list[str]:
    """:func:`object_fingerprint` of many objects, in order.

    Arguments:
        objs {list} -- dicts (not modified)

    Returns:
        list -- the fingerprints

    Raises:
        SpeckleInputError -- when an object cannot be represented in JSON
    """
    pack, digest, options, seed = ormsgpack.packb, xxhash.xxh3_128_hexdigest, _PACK_OPTIONS, _SEED
    try:
        if any(map(_HAS_HASH, objs)):
            raise ValueError
        return [digest(pack(obj, option=options), seed) for obj in objs]
    except (TypeError, ValueError):
        return [object_fingerprint(obj) for obj in objs]


def seal(canonical: bytes) -> tuple[str, bytes]:
    """The content hash of an object and the JSON to send for it, from its canonical JSON.

    The hash is the MD5 hex digest of ``canonical``; the JSON to send is the same text with
    ``"hash": <digest>`` added as the last key.

    Arguments:
        canonical {bytes} -- what :func:`canonical_json` gave

    Returns:
        tuple -- ``(hash, json_bytes)``
    """
    digest = hashlib.md5(canonical, usedforsecurity=False).hexdigest()
    sep = b"," if len(canonical) > 2 else b""
    return digest, b"".join((memoryview(canonical)[:-1], sep, b'"hash":"', digest.encode("ascii"), b'"}'))


#: where orjson may have written a NaN or an infinity (it writes them as ``null``)
_NULL = re.compile(rb"null")


def sealed_batches(objs: Sequence[Mapping[str, Any]], max_bytes: int, max_count: int) -> list[
        tuple[int, bytes, list[int]]]:
    """The request bodies that send ``objs``: JSON arrays of what :func:`hash_object` gives each.

    One loop does what any client must (each object's JSON and its MD5) and little else: the
    JSON, less its closing brace, goes into the body of its batch with one join, and the check that no
    NaN or infinity was written as ``null`` is one search per body. Plain dicts without a
    ``hash`` key are written by ``orjson`` directly; anything else goes through
    :func:`hash_object`. Batches are cut like :func:`~speckle.transfer.plan_batches` cuts them.

    Arguments:
        objs {list} -- the objects (not modified)
        max_bytes {int} -- upper bound of a body (a larger object makes a batch of its own)
        max_count {int} -- upper bound of objects per body

    Returns:
        list -- ``(first, body, bounds)`` per batch: the index of its first object, the JSON
        array, and where each object starts in it followed by the body's length (object ``k``
        of the batch is ``body[bounds[k]:bounds[k + 1] - 1]``)

    Raises:
        SpeckleInputError -- when an object cannot be represented in JSON
    """
    return _batches(objs, max_bytes, max_count, True)


def json_batches(objs: Sequence[Mapping[str, Any]], max_bytes: int, max_count: int) -> list[
        tuple[int, bytes, list[int]]]:
    """The request bodies that send ``objs`` exactly as given (no hash added), like
    :func:`sealed_batches`: each object's JSON is what :func:`encode_object` gives.

    Arguments:
        objs {list} -- the objects (not modified)
        max_bytes {int} -- upper bound of a body (a larger object makes a batch of its own)
        max_count {int} -- upper bound of objects per body

    Returns:
        list -- ``(first, body, bounds)`` per batch (see :func:`sealed_batches`)

    Raises:
        SpeckleInputError -- when an object cannot be represented in JSON
    """
    return _batches(objs, max_bytes, max_count, False)


def _batches(objs: Sequence[Any], max_bytes: int, max_count: int, seal: bool) -> list[tuple[int, bytes, list[int]]]:
    dumps, md5, hexlify, default = orjson.dumps, hashlib.md5, binascii.hexlify, _default
    batches: list[tuple[int, bytes, list[int]]] = []
    parts: list[bytes] = [b"["]
    bounds: list[int] = []
    first, offset, stop = 0, 1, max_count

    def close() -> None:
        parts[-1] = parts[-1][:-1] + b"]"  # the comma after the last object
        bounds.append(offset)
        body = b"".join(parts)
        if _NULL.search(body):  # rare in geometry; then each object with a null is checked
            for k in range(len(bounds) - 1):
                if b"null" in body[bounds[k] : bounds[k + 1]] and not _finite(objs[first + k]):
                    encode_object(objs[first + k])  # raises the error a NaN or an infinity gets
        batches.append((first, body, bounds))

    for index, obj in enumerate(objs):
        text = None
        if type(obj) is dict and (not seal or HASH_KEY not in obj):
            try:
                text = dumps(obj, default=default)
            except TypeError:  # integers beyond 64 bits, non-string keys...: see encode_object
                text = None
        if not seal:
            if text is None:
                text = encode_object(obj)
            pieces: tuple[bytes, ...] = (text, b",")
            size = len(text)
        elif text is not None and len(text) > 2:
            # (a copy of the text without its brace: a join of bytes only is a third faster than
            # one of views, which go through the buffer protocol one by one)
            pieces = (text[:-1], b',"hash":"', hexlify(md5(text).digest()), b'"},')
            size = len(text) + 42
        else:
            sealed = hash_object(obj)[1]
            pieces, size = (sealed, b","), len(sealed)
        if index >= stop or (bounds and offset + size + 1 > max_bytes):
            close()
            parts, bounds, first, offset = [b"["], [], index, 1
            stop = index + max_count
        bounds.append(offset)
        parts += pieces
        offset += size + 1
    if bounds:
        close()
    return batches


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
    return seal(canonical_json(obj))


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
