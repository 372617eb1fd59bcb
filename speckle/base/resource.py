"""The base of every API resource and the mixins resources are built from.

A resource class names its ``path`` (``/streams``), its ``model`` (``Stream``) and,
when the server supports comments on it, its ``comment_type`` (``stream``); the
mixins supply the methods (``list``, ``create``, ``get``, ``update``, ``delete``,
``comment_get``, ``comment_create``) with the names and arguments of the original
client.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from speckle._untrusted import preview
from speckle.errors import SpeckleInputError, SpeckleResponseError
from speckle.models.base import PROTECTED_FIELDS, SpeckleModel
from speckle.query import Query, encode_query

if TYPE_CHECKING:
    from speckle.transport import Transport

__all__ = [
    "ResourceBase",
    "ListMixin",
    "CreateMixin",
    "GetMixin",
    "UpdateMixin",
    "DeleteMixin",
    "CommentsMixin",
    "CRUDMixin",
    "as_payload",
    "update_payload",
    "check_id",
    "SERVER_MANAGED_FIELDS",
    "placeholder_ids",
]

logger = logging.getLogger(__name__)

#: Fields only the server manages: never sent back in an update. ``__v`` is Mongoose's version
#: key (a stale one makes v1 servers refuse changes to list fields with a VersionError),
#: ``createdAt``/``updatedAt`` are its timestamps, ``_id`` (``id`` in ``model.dict()``) is the
#: document's identity, which the URL already names.
SERVER_MANAGED_FIELDS = ("_id", "id", "__v", "createdAt", "updatedAt")


def check_id(value: Any, what: str = "id") -> str:
    """Validate an id argument and return it URL-encoded for a path segment.

    Raises:
        SpeckleInputError -- when the id is not a non-empty string
    """
    if isinstance(value, SpeckleModel):
        value = value.get("streamId") if what == "stream id" and value.get("streamId") else value.get("_id")
    if not isinstance(value, str) or not value.strip():
        raise SpeckleInputError(f"{what} must be a non-empty string, got {preview(value)}")
    if not _utf8(value):
        raise SpeckleInputError(f"{what} holds a lone surrogate, which cannot be sent: {preview(value)}")
    return quote(value, safe="")


def _utf8(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_ID = operator.itemgetter("_id")


def placeholder_ids(
    items: Any, what: str = "placeholders", *, expected: int | None = None, method: str = "", url: str = ""
) -> list[str]:
    """The ``_id`` of each entry of a list a server answered (placeholders, stream objects), checked.

    Arguments:
        items {Any} -- the server's list, as decoded

    Keyword Arguments:
        what {str} -- what the list is, for error messages (default: {'placeholders'})
        expected {int|None} -- the number of entries the request asked for (default: {None}: any)
        method {str} -- the HTTP method of the request, for error messages (default: {''})
        url {str} -- the path of the request, for error messages (default: {''})

    Returns:
        list -- the ids, in order

    Raises:
        SpeckleResponseError -- not a list, not ``expected`` entries, or an entry that is not an
            object with a non-empty string ``_id`` that can be sent back (no lone surrogate)
    """
    if type(items) is list and (expected is None or len(items) == expected) and set(map(type, items)) == {dict}:
        try:  # the usual answer, checked by C loops: the same result as the loop below
            ids = list(map(_ID, items))
        except KeyError:
            ids = []
        if len(ids) == len(items) and set(map(type, ids)) == {str} and all(ids) and all(map(str.isascii, ids)):
            return ids
    context = {"method": method or None, "url": url or None}
    if not isinstance(items, list):
        raise SpeckleResponseError(f"the server's {what} are not a list: {preview(items)}", **context)
    if expected is not None and len(items) != expected:
        raise SpeckleResponseError(f"the server answered {len(items)} {what} for {expected} objects", **context)
    ids: list[str] = []
    for item in items:
        _id = item.get("_id") if type(item) is dict else None
        if type(_id) is not str or not _id or not _utf8(_id):
            raise SpeckleResponseError(f"the server's {what} hold an entry without a usable id: {preview(item)}",
                                       **context)
        ids.append(_id)
    return ids


def as_payload(data: Any, what: str = "data") -> Any:
    """The JSON document for ``data``: a dict as given, a model via ``to_payload()``.

    Dicts are sent exactly as given (same key order, ``None`` values kept); nothing is copied
    or changed. Lists are converted element by element.

    Raises:
        SpeckleInputError -- when ``data`` is neither a dict, a model nor a list of them
    """
    if isinstance(data, SpeckleModel):
        return data.to_payload()
    if isinstance(data, Mapping):
        if any(isinstance(v, SpeckleModel) or _has_models(v) for v in data.values()):
            return {k: _deep_payload(v) for k, v in data.items()}
        return data
    if isinstance(data, (list, tuple)):
        return [as_payload(item, what) for item in data]
    raise SpeckleInputError(f"{what} must be a dict or a Speckle model, got {type(data).__name__}")


def update_payload(data: Any, what: str = "data") -> Any:
    """The JSON document of an update: :func:`as_payload` without the server-managed fields.

    Read-modify-write (``c = client.comments.get(id); c.labels = [...];
    client.comments.update(id, c.dict())``) sends back what the server gave; the fields of
    :data:`SERVER_MANAGED_FIELDS` are left out so a stale ``__v`` cannot make the server refuse
    the change, and so are ``owner``/``email`` when ``data`` is a model read from the server (or
    its ``.dict()``) and they are unchanged: v1 servers refuse them from collaborators even
    unchanged (an owner handing a resource over still sends a changed ``owner``). Every other
    key is sent as given (``None`` values included); the caller's dict is not modified.

    Arguments:
        data {dict|SpeckleModel} -- the fields to update

    Returns:
        dict -- the document to send (a new dict when something was left out)
    """
    payload = as_payload(data, what)
    if not isinstance(payload, Mapping):
        return payload
    as_read = data.protected_as_read() if isinstance(data, SpeckleModel) else getattr(data, "as_read", None)
    unchanged = [
        key for key in PROTECTED_FIELDS
        if as_read and key in as_read and key in payload and _same(payload[key], as_read[key])
    ]
    dropped = [key for key in payload if key in SERVER_MANAGED_FIELDS or key in unchanged]
    if dropped:
        logger.debug("update: not sending %s (server-managed, or protected and unchanged)", dropped)
        payload = {key: value for key, value in payload.items() if key not in dropped}
    return payload


def _same(a: Any, b: Any) -> bool:
    """``a == b``; False when the values are nested too deeply to compare."""
    try:
        return bool(a == b)
    except RecursionError:
        return False


def _has_models(value: Any) -> bool:
    if isinstance(value, SpeckleModel):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, SpeckleModel) for v in value)
    return False


def _deep_payload(value: Any) -> Any:
    if isinstance(value, SpeckleModel):
        return value.to_payload()
    if isinstance(value, (list, tuple)):
        return [_deep_payload(v) for v in value]
    return value


class ResourceBase:
    """Base class for http speckle resources.

    Arguments:
        session {Transport} -- the client's transport (it owns the ``requests.Session``)
        basepath {str} -- the API base URL, e.g. ``https://host/api/v1``
        me {User|dict|None} -- the profile of the logged-in user, if any
    """

    #: The collection path under the API base, e.g. ``/streams``.
    path: ClassVar[str] = ""
    #: The model of one resource.
    model: ClassVar[type[SpeckleModel]] = SpeckleModel
    #: The ``resourceType`` of comments on this resource, or None.
    comment_type: ClassVar[str | None] = None
    #: What to call one resource in error messages.
    noun: ClassVar[str] = "resource"

    def __init__(self, session: Transport, basepath: str, me: Any = None) -> None:
        self.session = session
        self.basepath = basepath
        self.me = me

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} {self.basepath}{self.path}>"

    # -- helpers shared by all resources -----------------------------------------------------

    def _request(self, method: str, path: str, *, query: Query | None = None, **kwargs: Any) -> Any:
        params = encode_query(query)
        return self.session.request(method, path, params=params or None, **kwargs)

    def _item_path(self, id: Any, suffix: str = "") -> str:
        return f"{self.path}/{check_id(id, f'{self.noun} id')}{suffix}"

    @staticmethod
    def _field(payload: Any, key: str, method: str = "", path: str = "") -> Any:
        """``payload[key]``, or a :class:`SpeckleResponseError` naming what is missing."""
        if isinstance(payload, Mapping) and key in payload:
            return payload[key]
        raise SpeckleResponseError(
            f"the server's answer has no {key!r}: {preview(payload)}", method=method or None, url=path or None
        )

    def _one(self, payload: Any, model: type[SpeckleModel] | None = None) -> Any:
        data = self._field(payload, "resource")
        return (model or self.model).from_data(data)

    def _many(self, payload: Any, model: type[SpeckleModel] | None = None, key: str = "resources") -> list[Any]:
        items = self._field(payload, key)
        if not isinstance(items, list):
            raise SpeckleResponseError(f"the server's {key!r} is not a list: {preview(items)}")
        cls = model or self.model
        return [cls.from_data(item) for item in items]


class ListMixin(ResourceBase):
    """``list(query=None)``: ``GET <path>``."""

    def list(self, query: Query | None = None) -> list[Any]:
        """List the resources the logged-in user can see.

        Keyword Arguments:
            query {dict|str} -- fields, omit, sort, offset, limit and filters
                (see :mod:`speckle.query`) (default: {None})

        Returns:
            list -- a list of data class instances
        """
        return self._many(self._request("GET", self.path, query=query))


class CreateMixin(ResourceBase):
    """``create(data)``: ``POST <path>``."""

    def create(self, data: Any) -> Any:
        """Create a resource from a data dictionary.

        Arguments:
            data {dict} -- a dictionary (or model) describing the resource

        Returns:
            SpeckleModel -- the instance created on the Speckle Server
        """
        payload = as_payload(data)
        if not isinstance(payload, Mapping):
            raise SpeckleInputError(f"data must be a dict describing one {self.noun}")
        return self._one(self._request("POST", self.path, json_body=payload))


class GetMixin(ResourceBase):
    """``get(id)``: ``GET <path>/<id>``."""

    def get(self, id: str) -> Any:
        """Get a specific resource from the SpeckleServer.

        Arguments:
            id {str} -- the ID of the resource to retrieve

        Returns:
            SpeckleModel -- the resource
        """
        return self._one(self._request("GET", self._item_path(id)))


class UpdateMixin(ResourceBase):
    """``update(id, data)``: ``PUT <path>/<id>``."""

    def update(self, id: str, data: Any) -> dict[str, Any]:
        """Update a specific resource.

        Arguments:
            id {str} -- the ID of the resource to update
            data {dict} -- a dict of values to update

        Returns:
            dict -- a confirmation payload with the updated keys
        """
        payload = update_payload(data)
        if not isinstance(payload, Mapping):
            raise SpeckleInputError(f"data must be a dict of {self.noun} fields to update")
        return self._request("PUT", self._item_path(id), json_body=payload)


class DeleteMixin(ResourceBase):
    """``delete(id)``: ``DELETE <path>/<id>``."""

    def delete(self, id: str) -> dict[str, Any]:
        """Delete a specific resource.

        Arguments:
            id {str} -- the ID of the resource to delete

        Returns:
            dict -- a confirmation payload
        """
        return self._request("DELETE", self._item_path(id))


class CommentsMixin(ResourceBase):
    """``comment_get(id)`` and ``comment_create(id, data)``: ``/comments/<type>/<id>``."""

    def _list_comments(self, resource_type: str, id: Any) -> list[Any]:
        from speckle.models.resources import Comment

        payload = self._request("GET", f"/comments/{resource_type}/{check_id(id, 'resource id')}")
        # v1 servers leave out ``resources`` for comments on users
        return self._many(payload, Comment) if isinstance(payload, Mapping) and "resources" in payload else []

    def _create_comment(self, resource_type: str, id: Any, data: Any) -> Any:
        from speckle.models.resources import Comment

        payload = {"text": data} if isinstance(data, str) else as_payload(data, "comment")
        if not isinstance(payload, Mapping):
            raise SpeckleInputError("a comment must be a dict (with 'text') or a string")
        path = f"/comments/{resource_type}/{check_id(id, 'resource id')}"
        return self._one(self._request("POST", path, json_body=payload), Comment)

    def comment_get(self, id: str) -> list[Any]:
        """Retrieve comments attached to a resource.

        Arguments:
            id {str} -- the ID of the resource to retrieve comments from

        Returns:
            list -- a list of comments
        """
        return self._list_comments(str(self.comment_type), id)

    def comment_create(self, id: str, data: Any) -> Any:
        """Add a comment to a resource.

        Arguments:
            id {str} -- the ID of the resource to comment on
            data {dict|str} -- a comment dictionary object (``{"text": ...}``), or just its text

        Returns:
            Comment -- the comment created by the server
        """
        return self._create_comment(str(self.comment_type), id, data)


class CRUDMixin(ListMixin, CreateMixin, GetMixin, UpdateMixin, DeleteMixin):
    """All five of ``list``, ``create``, ``get``, ``update`` and ``delete``."""
