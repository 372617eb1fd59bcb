"""Malformed websocket frames: :func:`speckle.realtime.parse_frame` returns an event, never raises."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from speckle.realtime import Broadcast, ClientIdChanged, DirectMessage, RoomJoined, ServerNotice, parse_frame
from speckle.realtime.events import Event, UnknownEvent

from .test_client_answers import Deep, _junk, mutate, paths, to_json

#: Frames as v1 servers send them.
FRAMES: list[Any] = [
    {"eventName": "broadcast", "senderId": "c1", "streamId": "s1", "resourceType": None, "resourceId": None,
     "args": {"eventType": "update-global", "objects": [1, 2]}},
    {"eventName": "broadcast", "senderId": "c1", "resourceType": "project", "resourceId": "p1", "args": {}},
    {"eventName": "message", "senderId": "c1", "recipientId": "c2", "streamId": "s1", "args": {"eventType": "x"}},
    {"message": "Room joined.", "roomName": "stream-s1"},
    {"message": "Client id already connected, you were given a new one.", "newId": "c3"},
]
NOTICES = ["ping", "Warning: you missed 5 minutes of pings", "You are not authorised to join that room.",
           "You must provide a client_id", "alive"]


@st.composite
def frames(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["mutated", "mutated", "text", "bytes", "notice", "deep", "junk"]))
    if kind == "mutated":
        doc = json.loads(json.dumps(draw(st.sampled_from(FRAMES))))
        where = draw(st.sampled_from(paths(doc)))
        drop = bool(where) and draw(st.booleans())
        text = to_json(mutate(doc, where, None if drop else draw(_junk), drop), draw(st.booleans()))
        cut = draw(st.one_of(st.none(), st.integers(0, len(text))))
        raw = text if cut is None else text[:cut]
        return raw if draw(st.booleans()) else raw.decode("utf-8", "surrogateescape")
    if kind == "text":
        return draw(st.text(max_size=50)) + draw(st.sampled_from(["", "\ud800", "\udfff{"]))
    if kind == "bytes":
        return draw(st.binary(max_size=50))
    if kind == "notice":
        return draw(st.sampled_from(NOTICES)).encode() if draw(st.booleans()) else draw(st.sampled_from(NOTICES))
    if kind == "deep":
        return Deep(draw(st.sampled_from([500, 1000, 3000, 100_000])), draw(st.sampled_from(["list", "dict"]))).json()
    return draw(st.one_of(st.none(), st.integers(), st.lists(st.integers(), max_size=3), st.just(bytearray(b"{}"))))


@settings(max_examples=settings.default.max_examples * 10)  # cheap: ten times the profile's budget
@given(frame=frames(), client_id=st.one_of(st.none(), st.text(max_size=5)))
def test_parse_frame_never_raises(frame: Any, client_id: str | None) -> None:
    event = parse_frame(frame, client_id)
    assert isinstance(event, Event)
    assert repr(event)
    if isinstance(event, ServerNotice):
        event.text.encode("utf-8")  # printable: no lone surrogates


def test_binary_frames_read_like_text_frames() -> None:
    frame = {"eventName": "broadcast", "senderId": "c1", "streamId": "s1", "args": {"eventType": "update-global"}}
    for raw in (json.dumps(frame), json.dumps(frame).encode(), bytearray(json.dumps(frame).encode())):
        event = parse_frame(raw)
        assert isinstance(event, Broadcast) and event.stream_id == "s1" and event.event_type == "update-global"
    notice = parse_frame(b"You are not authorised to join that room.")
    assert isinstance(notice, ServerNotice) and notice.kind == "join-refused"
    assert isinstance(parse_frame(b"\xff\xfe\x00"), ServerNotice)


def test_realistic_frames_keep_their_meaning() -> None:
    kinds = [type(parse_frame(json.dumps(frame), "c2")) for frame in FRAMES]
    assert kinds == [Broadcast, Broadcast, DirectMessage, RoomJoined, ClientIdChanged]
    deep = parse_frame('{"eventName":"broadcast","streamId":"s1","args":' + Deep(900, "list").json() + "}")
    assert isinstance(deep, Broadcast) and len(repr(deep)) < 1000
    assert isinstance(parse_frame(Deep(100_000, "dict").json()), (ServerNotice, UnknownEvent))
