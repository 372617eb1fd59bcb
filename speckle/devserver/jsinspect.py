"""JavaScript renderings of JSON values: ``String(number)`` and Node's ``util.inspect``.

Mongoose puts ``util.inspect(value)`` into its ``CastError`` messages, so the local
server needs the same text to answer like v1. Only JSON values (``None``, booleans,
numbers, strings, lists, dicts) are handled. Every function here is iterative or
bounded by ``depth``, so hostile input cannot exhaust the stack.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

#: ``util.inspect`` defaults of Node 20.
DEPTH = 2
BREAK_LENGTH = 80
COMPACT = 3
MAX_ARRAY_LENGTH = 100
MAX_STRING_LENGTH = 10_000

_IDENTIFIER = re.compile(r"^[a-zA-Z_][a-zA-Z_0-9]*$")
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f", "\v": "\\v", "\\": "\\\\"}


def js_number(value: float | int) -> str:
    """``String(value)`` of a JavaScript number (integers beyond 2**53 are rounded like JS)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    number = float(value) if not isinstance(value, float) else value
    if isinstance(value, int) and abs(value) < 2**53:
        return str(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign_bit, digit_tuple, exp = Decimal(repr(number)).as_tuple()
    all_digits = "".join(map(str, digit_tuple)).lstrip("0")
    stripped = all_digits.rstrip("0")
    exp = int(exp) + len(all_digits) - len(stripped)
    all_digits = stripped
    sign = "-" if sign_bit else ""
    point = len(all_digits) + exp
    k = len(all_digits)
    n = point
    if k <= n <= 21:
        return sign + all_digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + all_digits[:n] + "." + all_digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + all_digits
    e = n - 1
    exp_str = f"e+{e}" if e >= 0 else f"e-{-e}"
    if k == 1:
        return sign + all_digits + exp_str
    return sign + all_digits[0] + "." + all_digits[1:] + exp_str


def js_string(value: Any) -> str:
    """``String(value)`` for a JSON value (objects give ``[object Object]``, arrays join with ``,``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        # bounded: nested arrays are flattened by join, objects become [object Object]
        parts: list[str] = []
        stack: list[Any] = [iter(value)]
        first = [True]
        while stack:
            item = next(stack[-1], _END)
            if item is _END:
                stack.pop()
                first.pop()
                continue
            if not first[-1]:
                parts.append(",")
            first[-1] = False
            if isinstance(item, list):
                stack.append(iter(item))
                first.append(True)
            elif item is not None:
                parts.append(js_string(item))
        return "".join(parts)
    return str(value)


_END = object()


def _quote(text: str) -> str:
    """Node's ``strEscape``: single quotes unless the text holds them."""
    if len(text) > MAX_STRING_LENGTH:
        extra = len(text) - MAX_STRING_LENGTH
        return _quote(text[:MAX_STRING_LENGTH]) + f"... {extra} more character{'s' if extra > 1 else ''}"
    quote = "'"
    if "'" in text:
        if '"' not in text:
            quote = '"'
        elif "`" not in text and "${" not in text:
            quote = "`"
    out = []
    for char in text:
        if char == quote or char in _ESCAPES:
            out.append(_ESCAPES.get(char, "\\" + char))
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02X}")
        elif 0xD800 <= ord(char) <= 0xDFFF:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return quote + "".join(out) + quote


def _key(key: str) -> str:
    return key if _IDENTIFIER.match(key) else _quote(key)


class _Context:
    def __init__(self) -> None:
        self.indentation = 0
        self.current_depth = 0


def inspect(value: Any) -> str:
    """``util.inspect(value)`` with Node 20 defaults (depth 2, breakLength 80, compact 3)."""
    return _format(value, 0, _Context())


def _format(value: Any, depth: int, ctx: _Context) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = js_number(value)
        return "-0" if isinstance(value, float) and value == 0 and math.copysign(1, value) < 0 else text
    if isinstance(value, str):
        return _quote(value)
    is_list = isinstance(value, list)
    if not is_list and not isinstance(value, dict):
        return _quote(str(value))
    if not value:
        return "[]" if is_list else "{}"
    if depth > DEPTH:
        return "[Array]" if is_list else "[Object]"
    ctx.current_depth = depth
    ctx.indentation += 2
    output: list[str] = []
    if is_list:
        for item in value[:MAX_ARRAY_LENGTH]:
            output.append(_format(item, depth + 1, ctx))
        if len(value) > MAX_ARRAY_LENGTH:
            extra = len(value) - MAX_ARRAY_LENGTH
            output.append(f"... {extra} more item{'s' if extra > 1 else ''}")
    else:
        for key, item in value.items():
            output.append(f"{_key(key)}: {_format(item, depth + 1, ctx)}")
    ctx.indentation -= 2
    braces = ("[", "]") if is_list else ("{", "}")
    entries = len(output)
    if is_list and entries > 6:
        output = _group(ctx, output, value)
    return _reduce(ctx, output, braces, depth, grouped=len(output) != entries)


def _group(ctx: _Context, output: list[str], value: list[Any]) -> list[str]:
    """Node's ``groupArrayElements``: short entries of long arrays in aligned columns."""
    length = len(output) - 1 if len(value) > MAX_ARRAY_LENGTH else len(output)
    separator = 2
    lengths = [len(entry) for entry in output[:length]]
    total = sum(lengths) + separator * length
    longest = max(lengths)
    actual_max = longest + separator
    if not (actual_max * 3 + ctx.indentation < BREAK_LENGTH and (total / actual_max > 5 or longest <= 6)):
        return output
    bias = math.sqrt(actual_max - total / len(output))
    biased_max = max(actual_max - 3 - bias, 1)
    columns = min(round(math.sqrt(2.5 * biased_max * length) / biased_max),
                  (BREAK_LENGTH - ctx.indentation) // actual_max, COMPACT * 4, 15)
    if columns <= 1:
        return output
    widths = [max((len(output[j]) for j in range(i, length, columns)), default=0) + separator
              for i in range(columns)]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value[:len(output)])
    grouped: list[str] = []
    for start in range(0, length, columns):
        stop = min(start + columns, length)
        line = ""
        for j in range(start, stop - 1):
            cell = f"{output[j]}, "
            line += cell.rjust(widths[j - start]) if numeric else cell.ljust(widths[j - start])
        last = stop - 1
        line += output[last].rjust(widths[last - start] - separator) if numeric else output[last]
        grouped.append(line)
    if len(value) > MAX_ARRAY_LENGTH:
        grouped.append(output[length])
    return grouped


def _reduce(ctx: _Context, output: list[str], braces: tuple[str, str], depth: int, *,
            grouped: bool = False) -> str:
    """Node's ``reduceToSingleString``."""
    if ctx.current_depth - depth < COMPACT and not grouped:
        start = len(output) + ctx.indentation + len(braces[0]) + 10
        total = sum(len(entry) for entry in output) + len(output) + start
        if total <= BREAK_LENGTH and start + 2 * len(output) <= BREAK_LENGTH:
            joined = ", ".join(output)
            if "\n" not in joined:
                return f"{braces[0]} {joined} {braces[1]}"
    indent = "\n" + " " * ctx.indentation
    return f"{braces[0]}{indent}  {(',' + indent + '  ').join(output)}{indent}{braces[1]}"


def cast_value_text(value: Any) -> str:
    """The ``stringValue`` of a mongoose ``CastError``: inspect, quotes made double."""
    text = inspect(value)
    if text.startswith("'"):
        text = '"' + text[1:]
    if text.endswith("'"):
        text = text[:-1] + '"'
    if not text.startswith('"'):
        text = '"' + text + '"'
    return text


# -- dates -----------------------------------------------------------------------------------------
#: ``new Date(ms)`` is valid within this many milliseconds of the epoch.
MAX_DATE_MS = 8.64e15
_ISO_DATE = re.compile(
    r"^([+-]\d{6}|\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?$"
)
_MS_PER_DAY = 86_400_000


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    days += 719468
    era = (days if days >= 0 else days - 146096) // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def parse_js_date(text: str) -> int | None:
    """``Date.parse`` for the ISO-8601 forms (date-only is UTC; a time without a zone is taken as UTC,
    the server's zone); ``None`` when the text is not such a date. Milliseconds since the epoch."""
    match = _ISO_DATE.match(text.strip())
    if not match:
        return None
    year_text, month, day, hour, minute, second, fraction, zone = match.groups()
    if year_text == "-000000":
        return None
    year = int(year_text)
    month_n, day_n = int(month or 1), int(day or 1)
    hour_n, minute_n, second_n = int(hour or 0), int(minute or 0), int(second or 0)
    if not (1 <= month_n <= 12 and 1 <= day_n <= 31 and minute_n < 60 and second_n < 60):
        return None
    if hour_n > 24 or (hour_n == 24 and (minute_n or second_n or int(fraction or 0))):
        return None
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    total = ((_days_from_civil(year, month_n, day_n) * 24 + hour_n) * 60 + minute_n) * 60_000 \
        + second_n * 1000 + millis
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        total -= sign * (int(zone[1:3]) * 60 + int(zone[4:6])) * 60_000
    return total if abs(total) <= MAX_DATE_MS else None


def iso_from_ms(millis: int) -> str:
    """``new Date(millis).toISOString()``."""
    days, rest = divmod(millis, _MS_PER_DAY)
    year, month, day = _civil_from_days(days)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, ms = divmod(rest, 1000)
    year_text = f"{year:04d}" if 0 <= year <= 9999 else f"{'+' if year > 0 else '-'}{abs(year):06d}"
    return f"{year_text}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}Z"


def js_date(value: Any) -> str | None:
    """mongoose's ``Date`` cast of a JSON value, as ``toISOString`` text.

    Returns ``None`` for ``null`` and ``""``; raises ``ValueError`` when v1 cannot cast it.
    Numbers are milliseconds since the epoch; numeric strings too when they are outside the
    range of plain years; other strings must be ISO-8601 dates (V8's legacy formats such as
    ``"Jan 2 2020"`` are not read: they are refused).
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, dict):
        raise ValueError("not a date")
    if isinstance(value, (int, float)):
        if math.isnan(value) or abs(value) > MAX_DATE_MS:
            raise ValueError("not a date")
        return iso_from_ms(int(value))
    text = js_string(value) if isinstance(value, list) else value
    if isinstance(value, str):
        try:
            number = float(text.strip()) if text.strip() else None
        except ValueError:
            number = None
        if number is not None and (number >= 275761 or number < -271820):
            if math.isinf(number) or abs(number) > MAX_DATE_MS:
                raise ValueError("not a date")
            return iso_from_ms(int(number))
    millis = parse_js_date(text)
    if millis is None:
        raise ValueError("not a date")
    return iso_from_ms(millis)
