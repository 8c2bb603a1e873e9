"""The wide-area parts of ``lanwise browse`` and ``lanwise publish``: ``-d DOMAIN``.

``browse -d example.test TYPE`` browses a unicast DNS domain through the host's
resolvers (or ``--server``); ``publish -d example.test … --tsig-key FILE``
registers by DNS UPDATE and keeps the lease until Ctrl-C, then deletes what it
added. ``browse`` without ``-d`` also browses the legacy-browse (``lb``) domains
the network suggests (RFC 6763 §11), each result labelled with its domain.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lanwise.cli.output import escape
from lanwise.dnssd import BrowseEvent, Service
from lanwise.errors import LanwiseError
from lanwise.net.resolvers import RESOLV_CONF
from lanwise.widearea import (
    DnsServerError,
    LeaseLost,
    LeaseRefreshFailed,
    WideAreaRegistration,
    enumerate_domains,
    open_registrar,
)
from lanwise.widearea import browse as widearea_browse
from lanwise.widearea.lease import DEFAULT_LEASE
from lanwise.widearea.polling import DEFAULT_POLL_FLOOR

TERMINATE_QUIET = 1.5  # seconds without news that end a -t browse

__all__ = [
    "add_browse_options",
    "add_publish_options",
    "legacy_browse",
    "run_browse",
    "run_publish",
]


def _add_shared(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-d",
        "--domain",
        metavar="DOMAIN",
        help="a unicast DNS domain (wide-area DNS-SD, RFC 6763 §11) instead of .local",
    )
    parser.add_argument(
        "--server",
        metavar="ADDR",
        help="with -d: the DNS server to ask (ADDR or ADDR:PORT; default: resolv.conf's)",
    )
    parser.add_argument("--resolv-conf", type=Path, default=RESOLV_CONF, help=argparse.SUPPRESS)


def add_browse_options(parser: argparse.ArgumentParser) -> None:
    """``-d DOMAIN``, ``--server ADDR``, ``--poll-floor S``, ``--push-ca FILE``, ``--no-push``."""
    _add_shared(parser)
    parser.add_argument(
        "--poll-floor",
        type=float,
        default=DEFAULT_POLL_FLOOR,
        metavar="S",
        help=f"with -d: never ask again sooner than this (default {DEFAULT_POLL_FLOOR:g} s)",
    )
    parser.add_argument(
        "--push-ca",
        type=Path,
        metavar="FILE",
        help="with -d: trust the DNS Push server's certificate if this PEM CA file signed it "
        "(default: the system trust store; see docs/push.md)",
    )
    parser.add_argument(
        "--no-push",
        dest="push",
        action="store_false",
        help="with -d: poll only, even where the domain offers DNS Push (RFC 8765)",
    )


def add_publish_options(parser: argparse.ArgumentParser) -> None:
    """``-d DOMAIN``, ``--server ADDR``, ``--tsig-key FILE``, ``--lease S``."""
    _add_shared(parser)
    parser.add_argument(
        "--tsig-key",
        type=Path,
        metavar="FILE",
        help="with -d: sign updates with this key (BIND key-file format, as tsig-keygen writes)",
    )
    parser.add_argument(
        "--lease",
        type=int,
        default=DEFAULT_LEASE,
        metavar="S",
        help=f"with -d: the lease to ask for in seconds (default {DEFAULT_LEASE})",
    )


Lines = Callable[[BrowseEvent], list[str]]


def _emitter(lines: Lines) -> Callable[[BrowseEvent], None]:
    """Print what the shared browse printer makes of each event (docs/cli.md)."""

    def emit(event: BrowseEvent) -> None:
        for line in lines(event):
            print(line, flush=True)

    return emit


async def _browse_domain(
    args: argparse.Namespace, domain: str, emit: Callable[[BrowseEvent], None]
) -> None:
    stream = widearea_browse(
        args.type,
        domain,
        resolve=args.resolve,
        servers=args.server,
        resolv_conf=args.resolv_conf,
        poll_floor=args.poll_floor,
        push=args.push,
        push_ca=args.push_ca,
    )
    try:
        if args.terminate:
            # One round: the first answer's events, then stop once quiet.
            with contextlib.suppress(TimeoutError, StopAsyncIteration):
                while True:
                    emit(await asyncio.wait_for(anext(stream), TERMINATE_QUIET))
        else:
            async for event in stream:
                emit(event)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


def run_browse(args: argparse.Namespace, lines: Lines) -> int:
    """``lanwise browse -d DOMAIN TYPE``; ``lines`` turns an event into output lines
    (the ``.local`` browse's :class:`~lanwise.cli.browse.EventPrinter`)."""
    if not args.type:
        from lanwise.errors import UsageError  # noqa: PLC0415

        raise UsageError("TYPE", "browsing a unicast domain (-d) needs a service type")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_browse_domain(args, args.domain, _emitter(lines)))
    return 0


async def legacy_browse(args: argparse.Namespace, lines: Lines) -> None:
    """Browse every ``lb`` domain the network suggests (RFC 6763 §11), for ``browse`` without -d.

    Runs beside the ``.local`` browse; finds nothing (quietly) where no server answers.
    """
    if not args.type:
        return
    try:
        domains = await enumerate_domains(
            servers=args.server, resolv_conf=args.resolv_conf, kinds=("lb",)
        )
    except LanwiseError:
        return  # no resolver to ask: .local only
    names = sorted({entry.domain for entry in domains})
    emit = _emitter(lines)
    await asyncio.gather(
        *(_browse_domain(args, name, emit) for name in names), return_exceptions=True
    )


def run_publish(args: argparse.Namespace, service: Service) -> int:
    """``lanwise publish -d DOMAIN …``: register, keep the lease, delete on Ctrl-C/SIGTERM."""
    asyncio.run(_publish(args, service))
    return 0


def _on_event(registration: WideAreaRegistration, event: Any) -> None:
    # The error text may carry names and server text: escaped like every name.
    if isinstance(event, LeaseRefreshFailed):
        print(
            f"lanwise: lease refresh failed for '{escape(event.name)}': {escape(event.error)}",
            flush=True,
        )
    elif isinstance(event, LeaseLost):
        print(f"lanwise: lease lost for '{escape(event.name)}': {escape(event.error)}", flush=True)


async def _publish(args: argparse.Namespace, service: Service) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with open_registrar(
            args.domain,
            server=args.server,
            tsig=args.tsig_key,
            lease=args.lease,
            host=args.host,
            resolv_conf=args.resolv_conf,
        ) as registrar:
            registration = await registrar.register(service)
            registration.add_event_callback(_on_event)
            if registration.name != service.name:
                print(
                    f"Name conflict: '{escape(service.name)}' renamed to "
                    f"'{escape(registration.name)}'"
                )
            print(
                f"Registered '{escape(registration.name)}' in {escape(registration.zone)} "
                f"on {registration.server} (lease {registration.lease:g} s)",
                flush=True,
            )
            await stop.wait()
    except DnsServerError:
        raise
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
