"""Models as scripts written for the original client (pydantic 1) use them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from speckle.models import Comment, Point, SpeckleObject, Stream, parse_object
from speckle.resources.streams import Layer, LayerProperties, StreamBaseProperties

#: The original's defaults (``speckle/schemas/*.py`` of PySpeckle 1.x): ``Name() -> fields``.
#: Deliberate differences: Plane xdir/ydir (the original gave [0, 0, 1] to both), Line's
#: ``value`` (the original declared ``Value``), Curve's name (the original said SpecklePolycurve).
ORIGINAL_DEFAULTS: dict[str, dict[str, Any]] = {
    "Point": {"type": "Point", "name": "SpecklePoint", "value": [0, 0, 0]},
    "Vector": {"type": "Vector", "name": "SpeckleVector", "value": [0, 0, 1]},
    "Interval": {"type": "Interval", "name": "SpeckleInterval", "start": 0, "end": 0},
    "Number": {"type": "Number", "name": "SpeckleNumber", "value": 0},
    "String": {"type": "String", "name": "SpeckleString", "value": ""},
    "Null": {"type": "Null", "name": "SpeckleNull"},
    "Mesh": {"type": "Mesh", "name": "SpeckleMesh", "vertices": [], "faces": []},
    "Polyline": {"type": "Polyline", "name": "SpecklePolyline", "value": []},
    "Brep": {"type": "Brep", "name": "SpeckleBrep", "rawData": ""},
    "Polycurve": {"type": "Polycurve", "name": "SpecklePolycurve", "segments": [], "closed": False,
                  "domain": {"type": "Interval", "name": "SpeckleInterval", "start": 0, "end": 0}},
    "Curve": {"type": "Curve", "name": "SpeckleCurve", "segments": [], "degree": 0, "rational": True,
              "periodic": True, "points": [], "weights": [], "knots": [],
              "domain": {"type": "Interval", "name": "SpeckleInterval", "start": 0, "end": 0}},
    "Line": {"type": "Line", "name": "SpeckleLine", "value": [],
             "domain": {"type": "Interval", "name": "SpeckleInterval", "start": 0, "end": 0}},
    "Arc": {"type": "Arc", "name": "SpeckleArc", "radius": 0, "startAngle": 0, "endAngle": 0, "angleRadians": 0},
    "Plane": {"type": "Plane", "name": "SpecklePlane"},
}


@pytest.mark.parametrize(("name", "expected"), sorted(ORIGINAL_DEFAULTS.items()))
def test_schemas_start_with_the_original_defaults(name: str, expected: dict[str, Any]) -> None:
    import speckle.schemas

    cls = getattr(speckle.schemas, name)
    payload = cls().to_payload()
    assert {k: payload[k] for k in expected} == expected
    # defaults are sent and shown, as they were with the original
    assert cls().dict().keys() >= expected.keys()
    assert cls.Schema is cls


def test_plane_is_the_world_xy_plane_and_arcs_sit_on_it() -> None:
    from speckle.schemas import Arc, Plane

    plane = Plane().to_payload()
    assert [plane[k]["value"] for k in ("origin", "normal", "xdir", "ydir")] == [
        [0, 0, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert Arc().to_payload()["plane"] == plane


def test_schema_objects_are_our_models_and_keep_given_values() -> None:
    from speckle.schemas import Mesh
    from speckle.schemas import Point as OriginalPoint

    point = OriginalPoint(value=[1, 2, 3])
    assert isinstance(point, Point) and isinstance(point, SpeckleObject)
    assert point.value == [1, 2, 3]
    mesh = Mesh(vertices=[0, 0, 0, 1, 0, 0, 0, 1, 0], faces=[0, 0, 1, 2])
    assert parse_object(mesh.to_payload()).to_payload() == mesh.to_payload()


def test_objects_the_server_returns_are_instances_of_the_original_classes() -> None:
    import speckle.schemas
    from speckle.resources.streams import StreamBaseProperties as Properties

    point = parse_object({"type": "Point", "value": [1, 2, 3]})  # as the client builds it
    assert isinstance(point, speckle.schemas.Point)
    assert not isinstance(point, speckle.schemas.Vector)
    assert not isinstance(parse_object({"type": "Mesh"}), speckle.schemas.Point)
    assert isinstance(speckle.schemas.Point(), Point)
    assert not isinstance(Comment(), Properties)  # only the geometry and layer classes


def test_layer_parts_with_the_original_defaults() -> None:
    layer = Layer(name="walls", objectCount=3)
    payload = layer.to_payload()
    uuid.UUID(payload["guid"])
    assert payload["startIndex"] == 0 and payload["orderIndex"] == 0 and payload["objectCount"] == 3
    assert Layer().guid != Layer().guid
    assert LayerProperties().to_payload() == {"color": {}, "visible": True, "pointsize": 0, "linewidth": 0,
                                              "shininess": 0, "smooth": True, "showEdges": True,
                                              "wireframe": True}
    assert StreamBaseProperties().to_payload() == {"units": "Meters"}
    stream = Stream(name="s", layers=[layer], baseProperties=StreamBaseProperties().dict())
    assert stream.to_payload()["layers"][0]["guid"] == layer.guid


def test_pydantic_1_methods() -> None:
    data = {"_id": "c1", "text": "hello", "__v": 2, "assignedTo": []}
    comment = Comment.parse_obj(data)
    assert comment.id == "c1" and comment.text == "hello"
    comment.assignedTo = ["u1"]
    # dict(): the fields held (what was read plus what was set), by Python name
    assert comment.dict() == {"id": "c1", "text": "hello", "__v": 2, "assignedTo": ["u1"]}
    assert comment.dict(by_alias=True)["_id"] == "c1"
    assert comment.dict(exclude_unset=False)["flagged"] is None
    assert json.loads(comment.json()) == comment.dict()
    assert json.loads(comment.json(indent=2, sort_keys=True)) == comment.dict()
    assert Comment.parse_raw(comment.json(by_alias=True)).to_payload() == comment.to_payload()
    copied = comment.copy(update={"text": "changed"})
    assert copied.text == "changed" and comment.text == "hello"
    assert copied.to_payload()["_id"] == "c1"
