"""``encode_query``: every documented operator, and the inputs it refuses."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from speckle.devserver.querylang import comparison
from speckle.errors import SpeckleInputError
from speckle.query import encode_query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (None, ""),
        ({}, ""),
        ("?fields=a&limit=2", "fields=a&limit=2"),
        ({"fields": "streamId,name"}, "fields=streamId,name"),
        ({"fields": ["streamId", "name"]}, "fields=streamId,name"),
        ({"omit": ("objects", "layers")}, "omit=objects,layers"),
        ({"sort": "-updatedAt,name"}, "sort=-updatedAt,name"),
        ({"sort": {"updatedAt": -1, "name": 1}}, "sort=-updatedAt,name"),
        ({"sort": {"updatedAt": "desc"}}, "sort=-updatedAt"),
        ({"offset": 20, "limit": 10}, "offset=20&limit=10"),
        ({"limit": 0}, "limit=0"),
        ({"name": "Test Project"}, "name=Test%20Project"),
        ({"name": "a&b=c#d+e%"}, "name=a%26b%3Dc%23d%2Be%25"),
        ({"name": "a,b"}, "name=a,b"),
        ({"private": False, "deleted": True}, "private=false&deleted=true"),
        ({"count": 5, "ratio": 0.5}, "count=5&ratio=0.5"),
        ({"name": ["a", "b"]}, "name=a,b"),
        ({"name": ["a,b", "c"]}, 'name="a,b",c'),
        ({"name": ['say "hi", bye']}, "name='say%20\"hi\",%20bye'"),
        ({"name": {"$in": ["a", "b"]}}, "name=a,b"),
        ({"name": {"$nin": ["a", "b"]}}, "name!=a,b"),
        ({"name": {"$ne": "a"}}, "name!=a"),
        ({"count": {"$gt": 5}}, "count>5"),
        ({"count": {"$gte": 5, "$lte": 9}}, "count>=5&count<=9"),
        ({"count": {"$lt": 5}}, "count<5"),
        ({"updatedAt": {"$gte": "2020-01-01"}}, "updatedAt>=2020-01-01"),
        ({"updatedAt": {"$gte": dt.date(2020, 1, 1)}}, "updatedAt>=2020-01-01"),
        ({"updatedAt": {"$lt": dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC)}}, "updatedAt<2020-01-01T12:00:00%2B00:00"),
        ({"jobNumber": {"$exists": True}}, "jobNumber"),
        ({"jobNumber": {"$exists": False}}, "!jobNumber"),
        ({"tags": {"$all": ["a", "b"]}}, "tags:all=a,b"),
        ({"tags": {"$size": 2}}, "tags:size=2"),
        ({"name": {"$regex": "^Tower"}}, "name=/^Tower/"),
        ({"name": {"$regex": "^Tower", "$options": "i"}}, "name=/^Tower/i"),
        ({"name": re.compile("^to wer", re.I)}, "name=/^to%20wer/i"),
        ({"name": {"$literal": "a,b"}}, 'name="a,b"'),
        ({"name": {"$literal": 'a "b", c'}}, "name='a%20\"b\",%20c'"),
        ({"baseProperties.units": "m"}, "baseProperties.units=m"),
        ({"fields": "name", "type": "Mesh", "limit": 5}, "fields=name&type=Mesh&limit=5"),
    ],
)
def test_encode_query(query, expected):
    assert encode_query(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        ["fields", "a"],
        {"limit": -1},
        {"limit": "10"},
        {"offset": True},
        {"fields": 5},
        {"fields": ["a", 1]},
        {"omit": {"a": 1}},
        {"": "x"},
        {1: "x"},
        {"name": None},
        {"count": float("nan")},
        {"count": {"$gt": float("inf")}},
        {"name": {"$foo": 1}},
        {"name": {"$in": "abc"}},
        {"name": {"$in": []}},
        {"name": []},
        {"name": object()},
        {"name": {"$in": [{"a": 1}]}},
        {"updatedAt": {"$gte": dt.datetime(2020, 1, 1)}},
        {"name": ["it's \"both\", really"]},
    ],
)
def test_bad_queries_are_input_errors(query):
    with pytest.raises(SpeckleInputError):
        encode_query(query)


@pytest.mark.parametrize(
    ("query", "criterion"),
    [
        ({"name": "Tower"}, ("name", "Tower")),
        ({"name": ["a,b", "c"]}, ("name", {"$in": ["a,b", "c"]})),
        ({"name": {"$nin": ["a", "b"]}}, ("name", {"$nin": ["a", "b"]})),
        ({"count": {"$gte": 5}}, ("count", {"$gte": 5})),
        ({"count": {"$gt": 5}}, ("count", {"$gt": 5})),
        ({"jobNumber": {"$exists": False}}, ("jobNumber", {"$exists": False})),
        ({"name": {"$literal": "a,b"}}, ("name", "a,b")),
        ({"tags": {"$size": 2}}, ("tags", {"$size": 2})),
        ({"flag": False}, ("flag", False)),
    ],
)
def test_the_server_reads_what_was_meant(query, criterion):
    """Decode with the local server's port of query-to-mongo (after URL-decoding, as qs does)."""
    from urllib.parse import unquote

    encoded = encode_query(query)
    key, _, value = encoded.partition("=")  # qs splits each pair on its first "="
    assert comparison(unquote(key), unquote(value)) == criterion
