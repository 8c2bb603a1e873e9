"""The parser every ``lanwise`` command uses, and the value types its options share.

Two things plain argparse gets wrong for this command line:

- ``-4``/``-6`` exist, so argparse reads any negative number as an unknown
  option: ``publish X _http._tcp -1`` said "required: PORT" and ``--timeout -1``
  "expected one argument". Here a negative number is a value unless it is one of
  the parser's own options, so the value's own rule answers (port 1-65535,
  timeout > 0).
- argparse stops collecting a list positional (publish's TXT strings) at the
  first option. Sub-commands parse intermixed: options may come anywhere among
  the positionals, as with avahi-publish and dns-sd.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from typing import Any, NoReturn

from lanwise.cli.output import escape

__all__ = ["EXIT_USAGE", "CommandParser", "port_number", "positive_seconds"]

EXIT_USAGE = 2


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one escaped line and exit status 2;
    with ``intermixed`` (the default) options may come among the positionals."""

    def __init__(self, *args: Any, intermixed: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._intermixed = intermixed
        self._parsing = False

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {escape(message)}\n")

    def _parse_optional(self, arg_string: str) -> Any:
        if (
            self._negative_number_matcher.match(arg_string)
            and arg_string not in self._option_string_actions
        ):
            return None  # a value such as -1, not an option
        return super()._parse_optional(arg_string)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        # parse_known_intermixed_args calls parse_known_args itself: recurse only once.
        if not self._intermixed or self._parsing:
            return super().parse_known_args(args, namespace)
        self._parsing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._parsing = False


def port_number(text: str) -> int:
    """A TCP/UDP port for an argument: an integer 1-65535."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port must be an integer 1-65535, not {text!r}")
    return value


def positive_seconds(text: str) -> float:
    """A duration for an argument: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"seconds must be a number > 0, not {text!r}")
    return value
