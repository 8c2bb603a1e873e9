"""``lanwise proxy --link IFACE=DOMAIN``: run a Discovery Proxy (RFC 8766).

Each ``--link`` serves one interface's mDNS as a unicast DNS zone; the servers
listen on UDP and TCP port 53 of the links' routable addresses, or where
``--listen`` says. ``--push-port`` with ``--tls-cert``/``--tls-key`` adds DNS
Push (RFC 8765) on TLS and its ``_dns-push-tls._tcp`` SRV record. Runs until
Ctrl-C or SIGTERM; ``--stats SECONDS`` prints the counters as one JSON object
per line meanwhile, and once more on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import signal
import sys
from typing import Any

from lanwise.cli.output import escape
from lanwise.cli.parsing import positive_seconds
from lanwise.errors import UsageError
from lanwise.proxy.answering import DEFAULT_WAIT
from lanwise.proxy.api import DEFAULT_PORT, DiscoveryProxy, Service, serve
from lanwise.proxy.limits import DEFAULT_BURST, DEFAULT_RATE
from lanwise.proxy.names import parse_domain
from lanwise.proxy.push import PushLimits, push_service, server_ssl_context
from lanwise.proxy.pushconn import DEFAULT_SESSIONS_PER_CLIENT, DEFAULT_SUBSCRIPTIONS

__all__ = ["add_parser", "parse_link", "run", "services", "statistics_dict"]


def parse_link(text: str) -> tuple[str, str]:
    """``IFACE=DOMAIN`` as (interface, domain); checked when the proxy starts."""
    interface, sep, domain = text.partition("=")
    if not sep or not interface or not domain:
        raise argparse.ArgumentTypeError(f"expected IFACE=DOMAIN, not {text!r}")
    return interface, domain


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port must be an integer 0-65535, not {text!r}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, not {text!r}")
    return value


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "proxy",
        help="serve links' mDNS as unicast DNS zones (Discovery Proxy, RFC 8766)",
        description="Run a Discovery Proxy: each --link serves one interface's multicast "
        "DNS as a unicast DNS zone (questions for NAME.DOMAIN are asked on the link as "
        "NAME.local, answers rewritten back). Delegate each DOMAIN to this host from its "
        "parent zone. Ctrl-C or SIGTERM stops it.",
    )
    parser.add_argument(
        "--link",
        dest="links",
        action="append",
        required=True,
        type=parse_link,
        metavar="IFACE=DOMAIN",
        help="serve interface IFACE (name or index) as DOMAIN, e.g. eth0=lan-a.example.test "
        "(repeat for more links)",
    )
    parser.add_argument(
        "--listen",
        action="append",
        metavar="ADDR[:PORT]",
        help="listen on this address ([V6]:PORT for IPv6 with a port; repeatable); "
        "default: every routable address of the links",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"the port when --listen gives none (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--wait",
        type=positive_seconds,
        default=DEFAULT_WAIT,
        metavar="SECONDS",
        help=f"how long an uncached answer waits for the link (default {DEFAULT_WAIT:g}, "
        "RFC 8766 §5.6)",
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        default=DEFAULT_RATE,
        metavar="QPS",
        help=f"queries a second per client address (default {DEFAULT_RATE:g})",
    )
    parser.add_argument(
        "--burst",
        type=_rate,
        default=DEFAULT_BURST,
        metavar="N",
        help=f"queries one client may send at once (default {DEFAULT_BURST:g})",
    )
    parser.add_argument(
        "--stats",
        type=positive_seconds,
        metavar="SECONDS",
        help="print the counters as a JSON line every SECONDS, and on exit",
    )
    parser.add_argument(
        "--ns",
        dest="ns_name",
        metavar="NAME",
        help="the proxy's host name in each zone's NS and SOA, e.g. the name the parent "
        "zone delegates to (default: each domain's apex, served with the proxy's addresses)",
    )
    parser.add_argument(
        "-4", dest="families", action="store_const", const=(4,), help="mDNS over IPv4 only"
    )
    parser.add_argument(
        "-6", dest="families", action="store_const", const=(6,), help="mDNS over IPv6 only"
    )
    push = parser.add_argument_group("DNS Push (RFC 8765 over TLS)")
    push.add_argument(
        "--push-port",
        type=_port,
        metavar="PORT",
        help="serve DNS Push on this TCP port (TLS; 853 is usual) and advertise it as "
        "_dns-push-tls._tcp.DOMAIN SRV; needs --tls-cert and --tls-key",
    )
    push.add_argument("--tls-cert", metavar="FILE", help="the certificate chain (PEM) for Push")
    push.add_argument("--tls-key", metavar="FILE", help="its private key (PEM)")
    push.add_argument(
        "--push-host",
        metavar="NAME",
        help="the host name the SRV record names and the certificate carries "
        "(default: the proxy's NS name, --ns, else each domain's apex)",
    )
    push.add_argument(
        "--push-sessions-per-client",
        type=_count,
        default=DEFAULT_SESSIONS_PER_CLIENT,
        metavar="N",
        help=f"Push sessions one address may hold (default {DEFAULT_SESSIONS_PER_CLIENT}); "
        "more are answered REFUSED with a Retry Delay",
    )
    push.add_argument(
        "--push-subscriptions",
        type=_count,
        default=DEFAULT_SUBSCRIPTIONS,
        metavar="N",
        help="subscriptions one session may hold "
        f"(default {DEFAULT_SUBSCRIPTIONS}); more are REFUSED",
    )
    parser.set_defaults(func=run, families=(4, 6))


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {text!r}")
    return int(text)


def services(args: argparse.Namespace) -> list[Service]:
    """What else runs beside the DNS servers, from the options: DNS Push with --push-port."""
    if args.push_port is None:
        for option in ("tls_cert", "tls_key", "push_host"):
            if getattr(args, option) is not None:
                raise UsageError("--" + option.replace("_", "-"), "only with --push-port")
        return []
    if not args.tls_cert or not args.tls_key:
        raise UsageError("--push-port", "needs --tls-cert and --tls-key (DNS Push runs on TLS)")
    try:
        context = server_ssl_context(args.tls_cert, args.tls_key)
    except UsageError as exc:
        raise UsageError("--" + exc.field.replace("_", "-"), exc.rule, exc.value) from None
    limits = PushLimits(
        sessions_per_client=args.push_sessions_per_client,
        subscriptions_per_session=args.push_subscriptions,
    )
    try:
        return [push_service(context, args.push_port, srv_target=args.push_host, limits=limits)]
    except UsageError as exc:
        raise _as_option(exc) from None


# The API's field names that an option of this command sets.
_OPTIONS = {"srv_target": "--push-host", "port": "--push-port", "ns_name": "--ns"}


def _as_option(exc: UsageError) -> UsageError:
    return UsageError(_OPTIONS.get(exc.field, exc.field), exc.rule, exc.value)


def run(args: argparse.Namespace) -> int:
    if args.burst < 1:
        raise UsageError("--burst", "at least 1 query", args.burst)
    services(args)  # option errors before anything starts
    if args.ns_name is not None:
        try:
            parse_domain(args.ns_name, "ns_name")
        except UsageError as exc:
            raise _as_option(exc) from None
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


async def _serve(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serve(
        args.links,
        listen=args.listen,
        port=args.port,
        wait=args.wait,
        rate=args.rate,
        burst=args.burst,
        families=args.families,
        services=services(args),
        ns_name=args.ns_name,
    ) as proxy:
        zones = ", ".join(
            f"#{zone.interface} as {escape(zone.domain.to_text())}" for zone in proxy.zones
        )
        where = ", ".join(_endpoint(host, port) for host, port in proxy.addresses)
        print(
            f"lanwise: Discovery Proxy for {zones}; DNS on {where}; Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        if args.stats:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), args.stats)
                _print_stats(proxy)
                if stop.is_set():
                    break
        else:
            await stop.wait()


def _endpoint(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def statistics_dict(proxy: DiscoveryProxy) -> dict[str, Any]:
    """The proxy's counters, JSON-ready."""
    stats = proxy.statistics()
    return {
        "answers": dataclasses.asdict(stats.answers),
        "servers": dataclasses.asdict(stats.servers),
        "mdns": {
            "packets_received": stats.mdns.engine.packets_received,
            "packets_sent": stats.mdns.engine.packets_sent,
            "send_errors": stats.mdns.send_errors,
            "cache_size": stats.mdns.engine.cache_size,
        },
        "rate_limited_clients": stats.rate_limited_clients,
    }


def _print_stats(proxy: DiscoveryProxy) -> None:
    sys.stdout.write(json.dumps(statistics_dict(proxy)) + "\n")
    sys.stdout.flush()
