"""The ``lanwise`` command: a thin layer that formats what the library returns.

Each sub-command lives in its own module of this package and exposes
``add_parser(subparsers)``, which registers the command and sets ``func`` on
its parser. Errors the user can fix print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from lanwise.errors import LanwiseError, UsageError

__all__ = ["CommandParser", "main"]

# Sub-command modules, in the order `lanwise --help` lists them.
_COMMANDS: tuple[str, ...] = (
    "interfaces",
    "monitor",
    "autoip",
    "dns",
    "share",
    "browse",
    "resolve",
    "lookup",
    "publish",
    "domains",
    "conformance",
)

EXIT_USAGE = 2


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(only: str | None = None) -> CommandParser:
    """The full parser, or with ``only`` just that sub-command's (imports stay cheap)."""
    parser = CommandParser(
        prog="lanwise",
        description="Local networking done right. With no command: an overview of this host.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for name in _COMMANDS:
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"lanwise.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Import only the chosen command's module: `lanwise interfaces` need not load mDNS.
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    parser = build_parser(first if first in _COMMANDS else None)
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int]
    if args.command is None:
        from lanwise.cli import overview  # noqa: PLC0415 (only the overview needs it)

        func = overview.run
    else:
        func = args.func
    try:
        return func(args)
    except UsageError as exc:
        print(f"lanwise: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LanwiseError as exc:
        print(f"lanwise: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
