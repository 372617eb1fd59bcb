"""``speckle login``, ``logout``, ``accounts`` and ``whoami``: saved accounts on the command line."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from speckle.accounts_store import HOST_ENV, AccountStore, SavedAccount, resolve_account
from speckle.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    account_server,
    add_command,
    connect,
    emit,
    print_record,
    print_table,
    server_address,
)
from speckle.client import SpeckleApiClient
from speckle.errors import SpeckleError
from speckle.models.resources import User

#: Profile fields never printed.
SECRET_FIELDS = ("apitoken", "token", "password")


def register(subparsers: Any) -> None:
    """Add ``login``, ``logout``, ``accounts`` and ``whoami``."""
    login_parser = add_command(
        subparsers, "login", "log in to a server and save the account",
        description=(
            "Log in to a server and save the account (server, email, name and API token; never the\n"
            "password) as the default one. The password is asked without echo, or read from stdin\n"
            "with --password-stdin; --token logs in with an API token instead."
        ),
        func=login,
    )
    login_parser.add_argument("--email", help="the account's email (asked when missing)")
    login_parser.add_argument("--password-stdin", action="store_true",
                              help="read the password from the first line of stdin")
    login_parser.add_argument("--register", action="store_true",
                              help="create the account first (servers with open registration)")
    login_parser.add_argument("--name", help="with --register: the user's name")
    login_parser.add_argument("--no-default", action="store_true",
                              help="keep the current default account")

    logout_parser = add_command(
        subparsers, "logout", "forget a saved account (the default one unless --account/--host)",
        description="Forget a saved account. v1 servers cannot revoke tokens: the token stays valid.",
        func=logout,
    )
    logout_parser.add_argument("--all", action="store_true", help="forget every saved account")

    accounts_parser = add_command(subparsers, "accounts", "list saved accounts, or pick the default",
                                  func=list_accounts)
    actions = accounts_parser.add_subparsers(dest="accounts_command", metavar="SUBCOMMAND")
    add_command(actions, "list", "list the saved accounts (the default)", func=list_accounts)
    default_parser = add_command(actions, "default", "make a saved account the default one",
                                 func=set_default)
    default_parser.add_argument("email", help="the account's email (add --host when saved for several servers)")

    add_command(subparsers, "whoami", "show the logged-in user", func=whoami)


def _read_password(args: argparse.Namespace, confirm: bool = False) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if confirm and getpass.getpass("Password again: ") != password:
            raise CommandError("the passwords differ", EXIT_USAGE)
    if not password:
        raise CommandError("no password given", EXIT_USAGE)
    return password


def _display_name(user: User) -> str | None:
    parts = [part for part in (user.name, user.surname) if part]
    return " ".join(parts) or None


def login(args: argparse.Namespace) -> int:
    """Log in (or register) and save the account."""
    host = args.server_host or os.environ.get(HOST_ENV, "").strip()
    if not host:
        raise CommandError(f"which server? add --host URL (or set ${HOST_ENV})", EXIT_USAGE)
    client = SpeckleApiClient(server_address(host))
    if args.token:
        profile = client.login_with_token(args.token)
    else:
        email = args.email or input("Email: ").strip()
        password = _read_password(args, confirm=args.register)
        if args.register:
            client.register(email=email, password=password, company=None, name=args.name)
            profile = client.me if client.me is not None else client.accounts.get_profile()
        else:
            profile = client.login(email, password)
    token = profile.apitoken or client.token
    if not profile.email or not token:
        raise CommandError("the server's profile answer holds no email or token")
    account = AccountStore().add(
        client.server_url, profile.email, token, name=_display_name(profile), default=not args.no_default,
        server_name=_server_name(client),
    )

    def human() -> None:
        what = "registered and logged in" if args.register else "logged in"
        note = " (the default account)" if account.default else ""
        print(f"{what} to {account.server} as {account.email}{note}")

    return emit(args, account, human)


def _server_name(client: SpeckleApiClient) -> str | None:
    """The server's ``serverName`` (what the v1 connectors show next to a saved account), if it says."""
    try:
        name = client.server.info().get("serverName")
    except SpeckleError:
        return None
    return name if isinstance(name, str) and name.strip() else None


def logout(args: argparse.Namespace) -> int:
    """Forget one saved account, or all."""
    store = AccountStore()
    if args.all:
        removed = [store.remove(a.server, a.email) for a in store.list()]
    else:
        server = account_server(args.server_host) if args.server_host else None
        account = resolve_account(args.account, server, store)
        removed = [store.remove(account.server, account.email)]

    def human() -> None:
        for account in removed:
            print(f"forgot {account.email} on {account.server}")
        if not removed:
            print("no saved account")
        else:
            print("(v1 servers cannot revoke tokens: a copied token stays valid)")

    return emit(args, removed, human)


def _account_rows(accounts: list[SavedAccount]) -> None:
    print_table(
        accounts,
        [("", lambda a: "*" if a.default else " "), ("server", "server"), ("email", "email"), ("name", "name")],
        empty="no saved account: log in with 'speckle login --host URL'",
    )


def list_accounts(args: argparse.Namespace) -> int:
    """List the saved accounts, the default one marked ``*``."""
    accounts = AccountStore().list()
    return emit(args, accounts, lambda: _account_rows(accounts))


def set_default(args: argparse.Namespace) -> int:
    """Make a saved account the default one."""
    server = account_server(args.server_host) if args.server_host else None
    account = AccountStore().set_default(server, args.email)
    return emit(args, account, lambda: print(f"default account: {account.email} on {account.server}"))


def public_profile(user: User) -> dict[str, Any]:
    """A profile without its tokens."""
    return {k: v for k, v in user.to_payload().items() if k not in SECRET_FIELDS}


def whoami(args: argparse.Namespace) -> int:
    """Show the user the command runs as."""
    client = connect(args)
    user = client.me if client.me is not None else client.accounts.get_profile()
    data = {"server": client.server_url, **public_profile(user)}
    pairs = [
        ("server", client.server_url), ("email", user.email), ("name", _display_name(user)),
        ("company", user.company), ("role", user.role), ("id", user.id),
    ]
    return emit(args, data, lambda: print_record(pairs)) or EXIT_OK
