"""Models: lossless round trips, dict access, type selection, and the documented examples."""

from __future__ import annotations

import json
import uuid

import pytest

from speckle.models import (
    OBJECT_TYPES,
    ApiClient,
    Comment,
    DeniedObject,
    Layer,
    Mesh,
    Placeholder,
    Point,
    Project,
    SpeckleObject,
    Stream,
    StreamDelta,
    StreamDiff,
    User,
    parse_object,
    parse_objects,
)

STREAM = {
    "_id": "5f0c7e6b9d1e8a00aaaaaaaa",
    "streamId": "I9-BQERra",
    "zeta": {"b": None, "a": [1, 2.0, "3"]},
    "owner": "u1",
    "name": None,
    "objects": [{"type": "Placeholder", "_id": "o1"}, {"type": "Point", "value": [1, 2.5, 3], "extra": None}],
    "layers": [{"name": "L", "guid": "g", "orderIndex": 0, "startIndex": 0, "objectCount": 2, "topology": "0;0-2 ",
                "properties": {"color": {"a": 1, "hex": "Black"}, "custom": True}}],
    "__v": 0,
    "alpha": 1,
}


@pytest.mark.parametrize("cls", [Stream, User, ApiClient, Comment, Project])
def test_round_trip_keeps_unknown_fields_order_and_none(cls):
    data = json.loads(json.dumps(STREAM))
    model = cls.model_validate(data)
    payload = model.to_payload()
    assert payload == STREAM
    assert json.dumps(payload) == json.dumps(STREAM)  # same key order, same number kinds


def test_dict_access():
    stream = Stream.model_validate(STREAM)
    assert stream["name"] is None and stream.name is None
    assert stream["zeta"] == {"b": None, "a": [1, 2.0, "3"]}
    assert stream["_id"] == stream["id"] == stream.id == "5f0c7e6b9d1e8a00aaaaaaaa"
    assert "zeta" in stream and "missing" not in stream
    assert stream.get("missing", 7) == 7
    with pytest.raises(KeyError):
        stream["missing"]
    assert stream.keys() == list(STREAM)
    stream["zeta"] = 5
    stream["name"] = "N"
    stream["_id"] = "new"
    assert stream.to_payload()["zeta"] == 5 and stream.name == "N" and stream.id == "new"
    assert list(stream.to_payload()) == list(STREAM)


def test_id_alias_both_ways():
    assert Point(id="a").to_payload()["_id"] == "a"
    assert Point.model_validate({"_id": "b"}).id == "b"
    assert Point.model_validate({"id": "c"}).to_payload() == {"_id": "c", "type": "Point"}


def test_nested_objects_get_their_types():
    stream = Stream.model_validate(STREAM)
    assert isinstance(stream.objects[0], Placeholder) and isinstance(stream.objects[1], Point)
    assert isinstance(stream.layers[0], Layer) and stream.layers[0].properties.color.hex == "Black"
    assert stream.layers[0].properties["custom"] is True


@pytest.mark.parametrize("kind", sorted(OBJECT_TYPES))
def test_geometry_type_selection(kind):
    obj = parse_object({"type": kind, "_id": "x", "unknown": [1]})
    assert type(obj) is OBJECT_TYPES[kind]
    assert obj.to_payload() == {"type": kind, "_id": "x", "unknown": [1]}


def test_unknown_type_and_denied_stand_in():
    custom = parse_object({"type": "Wall", "height": 3})
    assert type(custom) is SpeckleObject and custom["height"] == 3
    denied = parse_object({"_id": "x", "type": "String", "value": "You do not have permissions to view this object"})
    assert isinstance(denied, DeniedObject)
    owned = parse_object({"_id": "x", "type": "String", "value": "You do not have permissions to view this object",
                          "owner": "u"})
    assert not isinstance(owned, DeniedObject)


def test_ints_stay_ints_and_floats_stay_floats():
    mesh = parse_object({"type": "Mesh", "vertices": [0, 1.0, 2, 1e20, -0.5], "faces": [0, 1, 2, 3]})
    assert isinstance(mesh, Mesh)
    assert [type(v) for v in mesh.vertices] == [int, float, int, float, float]
    assert json.dumps(mesh.to_payload()) == json.dumps(
        {"type": "Mesh", "vertices": [0, 1.0, 2, 1e20, -0.5], "faces": [0, 1, 2, 3]}
    )


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Point", "value": ["1", "2", "3"]},
        {"type": "Point", "value": [True, 1, 2]},
        {"type": "Point", "value": "0,0,0"},
        {"_id": "c", "type": "Circle", "radius": "5", "zz": None},
        {"type": "Boolean", "value": "yes"},
        {"type": "Boolean", "value": 1},
        {"type": "Line", "name": 5},
        {"type": "Mesh", "properties": [1, 2]},
        {"type": 5, "value": 1},
        {"type": None},
    ],
)
def test_bad_data_falls_back_without_loss(data):
    obj = parse_object(dict(data))
    assert isinstance(obj, SpeckleObject)
    assert obj.to_payload() == data
    assert json.dumps(obj.to_payload()) == json.dumps(data)
    if "_id" in data:
        assert obj.id == data["_id"]


def test_bad_resource_data_falls_back_without_loss():
    data = {"_id": "s", "streamId": 7, "tags": "not-a-list", "layers": [{"orderIndex": "0"}], "x": None}
    stream = Stream.from_data(data)
    assert isinstance(stream, Stream) and stream.to_payload() == data and stream["tags"] == "not-a-list"
    assert stream.id == "s"


def test_from_data_refuses_non_objects():
    from speckle.errors import SpeckleResponseError

    with pytest.raises(SpeckleResponseError):
        Stream.from_data(["not", "a", "dict"])


def test_parse_objects_and_models_pass_through():
    point = Point(value=[1, 2, 3])
    assert parse_objects([point, {"type": "Null"}, None])[0] is point
    assert parse_objects(None) == []


def test_api_client_seed_example():
    api_client = ApiClient.parse_obj(
        {"role": "Hybrid", "documentName": "Test", "documentType": "DataServer",
         "documentLocation": "http://some.server.com", "online": True}
    )
    assert api_client.role == "Hybrid" and api_client.documentName == "Test"
    uuid.UUID(api_client.documentGuid)  # a generated GUID
    other = ApiClient.parse_obj({"role": "Hybrid"})
    assert other.documentGuid != api_client.documentGuid
    payload = api_client.to_payload()
    assert list(payload) == ["role", "documentName", "documentType", "documentLocation", "online", "documentGuid"]
    assert ApiClient.parse_obj({"documentGuid": "keep"}).documentGuid == "keep"
    assert ApiClient.model_validate({"_id": "c1", "role": "Sender"}).documentGuid is None  # server data untouched


def test_new_models_send_only_what_was_set():
    assert Point(value=[1, 2, 3]).to_payload() == {"type": "Point", "value": [1, 2, 3]}
    assert Point(value=[1, 2, 3], name=None).to_payload() == {"type": "Point", "value": [1, 2, 3], "name": None}
    assert SpeckleObject().to_payload() == {"type": "Abstract"}


def test_diff_and_delta_models():
    diff = StreamDiff.model_validate({"success": True, "objects": {"common": ["a"], "inA": [], "inB": ["b"]},
                                      "layers": {"common": [], "inA": [], "inB": []}})
    assert diff.objects.inB == ["b"] and diff["success"] is True
    delta = StreamDelta.model_validate({"author": None, "delta": {"created": [{"type": "Placeholder", "_id": "x"}]}})
    assert isinstance(delta.delta.created[0], Placeholder)


def test_repr_hides_tokens():
    user = User.model_validate({"_id": "u", "email": "a@b.c", "apitoken": "JWT secret.secret.secret"})
    assert "secret" not in repr(user) and "secret" not in str(user)
