"""``lanwise resolve NAME TYPE``: host, port, TXT and addresses of one service instance.

NAME is the instance name ("Kitchen Display (3)"), or the full name
("Kitchen Display (3)._http._tcp.local"), in which case TYPE may be left out.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from typing import Any

from lanwise.cli.browse import (
    add_common_options,
    add_timeout_option,
    backend_of,
    families_of,
    interfaces_of,
)
from lanwise.cli.output import escape, interface_name, json_line, service_to_json, txt_text
from lanwise.dnssd import ServiceInfo, ServiceType, open_responder
from lanwise.dnssd.names import validate_instance_name
from lanwise.dnssd.responder import DEFAULT_RESOLVE_TIMEOUT
from lanwise.errors import UsageError

__all__ = ["add_parser", "format_info", "run", "split_instance"]

# "<instance>._name._tcp[.local][.]": what a full service instance name ends with.
_TYPE_SUFFIX = re.compile(r"\.(_[^.]+\._(?:tcp|udp))(?:\.local)?\.?$", re.IGNORECASE)


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "resolve",
        help="resolve one DNS-SD service instance",
        description="Resolve a service instance (RFC 6763 §5): its host, port, TXT "
        "attributes and addresses on each interface. Exits 1 if nothing answers.",
    )
    parser.add_argument(
        "name",
        metavar="NAME",
        help="instance name, e.g. 'Living room', or a full name 'Living room._ipp._tcp.local'",
    )
    parser.add_argument(
        "type",
        nargs="?",
        metavar="TYPE",
        help="service type, e.g. _ipp._tcp (optional when NAME is a full name)",
    )
    add_timeout_option(parser, DEFAULT_RESOLVE_TIMEOUT)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_common_options(parser)
    parser.set_defaults(func=run)


def format_info(info: ServiceInfo) -> str:
    """Readable lines: the full name, host:port, TXT strings, addresses per interface."""
    lines = [escape(str(info)), f"  host     {escape(info.host)}", f"  port     {info.port}"]
    lines.append(f"  txt      {txt_text(info.txt_strings) or '-'}")
    for index, found in sorted(info.addresses.items()):
        for address in found:
            lines.append(f"  address  {address}  ({interface_name(index)})")
    if not info.addresses:
        lines.append("  address  - (the host did not answer)")
    return "\n".join(lines) + "\n"


def split_instance(name: str, type_text: str | None) -> tuple[str, ServiceType]:
    """The instance name and type from NAME and TYPE; NAME may be a full name.

    Raises UsageError when TYPE is missing and NAME is not a full name, or when
    NAME's own type is not TYPE.
    """
    found = _TYPE_SUFFIX.search(name)
    if type_text is None:
        if found is None:
            raise UsageError(
                "TYPE",
                "is needed unless NAME is a full name such as 'Kitchen._http._tcp.local'",
                name,
            )
        type_text = found.group(1)
    stype = ServiceType.parse(type_text, field="TYPE")
    if found is not None:
        own = ServiceType.parse(found.group(1), field="NAME")
        if own != stype:
            raise UsageError(
                "NAME",
                f"is a full name of type {own}, not of TYPE {stype}: give the instance "
                "name alone, or a full name of that type",
                name,
            )
        name = name[: found.start()]
    return validate_instance_name(name, field="NAME"), stype


def run(args: argparse.Namespace) -> int:
    name, stype = split_instance(args.name, args.type)
    info = asyncio.run(_resolve(args, name, stype))
    if args.json:
        print(json_line(service_to_json(info)))
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
