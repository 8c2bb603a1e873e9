"""``lanwise publish NAME TYPE PORT [key=value ...]``: offer a service until interrupted.

The name is probed first (RFC 6762 §8.1); if another responder holds it the
service is renamed (``"Name (2)"``) and the new name printed. Ctrl-C or
SIGTERM withdraw it: goodbye packets (TTL 0, §10.1) go out before the exit.
With ``--backend avahi`` the host's avahi-daemon holds the service; if the
daemon stops and does not come back, that is printed to stderr.

``--host NAME --address ADDR`` (repeatable) also publishes NAME.local with those
addresses, like ``avahi-publish -a``; without NAME TYPE PORT only that.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from lanwise.cli import widearea
from lanwise.cli.browse import add_common_options, backend_of, families_of, interfaces_of
from lanwise.cli.output import escape, interface_name
from lanwise.cli.parsing import port_number
from lanwise.dnssd import HostRegistration, Service, open_responder
from lanwise.dnssd.avahi import AvahiRegistration
from lanwise.dnssd.backend import DnssdRegistration
from lanwise.dnssd.hosts import parse_address
from lanwise.dnssd.responder import Registration, Responder
from lanwise.errors import LanwiseError, UsageError
from lanwise.mdns.registration import AddressRecords

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "publish",
        help="publish a DNS-SD service (or a host's addresses) until interrupted",
        description="Publish a service instance over multicast DNS (RFC 6763); with "
        "--host H --address A, also H.local with those addresses (like avahi-publish -a); "
        "with --host and --address but no service, only the addresses. Stays up until "
        "Ctrl-C or SIGTERM, then sends goodbyes. Exits 1 if another host holds H.local.",
    )
    parser.add_argument(
        "name", metavar="NAME", nargs="?", help="instance name (UTF-8, up to 63 octets)"
    )
    parser.add_argument("type", metavar="TYPE", nargs="?", help="service type, e.g. _http._tcp")
    parser.add_argument(
        "port", metavar="PORT", nargs="?", type=port_number, help="port number 1..65535"
    )
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
    parser.add_argument(
        "--address",
        dest="addresses",
        action="append",
        default=[],
        metavar="ADDR",
        help="publish HOST.local with this address (A/AAAA and reverse PTR); may be repeated",
    )
    parser.add_argument(
        "--no-reverse",
        dest="reverse",
        action="store_false",
        help="with --address: publish no reverse-mapping PTRs (avahi-publish -R)",
    )
    parser.add_argument(
        "--rename-host",
        action="store_true",
        help="with --address: take HOST-2 if another host holds HOST (default: exit 1)",
    )
    add_common_options(parser)
    widearea.add_publish_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Every UsageError (exit 2) comes before any socket.
    if args.addresses and args.host is None:
        raise UsageError("--address", "needs --host NAME (the name the addresses get)")
    if args.addresses and (backend_of(args) == "avahi" or args.domain):
        raise UsageError("--address", "publishes .local host records on the engine backend")
    if args.addresses:
        addresses = tuple(parse_address(a)[0] for a in args.addresses)
        AddressRecords(args.host, addresses, reverse=args.reverse, rename=args.rename_host)
    service: Service | None = None
    if args.name is not None or not args.addresses:
        if args.port is None:
            raise UsageError("NAME TYPE PORT", "give a service, or --host and --address only")
        service = Service(
            args.name,
            args.type,
            args.port,
            list(args.txt),
            subtypes=args.subtypes,
            host=args.host,
        )
    elif args.txt or args.subtypes:
        raise UsageError("key=value / --subtype", "belong to a service (NAME TYPE PORT)")
    if args.domain:
        assert service is not None  # --address is refused with -d above
        return widearea.run_publish(args, service)
    asyncio.run(_publish(args, service))
    return 0


def _on_rename(registration: DnssdRegistration | HostRegistration, old: str, new: str) -> None:
    print(f"Name conflict: '{escape(old)}' renamed to '{escape(new)}'", flush=True)


def _on_error(registration: AvahiRegistration, error: LanwiseError) -> None:
    # avahi-daemon stopped or refused: said at once, not lost in silence.
    print(f"lanwise: {escape(str(error))}", file=sys.stderr, flush=True)


def _on_warning(registration: Registration, message: str) -> None:
    print(f"lanwise: warning: {escape(message)}", file=sys.stderr, flush=True)


def _established(registration: DnssdRegistration | HostRegistration, reverse: bool) -> str:
    where = ", ".join(interface_name(i) for i in sorted(registration.interfaces))
    if not isinstance(registration, HostRegistration):
        return f"Established under name '{escape(registration.name)}' on {where}"
    shown = ", ".join(map(str, registration.addresses))
    line = f"Established host '{escape(registration.name)}' ({shown}) on {where}"
    held = [str(a) for a in registration.addresses if a not in registration.reverse]
    if reverse and held:
        line += f"; reverse mapping of {', '.join(held)} left to the host answering for it"
    return line


async def _publish(args: argparse.Namespace, service: Service | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        # Only addresses: no host name of our own is needed (nothing else is published).
        async with open_responder(
            interfaces=interfaces_of(args),
            families=families_of(args),
            querier_only=service is None,
            backend=backend_of(args),
        ) as responder:
            if not responder.interfaces:
                print(
                    "lanwise: no local-network interface yet; publishing when one comes up",
                    file=sys.stderr,
                )
            registrations: list[DnssdRegistration | HostRegistration] = []
            if args.addresses:
                assert isinstance(responder, Responder)  # run() refused --address with avahi
                host = await responder.register_host(
                    args.host,
                    args.addresses,
                    reverse=args.reverse,
                    rename=args.rename_host,
                    wait=False,
                )
                host.add_rename_callback(_on_rename)
                registrations.append(host)
            if service is not None:
                registration = await responder.register(service, wait=False)
                registration.add_rename_callback(_on_rename)
                if isinstance(registration, Registration):
                    registration.add_warning_callback(_on_warning)
                if isinstance(registration, AvahiRegistration):
                    registration.add_error_callback(_on_error)
                registrations.append(registration)
            waits = [asyncio.ensure_future(r.wait_established()) for r in registrations]
            waiter: asyncio.Future[Any] = asyncio.gather(*waits)
            stopper: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if waiter.done():
                for wait in waits:
                    wait.cancel()  # the others, when one failed
                waiter.result()  # NameConflictError: another host holds --host (exit 1)
                for done in registrations:
                    print(_established(done, args.reverse), flush=True)
            else:
                waiter.cancel()
            await stopper
            # Leaving the block withdraws the registrations: goodbyes go out now.
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
