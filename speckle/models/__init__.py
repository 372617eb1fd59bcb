"""Pydantic models of the data a v1 server stores and returns."""

from speckle.models.base import ResourceModel, SpeckleModel
from speckle.models.objects import *  # noqa: F403
from speckle.models.objects import __all__ as _object_names
from speckle.models.resources import *  # noqa: F403
from speckle.models.resources import __all__ as _resource_names
from speckle.models.results import *  # noqa: F403
from speckle.models.results import __all__ as _result_names
from speckle.models.server import *  # noqa: F403
from speckle.models.server import __all__ as _server_names

__all__ = ["SpeckleModel", "ResourceModel", *_object_names, *_resource_names, *_result_names, *_server_names]
