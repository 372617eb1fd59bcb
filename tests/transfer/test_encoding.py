"""Content hashing and encoding: deterministic, content-only, never mutating the caller's data."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from typing import Any

import pytest

from speckle.errors import SpeckleInputError
from speckle.models.objects import Point
from speckle.transfer import encode_object, hash_object, object_fingerprint, object_hash
from speckle.transfer.encoding import fingerprints


def test_hash_is_md5_of_the_json_as_sent_without_the_hash_key() -> None:
    # the rule a v1 server applies to objects that come without a hash
    a = {"type": "Point", "value": [1, 2.5, 3], "properties": {"b": 1, "a": [None, "x"]}}
    as_sent = json.dumps(a, separators=(",", ":"), ensure_ascii=False).encode()
    assert object_hash(a) == hashlib.md5(as_sent).hexdigest()
    assert object_hash({**a, "hash": "stale"}) == object_hash(a)


def test_wire_json_keeps_the_callers_key_order() -> None:
    obj = {"value": [1, 2, 3], "type": "Point", "properties": {"z": 1, "a": 2}}
    _, wire = hash_object(obj)
    assert list(json.loads(wire)) == ["value", "type", "properties", "hash"]
    assert list(json.loads(wire)["properties"]) == ["z", "a"]


def test_nan_hidden_next_to_nulls_is_still_refused() -> None:
    with pytest.raises(SpeckleInputError):
        hash_object({"type": "Mesh", "properties": None, "vertices": [0.0, math.nan]})
    assert json.loads(hash_object({"type": "Mesh", "properties": None, "vertices": [0.5, 1]})[1])["vertices"] == [
        0.5,
        1,
    ]


def test_any_change_changes_the_hash() -> None:
    base = {"type": "Line", "value": [0, 0, 0, 1, 1, 1]}
    variants = [
        {"type": "Line", "value": [0, 0, 0, 1, 1, 2]},
        {"type": "Line", "value": [0, 0, 0, 1, 1, 1], "name": None},
        {"type": "Polyline", "value": [0, 0, 0, 1, 1, 1]},
        {"type": "Line", "value": [0, 0, 0, 1, 1, 1.5]},
    ]
    hashes = {object_hash(v) for v in variants}
    assert len(hashes) == len(variants) and object_hash(base) not in hashes


def test_hash_is_the_same_in_another_process() -> None:
    obj = {"type": "Mesh", "vertices": [0.1, 0.2, 1e-7, 12345.678], "faces": [0, 1, 2], "props": {"ü": "é", "z": {}}}
    code = (
        "import json,sys; from speckle.transfer import object_hash; "
        "print(object_hash(json.loads(sys.argv[1])))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code, json.dumps(obj)], capture_output=True, text=True, env=env,
                         check=True)
    assert out.stdout.strip() == object_hash(obj)


def test_the_wire_json_is_the_object_plus_its_hash_and_the_object_is_untouched() -> None:
    obj = {"type": "Point", "value": [1, 2, 3], "hash": None, "name": "ü"}
    before = json.dumps(obj)
    digest, wire = hash_object(obj)
    assert json.dumps(obj) == before
    assert json.loads(wire) == {**obj, "hash": digest}
    assert hash_object({})[1] == f'{{"hash":"{object_hash({})}"}}'.encode()


def test_nested_models_are_serialised_and_nan_is_refused() -> None:
    nested = {"type": "Abstract", "origin": Point(value=[1, 2, 3])}
    assert json.loads(encode_object(nested))["origin"]["value"] == [1, 2, 3]
    as_dicts = {"type": "Abstract", "origin": Point(value=[1, 2, 3]).to_payload()}
    assert object_hash(nested) == object_hash(as_dicts)
    for bad in (math.nan, math.inf):
        with pytest.raises(SpeckleInputError):
            hash_object({"type": "Point", "value": [bad]})
    assert json.loads(encode_object({"a": None, "big": 2**70})) == {"a": None, "big": 2**70}


# -- fingerprints: the keys of the sent-object record ----------------------------------------------


def test_fingerprints_are_equal_exactly_when_the_json_is() -> None:
    base = {"type": "Line", "value": [0, 0.5, 1], "properties": {"a": None, "b": True, "ü": "é"}}
    same = json.loads(json.dumps(base))
    assert object_fingerprint(same) == object_fingerprint(base)
    assert object_fingerprint({**base, "hash": "whatever"}) == object_fingerprint(base)  # the hash is left out
    assert object_fingerprint({**base, "value": (0, 0.5, 1)}) == object_fingerprint(base)  # both JSON arrays
    different = [
        {**base, "value": [0, 0.5, 1.0000000000000002]},
        {**base, "value": [0.0, 0.5, 1]},  # 0.0 and 0 are different JSON
        {**base, "value": [-0.0, 0.5, 1]},
        {**base, "properties": {"a": None, "b": 1, "ü": "é"}},  # true and 1 too
        {**base, "properties": {"b": True, "a": None, "ü": "é"}},  # so is another key order
        {**base, "properties": {"a": False, "b": True, "ü": "é"}},
        {**base, "properties": {"a": "", "b": True, "ü": "é"}},
        {"properties": base["properties"], "type": "Line", "value": [0, 0.5, 1]},
    ]
    assert len({object_fingerprint(o) for o in [base, *different]}) == len(different) + 1
    for variant in different:
        same_json = encode_object(variant) == encode_object(base)
        assert (object_fingerprint(variant) == object_fingerprint(base)) == same_json


def test_nan_never_shares_a_fingerprint_with_null() -> None:
    # orjson writes NaN as null; the record must never give a NaN object the id of its null twin
    assert object_fingerprint({"value": [math.nan]}) != object_fingerprint({"value": [None]})
    assert object_fingerprint({"value": [math.inf]}) != object_fingerprint({"value": [None]})


def test_data_outside_json_types_falls_back_to_the_json_fingerprint() -> None:
    class Text(str):
        pass

    nested = {"type": "Abstract", "origin": Point(value=[1, 2, 3]), "name": Text("x"), "big": 2**70}
    plain = {"type": "Abstract", "origin": Point(value=[1, 2, 3]).to_payload(), "name": "x", "big": 2**70}
    assert object_fingerprint(nested) == object_fingerprint(plain)
    assert fingerprints([nested, plain, {"hash": "h", **plain}]) == [object_fingerprint(plain)] * 3
    with pytest.raises(SpeckleInputError):
        object_fingerprint({"type": "Point", "value": {1, 2}})  # a set is no JSON


def test_fingerprints_of_a_list_match_one_by_one_and_are_the_same_in_another_process() -> None:
    objects = [{"type": "Point", "value": [i, i / 3, 1e-7]} for i in range(50)] + [{"hash": "x", "type": "Point"}]
    assert fingerprints(objects) == [object_fingerprint(o) for o in objects]
    assert len(set(fingerprints(objects))) == len(objects)
    code = (
        "import json,sys; from speckle.transfer import object_fingerprint; "
        "print(object_fingerprint(json.loads(sys.argv[1])))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "54321"}
    out = subprocess.run([sys.executable, "-c", code, json.dumps(objects[7])], capture_output=True, text=True,
                         env=env, check=True)
    assert out.stdout.strip() == object_fingerprint(objects[7])


def test_sealed_batches_hold_what_hash_object_gives_each_object_cut_like_plan_batches() -> None:
    from speckle.transfer import plan_batches
    from speckle.transfer.encoding import sealed_batches

    objects: list[Any] = [
        {"type": "Point", "value": [1, 2.5, -0.0], "properties": {"b": None, "a": "é"}},
        {},
        {"hash": "stale", "type": "Line", "value": [1e300, 3]},  # a hash is replaced and goes last
        {"big": 2**70, "nested": {"x": [None, True]}},  # beyond orjson: the standard library writes it
        {"type": "Point", "value": [0.5], "point": Point(value=[1, 2, 3])},  # a model inside
        *({"type": "Mesh", "n": i, "vertices": [i * 0.5] * (i % 50)} for i in range(300)),
    ]
    originals = json.dumps(objects, default=str)
    wires = [hash_object(o)[1] for o in objects]
    batches = sealed_batches(objects, 3000, 40)
    assert [(first, first + len(bounds) - 1) for first, _, bounds in batches] == plan_batches(
        [len(w) for w in wires], 3000, 40
    )
    for first, body, bounds in batches:
        assert bounds[-1] == len(body) and json.loads(body) == [json.loads(w) for w in wires[first:][: len(bounds) - 1]]
        assert [body[bounds[k] : bounds[k + 1] - 1] for k in range(len(bounds) - 1)] == wires[first:][: len(bounds) - 1]
    assert json.dumps(objects, default=str) == originals  # nothing the caller gave was changed


def test_sealed_batches_refuse_nan_and_infinity_even_next_to_nulls() -> None:
    from speckle.transfer.encoding import sealed_batches

    good = [{"type": "Point", "value": [1, 2, 3], "n": None} for _ in range(10)]
    for bad in ({"v": [math.nan], "n": None}, {"v": math.inf}, {"w": {"deep": [-math.inf, None]}}):
        with pytest.raises(SpeckleInputError):
            sealed_batches([*good, bad, *good], 1000, 5)
    assert len(sealed_batches(good, 1000, 5)) == 2
