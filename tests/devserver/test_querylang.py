"""Unit tests of the query language (§5)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from speckle.devserver.querylang import (
    CastFailure,
    JsRegex,
    matches,
    parse_qs,
    parse_query,
    prepare_projection,
    project,
    typed_value,
)

SCHEMA = {"jobNumber": "string", "private": "boolean", "updatedAt": "date"}


def crit(raw: str, schema: dict[str, str] | None = None) -> list[dict]:
    return parse_query(raw, schema).criteria


def test_qs_repeats_and_nesting() -> None:
    assert parse_qs("a=1&a=2&b[c]=x&d=%20y+z") == {"a": ["1", "2"], "b": {"c": "x"}, "d": " y z"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("name=Test%20Project", [{"name": "Test Project"}]),
        ("private=false", [{"private": False}]),
        ("name=a,b", [{"name": {"$in": ["a", "b"]}}]),
        ("name=a&name=b", [{"name": {"$in": ["a", "b"]}}]),
        ("name!=a", [{"name": {"$ne": "a"}}]),
        ("name!=a,b", [{"name": {"$nin": ["a", "b"]}}]),
        ("count>5", [{"count": {"$gt": 5}}]),
        ("count<5", [{"count": {"$lt": 5}}]),
        ("count<=3", [{"count": {"$lte": 3}}]),
        ("jobNumber", [{"jobNumber": {"$exists": True}}]),
        ("!jobNumber", [{"jobNumber": {"$exists": False}}]),
        ("tags:all=a,b", [{"tags": {"$all": ["a", "b"]}}]),
        ("tags:size=2", [{"tags": {"$size": 2}}]),
        ("baseProperties.units=m", [{"baseProperties.units": "m"}]),
        ("baseProperties[units]=m", [{"baseProperties": {"units": "m"}}]),
        ("skip=5", [{"skip": 5}]),
        ("x=%22a,b%22", [{"x": "a,b"}]),
    ],
)
def test_filters(raw: str, expected: list[dict]) -> None:
    assert crit(raw) == expected


def test_typed_values() -> None:
    assert typed_value("2020") == 2020
    assert typed_value("1e3") == 1000
    assert typed_value("0x10") == 16
    assert typed_value("true") is True
    assert typed_value("'77'") == "77"
    assert typed_value("2020-01-01") == datetime(2020, 1, 1, tzinfo=UTC)
    assert typed_value("2020-01-01T10:00:00") == "2020-01-01T10:00:00"  # no zone: string
    assert typed_value("abc") == "abc"
    pattern = typed_value("/^te/i")
    assert isinstance(pattern, JsRegex) and pattern.ignore_case and pattern.search("TEST")


def test_schema_casting() -> None:
    assert crit("jobNumber=123", SCHEMA) == [{"jobNumber": "123"}]
    assert crit("customNum=77", SCHEMA) == [{"customNum": 77}]
    with pytest.raises(CastFailure):
        parse_query("private=maybe", SCHEMA)


def test_options() -> None:
    query = parse_query("fields=a,b&sort=-a,+b&offset=2&limit=0&omit=c")
    assert query.projection == {"c": 0}  # omit replaces fields
    assert query.sort == [("a", -1), ("b", 1)]
    assert (query.offset, query.limit) == (2, None)


def test_evaluation_and_paging() -> None:
    docs = [{"_id": str(i), "n": i, "tags": ["a", "b"] if i % 2 else ["a"],
             "updatedAt": f"202{i}-01-01T00:00:00.000Z", "meta": {"units": "m" if i < 3 else "mm"}}
            for i in range(6)]
    ids = lambda raw: [d["_id"] for d in parse_query(raw).apply(docs)]  # noqa: E731
    assert ids("n>=2&n<4") == ["2", "3"]
    assert ids("tags:size=2") == ["1", "3", "5"]
    assert ids("tags=b") == ["1", "3", "5"]
    assert ids("updatedAt>2023-06-01") == ["4", "5"]
    assert ids("meta.units=m&sort=-n") == ["2", "1", "0"]
    assert ids("sort=-n&offset=1&limit=2") == ["4", "3"]
    assert ids("n!=1,2,3") == ["0", "4", "5"]
    assert ids("missing") == []
    assert ids("!missing&limit=1") == ["0"]
    assert parse_query("fields=n").apply(docs[:1]) == [{"_id": "0", "n": 0}]
    assert "n" not in parse_query("omit=n").apply(docs[:1])[0]


def test_regex_and_dotted_projection() -> None:
    doc = {"_id": "x", "name": "Test Stream", "a": {"b": 1, "c": 2}}
    assert matches(doc, {"name": JsRegex("^test", True)})
    assert not matches(doc, {"name": JsRegex("^test")})
    assert project(doc, {"a.b": 1}) == {"_id": "x", "a": {"b": 1}}
    assert project(doc, {"a.b": 0}) == {"_id": "x", "name": "Test Stream", "a": {"c": 2}}
    assert doc["a"] == {"b": 1, "c": 2}  # exclusion copies, never mutates


def test_prepared_projection() -> None:
    assert prepare_projection({"name": 1}, {"fields": "name"}) == {
        "name": 1, "type": 1, "private": 1, "canRead": 1, "canWrite": 1, "owner": 1}
    assert prepare_projection({"owner": 0}, {"omit": "owner"}) is None
    assert prepare_projection({"owner": 0, "x": 0}, {"omit": "owner,x"}) == {"x": 0}
