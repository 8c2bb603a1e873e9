"""``lanwise browse [TYPE]``: services on the local network, as they come and go.

Output formats: readable lines (default); ``-p`` lines in avahi-browse's
parsable style (``+;eth0;IPv4;Name;_http._tcp;local`` and, resolved,
``=;eth0;IPv4;Name;_http._tcp;local;host.local;10.0.0.5;80;"a=1" "b"``);
``--json`` one JSON object per line. This module also holds what the other
DNS-SD commands (resolve, lookup, publish) share: options and formatting.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import socket
import sys
from collections.abc import Collection
from typing import Any

from lanwise.cli import widearea
from lanwise.dnssd import (
    BrowseEvent,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceType,
    ServiceUpdated,
    open_responder,
)
from lanwise.dnssd.browser import BrowseTarget
from lanwise.dnssd.model import IPAddress
from lanwise.errors import UsageError

__all__ = [
    "add_common_options",
    "add_parser",
    "add_timeout_option",
    "event_to_json",
    "families_of",
    "format_event",
    "format_parsable",
    "info_to_json",
    "interface_name",
    "interfaces_of",
    "run",
]


# -- options the DNS-SD commands share -------------------------------------------------
def add_common_options(parser: argparse.ArgumentParser) -> None:
    """``-i IFACE`` (repeatable), ``-4``, ``-6``."""
    parser.add_argument(
        "-i",
        "--interface",
        dest="interfaces",
        action="append",
        metavar="IFACE",
        help="use only this interface (name or index); may be repeated "
        "(default: every local-network interface)",
    )
    family = parser.add_mutually_exclusive_group()
    family.add_argument("-4", dest="family", action="store_const", const=4, help="IPv4 only")
    family.add_argument("-6", dest="family", action="store_const", const=6, help="IPv6 only")


def add_timeout_option(parser: argparse.ArgumentParser, default: float) -> None:
    """``--timeout S``: a positive number of seconds (anything else exits 2)."""
    parser.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=default,
        help=f"seconds to wait for an answer (default {default:g})",
    )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def interfaces_of(args: argparse.Namespace) -> list[int | str] | None:
    """The ``-i`` selection: indexes as ints, names as given; None for the default."""
    if not args.interfaces:
        return None
    return [int(item) if item.isdigit() else item for item in args.interfaces]


def families_of(args: argparse.Namespace) -> tuple[int, ...]:
    return (args.family,) if args.family else (4, 6)


def interface_name(index: int) -> str:
    """An interface's name for display (its index if it has none any more)."""
    try:
        return socket.if_indextoname(index)
    except OSError:
        return str(index)


# -- formatting --------------------------------------------------------------------------
def _escape_field(text: str) -> str:
    """avahi's label escaping for ``-p`` output: ``\\.``, ``\\\\``, and ``\\DDD`` for every
    octet that is not a letter, digit, '-' or '_' (so ';' never splits a field)."""
    out: list[str] = []
    for byte in text.encode("utf-8", errors="surrogateescape"):
        ch = chr(byte)
        if ch in ".\\":
            out.append("\\" + ch)
        elif ch.isascii() and (ch.isalnum() or ch in "-_"):
            out.append(ch)
        else:
            out.append(f"\\{byte:03d}")
    return "".join(out)


def _display(text: str) -> str:
    """A name from the network made printable: undecodable octets as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _quote_txt(raw: bytes) -> str:
    """One TXT string in double quotes; quotes, backslashes and control octets escaped."""
    out: list[str] = []
    for ch in raw.decode("utf-8", errors="surrogateescape"):
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F or 0xDC80 <= code <= 0xDCFF:
            value = code - 0xDC00 if code >= 0xDC80 else code
            out.append(f"\\{value:03d}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _txt_text(info: ServiceInfo) -> str:
    return " ".join(_quote_txt(s) for s in info.txt_strings if s)


def _address_text(address: IPAddress) -> str:
    return str(address)


def _protocol(families: Collection[int]) -> str:
    families = set(families)
    if families == {4}:
        return "IPv4"
    if families == {6}:
        return "IPv6"
    return "any"


def _marker(event: BrowseEvent) -> str:
    if isinstance(event, ServiceRemoved):
        return "-"
    if isinstance(event, ServiceUpdated) or (isinstance(event, ServiceAdded) and event.info):
        return "="
    return "+"


def format_parsable(event: BrowseEvent, families: Collection[int] = (4, 6)) -> list[str]:
    """avahi-browse ``-p`` lines: ``+``/``-`` one line; resolved ``=`` one per address."""
    stype = event.type
    head = [
        interface_name(event.interface),
        "",
        _escape_field(event.name),
        str(stype),
        stype.domain,
    ]
    info = event.info if isinstance(event, ServiceAdded | ServiceUpdated) else None
    if info is None:
        head[1] = _protocol(families)
        return [";".join([_marker(event), *head])]
    lines: list[str] = []
    for address in info.addresses.get(event.interface, ()):
        head[1] = f"IPv{address.version}"
        tail = [info.host, _address_text(address), str(info.port)]
        lines.append(";".join(["=", *head, *tail, _txt_text(info)]))
    return lines


def info_to_json(info: ServiceInfo) -> dict[str, Any]:
    """A resolved service as plain JSON types."""
    return {
        "name": _display(info.name),
        "type": str(info.type),
        "domain": info.type.domain,
        "host": info.host,
        "port": info.port,
        "txt": {
            key: None if value is None else value.decode("utf-8", errors="backslashreplace")
            for key, value in info.txt.items()
        },
        "txt_raw": [s.decode("utf-8", errors="backslashreplace") for s in info.txt_strings],
        "addresses": {
            interface_name(index): [_address_text(a) for a in found]
            for index, found in info.addresses.items()
        },
    }


def event_to_json(event: BrowseEvent) -> dict[str, Any]:
    """One browse event as plain JSON types."""
    kind = {ServiceAdded: "added", ServiceUpdated: "updated", ServiceRemoved: "removed"}
    out: dict[str, Any] = {
        "event": kind[type(event)],
        "interface": interface_name(event.interface),
        "interface_index": event.interface,
        "name": _display(event.name),
        "type": str(event.type),
        "domain": event.type.domain,
    }
    info = event.info if isinstance(event, ServiceAdded | ServiceUpdated) else None
    if info is not None:
        details = info_to_json(info)
        out.update({k: details[k] for k in ("host", "port", "txt", "txt_raw")})
        out["addresses"] = [_address_text(a) for a in info.addresses.get(event.interface, ())]
    return out


def format_event(event: BrowseEvent) -> list[str]:
    """Readable lines for one browse event."""
    name = _display(event.name)
    head = f"{_marker(event)} {interface_name(event.interface):<8} {name}  {event.type}"
    info = event.info if isinstance(event, ServiceAdded | ServiceUpdated) else None
    if info is None:
        return [head]
    addresses = " ".join(_address_text(a) for a in info.addresses.get(event.interface, ()))
    return [
        head,
        f"    host     {info.host}:{info.port}",
        f"    address  {addresses or '-'}",
        f"    txt      {_txt_text(info) or '-'}",
    ]


# -- the command ---------------------------------------------------------------------------
def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "browse",
        help="find services on the local network (DNS-SD)",
        description="Browse for DNS-SD services over multicast DNS. With no TYPE, every "
        "service type announced on the network (RFC 6763 §9).",
    )
    parser.add_argument(
        "type",
        nargs="?",
        metavar="TYPE",
        help="service type such as _http._tcp, or a subtype such as _printer._sub._http._tcp",
    )
    parser.add_argument(
        "-r", "--resolve", action="store_true", help="resolve: host, port, addresses, TXT"
    )
    parser.add_argument(
        "-t",
        "--terminate",
        action="store_true",
        help="exit once the first round of answers is in (about a second of quiet)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "-p", "--parsable", action="store_true", help="avahi-browse style ';'-separated lines"
    )
    output.add_argument("--json", action="store_true", help="one JSON object per line")
    add_common_options(parser)
    widearea.add_browse_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.domain:
        return widearea.run_browse(args)
    target: BrowseTarget | None = None
    if args.type:
        target = BrowseTarget.parse(args.type)  # UsageError (exit 2) before any socket
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_browse(args, target))
    return 0


def _print_event(args: argparse.Namespace, event: BrowseEvent) -> None:
    if args.json:
        lines = [json.dumps(event_to_json(event), ensure_ascii=False)]
    elif args.parsable:
        lines = format_parsable(event, families_of(args))
    else:
        lines = format_event(event)
    for line in lines:
        print(line, flush=True)


async def _browse(args: argparse.Namespace, target: BrowseTarget | None) -> None:
    stype: ServiceType | str | None = None
    if target is not None:
        stype = args.type
    async with (
        open_responder(
            interfaces=interfaces_of(args), families=families_of(args), querier_only=True
        ) as responder,
        responder.browse(stype, resolve=args.resolve) as browser,
    ):

        async def show() -> None:
            async for event in browser:
                _print_event(args, event)

        printer = asyncio.create_task(show())
        # RFC 6763 §11: also browse the legacy-browse domains, labelled by domain.
        legacy = asyncio.create_task(widearea.legacy_browse(args))
        try:
            if args.terminate:
                await browser.wait_settled()
                await asyncio.sleep(0)
                await browser.aclose()
            await printer
            if args.terminate:
                await legacy  # its own first round ends it
        finally:
            for task in (printer, legacy):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


# -- the services section of the overview (``lanwise`` with no command) --------------------
OVERVIEW_LISTEN_MINIMUM = 2.0
OVERVIEW_LISTEN_QUIET = 1.0
OVERVIEW_LISTEN_TIMEOUT = 4.0


def services_overview(*, have_local_network: bool, progress: bool) -> list[str]:
    """Lines for the overview: services heard within a few seconds, grouped by type.

    ``progress`` writes a one-line progress indicator to stderr while listening
    (the caller passes True only when stderr is a terminal).
    """
    if not have_local_network:
        return ["(not listening: no local-network interface)"]
    found = asyncio.run(_listen(progress))
    if not found:
        return ["(none answered)"]
    lines: list[str] = []
    for stype in sorted(found, key=lambda t: str(t).lower()):
        lines.append(str(stype))
        for name, (where, detail) in sorted(found[stype].items(), key=lambda i: i[0].lower()):
            interfaces = ", ".join(interface_name(index) for index in sorted(where))
            lines.append(f"  {_display(name)}  {detail}({interfaces})")
    return lines


async def _listen(progress: bool) -> dict[ServiceType, dict[str, tuple[set[int], str]]]:
    found: dict[ServiceType, dict[str, tuple[set[int], str]]] = {}
    async with (
        open_responder(querier_only=True) as responder,
        responder.browse(None) as browser,
    ):
        ticker = asyncio.create_task(_progress(browser)) if progress else None
        try:
            current = await browser.wait_settled(
                minimum=OVERVIEW_LISTEN_MINIMUM,
                quiet=OVERVIEW_LISTEN_QUIET,
                timeout=OVERVIEW_LISTEN_TIMEOUT,
            )
        finally:
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()
        for event in current:
            per_type = found.setdefault(event.type, {})
            try:
                info = responder.cached_info(event.name, event.type)
            except UsageError:
                info = None  # a peer's name that breaks §4.1.1 (a control character, say)
            detail = f"{info.host}:{info.port} " if info is not None else ""
            where, _ = per_type.get(event.name, (set(), detail))
            where.add(event.interface)
            per_type[event.name] = (where, detail)
    return found


async def _progress(browser: Any) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while True:
        count = len({(e.type, e.name) for e in browser.current()})
        sys.stderr.write(
            f"\rlistening for services on the local network… "
            f"{loop.time() - started:.1f} s, {count} found"
        )
        sys.stderr.flush()
        await asyncio.sleep(0.2)
