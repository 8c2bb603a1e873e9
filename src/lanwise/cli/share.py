"""``lanwise share PORT``: advertise a local server and show, live, how to reach it.

The port is published as a DNS-SD service (lanwise's own responder, no daemon
needed) unless ``--no-advertise``; then every change of interfaces, addresses
or the service's name prints a fresh snapshot: service name, ``host.local``
URL, per-interface URLs, and a terminal QR code of the best URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from lanwise.cli.output import escape
from lanwise.errors import LanwiseError, UsageError
from lanwise.interfaces.lookup import find_interface, list_interfaces
from lanwise.interfaces.model import Interface
from lanwise.interfaces.monitor import open_monitor
from lanwise.net.info import ConnectionInfo, InfoState, build_connection_info
from lanwise.net.listen import interface_matcher
from lanwise.net.urls import format_url

__all__ = ["add_parser", "format_info", "qr_text", "run"]

_DEFAULT_TYPES = {"http": "_http._tcp", "https": "_https._tcp", "ssh": "_ssh._tcp"}


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "share",
        help="advertise a local port and show how other devices reach it",
        description="Advertise a local server's port over DNS-SD and print, as they change, "
        "its service name, its host.local URL and every interface's URLs (wired first, "
        "IPv6 bracketed, link-local with its zone), with a QR code of the best URL.",
    )
    parser.add_argument("port", type=int, metavar="PORT", help="the local server's port")
    parser.add_argument("--name", help="the DNS-SD instance name (default: HOST port PORT)")
    parser.add_argument(
        "--type",
        dest="service_type",
        metavar="TYPE",
        help="the DNS-SD service type, e.g. _http._tcp (default: from --scheme)",
    )
    parser.add_argument("--scheme", default="http", help="the URL scheme (default http)")
    parser.add_argument("--path", default="", help="a path to append to each URL")
    parser.add_argument(
        "--interface",
        dest="interfaces",
        action="append",
        metavar="NAME|INDEX",
        help="only this interface (may be repeated); default: every interface",
    )
    parser.add_argument(
        "--no-advertise", action="store_true", help="do not publish a DNS-SD service"
    )
    parser.add_argument("--no-qr", action="store_true", help="do not print a QR code")
    parser.add_argument("--json", action="store_true", help="print one JSON object per snapshot")
    parser.add_argument("--once", action="store_true", help="print one snapshot and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError("PORT", "must be 1-65535", args.port)
    # A bad --scheme is the user's mistake: say so now, before anything is advertised.
    format_url(args.scheme, "localhost", args.port, args.path)
    if args.interfaces:
        known = list_interfaces()
        # Unknown names are the user's mistake (UsageError, exit 2); keep indexes.
        args.interfaces = [str(find_interface(known, ref).index) for ref in args.interfaces]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_share(args, sys.stdout))
    return 0


def qr_text(url: str) -> str:
    """A QR code of ``url`` drawn with block characters (two modules per character row)."""
    import segno  # noqa: PLC0415 - only the share command draws QR codes

    out = io.StringIO()
    segno.make(url, error="m", micro=False).terminal(out=out, compact=True, border=2)
    return out.getvalue()


def format_info(info: ConnectionInfo, *, advertised: str | None, qr: bool) -> str:
    """The human-readable snapshot."""
    lines: list[str] = []
    if info.service_name:
        lines.append(f"service  {escape(info.service_name)}  ({info.service_type}, DNS-SD)")
    elif advertised:
        lines.append(f"service  not advertised: {escape(advertised)}")
    if info.state == InfoState.NO_INTERFACE:
        lines.append("no usable network interface: connect this host to a network (waiting)")
        return "\n".join(lines) + "\n"
    if info.host_url:
        lines.append(f"host     {escape(info.host_url)}")
    for iface in info.interfaces:
        lines.append(f"{escape(iface.name)} ({iface.type.value}, #{iface.index})")
        lines.extend(f"  {escape(a.url)}" for a in iface.addresses)
    best = info.best_url
    if best:
        if qr:
            lines.append(qr_text(best).rstrip("\n"))
        lines.append(f"best     {escape(best)}")
    return "\n".join(lines) + "\n"


async def _share(args: argparse.Namespace, out: TextIO) -> None:
    serves: Callable[[Interface], bool] | None = (
        interface_matcher([int(i) if i.isdigit() else i for i in args.interfaces])
        if args.interfaces
        else None
    )
    changed = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        advert = _Advert(args)
        note = await advert.start(stack, serves, changed.set)
        monitor = await stack.enter_async_context(open_monitor())
        last: ConnectionInfo | None = None

        async def follow() -> None:
            async for _event in monitor:
                changed.set()

        watcher = asyncio.create_task(follow())
        try:
            while True:
                info = build_connection_info(
                    monitor.snapshot().values(),
                    args.port,
                    scheme=args.scheme,
                    host_name=advert.host_name,
                    service_name=advert.service_name,
                    service_type=advert.service_type,
                    serves=serves,
                    path=args.path,
                )
                if info != last:
                    last = info
                    if args.json:
                        data = info.to_json()
                        data["best_url"] = info.best_url
                        data["advertise_error"] = note
                        out.write(json.dumps(data) + "\n")
                    else:
                        out.write(format_info(info, advertised=note, qr=not args.no_qr) + "\n")
                    out.flush()
                    if args.once:
                        return
                changed.clear()
                await changed.wait()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


class _Advert:
    """The DNS-SD side of ``share``: optional, and never fatal."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._args = args
        self._registration: Any = None
        self._responder: Any = None
        self.service_type: str | None = None

    @property
    def service_name(self) -> str | None:
        return None if self._registration is None else str(self._registration.name)

    @property
    def host_name(self) -> str | None:
        if self._responder is None:
            return None
        return str(self._responder.transport.engine.host_name)

    async def start(
        self,
        stack: contextlib.AsyncExitStack,
        serves: Callable[[Interface], bool] | None,
        on_change: Callable[[], None],
    ) -> str | None:
        """Register the service; returns why it is not advertised, or None."""
        args = self._args
        if args.no_advertise:
            return "--no-advertise"
        try:
            from lanwise.dnssd import Service, open_responder  # noqa: PLC0415 - optional part
        except ImportError as exc:  # pragma: no cover - dnssd ships with lanwise
            return f"DNS-SD is not available ({exc})"
        import socket  # noqa: PLC0415

        service_type = args.service_type or _DEFAULT_TYPES.get(args.scheme.lower(), "_http._tcp")
        name = args.name or f"{socket.gethostname()} port {args.port}"
        txt = {"path": args.path} if args.path else None
        service = Service(name, service_type, args.port, txt)  # UsageError on bad input
        try:
            self._responder = await stack.enter_async_context(open_responder(interfaces=serves))
            self._registration = await self._responder.register(service, timeout=10)
        except (LanwiseError, OSError, TimeoutError) as exc:
            self._responder = self._registration = None
            return str(exc) or type(exc).__name__
        self.service_type = service_type
        self._registration.add_rename_callback(lambda *_: on_change())
        return None
