"""speckle: the Python client for Speckle v1 servers, and a local v1-compatible server.

Example::

    from speckle import SpeckleApiClient

    client = SpeckleApiClient('speckle.example.com')
    client.login('me@example.com', 'my password')
    for stream in client.streams.list():
        print(stream.streamId, stream.name)
"""

import logging

from speckle._version import __version__
from speckle.client import SpeckleApiClient
from speckle.errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ServerError,
    SpeckleAPIError,
    SpeckleConnectionError,
    SpeckleError,
    SpeckleInputError,
    SpeckleResponseError,
    SpeckleTimeoutError,
    SpeckleTransportError,
    SpeckleUnsupportedError,
    TokenExpiredError,
    VersionConflictError,
)

logging.getLogger(__name__).addHandler(logging.NullHandler())

# the original client's import surface (speckle.SpeckleCache, speckle.schemas.Point, ...)
from speckle import compat as _compat  # noqa: E402
from speckle.compat import SpeckleCache, jdumps  # noqa: E402

_compat.install()

__all__ = [
    "__version__",
    "SpeckleApiClient",
    "SpeckleCache",
    "jdumps",
    "SpeckleError",
    "SpeckleInputError",
    "SpeckleUnsupportedError",
    "SpeckleTransportError",
    "SpeckleConnectionError",
    "SpeckleTimeoutError",
    "SpeckleResponseError",
    "SpeckleAPIError",
    "BadRequestError",
    "AuthenticationError",
    "TokenExpiredError",
    "PermissionDeniedError",
    "NotFoundError",
    "VersionConflictError",
    "PayloadTooLargeError",
    "ServerError",
]
