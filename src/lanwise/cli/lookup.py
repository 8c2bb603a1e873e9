"""``lanwise lookup HOST.local``: the addresses of a multicast DNS host name."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from lanwise.cli.browse import (
    add_common_options,
    add_timeout_option,
    backend_of,
    families_of,
    interface_name,
    interfaces_of,
)
from lanwise.dnssd import HostInfo, open_responder
from lanwise.dnssd.names import parse_host_name
from lanwise.dnssd.responder import DEFAULT_RESOLVE_TIMEOUT

__all__ = ["add_parser", "format_host", "run"]


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "lookup",
        help="look up the addresses of a .local host name",
        description="Ask the local network for the addresses of HOST.local (RFC 6762), "
        "per interface. Exits 1 if nothing answers.",
    )
    parser.add_argument("host", metavar="HOST.local", help="host name, with or without .local")
    add_timeout_option(parser, DEFAULT_RESOLVE_TIMEOUT)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_common_options(parser)
    parser.set_defaults(func=run)


def format_host(info: HostInfo) -> str:
    """One line per address: the host name, the address, the interface."""
    lines = [
        f"{info.name}  {address}  ({interface_name(index)})"
        for index, found in sorted(info.addresses.items())
        for address in found
    ]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    host = parse_host_name(args.host)
    info = asyncio.run(_lookup(args, host))
    if args.json:
        addresses = {
            interface_name(index): [str(a) for a in found]
            for index, found in sorted(info.addresses.items())
        }
        print(json.dumps({"name": info.name, "addresses": addresses}))
    else:
        print(format_host(info), end="")
    return 0


async def _lookup(args: argparse.Namespace, host: str) -> HostInfo:
    async with open_responder(
        interfaces=interfaces_of(args),
        families=families_of(args),
        querier_only=True,
        backend=backend_of(args),
    ) as responder:
        return await responder.resolve_host(host, timeout=args.timeout)
