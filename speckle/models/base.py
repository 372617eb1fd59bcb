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

import copy
import json as _json
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

__all__ = ["SpeckleModel", "ResourceModel", "FieldsDict", "PROTECTED_FIELDS"]

#: Fields v1 servers let only a resource's owner (or an admin) send in an update, even unchanged
#: (the server's ``ProtectedFields``): a model read from the server remembers their values so
#: an update sends them only when they were changed.
PROTECTED_FIELDS = ("owner", "email")


class FieldsDict(dict):  # type: ignore[type-arg]
    """The dict of :meth:`SpeckleModel.dict`: a plain dict that also remembers the values the
    server sent for :data:`PROTECTED_FIELDS` (``as_read``), so that
    ``client.streams.update(id, stream.dict())`` by a collaborator does not send back an
    unchanged ``owner`` (which v1 servers refuse from anyone but the owner)."""

    __slots__ = ("as_read",)

    def __init__(self, *args: Any, as_read: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.as_read: dict[str, Any] | None = as_read

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
    _as_read: dict[str, Any] | None = PrivateAttr(default=None)

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

        Raises:
            SpeckleInputError -- a value cannot be written as JSON (e.g. nested more than about
                250 levels deep)
        """
        try:
            return self.model_dump(mode="json", by_alias=True, exclude_unset=True, warnings=False)
        except (ValueError, TypeError, RecursionError) as exc:  # pydantic's serialization errors are ValueErrors
            from speckle.errors import SpeckleInputError

            raise SpeckleInputError(f"this {type(self).__name__} cannot be written as JSON: {exc}") from exc

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
            instance = cls.model_validate(data)
        except PydanticValidationError:
            instance = cls.model_construct(**data)
            instance._key_order = tuple(data)
        return instance.mark_as_read(data)

    def mark_as_read(self, data: Any) -> Any:
        """Remember the server's values of :data:`PROTECTED_FIELDS` (see :class:`FieldsDict`).

        Arguments:
            data {dict} -- the document as the server sent it

        Returns:
            SpeckleModel -- this model
        """
        if isinstance(data, dict):
            as_read = {}
            for key in PROTECTED_FIELDS:
                if key in data:
                    try:
                        as_read[key] = copy.deepcopy(data[key])
                    except RecursionError:  # junk nested too deeply: not remembered, so sent as given
                        pass
            self._as_read = as_read
        return self

    def protected_as_read(self) -> dict[str, Any] | None:
        """The values of :data:`PROTECTED_FIELDS` as the server sent them (None: not read from a server)."""
        return self._as_read

    def to_dict(self) -> dict[str, Any]:
        """Like :meth:`to_payload`: a plain dict of every field that is set."""
        return self.to_payload()

    # -- pydantic 1 names, as scripts written for the original client call them -----------------

    @classmethod
    def parse_obj(cls, obj: Any) -> Any:
        """Build a model from a dict (the pydantic 1 name the original client documented).

        Arguments:
            obj {dict} -- the fields

        Returns:
            SpeckleModel -- the model
        """
        return cls.model_validate(obj)

    @classmethod
    def parse_raw(cls, text: str | bytes) -> Any:
        """Build a model from a JSON document (pydantic 1 name).

        Arguments:
            text {str|bytes} -- the JSON text of one object

        Returns:
            SpeckleModel -- the model
        """
        return cls.model_validate_json(text)

    def dict(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """The model's fields as a dict, by their Python names (``id`` for ``_id``; pydantic 1 name).

        By default only the fields the model holds: what the server sent and what was set
        since (``exclude_unset=True``), so ``client.comments.update(id, comment.dict())`` sends
        back exactly what was read plus the changes, and never ``None`` for fields the server
        did not have. Pass ``exclude_unset=False`` for every declared field.

        Keyword Arguments:
            kwargs -- ``include``, ``exclude``, ``by_alias``, ``exclude_unset``,
                ``exclude_defaults``, ``exclude_none`` (as in pydantic)

        Returns:
            dict -- the fields
        """
        kwargs.setdefault("exclude_unset", True)
        kwargs.setdefault("warnings", False)
        return FieldsDict(self.model_dump(**kwargs), as_read=self._as_read)

    def json(self, **kwargs: Any) -> str:  # type: ignore[override]
        """The model as JSON text (pydantic 1 name): the fields of :meth:`dict`.

        Keyword Arguments:
            kwargs -- the arguments of :meth:`dict`, and ``indent``, ``sort_keys``... for
                :func:`json.dumps`

        Returns:
            str -- the JSON text
        """
        dump_keys = ("include", "exclude", "by_alias", "exclude_unset", "exclude_defaults", "exclude_none")
        dump_args = {key: kwargs.pop(key) for key in dump_keys if key in kwargs}
        return _json.dumps(self.dict(mode="json", **dump_args), **kwargs)

    def copy(self, **kwargs: Any) -> Any:  # type: ignore[override]
        """A copy of the model (pydantic 1 name); ``deep=True`` copies nested values too.

        Keyword Arguments:
            update {dict} -- fields to change in the copy (default: {None})
            deep {bool} -- copy nested values (default: {False})

        Returns:
            SpeckleModel -- the copy
        """
        copied = self.model_copy(update=kwargs.get("update"), deep=bool(kwargs.get("deep", False)))
        copied._key_order = self._key_order
        copied._as_read = self._as_read
        return copied

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

    def __repr__(self) -> str:
        # bounded whatever the server put in the fields (nesting thousands of levels deep...)
        shown: list[str] = []
        for name, value in self.__repr_args__():
            if len(shown) == 8:
                shown.append("...")
                break
            shown.append(f"{name}={_r(value)}")
        return f"{type(self).__name__}({', '.join(shown)})"


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
