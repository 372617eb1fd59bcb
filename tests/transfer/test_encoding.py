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


def test_hash_ignores_key_order_and_the_hash_key() -> None:
    a = {"type": "Point", "value": [1, 2.5, 3], "properties": {"b": 1, "a": [None, "x"]}}
    b = {"properties": {"a": [None, "x"], "b": 1}, "value": [1, 2.5, 3], "type": "Point"}
    assert object_hash(a) == object_hash(b)
    assert object_hash({**a, "hash": "stale"}) == object_hash(a)
    canonical = json.dumps(a, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert object_hash(a) == hashlib.md5(canonical).hexdigest()


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
    assert object_hash(nested) == object_hash({"type": "Abstract", "origin": {"type": "Point", "value": [1, 2, 3]}})
    for bad in (math.nan, math.inf):
        with pytest.raises(SpeckleInputError):
            hash_object({"type": "Point", "value": [bad]})
    assert json.loads(encode_object({"a": None, "big": 2**70})) == {"a": None, "big": 2**70}
