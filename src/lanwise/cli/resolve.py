"""``lanwise resolve NAME TYPE``: host, port, TXT and addresses of one service instance."""

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
    info_to_json,
    interface_name,
    interfaces_of,
)
from lanwise.dnssd import ServiceInfo, ServiceType, open_responder
from lanwise.dnssd.names import validate_instance_name
from lanwise.dnssd.responder import DEFAULT_RESOLVE_TIMEOUT
from lanwise.dnssd.txt import format_txt_string

__all__ = ["add_parser", "format_info", "run"]


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "resolve",
        help="resolve one DNS-SD service instance",
        description="Resolve a service instance (RFC 6763 §5): its host, port, TXT "
        "attributes and addresses on each interface. Exits 1 if nothing answers.",
    )
    parser.add_argument("name", metavar="NAME", help="instance name, e.g. 'Living room'")
    parser.add_argument("type", metavar="TYPE", help="service type, e.g. _ipp._tcp")
    add_timeout_option(parser, DEFAULT_RESOLVE_TIMEOUT)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_common_options(parser)
    parser.set_defaults(func=run)


def format_info(info: ServiceInfo) -> str:
    """Readable lines: the full name, host:port, TXT strings, addresses per interface."""
    lines = [str(info), f"  host     {info.host}", f"  port     {info.port}"]
    strings = [format_txt_string(s) for s in info.txt_strings if s]
    lines.append(f"  txt      {' '.join(strings) if strings else '-'}")
    for index, found in sorted(info.addresses.items()):
        for address in found:
            lines.append(f"  address  {address}  ({interface_name(index)})")
    if not info.addresses:
        lines.append("  address  - (the host did not answer)")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    name = validate_instance_name(args.name)
    stype = ServiceType.parse(args.type)
    info = asyncio.run(_resolve(args, name, stype))
    if args.json:
        print(json.dumps(info_to_json(info), ensure_ascii=False))
    else:
        print(format_info(info), end="")
    return 0


async def _resolve(args: argparse.Namespace, name: str, stype: ServiceType) -> ServiceInfo:
    async with open_responder(
        interfaces=interfaces_of(args),
        families=families_of(args),
        querier_only=True,
        backend=backend_of(args),
    ) as responder:
        return await responder.resolve(name, stype, timeout=args.timeout)
