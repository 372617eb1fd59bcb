"""Encode query dicts into the query language of v1 list endpoints.

v1 servers read their query string with ``query-to-mongo``: the reserved keys
``fields``, ``omit``, ``sort``, ``offset`` and ``limit`` shape the answer and
every other key is a filter. This module turns a Python dict into that query
string, so that::

    client.streams.list({'fields': ['streamId', 'name'], 'sort': '-updatedAt',
                         'limit': 10, 'private': False,
                         'name': {'$regex': '^Tower', '$options': 'i'},
                         'updatedAt': {'$gte': '2020-01-01'}})

sends ``fields=streamId,name&sort=-updatedAt&limit=10&private=false&name=/^Tower/i&updatedAt>=2020-01-01``.

Values are written as given: a string is passed through unchanged (so a string
containing a comma means "any of", exactly as on the server), a list means
"any of" (list items holding commas are quoted, so each stays one value),
``True``/``False`` become ``true``/``false``, ``None`` is refused (the server
would read ``null`` as a string; use ``$exists``), numbers their decimal
form, a compiled :class:`re.Pattern` a ``/pattern/flags`` regular expression.
Operators are given as a dict: ``$in``, ``$nin``, ``$ne``, ``$gt``, ``$gte``,
``$lt``, ``$lte``, ``$exists``, ``$all``, ``$size``, ``$regex`` (with optional
``$options``), or use the literal ``{'$literal': 'a,b'}`` to match a string that
contains commas. A query can also be given as a ready-made query string.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from speckle.errors import SpeckleInputError

__all__ = ["Query", "encode_query", "RESERVED_KEYS"]

#: A query: a mapping of the query language, or an already encoded query string.
Query = Mapping[str, Any] | str

RESERVED_KEYS = ("fields", "omit", "sort", "offset", "limit")

_SAFE = ",/:!$'\"^*()[]|.-_~@"
_COMPARISONS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def _scalar(value: Any, key: str) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        raise SpeckleInputError(
            f"query value for {key!r} is None: v1 servers read 'null' as a string; "
            "use {'$exists': False} to find documents without the field"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise SpeckleInputError(f"query value for {key!r} must be a finite number, got {value!r}")
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise SpeckleInputError(
                f"query value for {key!r}: give a timezone-aware datetime (v1 servers treat "
                "zone-less date-times as plain strings)"
            )
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, re.Pattern):
        return _regex(value.pattern, "i" if value.flags & re.IGNORECASE else "")
    if isinstance(value, str):
        return value
    raise SpeckleInputError(
        f"query value for {key!r} must be a string, number, bool, date or regex, got {type(value).__name__}"
    )


def _regex(pattern: str, options: str) -> str:
    return f"/{pattern}/{options}"


def _many(values: Any, key: str) -> str:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise SpeckleInputError(f"query operator on {key!r} needs a list of values, got {values!r}")
    items = [_quoted(v, key) if isinstance(v, str) and "," in v else _scalar(v, key) for v in values]
    if not items:
        raise SpeckleInputError(f"query operator on {key!r} needs at least one value")
    return ",".join(items)


def _quoted(text: str, key: str) -> str:
    """``text`` in quotes: the server then reads it as one literal string, commas included."""
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    raise SpeckleInputError(f"query value for {key!r} cannot hold both kinds of quotes and a comma: {text!r}")


def _q(text: str) -> str:
    return quote(text, safe=_SAFE)


def _encode_filter(key: str, value: Any) -> list[str]:
    k = _q(key)
    if isinstance(value, Mapping):
        parts: list[str] = []
        for op, operand in value.items():
            if op in _COMPARISONS:
                parts.append(f"{k}{_COMPARISONS[op]}{_q(_scalar(operand, key))}")
            elif op == "$ne":
                parts.append(f"{k}!={_q(_scalar(operand, key))}")
            elif op == "$nin":
                parts.append(f"{k}!={_q(_many(operand, key))}")
            elif op == "$in":
                parts.append(f"{k}={_q(_many(operand, key))}")
            elif op == "$exists":
                parts.append(k if operand else f"!{k}")
            elif op == "$all":
                parts.append(f"{k}:all={_q(_many(operand, key))}")
            elif op == "$size":
                parts.append(f"{k}:size={_q(_scalar(operand, key))}")
            elif op == "$regex":
                options = value.get("$options", "")
                parts.append(f"{k}={_q(_regex(str(operand), str(options)))}")
            elif op == "$options":
                continue
            elif op == "$literal":
                parts.append(f"{k}={_q(_quoted(str(operand), key))}")
            else:
                raise SpeckleInputError(f"unknown query operator {op!r} for {key!r}")
        return parts
    if isinstance(value, (list, tuple, set, frozenset)):
        return [f"{k}={_q(_many(value, key))}"]
    return [f"{k}={_q(_scalar(value, key))}"]


def _encode_reserved(key: str, value: Any) -> str:
    if key in ("offset", "limit"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SpeckleInputError(f"query {key!r} must be a non-negative integer, got {value!r}")
        return f"{key}={value}"
    if isinstance(value, str):
        text = value
    elif isinstance(value, (list, tuple)):
        if not all(isinstance(v, str) for v in value):
            raise SpeckleInputError(f"query {key!r} must be a string or a list of strings, got {value!r}")
        text = ",".join(value)
    elif key == "sort" and isinstance(value, Mapping):
        text = ",".join(("-" if direction in (-1, "desc", "-") else "") + name for name, direction in value.items())
    else:
        raise SpeckleInputError(f"query {key!r} must be a string or a list of strings, got {value!r}")
    return f"{key}={_q(text)}"


def encode_query(query: Query | None) -> str:
    """Encode a query for a v1 list endpoint.

    Arguments:
        query {dict|str|None} -- the query (see the module documentation)

    Returns:
        str -- the query string without the leading ``?`` (empty for no query)

    Raises:
        SpeckleInputError -- for a value the query language cannot express
    """
    if query is None:
        return ""
    if isinstance(query, str):
        return query.lstrip("?")
    if not isinstance(query, Mapping):
        raise SpeckleInputError(f"query must be a dict or a query string, got {type(query).__name__}")
    parts: list[str] = []
    for key, value in query.items():
        if not isinstance(key, str) or not key:
            raise SpeckleInputError(f"query keys must be non-empty strings, got {key!r}")
        if key in RESERVED_KEYS:
            parts.append(_encode_reserved(key, value))
        else:
            parts.extend(_encode_filter(key, value))
    return "&".join(parts)
