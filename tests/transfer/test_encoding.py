"""Content hashing and encoding: deterministic, content-only, never mutating the caller's data."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys

import pytest

from speckle.errors import SpeckleInputError
from speckle.models.objects import Point
from speckle.transfer import encode_object, hash_object, object_hash


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
