"""Accounts: user profiles, search, roles and the admin user listing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from speckle.base.resource import GetMixin, as_payload
from speckle.errors import SpeckleInputError
from speckle.models.resources import User

__all__ = ["Resource", "User"]

#: The fields ``PUT /accounts/<id>`` (admin) requires, all of them.
ADMIN_UPDATE_FIELDS = ("name", "surname", "company", "email", "role", "archived")
ROLES = ("user", "admin")


class Resource(GetMixin):
    """API Access class for Accounts

    The accounts resource is used to search, retrieve and manipulate user profiles. Users are
    returned as :class:`~speckle.models.User` instances, which can also be read like the
    dictionaries the original client returned (``user["name"]``).

    Example::

        >>> client.accounts.get_profile()
        <User id='507f1f77bcf86cd799439011' email='test@test.com' role='user'>
        >>> client.accounts.update_profile({'name': 'Tester'})
        {'success': True, 'message': 'User profile updated.'}
    """

    path = "/accounts"
    model = User
    noun = "user"

    def get(self, id: str) -> User:
        """Get a specific user from the SpeckleServer

        v1 servers return the public profile of other users: id, name, surname, company,
        archived (and email when the server exposes emails).

        Arguments:
            id {str} -- The ID of the resource to retrieve

        Returns:
            User -- The user
        """
        return super().get(id)

    def get_profile(self) -> User:
        """Get current logged in user's profile

        Returns:
            User -- The current user's profile, including its ``apitoken``
        """
        return self._one(self._request("GET", self.path))

    def update_profile(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Update the current logged in user's profile

        v1 servers apply ``name``, ``surname``, ``company`` and ``email`` only, and only
        when the value is not empty; other keys are ignored by the server.

        Arguments:
            data {dict} -- A dictionary of profile values to be updated

        Returns:
            dict -- A confirmation payload of the updated keys
        """
        payload = as_payload(data)
        if not isinstance(payload, Mapping):
            raise SpeckleInputError("data must be a dict of profile fields")
        return self._request("PUT", self.path, json_body=payload)

    def set_role(self, id: str, role: str) -> dict[str, Any]:
        """Set the role of a user

        .. warning:: The client must be authenticated with an admin user to carry out
           this operation.

        v1 servers only accept a complete account record on this route, so the user's current
        record is read from the admin listing and sent back with the new role.

        Arguments:
            id {str} -- The ID of the user to be updated
            role {str} -- The role to give the user (``user`` or ``admin``)

        Returns:
            dict -- A response payload confirming the user role update
        """
        if role not in ROLES:
            raise SpeckleInputError(f"role must be one of {ROLES}, got {role!r}")
        current = self._find_in_admin_list(id)
        record = {key: current.get(key) for key in ADMIN_UPDATE_FIELDS}
        for key in ("name", "surname", "company", "email"):
            if record[key] is None:
                record[key] = ""
        if record["archived"] is None:
            record["archived"] = False
        record["role"] = role
        return self.admin_update(id, record)

    def search(self, search: str) -> list[User]:
        """Search for one or more users

        Case-insensitive substring match on name, surname or email; at most 10 users.

        Arguments:
            search {str} -- A search string. Should be at least 3 characters long.

        Returns:
            list -- A list of found users
        """
        if not isinstance(search, str) or len(search) < 3:
            raise SpeckleInputError(f"search must be a string of at least 3 characters, got {search!r}")
        return self._many(self._request("POST", f"{self.path}/search", json_body={"searchString": search}))

    def admin_list(self) -> list[User]:
        """List every user of the server (admins only)

        Returns:
            list -- every user, with their roles, apitokens and logins
        """
        return self._many(self._request("GET", f"{self.path}/admin"), key="resource")

    def admin_update(self, id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Edit another user's account (admins only)

        v1 servers require all six fields ``name``, ``surname``, ``company``, ``email``,
        ``role`` and ``archived``; setting ``archived`` to True locks the user out.

        Arguments:
            id {str} -- The ID of the user to be updated
            data {dict} -- The complete account record

        Returns:
            dict -- A confirmation payload
        """
        payload = as_payload(data)
        missing = [k for k in ADMIN_UPDATE_FIELDS if not isinstance(payload, Mapping) or payload.get(k) is None]
        if missing:
            raise SpeckleInputError(f"admin_update needs all of {ADMIN_UPDATE_FIELDS}; missing: {missing}")
        return self._request("PUT", self._item_path(id), json_body=payload)

    def _find_in_admin_list(self, id: str) -> User:
        from speckle.base.resource import check_id
        from speckle.errors import NotFoundError

        check_id(id, "user id")
        for user in self.admin_list():
            if user.id == id:
                return user
        raise NotFoundError(f"no user with id {id!r} on this server", status_code=None)
