"""JSON the way ``JSON.stringify`` writes it (compact, non-ASCII kept), fast when possible.

``orjson`` is used when it is installed (optional; same output for JSON-safe data),
with the standard library as the fallback.
"""

from __future__ import annotations

import json
import re
from typing import Any

try:  # optional accelerator
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(value: Any) -> str:
    """Compact JSON text (no spaces, non-ASCII kept)."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value).decode("utf-8")
        except TypeError:  # e.g. integers beyond 64 bits
            pass
    text = _ENCODER.encode(value)
    if not text.isascii() and _SURROGATE.search(text):
        # a lone surrogate (JSON allows "\ud800"): escape it like JSON.stringify does, so
        # the text is valid UTF-8 for SQLite and the response
        text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def loads(text: str | bytes) -> Any:
    """Parse JSON text."""
    if _orjson is not None:
        try:
            return _orjson.loads(text)
        except _orjson.JSONDecodeError:
            pass
    return json.loads(text)
