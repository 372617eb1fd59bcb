"""The resource permission check of §4.2."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from .errors import SpeckleError, type_error
from .schema import clean_ids

Operation = Literal["read", "write", "comment", "delete"]
Kind = Literal["stream", "object", "client", "project", "comment", "user"]

ANONYMOUS: dict[str, Any] = {"role": "guest", "_id": ""}
PROTECTED_KEYS = ("owner", "email")


def is_admin(user: Mapping[str, Any] | None) -> bool:
    """Whether ``user`` has the admin role."""
    return bool(user) and user.get("role") == "admin"  # type: ignore[union-attr]


def check(
    user: Mapping[str, Any] | None,
    operation: Operation,
    resource: Mapping[str, Any] | None,
    kind: Kind,
    body_keys: Iterable[str] | None = None,
) -> None:
    """Raise :class:`SpeckleError` unless ``user`` may perform ``operation`` on ``resource``.

    ``user`` ``None`` means anonymous. ``body_keys`` is given by the update routes
    that guard the protected fields ``owner``/``email``.
    """
    requester = user or ANONYMOUS
    uid = requester.get("_id") or ""
    if resource is None:
        raise SpeckleError("Resource not found.")
    if kind == "user":
        if is_admin(requester) or resource.get("_id") == uid:
            return
        raise SpeckleError("Not authorised")
    if is_admin(requester) or (uid and resource.get("owner") == uid):
        return
    if body_keys is not None:
        for key in body_keys:
            if key in PROTECTED_KEYS:
                raise SpeckleError(f"Protected field, you are not authorised to edit {key}.")
    if kind == "comment":
        # comments carry no canRead/canWrite: the original crashes on `.filter`
        raise type_error("filter", "undefined")
    can_read = clean_ids(resource.get("canRead"))
    can_write = clean_ids(resource.get("canWrite"))
    if operation == "read":
        if resource.get("private") is False or uid in can_write or uid in can_read:
            return
        raise SpeckleError("You are not authorised to read.")
    if operation == "write":
        if uid in can_write:
            return
        raise SpeckleError("You are not authorised to write.")
    if operation == "comment":
        if resource.get("private") is False and resource.get("anonymousComments") is True:
            return
        if not uid and resource.get("anonymousComments") is False:
            raise SpeckleError("You are not authorised to comment.")
        if uid and (uid in can_write or uid in can_read):
            return
        raise SpeckleError("You are not authorised to comment.")
    raise SpeckleError("You do not own the stream.")


def is_member(uid: str, resource: Mapping[str, Any]) -> bool:
    """Whether the user ``uid`` owns ``resource`` or is in its ``canRead``/``canWrite`` lists.

    Anonymous callers (``uid`` empty) are never members; only real lists of ids count.
    """
    if not uid:
        return False
    return resource.get("owner") == uid or uid in clean_ids(resource.get("canRead")) \
        or uid in clean_ids(resource.get("canWrite"))


def may(user: Mapping[str, Any] | None, operation: Operation, resource: Mapping[str, Any] | None,
        kind: Kind) -> bool:
    """Boolean form of :func:`check`."""
    try:
        check(user, operation, resource, kind)
    except SpeckleError:
        return False
    return True
