"""Typed internal errors and how the HTTP layer renders them.

Service code raises :class:`SpeckleError` (a JavaScript-like error with a class
name and a message), :class:`HttpError` (a fully specified response) or
:class:`ServerCrash` (the original server crashed: an Express 500 page).
Each route declares a *family* (how an error maps to a status code, §2.2) and a
*style* (how the error becomes the ``message`` value, §2.1); :func:`render_error`
combines them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any


class Family(Enum):
    """Status-code families of the handlers (§2.2)."""

    A = "always 400"
    B = "401 if 'authorised' in the message, else 404"
    C = "always 404"


class Style(Enum):
    """How the ``message`` of an error response is produced (§2.1)."""

    TO_STRING = "toString"  #: ``"Error: text"``
    MESSAGE = "message"  #: ``"text"``
    OBJECT = "object"  #: the serialised error object (``{}`` for a plain Error)
    STRINGIFY = "stringify"  #: the string ``"{}"``
    LOGGED_OBJECT = "logged"  #: error object decorated with ``level``/``timestamp``
    SOMETHING_FAILED = "something failed"  #: always ``"Something failed."``


class SpeckleError(Exception):
    """An error as thrown inside the original server (class name + message).

    ``obj`` is what ``JSON.stringify`` would make of the error object: ``{}``
    for plain errors, a dict for mongoose ``CastError``/``ValidationError``.
    """

    def __init__(self, text: str, name: str = "Error", obj: dict[str, Any] | None = None,
                 to_string: str | None = None):
        super().__init__(text)
        self.text = text
        self.name = name
        self.obj: dict[str, Any] = obj if obj is not None else {}
        #: ``toString()`` when it is not ``name: message`` (mongoose ``ValidationError``)
        self.to_string = to_string

    def __str__(self) -> str:
        return self.to_string if self.to_string is not None else f"{self.name}: {self.text}"


def js_inspect(value: object) -> str:
    """Node's ``util.inspect`` of a JSON value, on one line (``{ ids: [ 'a' ] }``)."""
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[ " + ", ".join(js_inspect(v) for v in value) + " ]" if value else "[]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        parts = [(k if k.isidentifier() else js_inspect(k)) + ": " + js_inspect(v) for k, v in value.items()]
        return "{ " + ", ".join(parts) + " }"
    return str(value)


def cast_error(value: object, model: str | None, path: str = "_id") -> SpeckleError:
    """A mongoose ObjectId ``CastError`` for ``value`` on ``model`` (``None``: a query update's)."""
    shown = value if isinstance(value, str) else js_inspect(value)
    text = f'Cast to ObjectId failed for value "{shown}" at path "{path}"'
    if model is not None:
        text += f' for model "{model}"'
    obj = {
        "stringValue": f'"{shown}"',
        "kind": "ObjectId",
        "value": value,
        "path": path,
        "reason": {},
        "message": text,
        "name": "CastError",
    }
    return SpeckleError(text, "CastError", obj)


def validation_error(model: str, path: str, text: str, *, prefix: bool = False) -> SpeckleError:
    """A mongoose ``ValidationError`` on ``path``.

    ``toString()`` of a document validation error reads ``ValidationError: path: text``;
    its ``.message`` reads ``<Model> validation failed: path: text`` (``prefix=True``
    puts that wording in ``text`` too, as login/register and comments show it).
    """
    detail = f"{path}: {text}"
    message = f"{model} validation failed: {detail}" if prefix else detail
    obj = {"errors": {path: {"message": text, "name": "ValidatorError", "path": path}},
           "_message": f"{model} validation failed", "message": f"{model} validation failed: {detail}",
           "name": "ValidationError"}
    return SpeckleError(message, "ValidationError", obj)


def type_error(prop: str, of: str = "null") -> SpeckleError:
    """A Node 10 ``TypeError`` (``Cannot read property 'x' of null``)."""
    return SpeckleError(f"Cannot read property '{prop}' of {of}", "TypeError")


@dataclass
class HttpError(Exception):
    """A response that is fully decided by the service (status + JSON body)."""

    status: int
    body: Any


class ServerCrash(Exception):
    """The original server would crash here: rendered as an Express 500 HTML page."""

    def __init__(self, text: str, name: str = "Error"):
        super().__init__(text)
        self.text = f"{name}: {text}"
        self.error = SpeckleError(text, name)

    def rejected(self) -> SpeckleError:
        """The same exception thrown inside a promise chain: a handler error, not a crash."""
        return self.error


def status_for(family: Family, error: SpeckleError) -> int:
    """The HTTP status a route family gives ``error``."""
    if family is Family.A:
        return 400
    if family is Family.B and "authorised" in error.text:
        return 401
    return 404


def message_for(style: Style, error: SpeckleError) -> Any:
    """The ``message`` value a route style gives ``error``."""
    if style is Style.TO_STRING:
        return str(error)
    if style is Style.MESSAGE:
        return error.text
    if style is Style.OBJECT:
        return error.obj
    if style is Style.STRINGIFY:
        return "{}"
    if style is Style.LOGGED_OBJECT:
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        obj = dict(error.obj)
        if error.name == "CastError":  # as winston leaves the error it logged: no ``kind``
            obj = {"message": obj.get("message"), "name": obj.get("name"),
                   **{k: v for k, v in obj.items() if k not in ("message", "name", "kind")}}
        return {**obj, "level": "error", "timestamp": stamp}
    return "Something failed."


def render_error(family: Family, style: Style, error: SpeckleError) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of a handler-level error."""
    return status_for(family, error), {"success": False, "message": message_for(style, error)}


def html_page(text: str) -> str:
    """The Express default HTML page wrapping ``text`` in ``<pre>``."""
    body = html.escape(text).replace("&#x27;", "&#39;").replace("\n", "<br>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Error</title>\n</head>\n<body>\n<pre>{body}</pre>\n</body>\n</html>\n"
    )
