"""``lanwise publish NAME TYPE PORT [key=value ...]``: offer a service until interrupted.

The name is probed first (RFC 6762 §8.1); if another responder holds it the
service is renamed (``"Name (2)"``) and the new name printed. Ctrl-C or
SIGTERM withdraw it: goodbye packets (TTL 0, §10.1) go out before the exit.
With ``--backend avahi`` the host's avahi-daemon holds the service; if the
daemon stops and does not come back, that is printed to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from lanwise.cli.browse import add_common_options, backend_of, families_of, interfaces_of
from lanwise.cli.output import escape, interface_name
from lanwise.cli.parsing import port_number
from lanwise.dnssd import Service, open_responder
from lanwise.dnssd.avahi import AvahiRegistration
from lanwise.dnssd.backend import DnssdRegistration
from lanwise.errors import LanwiseError

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "publish",
        help="publish a DNS-SD service until interrupted",
        description="Publish a service instance over multicast DNS (RFC 6763). Stays up "
        "until Ctrl-C or SIGTERM, then sends goodbyes.",
    )
    parser.add_argument("name", metavar="NAME", help="instance name (UTF-8, up to 63 octets)")
    parser.add_argument("type", metavar="TYPE", help="service type, e.g. _http._tcp")
    parser.add_argument("port", metavar="PORT", type=port_number, help="port number 1..65535")
    parser.add_argument(
        "txt", nargs="*", metavar="key=value", help="TXT strings (a bare key is a boolean)"
    )
    parser.add_argument(
        "--subtype",
        dest="subtypes",
        action="append",
        default=[],
        metavar="S",
        help="a subtype starting with '_', e.g. _printer or _printer._sub._http._tcp; "
        "may be repeated",
    )
    parser.add_argument(
        "--host", metavar="HOST", help="host name for the SRV target (default: this host)"
    )
    add_common_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    service = Service(
        args.name,
        args.type,
        args.port,
        list(args.txt),
        subtypes=args.subtypes,
        host=args.host,
    )  # UsageError (exit 2) before any socket
    asyncio.run(_publish(args, service))
    return 0


def _on_rename(registration: DnssdRegistration, old: str, new: str) -> None:
    print(f"Name conflict: '{escape(old)}' renamed to '{escape(new)}'", flush=True)


def _on_error(registration: AvahiRegistration, error: LanwiseError) -> None:
    # avahi-daemon stopped or refused: said at once, not lost in silence.
    print(f"lanwise: {escape(str(error))}", file=sys.stderr, flush=True)


async def _publish(args: argparse.Namespace, service: Service) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with open_responder(
            interfaces=interfaces_of(args), families=families_of(args), backend=backend_of(args)
        ) as responder:
            if not responder.interfaces:
                print(
                    "lanwise: no local-network interface yet; publishing when one comes up",
                    file=sys.stderr,
                )
            registration = await responder.register(service, wait=False)
            registration.add_rename_callback(_on_rename)
            if isinstance(registration, AvahiRegistration):
                registration.add_error_callback(_on_error)
            waiter = asyncio.create_task(registration.wait_established())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if waiter.done():
                where = ", ".join(interface_name(i) for i in sorted(registration.interfaces))
                name = escape(registration.name)
                print(f"Established under name '{name}' on {where}", flush=True)
            else:
                waiter.cancel()
            await stopper
            # Leaving the block withdraws the registration: goodbyes go out now.
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
