"""The helpers that turn untrusted server data into text: previews, body decoding, HTML pages."""

from __future__ import annotations

import json

import pytest

from speckle._untrusted import decode_text, preview, short_repr, utf8_safe
from speckle.transport import extract_message, html_to_text


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def test_preview_is_compact_json_for_small_documents() -> None:
    doc = {"name": "WeirdError", "code": 7, "x": [None, True, 1.5]}
    assert json.loads(preview(doc)) == doc


@pytest.mark.parametrize(
    "value",
    [nested(100_000), {"k": "x" * 1_000_000}, list(range(100_000)), 10**5000, "a\ud800b", b"\xff" * 10_000,
     {str(i): i for i in range(10_000)}],
    ids=["deep", "huge string", "long list", "huge int", "surrogate", "bytes", "wide dict"],
)
def test_preview_is_bounded_and_encodable(value: object) -> None:
    text = preview(value, 200)
    assert len(text) <= 203
    text.encode("utf-8")


def test_short_repr_bounds_strings_and_containers() -> None:
    assert short_repr("abc") == "'abc'"
    assert short_repr("x" * 500, 10) == repr("x" * 10) + "..."
    assert len(short_repr(nested(5000))) < 100
    assert short_repr(None) == "None"


def test_utf8_safe_replaces_only_lone_surrogates() -> None:
    assert utf8_safe("ünï©ødé") == "ünï©ødé"
    assert utf8_safe("a\ud800b\udfff") == "a\ufffdb\ufffd"


@pytest.mark.parametrize("charset", ["rot13", "idna", "base64", "hex", "zlib", "punycode", "nonsense", "", None,
                                     '"utf-8"', "utf-7"])
def test_decode_text_never_raises(charset: str | None) -> None:
    text = decode_text(b"caf\xc3\xa9 \xff\xfe \xed\xa0\x80", charset)
    assert text.startswith("caf")
    text.encode("utf-8")


def test_decode_text_uses_a_named_text_charset() -> None:
    assert decode_text(b"caf\xe9", "iso-8859-1") == "café"
    assert decode_text(b"caf\xe9", "rot13") == "caf\ufffd"  # not a text encoding: read as UTF-8


def test_html_to_text_reads_express_error_pages() -> None:
    page = ("<!DOCTYPE html><html><head><title>Error</title></head><body><pre>TypeError: Cannot read "
            "property &#39;x&#39; of undefined<br> &nbsp; &nbsp;at foo (/app/x.js:1:2)</pre></body></html>")
    assert html_to_text(page) == "TypeError: Cannot read property 'x' of undefined"
    assert html_to_text("<html><title>502 Bad Gateway</title></html>") == "502 Bad Gateway"
    assert html_to_text("<html><body><h1>Oops</h1><p>down &amp; out</p></body></html>") == "Oops down & out"


@pytest.mark.parametrize("unit", ["<pre>", "<title>", "<", "<a", "a<", "<PRE>x", "&amp;<"])
def test_html_to_text_of_pages_full_of_unclosed_tags(unit: str) -> None:
    # each of these took minutes at 100 KB with the former regular expressions
    page = unit * (100_000 // len(unit))
    text = html_to_text(page)
    assert isinstance(text, str) and len(text) <= 300


def test_extract_message_never_formats_a_whole_document() -> None:
    message = extract_message({"success": False, "message": nested(900)}, "", "Bad Request")
    assert len(message) < 400
    assert extract_message({"message": "a\ud800"}, "", "") == "a\ufffd"
