"""One account store shared with the original ``SpeckleCache`` and the v1 desktop connectors.

Files in every state a user may have: one in the original's layout (written by a connector or
an old script), one of our own (``accounts.db`` of earlier versions), none, a corrupt one and
one another program holds locked.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest

from speckle import SpeckleApiClient, SpeckleCache
from speckle.accounts_store import AccountNotFoundError, AccountStore, AccountStoreError, default_store_path
from speckle.cli.main import main
from speckle.errors import SpeckleInputError

TOKEN_A = "JWT eyJhbGciOiJIUzI1NiJ9.eyJfaWQiOiJhIn0.c2lnbmF0dXJl"
TOKEN_B = "JWT eyJhbGciOiJIUzI1NiJ9.eyJfaWQiOiJiIn0.c2lnbmF0dXJl"
#: The original's schema (PySpeckle ``Cache.create_database``), as the v1 connectors share it.
ORIGINAL_SCHEMA = [
    "CREATE TABLE Account ([AccountId] integer NOT NULL PRIMARY KEY AUTOINCREMENT,[ServerName] varchar, "
    "[RestApi] varchar, [Email] varchar, [Token] varchar, [IsDefault] integer, UNIQUE(RestApi,Email))",
    "CREATE TABLE CachedObject ([CombinedHash] varchar NOT NULL PRIMARY KEY,[RestApi] varchar, "
    "[DatabaseId] varchar, [Hash] varchar, [AddedOn] bigint, [Bytes] blob)",
    "CREATE TABLE CachedStream ([CombinedHash] varchar NOT NULL PRIMARY KEY,[RestApi] varchar, "
    "[StreamId] varchar, [AddedOn] bigint, [UpdatedOn] bigint, [Bytes] blob)",
    "CREATE TABLE SentObject ([RestApi] varchar, [DatabaseId] varchar, [Hash] varchar)",
]


def original_file(path: Path, rows: list[tuple[Any, ...]], mode: int = 0o644) -> Path:
    """A SpeckleCache.db as a connector leaves it: the original schema, ``rows`` in Account."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    with conn:
        for ddl in ORIGINAL_SCHEMA:
            conn.execute(ddl)
        conn.executemany(
            "INSERT INTO Account (ServerName, RestApi, Email, Token, IsDefault) VALUES (?, ?, ?, ?, ?)", rows
        )
    conn.close()
    path.chmod(mode)
    return path


def accounts_json(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["accounts", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# -- where the file is ----------------------------------------------------------------------------


def test_the_store_is_the_original_speckle_cache_file(settings_home: Path) -> None:
    assert default_store_path() == settings_home / "SpeckleCache.db"
    assert SpeckleCache().db_path == str(settings_home / "SpeckleCache.db")
    assert AccountStore().path == settings_home / "SpeckleCache.db"


def test_appdata_wins_like_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData"))
    assert default_store_path() == tmp_path / "AppData" / "SpeckleSettings" / "SpeckleCache.db"


# -- a file in the original's layout ----------------------------------------------------------------


def test_a_file_in_the_original_layout(settings_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = original_file(settings_home / "SpeckleCache.db", [
        ("Hestia", "https://hestia.speckle.works/api/v1", "Me@Example.com", TOKEN_A, 1),  # a connector's row
        ("Local", "127.0.0.1:3000/", "me@example.com", TOKEN_B, 0),  # an old script's row (bare local host)
        ("Broken", "https://x.example.com/api/v1", "me@example.com", "not a token", 0),
    ])
    accounts = AccountStore().list()
    assert [(a.server, a.email, a.default, a.server_name) for a in accounts] == [
        ("http://127.0.0.1:3000", "me@example.com", False, "Local"),  # a local bare host means http
        ("https://hestia.speckle.works", "me@example.com", True, "Hestia"),
    ]
    assert AccountStore().get_default().apitoken == TOKEN_A
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # narrowed: it holds tokens
    listed = accounts_json(capsys)
    assert [a["server"] for a in listed] == ["http://127.0.0.1:3000", "https://hestia.speckle.works"]
    assert all("apitoken" not in a for a in listed)
    # the original SpeckleCache reads its rows as it always did
    cache = SpeckleCache()
    assert cache.account_exists("hestia.speckle.works", "Me@Example.com")
    assert cache.get_account("https://hestia.speckle.works/", "me@example.com")[1:] == (
        "Hestia", "https://hestia.speckle.works/api/v1", "Me@Example.com", TOKEN_A, 1)
    assert len(cache.get_all_accounts()) == 3  # every row, as the original returned them


def test_accounts_we_save_are_rows_the_original_reads(settings_home: Path) -> None:
    original_file(settings_home / "SpeckleCache.db", [("Hestia", "https://hestia.speckle.works/api/v1",
                                                         "a@example.com", TOKEN_A, 1)])
    AccountStore().add("http://127.0.0.1:3000", "B@example.com", TOKEN_B, name="Bee", server_name="Local",
                       default=True)
    rows = SpeckleCache().get_all_accounts()
    assert [row[1:] for row in rows] == [
        ("Hestia", "https://hestia.speckle.works/api/v1", "a@example.com", TOKEN_A, 0),
        ("Local", "http://127.0.0.1:3000/api/v1", "b@example.com", TOKEN_B, 1),
    ]
    conn = sqlite3.connect(settings_home / "SpeckleCache.db")
    assert [r[1] for r in conn.execute("PRAGMA table_info(Account)")] == [
        "AccountId", "ServerName", "RestApi", "Email", "Token", "IsDefault"]  # the table is unchanged
    conn.close()
    assert AccountStore().get(None, "b@example.com").name == "Bee"


def test_speckle_cache_writes_what_login_and_from_account_use(
    speckle_server: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    email = f"cache-{uuid.uuid4().hex[:10]}@example.com"
    user = SpeckleApiClient(speckle_server.url).register(email=email, password="supersecretpassword",
                                                          company=None, name="Cache")
    caplog.set_level(logging.INFO, logger="speckle.compat.cache")
    cache = SpeckleCache()
    cache.create_database()
    cache.write_account(speckle_server.url, "Local", email, user.apitoken)
    cache.write_account(speckle_server.url, "Local", email, user.apitoken)  # exists: left alone
    assert capsys.readouterr().out == ""  # the original printed; this one logs
    assert "Account already exists in database." in caplog.text
    assert len(cache.get_all_accounts()) == 1
    client = SpeckleApiClient.from_account(email)
    assert client.me.email == email
    assert [a["email"] for a in accounts_json(capsys)] == [email]
    cache.delete_account(speckle_server.url, email)
    with pytest.raises(AccountNotFoundError):
        SpeckleApiClient.from_account(email)


def test_speckle_login_is_seen_by_speckle_cache(speckle_server: Any, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    email = f"login-{uuid.uuid4().hex[:10]}@example.com"
    SpeckleApiClient(speckle_server.url).register(email=email, password="supersecretpassword", company=None)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("supersecretpassword\n"))
    assert main(["login", "--host", speckle_server.url, "--email", email, "--password-stdin"]) == 0
    row = SpeckleCache().get_account(speckle_server.url, email)
    assert row[2] == f"{speckle_server.url}/api/v1" and row[3] == email and row[4].startswith("JWT ")
    assert row[5] == 1
    raw = (default_store_path()).read_bytes()
    assert b"supersecretpassword" not in raw


def test_no_password_can_be_saved(settings_home: Path) -> None:
    with pytest.raises(SpeckleInputError):
        SpeckleCache(create=True).write_account("speckle.example.com", "x", "me@example.com", "my password")
    with pytest.raises(SpeckleInputError):
        AccountStore().add("speckle.example.com", "me@example.com", "my password")
    assert SpeckleCache().get_all_accounts() == []


def test_the_original_test_cache_pattern(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cache = SpeckleCache("test.db")
    assert cache.try_connect() is None  # no file yet
    conn = cache.create_database()
    assert conn is not None
    conn.close()
    assert cache.create_database() is None  # "Tables already exist."
    assert stat.S_IMODE((tmp_path / "test.db").stat().st_mode) == 0o600
    cache.delete_all()
    with pytest.raises(SpeckleInputError):
        cache.delete_all("Account; DROP TABLE Account")


# -- a file of our own (earlier versions) ------------------------------------------------------


def test_our_old_accounts_db_is_migrated_once(tmp_path: Path, settings_home: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    old_dir = tmp_path / "xdg" / "speckle"
    old_dir.mkdir(parents=True)
    old = sqlite3.connect(old_dir / "accounts.db")
    with old:
        old.execute("CREATE TABLE accounts (server TEXT NOT NULL, email TEXT NOT NULL, name TEXT, "
                    "apitoken TEXT NOT NULL, is_default INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (server, email))")
        old.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?)", [
            ("https://a.example.com", "one@example.com", "One", TOKEN_A, 0),
            ("http://127.0.0.1:3000", "two@example.com", "Two", TOKEN_B, 1),
        ])
    old.close()
    caplog.set_level(logging.INFO, logger="speckle.accounts_store")
    accounts = AccountStore().list()
    assert [(a.server, a.email, a.name, a.default) for a in accounts] == [
        ("http://127.0.0.1:3000", "two@example.com", "Two", True),
        ("https://a.example.com", "one@example.com", "One", False),
    ]
    assert not (old_dir / "accounts.db").exists() and (old_dir / "accounts.db.migrated").exists()
    assert "moved 2 saved account(s)" in caplog.text
    assert SpeckleCache().account_exists("127.0.0.1:3000", "two@example.com")  # local: http
    assert SpeckleCache().account_exists("http://127.0.0.1:3000/api/v1", "two@example.com")
    assert not SpeckleCache().account_exists("https://127.0.0.1:3000", "two@example.com")
    # an account already in the shared file wins over the old copy
    assert AccountStore().get_default().email == "two@example.com"


# -- a missing file -------------------------------------------------------------------------------


def test_a_missing_file(settings_home: Path) -> None:
    path = settings_home / "SpeckleCache.db"
    assert AccountStore().list() == [] and AccountStore().get_default() is None
    cache = SpeckleCache()
    assert cache.account_exists("speckle.example.com", "me@example.com") is False
    assert cache.get_account("speckle.example.com", "me@example.com") is False
    with pytest.raises(AccountStoreError):
        cache.get_all_accounts()
    with pytest.raises(AccountNotFoundError):
        SpeckleApiClient.from_account()
    assert not path.exists()  # reading creates nothing
    AccountStore().add("speckle.example.com", "me@example.com", TOKEN_A)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cache.get_account("speckle.example.com", "me@example.com")[3] == "me@example.com"


# -- a corrupt file ---------------------------------------------------------------------------------


def test_a_corrupt_file_is_reported_and_left_alone(settings_home: Path) -> None:
    path = settings_home / "SpeckleCache.db"
    path.parent.mkdir(parents=True)
    garbage = b"this is not a SQLite database\x00" * 100
    path.write_bytes(garbage)
    with pytest.raises(AccountStoreError, match="left as it is"):
        AccountStore().list()
    with pytest.raises(AccountStoreError):
        AccountStore().add("speckle.example.com", "me@example.com", TOKEN_A)
    with pytest.raises(AccountStoreError):
        SpeckleCache().get_all_accounts()
    with pytest.raises(AccountStoreError):
        SpeckleApiClient.from_account()
    assert path.read_bytes() == garbage


# -- a locked file ----------------------------------------------------------------------------------


def test_a_locked_file_is_reported_not_waited_for_forever(settings_home: Path) -> None:
    AccountStore().add("speckle.example.com", "me@example.com", TOKEN_A)
    holder = sqlite3.connect(settings_home / "SpeckleCache.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # a connector in the middle of a write
    try:
        with pytest.raises(AccountStoreError, match="locked by another program"):
            AccountStore(settings_home / "SpeckleCache.db", timeout=0.2).add(
                "speckle.example.com", "other@example.com", TOKEN_B)
        with pytest.raises(AccountStoreError, match="locked"):
            AccountStore(settings_home / "SpeckleCache.db", timeout=0.2).list()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert [a.email for a in AccountStore().list()] == ["me@example.com"]  # nothing lost, usable again
