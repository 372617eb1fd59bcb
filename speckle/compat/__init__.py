"""Compatibility with the original Python client (PySpeckle 1.x): every name it exported.

Scripts written for the original client import from its module paths: ``speckle.SpeckleCache``,
``speckle.SpeckleClient.jdumps``, ``speckle.schemas.Point``, ``speckle.resources.streams.Layer``,
``speckle.base.resource.ResourceBaseSchema``... Those paths keep working. The real code lives
in this library's own modules; this package holds the few things that exist only for old
scripts (:func:`jdumps`, :func:`clean_empty`, :class:`~speckle.compat.cache.SpeckleCache`,
the geometry classes with the original's defaults in :mod:`speckle.compat.schemas`) and
:data:`ORIGINAL_NAMES`, the table of every name the original exported and where it lives
here. :func:`install` (run when :mod:`speckle` is imported) puts the names of that table on
the original module paths; nothing else in the library refers to them.

=====================================  ===============================================
original                               here
=====================================  ===============================================
``speckle.SpeckleCache``               :class:`speckle.compat.cache.SpeckleCache`
``speckle.jdumps``                     :func:`speckle.compat.jdumps`
``speckle.schemas.<Name>``             :mod:`speckle.compat.schemas` (``<Name>.Schema`` too)
``...resource.ResourceBaseSchema``     :class:`speckle.models.ResourceModel`
``...resource.ResourceInfo``           :class:`speckle.models.CommentTarget`
``...resources.projects.Permissions``  :class:`speckle.models.ProjectPermissions`
``...resources.<name>.NAME/METHODS``   :data:`RESOURCE_CONSTANTS`
=====================================  ===============================================
"""

from __future__ import annotations

import importlib
import json
import sys
import types
from typing import Any

from speckle.compat import schemas
from speckle.compat.cache import SpeckleCache

__all__ = ["SpeckleCache", "jdumps", "clean_empty", "ORIGINAL_NAMES", "RESOURCE_CONSTANTS", "install", "schemas"]


def jdumps(msg: Any) -> str:
    """JSON text of ``msg``, indented by 4 with sorted keys (the original's ``jdumps``).

    Arguments:
        msg {Any} -- a JSON-compatible value

    Returns:
        str -- the JSON text
    """
    return json.dumps(msg, indent=4, sort_keys=True)


def clean_empty(d: Any) -> Any:
    """``d`` without ``None`` values, recursively in dicts and lists (the original's ``clean_empty``).

    Arguments:
        d {Any} -- a dict, a list or any other value

    Returns:
        Any -- a copy without ``None`` values (other values are returned as they are)
    """
    if isinstance(d, list):
        return [v for v in (clean_empty(item) for item in d) if v is not None]
    if isinstance(d, dict):
        return {k: v for k, v in ((k, clean_empty(item)) for k, item in d.items()) if v is not None}
    return d


#: ``NAME`` and ``METHODS`` of each ``speckle.resources.<module>`` of the original.
RESOURCE_CONSTANTS: dict[str, tuple[str, list[str]]] = {
    "accounts": ("accounts", ["get", "get_profile", "update_profile", "set_role", "search"]),
    "api_clients": ("clients", ["list", "create", "get", "update", "delete"]),
    "comments": ("comments", ["list", "get", "update", "assigned", "delete", "comment_get", "comment_create"]),
    "objects": ("objects", ["list", "get", "update", "create", "delete", "comment_get", "comment_create",
                            "get_bulk", "set_properties"]),
    "projects": ("projects", ["list", "create", "get", "update", "delete", "comment_get", "comment_create",
                              "add_stream", "add_user", "remove_user", "remove_stream", "upgrade_user",
                              "downgrade_user"]),
    "streams": ("streams", ["list", "create", "get", "update", "delete", "comment_get", "comment_create",
                            "clone", "diff", "list_objects", "list_clients"]),
}

#: Every name the original package exported, by module: ``{module: {name: "where.it.lives:name"}}``.
#: ``speckle.schemas.<Name>`` modules are made by :func:`install`.
ORIGINAL_NAMES: dict[str, dict[str, str]] = {
    "speckle": {
        "SpeckleApiClient": "speckle.client:SpeckleApiClient",
        "SpeckleCache": "speckle.compat.cache:SpeckleCache",
        "jdumps": "speckle.compat:jdumps",
    },
    "speckle.Cache": {"SpeckleCache": "speckle.compat.cache:SpeckleCache"},
    "speckle.SpeckleClient": {
        "SpeckleApiClient": "speckle.client:SpeckleApiClient",
        "ClientBase": "speckle.base.client:ClientBase",
        "jdumps": "speckle.compat:jdumps",
    },
    "speckle.base.client": {"ClientBase": "speckle.base.client:ClientBase", "resources": "speckle.resources"},
    "speckle.base.resource": {
        "SCHEMAS": "speckle.compat.schemas:SCHEMAS",
        "ResourceBaseSchema": "speckle.models.base:ResourceModel",
        "ResourceInfo": "speckle.models.resources:CommentTarget",
        "Comment": "speckle.models.resources:Comment",
        "clean_empty": "speckle.compat:clean_empty",
        "ResourceBase": "speckle.base.resource:ResourceBase",
    },
    "speckle.resources": {
        "ResourceBase": "speckle.base.resource:ResourceBase",
        **{name: f"speckle.resources.{name}" for name in RESOURCE_CONSTANTS},
    },
    "speckle.resources.accounts": {
        "User": "speckle.models.resources:User",
        "Resource": "speckle.resources.accounts:Resource",
        "ResourceBase": "speckle.base.resource:ResourceBase",
    },
    "speckle.resources.api_clients": {
        "ApiClient": "speckle.models.resources:ApiClient",
        "Resource": "speckle.resources.api_clients:Resource",
        "User": "speckle.models.resources:User",
        "ResourceBase": "speckle.base.resource:ResourceBase",
        "ResourceBaseSchema": "speckle.models.base:ResourceModel",
    },
    "speckle.resources.comments": {
        "Resource": "speckle.resources.comments:Resource",
        "ResourceBase": "speckle.base.resource:ResourceBase",
        "ResourceBaseSchema": "speckle.models.base:ResourceModel",
    },
    "speckle.resources.objects": {
        "SpeckleObject": "speckle.models.objects:SpeckleObject",
        "Resource": "speckle.resources.objects:Resource",
        "ResourceBase": "speckle.base.resource:ResourceBase",
        "ResourceBaseSchema": "speckle.models.base:ResourceModel",
    },
    "speckle.resources.projects": {
        "Permissions": "speckle.models.resources:ProjectPermissions",
        "Project": "speckle.models.resources:Project",
        "Resource": "speckle.resources.projects:Resource",
        "ResourceBase": "speckle.base.resource:ResourceBase",
        "ResourceBaseSchema": "speckle.models.base:ResourceModel",
    },
    "speckle.resources.streams": {
        "LayerProperties": "speckle.compat.schemas:LayerProperties",
        "Layer": "speckle.compat.schemas:Layer",
        "StreamBaseProperties": "speckle.compat.schemas:StreamBaseProperties",
        "Stream": "speckle.models.resources:Stream",
        "Resource": "speckle.resources.streams:Resource",
        "SpeckleObject": "speckle.models.objects:SpeckleObject",
        "ApiClient": "speckle.models.resources:ApiClient",
        "ResourceBase": "speckle.base.resource:ResourceBase",
        "ResourceBaseSchema": "speckle.models.base:ResourceModel",
    },
    "speckle.schemas": {
        "SpeckleObject": "speckle.models.objects:SpeckleObject",
        "ResourceBaseSchema": "speckle.models.base:ResourceModel",
        "SCHEMAS": "speckle.compat.schemas:SCHEMAS",
        **{name: f"speckle.compat.schemas:{cls.__name__}" for name, cls in schemas.SCHEMAS.items()},
    },
}
for _module in RESOURCE_CONSTANTS:
    ORIGINAL_NAMES[f"speckle.resources.{_module}"].update({
        "NAME": f"speckle.compat:RESOURCE_CONSTANTS.{_module}.0",
        "METHODS": f"speckle.compat:RESOURCE_CONSTANTS.{_module}.1",
    })
#: The sibling schemas each original ``speckle.schemas.<Name>`` module imported.
_SCHEMA_SIBLINGS = {
    "Arc": ("Interval", "Plane"),
    "Brep": ("Mesh",),
    "Curve": ("Interval", "Polyline"),
    "Line": ("Interval",),
    "Plane": ("Point", "Vector"),
    "Polycurve": ("Interval",),
}
for _schema, _cls in schemas.SCHEMAS.items():
    ORIGINAL_NAMES[f"speckle.schemas.{_schema}"] = {
        "Schema": f"speckle.compat.schemas:{_cls.__name__}",
        "NAME": f"speckle.compat.schemas:SCHEMA_NAMES.{_schema}",
        "SpeckleObject": "speckle.models.objects:SpeckleObject",
        "ResourceBaseSchema": "speckle.models.base:ResourceModel",
        **{
            sibling: f"speckle.compat.schemas:{schemas.SCHEMAS[sibling].__name__}"
            for sibling in _SCHEMA_SIBLINGS.get(_schema, ())
        },
    }


def resolve(target: str) -> Any:
    """The object a :data:`ORIGINAL_NAMES` entry points at (``module:attr.key.index`` or ``module``).

    Arguments:
        target {str} -- e.g. ``"speckle.models.resources:Stream"``

    Returns:
        Any -- the object
    """
    module_name, _, path = target.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in path.split(".") if path else ():
        if isinstance(value, dict):
            value = value[part]
        elif isinstance(value, (tuple, list)):
            value = value[int(part)]
        else:
            value = getattr(value, part)
    return value


def install() -> None:
    """Put the original's names on its module paths (idempotent; run by ``import speckle``).

    Existing attributes of our modules are never replaced. Each ``speckle.schemas.<Name>``
    module is made here: ``from speckle.schemas.Point import Schema`` and ``speckle.schemas.Point``
    (the class itself, as in the original) both work, and ``Point.Schema`` is the class too.
    """
    for schema_name, cls in schemas.SCHEMAS.items():
        module_name = f"speckle.schemas.{schema_name}"
        if module_name not in sys.modules:
            module = types.ModuleType(module_name, f"Original path of :class:`{cls.__module__}.{cls.__name__}`.")
            for name, target in ORIGINAL_NAMES[module_name].items():
                setattr(module, name, resolve(target))
            sys.modules[module_name] = module
        type.__setattr__(cls, "Schema", cls)
    for module_name, names in ORIGINAL_NAMES.items():
        if module_name.startswith("speckle.schemas."):
            continue
        module = importlib.import_module(module_name)
        for name, target in names.items():
            if not hasattr(module, name):
                setattr(module, name, resolve(target))
