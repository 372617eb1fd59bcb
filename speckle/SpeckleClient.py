"""Compatibility module: ``from speckle.SpeckleClient import SpeckleApiClient`` (original client)."""

from speckle.client import SpeckleApiClient

__all__ = ["SpeckleApiClient"]
