"""Keys as mongoose sets them on open models, and the keys the driver refuses (checked against
the real server in tests/parity; these pin the rules and what a user sees of them)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from speckle.devserver.errors import SpeckleError
from speckle.devserver.paths import key_error, set_paths, updated_order
from speckle.devserver.schema import MODELS

from .conftest import Http

STREAMS = MODELS["streams"].fields


def stream_paths(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    return set_paths(body, STREAMS, current)


def test_dotted_keys_are_paths_and_objects_merge_into_undeclared_paths() -> None:
    current = {"u": {"a": 1, "b": {"c": 2}}, "name": "N", "private": False, "baseProperties": {"x": 1}}
    before = copy.deepcopy(current)
    assert stream_paths({"u": {"b": {"d": 3}}}, current) == {"u": {"a": 1, "b": {"c": 2, "d": 3}}}
    assert stream_paths({"u.b.e": 4}, current) == {"u": {"a": 1, "b": {"c": 2, "e": 4}}}
    assert stream_paths({"u": {}, "v": {"w": {}}}, current) == {}  # an empty object sets nothing
    assert stream_paths({"u": None}, current) == {"u": None}
    assert stream_paths({"baseProperties": {"y": 2}}, current) == {"baseProperties": {"y": 2}}  # Mixed: replaced
    assert stream_paths({"baseProperties.z": 3}, current) == {"baseProperties": {"x": 1, "z": 3}}
    assert stream_paths({"a..b": 1, ".c": 2, "d.": 3}, None) == {"a": {"": {"b": 1}}, "": {"c": 2}, "d": {"": 3}}
    assert stream_paths({"t": {"f.g": {"h": 1}}}, None) == {"t": {"f": {"g": {"h": 1}}}}
    assert stream_paths({"private.x": 1}, current) == {"private": {}}  # the cast of {} fails later
    with pytest.raises(SpeckleError, match="Cannot create property 'x' on string 'N'"):
        stream_paths({"name.x": 1}, current)
    with pytest.raises(SpeckleError, match="Cannot create property 'deep' on number '1'"):
        stream_paths({"u.a.deep": 1}, current)
    assert current == before  # the stored document is never changed by a failed or computed set


def test_numbers_in_paths_index_arrays() -> None:
    current = {"tags": ["a", "b"], "arr": [1, {"k": 1}]}
    elements: list[tuple[str, str, Any]] = []
    out = set_paths({"tags.3": "w", "arr.1.k": 2, "arr.01": 3}, STREAMS, current, elements=elements)
    assert out == {"tags": ["a", "b", None, "w"], "arr": [1, 3]}
    assert elements == [("tags", "tags.3", "w"), ("arr", "arr.01", 3)]
    arrays: list[list[str]] = []
    assert stream_paths({"arr": {"0": 9}}, current) == {"arr": [9, {"k": 1}]}
    set_paths({"arr.x": 1}, STREAMS, current, arrays)
    assert arrays == [["arr"]]  # another key of an array stores nothing, but saves the array again
    with pytest.raises(SpeckleError, match="Cannot create property 'q' on number '1'"):
        stream_paths({"arr.0.q": 1}, current)


def test_arrays_set_at_undeclared_paths_are_reported_for_versioning() -> None:
    arrays: list[list[str]] = []
    set_paths({"w": [1], "u.f": [2], "same": [3], "tags": ["x"]}, STREAMS, {"same": [3], "u": {}}, arrays)
    assert arrays == [["w"], ["u", "f"], ["tags"]]


def test_updates_that_mongoose_and_the_database_treat_apart() -> None:
    current = {"f": False, "n": None, "u": {"k": 1}}
    arrays: list[list[str]] = []
    out = set_paths({"y": {"q": [7]}, "u.l": [1]}, STREAMS, current, arrays)
    assert out == {"y": {"q": [7]}, "u": {"k": 1, "l": [1]}}
    assert arrays == [["u", "l"]]  # an array inside an object the update made is set with it
    with pytest.raises(SpeckleError, match="Cannot create property '0' on boolean 'false'") as stored:
        stream_paths({"f.0": 1}, current)
    assert stored.value.name == "MongoError"  # a stored false: the database refuses the path
    assert stream_paths({"f": False, "f.0": 1}, current) == {"f": {"0": 1}}  # set by the same update
    assert stream_paths({"n.0": 1}, current) == {"n": {"0": 1}}
    assert stream_paths({"globalMeasures.units": {"r.s": None}}, {"globalMeasures": {}}) == {
        "globalMeasures": {"units": {"r.s": None}}}  # inside a Mixed path: set whole, keys as given


def test_json_bodies_list_index_keys_first_as_json_parse_does() -> None:
    from speckle.devserver.http_body import parse_json
    body = parse_json(b'{"q": 1, "10": 2, "2": {"b": 1, "0": 2}, "01": 3, "-1": 4, "4294967295": 5, "4294967294": 6}')
    assert list(body) == ["2", "10", "4294967294", "q", "01", "-1", "4294967295"]
    assert list(body["2"]) == ["0", "b"]


def test_an_update_appends_new_keys_sorted_and_keeps_the_old_ones_in_place() -> None:
    assert list(updated_order({"z": 1, "b": 2, "a": {"y": 1, "x": 2}}, {"a": {"y": 0}, "z": 0})) == ["a", "z", "b"]
    assert list(updated_order({"y": 1, "x": 2}, {"y": 0})) == ["y", "x"]
    assert list(updated_order({"q": 1, "p": 2}, {})) == ["p", "q"]


def test_the_driver_refuses_dollar_and_dotted_keys_on_insert_and_nul_always() -> None:
    assert str(key_error({"a": [{"m.n": 1}]}, insert=True)) == "Error: key m.n must not contain '.'"
    assert str(key_error({"q": {"$r": 1}, "s.t": 1}, insert=True)) == "Error: key $r must not start with '$'"
    assert key_error({"q": {"$r": 1}, "a": [{"m.n": 1}]}, insert=False) is None
    assert str(key_error({"k\0": 1}, insert=False)) == "Error: key k\0 must not contain null bytes"
    assert key_error({"a": [1.5, "x.y", {"b": "$c"}]}, insert=True) is None


_keys = st.text(alphabet="ab.$", max_size=4)
_json = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
                     max_leaves=12)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(body=st.dictionaries(_keys, _json, max_size=4), current=st.dictionaries(_keys, _json, max_size=4))
def test_setting_any_body_fails_only_with_the_servers_error_and_never_touches_the_stored_document(
        body: dict[str, Any], current: dict[str, Any]) -> None:
    before = json.dumps(current)
    try:
        out = stream_paths(body, current)
    except SpeckleError as exc:  # a path through a string, number or true, or a stored false
        assert exc.name in ("TypeError", "MongoError")
        assert exc.text.startswith(("Cannot create property", "Cannot assign to read only property"))
        assert json.dumps(current) == before
        return
    assert json.dumps(current) == before
    plain = all("." not in k and not isinstance(v, dict) for k, v in body.items())
    if plain:  # no path and no object: the body as it is
        assert out == body
    for key in out:
        assert key.split(".")[0] == key  # every path became nested objects
    json.dumps(updated_order(out, current))  # an update's order is always a JSON document


def test_the_local_server_merges_and_refuses_like_the_real_one(http: Http) -> None:
    owner = http.register()
    sid = http.ok("POST", "/streams", owner, json={"name": "S", "props": {"a": 1}, "k.l": 2})["resource"]["streamId"]
    http.ok("PUT", f"/streams/{sid}", owner, json={"props": {"b": 2}, "props.c": 3, "z": 1, "y": [1]})
    stream = http.ok("GET", f"/streams/{sid}?omit=objects,layers", owner)["resource"]
    assert stream["props"] == {"a": 1, "b": 2, "c": 3} and stream["k"] == {"l": 2}
    assert list(stream).index("y") < list(stream).index("z")  # new keys: sorted
    assert stream["__v"] == 1  # an array was set
    http.ok("PUT", f"/streams/{sid}", owner, json={"props": {"0": "z"}})  # merged: index keys still first
    assert list(http.ok("GET", f"/streams/{sid}", owner)["resource"]["props"]) == ["0", "a", "b", "c"]
    http.ok("PUT", f"/streams/{sid}", owner, json={"flag": False})
    refused = http("PUT", f"/streams/{sid}", owner, json={"flag.x": 1, "private": "maybe"})
    assert refused.json()["message"].startswith("ValidationError: private")  # validated before the database
    refused = http("PUT", f"/streams/{sid}", owner, json={"flag.x": 1})
    assert refused.json()["message"] == "MongoError: Cannot create property 'x' on boolean 'false'"
    fresh = http.ok("POST", "/streams", owner, json={"name": "F"})["resource"]["streamId"]
    http.ok("PUT", f"/streams/{fresh}", owner, json={"zz": 1, "commitMessage": "m"})
    keys = [k for k in http.ok("GET", f"/streams/{fresh}", owner)["resource"] if k != "layers"]
    # the defaults the first save adds sort with the new keys
    assert keys[-4:] == ["baseProperties", "commitMessage", "globalMeasures", "zz"]
    crashed = http("PUT", f"/streams/{sid}", owner, json={"canRead": None, "private": "maybe"})
    assert crashed.status_code == 400 and "filter" in crashed.json()["message"]
    # a nested path's own field takes an object whole (and casts it), a project's lists are
    # filtered before the body is set
    pid = http.ok("POST", "/projects", owner, json={"name": "P"})["resource"]["_id"]
    refused = http("PUT", f"/projects/{pid}", owner, json={"permissions.canRead": {"p": 1}})
    assert refused.status_code == 404 and "permissions.canRead: Cast to Array failed" in refused.json()["message"]
    http.ok("PUT", f"/projects/{pid}", owner, json={"canRead": None})
    crashed = http("PUT", f"/projects/{pid}", owner, json={"name": "Q"})
    assert crashed.status_code == 404 and crashed.json()["message"] == "Cannot read property 'filter' of null"
    refused = http("PUT", f"/streams/{sid}", owner, json={"tags.1": {"a": 1}})
    assert refused.json()["message"] == ('ValidationError: tags.1: Cast to String failed for value "{ a: 1 }" '
                                         'at path "tags.1"')
    # closed models: paths into Mixed ones and array items only
    comment = http.ok("POST", f"/comments/stream/{sid}", owner, json={"text": "t", "view.c": 1, "labels.1": "b",
                                                                       "text.x": 1})["resource"]
    assert comment["view"] == {"c": 1} and comment["labels"] == [None, "b"] and comment["text"] == "t"
    refused = http("POST", "/streams", owner, json={"name": "S", "$where": 1})
    assert refused.status_code == 400 and refused.json()["message"] == "Error: key $where must not start with '$'"
    refused = http("POST", "/objects", owner, json=[{"type": "A", "n": 1}, {"type": "B", "l": [{"a.b": 1}]}])
    assert refused.status_code == 400 and refused.json()["message"] == "Error: key a.b must not contain '.'"
    # nothing of the refused batch was saved: another user's equal object is new, not the owner's
    other = http.register()
    oid = http.ok("POST", "/objects", other, json=[{"type": "A", "n": 1}])["resources"][0]["_id"]
    assert http.ok("GET", f"/objects/{oid}", other)["resource"]["owner"] == other.id
