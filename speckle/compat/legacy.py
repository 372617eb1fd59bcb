"""The original client's raw calls: ``client.StreamGetAsync(id)``, ``client.s``, ``client.log(...)``.

Before its resources (``client.streams.get(...)``), the original client offered one method per
route, named after the .NET client's (``StreamGetAsync``, ``ObjectCreateAsync``...), returning the
server's whole JSON answer as a dict. Scripts written against them keep working: each method
here sends the same request through the client's transport (timeouts, retries, the token) and
returns the same whole answer.

Two things differ, on purpose:

* a failure raises a typed :class:`~speckle.errors.SpeckleError` instead of logging and
  returning ``None`` (a script that tested for ``None`` sees the exception it would have missed);
* nothing the caller passed is changed: ``ObjectCreateAsync`` sends copies of the objects
  without ``_id`` and ``hash`` instead of deleting those keys from the caller's dicts, and
  ``UserUpdateProfileAsync`` updates the profile (``PUT /accounts``) where the original sent its
  request to ``/accounts/register``, which no server accepts.

The calls the original left as ``NotImplementedError`` (comments, ``ClientGetAsync``...) are
implemented after the routes their names stand for.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import requests

from speckle.base.resource import check_id
from speckle.errors import SpeckleInputError, SpeckleResponseError

if TYPE_CHECKING:
    from speckle.transport import Transport

__all__ = ["LegacyCallsMixin"]

logger = logging.getLogger("speckle.client")

#: Keys the original's ``UserRegisterAsync`` required (it asserted them).
_REGISTER_KEYS = ("server_name", "email", "password", "name", "surname")


def _query(query: Any) -> str | None:
    """The original's ``query`` argument: an encoded query string (``'fields=name'``), or nothing."""
    if query is None or query == "":
        return None
    if not isinstance(query, str):
        raise SpeckleInputError(f"query must be an encoded query string such as 'fields=name', got {query!r}")
    return query.lstrip("?")


def _body(value: Any, what: str) -> Any:
    if isinstance(value, Mapping):
        return value
    raise SpeckleInputError(f"{what} must be a dict, got {type(value).__name__}")


def _require(user: Any, keys: Iterable[str], what: str) -> Mapping[str, Any]:
    body = _body(user, what)
    missing = [key for key in keys if key not in body]
    if missing:
        raise SpeckleInputError(f"{what} must hold {', '.join(repr(k) for k in missing)}")
    return body


class LegacyCallsMixin:
    """The original client's ``...Async`` methods, ``s``, ``websockets_server``, ``log`` and friends."""

    transport: Transport
    session: requests.Session
    verbose: bool

    # -- the original's attributes and helpers ---------------------------------------------------

    @property
    def s(self) -> requests.Session:
        """The client's ``requests.Session`` (the original's name for it)."""
        return self.session

    @property
    def websockets_server(self) -> str:
        """The websocket address of the server, ``ws(s)://host`` (the original's attribute)."""
        return self.websocket_url  # type: ignore[attr-defined,no-any-return]

    def log(self, msg: Any) -> None:
        """Log a message (the original printed it).

        Arguments:
            msg {str} -- the message
        """
        logger.info("SpeckleClient: %s", msg)

    def check_response_status_code(self, r: requests.Response) -> bool:
        """Whether a response is a success (200), logging the reason otherwise.

        Arguments:
            r {Response} -- a response of ``client.s``

        Returns:
            bool -- True for a 200 answer
        """
        if r.status_code == 200:
            return True
        logger.warning("request failed: %s %s", r.status_code, r.reason)
        return False

    def _legacy(self, method: str, path: str, body: Any = None, query: Any = None) -> Any:
        kwargs: dict[str, Any] = {"params": _query(query)}
        if body is not None:
            kwargs["json_body"] = body
        return self.transport.request(method, path, **kwargs)

    # -- accounts ----------------------------------------------------------------------------------

    def UserRegisterAsync(self, user: Mapping[str, Any]) -> Any:
        """Register a user (``POST /accounts/register``); the client stays logged out.

        Arguments:
            user {dict} -- ``server_name``, ``email``, ``password``, ``name`` and ``surname``

        Returns:
            dict -- the server's answer (``resource`` holds the new user's tokens)
        """
        return self._legacy("POST", "/accounts/register", _require(user, _REGISTER_KEYS, "user"))

    def UserLoginAsync(self, user: Mapping[str, Any]) -> Any:
        """Log in with email and password; later requests carry the user's API token.

        Arguments:
            user {dict} -- ``email`` and ``password``

        Returns:
            dict -- the server's answer (``resource`` is the user's profile with ``apitoken``)
        """
        body = _require(user, ("email", "password"), "user")
        answer = self._legacy("POST", "/accounts/login", body)
        resource = answer.get("resource") if isinstance(answer, Mapping) else None
        apitoken = resource.get("apitoken") if isinstance(resource, Mapping) else None
        if not isinstance(apitoken, str):
            raise SpeckleResponseError(
                "the server's login answer holds no apitoken", method="POST", url="/accounts/login"
            )
        self.token = apitoken  # type: ignore[attr-defined]  # checked by ClientBase.token
        return answer

    def UserGetAsync(self) -> Any:
        """The logged-in user's profile (``GET /accounts``)."""
        return self._legacy("GET", "/accounts")

    def UserGetProfileByIdAsync(self, userId: str) -> Any:
        """Another user's public profile (``GET /accounts/<id>``).

        Arguments:
            userId {str} -- the user's id
        """
        return self._legacy("GET", f"/accounts/{check_id(userId, 'user id')}")

    def UserSearchAsync(self, user: Mapping[str, Any]) -> Any:
        """Search users (``POST /accounts/search``).

        Arguments:
            user {dict} -- the search, with its ``searchString`` (3 characters at least)
        """
        return self._legacy("POST", "/accounts/search", _body(user, "user"))

    def UserUpdateProfileAsync(self, user: Mapping[str, Any]) -> Any:
        """Update the logged-in user's profile (``PUT /accounts``).

        Arguments:
            user {dict} -- the fields to change (``name``, ``surname``, ``company``...)
        """
        return self._legacy("PUT", "/accounts", _body(user, "user"))

    # -- api clients -------------------------------------------------------------------------------

    def ClientCreateAsync(self, client: Mapping[str, Any]) -> Any:
        """Create an API client (``POST /clients``).

        Arguments:
            client {dict} -- the client's fields (``role``, ``documentName``, ``streamId``...)
        """
        return self._legacy("POST", "/clients", _body(client, "client"))

    def ClientGetAllAsync(self, query: str = "") -> Any:
        """The logged-in user's API clients (``GET /clients``).

        Keyword Arguments:
            query {str} -- an encoded query string (default: {''})
        """
        return self._legacy("GET", "/clients", query=query)

    def ClientGetAsync(self, clientId: str) -> Any:
        """One API client (``GET /clients/<id>``).

        Arguments:
            clientId {str} -- the client's id
        """
        return self._legacy("GET", f"/clients/{check_id(clientId, 'client id')}")

    def ClientUpdateAsync(self, clientId: str, client: Mapping[str, Any]) -> Any:
        """Update an API client (``PUT /clients/<id>``).

        Arguments:
            clientId {str} -- the client's id
            client {dict} -- the fields to change
        """
        return self._legacy("PUT", f"/clients/{check_id(clientId, 'client id')}", _body(client, "client"))

    def ClientDeleteAsync(self, clientId: str) -> Any:
        """Delete an API client (``DELETE /clients/<id>``).

        Arguments:
            clientId {str} -- the client's id
        """
        return self._legacy("DELETE", f"/clients/{check_id(clientId, 'client id')}")

    # -- comments ----------------------------------------------------------------------------------

    def CommentCreateAsync(self, resourceType: str, resourceId: str, comment: Mapping[str, Any]) -> Any:
        """Comment on a resource (``POST /comments/<type>/<id>``).

        Arguments:
            resourceType {str} -- ``stream``, ``object``, ``project``, ``comment`` or ``user``
            resourceId {str} -- the resource's id (a stream's streamId)
            comment {dict} -- the comment (``{"text": ...}``)
        """
        path = f"/comments/{check_id(resourceType, 'resource type')}/{check_id(resourceId, 'resource id')}"
        return self._legacy("POST", path, _body(comment, "comment"))

    def CommentGetFromResourceAsync(self, resourceType: str, resourceId: str) -> Any:
        """The comments on a resource (``GET /comments/<type>/<id>``).

        Arguments:
            resourceType {str} -- ``stream``, ``object``, ``project``, ``comment`` or ``user``
            resourceId {str} -- the resource's id (a stream's streamId)
        """
        path = f"/comments/{check_id(resourceType, 'resource type')}/{check_id(resourceId, 'resource id')}"
        return self._legacy("GET", path)

    def CommentGetAsync(self, commentId: str) -> Any:
        """One comment (``GET /comments/<id>``).

        Arguments:
            commentId {str} -- the comment's id
        """
        return self._legacy("GET", f"/comments/{check_id(commentId, 'comment id')}")

    def CommentUpdateAsync(self, commentId: str, comment: Mapping[str, Any]) -> Any:
        """Update a comment (``PUT /comments/<id>``).

        Arguments:
            commentId {str} -- the comment's id
            comment {dict} -- the fields to change
        """
        return self._legacy("PUT", f"/comments/{check_id(commentId, 'comment id')}", _body(comment, "comment"))

    def CommentDeleteAsync(self, commentId: str) -> Any:
        """Delete a comment (``DELETE /comments/<id>``).

        Arguments:
            commentId {str} -- the comment's id
        """
        return self._legacy("DELETE", f"/comments/{check_id(commentId, 'comment id')}")

    # -- objects -----------------------------------------------------------------------------------

    def ObjectCreateAsync(self, objectList: Iterable[Mapping[str, Any]]) -> Any:
        """Save objects (``POST /objects``), without their ``_id`` and ``hash`` (the server sets them).

        The caller's dicts are not changed: copies without those two keys are sent.

        Arguments:
            objectList {list} -- the objects, as dicts
        """
        if isinstance(objectList, (str, bytes, Mapping)) or not isinstance(objectList, Iterable):
            raise SpeckleInputError(f"objectList must be a list of dicts, got {type(objectList).__name__}")
        payload = []
        for index, obj in enumerate(objectList):
            body = _body(obj, f"objectList[{index}]")
            payload.append({k: v for k, v in body.items() if k not in ("_id", "hash")})
        return self._legacy("POST", "/objects", payload)

    def ObjectGetAsync(self, objectId: str, query: str = "") -> Any:
        """One object (``GET /objects/<id>``).

        Arguments:
            objectId {str} -- the object's id

        Keyword Arguments:
            query {str} -- an encoded query string such as ``fields=type`` (default: {''})
        """
        return self._legacy("GET", f"/objects/{check_id(objectId, 'object id')}", query=query)

    def ObjectGetBulkAsync(self, objectIds: list[str], query: str = "") -> Any:
        """Many objects at once (``POST /objects/getbulk``).

        Arguments:
            objectIds {list} -- the objects' ids

        Keyword Arguments:
            query {str} -- an encoded query string (default: {''})
        """
        if not isinstance(objectIds, (list, tuple)):
            raise SpeckleInputError(f"objectIds must be a list of ids, got {type(objectIds).__name__}")
        return self._legacy("POST", "/objects/getbulk", list(objectIds), query=query)

    def ObjectUpdateAsync(self, objectId: str, speckle_object: Mapping[str, Any]) -> Any:
        """Update an object (``PUT /objects/<id>``).

        Arguments:
            objectId {str} -- the object's id
            speckle_object {dict} -- the fields to change
        """
        path = f"/objects/{check_id(objectId, 'object id')}"
        return self._legacy("PUT", path, _body(speckle_object, "speckle_object"))

    def ObjectUpdatePropertiesAsync(self, objectId: str, prop: Mapping[str, Any]) -> Any:
        """Merge properties into an object's ``properties`` (``PUT /objects/<id>/properties``).

        Arguments:
            objectId {str} -- the object's id
            prop {dict} -- the properties
        """
        path = f"/objects/{check_id(objectId, 'object id')}/properties"
        return self._legacy("PUT", path, _body(prop, "prop"))

    def ObjectDeleteAsync(self, objectId: str) -> Any:
        """Delete an object (``DELETE /objects/<id>``).

        Arguments:
            objectId {str} -- the object's id
        """
        return self._legacy("DELETE", f"/objects/{check_id(objectId, 'object id')}")

    # -- projects ----------------------------------------------------------------------------------

    def ProjectCreateAsync(self, project: Mapping[str, Any]) -> Any:
        """Create a project (``POST /projects``).

        Arguments:
            project {dict} -- the project's fields
        """
        return self._legacy("POST", "/projects", _body(project, "project"))

    def ProjectGetAllAsync(self, query: str = "") -> Any:
        """The projects the user can see (``GET /projects``).

        Keyword Arguments:
            query {str} -- an encoded query string (default: {''})
        """
        return self._legacy("GET", "/projects", query=query)

    def ProjectGetAsync(self, projectId: str) -> Any:
        """One project (``GET /projects/<id>``).

        Arguments:
            projectId {str} -- the project's id
        """
        return self._legacy("GET", f"/projects/{check_id(projectId, 'project id')}")

    def ProjectUpdateAsync(self, projectId: str, project: Mapping[str, Any]) -> Any:
        """Update a project (``PUT /projects/<id>``).

        Arguments:
            projectId {str} -- the project's id
            project {dict} -- the fields to change
        """
        return self._legacy("PUT", f"/projects/{check_id(projectId, 'project id')}", _body(project, "project"))

    def ProjectDeleteAsync(self, projectId: str) -> Any:
        """Delete a project (``DELETE /projects/<id>``).

        Arguments:
            projectId {str} -- the project's id
        """
        return self._legacy("DELETE", f"/projects/{check_id(projectId, 'project id')}")

    # -- streams -----------------------------------------------------------------------------------

    def StreamCreateAsync(self, stream: Mapping[str, Any]) -> Any:
        """Create a stream (``POST /streams``).

        Arguments:
            stream {dict} -- the stream's fields (``name``, ``objects``, ``layers``...)
        """
        return self._legacy("POST", "/streams", _body(stream, "stream"))

    def StreamsGetAllAsync(self, query: str = "") -> Any:
        """The streams the user can see, without their objects (``GET /streams?omit=objects``).

        Keyword Arguments:
            query {str} -- an encoded query string; the original ignored it and always asked
                for ``omit=objects``, as this does when it is empty (default: {''})
        """
        return self._legacy("GET", "/streams", query=query or "omit=objects")

    def StreamGetAsync(self, streamId: str, query: str = "") -> Any:
        """One stream (``GET /streams/<streamId>``).

        Arguments:
            streamId {str} -- the stream's streamId

        Keyword Arguments:
            query {str} -- an encoded query string such as ``fields=name`` (default: {''})
        """
        return self._legacy("GET", f"/streams/{check_id(streamId, 'stream id')}", query=query)

    def StreamGetObjectsAsync(self, streamId: str, query: str = "") -> Any:
        """The objects of a stream (``GET /streams/<streamId>/objects``).

        Arguments:
            streamId {str} -- the stream's streamId

        Keyword Arguments:
            query {str} -- an encoded query string (default: {''})
        """
        return self._legacy("GET", f"/streams/{check_id(streamId, 'stream id')}/objects", query=query)

    def StreamUpdateAsync(self, streamId: str, stream: Mapping[str, Any]) -> Any:
        """Update a stream (``PUT /streams/<streamId>``).

        Arguments:
            streamId {str} -- the stream's streamId
            stream {dict} -- the fields to change
        """
        return self._legacy("PUT", f"/streams/{check_id(streamId, 'stream id')}", _body(stream, "stream"))

    def StreamCloneAsync(self, streamId: str) -> Any:
        """Clone a stream (``POST /streams/<streamId>/clone``).

        Arguments:
            streamId {str} -- the stream's streamId
        """
        return self._legacy("POST", f"/streams/{check_id(streamId, 'stream id')}/clone")

    def StreamDiffAsync(self, streamId1: str, streamId2: str) -> Any:
        """Compare two streams (``GET /streams/<a>/diff/<b>``).

        Arguments:
            streamId1 {str} -- a stream's streamId
            streamId2 {str} -- the other stream's streamId
        """
        first = check_id(streamId1, "stream id")
        return self._legacy("GET", f"/streams/{first}/diff/{check_id(streamId2, 'stream id')}")

    def StreamDeleteAsync(self, streamId: str) -> Any:
        """Delete a stream (``DELETE /streams/<streamId>``).

        Arguments:
            streamId {str} -- the stream's streamId
        """
        return self._legacy("DELETE", f"/streams/{check_id(streamId, 'stream id')}")
