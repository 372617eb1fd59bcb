"""JSON the way ``JSON.stringify`` writes it (compact, non-ASCII kept, numbers as JavaScript
writes them), fast for the usual document.

``orjson`` writes most documents exactly as ``JSON.stringify`` does. It writes some numbers
otherwise: floats from 1e-6 to 1e-5 and from 1e16 to 1e21 in exponent form (JavaScript writes
them in full: ``0.000002``, ``10000000000000000``), integral floats with ``.0``, integers beyond
64 bits not at all, and a string with a lone surrogate not at all. A document with any of those
(found by two searches of orjson's text) is written again by :func:`_js_text`, exactly: numbers
by :func:`~speckle.devserver.jsinspect.js_number`, infinities as ``null``, lone surrogates
escaped.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

from .jsinspect import js_number

_SURROGATE = re.compile("[\ud800-\udfff]")
#: a number orjson may write unlike JavaScript (an exponent of -6 or +16 to +20; an integral
#: float); a string holding such text only sends the document through the exact writer
_EXPONENT = re.compile(rb"e(?:-6|\+1[6-9]|\+20)(?![0-9])")
_INTEGRAL = re.compile(rb"\.0(?![0-9])")


def dumps(value: Any) -> str:
    """Compact JSON text, as ``JSON.stringify`` writes it (no spaces, non-ASCII kept)."""
    try:
        out = orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits, lone surrogates
        return _js_text(value)
    if _EXPONENT.search(out) or _INTEGRAL.search(out):
        return _js_text(value)
    return out.decode("utf-8")


def loads(text: str | bytes) -> Any:
    """Parse JSON text."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _string(text: str) -> str:
    out = json.dumps(text, ensure_ascii=False)
    if not out.isascii() and _SURROGATE.search(out):
        # a lone surrogate (JSON allows "\ud800"): escaped as JSON.stringify does, so that the
        # text is valid UTF-8 for SQLite and the response
        out = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", out)
    return out


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        if abs(value) < 2**53:
            return str(value)
        try:
            value = float(value)
        except OverflowError:
            return "null"  # beyond any double: Infinity for JavaScript, written null
    if isinstance(value, float):
        return js_number(value) if math.isfinite(value) else "null"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _js_text(value: Any) -> str:
    """``JSON.stringify(value)`` for JSON data (iterative: any depth)."""
    parts: list[str] = []
    write = parts.append
    # each frame: (iterator of the container's items, whether it is a dict, first item written?)
    stack: list[list[Any]] = []

    def open_container(item: Any) -> bool:
        if isinstance(item, dict):
            write("{")
            stack.append([iter(item.items()), True, False])
            return True
        if isinstance(item, (list, tuple)):
            write("[")
            stack.append([iter(item), False, False])
            return True
        return False

    if not open_container(value):
        return _scalar(value)
    while stack:
        frame = stack[-1]
        entry = next(frame[0], _END)
        if entry is _END:
            stack.pop()
            write("}" if frame[1] else "]")
            continue
        if frame[2]:
            write(",")
        frame[2] = True
        if frame[1]:
            key, entry = entry
            write(_string(str(key)))
            write(":")
        if not open_container(entry):
            write(_scalar(entry))
    return "".join(parts)


_END = object()
