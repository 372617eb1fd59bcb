"""Original path ``speckle.Cache``: :class:`speckle.compat.cache.SpeckleCache`."""

from speckle.compat.cache import SpeckleCache

__all__ = ["SpeckleCache"]
