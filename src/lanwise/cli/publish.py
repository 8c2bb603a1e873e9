"""``lanwise publish NAME TYPE PORT [key=value ...]``: offer a service until interrupted.

The name is probed first (RFC 6762 §8.1); if another responder holds it the
service is renamed (``"Name (2)"``) and the new name printed. Ctrl-C or
SIGTERM withdraw it: goodbye packets (TTL 0, §10.1) go out before the exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from lanwise.cli.browse import add_common_options, families_of, interface_name, interfaces_of
from lanwise.cli.hostmode import add_host_mode_option, holder_line
from lanwise.dnssd import Registration, Service, open_responder

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
    parser.add_argument("port", metavar="PORT", type=int, help="port number 1..65535")
    parser.add_argument(
        "txt", nargs="*", metavar="key=value", help="TXT strings (a bare key is a boolean)"
    )
    parser.add_argument(
        "--subtype",
        dest="subtypes",
        action="append",
        default=[],
        metavar="S",
        help="a subtype, e.g. _printer or _printer._sub._http._tcp; may be repeated",
    )
    parser.add_argument(
        "--host", metavar="HOST", help="host name for the SRV target (default: this host)"
    )
    add_common_options(parser)
    add_host_mode_option(parser)
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


def _on_rename(registration: Registration, old: str, new: str) -> None:
    print(f"Name conflict: '{old}' renamed to '{new}'", flush=True)


async def _publish(args: argparse.Namespace, service: Service) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with open_responder(
            interfaces=interfaces_of(args), families=families_of(args), host=args.host_mode
        ) as responder:
            if not responder.interfaces:
                print(
                    "lanwise: no local-network interface yet; publishing when one comes up",
                    file=sys.stderr,
                )
            registration = await responder.register(service, wait=False)
            registration.add_rename_callback(_on_rename)
            waiter = asyncio.create_task(registration.wait_established())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if waiter.done():
                where = ", ".join(interface_name(i) for i in sorted(registration.interfaces))
                print(
                    f"Established under name '{registration.name}' on {where} "
                    f"({holder_line(responder)})",
                    flush=True,
                )
            else:
                waiter.cancel()
            await stopper
            # Leaving the block withdraws the registration: goodbyes go out now.
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
