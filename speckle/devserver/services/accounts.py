"""``/accounts`` routes (§8.2)."""

from __future__ import annotations

import re
from typing import Any

from .. import ids
from ..auth import check_password, hash_password
from ..errors import HttpError, ServerCrash, SpeckleError, validation_error
from ..jsinspect import cast_value_text, js_string
from ..models import apply, hydrate, new_document, touch, user_out
from ..querylang import project
from ..schema import cast_body, validation_failure
from ..store import DuplicateKey
from .base import Auth, Call, Document, get_by_id, route

#: JavaScript's ``\s`` (the original validates emails with ``/\S+@\S+\.\S+/``).
_JS_SPACE = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")


def looks_like_email(text: str) -> bool:
    r"""``/\S+@\S+\.\S+/.test(text)`` in linear time.

    The regular expression backtracks quadratically on long inputs (a 150 KB email froze
    the server for seconds). It matches exactly when one run of non-space characters has
    an ``@`` after its first character and a ``.`` at least two characters after that
    ``@`` and before its last character.
    """
    for token in _JS_SPACE.split(text):
        at = token.find("@", 1)
        if at != -1 and token.rfind(".", 0, len(token) - 1) >= at + 2:
            return True
    return False


def _fail(status: int, message: Any) -> HttpError:
    return HttpError(status, {"success": False, "message": message})


def _duplicate_text(email: str) -> str:
    return f'E11000 duplicate key error collection: speckle.users index: email_1 dup key: {{ : "{email}" }}'


def _valid_email(email: str, *, prefix: bool) -> None:
    if not looks_like_email(email):
        raise validation_error("User", "email", f"{email} much email wow error", prefix=prefix)


@route("POST", "/accounts/register", auth=Auth.NONE, locked=False)
def register(call: Call) -> Document:
    """Create an account; the first one becomes admin (§3.4)."""
    if not call.config.public_registration:
        raise _fail(401, "This is an invite only speckle server. Sorry!")
    body = call.body_dict()
    if not body.get("email"):
        raise _fail(400, "Do not fuck with us. Give us your email.")
    if not body.get("password"):
        raise _fail(400, "Passwords are a necessary evil, fam.")
    store = call.store
    given = {"email": body["email"], "password": body["password"], "company": body.get("company"),
             "name": body.get("name") or "Anonymous", "surname": body.get("surname") or ""}
    if isinstance(given["email"], dict):  # the duplicate lookup's query cast fails first
        raise _fail(400, f'Cast to string failed for value {cast_value_text(given["email"])}'
                         ' at path "email" for model "User"')
    wanted = given["email"] if isinstance(given["email"], list) else [given["email"]]
    if store.find_in("users", "email", [js_string(e).lower() for e in wanted if e is not None]):
        raise _fail(400, "Email taken. Please login. Thanks!")
    fields, errors = cast_body("users", given)
    if errors:
        raise _fail(400, validation_failure("users", errors).text)
    email = fields["email"]
    password = fields["password"]
    try:
        _valid_email(email, prefix=True)
    except SpeckleError as exc:
        raise _fail(400, exc.text) from exc
    if len(password) < 8:
        raise _fail(400, "Password too short.")
    hashed = hash_password(password, call.config.bcrypt_rounds)  # slow: outside the lock
    if fields.get("company") is None:
        fields.pop("company", None)  # undefined: not stored
    fields["password"] = hashed
    fields["apitoken"] = None  # set below, once the id is known
    with store.transaction():
        role = "admin" if store.count("users") == 0 else "user"
        user = new_document("users", fields, role=role)
        user["apitoken"] = call.state.tokens.api_token(user["_id"])
        try:
            store.insert("users", user)
        except DuplicateKey as exc:
            raise _fail(400, _duplicate_text(email)) from exc
    return {
        "success": True,
        "message": "User saved. Redirect to login.",
        "resource": {
            "apitoken": user["apitoken"],
            "token": call.state.tokens.session_token(user["_id"], user["name"]),
            "email": email,
        },
    }


@route("POST", "/accounts/login", auth=Auth.NONE, locked=False)
def login(call: Call) -> Document:
    """Log in with email and password (§3.5)."""
    body = call.body_dict()
    email, password = body.get("email"), body.get("password")
    if not email or not password:
        raise _fail(401, "Invalid credentials.")
    if not isinstance(email, str):
        raise ServerCrash("req.body.email.toLowerCase is not a function", "TypeError")
    found = call.store.find_by("users", "email", email.lower())
    if not found:
        raise _fail(401, {})
    user = found[0]
    if user.get("archived"):
        raise _fail(403, "This user is archived.")
    if not check_password(str(password), user.get("password", "")):
        raise _fail(401, "Invalid credentials.")
    with call.store.lock:
        user = call.store.get("users", user["_id"]) or user
        user.setdefault("logins", []).append({"date": ids.now_ms()})
        out = user_out(user)  # the original answers before its save bumps ``__v``
        call.store.save("users", touch(user))
    out["updatedAt"] = user["updatedAt"]
    token = call.state.tokens.session_token(user["_id"], user.get("name"))
    return {"success": True, "message": "You have logged in.", "resource": {**out, "token": token}}


@route("GET", "/accounts", auth=Auth.MANDATORY)
def get_profile(call: Call) -> Document:
    """The caller's own user document."""
    return {"success": True, "resource": user_out(call.user or {})}


@route("PUT", "/accounts", auth=Auth.MANDATORY)
def update_profile(call: Call) -> Document:
    """Set truthy ``name``/``surname``/``company``/``email`` on the caller."""
    body = call.body_dict()
    user = call.store.get("users", call.uid)
    if user is None:
        raise SpeckleError("no user found.")
    changes = {key: body[key] for key in ("name", "surname", "company", "email") if body.get(key)}
    apply("users", user, changes)
    if "email" in changes:
        _valid_email(user["email"], prefix=False)
    return _save_profile(call, user)


def _save_profile(call: Call, user: Document) -> Document:
    """Store an edited user; an email another user has is a duplicate-key error."""
    try:
        call.store.save("users", touch(user, version=False))
    except DuplicateKey as exc:
        raise SpeckleError(_duplicate_text(user["email"]), "MongoError") from exc
    return {"success": True, "message": "User profile updated."}


@route("GET", "/accounts/admin", auth=Auth.ADMIN)
def list_users(call: Call) -> Document:
    """Every user (``resource`` holds an array)."""
    return {"success": True, "resource": [user_out(u) for u in call.store.all("users")]}


@route("GET", "/accounts/:userId", auth=Auth.MANDATORY)
def get_user(call: Call) -> Document:
    """Public profile of a user."""
    user = get_by_id(call, "users", call.params["userId"], "User")
    if user is None:
        raise SpeckleError("no users found.")
    keys = ["_id", "name", "surname", "company", "archived"]
    if call.config.expose_emails == "true":
        keys.append("email")
    return {"success": True, "resource": _projected(user, keys)}


def _projected(user: Document, keys: list[str]) -> Document:
    """A user read with a projection, its keys in the order mongoose gives them."""
    projection = dict.fromkeys(keys, 1)
    return hydrate("users", project(user, projection), projection)


ADMIN_EDIT_FIELDS = ("name", "surname", "company", "email", "role", "archived")


@route("PUT", "/accounts/:userId", auth=Auth.ADMIN)
def admin_update_user(call: Call) -> Document:
    """Admin edit of all six profile fields."""
    body = call.body_dict()
    if any(body.get(k) is None for k in ADMIN_EDIT_FIELDS):
        raise SpeckleError("Request body is missing required field")
    user = get_by_id(call, "users", call.params["userId"], "User")
    if user is None:
        raise SpeckleError("no user found.")
    apply("users", user, {key: body[key] for key in ADMIN_EDIT_FIELDS})
    _valid_email(user["email"], prefix=False)
    return _save_profile(call, user)


@route("POST", "/accounts/search", auth=Auth.MANDATORY)
def search_users(call: Call) -> Document:
    """Case-insensitive substring search on name, surname and email (max 10)."""
    text = call.body_dict().get("searchString")
    if not text or (isinstance(text, (str, list, dict)) and len(text) < 3):
        raise _fail(400, "no search criteria present, or too short search string (must be > 2).")
    if not isinstance(text, str):
        raise ServerCrash("string.replace is not a function", "TypeError")
    pattern = re.compile(re.escape(text), re.I)
    keys = ["_id", "name", "surname", "company"]
    if call.config.expose_emails:
        keys.append("email")
    found = []
    for user in call.store.all("users"):
        if any(isinstance(user.get(k), str) and pattern.search(user[k]) for k in ("name", "surname", "email")):
            found.append(_projected(user, keys))
            if len(found) == 10:
                break
    return {"success": True, "resources": found}
