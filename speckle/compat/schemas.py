"""The geometry classes of the original ``speckle.schemas``, with the original's defaults.

``from speckle.schemas import Point`` gives :class:`Point`, a :class:`speckle.models.Point`
whose fields start where the original's did: ``Point()`` is the origin ``[0.0, 0.0, 0.0]``,
``Vector()`` is ``[0.0, 0.0, 1.0]``, ``Mesh()`` has empty ``vertices`` and ``faces``, ``Plane()``
is the world XY plane... Defaults count as set: they are sent to the server and appear in
``.dict()``, as they did with the original. Objects the server sends back are built as the
plain :mod:`speckle.models` classes these derive from.

Where the original's default was a slip, these hold what it meant: ``Plane().xdir`` is
``[1, 0, 0]`` and ``ydir`` ``[0, 1, 0]`` (the original gave ``[0, 0, 1]`` for both),
``Line`` keeps its coordinates in ``value`` like every other v1 client (the original declared
``Value``), ``Curve().name`` is ``"SpeckleCurve"`` (the original said ``"SpecklePolycurve"``).
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field, model_validator

from speckle import models
from speckle.models.base import SpeckleModel
from speckle.models.objects import Number

__all__ = [
    "OriginalDefaults",
    "Arc",
    "Brep",
    "Curve",
    "Interval",
    "Line",
    "Mesh",
    "Null",
    "NumberSchema",
    "Plane",
    "Point",
    "Polycurve",
    "Polyline",
    "String",
    "Vector",
    "Layer",
    "LayerProperties",
    "StreamBaseProperties",
    "SCHEMAS",
    "SCHEMA_NAMES",
]


class _OriginalSchemaType(type(SpeckleModel)):  # type: ignore[misc]
    """``isinstance(obj, speckle.schemas.Point)`` holds for every :class:`speckle.models.Point`.

    The original built the objects the server returned with these classes; here the server's
    objects are the plain :mod:`speckle.models` classes these derive from, and old scripts'
    ``isinstance`` checks keep working.
    """

    def __instancecheck__(cls, instance: Any) -> bool:
        if type.__instancecheck__(cls, instance):
            return True
        plain = [base for base in cls.__bases__ if base is not OriginalDefaults and base is not SpeckleModel]
        return len(plain) == 1 and not issubclass(plain[0], OriginalDefaults) and isinstance(instance, plain[0])


class OriginalDefaults(SpeckleModel, metaclass=_OriginalSchemaType):
    """Mixin: every field with a default counts as set (sent to the server, shown by ``dict()``)."""

    @model_validator(mode="after")
    def _defaults_count_as_set(self) -> Any:
        for name, info in type(self).model_fields.items():
            if name in self.__pydantic_fields_set__:
                continue
            if info.default_factory is not None or info.default is not None:
                self.__pydantic_fields_set__.add(name)
        return self


def _xyz(x: float, y: float, z: float) -> Any:
    return Field(default_factory=lambda: [x, y, z])


class Interval(OriginalDefaults, models.Interval):
    """``speckle.schemas.Interval``: ``Interval()`` is ``[0.0, 0.0]``."""

    name: str | None = "SpeckleInterval"
    start: Number | None = 0.0
    end: Number | None = 0.0


class Point(OriginalDefaults, models.Point):
    """``speckle.schemas.Point``: ``Point()`` is the origin ``[0.0, 0.0, 0.0]``."""

    name: str | None = "SpecklePoint"
    value: list[Number] | None = _xyz(0.0, 0.0, 0.0)


class Vector(OriginalDefaults, models.Vector):
    """``speckle.schemas.Vector``: ``Vector()`` is the unit Z vector ``[0.0, 0.0, 1.0]``."""

    name: str | None = "SpeckleVector"
    value: list[Number] | None = _xyz(0.0, 0.0, 1.0)


class Plane(OriginalDefaults, models.Plane):
    """``speckle.schemas.Plane``: ``Plane()`` is the world XY plane at the origin."""

    name: str | None = "SpecklePlane"
    origin: Any = Field(default_factory=Point)
    normal: Any = Field(default_factory=Vector)
    xdir: Any = Field(default_factory=lambda: Vector(value=[1.0, 0.0, 0.0]))
    ydir: Any = Field(default_factory=lambda: Vector(value=[0.0, 1.0, 0.0]))


class Line(OriginalDefaults, models.Line):
    """``speckle.schemas.Line``: ``value`` holds ``[x1, y1, z1, x2, y2, z2]`` (empty by default)."""

    name: str | None = "SpeckleLine"
    value: list[Number] | None = Field(default_factory=list)
    domain: Any = Field(default_factory=Interval)


class Arc(OriginalDefaults, models.Arc):
    """``speckle.schemas.Arc``: zero radius and angles, on the world XY plane."""

    name: str | None = "SpeckleArc"
    radius: Number | None = 0.0
    startAngle: Number | None = 0.0
    endAngle: Number | None = 0.0
    angleRadians: Number | None = 0.0
    domain: Any = Field(default_factory=Interval)
    plane: Any = Field(default_factory=Plane)


class Polyline(OriginalDefaults, models.Polyline):
    """``speckle.schemas.Polyline``: ``value`` holds the flat coordinates (empty by default)."""

    name: str | None = "SpecklePolyline"
    value: list[Number] | None = Field(default_factory=list)


class Polycurve(OriginalDefaults, models.Polycurve):
    """``speckle.schemas.Polycurve``: no segments, open."""

    name: str | None = "SpecklePolycurve"
    segments: list[Any] | None = Field(default_factory=list)
    domain: Any = Field(default_factory=Interval)
    closed: bool | None = False


class Curve(OriginalDefaults, models.Curve):
    """``speckle.schemas.Curve``: a NURBS curve with no points yet (degree 0, rational, periodic)."""

    name: str | None = "SpeckleCurve"
    segments: list[Any] | None = Field(default_factory=list)
    domain: Any = Field(default_factory=Interval)
    degree: Number | None = 0
    rational: bool | None = True
    periodic: bool | None = True
    points: list[Number] | None = Field(default_factory=list)
    weights: list[Number] | None = Field(default_factory=list)
    knots: list[Number] | None = Field(default_factory=list)


class Mesh(OriginalDefaults, models.Mesh):
    """``speckle.schemas.Mesh``: empty ``vertices`` and ``faces``."""

    name: str | None = "SpeckleMesh"
    vertices: list[Number] | None = Field(default_factory=list)
    faces: list[Number] | None = Field(default_factory=list)


class Brep(OriginalDefaults, models.Brep):
    """``speckle.schemas.Brep``: empty ``rawData``, no display mesh."""

    name: str | None = "SpeckleBrep"
    rawData: Any = ""


class Null(OriginalDefaults, models.Null):
    """``speckle.schemas.Null``."""

    name: str | None = "SpeckleNull"


class NumberSchema(OriginalDefaults, models.NumberObject):
    """``speckle.schemas.Number``: ``value`` 0.0."""

    name: str | None = "SpeckleNumber"
    value: Number | None = 0.0


class String(OriginalDefaults, models.String):
    """``speckle.schemas.String``: ``value`` ``""``."""

    name: str | None = "SpeckleString"
    value: str | None = ""


# -- stream parts, as ``speckle.resources.streams`` named them ----------------------------------


class LayerProperties(OriginalDefaults, models.LayerProperties):
    """``speckle.resources.streams.LayerProperties``: visible, smooth, edges and wireframe shown."""

    color: models.LayerColor | None = Field(default_factory=models.LayerColor)
    visible: bool | None = True
    pointsize: Number | None = 0
    linewidth: Number | None = 0
    shininess: Number | None = 0
    smooth: bool | None = True
    showEdges: bool | None = True
    wireframe: bool | None = True


class Layer(OriginalDefaults, models.Layer):
    """``speckle.resources.streams.Layer``: ``Layer()`` is ``"New Layer"`` with a new ``guid``."""

    guid: str | None = Field(default_factory=lambda: str(uuid.uuid4()))
    name: str | None = "New Layer"
    orderIndex: int | None = 0
    startIndex: int | None = 0
    objectCount: int | None = 0


class StreamBaseProperties(OriginalDefaults, SpeckleModel):
    """``speckle.resources.streams.StreamBaseProperties``: a stream's units and tolerances."""

    units: str | None = "Meters"
    tolerance: Number | None = None
    angleTolerance: Number | None = None


#: ``speckle.base.resource.SCHEMAS``: the classes of ``speckle.schemas`` by their module name.
SCHEMAS: dict[str, type[SpeckleModel]] = {
    "Arc": Arc,
    "Brep": Brep,
    "Curve": Curve,
    "Interval": Interval,
    "Line": Line,
    "Mesh": Mesh,
    "Null": Null,
    "Number": NumberSchema,
    "Plane": Plane,
    "Point": Point,
    "Polycurve": Polycurve,
    "Polyline": Polyline,
    "String": String,
    "Vector": Vector,
}

#: ``NAME`` of each original ``speckle.schemas.<Name>`` module.
SCHEMA_NAMES: dict[str, str] = {name: name.lower() for name in SCHEMAS}
