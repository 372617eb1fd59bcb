"""Models of route-specific answers: stream diffs and deltas."""

from __future__ import annotations

from typing import Any

from speckle.models.base import SpeckleModel
from speckle.models.objects import Placeholder
from speckle.models.resources import Layer

__all__ = ["ObjectDiff", "LayerDiff", "StreamDiff", "Revision", "Delta", "StreamDelta"]


class ObjectDiff(SpeckleModel):
    """Object ids (plain strings) common to both streams, only in A, only in B."""

    common: list[str] = []
    inA: list[str] = []
    inB: list[str] = []


class LayerDiff(SpeckleModel):
    """Layers (compared by ``guid``) common to both streams, only in A, only in B."""

    common: list[Layer] = []
    inA: list[Layer] = []
    inB: list[Layer] = []


class StreamDiff(SpeckleModel):
    """The answer of ``streams.diff(a, b)``: ``objects`` and ``layers``."""

    objects: ObjectDiff = ObjectDiff()
    layers: LayerDiff = LayerDiff()


class Revision(SpeckleModel):
    """One side of a delta: stream id, last update and sending application."""

    id: str | None = None
    updatedAt: str | None = None
    sender: str | None = None


class Delta(SpeckleModel):
    """What changed from stream A to stream B, as placeholders."""

    created: list[Placeholder] = []
    deleted: list[Placeholder] = []
    common: list[Placeholder] = []
    revisionA: Revision | None = None
    revisionB: Revision | None = None
    timestamp: str | None = None


class StreamDelta(SpeckleModel):
    """The answer of ``streams.delta(a, b)``.

    ``message`` is set when a stream has no ``Sender`` client; ``author`` may then be the
    string ``"undefined"`` (server quirk) and is otherwise a user dict.
    """

    revisionDatetime: str | None = None
    author: Any = None
    delta: Delta = Delta()
    message: str | None = None
