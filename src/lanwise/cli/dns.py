"""``lanwise dns``: every configured DNS server, per link, as a table or JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Sequence
from typing import Any

from lanwise.errors import UsageError
from lanwise.net.resolvers import RESOLV_CONF, DnsServer, dns_servers

__all__ = ["add_parser", "format_table", "run"]


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "dns",
        help="list every configured DNS server, per link",
        description="List every configured DNS server: systemd-resolved's global and "
        "per-link servers (over D-Bus, when it runs; the bus is $DBUS_SYSTEM_BUS_ADDRESS "
        "or the system bus) and every nameserver line of resolv.conf, not only the first "
        "three that the C library uses.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--resolv-conf",
        metavar="PATH",
        help=f"the resolv.conf to read (default {RESOLV_CONF})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = args.resolv_conf
    if path is None:
        path = RESOLV_CONF  # the system's: absent means no server configured
    elif not (os.path.isfile(path) and os.access(path, os.R_OK)):
        # A file the user names must exist: an empty answer would hide the typo.
        raise UsageError("--resolv-conf", "must name a readable file", path)
    servers = asyncio.run(dns_servers(resolv_conf=path))
    if args.json:
        print(json.dumps([s.to_json() for s in servers], indent=2))
    else:
        print(format_table(servers), end="")
    return 0


def format_table(servers: Sequence[DnsServer]) -> str:
    """One line per server; ``*`` in INTERFACE means every link."""
    if not servers:
        return "no DNS server is configured\n"
    header = ("ADDRESS", "PORT", "INTERFACE", "SERVER NAME", "SOURCE")
    rows = [header] + [
        (
            str(s.address),
            str(s.port),
            "*"
            if s.interface_index is None
            else f"{s.interface_name or '?'} ({s.interface_index})",
            s.server_name or "-",
            s.source,
        )
        for s in servers
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n"
        for row in rows
    )
