"""Parsing of every server frame of §9.4 into typed events, and the reconnection backoff."""

from __future__ import annotations

import json
import random

import pytest

from speckle.devserver.realtime import ANONYMOUS_TEXTS, BYE, DUPLICATE, NO_CLIENT_ID, WARNING
from speckle.errors import SpeckleInputError
from speckle.realtime import (
    Backoff,
    Broadcast,
    ClientIdChanged,
    DirectMessage,
    NoticeKind,
    RoomJoined,
    ServerNotice,
    UnknownEvent,
    parse_frame,
)


def test_broadcast_by_stream_and_by_resource() -> None:
    frame = json.dumps({"eventName": "broadcast", "senderId": "c1", "streamId": "S1",
                        "args": {"eventType": "update-global", "n": 1}})
    event = parse_frame(frame)
    assert isinstance(event, Broadcast)
    assert (event.sender_id, event.stream_id, event.room) == ("c1", "S1", "stream-S1")
    assert event.event_type == "update-global"
    assert event.args["n"] == 1 and event.raw == frame
    event = parse_frame(json.dumps({"eventName": "broadcast", "resourceType": "project", "resourceId": "p1",
                                    "args": [1, 2]}))
    assert isinstance(event, Broadcast)
    assert (event.stream_id, event.room, event.args, event.event_type) == (None, "project-p1", [1, 2], None)


def test_direct_message() -> None:
    event = parse_frame(json.dumps({"eventName": "message", "senderId": 5, "recipientId": "me", "streamId": "S",
                                    "args": {"eventType": "hello"}}))
    assert isinstance(event, DirectMessage)
    assert (event.sender_id, event.recipient_id, event.stream_id, event.event_type) == ("5", "me", "S", "hello")


def test_room_joined_and_new_id() -> None:
    event = parse_frame(json.dumps({"message": "Room joined.", "roomName": "stream-abc"}))
    assert isinstance(event, RoomJoined) and event.room_name == "stream-abc"
    event = parse_frame(json.dumps({"message": DUPLICATE, "newId": "a" * 24}), client_id="old")
    assert isinstance(event, ClientIdChanged)
    assert (event.old_id, event.new_id, event.message) == ("old", "a" * 24, DUPLICATE)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("You already joined that room.", NoticeKind.ALREADY_JOINED),
        ("Failed to join room stream-abc", NoticeKind.JOIN_REFUSED),
        (ANONYMOUS_TEXTS[0], NoticeKind.JOIN_REFUSED),
        (ANONYMOUS_TEXTS[1], NoticeKind.JOIN_REFUSED),
        ("You are not authorised to read.", NoticeKind.JOIN_REFUSED),
        ("Not authorised", NoticeKind.JOIN_REFUSED),
        (WARNING, NoticeKind.HEARTBEAT_WARNING),
        (BYE, NoticeKind.KICKED),
        (NO_CLIENT_ID, NoticeKind.MISSING_CLIENT_ID),
        ("Cannot read property 'private' of null", NoticeKind.OTHER),
        ("42", NoticeKind.OTHER),
    ],
)
def test_plain_text_replies_are_notices(text: str, kind: str) -> None:
    event = parse_frame(text)
    assert isinstance(event, ServerNotice)
    assert (event.text, event.kind) == (text, kind)


@pytest.mark.parametrize(
    "text",
    ['{"eventName": "join", "resourceType": "stream"}', '{"message": "Room joined."}', "[1, 2]", "null",
     '{"hello": "world"}', '"quoted"'],
)
def test_anything_else_is_unknown_not_an_error(text: str) -> None:
    event = parse_frame(text)
    assert isinstance(event, UnknownEvent) and event.data == json.loads(text) and event.raw == text


def test_deeply_nested_json_does_not_raise() -> None:
    assert isinstance(parse_frame("[" * 100_000 + "]" * 100_000), (UnknownEvent, ServerNotice))


def test_backoff_grows_exponentially_up_to_its_bound() -> None:
    policy = Backoff(initial=0.5, maximum=4.0, factor=2.0, jitter=0.0)
    assert [policy.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert policy.delay(10_000) == 4.0  # no overflow on very long outages


def test_backoff_jitter_stays_within_its_fraction() -> None:
    policy = Backoff(initial=1.0, maximum=8.0, jitter=0.25)
    rng = random.Random(7)
    delays = [policy.delay(3, rng) for _ in range(500)]
    assert all(3.0 <= d <= 4.0 for d in delays)
    assert max(delays) - min(delays) > 0.5  # really random, not a constant


@pytest.mark.parametrize(
    "kwargs",
    [{"initial": -1}, {"initial": 5, "maximum": 1}, {"factor": 0.5}, {"jitter": 1.5}, {"max_attempts": 0}],
)
def test_backoff_rejects_nonsense(kwargs: dict) -> None:
    with pytest.raises(SpeckleInputError):
        Backoff(**kwargs)
