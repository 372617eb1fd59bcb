"""Saved accounts: a local SQLite store of server logins, like the original client's ``SpeckleCache``.

Each saved account holds the server URL, the user's email and name and the user's long-lived
**apitoken** — never a password. The store is a SQLite file, ``accounts.db`` in
:func:`speckle.config.config_dir` (``$SPECKLE_CONFIG_DIR``, else
``$XDG_CONFIG_HOME/speckle``, else ``~/.config/speckle``), created readable by its owner only
(``0600``). One account can be marked as the default: ``speckle`` commands and
:meth:`SpeckleApiClient.from_account() <speckle.client.SpeckleApiClient.from_account>` use it
when nothing else is named.

Example::

    from speckle import SpeckleApiClient
    from speckle.accounts_store import AccountStore

    client = SpeckleApiClient('http://127.0.0.1:3000')
    user = client.login('me@example.com', 'my password')
    store = AccountStore()
    store.add(client.server_url, user.email, user.apitoken, name=user.name, default=True)

    # later, in another script: no secret in the code
    client = SpeckleApiClient.from_account()
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from speckle.base.client import check_token, parse_host
from speckle.config import config_dir
from speckle.errors import SpeckleError, SpeckleInputError

__all__ = [
    "SavedAccount",
    "AccountStore",
    "AccountNotFoundError",
    "normalize_server",
    "resolve_account",
    "STORE_FILENAME",
    "HOST_ENV",
    "TOKEN_ENV",
]

#: Name of the store's file inside :func:`speckle.config.config_dir`.
STORE_FILENAME = "accounts.db"
#: Environment variables of :meth:`SpeckleApiClient.from_env() <speckle.client.SpeckleApiClient.from_env>`.
HOST_ENV = "SPECKLE_HOST"
TOKEN_ENV = "SPECKLE_TOKEN"
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    server     TEXT NOT NULL,
    email      TEXT NOT NULL,
    name       TEXT,
    apitoken   TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (server, email)
)
"""


class AccountNotFoundError(SpeckleError, LookupError):
    """No saved account matches (or several do, when the server was not given)."""


def normalize_server(server: str) -> str:
    """The canonical form of a server address, as saved accounts store it.

    ``https://speckle.example.com``, ``speckle.example.com`` and
    ``https://speckle.example.com/api/v1/`` all give ``https://speckle.example.com``; a
    scheme-less address means https.

    Arguments:
        server {str} -- a host name, ``host:port`` or URL

    Returns:
        str -- ``scheme://host[:port][/prefix]``
    """
    scheme, netloc, prefix = parse_host(server, use_ssl=True)
    return f"{scheme}://{netloc.lower()}{prefix}"


@dataclass(frozen=True)
class SavedAccount:
    """One saved login.

    Attributes:
        server {str} -- the server URL (``https://speckle.example.com``)
        email {str} -- the user's email, lower-cased as v1 servers store it
        name {str|None} -- the user's name, for display
        apitoken {str} -- the user's long-lived API token (``JWT ...``)
        default {bool} -- whether this is the default account
    """

    server: str
    email: str
    name: str | None
    apitoken: str
    default: bool = False

    def public_dict(self) -> dict[str, Any]:
        """The account without its token, for display and ``--json`` output.

        Returns:
            dict -- ``server``, ``email``, ``name`` and ``default``
        """
        data = asdict(self)
        del data["apitoken"]
        return data

    def __repr__(self) -> str:  # never show the token
        flag = " default" if self.default else ""
        return f"<SavedAccount {self.email} on {self.server}{flag}>"


class AccountStore:
    """The saved accounts, in a SQLite file readable by its owner only.

    Keyword Arguments:
        path {str|Path} -- the SQLite file (default: ``accounts.db`` in
            :func:`speckle.config.config_dir`)
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else config_dir() / STORE_FILENAME

    # -- storage --------------------------------------------------------------------------------

    def _create_file(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
        # the umask cannot widen 0600, but a file made by someone else may be wider
        os.chmod(self.path, 0o600)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self._create_file()
        conn = sqlite3.connect(self.path)
        try:
            with conn:
                if conn.execute("PRAGMA user_version").fetchone()[0] < _SCHEMA_VERSION:
                    conn.execute(_SCHEMA)
                    conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
                yield conn
        except sqlite3.DatabaseError as exc:
            raise SpeckleError(f"cannot use the account store {self.path}: {exc}") from exc
        finally:
            conn.close()

    @staticmethod
    def _row(row: tuple[Any, ...]) -> SavedAccount:
        server, email, name, apitoken, is_default = row
        return SavedAccount(server=server, email=email, name=name, apitoken=apitoken, default=bool(is_default))

    # -- queries --------------------------------------------------------------------------------

    def add(
        self,
        server: str,
        email: str,
        apitoken: str,
        name: str | None = None,
        *,
        default: bool = False,
    ) -> SavedAccount:
        """Save an account, replacing a saved one with the same server and email

        The first account saved becomes the default.

        Arguments:
            server {str} -- the server (host name or URL)
            email {str} -- the user's email
            apitoken {str} -- the user's API token (``JWT ...``; never a password)

        Keyword Arguments:
            name {str} -- the user's name (default: {None})
            default {bool} -- make this the default account (default: {False})

        Returns:
            SavedAccount -- the saved account
        """
        server = normalize_server(server)
        email = _check_email(email)
        token = check_token(apitoken)
        if name is not None and not isinstance(name, str):
            raise SpeckleInputError(f"name must be a string, got {type(name).__name__}")
        with self._connect() as conn:
            has_default = conn.execute("SELECT 1 FROM accounts WHERE is_default = 1").fetchone()
            was_default = conn.execute(
                "SELECT is_default FROM accounts WHERE server = ? AND email = ?", (server, email)
            ).fetchone()
            make_default = default or not has_default or bool(was_default and was_default[0])
            if make_default:
                conn.execute("UPDATE accounts SET is_default = 0")
            conn.execute(
                "INSERT OR REPLACE INTO accounts (server, email, name, apitoken, is_default) VALUES (?, ?, ?, ?, ?)",
                (server, email, name, token, int(make_default)),
            )
        return SavedAccount(server=server, email=email, name=name, apitoken=token, default=make_default)

    def list(self) -> list[SavedAccount]:
        """Every saved account, by server then email

        Returns:
            list -- the saved accounts
        """
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT server, email, name, apitoken, is_default FROM accounts ORDER BY server, email"
            ).fetchall()
        return [self._row(row) for row in rows]

    def find(self, email: str | None = None, server: str | None = None) -> list[SavedAccount]:
        """The saved accounts with this email and/or on this server

        Keyword Arguments:
            email {str} -- the user's email (default: {None}: any)
            server {str} -- the server (default: {None}: any)

        Returns:
            list -- the matching accounts
        """
        wanted_email = _check_email(email) if email is not None else None
        wanted_server = normalize_server(server) if server is not None else None
        return [
            account
            for account in self.list()
            if (wanted_email is None or account.email == wanted_email)
            and (wanted_server is None or account.server == wanted_server)
        ]

    def get(self, server: str | None, email: str) -> SavedAccount:
        """The saved account of this email on this server

        Arguments:
            server {str|None} -- the server; None when the email is saved for one server only
            email {str} -- the user's email

        Returns:
            SavedAccount -- the account

        Raises:
            AccountNotFoundError -- no such account, or several servers and none given
        """
        found = self.find(email=email, server=server)
        if len(found) == 1:
            return found[0]
        where = f" on {normalize_server(server)}" if server is not None else ""
        if not found:
            raise AccountNotFoundError(f"no saved account for {email}{where}; log in first (speckle login)")
        servers = ", ".join(account.server for account in found)
        raise AccountNotFoundError(f"{email} is saved for several servers ({servers}); name the server")

    def get_default(self) -> SavedAccount | None:
        """The default account

        Returns:
            SavedAccount|None -- the default account, or None when no account is saved
        """
        with self._connect() as conn:
            row = conn.execute(
                "SELECT server, email, name, apitoken, is_default FROM accounts WHERE is_default = 1"
            ).fetchone()
        return self._row(row) if row else None

    def set_default(self, server: str | None, email: str) -> SavedAccount:
        """Make a saved account the default one

        Arguments:
            server {str|None} -- the server; None when the email is saved for one server only
            email {str} -- the user's email

        Returns:
            SavedAccount -- the new default account

        Raises:
            AccountNotFoundError -- no such account
        """
        account = self.get(server, email)
        with self._connect() as conn:
            conn.execute("UPDATE accounts SET is_default = 0")
            conn.execute(
                "UPDATE accounts SET is_default = 1 WHERE server = ? AND email = ?", (account.server, account.email)
            )
        return SavedAccount(account.server, account.email, account.name, account.apitoken, True)

    def remove(self, server: str | None, email: str) -> SavedAccount:
        """Forget a saved account

        When it was the default, the first remaining account (by server and email) becomes
        the default.

        Arguments:
            server {str|None} -- the server; None when the email is saved for one server only
            email {str} -- the user's email

        Returns:
            SavedAccount -- the removed account

        Raises:
            AccountNotFoundError -- no such account
        """
        account = self.get(server, email)
        with self._connect() as conn:
            conn.execute("DELETE FROM accounts WHERE server = ? AND email = ?", (account.server, account.email))
            if account.default:
                conn.execute(
                    "UPDATE accounts SET is_default = 1 WHERE rowid = "
                    "(SELECT rowid FROM accounts ORDER BY server, email LIMIT 1)"
                )
        return account

    def __repr__(self) -> str:
        return f"<AccountStore {self.path}>"


def resolve_account(
    account: SavedAccount | str | None = None,
    server: str | None = None,
    store: AccountStore | None = None,
) -> SavedAccount:
    """Pick a saved account: the one given, the one of an email, or the default one

    Keyword Arguments:
        account {SavedAccount|str|None} -- an account, an email, or None (default: {None})
        server {str} -- the server; with no ``account``, the default account if it is on this
            server, else the only account saved for it (default: {None})
        store {AccountStore} -- the store to look in (default: {None}: the user's store)

    Returns:
        SavedAccount -- the account

    Raises:
        AccountNotFoundError -- nothing matches, or the choice is ambiguous
    """
    if isinstance(account, SavedAccount):
        return account
    store = store if store is not None else AccountStore()
    if account is not None:
        return store.get(server, account)
    default = store.get_default()
    if server is None:
        if default is None:
            raise AccountNotFoundError("no saved account; log in first (speckle login)")
        return default
    on_server = store.find(server=server)
    if default is not None and default in on_server:
        return default
    if len(on_server) == 1:
        return on_server[0]
    if not on_server:
        raise AccountNotFoundError(f"no saved account on {normalize_server(server)}; log in first (speckle login)")
    raise AccountNotFoundError(f"several accounts are saved on {normalize_server(server)}; name one by email")


def _check_email(email: Any) -> str:
    if not isinstance(email, str) or "@" not in email:
        raise SpeckleInputError(f"email must be an address such as 'me@example.com', got {email!r}")
    return email.strip().lower()
