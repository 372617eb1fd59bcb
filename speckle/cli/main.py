"""Entry point of the ``speckle`` console script.

Errors are reported as one line on stderr (``speckle: error: ...``) and an exit code from
:mod:`speckle.cli.common`; ``--debug`` adds the traceback and the library's debug log.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from speckle._version import __version__
from speckle.cli.common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    exit_code_for,
    global_options,
)
from speckle.errors import SpeckleError

#: Modules of :mod:`speckle.cli` that add sub-commands, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "demo",
    "serve",
    "auth",
    "serverinfo",
    "streams",
    "objects",
    "projects",
    "comments",
    "listen",
    "transfer",
)

__all__ = ["COMMAND_MODULES", "build_parser", "main", "EXIT_OK", "EXIT_USAGE"]

EPILOG = """\
exit codes: 0 ok, 1 failure, 2 usage, 3 authentication, 4 permission denied, 5 not found,
6 server or transport error, 130 interrupted.
The account: --token/--host, else --account EMAIL, else $SPECKLE_HOST/$SPECKLE_TOKEN,
else the default saved account (speckle login)."""


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="speckle",
        description="Work with Speckle v1 servers, or run a local one.",
        epilog=EPILOG,
        parents=[global_options(suppress=False)],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"speckle {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"speckle.cli.{name}")
        module.register(subparsers)
    return parser


def _report(exc: BaseException, debug: bool) -> None:
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    message = str(exc) if isinstance(exc, SpeckleError) else f"{type(exc).__name__}: {exc}"
    first = " ".join(message.split()) or type(exc).__name__
    print(f"speckle: error: {first}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Keyword Arguments:
        argv {list} -- the arguments (default: {None}: ``sys.argv[1:]``)

    Returns:
        int -- the exit code
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2)
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # the library's warnings (retries...) stay quiet unless --debug: errors are reported below
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    library = logging.getLogger("speckle")
    previous_level = library.level
    library.setLevel(logging.DEBUG if args.debug else logging.ERROR)
    try:
        return _run(func, args)
    finally:
        library.setLevel(previous_level)


def _run(func: Any, args: argparse.Namespace) -> int:
    try:
        return int(func(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("speckle: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `speckle streams list | head -1`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except SpeckleError as exc:
        _report(exc, args.debug)
        return exit_code_for(exc)
    except Exception as exc:  # the one place that turns any failure into an exit code
        _report(exc, args.debug)
        return EXIT_FAILURE


def run() -> None:
    """Console-script entry point: exit with :func:`main`'s code."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
