"""``SpeckleCache``: the original client's account cache, on the shared account store.

The original ``speckle.Cache.SpeckleCache`` read and wrote the ``Account`` table of
``SpeckleCache.db`` in the ``SpeckleSettings`` folder, the file the v1 desktop connectors
use. This one keeps its methods, arguments and return values (rows as tuples
``(AccountId, ServerName, RestApi, Email, Token, IsDefault)``) on the same file as
:class:`speckle.accounts_store.AccountStore`, so old scripts, the connectors, ``speckle login``
and :meth:`SpeckleApiClient.from_account() <speckle.client.SpeckleApiClient.from_account>`
all see the same accounts.

Differences from the original, all on purpose:

* messages go to :mod:`logging` (logger ``speckle.compat.cache``), never to stdout;
* servers match whatever form their address takes (``host``, ``https://host``,
  ``https://host/api/v1``); rows are written as ``<server>/api/v1``;
* ``write_account`` refuses anything that is not an API token (``JWT ...``), so no password
  can end up in the file; the file is kept readable by its owner only (``0600``);
* ``delete_all`` only empties the four tables of the original schema;
* ``SpeckleCache(create=True)`` creates the file (the original crashed on it).

Example::

    from speckle import SpeckleCache

    cache = SpeckleCache()
    if not cache.account_exists('https://speckle.example.com', 'me@example.com'):
        cache.write_account('https://speckle.example.com', 'My Server', 'me@example.com', token)
    for account_id, server_name, rest_api, email, token, is_default in cache.get_all_accounts():
        ...
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

from speckle.accounts_store import ACCOUNT_TABLE, AccountStore, AccountStoreError, default_store_path
from speckle.errors import SpeckleError, SpeckleInputError

__all__ = ["SpeckleCache", "CACHE_TABLES"]

logger = logging.getLogger(__name__)

#: The tables of the original schema (``create_database``), in the order it created them.
CACHE_TABLES = {
    "Account": ACCOUNT_TABLE,
    "CachedObject": (
        "CREATE TABLE IF NOT EXISTS CachedObject ([CombinedHash] varchar NOT NULL PRIMARY KEY, [RestApi] varchar, "
        "[DatabaseId] varchar, [Hash] varchar, [AddedOn] bigint, [Bytes] blob)"
    ),
    "CachedStream": (
        "CREATE TABLE IF NOT EXISTS CachedStream ([CombinedHash] varchar NOT NULL PRIMARY KEY, [RestApi] varchar, "
        "[StreamId] varchar, [AddedOn] bigint, [UpdatedOn] bigint, [Bytes] blob)"
    ),
    "SentObject": "CREATE TABLE IF NOT EXISTS SentObject ([RestApi] varchar, [DatabaseId] varchar, [Hash] varchar)",
}
_ROW = "SELECT AccountId, ServerName, RestApi, Email, Token, IsDefault FROM Account"


class SpeckleCache:
    """Class for speckle cache (user accounts of the shared ``SpeckleCache.db``).

    Keyword Arguments:
        filepath {str} -- Optional database filepath (default: {None}: the shared store,
            :func:`speckle.accounts_store.default_store_path`)
        create {bool} -- create the database and its tables now (default: {False})
    """

    initialized = False

    def __init__(self, filepath: str | os.PathLike[str] | None = None, create: bool = False) -> None:
        path = Path(filepath) if filepath is not None else default_store_path()
        if filepath is None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.db_path = str(path)
        self.db_uri = f"file:{pathname2url(os.path.abspath(self.db_path))}?mode=rw"
        self._store = AccountStore(path) if filepath is not None else AccountStore()
        self.log(self.db_path)
        if create:
            self.create_database()

    def log(self, msg: Any) -> None:
        """Log message (to the ``speckle.compat.cache`` logger; the original printed it)

        Arguments:
            msg {str} -- Message to log
        """
        logger.info("SpeckleCache: %s", msg)

    def create_database(self) -> sqlite3.Connection | None:
        """Create a database

        Creates the file (owner-only) with the original's tables at ``self.db_path``.

        Returns:
            Connection -- a connection to the new database, or None when its tables existed
        """
        path = Path(self.db_path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
            conn = sqlite3.connect(self.db_path, timeout=self._store.timeout)
        except (OSError, sqlite3.Error) as exc:
            self.log(f"Could not create database: {exc}")
            return None
        try:
            existed = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='Account'").fetchone()
            with conn:
                for ddl in CACHE_TABLES.values():
                    conn.execute(ddl)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise AccountStoreError(f"cannot use the account store {self.db_path}: {exc}") from exc
        if existed:
            self.log("Tables already exist.")
            conn.close()
            return None
        self.log("Created database.")
        return conn

    def try_connect(self) -> sqlite3.Connection | None:
        """Tries to connect to the database

        Returns:
            Connection -- Connection to database or None when the file does not exist
        """
        try:
            return sqlite3.connect(self.db_uri, uri=True, timeout=self._store.timeout)
        except sqlite3.OperationalError:
            self.log("Database does not exist.")
            return None

    def _matching_rows(self, host: str, email: str) -> list[tuple[Any, ...]]:
        if not Path(self.db_path).exists():
            return []
        try:
            wanted = self._store.find(email=email.strip(), server=host.strip().strip("/").strip("\\"))
        except SpeckleInputError:
            return []
        if not wanted:
            return []
        ids = {account_id for account_id, account in self._store.entries() if account in wanted}
        return [row for row in self._all_rows() if row[0] in ids]

    def _all_rows(self) -> list[tuple[Any, ...]]:
        conn = self.try_connect()
        if conn is None:
            return []
        try:
            with conn:
                return conn.execute(_ROW).fetchall()
        except sqlite3.DatabaseError as exc:
            raise AccountStoreError(f"cannot use the account store {self.db_path}: {exc}") from exc
        finally:
            conn.close()

    def account_exists(self, host: str, email: str) -> bool:
        """Checks if user profile exists

        Arguments:
            host {str} -- Speckle server
            email {str} -- User email address

        Returns:
            bool -- True if account is in database, otherwise False
        """
        if not Path(self.db_path).exists():
            self.log("Failed to access database.")
            return False
        return bool(self._matching_rows(host, email))

    def write_account(self, host: str, host_name: str, email: str, apitoken: str) -> None:
        """Write a user profile to database

        An account that exists already is left as it is (as in the original).

        Arguments:
            host {str} -- Speckle server
            host_name {str} -- Name of Speckle server
            email {str} -- User email address
            apitoken {str} -- API token for server authorization (``JWT ...``; never a password)

        Raises:
            SpeckleInputError -- ``apitoken`` is not an API token, or the host or email is malformed
        """
        host = host.strip("/").strip("\\")
        email = email.strip()
        if self._matching_rows(host, email):
            self.log("Account already exists in database.")
            return
        self._store.add(host, email, apitoken, server_name=host_name or None)

    def delete_account(self, host: str, email: str) -> None:
        """Deletes user profile from database

        Arguments:
            host {str} -- Speckle server
            email {str} -- User email address
        """
        host = host.strip("/").strip("\\")
        try:
            self._store.remove(host, email.strip())
        except SpeckleError as exc:
            self.log(f"No account deleted: {exc.message}")

    def delete_all(self, table: str = "CachedObject") -> None:
        """Deletes all rows of a table of the original schema

        Keyword Arguments:
            table {str} -- ``Account``, ``CachedObject``, ``CachedStream`` or ``SentObject``
                (default: {"CachedObject"})

        Raises:
            SpeckleInputError -- ``table`` is not a table of the original schema
            AccountStoreError -- the database does not exist or cannot be used
        """
        if table not in CACHE_TABLES:
            raise SpeckleInputError(f"table must be one of {sorted(CACHE_TABLES)}, got {table!r}")
        conn = self.try_connect()
        if conn is None:
            raise AccountStoreError(f"Failed to connect to database {self.db_path}.")
        try:
            with conn:
                conn.execute(f"DELETE FROM {table}")
        except sqlite3.OperationalError as exc:
            self.log(f"Failed to clear table {table}: {exc}")
        finally:
            conn.close()

    def get_all_accounts(self) -> list[tuple[Any, ...]]:
        """Get all accounts in database

        Returns:
            list -- tuples ``(AccountId, ServerName, RestApi, Email, Token, IsDefault)``

        Raises:
            AccountStoreError -- the database does not exist or cannot be used
        """
        if not Path(self.db_path).exists():
            raise AccountStoreError(f"Failed to connect to database {self.db_path}.")
        return self._all_rows()

    def get_account(self, host: str, email: str) -> tuple[Any, ...] | bool | None:
        """Gets user profile from database

        Arguments:
            host {str} -- Speckle server
            email {str} -- User email address

        Returns:
            tuple -- ``(AccountId, ServerName, RestApi, Email, Token, IsDefault)``, None when
            there is no such account, False when the database does not exist
        """
        if not Path(self.db_path).exists():
            self.log("Failed to access database.")
            return False
        rows = self._matching_rows(host, email)
        return rows[0] if rows else None

    def __repr__(self) -> str:
        return f"<SpeckleCache {self.db_path}>"
