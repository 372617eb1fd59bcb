"""Original path ``speckle.SpeckleClient``: ``SpeckleApiClient``, ``ClientBase`` and ``jdumps``."""

from speckle.base.client import ClientBase
from speckle.client import SpeckleApiClient
from speckle.compat import jdumps

__all__ = ["SpeckleApiClient", "ClientBase", "jdumps"]
