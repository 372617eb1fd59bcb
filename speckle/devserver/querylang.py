"""The list-endpoint query language (§5): ``qs`` + ``query-to-mongo`` + mongoose casting.

:func:`parse_query` turns a raw query string into a :class:`Query` (criteria in
MongoDB shape, projection, sort, offset, limit); :meth:`Query.apply` evaluates
it in Python against JSON documents. :func:`prepare_projection` implements the
"prepared" projection rules of single-resource reads (§5.3).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import regex

from .errors import ServerCrash, SpeckleError

RESERVED = ("fields", "omit", "sort", "offset", "limit")
PERMISSION_FIELDS = ("type", "private", "canRead", "canWrite", "owner")

_ISO8601 = re.compile(
    r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?"
    r"(T([01][0-9]|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$"
)
_KEY_OP = re.compile(r"^(!?[^><!=:]+)(?:=?([><]=?|!?=|:.+=)(.+))?$", re.S)
_COMMA_SPLIT = re.compile(r"(\"[^\"]*\")|('[^']*')|([^,]+)")
_QUOTED = re.compile(r"([\"'])(?:\\\1|.)*?\1")
_JS_INT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

Criteria = dict[str, Any]
#: Field types a schema may declare for casting: string, boolean, number, date.
Schema = Mapping[str, str]


# -- qs --------------------------------------------------------------------------------------
#: ``qs``'s default nesting depth (Express's query strings); deeper brackets stay in the last key.
QS_DEPTH = 5


def parse_qs(raw: str, depth: int | None = None) -> dict[str, Any]:
    """Parse a query string like Express's ``qs`` (extended): repeats -> arrays, ``a[b]`` nesting.

    Arguments:
        raw {str} -- the encoded text
        depth {int} -- bracket levels turned into nested objects (``None``: all, as body-parser)

    Returns:
        dict -- the parsed value
    """
    result: dict[str, Any] = {}
    for part in raw.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        key, value = unquote_plus(key), unquote_plus(value)
        if not key:
            continue
        match = re.match(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$", key)
        if match:
            keys = re.findall(r"\[([^\[\]]*)\]", match.group(2))
            if depth is not None and len(keys) > depth:  # qs keeps the rest as one literal key
                keys = [*keys[:depth], "".join(f"[{k}]" for k in keys[depth:])]
            _assign_nested(result, match.group(1), keys, value)
            continue
        if key in result:
            existing = result[key]
            result[key] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            result[key] = value
    return result


def _assign_nested(target: dict[str, Any], head: str, keys: list[str], value: str) -> None:
    node: Any = target
    path = [head, *keys]
    for index, key in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, list):
            if last:
                node.append(value)
            else:
                child: dict[str, Any] = {}
                node.append(child)
                node = child
            continue
        if last:
            node[key] = value
            break
        nxt = path[index + 1]
        if key not in node or not isinstance(node[key], (dict, list)):
            node[key] = [] if nxt == "" else {}
        node = node[key]


# -- typed values ----------------------------------------------------------------------------
def js_number(text: str) -> float | None:
    """``Number(text)`` of JavaScript, or ``None`` when it would be ``NaN``."""
    stripped = text.strip()
    if stripped == "":
        return 0.0
    lowered = stripped.lower()
    try:
        if lowered.startswith(("0x", "0b", "0o")):
            return float(int(stripped, 0))
    except ValueError:
        return None
    if stripped in ("Infinity", "+Infinity"):
        return math.inf
    if stripped == "-Infinity":
        return -math.inf
    if _JS_INT.match(stripped):
        return float(stripped)
    return None


def _num(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def parse_date(text: str) -> datetime:
    """Parse a JS-parsable ISO date (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, date-times)."""
    text = text.replace("Z", "+00:00")
    if re.match(r"^\d{4}-\d{2}$", text):
        text += "-01"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


#: V8's wording for the syntax errors the ``regex`` module reports (others keep its wording).
_V8_REGEX_ERRORS = {
    "unterminated character set": "Unterminated character class",
    "missing )": "Unterminated group",
    "unbalanced parenthesis": "Unmatched ')'",
    "nothing to repeat": "Nothing to repeat",
    "multiple repeat": "Nothing to repeat",
    "bad escape (end of pattern)": "\\ at end of pattern",
    "missing group name": "Invalid capture group name",
    "bad character in group name": "Invalid capture group name",
    "unknown extension": "Invalid group",
    "bad character range": "Range out of order in character class",
    "min repeat greater than max repeat": "numbers out of order in {} quantifier",
}
#: Time one regular expression of a query may spend matching, over all documents.
REGEX_BUDGET_SECONDS = 0.5


class JsRegex:
    """A ``/pattern/flags`` filter, matched with a time budget.

    The pattern comes from the caller; a pattern that backtracks catastrophically must
    not hold the (single) database lock for long. It is compiled with the ``regex``
    module, whose matching can be interrupted: once the budget is spent the query fails
    (``400`` on the list routes) instead of freezing the server.
    """

    def __init__(self, source: str, ignore_case: bool = False) -> None:
        self.source = source
        self.ignore_case = ignore_case
        try:
            self.compiled = regex.compile(source, regex.V0 | (regex.IGNORECASE if ignore_case else 0))
        except (regex.error, OverflowError, RecursionError) as exc:
            # v1 builds the RegExp while parsing the query: a synchronous crash (500)
            reason = str(getattr(exc, "msg", None) or exc)
            reason = _V8_REGEX_ERRORS.get(reason, reason)
            raise ServerCrash(f"Invalid regular expression: /{source}/: {reason}", "SyntaxError") from exc
        self.remaining = REGEX_BUDGET_SECONDS

    def search(self, text: str) -> bool:
        """Whether the pattern occurs in ``text`` (raises once the time budget is spent)."""
        started = time.monotonic()
        try:
            return self.compiled.search(text, timeout=max(self.remaining, 0.001)) is not None
        except TimeoutError as exc:
            self.remaining = 0.0
            raise SpeckleError(f"regular expression /{self.source}/ took too long", "MongoError") from exc
        finally:
            self.remaining -= time.monotonic() - started

    def __repr__(self) -> str:
        return f"/{self.source}/{'i' if self.ignore_case else ''}"


def typed_value(value: str) -> Any:
    """``typedValue`` of query-to-mongo: regex, quoted string, bool, date, number or string."""
    if value.startswith("!"):
        value = value[1:]
    literal = re.match(r"^/(.*)/(i?)$", value, re.S)
    quoted = _QUOTED.search(value)
    if literal:
        return JsRegex(literal.group(1), bool(literal.group(2)))
    if quoted:
        return quoted.group(0)[1:-1]
    if value == "true":
        return True
    if value == "false":
        return False
    if _ISO8601.match(value) and len(value) != 4:
        return parse_date(value)
    number = js_number(value)
    if number is not None:
        return _num(number)
    return value


def typed_values(value: str) -> list[Any]:
    """Comma-split (quotes protect commas) and type each value."""
    values = [typed_value(m.group(0)) for m in _COMMA_SPLIT.finditer(value)]
    if not values:  # only commas: v1's `svalue.match(...)` is null and `.forEach` crashes
        raise ServerCrash("Cannot read properties of null (reading 'forEach')", "TypeError")
    return values


def _js_string(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_js_string(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def comparison(key: str, value: Any) -> tuple[str, Any] | None:
    """``comparisonToMongo``: one ``key=value`` pair to ``(field, criterion)``."""
    joined = key if value == "" else f"{key}={_js_string(value)}"
    parts = _KEY_OP.match(joined)
    if not parts:
        return None
    key, op, raw = parts.group(1), parts.group(2), parts.group(3)
    if not op:
        if key[0] != "!":
            return key, {"$exists": True}
        return key[1:], {"$exists": False}
    if op == "=" and raw == "!":
        return key, {"$exists": False}
    if op in ("=", "!="):
        if op == "=" and raw[0] == "!":
            op = "!="
        values = typed_values(raw)
        if len(values) > 1:
            return key, {"$in" if op == "=" else "$nin": values}
        if op == "!=":
            return key, ({"$not": values[0]} if isinstance(values[0], JsRegex) else {"$ne": values[0]})
        return key, values[0]
    if op.startswith(":") and op.endswith("="):
        name = "$" + op[1:-1]
        values = [typed_value(v) for v in raw.split(",")]
        if name == "$regex":
            values = [v if isinstance(v, JsRegex) else JsRegex(_js_string(v)) for v in values]
        return key, {name: values[0] if len(values) == 1 else values}
    operator = {">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}[op]
    return key, {operator: typed_value(raw)}


# -- mongoose casting ------------------------------------------------------------------------
class CastFailure(SpeckleError):
    """A criterion value that the schema type cannot accept."""


_OBJECT_ID = re.compile(r"[0-9a-fA-F]{24}")


def _cast(kind: str, path: str, value: Any) -> Any:
    if isinstance(value, JsRegex) or value is None:
        return value
    if isinstance(value, list):
        return [_cast(kind, path, v) for v in value]
    if kind == "string":
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, float):
            return _js_string(_num(value)) if value == value else "NaN"
        return _js_string(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if value in (1, "1", "true", "yes"):
            return True
        if value in (0, "0", "false", "no"):
            return False
    elif kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, bool):
            return int(value)
        number = js_number(str(value))
        if number is not None:
            return _num(number)
    elif kind == "objectid":
        if isinstance(value, str) and (_OBJECT_ID.fullmatch(value) or len(value) == 12):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value  # a timestamp-based ObjectId: never equal to a stored id
    elif kind == "date":
        if isinstance(value, datetime):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, UTC)
        try:
            return parse_date(str(value))
        except ValueError:
            pass
    else:
        return value
    name = "ObjectId" if kind == "objectid" else kind
    raise CastFailure(f'Cast to {name} failed for value "{value}" at path "{path}"', "CastError")


def cast_criterion(schema: Schema, path: str, criterion: Any) -> Any:
    """Cast a criterion to the type ``schema`` declares for ``path`` (untyped paths kept)."""
    kind = schema.get(path)
    if kind is None:
        return criterion
    if isinstance(criterion, dict) and criterion and all(k.startswith("$") for k in criterion):
        cast: dict[str, Any] = {}
        for op, val in criterion.items():
            cast[op] = val if op in ("$exists", "$size") else _cast(kind, path, val)
        return cast
    return _cast(kind, path, criterion)


# -- evaluation ------------------------------------------------------------------------------
_MISSING = object()


def _resolve(doc: Any, path: list[str]) -> list[Any]:
    """Values at a dotted path, expanding arrays like MongoDB does."""
    if not path:
        return [doc]
    if isinstance(doc, list):
        out: list[Any] = []
        if path[0].isdigit() and int(path[0]) < len(doc):
            out.extend(_resolve(doc[int(path[0])], path[1:]))
        for item in doc:
            if isinstance(item, dict):
                out.extend(_resolve(item, path))
        return out
    if isinstance(doc, dict) and path[0] in doc:
        return _resolve(doc[path[0]], path[1:])
    return []


def _comparable(stored: Any, wanted: Any) -> Any:
    if isinstance(wanted, datetime) and isinstance(stored, str):
        try:
            return parse_date(stored)
        except ValueError:
            return stored
    return stored


def _equal(stored: Any, wanted: Any) -> bool:
    if isinstance(wanted, JsRegex):
        return isinstance(stored, str) and wanted.search(stored)
    stored = _comparable(stored, wanted)
    if isinstance(stored, bool) != isinstance(wanted, bool):
        return False
    return bool(stored == wanted)


def _candidates(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        out.append(value)
        if isinstance(value, list):
            out.extend(value)
    return out


def _order(stored: Any, wanted: Any, op: str) -> bool:
    stored = _comparable(stored, wanted)
    numeric = (int, float)
    same = (
        (isinstance(stored, numeric) and isinstance(wanted, numeric)
         and not isinstance(stored, bool) and not isinstance(wanted, bool))
        or (isinstance(stored, str) and isinstance(wanted, str))
        or (isinstance(stored, datetime) and isinstance(wanted, datetime))
    )
    if not same:
        return False
    return {"$gt": stored > wanted, "$gte": stored >= wanted,
            "$lt": stored < wanted, "$lte": stored <= wanted}[op]


def _match_value(values: list[Any], criterion: Any) -> bool:
    cands = _candidates(values)
    if isinstance(criterion, dict) and criterion and all(k.startswith("$") for k in criterion):
        return all(_match_op(values, cands, op, arg) for op, arg in criterion.items())
    if isinstance(criterion, dict):
        return any(v == criterion for v in values)
    if criterion is None:
        return not values or any(v is None for v in cands)
    return any(_equal(v, criterion) for v in cands)


def _match_op(values: list[Any], cands: list[Any], op: str, arg: Any) -> bool:
    if op == "$exists":
        return bool(values) == bool(arg)
    if op == "$ne":
        return not any(_equal(v, arg) for v in cands)
    if op == "$in":
        args = arg if isinstance(arg, list) else [arg]
        return any(_equal(v, a) for v in cands for a in args)
    if op == "$nin":
        args = arg if isinstance(arg, list) else [arg]
        return not any(_equal(v, a) for v in cands for a in args)
    if op == "$not":
        return not _match_value(values, arg)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return any(_order(v, arg, op) for v in cands)
    if op == "$all":
        args = arg if isinstance(arg, list) else [arg]
        return any(isinstance(v, list) and all(any(_equal(i, a) for i in v) for a in args) for v in values)
    if op == "$size":
        return any(isinstance(v, list) and len(v) == arg for v in values)
    if op == "$regex":
        pattern = arg if isinstance(arg, JsRegex) else JsRegex(_js_string(arg))
        return any(isinstance(v, str) and pattern.search(v) for v in cands)
    raise SpeckleError(f"unknown operator: {op}", "MongoError")


def matches(doc: Mapping[str, Any], criteria: Mapping[str, Any]) -> bool:
    """Whether ``doc`` satisfies MongoDB-shaped ``criteria`` (supports ``$and``/``$or``)."""
    for key, criterion in criteria.items():
        if key == "$and":
            if not all(matches(doc, sub) for sub in criterion):
                return False
        elif key == "$or":
            if not any(matches(doc, sub) for sub in criterion):
                return False
        elif not _match_value(_resolve(doc, key.split(".")), criterion):
            return False
    return True


# -- projection and sort ---------------------------------------------------------------------
def project(doc: dict[str, Any], projection: Mapping[str, int] | None) -> dict[str, Any]:
    """Apply an inclusive (``1``) or exclusive (``0``) projection with dotted paths."""
    if not projection:
        return doc
    inclusive = any(projection.values())
    if inclusive:
        out: dict[str, Any] = {}
        if "_id" in doc and projection.get("_id", 1):
            out["_id"] = doc["_id"]
        for path in projection:
            if path != "_id":
                _copy_path(doc, out, path.split("."))
        return out
    out = dict(doc)
    for path in projection:
        _drop_path(out, path.split("."))
    return out


def _copy_path(src: Any, dst: dict[str, Any], path: list[str]) -> None:
    head = path[0]
    if not isinstance(src, dict) or head not in src:
        return
    if len(path) == 1:
        dst[head] = src[head]
        return
    value = src[head]
    if isinstance(value, dict):
        sub = dst.setdefault(head, {})
        if isinstance(sub, dict):
            _copy_path(value, sub, path[1:])
    elif isinstance(value, list):
        items = dst.setdefault(head, [{} for _ in value])
        for item, target in zip(value, items, strict=False):
            if isinstance(item, dict) and isinstance(target, dict):
                _copy_path(item, target, path[1:])


def _drop_path(doc: Any, path: list[str]) -> None:
    if isinstance(doc, list):
        for item in doc:
            _drop_path(item, path)
        return
    if not isinstance(doc, dict) or path[0] not in doc:
        return
    if len(path) == 1:
        del doc[path[0]]
    else:
        child = doc[path[0]] = _deep_copy_container(doc[path[0]])
        _drop_path(child, path[1:])


def _deep_copy_container(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return [_deep_copy_container(v) for v in value]
    return value


_TYPE_RANK = {type(None): 1, int: 2, float: 2, str: 3, dict: 4, list: 5, bool: 8}


def _sort_key(value: Any) -> tuple[int, Any]:
    rank = _TYPE_RANK.get(type(value), 9)
    if rank in (4, 5):
        return rank, str(value)
    if value is None:
        return rank, 0
    return rank, value


# -- the query -------------------------------------------------------------------------------
@dataclass
class Query:
    """A parsed list query."""

    criteria: list[dict[str, Any]] = field(default_factory=list)
    projection: dict[str, int] | None = None
    sort: list[tuple[str, int]] = field(default_factory=list)
    offset: int = 0
    limit: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def filter_doc(self) -> dict[str, Any]:
        """The criteria combined as ``{"$and": [...]}`` (empty dict when none)."""
        return {"$and": self.criteria} if self.criteria else {}

    def match(self, doc: Mapping[str, Any]) -> bool:
        """Whether a document passes every filter."""
        return all(matches(doc, crit) for crit in self.criteria)

    def apply(
        self,
        docs: Iterable[dict[str, Any]],
        *,
        filters: bool = True,
        paging: bool = True,
        sort: bool = True,
        projection: bool = True,
        scope: Callable[[dict[str, Any]], bool] | None = None,
        hydrate: str | None = None,
    ) -> list[dict[str, Any]]:
        """Filter, sort, page and project documents (each stage can be switched off).

        ``hydrate``: the collection, when the original reads mongoose documents (not ``lean``):
        their keys come in the order :func:`~speckle.devserver.models.hydrate` gives.
        """
        selected = [
            d for d in docs if (scope is None or scope(d)) and (not filters or self.match(d))
        ]
        if sort and self.sort:
            for path, direction in reversed(self.sort):
                selected.sort(
                    key=lambda d, p=path: _sort_key(_first(_resolve(d, p.split(".")))),
                    reverse=direction < 0,
                )
        if paging:
            selected = selected[self.offset :]
            if self.limit:  # a negative limit is MongoDB's single batch of that many
                selected = selected[: abs(self.limit)]
        if projection and self.projection:
            selected = [project(d, self.projection) for d in selected]
        if hydrate is not None:
            from .models import hydrate as hydrated

            shown = self.projection if projection else None
            selected = [hydrated(hydrate, d, shown) for d in selected]
        return selected


def _first(values: list[Any]) -> Any:
    return values[0] if values else None


def _int_option(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[0] if value else ""
    number = js_number(str(value))
    if number is None or math.isinf(number):
        return None
    return int(number)


def _list_option(value: Any) -> list[str]:
    text = _js_string(value) if isinstance(value, list) else str(value)
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_query(raw: str | Mapping[str, Any], schema: Schema | None = None,
                ignore: Iterable[str] = ()) -> Query:
    """Parse a raw query string (or an already parsed ``qs`` dict) into a :class:`Query`.

    Raises :class:`CastFailure` when a filter value cannot be cast to its schema type.
    """
    parsed = parse_qs(raw, QS_DEPTH) if isinstance(raw, str) else dict(raw)
    query = Query(raw=parsed)
    if "fields" in parsed:
        query.projection = {name: 1 for name in _list_option(parsed["fields"])} or None
    if "omit" in parsed:
        query.projection = {name: 0 for name in _list_option(parsed["omit"])} or None
    if "sort" in parsed:
        for name in _list_option(parsed["sort"]):
            name = name.lstrip("+ ")
            if name.startswith("-"):
                query.sort.append((name[1:], -1))
            elif name:
                query.sort.append((name, 1))
    if "offset" in parsed:
        query.offset = max(_int_option(parsed["offset"]) or 0, 0)
    if "limit" in parsed:
        query.limit = _int_option(parsed["limit"]) or None
    skip = set(RESERVED) | set(ignore)
    for key, value in parsed.items():
        if key in skip:
            continue
        if isinstance(value, dict):
            query.criteria.append({key: value})
            continue
        pair = comparison(key, value)
        if pair is None:
            continue
        path, criterion = pair
        query.criteria.append({path: cast_criterion(schema or {}, path, criterion)})
    return query


def prepare_projection(projection: dict[str, int] | None, raw: Mapping[str, Any]) -> dict[str, int] | None:
    """§5.3: ``fields`` always gains the permission fields; ``omit`` can never drop them."""
    if not projection:
        return None
    if "omit" in raw:
        kept = {k: v for k, v in projection.items() if k not in PERMISSION_FIELDS}
        return kept or None
    return {**projection, **{name: 1 for name in PERMISSION_FIELDS}}
