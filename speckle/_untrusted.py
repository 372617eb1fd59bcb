"""Helpers for data that came from a server and cannot be trusted: bounded previews and text.

A server's answer may be nested thousands of levels deep, hold strings of megabytes or lone
surrogates, or name a charset Python cannot (or must not) use. ``str(payload)`` or
``json.dumps(payload)`` of such data raises :class:`RecursionError` or takes a long time;
these helpers never raise and always do a bounded amount of work.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["preview", "short_repr", "decode_text", "utf8_safe"]

#: Levels of nesting a preview shows before writing ``...``.
_PREVIEW_DEPTH = 8
#: Entries of one list or dict a preview shows.
_PREVIEW_ITEMS = 20
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def preview(value: Any, limit: int = 200) -> str:
    """A short JSON rendering of ``value`` for error messages and logs; never raises.

    Small documents come out as their compact JSON. At most ``limit`` characters (plus ``...``),
    whatever the size or depth of ``value``: nested containers deeper than 8 levels and entries
    past the 20th of a container are elided, lone surrogates replaced.

    Arguments:
        value {Any} -- any value, typically decoded JSON from a server

    Keyword Arguments:
        limit {int} -- the maximum length of the result (default: {200})

    Returns:
        str -- the rendering
    """
    parts: list[str] = []
    budget = [max(limit, 0) + 1]  # one more than allowed: tells whether it was cut

    def emit(text: str) -> bool:
        if budget[0] <= 0:
            return False
        parts.append(text[: budget[0]])
        budget[0] -= len(text)
        return budget[0] > 0

    def render(item: Any, depth: int) -> bool:
        if isinstance(item, Mapping):
            if depth >= _PREVIEW_DEPTH:
                return emit("{...}")
            if not emit("{"):
                return False
            for index, (key, inner) in enumerate(item.items()):
                if index >= _PREVIEW_ITEMS:
                    return emit(",...}")
                if (index and not emit(",")) or not render(key, depth + 1) or not emit(":"):
                    return False
                if not render(inner, depth + 1):
                    return False
            return emit("}")
        if isinstance(item, (list, tuple)):
            if depth >= _PREVIEW_DEPTH:
                return emit("[...]")
            if not emit("["):
                return False
            for index, inner in enumerate(item):
                if index >= _PREVIEW_ITEMS:
                    return emit(",...]")
                if (index and not emit(",")) or not render(inner, depth + 1):
                    return False
            return emit("]")
        if isinstance(item, str):
            return emit(json.dumps(item[: limit + 1], ensure_ascii=False))
        if isinstance(item, (bytes, bytearray, memoryview)):
            return emit(repr(bytes(item[: limit + 1])))
        if item is None or isinstance(item, (bool, int, float)):
            try:
                return emit(json.dumps(item))
            except ValueError:  # an integer beyond Python's digit limit for str()
                return emit("<a very large integer>")
        try:
            text = repr(item)
        except Exception:  # a preview must never fail
            text = f"<{type(item).__name__}>"
        return emit(text[: limit + 1])

    try:
        render(value, 0)
    except Exception:  # a preview must never fail
        return f"<{type(value).__name__}>"
    text = "".join(parts)
    if len(text) > limit:
        text = text[:limit] + "..."
    return utf8_safe(text)


def utf8_safe(text: str) -> str:
    """``text`` with lone surrogates (which no UTF-8 encoder accepts) replaced by ``\\ufffd``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE_RE.sub("\ufffd", text)
    return text


def _usable_codec(name: str | None) -> codecs.CodecInfo | None:
    if not name:
        return None
    try:
        info = codecs.lookup(name.strip().strip("\"'"))
    except (LookupError, TypeError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in {"idna", "punycode", "undefined"}:
        return None
    return info


def decode_text(content: bytes, charset: str | None = None) -> str:
    """Decode a response body to text; never raises.

    The ``charset`` a server names is used only when Python knows it as a plain text encoding
    (not ``rot13``, ``idna``, ``base64``...); otherwise, and when decoding with it fails, the body
    is read as UTF-8 (the encoding of JSON), with undecodable bytes replaced by ``\\ufffd``.

    Arguments:
        content {bytes} -- the body

    Keyword Arguments:
        charset {str|None} -- the charset named by ``Content-Type`` (default: {None})

    Returns:
        str -- the text
    """
    if not content:
        return ""
    info = _usable_codec(charset)
    if info is not None and info.name != "utf-8":
        try:
            return utf8_safe(info.decode(content, "replace")[0])
        except Exception:  # codecs raise all sorts of errors on junk
            pass
    return content.decode("utf-8", "replace")


def short_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)`` for model reprs, bounded and never raising, whatever a server put there.

    Strings are cut at ``limit`` characters; containers and other values are shown as a
    :func:`preview`.
    """
    if isinstance(value, str):
        return utf8_safe(repr(value[:limit]) + ("..." if len(value) > limit else ""))
    if value is None or isinstance(value, (bool, float)):
        return repr(value)
    return preview(value, limit)
