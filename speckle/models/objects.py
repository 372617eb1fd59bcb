"""Speckle objects: the base :class:`SpeckleObject` and the geometry types of the v1 spec.

The concrete class is chosen by the object's ``type`` (:func:`parse_object`); an unknown
type, or data that does not fit the typed fields, gives a plain :class:`SpeckleObject` that
still holds every field. Numbers keep their JSON type (``1`` stays an int, ``1.0`` a float),
so hashes computed from re-serialised objects match the original.

Example::

    >>> from speckle.models import parse_object
    >>> point = parse_object({'type': 'Point', 'value': [0, 1, 2.5]})
    >>> point
    <Point id=None 'Point'>
    >>> point.value
    [0, 1, 2.5]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from speckle._untrusted import short_repr as _r
from speckle.models.base import ResourceModel

__all__ = [
    "Number",
    "SpeckleObject",
    "Placeholder",
    "DeniedObject",
    "Null",
    "Abstract",
    "Boolean",
    "NumberObject",
    "String",
    "Interval",
    "Interval2d",
    "Point",
    "Vector",
    "Plane",
    "Line",
    "Rectangle",
    "Circle",
    "Arc",
    "Ellipse",
    "Polyline",
    "Polycurve",
    "Curve",
    "Box",
    "Mesh",
    "Brep",
    "Extrusion",
    "Annotation",
    "Block",
    "OBJECT_TYPES",
    "parse_object",
    "placeholders_of",
    "parse_objects",
    "DENIED_OBJECT_TEXT",
]

#: A JSON number that keeps its int/float kind.
Number = int | float

#: The value v1 servers put in the stand-in for an object the caller may not read.
DENIED_OBJECT_TEXT = "You do not have permissions to view this object"


class SpeckleObject(ResourceModel):
    """A Speckle object of any ``type`` (the base of all geometry types).

    ``type`` and ``hash`` are what v1 servers require; the server computes ``hash`` when
    it is missing.
    """

    type: str = "Abstract"
    hash: str | None = None
    geometryHash: str | None = None
    applicationId: str | None = None
    name: str | None = None
    properties: dict[str, Any] | None = None
    parent: str | None = None
    children: list[Any] | None = None
    ancestors: list[Any] | None = None
    transform: list[Number] | None = None

    @model_validator(mode="after")
    def _type_is_always_sent(self) -> SpeckleObject:
        # ``type`` is required by the server: a default type counts as set
        self.__pydantic_fields_set__.add("type")
        return self

    @property
    def is_placeholder(self) -> bool:
        """True for a ``{"type": "Placeholder", "_id": ...}`` reference."""
        return self.type == "Placeholder"


class Placeholder(SpeckleObject):
    """A reference to a stored object: ``{"type": "Placeholder", "_id": "<object id>"}``."""

    type: str = "Placeholder"


class DeniedObject(SpeckleObject):
    """The stand-in a v1 server returns from getbulk for an object that is missing,
    unreadable, or excluded by the query's filters (it has no ``owner``)."""

    type: str = "String"
    value: Any = None

    def __repr__(self) -> str:
        return f"<DeniedObject id={_r(self.id)} (missing, unreadable or filtered out)>"


class Null(SpeckleObject):
    type: str = "Null"


class Abstract(SpeckleObject):
    """An object of a type unknown to Speckle, described by ``_type`` and ``assembly``."""

    type: str = "Abstract"
    assembly: str | None = None


class Boolean(SpeckleObject):
    type: str = "Boolean"
    value: bool | None = None


class NumberObject(SpeckleObject):
    """A number (Speckle type ``Number``)."""

    type: str = "Number"
    value: Number | None = None


class String(SpeckleObject):
    type: str = "String"
    value: str | None = None


class Interval(SpeckleObject):
    type: str = "Interval"
    start: Number | None = None
    end: Number | None = None


class Interval2d(SpeckleObject):
    type: str = "Interval2d"
    u: Any = None
    v: Any = None


class Point(SpeckleObject):
    """A point: ``value`` holds ``[x, y, z]``."""

    type: str = "Point"
    value: list[Number] | None = None


class Vector(SpeckleObject):
    """A vector: ``value`` holds ``[x, y, z]``."""

    type: str = "Vector"
    value: list[Number] | None = None


class Plane(SpeckleObject):
    type: str = "Plane"
    origin: Any = None
    normal: Any = None
    xdir: Any = None
    ydir: Any = None


class Line(SpeckleObject):
    """A line: ``value`` holds ``[x1, y1, z1, x2, y2, z2]``."""

    type: str = "Line"
    value: list[Number] | None = None
    domain: Any = None


class Rectangle(SpeckleObject):
    type: str = "Rectangle"
    a: Any = None
    b: Any = None
    c: Any = None
    d: Any = None


class Circle(SpeckleObject):
    type: str = "Circle"
    radius: Number | None = None
    center: Any = None
    normal: Any = None
    plane: Any = None
    domain: Any = None


class Arc(SpeckleObject):
    type: str = "Arc"
    radius: Number | None = None
    startAngle: Number | None = None
    endAngle: Number | None = None
    angleRadians: Number | None = None
    plane: Any = None
    domain: Any = None


class Ellipse(SpeckleObject):
    type: str = "Ellipse"
    firstRadius: Number | None = None
    secondRadius: Number | None = None
    plane: Any = None
    domain: Any = None


class Polyline(SpeckleObject):
    """A polyline: ``value`` holds the flat coordinates ``[x1, y1, z1, x2, ...]``."""

    type: str = "Polyline"
    closed: bool | None = None
    value: list[Number] | None = None
    domain: Any = None


class Polycurve(SpeckleObject):
    type: str = "Polycurve"
    closed: bool | None = None
    segments: list[Any] | None = None
    domain: Any = None


class Curve(SpeckleObject):
    """A NURBS curve."""

    type: str = "Curve"
    degree: Number | None = None
    periodic: bool | None = None
    rational: bool | None = None
    points: list[Number] | None = None
    weights: list[Number] | None = None
    knots: list[Number] | None = None
    domain: Any = None
    displayValue: Any = None


class Box(SpeckleObject):
    type: str = "Box"
    basePlane: Any = None
    xSize: Any = None
    ySize: Any = None
    zSize: Any = None


class Mesh(SpeckleObject):
    """A mesh: flat ``vertices`` ``[x1, y1, z1, ...]`` and ``faces`` (``0``/``1`` + indices)."""

    type: str = "Mesh"
    vertices: list[Number] | None = None
    faces: list[Number] | None = None
    colors: list[Number] | None = None
    textureCoordinates: list[Number] | None = None


class Brep(SpeckleObject):
    """A boundary representation: the native ``rawData`` plus a ``displayValue`` mesh."""

    type: str = "Brep"
    rawData: Any = None
    provider: str | None = None
    displayValue: Any = None


class Extrusion(SpeckleObject):
    type: str = "Extrusion"
    capped: bool | None = None
    profile: Any = None
    pathStart: Any = None
    pathEnd: Any = None
    pathCurve: Any = None
    length: Number | None = None


class Annotation(SpeckleObject):
    type: str = "Annotation"
    text: str | None = None
    textHeight: Number | None = None
    fontName: str | None = None
    bold: bool | None = None
    italic: bool | None = None
    location: Any = None
    plane: Any = None


class Block(SpeckleObject):
    type: str = "Block"
    blockName: str | None = None
    description: str | None = None
    objects: list[Any] | None = Field(default=None)


#: Model class per Speckle ``type``.
OBJECT_TYPES: dict[str, type[SpeckleObject]] = {
    "Placeholder": Placeholder,
    "Null": Null,
    "Abstract": Abstract,
    "Boolean": Boolean,
    "Number": NumberObject,
    "String": String,
    "Interval": Interval,
    "Interval2d": Interval2d,
    "Point": Point,
    "Vector": Vector,
    "Plane": Plane,
    "Line": Line,
    "Rectangle": Rectangle,
    "Circle": Circle,
    "Arc": Arc,
    "Ellipse": Ellipse,
    "Polyline": Polyline,
    "Polycurve": Polycurve,
    "Curve": Curve,
    "Box": Box,
    "Mesh": Mesh,
    "Brep": Brep,
    "Extrusion": Extrusion,
    "Annotation": Annotation,
    "Block": Block,
}


def parse_object(data: Any) -> SpeckleObject:
    """Build the model of one Speckle object, chosen by its ``type``.

    Arguments:
        data {dict|SpeckleObject} -- the object as the server sent it

    Returns:
        SpeckleObject -- an instance of the matching geometry class, or of
        :class:`SpeckleObject` when the type is unknown or the fields do not fit it
    """
    if isinstance(data, SpeckleObject):
        return data
    if not isinstance(data, dict):
        return SpeckleObject.model_validate({"type": "Abstract", "value": data})
    kind = data.get("type")
    if kind == "String" and data.get("value") == DENIED_OBJECT_TEXT and "owner" not in data:
        cls: type[SpeckleObject] = DeniedObject
    else:
        cls = OBJECT_TYPES.get(kind, SpeckleObject) if isinstance(kind, str) else SpeckleObject
    try:
        return cls.model_validate(data)
    except PydanticValidationError:
        return _untyped(data)


def _untyped(data: dict[str, Any]) -> SpeckleObject:
    """A :class:`SpeckleObject` holding ``data`` verbatim, for data that fits no typed class."""
    obj = SpeckleObject.model_construct(**data)
    obj._key_order = tuple(data)
    return obj


def _placeholder_builder() -> Callable[[str], Placeholder] | None:
    """A builder of ``Placeholder(type="Placeholder", _id=...)`` without validation, or None.

    It fills the instance exactly as validating ``{"type": "Placeholder", "_id": <str>}`` does
    (same fields, same fields set, same key order), about ten times faster; it is used only if
    it gives an instance equal in every respect to a validated one.
    """
    wanted = Placeholder.model_validate({"type": "Placeholder", "_id": "0"})
    fields = dict(wanted.__dict__)
    fields_set = frozenset(wanted.__pydantic_fields_set__)
    private = dict(wanted.__pydantic_private__ or {})
    new, setattr_ = Placeholder.__new__, object.__setattr__

    def build(object_id: str) -> Placeholder:
        obj = new(Placeholder)
        values = fields.copy()
        values["id"] = object_id
        setattr_(obj, "__dict__", values)
        setattr_(obj, "__pydantic_fields_set__", set(fields_set))
        setattr_(obj, "__pydantic_extra__", {})
        setattr_(obj, "__pydantic_private__", private.copy())
        return obj

    try:
        made = build("0")
        same = (
            made == wanted
            and made.__pydantic_fields_set__ == wanted.__pydantic_fields_set__
            and made.__pydantic_extra__ == wanted.__pydantic_extra__
            and made.to_payload() == wanted.to_payload()
            and list(made.to_payload()) == ["type", "_id"]
            and made.model_dump() == wanted.model_dump()
            and all(value is None or type(value) in (str, int, bool, float, tuple) for value in fields.values())
        )
    except Exception:  # another pydantic: validate instead
        same = False
    return build if same else None


_build_placeholder = _placeholder_builder()


def placeholders_of(ids: list[str]) -> list[Placeholder]:
    """The :class:`Placeholder` models ``{"type": "Placeholder", "_id": <id>}`` of these ids.

    They are built without validation, about five times faster: each is the instance
    ``Placeholder.model_validate({"type": "Placeholder", "_id": id})`` gives (checked once, at
    import; with another pydantic they are validated instead).

    Arguments:
        ids {list} -- object ids (strings)

    Returns:
        list -- one model per id, in order
    """
    build = _build_placeholder
    if build is None or set(map(type, ids)) - {str}:
        return [Placeholder.model_validate({"type": "Placeholder", "_id": _id}) for _id in ids]
    return list(map(build, ids))


def parse_objects(items: Any) -> list[SpeckleObject]:
    """Build the models of a list of Speckle objects (see :func:`parse_object`)."""
    return [parse_object(item) for item in items or []]
