"""Saved accounts: one SQLite file shared with the original client and the v1 desktop connectors.

Each saved account holds the server, the user's email and the user's long-lived **apitoken** —
never a password. The single source of truth is the ``Account`` table of ``SpeckleCache.db``
in the ``SpeckleSettings`` folder, the file the original Python client's
:class:`~speckle.Cache.SpeckleCache` and the v1 desktop connectors (Rhino, Grasshopper,
Dynamo, Revit...) read and write:

* ``%APPDATA%\\SpeckleSettings\\SpeckleCache.db`` when ``APPDATA`` is set (Windows), else
  ``$XDG_CONFIG_HOME/SpeckleSettings/SpeckleCache.db``, else ``~/.config/SpeckleSettings/SpeckleCache.db``;
* ``$SPECKLE_CONFIG_DIR/SpeckleCache.db`` when ``SPECKLE_CONFIG_DIR`` is set (keeps every file
  of this library in one folder, e.g. for tests or CI).

An account saved by ``speckle login`` is a row the connectors and old scripts see, and a row
they saved is an account ``speckle accounts`` and
:meth:`SpeckleApiClient.from_account() <speckle.client.SpeckleApiClient.from_account>` use.
Rows this library writes carry ``RestApi`` = ``<server>/api/v1`` (as the connectors write
it) and ``ServerName`` = the server's name; rows are matched whatever form their ``RestApi``
takes (``host``, ``https://host/``, ``https://host/api/v1``). The user's display name, which
the ``Account`` table has no column for, lives in a table of its own (``SpeckleAccountName``)
so the original's ``SELECT * FROM Account`` rows keep their six columns.

The file is created readable by its owner only (``0600``) and narrowed to ``0600`` when it is
found wider. A file this library cannot read (not SQLite, or locked by another program for
longer than ``timeout`` seconds) raises :class:`AccountStoreError` and is never overwritten.

Accounts saved by earlier versions of this library in ``accounts.db`` (in
:func:`speckle.config.config_dir`) are copied into the shared file the first time the default
store is opened; the old file is then renamed ``accounts.db.migrated``.

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
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from speckle.base.client import check_token, parse_host
from speckle.config import config_dir
from speckle.errors import SpeckleError, SpeckleInputError

__all__ = [
    "SavedAccount",
    "AccountStore",
    "AccountNotFoundError",
    "AccountStoreError",
    "normalize_server",
    "resolve_account",
    "default_store_path",
    "settings_dir",
    "STORE_FILENAME",
    "SETTINGS_FOLDER",
    "LEGACY_STORE_FILENAME",
    "HOST_ENV",
    "TOKEN_ENV",
]

logger = logging.getLogger(__name__)

#: Name of the shared store's file (the original ``SpeckleCache``'s).
STORE_FILENAME = "SpeckleCache.db"
#: The folder the original client and the v1 connectors keep their settings in.
SETTINGS_FOLDER = "SpeckleSettings"
#: Name of the store of earlier versions of this library, migrated on first use.
LEGACY_STORE_FILENAME = "accounts.db"
#: Environment variables of :meth:`SpeckleApiClient.from_env() <speckle.client.SpeckleApiClient.from_env>`.
HOST_ENV = "SPECKLE_HOST"
TOKEN_ENV = "SPECKLE_TOKEN"
#: The ``Account`` table as the original client and the v1 connectors create it.
ACCOUNT_TABLE = (
    "CREATE TABLE IF NOT EXISTS Account ([AccountId] integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
    "[ServerName] varchar, [RestApi] varchar, [Email] varchar, [Token] varchar, [IsDefault] integer, "
    "UNIQUE(RestApi,Email))"
)
_NAME_TABLE = (
    "CREATE TABLE IF NOT EXISTS SpeckleAccountName ([RestApi] varchar NOT NULL, [Email] varchar NOT NULL, "
    "[Name] varchar, PRIMARY KEY (RestApi, Email))"
)
_MIGRATED: set[Path] = set()


def settings_dir() -> Path:
    """The folder of the shared account store (not created here).

    ``$SPECKLE_CONFIG_DIR`` if set; else ``SpeckleSettings`` in ``$APPDATA``, else in
    ``$XDG_CONFIG_HOME``, else in ``~/.config`` (the original ``SpeckleCache``'s choice).

    Returns:
        Path -- the folder
    """
    override = os.environ.get("SPECKLE_CONFIG_DIR")
    if override:
        return Path(override)
    base = os.environ.get("APPDATA") or os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / SETTINGS_FOLDER


def default_store_path() -> Path:
    """The shared account store: ``SpeckleCache.db`` in :func:`settings_dir`.

    Returns:
        Path -- the file (it may not exist yet)
    """
    return settings_dir() / STORE_FILENAME


class AccountStoreError(SpeckleError):
    """The account store cannot be used: not a SQLite file, locked, or not writable."""


class AccountNotFoundError(SpeckleError, LookupError):
    """No saved account matches (or several do, when the server was not given)."""


def normalize_server(server: str) -> str:
    """The canonical form of a server address, as saved accounts store it.

    ``https://speckle.example.com``, ``speckle.example.com`` and
    ``https://speckle.example.com/api/v1/`` all give ``https://speckle.example.com``; a
    scheme-less address means https, except on this machine (``localhost``, ``127.x.x.x``,
    ``[::1]``), where it means http: the original ``SpeckleCache`` saved bare ``host:port``
    addresses, and local v1 servers do not speak TLS.

    Arguments:
        server {str} -- a host name, ``host:port`` or URL

    Returns:
        str -- ``scheme://host[:port][/prefix]``
    """
    use_ssl = True
    if isinstance(server, str) and "://" not in server:
        try:
            host = (urlsplit("//" + server.strip()).hostname or "").lower()
        except ValueError:  # parse_host reports it
            host = ""
        use_ssl = not (host == "localhost" or host.startswith("127.") or host == "::1")
    scheme, netloc, prefix = parse_host(server, use_ssl=use_ssl)
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
        server_name {str|None} -- the server's name (``ServerName``), for display
    """

    server: str
    email: str
    name: str | None
    apitoken: str
    default: bool = False
    server_name: str | None = None

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
    """The saved accounts: the ``Account`` table of the shared ``SpeckleCache.db``.

    Keyword Arguments:
        path {str|Path} -- the SQLite file (default: :func:`default_store_path`; only the
            default store migrates the ``accounts.db`` of earlier versions)
        timeout {float} -- seconds to wait for a file another program holds locked (default: {5.0})
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, timeout: float = 5.0) -> None:
        self._is_default_path = path is None
        self.path = Path(path) if path is not None else default_store_path()
        self.timeout = timeout

    # -- storage --------------------------------------------------------------------------------

    def _create_file(self) -> None:
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
        _narrow(self.path)

    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection | None]:
        """A connection in a transaction; None for a read of a file that does not exist."""
        if self._is_default_path and self.path not in _MIGRATED:
            _MIGRATED.add(self.path)
            self._migrate_legacy()
        if not write and not self.path.exists():
            yield None
            return
        if write:
            self._create_file()
        else:
            _narrow(self.path)
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout)
        except sqlite3.Error as exc:
            raise AccountStoreError(f"cannot open the account store {self.path}: {exc}") from exc
        try:
            with conn:
                if write:
                    conn.execute(ACCOUNT_TABLE)
                    conn.execute(_NAME_TABLE)
                yield conn
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise AccountStoreError(
                    f"the account store {self.path} is locked by another program (a v1 connector?) "
                    f"for more than {self.timeout:g}s; try again when it is done"
                ) from exc
            raise AccountStoreError(f"cannot use the account store {self.path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise AccountStoreError(
                f"cannot use the account store {self.path}: {exc} (the file is left as it is; "
                "move it away to start a new store)"
            ) from exc
        finally:
            conn.close()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._connect(write=True) as conn:
            if conn is None:  # a write creates the file first: cannot happen
                raise AccountStoreError(f"cannot create the account store {self.path}")
            yield conn

    def _rows(self, conn: sqlite3.Connection | None) -> list[tuple[int, SavedAccount]]:
        """``(AccountId, account)`` of every usable row, in table order."""
        if conn is None:
            return []
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='Account'").fetchone():
            return []
        names: dict[tuple[str, str], str | None] = {}
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='SpeckleAccountName'").fetchone():
            for rest_api, email, name in conn.execute("SELECT RestApi, Email, Name FROM SpeckleAccountName"):
                names[(str(rest_api), str(email).lower())] = name
        out: list[tuple[int, SavedAccount]] = []
        query = "SELECT AccountId, ServerName, RestApi, Email, Token, IsDefault FROM Account ORDER BY AccountId"
        for account_id, server_name, rest_api, email, token, is_default in conn.execute(query):
            try:
                server = normalize_server(str(rest_api))
                address = _check_email(email)
                apitoken = check_token(token)
            except SpeckleError as exc:
                logger.warning("account store %s: row %s skipped (%s)", self.path, account_id, exc.message)
                continue
            account = SavedAccount(
                server=server,
                email=address,
                name=names.get((str(rest_api), address)),
                apitoken=apitoken,
                default=bool(is_default),
                server_name=server_name,
            )
            out.append((account_id, account))
        return out

    def entries(self) -> list[tuple[int, SavedAccount]]:
        """Every usable row of the ``Account`` table with its ``AccountId``, in table order

        Returns:
            list -- ``(AccountId, SavedAccount)`` pairs (an account written by several programs
            may appear more than once)
        """
        with self._connect(write=False) as conn:
            return self._rows(conn)

    def _ids_of(self, conn: sqlite3.Connection, server: str, email: str) -> list[int]:
        return [row_id for row_id, account in self._rows(conn) if account.server == server and account.email == email]

    def _migrate_legacy(self) -> None:
        """Copy the accounts of ``accounts.db`` (earlier versions) into the shared store, once."""
        try:
            legacy = config_dir() / LEGACY_STORE_FILENAME
        except OSError:
            return
        if not legacy.is_file() or legacy.resolve() == self.path.resolve():
            return
        try:
            conn = sqlite3.connect(f"file:{legacy}?mode=ro", uri=True, timeout=self.timeout)
            try:
                rows = conn.execute("SELECT server, email, name, apitoken, is_default FROM accounts").fetchall()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            logger.warning("could not migrate the old account store %s: %s", legacy, exc)
            return
        known = {(a.server, a.email) for a in self.list()}
        has_default = self.get_default() is not None
        for server, email, name, apitoken, is_default in rows:
            try:
                if (normalize_server(server), _check_email(email)) in known:
                    continue
                self.add(server, email, apitoken, name=name, default=bool(is_default) and not has_default)
            except SpeckleError as exc:
                logger.warning("old account %s on %s not migrated: %s", email, server, exc.message)
        target = legacy.with_name(LEGACY_STORE_FILENAME + ".migrated")
        legacy.rename(target)
        logger.info(
            "moved %d saved account(s) from %s to %s (old file kept as %s)", len(rows), legacy, self.path, target
        )

    # -- queries --------------------------------------------------------------------------------

    def add(
        self,
        server: str,
        email: str,
        apitoken: str,
        name: str | None = None,
        *,
        default: bool = False,
        server_name: str | None = None,
    ) -> SavedAccount:
        """Save an account, replacing the token of a saved one with the same server and email

        The first account saved becomes the default.

        Arguments:
            server {str} -- the server (host name or URL)
            email {str} -- the user's email
            apitoken {str} -- the user's API token (``JWT ...``; never a password)

        Keyword Arguments:
            name {str} -- the user's name (default: {None})
            default {bool} -- make this the default account (default: {False})
            server_name {str} -- the server's name, the ``ServerName`` the connectors show
                (default: {None}: kept, or the host name for a new row)

        Returns:
            SavedAccount -- the saved account
        """
        server = normalize_server(server)
        email = _check_email(email)
        token = check_token(apitoken)
        if name is not None and not isinstance(name, str):
            raise SpeckleInputError(f"name must be a string, got {type(name).__name__}")
        with self._writing() as conn:
            rows = self._rows(conn)
            mine = [(row_id, a) for row_id, a in rows if a.server == server and a.email == email]
            has_default = any(a.default for _, a in rows)
            was_default = any(a.default for _, a in mine)
            make_default = default or not has_default or was_default
            if make_default:
                conn.execute("UPDATE Account SET IsDefault = 0")
            rest_api = f"{server}/api/v1"
            shown_name = server_name or (mine[0][1].server_name if mine else None) or parse_host(server)[1]
            if mine:
                ids = [row_id for row_id, _ in mine]
                conn.execute(
                    f"UPDATE Account SET Token = ?, ServerName = ?, IsDefault = ? WHERE AccountId IN "
                    f"({','.join('?' * len(ids))})",
                    (token, shown_name, int(make_default), *ids),
                )
                rest_api = conn.execute("SELECT RestApi FROM Account WHERE AccountId = ?", (ids[0],)).fetchone()[0]
            else:
                conn.execute(
                    "INSERT INTO Account (ServerName, RestApi, Email, Token, IsDefault) VALUES (?, ?, ?, ?, ?)",
                    (shown_name, rest_api, email, token, int(make_default)),
                )
            conn.execute(
                "INSERT OR REPLACE INTO SpeckleAccountName (RestApi, Email, Name) VALUES (?, ?, ?)",
                (rest_api, email, name),
            )
        return SavedAccount(server, email, name, token, make_default, shown_name)

    def list(self) -> list[SavedAccount]:
        """Every saved account, by server then email

        Rows that cannot be used (no valid token, no server address) are skipped with a
        warning in the log; rows of the same account written by several programs appear once.

        Returns:
            list -- the saved accounts
        """
        with self._connect(write=False) as conn:
            rows = self._rows(conn)
        seen: dict[tuple[str, str], SavedAccount] = {}
        for _, account in rows:
            key = (account.server, account.email)
            if key not in seen or (account.default and not seen[key].default):
                seen[key] = account
        return sorted(seen.values(), key=lambda a: (a.server, a.email))
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
            SavedAccount|None -- the default account, or None when no account is marked default
        """
        return next((account for account in self.list() if account.default), None)

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
        with self._writing() as conn:
            ids = self._ids_of(conn, account.server, account.email)
            conn.execute("UPDATE Account SET IsDefault = 0")
            conn.executemany("UPDATE Account SET IsDefault = 1 WHERE AccountId = ?", [(i,) for i in ids])
        return SavedAccount(account.server, account.email, account.name, account.apitoken, True, account.server_name)

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
        with self._writing() as conn:
            ids = self._ids_of(conn, account.server, account.email)
            conn.executemany("DELETE FROM Account WHERE AccountId = ?", [(i,) for i in ids])
            rest = self._rows(conn)
            if account.default and rest and not any(a.default for _, a in rest):
                first = min(rest, key=lambda item: (item[1].server, item[1].email))
                conn.execute("UPDATE Account SET IsDefault = 1 WHERE AccountId = ?", (first[0],))
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


def _narrow(path: Path) -> None:
    """Make ``path`` readable by its owner only (a file other programs made may be wider)."""
    try:
        if path.exists() and path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError as exc:  # not ours: leave it, but say so
        logger.warning("cannot make %s private (0600): %s", path, exc)


def _check_email(email: Any) -> str:
    if not isinstance(email, str) or "@" not in email:
        raise SpeckleInputError(f"email must be an address such as 'me@example.com', got {email!r}")
    return email.strip().lower()
