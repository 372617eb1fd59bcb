"""Projects: groups of streams and the users who may read or write them."""

from __future__ import annotations

from typing import Any

from speckle.base.resource import CommentsMixin, CRUDMixin, check_id
from speckle.errors import BadRequestError, NotFoundError, PermissionDeniedError, SpeckleAPIError
from speckle.models.resources import Project
from speckle.query import Query

__all__ = ["Resource", "Project"]


class Resource(CRUDMixin, CommentsMixin):
    """API Access class for Projects

    Membership changes (:meth:`add_user`, :meth:`upgrade_user`...) are what grant users access
    to the project's streams; editing ``streams`` or ``permissions`` with :meth:`update` does
    not propagate to the streams on v1 servers.
    """

    path = "/projects"
    model = Project
    comment_type = "project"
    noun = "project"

    def delete(self, id: str) -> dict[str, Any]:
        """Delete a project (owner or admin only)

        The project's users lose the access it granted them on its streams; the streams are
        kept. v1 servers answer a failed delete with an empty 400 whatever the reason, so the
        project is read to tell a missing project (:class:`~speckle.errors.NotFoundError`) from
        one the user does not own (:class:`~speckle.errors.PermissionDeniedError`).

        Arguments:
            id {str} -- The ID of the project to delete

        Returns:
            dict -- A confirmation payload with ``modifiedStreams``
        """
        try:
            return super().delete(id)
        except BadRequestError as exc:
            message = exc.payload.get("message") if isinstance(getattr(exc, "payload", None), dict) else None
            if not isinstance(message, dict) or not set(message) <= {"level", "timestamp"}:
                raise
            raise self._why_not_deleted(id, exc) from exc

    def _why_not_deleted(self, id: str, exc: SpeckleAPIError) -> SpeckleAPIError:
        context = {"status_code": exc.status_code, "method": exc.method, "url": exc.url, "body": exc.body}
        try:
            self.get(id)
        except NotFoundError:
            return NotFoundError(f"project {id!r} not found", **context)
        except SpeckleAPIError:
            pass
        return PermissionDeniedError("only the owner of a project (or an admin) can delete it", **context)

    def _membership(self, method: str, id: str, action: str, other: str, what: str) -> dict[str, Any]:
        return self._request(method, self._item_path(id, f"/{action}/{check_id(other, what)}"))

    def add_stream(self, id: str, stream_id: str) -> dict[str, Any]:
        """Add a Stream to a project

        The project's readers and writers (and its owner) get the same access to the stream.

        Arguments:
            id {str} -- The ID of a project
            stream_id {str} -- The StreamId of a stream

        Returns:
            dict -- A dictionary with the stream and the project
        """
        return self._membership("PUT", id, "addstream", stream_id, "stream id")

    def remove_stream(self, id: str, stream_id: str) -> dict[str, Any]:
        """Remove a stream from a project

        Arguments:
            id {str} -- The ID of a project
            stream_id {str} -- The StreamId of a stream

        Returns:
            dict -- A dictionary with the stream and the project
        """
        return self._membership("DELETE", id, "removestream", stream_id, "stream id")

    def add_user(self, id: str, user_id: str) -> dict[str, Any]:
        """Add a user to a project.

        .. note:: When a user is first added to a project they have read and write
           authorizations. If you only want to allow them to read be sure to downgrade the
           user right after adding them.

        Arguments:
            id {str} -- The ID of a project
            user_id {str} -- The ID of a user

        Returns:
            dict -- A confirmation payload
        """
        return self._membership("PUT", id, "adduser", user_id, "user id")

    def remove_user(self, id: str, user_id: str) -> dict[str, Any]:
        """Remove a user from a project

        .. note:: When you remove a user from a project this also removes all of their read
           and write access to the project's streams.

        Arguments:
            id {str} -- The ID of a project
            user_id {str} -- The ID of a user

        Returns:
            dict -- A confirmation payload
        """
        return self._membership("DELETE", id, "removeuser", user_id, "user id")

    def upgrade_user(self, id: str, user_id: str) -> dict[str, Any]:
        """Upgrade a user to have Write access to the project and it's streams

        Arguments:
            id {str} -- The ID of a project
            user_id {str} -- The ID of a user

        Returns:
            dict -- A confirmation payload
        """
        return self._membership("PUT", id, "upgradeuser", user_id, "user id")

    def downgrade_user(self, id: str, user_id: str) -> dict[str, Any]:
        """Downgrade a user to have only Read access to the project and it's streams

        Arguments:
            id {str} -- The ID of a project
            user_id {str} -- The ID of a user

        Returns:
            dict -- A confirmation payload
        """
        return self._membership("PUT", id, "downgradeuser", user_id, "user id")

    def admin_list(self, query: Query | None = None) -> list[Project]:
        """List every project of the server (admins only)

        Keyword Arguments:
            query {dict|str} -- the query (default: {None})

        Returns:
            list -- every project
        """
        return self._many(self._request("GET", f"{self.path}/admin", query=query))
