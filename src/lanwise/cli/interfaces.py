"""``lanwise interfaces``: the interface list as a table or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from lanwise.cli.output import escape, reader_gone
from lanwise.interfaces import (
    Interface,
    InterfaceType,
    filter_interfaces,
    find_interface,
    list_interfaces,
)
from lanwise.interfaces.serialize import address_text, flag_names, interface_to_dict

__all__ = ["add_parser", "format_table", "reader_gone", "run"]


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "interfaces",
        help="list network interfaces and their addresses",
        description="List network interfaces: index, name, functional type, state, flags "
        "and every address with its prefix and scope.",
    )
    parser.add_argument(
        "interface", nargs="?", metavar="NAME|INDEX", help="show only this interface"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--type",
        dest="types",
        action="append",
        choices=[str(t) for t in InterfaceType],
        metavar="TYPE",
        help="only interfaces of this functional type (wifi, wired, cellular, loopback, "
        "other); may be repeated",
    )
    parser.add_argument(
        "--local-network",
        action="store_true",
        help="only interfaces on a local network (up, running, broadcast or multicast, "
        "wired or Wi-Fi)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    interfaces = list_interfaces()
    if args.interface is not None:
        interfaces = [find_interface(interfaces, args.interface)]
    interfaces = filter_interfaces(
        interfaces, types=args.types, local=True if args.local_network else None
    )
    text = (
        json.dumps([interface_to_dict(i) for i in interfaces], indent=2) + "\n"
        if args.json
        else format_table(interfaces)
    )
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        reader_gone()
    return 0


def format_table(interfaces: Sequence[Interface]) -> str:
    """A readable table; an interface with several addresses takes several lines."""
    header = ("INDEX", "NAME", "TYPE", "STATE", "FLAGS", "ADDRESSES")
    rows: list[tuple[str, ...]] = []
    for interface in interfaces:
        addresses = [address_text(a) for a in interface.addresses] or ["-"]
        rows.append(
            (
                str(interface.index),
                escape(interface.name),
                f"{interface.type} ({interface.kind})",
                str(interface.oper_state),
                ",".join(flag_names(interface.flags)) or "-",
                addresses[0],
            )
        )
        rows += [("", "", "", "", "", more) for more in addresses[1:]]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.rjust(w) if c == 0 else cell.ljust(w)
            for c, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"
