"""``lanwise lookup HOST.local``: the addresses of a multicast DNS host name;
``lanwise lookup ADDRESS``: the ``.local`` name of an address (reverse PTR)."""

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
from lanwise.dnssd import AddressInfo, HostInfo, open_responder
from lanwise.dnssd.hosts import parse_address
from lanwise.dnssd.names import parse_host_name
from lanwise.dnssd.responder import DEFAULT_RESOLVE_TIMEOUT
from lanwise.errors import UsageError

__all__ = ["add_parser", "format_address", "format_host", "run"]


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "lookup",
        help="look up the addresses of a .local host name, or the name of an address",
        description="Ask the local network for the addresses of HOST.local (RFC 6762), "
        "per interface; or, given an IPv4/IPv6 ADDRESS, for its .local name (the reverse "
        "PTR in in-addr.arpa / ip6.arpa, like avahi-resolve -a; fe80::1%%eth0 asks on eth0 "
        "only). Exits 1 if nothing answers.",
    )
    parser.add_argument(
        "host",
        metavar="HOST.local|ADDRESS",
        help="host name, with or without .local; or an address",
    )
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


def format_address(info: AddressInfo) -> str:
    """One line per name: the address, the name, the interface (avahi-resolve -a's order)."""
    lines = [
        f"{info.address}  {name}  ({interface_name(index)})"
        for index, names in sorted(info.names.items())
        for name in names
    ]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    if _is_address(args.host):
        return _run_reverse(args)
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


def _is_address(text: str) -> bool:
    try:
        parse_address(text)
    except UsageError:
        return False
    return True


def _run_reverse(args: argparse.Namespace) -> int:
    address, zone = parse_address(args.host)
    if backend_of(args) == "avahi":
        raise UsageError("--backend", "a reverse lookup runs on the engine backend only")
    info = asyncio.run(_reverse(args, zone))
    if args.json:
        names = {interface_name(i): list(found) for i, found in sorted(info.names.items())}
        print(json.dumps({"address": str(address), "names": names}))
    else:
        print(format_address(info), end="")
    return 0


async def _reverse(args: argparse.Namespace, zone: str | None) -> AddressInfo:
    # A zone names the one interface to ask on: serve only that one unless -i says more.
    interfaces = interfaces_of(args)
    if interfaces is None and zone is not None:
        interfaces = [int(zone) if zone.isdigit() else zone]
    async with open_responder(
        interfaces=interfaces, families=families_of(args), querier_only=True
    ) as responder:
        return await responder.resolve_address(args.host, timeout=args.timeout)
