"""Registration, login, profiles and the auth guards (§3, §8.2)."""

from __future__ import annotations

import time

import jwt
import pytest

from .conftest import PASSWORD, Http


def test_first_user_is_admin_and_register_shape(fresh) -> None:
    api = fresh()
    body = api.ok("POST", "/accounts/register", json={"email": "First@Example.COM", "password": PASSWORD})
    assert body["message"] == "User saved. Redirect to login."
    assert set(body["resource"]) == {"apitoken", "token", "email"}
    assert body["resource"]["email"] == "first@example.com"
    assert body["resource"]["apitoken"].startswith("JWT ")
    me = api.ok("GET", "/accounts", headers={"Authorization": body["resource"]["apitoken"]})["resource"]
    assert me["role"] == "admin" and me["name"] == "Anonymous" and me["surname"] == ""
    assert "password" not in me and "message" not in api.ok("GET", "/accounts",
                                                            headers={"Authorization": body["resource"]["token"]})
    second = api.register()
    assert api.ok("GET", "/accounts", second)["resource"]["role"] == "user"


def test_token_payloads(speckle_server, http: Http) -> None:
    user = http.register(name="Jo")
    secret = speckle_server.state.tokens.secret
    api = jwt.decode(user.apitoken[4:], secret, algorithms=["HS256"])
    session = jwt.decode(user.token[4:], secret, algorithms=["HS256"])
    assert set(api) == {"_id", "iat", "exp"} and api["_id"] == user.id
    assert api["exp"] - api["iat"] == (2 * 365 * 24 * 3600)
    assert session["name"] == "Jo" and session["exp"] - session["iat"] == 24 * 3600


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"password": PASSWORD}, 400, "Do not fuck with us. Give us your email."),
        ({"email": "x@y.zz"}, 400, "Passwords are a necessary evil, fam."),
        ({"email": "short@y.zz", "password": "1234567"}, 400, "Password too short."),
        ({"email": "NOT-AN-EMAIL", "password": PASSWORD}, 400,
         "User validation failed: email: not-an-email much email wow error"),
    ],
)
def test_register_errors(http: Http, body: dict, status: int, message: str) -> None:
    response = http("POST", "/accounts/register", json=body)
    assert response.status_code == status
    assert response.json() == {"success": False, "message": message}


def test_register_duplicate_is_case_insensitive(http: Http) -> None:
    user = http.register()
    response = http("POST", "/accounts/register", json={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["message"] == "Email taken. Please login. Thanks!"


def test_registration_closed(fresh) -> None:
    api = fresh(public_registration=False)
    response = api("POST", "/accounts/register", json={"email": "a@b.cc", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json() == {"success": False, "message": "This is an invite only speckle server. Sorry!"}


def test_login(http: Http) -> None:
    user = http.register()
    body = http.ok("POST", "/accounts/login", json={"email": user.email.upper(), "password": PASSWORD})
    assert body["message"] == "You have logged in."
    resource = body["resource"]
    assert resource["_id"] == user.id and resource["apitoken"] == user.apitoken
    assert resource["token"].startswith("JWT ") and "password" not in resource
    assert isinstance(resource["logins"][-1]["date"], int)
    form = http.ok("POST", "/accounts/login", data={"email": user.email, "password": PASSWORD})
    assert len(form["resource"]["logins"]) == len(resource["logins"]) + 1


def test_login_errors(admin_setup) -> None:
    api, admin, user, _ = admin_setup
    unknown = api("POST", "/accounts/login", json={"email": "nobody@x.yz", "password": PASSWORD})
    assert (unknown.status_code, unknown.json()) == (401, {"success": False, "message": {}})
    wrong = api("POST", "/accounts/login", json={"email": user.email, "password": "wrong-password"})
    assert (wrong.status_code, wrong.json()["message"]) == (401, "Invalid credentials.")
    missing = api("POST", "/accounts/login", json={"email": user.email})
    assert (missing.status_code, missing.json()["message"]) == (401, "Invalid credentials.")
    crash = api("POST", "/accounts/login", json={"email": 5, "password": "x"})
    assert crash.status_code == 500 and "text/html" in crash.headers["Content-Type"]
    edit = {"name": "A", "surname": "B", "company": "C", "email": user.email, "role": "user", "archived": True}
    assert api.ok("PUT", f"/accounts/{user.id}", admin, json=edit)["message"] == "User profile updated."
    archived = api("POST", "/accounts/login", json={"email": user.email, "password": "wrong"})
    assert (archived.status_code, archived.json()["message"]) == (403, "This user is archived.")
    # a valid token of an archived user: 500 on mandatory and optional routes
    for path in ("/accounts", "/streams/whatever"):
        page = api("GET", path, user)
        assert page.status_code == 500 and "This user has been archived." in page.text


def test_guards(admin_setup, speckle_server) -> None:
    api, admin, user, _ = admin_setup
    for headers in ({}, {"Authorization": "Bearer " + user.apitoken[4:]}, {"Authorization": user.apitoken[4:]},
                    {"Authorization": "JWT garbage"}):
        response = api("GET", "/accounts", headers=headers)
        assert response.status_code == 401 and response.text == "Unauthorized"
        assert "Content-Type" not in response.headers
    assert api("GET", "/accounts", headers={"Authorization": "jwt " + user.apitoken[4:]}).status_code == 200
    denied = api("GET", "/accounts/admin", user)
    assert (denied.status_code, denied.text) == (401, "Only admins can access this route")
    assert denied.headers["Content-Type"].startswith("text/html")
    everyone = api.ok("GET", "/accounts/admin", admin)
    assert isinstance(everyone["resource"], list) and len(everyone["resource"]) == 3
    assert all("password" not in u and "apitoken" in u for u in everyone["resource"])


def test_expired_and_foreign_tokens(fresh) -> None:
    api = fresh()
    user = api.register()
    secret = api.server.state.tokens.secret
    now = int(time.time())
    expired = "JWT " + jwt.encode({"_id": user.id, "iat": now - 100, "exp": now - 10}, secret, algorithm="HS256")
    response = api("GET", "/accounts", headers={"Authorization": expired})
    assert (response.status_code, response.text) == (401, "Unauthorized")
    # optional route: an expired token is just anonymous
    stream = api.stream(user)
    assert api("GET", f"/streams/{stream['streamId']}", headers={"Authorization": expired}).status_code == 200
    ghost = "JWT " + jwt.encode({"_id": "5" * 24, "iat": now, "exp": now + 60}, secret, algorithm="HS256")
    page = api("GET", f"/streams/{stream['streamId']}", headers={"Authorization": ghost})
    assert page.status_code == 500 and "No user with these credentials found." in page.text
    forged = "JWT " + jwt.encode({"_id": user.id, "iat": now, "exp": now + 60}, "x" * 40, algorithm="HS256")
    assert api("GET", "/accounts", headers={"Authorization": forged}).status_code == 401


def test_short_session_ttl(fresh) -> None:
    api = fresh(session_token_ttl=4)
    user = api.register()
    assert api("GET", "/accounts", headers={"Authorization": user.token}).status_code == 200
    time.sleep(5.1)
    assert api("GET", "/accounts", headers={"Authorization": user.token}).status_code == 401
    assert api("GET", "/accounts", user).status_code == 200


def test_profile_update_and_public_profile(fresh) -> None:
    api = fresh(expose_emails="false")
    api.register()  # the admin
    user, other = api.register(), api.register()
    assert api.ok("PUT", "/accounts", user, json={"name": "New", "surname": "", "role": "admin"})[
        "message"] == "User profile updated."
    me = api.ok("GET", "/accounts", user)["resource"]
    assert (me["name"], me["surname"], me["role"]) == ("New", "Surname", "user")
    bad = api("PUT", "/accounts", user, json={"email": "broken"})
    assert bad.status_code == 400
    assert bad.json()["message"] == "ValidationError: email: broken much email wow error"
    taken = api("PUT", "/accounts", user, json={"email": other.email})
    assert taken.status_code == 400 and "E11000" in taken.json()["message"]
    profile = api.ok("GET", f"/accounts/{other.id}", user)["resource"]
    assert set(profile) == {"_id", "name", "surname", "company", "archived"}
    cast = api("GET", "/accounts/xyz", user)
    assert cast.status_code == 400
    assert cast.json()["message"] == 'CastError: Cast to ObjectId failed for value "xyz" at path "_id" for model "User"'
    missing = api("GET", "/accounts/" + "a" * 24, user)
    assert missing.json()["message"] == "Error: no users found."


def test_first_user_role_unaffected(fresh) -> None:
    api = fresh()
    admin, user = api.register(), api.register()
    assert api.ok("GET", "/accounts", admin)["resource"]["role"] == "admin"
    api.ok("PUT", "/accounts", user, json={"role": "admin"})
    assert api.ok("GET", "/accounts", user)["resource"]["role"] == "user"


def test_admin_edit_requires_all_fields(admin_setup) -> None:
    api, admin, user, _ = admin_setup
    response = api("PUT", f"/accounts/{user.id}", admin, json={"name": "x"})
    assert (response.status_code, response.json()["message"]) == (400, "Error: Request body is missing required field")
    assert api("PUT", f"/accounts/{user.id}", user, json={}).status_code == 401


def test_search(fresh) -> None:
    api = fresh(expose_emails="true")
    for i in range(12):
        api.register(name=f"Zed{i}", surname="Search")
    searcher = api.register(name="Other")
    short = api("POST", "/accounts/search", searcher, json={"searchString": "ze"})
    assert short.status_code == 400
    assert short.json()["message"] == "no search criteria present, or too short search string (must be > 2)."
    found = api.ok("POST", "/accounts/search", searcher, json={"searchString": "zED"})["resources"]
    assert len(found) == 10 and all(set(u) == {"_id", "name", "surname", "company", "email"} for u in found)
    by_email = api.ok("POST", "/accounts/search", searcher, json={"searchString": "example.com"})["resources"]
    assert len(by_email) == 10
    hidden = fresh(expose_emails="")
    hidden_user = hidden.register(name="Visible")
    result = hidden.ok("POST", "/accounts/search", hidden_user, json={"searchString": "visible"})["resources"]
    assert result and "email" not in result[0]
    assert hidden("POST", "/accounts/search", hidden_user, json={"searchString": 12345}).status_code == 500
