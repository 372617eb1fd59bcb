"""The server itself: its self-description and its plugins."""

from __future__ import annotations

from typing import Any

from speckle.base.resource import ResourceBase
from speckle.errors import SpeckleResponseError

__all__ = ["Resource"]


class Resource(ResourceBase):
    """API Access class for the server

    Example::

        >>> client.server.info()['serverName']
        'My Speckle Server'
    """

    noun = "server"

    def info(self) -> dict[str, Any]:
        """Get the server's self-description (``GET /api/v1``)

        Returns:
            dict -- ``isSpeckleServer``, ``serverName``, ``version``, ``api`` (routes by group),
            ``plugins`` and ``jnMask``, as the server sent them
        """
        payload = self._request("GET", "")
        if not isinstance(payload, dict):
            raise SpeckleResponseError(f"the server description is not a JSON object: {str(payload)[:200]}")
        return payload

    def plugins(self) -> list[dict[str, Any]]:
        """List the plugins installed on the server (``/api/plugins``)

        Returns:
            list -- the plugin manifests (name, version, desc, serveFrom, author, ...)
        """
        payload = self.session.request("GET", "/api/plugins", root=True)
        if not isinstance(payload, list):
            raise SpeckleResponseError(f"the plugin list is not a JSON array: {str(payload)[:200]}")
        return payload
