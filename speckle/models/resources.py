"""Models of the v1 resources: users, streams and layers, API clients, comments, projects."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SerializeAsAny, model_validator

from speckle._untrusted import short_repr as _r
from speckle.models.base import ResourceModel, SpeckleModel
from speckle.models.objects import Number, SpeckleObject, parse_object

__all__ = [
    "User",
    "LayerColor",
    "LayerProperties",
    "Layer",
    "Stream",
    "ApiClient",
    "CommentTarget",
    "Comment",
    "ProjectPermissions",
    "Project",
]

#: A Speckle object of the concrete class its ``type`` names.
TypedObject = Annotated[SerializeAsAny[SpeckleObject], BeforeValidator(parse_object)]


class User(ResourceModel):
    """A user account.

    The profile of the logged-in user (``client.me``) also holds ``apitoken`` (the
    long-lived token) and ``token`` (the 24 h session token of the last login).
    """

    email: str | None = None
    name: str | None = None
    surname: str | None = None
    company: str | None = None
    avatar: str | None = None
    role: str | None = None
    apitoken: str | None = Field(default=None, repr=False)
    token: str | None = Field(default=None, repr=False)
    logins: list[Any] | None = None
    verified: bool | None = None
    archived: bool | None = None

    def __repr__(self) -> str:
        return f"<User id={_r(self.id)} email={_r(self.email)} role={_r(self.role)}>"


class LayerColor(SpeckleModel):
    """A layer colour: alpha ``a`` and ``hex``."""

    a: Number | None = None
    hex: str | None = None


class LayerProperties(SpeckleModel):
    """Display properties of a layer (free-form; these are the usual keys)."""

    color: LayerColor | None = None
    visible: bool | None = None
    pointsize: Number | None = None
    linewidth: Number | None = None
    shininess: Number | None = None
    smooth: bool | None = None
    showEdges: bool | None = None
    wireframe: bool | None = None


class Layer(SpeckleModel):
    """A stream layer: covers ``objects[startIndex : startIndex + objectCount]``."""

    name: str | None = None
    guid: str | None = None
    orderIndex: int | None = None
    startIndex: int | None = None
    objectCount: int | None = None
    topology: str | None = None
    properties: LayerProperties | None = None

    def __repr__(self) -> str:
        return f"<Layer {_r(self.name)} start={_r(self.startIndex)} count={_r(self.objectCount)}>"


class Stream(ResourceModel):
    """A stream: an ordered list of objects (as placeholders) split into layers."""

    streamId: str | None = None
    name: str | None = None
    description: str | None = None
    commitMessage: str | None = None
    tags: list[Any] | None = None
    baseProperties: dict[str, Any] | None = None
    globalMeasures: dict[str, Any] | None = None
    isComputedResult: bool | None = None
    objects: list[TypedObject] | None = None
    layers: list[Layer] | None = None
    viewerLayers: list[Any] | None = None
    parent: str | None = None
    children: list[Any] | None = None
    ancestors: list[Any] | None = None
    deleted: bool | None = None
    onlineEditable: bool | None = None
    jobNumber: str | None = None

    def __repr__(self) -> str:
        objects = self.objects
        count = f" objects={len(objects)}" if isinstance(objects, list) else ""
        return f"<Stream streamId={_r(self.streamId)} name={_r(self.name)}{count}>"


class ApiClient(ResourceModel):
    """An API client: one plugin instance (sender, receiver...) attached to a stream.

    ``documentGuid`` is generated when the client is built without one.
    """

    role: str | None = None
    documentGuid: str | None = None
    documentName: str | None = None
    documentType: str | None = None
    documentLocation: str | None = None
    streamId: str | None = None
    online: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_document_guid(cls, data: Any) -> Any:
        if isinstance(data, dict) and "documentGuid" not in data and "_id" not in data and "id" not in data:
            return {**data, "documentGuid": str(uuid.uuid4())}
        return data

    def __repr__(self) -> str:
        return f"<ApiClient id={_r(self.id)} role={_r(self.role)} document={_r(self.documentName)}>"


class CommentTarget(SpeckleModel):
    """What a comment is attached to."""

    resourceType: str | None = None
    resourceId: str | None = None


class Comment(ResourceModel):
    """A comment on a stream, object, project, comment or user."""

    text: str | None = None
    flagged: bool | None = None
    resource: CommentTarget | None = None
    otherResources: list[Any] | None = None
    closed: bool | None = None
    assignedTo: list[Any] | None = None
    labels: list[Any] | None = None
    priority: Any = None
    status: Any = None
    view: Any = None
    screenshot: Any = None

    def __repr__(self) -> str:
        return f"<Comment id={_r(self.id)} text={_r(self.text or '', 40)}>"


class ProjectPermissions(SpeckleModel):
    """The access a project grants on its streams."""

    canRead: list[Any] | None = None
    canWrite: list[Any] | None = None


class Project(ResourceModel):
    """A project: a group of streams and the users who may read or write them."""

    name: str | None = None
    description: str | None = None
    tags: list[Any] | None = None
    streams: list[Any] | None = None
    permissions: ProjectPermissions | None = None
    deleted: bool | None = None
    jobNumber: str | None = None

    def __repr__(self) -> str:
        return f"<Project id={_r(self.id)} name={_r(self.name)}>"
