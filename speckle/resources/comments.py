"""Comments: on streams, objects, projects, other comments and users."""

from __future__ import annotations

from typing import Any

from speckle.base.resource import CommentsMixin, DeleteMixin, GetMixin, ListMixin, UpdateMixin
from speckle.errors import SpeckleInputError
from speckle.models.resources import Comment

__all__ = ["Resource", "Comment", "RESOURCE_TYPES"]

#: The resource types v1 servers accept comments on (any other type crashes the server).
RESOURCE_TYPES = ("stream", "streams", "object", "objects", "project", "projects", "comment", "comments", "user")


def _check_type(resource_type: Any) -> str:
    if resource_type not in RESOURCE_TYPES:
        raise SpeckleInputError(f"resource_type must be one of {RESOURCE_TYPES}, got {resource_type!r}")
    return str(resource_type)


class Resource(ListMixin, GetMixin, UpdateMixin, DeleteMixin, CommentsMixin):
    """API Access class for Comments

    Only a comment's owner (or an admin) can read, edit, delete or reply to it by id; read the
    comments of a resource with :meth:`list_for` (or the resource's ``comment_get``).
    """

    path = "/comments"
    model = Comment
    comment_type = "comment"
    noun = "comment"

    def assigned(self) -> list[Comment]:
        """Get the list of all comments where the logged in user is assigned

        Returns:
            list -- A list of comments the user is assigned to
        """
        return self._many(self._request("GET", f"{self.path}/assigned"))

    def list_for(self, resource_type: str, resource_id: str) -> list[Comment]:
        """Retrieve the comments attached to any resource

        Arguments:
            resource_type {str} -- ``stream``, ``object``, ``project``, ``comment`` or ``user``
                (plurals are stored as distinct types)
            resource_id {str} -- the streamId of a stream, the id of anything else

        Returns:
            list -- A list of comments
        """
        return self._list_comments(_check_type(resource_type), resource_id)

    def create_for(self, resource_type: str, resource_id: str, data: Any) -> Comment:
        """Add a comment to any resource

        Arguments:
            resource_type {str} -- ``stream``, ``object``, ``project``, ``comment`` or ``user``
            resource_id {str} -- the streamId of a stream, the id of anything else
            data {dict|str} -- A comment dictionary object (``text`` is required), or its text

        Returns:
            Comment -- The comment created by the server
        """
        return self._create_comment(_check_type(resource_type), resource_id, data)
