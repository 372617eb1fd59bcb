"""The saved-account store and the clients made from it (from_account, from_env)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from speckle import SpeckleApiClient
from speckle.accounts_store import (
    STORE_FILENAME,
    AccountNotFoundError,
    AccountStore,
    normalize_server,
    resolve_account,
)
from speckle.errors import AuthenticationError, SpeckleInputError

from .conftest import PASSWORD, unique_email

TOKEN_A = "JWT eyJhbGciOiJIUzI1NiJ9.eyJfaWQiOiJhIn0.c2lnbmF0dXJl"
TOKEN_B = "JWT eyJhbGciOiJIUzI1NiJ9.eyJfaWQiOiJiIn0.c2lnbmF0dXJl"


def test_store_lives_in_the_config_folder_owner_only(config_home: Path) -> None:
    store = AccountStore()
    store.add("speckle.example.com", "Me@Example.com", TOKEN_A, name="Me")
    assert store.path == config_home / STORE_FILENAME
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_home.stat().st_mode) == 0o700


def test_xdg_config_home_is_respected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPECKLE_CONFIG_DIR")
    monkeypatch.delenv("APPDATA", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-home"))
    store = AccountStore()
    store.add("speckle.example.com", "me@example.com", TOKEN_A)
    # the v1 connectors' and the original SpeckleCache's file
    assert store.path == tmp_path / "xdg-home" / "SpeckleSettings" / STORE_FILENAME
    assert store.path.exists()


def test_a_wider_existing_file_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    AccountStore(path).add("speckle.example.com", "me@example.com", TOKEN_A)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_add_list_get_default_remove(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.db")
    assert store.list() == [] and store.get_default() is None
    first = store.add("https://speckle.example.com/api/v1/", "ME@example.com", TOKEN_A, name="Me")
    assert (first.server, first.email, first.default) == ("https://speckle.example.com", "me@example.com", True)
    second = store.add("http://127.0.0.1:3000", "me@example.com", TOKEN_B)
    assert second.default is False  # the first account stays the default
    assert [a.server for a in store.list()] == ["http://127.0.0.1:3000", "https://speckle.example.com"]
    assert store.get("speckle.example.com", "me@example.com").apitoken == TOKEN_A
    with pytest.raises(AccountNotFoundError, match="several servers"):
        store.get(None, "me@example.com")
    store.set_default("http://127.0.0.1:3000", "me@example.com")
    assert store.get_default().server == "http://127.0.0.1:3000"
    assert [a.default for a in store.list()] == [True, False]
    # replacing an account keeps it the default, and updates its token
    store.add("http://127.0.0.1:3000", "me@example.com", TOKEN_A)
    assert store.get_default().apitoken == TOKEN_A
    store.remove("http://127.0.0.1:3000", "me@example.com")
    assert store.get_default().server == "https://speckle.example.com"  # the next one takes over
    with pytest.raises(AccountNotFoundError):
        store.remove("http://127.0.0.1:3000", "me@example.com")


def test_bad_input_is_refused(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.db")
    with pytest.raises(SpeckleInputError):
        store.add("speckle.example.com", "not an email", TOKEN_A)
    with pytest.raises(SpeckleInputError):
        store.add("speckle.example.com", "me@example.com", "my password")  # not a token
    with pytest.raises(SpeckleInputError):
        store.add("ftp://speckle.example.com", "me@example.com", TOKEN_A)
    assert store.list() == []


def test_repr_never_shows_the_token(tmp_path: Path) -> None:
    account = AccountStore(tmp_path / "a.db").add("speckle.example.com", "me@example.com", TOKEN_A)
    assert TOKEN_A not in repr(account)
    assert "apitoken" not in account.public_dict()


def test_normalize_server() -> None:
    assert normalize_server("Speckle.Example.com") == "https://speckle.example.com"
    assert normalize_server("http://127.0.0.1:3000/api") == "http://127.0.0.1:3000"
    assert normalize_server("https://host/speckle/api/v1") == "https://host/speckle"
    # the original SpeckleCache saved bare host:port: on this machine that means http
    assert normalize_server("127.0.0.1:3000/") == "http://127.0.0.1:3000"
    assert normalize_server("localhost:3000/api/v1") == "http://localhost:3000"
    assert normalize_server("https://localhost:3000") == "https://localhost:3000"


def test_resolve_account_prefers_the_default_on_a_server(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.db")
    store.add("https://a.example.com", "one@example.com", TOKEN_A)
    store.add("https://b.example.com", "two@example.com", TOKEN_A)
    store.add("https://b.example.com", "three@example.com", TOKEN_B, default=True)
    assert resolve_account(store=store).email == "three@example.com"
    assert resolve_account(server="a.example.com", store=store).email == "one@example.com"
    assert resolve_account("two@example.com", store=store).server == "https://b.example.com"
    with pytest.raises(AccountNotFoundError):
        resolve_account(server="c.example.com", store=store)


# -- against a local server ---------------------------------------------------------------------


def _saved_user(server: Any, store: AccountStore | None = None) -> tuple[SpeckleApiClient, str]:
    client = SpeckleApiClient(server.url)
    email = unique_email("store")
    user = client.register(email=email, password=PASSWORD, company=None, name="Stored")
    (store or AccountStore()).add(client.server_url, email, user.apitoken, name="Stored")
    return client, email


def test_from_account_logs_in_with_the_default_or_named_account(speckle_server: Any) -> None:
    with pytest.raises(AccountNotFoundError):
        SpeckleApiClient.from_account()
    _, first = _saved_user(speckle_server)
    _, second = _saved_user(speckle_server)
    assert SpeckleApiClient.from_account().me.email == first
    named = SpeckleApiClient.from_account(second, server=speckle_server.url)
    assert named.me.email == second
    assert named.streams.list() == []  # authenticated requests work


def test_from_account_with_a_rejected_token(speckle_server: Any, tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.db")
    store.add(speckle_server.url, "ghost@example.com", TOKEN_A)  # signed with another secret
    with pytest.raises(AuthenticationError):
        SpeckleApiClient.from_account(store=store)


def test_from_env(speckle_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SpeckleInputError, match="SPECKLE_HOST"):
        SpeckleApiClient.from_env()
    monkeypatch.setenv("SPECKLE_HOST", speckle_server.url)
    anonymous = SpeckleApiClient.from_env()
    assert anonymous.me is None and anonymous.server_url == speckle_server.url
    client, email = _saved_user(speckle_server)
    monkeypatch.setenv("SPECKLE_TOKEN", client.me.apitoken)
    assert SpeckleApiClient.from_env(timeout=5).me.email == email
