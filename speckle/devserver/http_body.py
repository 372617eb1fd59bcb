"""Request body handling of §1.2 (body-parser semantics): limits, encodings, strict JSON."""

from __future__ import annotations

import json
import math
import re
import zlib
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .paths import js_key_order
from .querylang import parse_qs

_READ_CHUNK = 256 * 1024
#: Deepest nesting of arrays/objects accepted in a JSON body. v1 stores at most ~100
#: levels (MongoDB's BSON limit) and crashes on deeper bodies in many routes; deeper
#: bodies are refused before routing with the ``RangeError`` v1 reports.
MAX_DEPTH = 200
TOO_DEEP = "RangeError: Maximum call stack size exceeded"
_FLOAT_NEEDS_JS = re.compile(rb"\d\.0*(?![0-9])|\d[eE]")
#: a key that is an array index ("0" to "4294967294"): JavaScript objects list them first
_INDEX_KEY = re.compile(rb'"(?:0|[1-9][0-9]{0,9})"[ \t\r\n]*:')


class BodyError(Exception):
    """The body was refused before routing: an HTML error page with ``status``."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


@dataclass
class BodyLimits:
    """Size limits per body type."""

    json_bytes: int
    form_bytes: int


def _js_float(text: str) -> int | float:
    value = float(text)
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _js_int(text: str) -> int | float:
    """An integer as JavaScript reads it: a double beyond 2**53 (rounded to the nearest).

    Called for every integer of a body (a search for long ones costs more than the call, as
    digits abound in geometry: about 13 ms for 4 MB).
    """
    value = int(text)
    if len(text) < 16 or abs(value) <= 2**53:
        return value
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Unexpected token {name[0]} in JSON")


def parse_json(raw: bytes) -> Any:
    """Strict JSON (object or array only), numbers typed the JavaScript way (``1.0`` -> ``1``,
    integers beyond 2**53 rounded to doubles, ``1e400`` -> infinity).

    Invalid UTF-8 becomes U+FFFD, as Node decodes it.
    """
    text = raw.decode("utf-8", "replace")
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        return {}
    if stripped[0] not in "{[":
        raise BodyError(400, f"SyntaxError: Unexpected token {stripped[0]} in JSON at position 0")
    parse_float = _js_float if _FLOAT_NEEDS_JS.search(raw) else float
    try:
        value = json.loads(text, parse_float=parse_float, parse_int=_js_int, parse_constant=_reject_constant)
    except ValueError as exc:
        position = getattr(exc, "pos", 0)
        raise BodyError(400, f"SyntaxError: Unexpected token in JSON at position {position}") from exc
    except RecursionError as exc:
        raise BodyError(400, TOO_DEEP) from exc
    # cheap bound first: a body with few brackets cannot be deep
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and nesting_exceeds(value, MAX_DEPTH):
        raise BodyError(400, TOO_DEEP)
    if _INDEX_KEY.search(raw):
        js_key_order(value)
    return value


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests arrays/objects more than ``limit`` levels (iterative walk)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        if depth > limit:
            return True
        for child in (item.values() if type(item) is dict else item):
            kind = type(child)
            if kind is dict or kind is list:
                push((child, depth + 1))
    return False


async def _read_limited(request: web.Request, limit: int) -> bytes:
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "deflate"):
        raise BodyError(415, f'UnsupportedMediaTypeError: unsupported content encoding "{encoding}"')
    too_large = BodyError(413, "PayloadTooLargeError: request entity too large")
    if encoding == "identity" and request.content_length is not None and request.content_length > limit:
        raise too_large
    inflater = None
    if encoding != "identity":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            chunk = await request.content.read(_READ_CHUNK)
            if not chunk:
                break
            if inflater is not None:
                chunk = inflater.decompress(chunk, limit + 1 - size)
                if inflater.unconsumed_tail:
                    raise too_large
            size += len(chunk)
            if size > limit:
                raise too_large
            parts.append(chunk)
        if inflater is not None:
            tail = inflater.flush()
            size += len(tail)
            if size > limit:
                raise too_large
            parts.append(tail)
    except zlib.error as exc:
        raise BodyError(400, "Error: incorrect header check") from exc
    return b"".join(parts)


async def read_body(request: web.Request, limits: BodyLimits) -> Any:
    """The parsed body a handler sees (``{}`` unless JSON or form-encoded)."""
    ctype = request.content_type.lower()
    if request.method in ("GET", "HEAD") and not request.body_exists:
        return {}
    if ctype == "application/json":
        charset = (request.charset or "utf-8").lower()
        if not charset.startswith("utf-"):
            raise BodyError(415, f'UnsupportedMediaTypeError: unsupported charset "{charset.upper()}"')
        return parse_json(await _read_limited(request, limits.json_bytes))
    if ctype == "application/x-www-form-urlencoded":
        raw = await _read_limited(request, limits.form_bytes)
        value = parse_qs(raw.decode("utf-8", "replace"))
        if nesting_exceeds(value, MAX_DEPTH):  # `a[b][b]…` keys nest without limit in body-parser
            raise BodyError(400, TOO_DEEP)
        return value
    return {}
