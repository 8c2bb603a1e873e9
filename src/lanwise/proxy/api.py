"""Running a Discovery Proxy in-process: ``async with lanwise.proxy.serve(...) as proxy``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface
from math import isfinite
from typing import Any, TypeGuard

import dns.name
import dns.rrset

from lanwise.dns import Record as MdnsRecord
from lanwise.errors import UsageError
from lanwise.interfaces import Interface, list_interfaces
from lanwise.interfaces.lookup import find_interface
from lanwise.mdns.transport import MdnsTransport, TransportStatistics, open_mdns
from lanwise.proxy.answering import DEFAULT_MAX_UDP, DEFAULT_WAIT, Answerer, AnswerStatistics
from lanwise.proxy.limits import DEFAULT_BURST, DEFAULT_RATE, RateLimiter
from lanwise.proxy.links import LinkSource
from lanwise.proxy.names import parse_domain
from lanwise.proxy.records import reachable
from lanwise.proxy.server import DnsServers, ServerLimits, ServerStatistics, parse_endpoint
from lanwise.proxy.zones import Zone

__all__ = ["DiscoveryProxy", "ProxyStatistics", "Service", "serve"]

DEFAULT_PORT = 53
SWEEP_INTERVAL = 0.1  # seconds between looks for goodbyes (LinkSource.sweep)

_log = logging.getLogger(__name__)

Service = Callable[["DiscoveryProxy"], contextlib.AbstractAsyncContextManager[Any]]
"""Something more to run beside the DNS servers for as long as the proxy runs
(e.g. a DNS Push server on TLS, RFC 8765): called with the running proxy, its
context is entered after the DNS servers listen and left before they close."""

LinkSpecs = Mapping[str, str] | Mapping[int, str] | Iterable[tuple[str | int, str]]


@dataclass(frozen=True, slots=True)
class ProxyStatistics:
    """What a running proxy has done: DNS answers, its servers, and its mDNS side."""

    answers: AnswerStatistics
    servers: ServerStatistics
    mdns: TransportStatistics
    rate_limited_clients: int  # clients the rate limiter tracks now


class DiscoveryProxy:
    """A running Discovery Proxy (RFC 8766); get one from :func:`serve`.

    ``source`` is its :class:`~lanwise.proxy.source.RecordSource` (what other
    servers, e.g. DNS Push, serve from); ``zones`` the zone of each link;
    ``addresses`` the (host, port) pairs its UDP and TCP servers listen on.
    """

    def __init__(
        self, zones: list[Zone], source: LinkSource, servers: DnsServers, mdns: MdnsTransport
    ) -> None:
        self.zones = zones
        self.source = source
        self._servers = servers
        self._mdns = mdns

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return list(self._servers.addresses)

    @property
    def mdns(self) -> MdnsTransport:
        """The mDNS transport the proxy asks its links through."""
        return self._mdns

    def zone(self, domain: str | dns.name.Name) -> Zone:
        """The zone serving ``domain`` exactly; UsageError if none does."""
        name = parse_domain(domain) if isinstance(domain, str) else domain
        for zone in self.zones:
            if zone.domain == name:
                return zone
        raise UsageError("domain", "not one of the proxy's domains", str(domain))

    def add_record(self, rrset: dns.rrset.RRset) -> None:
        """Serve ``rrset`` as one of the proxy's own records in the zone that holds its
        owner (e.g. ``_dns-push-tls._tcp.<domain>`` SRV, RFC 8765 §6.1)."""
        zone = self.source.zone_of(rrset.name)
        if zone is None or not rrset.name.is_subdomain(zone.domain):
            raise UsageError("rrset", "an owner name in one of the proxy's domains", rrset.name)
        zone.add(rrset)

    def statistics(self) -> ProxyStatistics:
        return ProxyStatistics(
            self._servers.answerer.statistics(),
            self._servers.statistics(),
            self._mdns.statistics(),
            len(self._servers.limiter),
        )


def resolve_links(
    links: LinkSpecs, interfaces: list[Interface]
) -> list[tuple[Interface, dns.name.Name]]:
    """Each (interface, domain) of ``links``; UsageError naming the field that is wrong."""
    items: list[tuple[str | int, str]] = (
        list(links.items()) if isinstance(links, Mapping) else list(links)
    )
    if not items:
        raise UsageError("links", "at least one IFACE=DOMAIN")
    resolved: list[tuple[Interface, dns.name.Name]] = []
    for key, domain_text in items:
        interface = find_interface(interfaces, key)  # UsageError "interface" if unknown
        if interface.is_loopback:
            raise UsageError("interface", "a link with mDNS, not loopback", interface.name)
        domain = parse_domain(domain_text)
        for other, other_domain in resolved:
            if other.index == interface.index:
                raise UsageError("interface", "each link is served under one domain", key)
            if domain.is_subdomain(other_domain) or other_domain.is_subdomain(domain):
                raise UsageError(
                    "domain",
                    f"must not be at or under another link's ({other_domain})",
                    str(domain),
                )
        resolved.append((interface, domain))
    return resolved


def build_zone(
    interface: Interface, domain: dns.name.Name, ns_name: dns.name.Name | None = None
) -> Zone:
    """The zone of ``interface`` under ``domain``: the proxy's routable addresses there
    (NS glue), and its subnets (the reverse zones and enumeration names)."""
    addresses: list[IPv4Address | IPv6Address] = []
    subnets: list[IPv4Interface | IPv6Interface] = []
    for address in interface.addresses:
        # Privacy addresses come and go (RFC 8981): not one to delegate to.
        if (
            address.tentative
            or address.dad_failed
            or address.temporary
            or not reachable(address.address)
        ):
            continue
        addresses.append(address.address)
        subnets.append(address.interface)
    return Zone(domain, interface.index, addresses=addresses, subnets=subnets, ns_name=ns_name)


@contextlib.asynccontextmanager
async def serve(
    links: LinkSpecs,
    *,
    listen: Sequence[str | tuple[IPv4Address | IPv6Address, int]] | None = None,
    port: int = DEFAULT_PORT,
    wait: float = DEFAULT_WAIT,
    max_udp: int = DEFAULT_MAX_UDP,
    rate: float = DEFAULT_RATE,
    burst: float = DEFAULT_BURST,
    limits: ServerLimits | None = None,
    families: Collection[int] = (4, 6),
    mdns: MdnsTransport | None = None,
    services: Sequence[Service] = (),
    ns_name: str | None = None,
) -> AsyncIterator[DiscoveryProxy]:
    """Run a Discovery Proxy for the duration of the block.

    ``links`` maps each interface (name or index) to the domain its mDNS is
    served under, e.g. ``{"eth0": "lan-a.example.test"}``. The servers listen
    on UDP and TCP at ``listen`` (``"ADDR"``, ``"ADDR:PORT"``, ``"[V6]:PORT"``
    or (address, port) pairs; port 0 picks a free one), by default on every
    routable address of the served links, port ``port``. ``wait`` is how long
    an uncached answer waits for the link (RFC 8766 §5.6); ``rate``/``burst``
    the per-client token bucket (queries a second, at once); ``limits`` the
    other bounds (:class:`~lanwise.proxy.server.ServerLimits`). ``mdns``: ask
    the links through this running transport instead of opening one (it must
    serve the links' interfaces). ``services`` run beside the DNS servers (see
    :data:`Service`). ``ns_name``: the proxy's host name in each zone's NS and SOA
    (default: each zone's apex, served with the proxy's addresses); give the name
    the parent zone delegates to, e.g. ``proxy.example.test``.

    Raises :class:`~lanwise.errors.UsageError` naming the field for an unknown
    interface, a bad domain or address, and
    :class:`~lanwise.errors.PlatformError` when a socket cannot be opened.
    """
    _check_arguments(
        wait=wait,
        max_udp=max_udp,
        rate=rate,
        burst=burst,
        limits=limits,
        families=families,
        port=port,
        listen=listen,
    )
    ns = parse_domain(ns_name, "ns_name") if ns_name is not None else None
    resolved = resolve_links(links, list_interfaces())
    zones = [build_zone(interface, domain, ns) for interface, domain in resolved]
    endpoints = _endpoints(listen, port, zones, resolved)
    limiter = RateLimiter(rate, burst)
    async with contextlib.AsyncExitStack() as stack:
        if mdns is None:
            mdns = await stack.enter_async_context(
                open_mdns(interfaces=[zone.interface for zone in zones], families=families)
            )
        source = LinkSource(zones, mdns, reconfirm=_reconfirmer(mdns))
        stack.callback(source.close)
        sweeper = asyncio.get_running_loop().create_task(_sweep(source), name="proxy-sweep")
        stack.callback(sweeper.cancel)
        answerer = Answerer(source, wait=wait, max_udp=max_udp)
        servers = DnsServers(answerer, limiter, limits=limits)
        stack.push_async_callback(servers.wait_closed)
        stack.callback(servers.close)
        await servers.listen(endpoints)
        proxy = DiscoveryProxy(zones, source, servers, mdns)
        for service in services:
            await stack.enter_async_context(service(proxy))
        yield proxy


def _finite(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and isfinite(value)


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_arguments(
    *,
    wait: object,
    max_udp: object,
    rate: object,
    burst: object,
    limits: object,
    families: object,
    port: object,
    listen: object,
) -> None:
    """serve()'s plain arguments, before anything is opened; UsageError naming the field."""
    if not (_finite(wait) and wait > 0):
        raise UsageError("wait", "a finite number of seconds > 0", wait)
    if not _whole(max_udp, 512, 65535):
        raise UsageError("max_udp", "a whole number of octets 512-65535", max_udp)
    if not (isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate > 0):
        raise UsageError("rate", "a number of queries a second > 0", rate)
    if not (_finite(burst) and burst >= 1):
        raise UsageError("burst", "a finite number of queries >= 1", burst)
    if limits is not None and not isinstance(limits, ServerLimits):
        raise UsageError("limits", "a ServerLimits", limits)
    if (
        isinstance(families, (str, bytes))
        or not isinstance(families, Collection)
        or not families
        or not set(families) <= {4, 6}
    ):
        raise UsageError("families", "a non-empty collection of 4 and 6", families)
    if not _whole(port, 0, 65535):
        raise UsageError("port", "a whole number 0-65535", port)
    if listen is None:
        return
    if isinstance(listen, (str, bytes)) or not isinstance(listen, Sequence):
        raise UsageError("listen", "a sequence of addresses (ADDR, ADDR:PORT or pairs)", listen)
    for item in listen:
        if isinstance(item, str):
            continue
        if not (
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], (IPv4Address, IPv6Address))
            and _whole(item[1], 0, 65535)
        ):
            raise UsageError("listen", "an (IP address, port 0-65535) pair or a string", item)


async def _sweep(source: LinkSource) -> None:
    """Goodbyes reach subscribers when they arrive (see :meth:`LinkSource.sweep`)."""
    while True:
        await asyncio.sleep(SWEEP_INTERVAL)
        try:
            source.sweep()
        except Exception:
            _log.exception("proxy: sweeping the followed names failed")


def _reconfirmer(mdns: MdnsTransport) -> Callable[[MdnsRecord, int], bool]:
    def reconfirm(record: MdnsRecord, interface: int) -> bool:
        done = mdns.engine.reconfirm(record, interface, mdns.now())
        mdns.flush_soon()  # the engine's queries go out and its timer is re-armed
        return done

    return reconfirm


def _endpoints(
    listen: Sequence[str | tuple[IPv4Address | IPv6Address, int]] | None,
    port: int,
    zones: list[Zone],
    resolved: list[tuple[Interface, dns.name.Name]],
) -> list[tuple[IPv4Address | IPv6Address, int]]:
    if not 0 <= port <= 65535:
        raise UsageError("port", "0-65535", port)
    if listen is None:
        endpoints: list[tuple[IPv4Address | IPv6Address, int]] = []
        for zone, (interface, _) in zip(zones, resolved, strict=True):
            if not zone.addresses:
                raise UsageError(
                    "listen",
                    f"{interface.name} has no routable address to listen on; give one",
                )
            endpoints += [(address, port) for address in zone.addresses]
        return endpoints
    out: list[tuple[IPv4Address | IPv6Address, int]] = []
    for item in listen:
        if isinstance(item, tuple):
            out.append(item)
            continue
        try:
            out.append(parse_endpoint(item, port))
        except ValueError as exc:
            raise UsageError("listen", str(exc), item) from None
    if not out:
        raise UsageError("listen", "at least one address")
    return out
