"""Identifiers and timestamps in the formats MongoDB/mongoose and shortid produce."""

from __future__ import annotations

import itertools
import os
import re
import secrets
import threading
import time
from datetime import UTC, datetime

_OBJECT_ID_RE = re.compile(r"^[0-9a-fA-F]{24}$")
_PROCESS_RANDOM = os.urandom(5).hex()
_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_counter_lock = threading.Lock()
SHORTID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"


def object_id() -> str:
    """Return a new 24-hex ObjectId: 4 bytes of time, 5 random bytes, 3 counter bytes."""
    with _counter_lock:
        count = next(_counter) & 0xFFFFFF
    return f"{int(time.time()) & 0xFFFFFFFF:08x}{_PROCESS_RANDOM}{count:06x}"


def object_ids(count: int) -> list[str]:
    """``count`` new ObjectIds at once (same second, consecutive counters)."""
    with _counter_lock:
        counts = [next(_counter) & 0xFFFFFF for _ in range(count)]
    prefix = f"{int(time.time()) & 0xFFFFFFFF:08x}{_PROCESS_RANDOM}"
    return [f"{prefix}{c:06x}" for c in counts]


def is_object_id(value: object) -> bool:
    """Whether ``value`` can be cast to an ObjectId (a 24-hex string)."""
    return isinstance(value, str) and bool(_OBJECT_ID_RE.match(value))


def short_id() -> str:
    """Return a shortid-like stream id: 9 characters of ``[0-9A-Za-z_-]``."""
    return "".join(secrets.choice(SHORTID_ALPHABET) for _ in range(9))


def now_iso() -> str:
    """Current UTC time as ISO-8601 with milliseconds and ``Z`` (JS ``toISOString``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now_ms() -> int:
    """Current time in epoch milliseconds (JS ``Date.now()``)."""
    return int(time.time() * 1000)


def locale_string(iso: str | None = None) -> str:
    """Format a date like JS ``toLocaleString("en")`` in local time: ``11/22/2020, 6:05:23 AM``."""
    if iso:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    else:
        moment = datetime.now().astimezone()
    hour = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    return (
        f"{moment.month}/{moment.day}/{moment.year}, "
        f"{hour}:{moment.minute:02d}:{moment.second:02d} {suffix}"
    )
