"""Numbers as a v1 server (Node) reads and writes them: the local server's JSON and hashes.

The expected texts are what Node 20 gives for ``JSON.stringify(JSON.parse(text))``.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from speckle.devserver.http_body import parse_json
from speckle.devserver.jsonutil import _js_text, dumps

from .conftest import Http

#: (JSON as a client writes it, JSON.stringify of it in Node)
NODE = [
    ("[1.0,2.50,1e21,1e-7,-0.0,0.30000000000000004]", "[1,2.5,1e+21,1e-7,0,0.30000000000000004]"),
    ("[2e-6,3.47e-6,1e-6,2.5e-5,1e-5]", "[0.000002,0.00000347,0.000001,0.000025,0.00001]"),
    ("[1e16,4.5e16,1.5e17,1e20,9470000000000000.0]",
     "[10000000000000000,45000000000000000,150000000000000000,100000000000000000000,9470000000000000]"),
    ("[9007199254740993,123456789012345680000,100000000000000000000000]",
     "[9007199254740992,123456789012345680000,1e+23]"),
    ("[1E400,-1e-400,5e-324,1.7976931348623157e308,-1e400]", "[null,0,5e-324,1.7976931348623157e+308,null]"),
    ('{"a.0":"v1.0 e-6 e+16","b":[0.1,100,-0.000025]}', '{"a.0":"v1.0 e-6 e+16","b":[0.1,100,-0.000025]}'),
]


def test_numbers_are_read_and_written_as_node_does() -> None:
    for sent, node in NODE:
        assert dumps(parse_json(sent.encode())) == node, sent


def test_an_object_without_a_hash_gets_the_md5_of_json_stringify(http: Http) -> None:
    user = http.register()
    body = b'[{"type":"Numbers","v":[1.0,2e-6,1e16,0.5]}]'
    oid = http.ok("POST", "/objects", user, data=body, headers={"Content-Type": "application/json"})[
        "resources"][0]["_id"]
    stored = http.ok("GET", f"/objects/{oid}", user)["resource"]
    node = '{"type":"Numbers","v":[1,0.000002,10000000000000000,0.5]}'
    assert stored["hash"] == hashlib.md5(node.encode()).hexdigest()
    # written otherwise, the same numbers are the same object
    again = http.ok("POST", "/objects", user, data=b'[{"type":"Numbers","v":[1,0.000002,1E16,5e-1]}]',
                    headers={"Content-Type": "application/json"})["resources"][0]["_id"]
    assert again == oid


#: what a parsed body can hold (integers beyond 2**53 are read as doubles, see NODE)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(value=_json)
def test_the_fast_writer_is_the_exact_one(value: Any) -> None:
    text = dumps(value)
    assert text == _js_text(value)  # orjson's text is kept only when it is JSON.stringify's


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(number=st.floats(allow_nan=False))
def test_every_double_is_written_so_that_it_reads_back_the_same(number: float) -> None:
    back = parse_json(dumps([number]).encode())[0]
    if math.isinf(number):
        assert back is None
    else:
        assert back == number and (back != 0 or str(back) in ("0", "0.0"))
