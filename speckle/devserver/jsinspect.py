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
