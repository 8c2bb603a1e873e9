"""The ``lanwise`` command: a thin layer that formats what the library returns.

Each sub-command lives in its own module of this package and exposes
``add_parser(subparsers)``, which registers the command and sets ``func`` on
its parser. What they print goes through :mod:`lanwise.cli.output` (escaping,
TXT, JSON); their parsers are :class:`lanwise.cli.parsing.CommandParser`.

Exit statuses, the same for every command (docs/cli.md):

- 0: done; also when the reader of the output went away (``| head``), and when
  Ctrl-C stops a command that runs until stopped (browse without ``-t``,
  publish, share, monitor, autoip): that is how those are meant to end;
- 1: the command ran and failed (nothing answered, a MUST check failed, …);
- 2: a usage error, in one line;
- 130 (128 + SIGINT): Ctrl-C interrupted a command that ends by itself.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from lanwise.cli.output import escape, reader_gone, version_text
from lanwise.cli.parsing import EXIT_USAGE, CommandParser
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
    "proxy",
    "conformance",
)

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def build_parser(only: str | None = None) -> CommandParser:
    """The full parser, or with ``only`` just that sub-command's (imports stay cheap)."""
    parser = CommandParser(
        prog="lanwise",
        description="Local networking done right. With no command: an overview of this host.",
        intermixed=False,  # argparse cannot intermix around sub-commands; each of them does
    )
    parser.add_argument(
        "-V", "--version", action="version", version=version_text(), help="show versions and exit"
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
    try:
        args = parser.parse_args(argv)
    except SystemExit:  # --help, --version, a usage error: flush while EPIPE can be caught
        _flush_stdout()
        raise
    func: Callable[[argparse.Namespace], int]
    if args.command is None:
        from lanwise.cli import overview  # noqa: PLC0415 (only the overview needs it)

        func = overview.run
    else:
        func = args.func
    try:
        status = func(args)
        # Output still buffered would fail at exit, past any handler: flush it here.
        sys.stdout.flush()
        return status
    except UsageError as exc:
        print(f"lanwise: error: {escape(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except LanwiseError as exc:
        print(f"lanwise: {escape(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        reader_gone()
        return 0


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        reader_gone()
