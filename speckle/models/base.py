"""Base classes of the data models.

Every model

* keeps every field the server sent, known or not (``extra="allow"``), and sends them
  back unchanged: :meth:`SpeckleModel.to_payload` writes the keys in the order they were
  received, keeps ``None`` values and leaves out only what was never set;
* maps the server's ``_id`` to ``id`` (both names work when building a model);
* can be read like the dicts the original client returned: ``stream["name"]``,
  ``"name" in stream``, ``stream.get("name")``, ``stream.keys()``.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from speckle._untrusted import preview
from speckle._untrusted import short_repr as _r

__all__ = ["SpeckleModel", "ResourceModel"]

_MISSING = object()
#: field name <-> alias, per model class (computed once)
_ALIAS_MAPS: dict[type, dict[str, str]] = {}


class SpeckleModel(BaseModel):
    """Base model: open to unknown fields, order-preserving, readable like a dict."""

    model_config = ConfigDict(
        extra="allow",
        # no coercion: "1" stays a string, 1 stays an int, True stays a bool (data that does not
        # fit a typed field falls back to an untyped model, see ``from_data``)
        strict=True,
        populate_by_name=True,
        protected_namespaces=(),
        ser_json_inf_nan="constants",
    )

    _key_order: tuple[str, ...] | None = PrivateAttr(default=None)

    # -- key order -----------------------------------------------------------------------------

    @model_validator(mode="wrap")
    @classmethod
    def _remember_key_order(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        instance = handler(data)
        if isinstance(data, dict) and isinstance(instance, SpeckleModel):
            instance._key_order = tuple(data)
        return instance

    @classmethod
    def _name_to_alias(cls) -> dict[str, str]:
        aliases = _ALIAS_MAPS.get(cls)
        if aliases is None:
            aliases = {}
            for name, info in cls.model_fields.items():
                if info.alias and info.alias != name:
                    aliases[name] = info.alias
                    aliases[info.alias] = name
            _ALIAS_MAPS[cls] = aliases
        return aliases

    @model_serializer(mode="wrap")
    def _serialize_in_order(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        out = handler(self)
        if not isinstance(self, SpeckleModel):  # raw data kept by a lenient ``from_data``
            return out
        order = self._key_order
        if not order or not isinstance(out, dict):
            return out
        aliases = self._name_to_alias()
        ordered: dict[str, Any] = {}
        for key in order:
            for candidate in (key, aliases.get(key)):
                if candidate is not None and candidate in out and candidate not in ordered:
                    ordered[candidate] = out[candidate]
                    break
        if len(ordered) == len(out):
            return ordered
        for key, value in out.items():
            if key not in ordered:
                ordered[key] = value
        return ordered

    # -- payloads ------------------------------------------------------------------------------

    def to_payload(self) -> dict[str, Any]:
        """The JSON document to send to the server.

        Keys appear in the order the server (or the caller) gave them, with ``_id`` for ``id``;
        fields that were never set are left out, ``None`` values are kept.
        """
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True, warnings=False)

    @classmethod
    def from_data(cls, data: Any) -> Any:
        """Build a model from server data without losing anything.

        Data that does not fit the typed fields (a string where a list is expected...) gives an
        instance built without validation that holds every key and value verbatim.

        Arguments:
            data {dict} -- the document as the server sent it

        Returns:
            SpeckleModel -- an instance of this class

        Raises:
            SpeckleResponseError -- when ``data`` is not a JSON object
        """
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            from speckle.errors import SpeckleResponseError

            raise SpeckleResponseError(f"expected a JSON object for a {cls.__name__}, got: {preview(data)}")
        try:
            return cls.model_validate(data)
        except PydanticValidationError:
            instance = cls.model_construct(**data)
            instance._key_order = tuple(data)
            return instance

    def to_dict(self) -> dict[str, Any]:
        """Like :meth:`to_payload`: a plain dict of every field that is set."""
        return self.to_payload()

    @classmethod
    def parse_obj(cls, obj: Any) -> Any:
        """Build a model from a dict (the pydantic v1 name the original client documented)."""
        return cls.model_validate(obj)

    def dict(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """A dict of the model's fields by their Python names (pydantic v1 style, kept for old scripts)."""
        kwargs.setdefault("exclude_unset", False)
        return self.model_dump(**kwargs)

    # -- dict-style access ---------------------------------------------------------------------

    def _lookup(self, key: str) -> Any:
        if key in type(self).model_fields:
            return getattr(self, key)
        alias = self._name_to_alias().get(key)
        if alias is not None and alias in type(self).model_fields:
            return getattr(self, alias)
        extra = self.__pydantic_extra__ or {}
        if key in extra:
            return extra[key]
        return _MISSING

    def __getitem__(self, key: str) -> Any:
        value = self._lookup(key)
        if value is _MISSING:
            # scripts written against the original client indexed the raw envelope
            if key == "resource":
                return self
            if key == "success":
                return True
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        name = key
        if key not in type(self).model_fields:
            name = self._name_to_alias().get(key, key)
        setattr(self, name, value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._lookup(key) is not _MISSING

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` (field name, alias or unknown field), or ``default``."""
        value = self._lookup(key)
        return default if value is _MISSING else value

    def keys(self) -> list[str]:
        """The keys of :meth:`to_payload`."""
        return list(self.to_payload())


class ResourceModel(SpeckleModel):
    """Fields shared by every stored v1 resource (streams, objects, clients, projects...)."""

    id: str | None = Field(default=None, alias="_id")
    owner: Any = None
    private: bool | None = None
    canRead: list[Any] | None = None
    canWrite: list[Any] | None = None
    anonymousComments: bool | None = None
    comments: list[Any] | None = None
    createdAt: str | None = None
    updatedAt: str | None = None

    def __repr__(self) -> str:
        label = self.get("name") or self.get("streamId") or self.get("type")
        extra = f" {_r(label)}" if label else ""
        return f"<{type(self).__name__} id={_r(self.id)}{extra}>"

    def __str__(self) -> str:
        return repr(self)
