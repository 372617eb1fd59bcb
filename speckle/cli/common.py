"""What every ``speckle`` sub-command shares: exit codes, global options, the client, output.

Exit codes (scripts can rely on them):

=====  ==============================================================================
code   meaning
=====  ==============================================================================
0      success
1      failure: the server refused the request (e.g. a bad request), a check failed
2      usage: a bad command line or bad input (unknown option, malformed JSON file)
3      authentication: not logged in, wrong password, token rejected or expired
4      permission denied: logged in, but not allowed to do this
5      not found: no such stream, object, project, comment or saved account
6      server or transport: server error (5xx), unreachable server, timeout, non-JSON answer
130    interrupted (Ctrl-C), except for ``speckle listen`` which stops cleanly with 0
=====  ==============================================================================
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

from pydantic import BaseModel
from tqdm import tqdm

from speckle.accounts_store import (
    HOST_ENV,
    TOKEN_ENV,
    AccountNotFoundError,
    AccountStore,
    SavedAccount,
    normalize_server,
    resolve_account,
)
from speckle.client import SpeckleApiClient
from speckle.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SpeckleError,
    SpeckleInputError,
    SpeckleTransportError,
)
from speckle.models.base import SpeckleModel

log = logging.getLogger("speckle.cli")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_PERMISSION = 4
EXIT_NOT_FOUND = 5
EXIT_SERVER = 6
EXIT_INTERRUPTED = 130

#: Hosts that mean "this machine": a scheme-less address of one of them is reached over http.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")

Handler = Callable[[argparse.Namespace], int | None]


class CommandError(SpeckleError):
    """A command-line failure with its exit code (``exit_code``)."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def exit_code_for(exc: BaseException) -> int:
    """The exit code of an error (see the table of this module).

    Arguments:
        exc {BaseException} -- the error a command raised

    Returns:
        int -- the exit code
    """
    if isinstance(exc, CommandError):
        return exc.exit_code
    if isinstance(exc, SpeckleInputError):
        return EXIT_USAGE
    if isinstance(exc, (AuthenticationError, AccountNotFoundError)):
        return EXIT_AUTH
    if isinstance(exc, PermissionDeniedError):
        return EXIT_PERMISSION
    if isinstance(exc, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, (ServerError, RateLimitError, SpeckleTransportError)):
        return EXIT_SERVER
    return EXIT_FAILURE


# -- parsers ----------------------------------------------------------------------------------------


def global_options(suppress: bool) -> argparse.ArgumentParser:
    """The options every command accepts, before or after the command name.

    The top-level parser gets them with their defaults; sub-commands get them with
    ``argparse.SUPPRESS`` defaults, so that a value given before the command is kept.
    """
    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("global options")
    group.add_argument("--host", dest="server_host", metavar="URL", default=default(None),
                       help=f"server address (default: ${HOST_ENV}, else the default saved account)")
    group.add_argument("--token", metavar="TOKEN", default=default(None),
                       help=f"API token 'JWT ...' (default: ${TOKEN_ENV}, else the saved account's)")
    group.add_argument("--account", metavar="EMAIL", default=default(None),
                       help="use this saved account (see 'speckle accounts')")
    group.add_argument("--json", action="store_true", default=default(False),
                       help="print machine-readable JSON instead of tables")
    group.add_argument("--debug", action="store_true", default=default(False),
                       help="log details and show tracebacks")
    return parser


_SUB_OPTIONS = global_options(suppress=True)


def add_command(subparsers: Any, name: str, help: str, func: Handler | None = None,
                description: str | None = None) -> argparse.ArgumentParser:
    """Add a sub-command that accepts the global options.

    Arguments:
        subparsers {argparse._SubParsersAction} -- where to add it
        name {str} -- the command name
        help {str} -- one line for ``--help``

    Keyword Arguments:
        func {callable} -- the handler, ``func(args) -> exit code`` (default: {None})
        description {str} -- the long description (default: {help})

    Returns:
        argparse.ArgumentParser -- the new parser
    """
    parser = subparsers.add_parser(
        name, help=help, description=description or help, parents=[_SUB_OPTIONS],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if func is not None:
        parser.set_defaults(func=func)
    return parser


def add_group(subparsers: Any, name: str, help: str, description: str | None = None) -> Any:
    """Add a command with sub-commands (``speckle streams list``); returns its subparsers.

    Without a sub-command the group prints its usage and exits with :data:`EXIT_USAGE`.
    """
    parser = add_command(subparsers, name, help, description=description)

    def missing(args: argparse.Namespace) -> int:
        parser.print_usage(sys.stderr)
        print(f"speckle {name}: error: choose a sub-command", file=sys.stderr)
        return EXIT_USAGE

    parser.set_defaults(func=missing)
    return parser.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND")


# -- the client -------------------------------------------------------------------------------------


def server_address(host: str) -> str:
    """The address to give ``SpeckleApiClient``: scheme-less local hosts mean ``http://``.

    Arguments:
        host {str} -- ``speckle.example.com``, ``127.0.0.1:3000``, ``http://...``

    Returns:
        str -- the address, with ``http://`` added for a local host without a scheme
    """
    text = host.strip()
    if "://" not in text:
        hostname = urlsplit("//" + text).hostname or ""
        if hostname in LOCAL_HOSTS or hostname.startswith("127."):
            return "http://" + text
    return text


def account_server(host: str) -> str:
    """The saved-account form of a command-line server address."""
    return normalize_server(server_address(host))


@dataclass
class Target:
    """The server and the credentials a command uses."""

    host: str
    token: str | None
    account: SavedAccount | None = None


def resolve_target(args: argparse.Namespace, store: AccountStore | None = None) -> Target:
    """Pick the server and token: ``--token``/``--host``, ``--account``, the environment, the
    default saved account, in this order.

    Raises:
        CommandError -- no server can be chosen (exit code 3)
        AccountNotFoundError -- ``--account`` names no saved account
    """
    store = store if store is not None else AccountStore()
    host: str | None = getattr(args, "server_host", None)
    token: str | None = getattr(args, "token", None)
    email: str | None = getattr(args, "account", None)
    env_host = os.environ.get(HOST_ENV, "").strip() or None
    env_token = os.environ.get(TOKEN_ENV, "").strip() or None
    if token:
        host = host or env_host
        if host is None:
            default = store.get_default()
            if default is None:
                raise CommandError(f"--token needs a server: add --host URL or set ${HOST_ENV}", EXIT_USAGE)
            host = default.server
        return Target(server_address(host), token)
    if email:
        account = store.get(account_server(host) if host else None, email)
        return Target(account.server, account.apitoken, account)
    if host:
        try:
            account = resolve_account(None, account_server(host), store)
            return Target(account.server, account.apitoken, account)
        except AccountNotFoundError:
            if env_host and env_token and account_server(env_host) == account_server(host):
                return Target(server_address(host), env_token)
            return Target(server_address(host), None)
    if env_host:
        return Target(server_address(env_host), env_token)
    default = store.get_default()
    if default is not None:
        return Target(default.server, default.apitoken, default)
    raise CommandError(
        f"no server chosen: log in with 'speckle login --host URL', set ${HOST_ENV} (and ${TOKEN_ENV}), "
        "or pass --host",
        EXIT_AUTH,
    )


def connect(args: argparse.Namespace, auth: bool = True) -> SpeckleApiClient:
    """A client for the command's server, logged in when credentials are known.

    Arguments:
        args {argparse.Namespace} -- the parsed command line

    Keyword Arguments:
        auth {bool} -- fail (exit code 3) rather than go on anonymously (default: {True})

    Returns:
        SpeckleApiClient -- the client
    """
    target = resolve_target(args)
    client = SpeckleApiClient(target.host)
    if target.token:
        client.login_with_token(target.token)
    elif auth:
        raise CommandError(
            f"not logged in on {client.server_url}: run 'speckle login --host {client.server_url}' "
            f"or set ${TOKEN_ENV}",
            EXIT_AUTH,
        )
    log.debug("using %s as %s", client.server_url, client.me.email if client.me else "anonymous")
    return client


# -- input ------------------------------------------------------------------------------------------


def read_json(path: str) -> Any:
    """Read a JSON document from a file, or from stdin when ``path`` is ``-``.

    Raises:
        CommandError -- the file cannot be read or is not JSON (exit code 2)
    """
    name = "stdin" if path == "-" else path
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {name}: {exc}", EXIT_USAGE) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"malformed JSON in {name}: {exc.msg} (line {exc.lineno}, column {exc.colno})", EXIT_USAGE
        ) from exc


def read_json_object(path: str, what: str) -> dict[str, Any]:
    """Read a JSON object (not a list or a scalar) from a file or stdin."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise CommandError(f"{what} must be a JSON object, got a JSON {type(data).__name__}", EXIT_USAGE)
    return data


# -- output -----------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Turn models, saved accounts and containers into plain JSON data."""
    if isinstance(value, SpeckleModel):
        return value.to_payload()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, SavedAccount):
        return value.public_dict()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def print_json(value: Any, file: IO[str] | None = None) -> None:
    """Print ``value`` as indented JSON."""
    out = file or sys.stdout
    out.write(json.dumps(jsonable(value), indent=2, ensure_ascii=False, default=str) + "\n")


def cell(value: Any, width: int = 60) -> str:
    """Format one table cell: ``-`` for nothing, ``yes``/``no``, counts for long lists."""
    if value is None or value == "":
        text = "-"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(cell(v, width) for v in value) if len(value) <= 3 else f"{len(value)} items"
    elif isinstance(value, SpeckleModel):
        text = str(value.get("_id") or value.get("id") or value)
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


Column = tuple[str, str | Callable[[Any], Any]]


def _value(row: Any, key: str | Callable[[Any], Any]) -> Any:
    if callable(key):
        return key(row)
    return row.get(key) if hasattr(row, "get") else getattr(row, key, None)


def print_table(rows: Iterable[Any], columns: Sequence[Column], empty: str = "(none)") -> None:
    """Print rows as an aligned table with a header line.

    Arguments:
        rows {iterable} -- dicts or models
        columns {list} -- ``(header, key or function of the row)`` pairs
    """
    cells = [[cell(_value(row, key)) for _, key in columns] for row in rows]
    if not cells:
        print(empty)
        return
    headers = [header.upper() for header, _ in columns]
    widths = [max(len(headers[i]), *(len(r[i]) for r in cells)) for i in range(len(columns))]
    for line in (headers, *cells):
        print("  ".join(text.ljust(widths[i]) for i, text in enumerate(line)).rstrip())


def print_record(pairs: Sequence[tuple[str, Any]]) -> None:
    """Print ``label: value`` lines, labels aligned."""
    width = max(len(label) for label, _ in pairs) + 1
    for label, value in pairs:
        print(f"{label + ':':<{width}} {cell(value, 100)}")


def emit(args: argparse.Namespace, data: Any, human: Callable[[], None]) -> int:
    """Print ``data`` as JSON with ``--json``, else call ``human()``; return :data:`EXIT_OK`."""
    if getattr(args, "json", False):
        print_json(data)
    else:
        human()
    return EXIT_OK


def progress(total: int, desc: str, unit: str = "obj") -> tqdm:
    """A progress bar on stderr that appears only when the work lasts more than half a second
    and stderr is a terminal."""
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, delay=0.5, disable=None, leave=False)
