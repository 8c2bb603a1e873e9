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
import sys
from collections.abc import Collection
from typing import Any

from lanwise.cli import widearea
from lanwise.cli.output import (
    escape,
    interface_name,
    json_interface_name,
    json_line,
    json_text,
    service_to_json,
    txt_text,
)
from lanwise.cli.parsing import positive_seconds
from lanwise.dnssd import (
    BrowseEvent,
    BrowseOverflow,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceType,
    ServiceUpdated,
    open_responder,
)
from lanwise.dnssd.backend import BACKENDS
from lanwise.dnssd.browser import BrowseTarget
from lanwise.dnssd.model import IPAddress
from lanwise.errors import UsageError

__all__ = [
    "EventPrinter",
    "add_common_options",
    "add_parser",
    "add_timeout_option",
    "backend_of",
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
    """``-i IFACE`` (repeatable), ``-4``, ``-6``, ``--backend engine|avahi``."""
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
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="engine",
        help="engine: lanwise's own mDNS responder (default); avahi: the host's "
        "avahi-daemon over D-Bus ($DBUS_SYSTEM_BUS_ADDRESS or the system bus)",
    )


def add_timeout_option(parser: argparse.ArgumentParser, default: float) -> None:
    """``--timeout S``: a number of seconds > 0 (anything else exits 2)."""
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=default,
        help=f"seconds to wait for an answer, > 0 (default {default:g})",
    )


def interfaces_of(args: argparse.Namespace) -> list[int | str] | None:
    """The ``-i`` selection: indexes as ints, names as given; None for the default."""
    if not args.interfaces:
        return None
    return [int(item) if item.isdigit() else item for item in args.interfaces]


def backend_of(args: argparse.Namespace) -> str:
    """The ``--backend`` chosen (``"engine"`` unless ``avahi`` was asked for)."""
    return str(getattr(args, "backend", "engine"))


def families_of(args: argparse.Namespace) -> tuple[int, ...]:
    return (args.family,) if args.family else (4, 6)


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


def _parsable_name(event: BrowseEvent) -> str:
    """The name field of a ``-p`` line. A §9 enumeration answer names a service
    type, whose dots separate labels: each label is escaped, the dots are not."""
    if event.type.is_enumeration:
        return ".".join(_escape_field(label) for label in event.name.split("."))
    return _escape_field(event.name)


def _display(text: str) -> str:
    """A name from the network made safe to print (:func:`lanwise.cli.output.escape`)."""
    return escape(text)


def _txt_text(info: ServiceInfo) -> str:
    return txt_text(info.txt_strings)


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


def _one_per_family(addresses: Collection[IPAddress]) -> list[IPAddress]:
    """avahi-browse's ``=`` lines show one address per protocol: a routable one
    before a link-local one, then the lowest."""
    best: dict[int, IPAddress] = {}
    for address in sorted(addresses, key=lambda a: (a.is_link_local, a.packed)):
        best.setdefault(address.version, address)
    return [best[version] for version in sorted(best)]


def format_parsable(event: BrowseEvent, families: Collection[int] = (4, 6)) -> list[str]:
    """avahi-browse ``-p`` lines: ``+``/``-`` one line; resolved ``=`` one per protocol."""
    stype = event.type
    head = [
        interface_name(event.interface),
        "",
        _parsable_name(event),
        str(stype),
        stype.domain,
    ]
    info = event.info if isinstance(event, ServiceAdded | ServiceUpdated) else None
    if info is None:
        head[1] = _protocol(families)
        return [";".join([_marker(event), *head])]
    lines: list[str] = []
    for address in _one_per_family(info.addresses.get(event.interface, ())):
        head[1] = f"IPv{address.version}"
        tail = [_escape_field(info.host), _address_text(address), str(info.port)]
        lines.append(";".join(["=", *head, *tail, _txt_text(info)]))
    return lines


def info_to_json(info: ServiceInfo) -> dict[str, Any]:
    """A resolved service in the documented JSON shape (docs/cli.md)."""
    return service_to_json(info)


def _event_name(event: BrowseEvent) -> str:
    # isinstance, not the exact class: subclasses (a resolving browse's added
    # event) are the same event to a reader.
    if isinstance(event, ServiceRemoved):
        return "removed"
    return "updated" if isinstance(event, ServiceUpdated) else "added"


def event_to_json(event: BrowseEvent) -> dict[str, Any]:
    """One browse event as plain JSON types: the event, where, and, once resolved,
    the resolved service's shape with that interface's addresses (docs/cli.md)."""
    out: dict[str, Any] = {
        "event": _event_name(event),
        "interface": json_interface_name(event.interface),
        "interface_index": event.interface,
        "name": json_text(event.name),
        "type": str(event.type),
        "domain": event.type.domain,
    }
    info = event.info if isinstance(event, ServiceAdded | ServiceUpdated) else None
    if info is not None:
        out.update(service_to_json(info, [event.interface]))
        out["name"] = json_text(event.name)
    return out


def overflow_to_json(event: BrowseOverflow) -> dict[str, Any]:
    """A :class:`BrowseOverflow` as JSON (docs/cli.md): from here on the browse is partial."""
    return {"event": "overflow", "limit": event.limit, "shed": event.shed}


def overflow_notice(event: BrowseOverflow) -> str:
    """The one stderr line for a :class:`BrowseOverflow`."""
    return (
        f"lanwise: the mDNS cache reached its bound of {event.limit} records asked for "
        f"and shed {event.shed}: what follows may be incomplete"
    )


def format_event(event: BrowseEvent) -> list[str]:
    """Readable lines for one browse event."""
    name = _display(event.name)
    # A wide-area answer (interface 0) is labelled with its domain instead.
    where = interface_name(event.interface) if event.interface else escape(event.type.domain)
    head = f"{_marker(event)} {where:<8} {name}  {event.type}"
    info = event.info if isinstance(event, ServiceAdded | ServiceUpdated) else None
    if info is None:
        return [head]
    addresses = " ".join(_address_text(a) for a in info.addresses.get(event.interface, ()))
    return [
        head,
        f"    host     {escape(info.host)}:{info.port}",
        f"    address  {addresses or '-'}",
        f"    txt      {_txt_text(info) or '-'}",
    ]


class EventPrinter:
    """Turns browse events into output lines, each visible change once.

    The browser reports a resolved service as "added" and, when a record is
    refreshed, "updated"; both print the same ``=`` lines. Lines are kept per
    (interface, instance, type) and, for ``-p``, per protocol: one that reads
    as before is not printed again. With ``once`` (``-t``), a resolved
    (instance, interface, protocol) prints at most once.
    """

    def __init__(self, style: str, families: Collection[int] = (4, 6), *, once: bool = False):
        self._style = style  # "text", "parsable" or "json"
        self._families = tuple(families)
        self._once = once
        self._shown: dict[tuple[Any, ...], str] = {}

    def write(self, event: BrowseEvent | BrowseOverflow) -> None:
        """Print ``event``: its lines on stdout; an overflow's notice on stderr
        (a JSON object on stdout with ``--json``)."""
        if isinstance(event, BrowseOverflow) and self._style != "json":
            print(overflow_notice(event), file=sys.stderr, flush=True)
            return
        for line in self.lines(event):
            print(line, flush=True)

    def lines(self, event: BrowseEvent | BrowseOverflow) -> list[str]:
        """The lines to print for ``event`` (none when nothing visible changed)."""
        if isinstance(event, BrowseOverflow):
            return [json_line(overflow_to_json(event))] if self._style == "json" else []
        base = (event.interface, event.name.lower(), event.type)
        if isinstance(event, ServiceRemoved):
            for key in [k for k in self._shown if k[:3] == base]:
                del self._shown[key]
            return [text for _, _, text in self._keyed(event)]
        out: list[str] = []
        for part, seen_as, text in self._keyed(event):
            key = (*base, part)
            before = self._shown.get(key)
            if before == seen_as or (self._once and before is not None and part != "+"):
                continue
            self._shown[key] = seen_as
            out.append(text)
        return out

    def _keyed(self, event: BrowseEvent) -> list[tuple[str, str, str]]:
        """(part, what a user sees, the line) for each line of the event."""
        if self._style == "json":
            data = event_to_json(event)
            line = json_line(data)
            data.pop("event")
            return [("", json_line(data), line)]
        if self._style == "parsable":
            return [
                ("+" if line.startswith("+") else line.split(";", 3)[2], line[1:], line)
                for line in format_parsable(event, self._families)
            ]
        text = "\n".join(format_event(event))
        return [("", text[1:], text)]


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
        printer = EventPrinter(_style(args), families_of(args), once=args.terminate)
        return widearea.run_browse(args, printer.lines)
    target: BrowseTarget | None = None
    if args.type:
        target = BrowseTarget.parse(args.type)  # UsageError (exit 2) before any socket
    if args.terminate:
        return asyncio.run(_browse(args, target))  # Ctrl-C interrupts: exit 130
    # Without -t, Ctrl-C is how a browse ends: exit 0.
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_browse(args, target))
    return 0


def _style(args: argparse.Namespace) -> str:
    return "json" if args.json else "parsable" if args.parsable else "text"


async def _browse(args: argparse.Namespace, target: BrowseTarget | None) -> int:
    stype: ServiceType | str | None = None
    if target is not None:
        stype = args.type
    show_event = EventPrinter(_style(args), families_of(args), once=args.terminate)
    async with (
        open_responder(
            interfaces=interfaces_of(args),
            families=families_of(args),
            querier_only=True,
            backend=backend_of(args),
        ) as responder,
        responder.browse(stype, resolve=args.resolve) as browser,
    ):
        if not responder.interfaces:
            if args.terminate:
                print(
                    "lanwise: no local-network interface is up: nothing to browse",
                    file=sys.stderr,
                )
                return 1
            print(
                "lanwise: no local-network interface yet; browsing when one comes up",
                file=sys.stderr,
                flush=True,
            )

        async def show() -> None:
            async for event in browser:
                show_event.write(event)

        printer = asyncio.create_task(show())
        # RFC 6763 §11: also browse the legacy-browse domains, labelled by domain.
        legacy = asyncio.create_task(widearea.legacy_browse(args, show_event.lines))
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
    return 0


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
            detail = f"{escape(info.host)}:{info.port} " if info is not None else ""
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
