"""API clients: the records of plugin instances (senders, receivers) attached to streams."""

from __future__ import annotations

from typing import Any

from speckle.base.resource import CRUDMixin
from speckle.models.resources import ApiClient

__all__ = ["Resource", "ApiClient"]


class Resource(CRUDMixin):
    """API Access class for API Clients

    The api_client resource mostly returns an API Client data class instance.

    Example::

        >>> from speckle.resources.api_clients import ApiClient
        >>> api_client = ApiClient.parse_obj({'role': 'Hybrid', 'documentName': 'Test',
        ...     'documentType': 'DataServer', 'documentLocation': 'http://some.server.com',
        ...     'online': True})
        >>> api_client.role
        'Hybrid'
        >>> new_api_client = client.api_clients.create(data=api_client)
        >>> new_api_client.documentName
        'Test'

    Access to a client follows its stream: reading one needs read access to the stream whose
    ``streamId`` it holds, updating or deleting it needs write access.
    """

    path = "/clients"
    model = ApiClient
    noun = "API client"

    def create(self, data: Any) -> ApiClient:
        """Create an API clients from a data dictionary

        A model built with :class:`ApiClient` carries a generated ``documentGuid``. Without a
        login (or with ``"isAnonymous": true``) the server saves nothing and answers with a
        temporary ``temp-...`` id, usable only as a websocket ``client_id``.

        Arguments:
            data {dict} -- A dictionary describing an API client

        Returns:
            ApiClient -- The instance created on the Speckle Server
        """
        return super().create(data)
