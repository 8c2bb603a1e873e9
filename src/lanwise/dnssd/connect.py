"""Connecting by name: ``.local`` host names and DNS-SD service instances.

:func:`lanwise.net.connect` sits below this package (the layers' arrows point
down), so it knows no multicast DNS. It takes a ``resolver`` hook instead, and
the functions here pass one that asks lanwise's own querier:

- :func:`connect` — a host and port. ``name.local`` is resolved over mDNS (A
  and AAAA on every interface the responder serves; no nss-mdns needed); other
  names go to the system resolver, IP literals straight to the attempts.
- :func:`connect_service` — a service instance (name, type, domain), the way
  Network.framework's ``NWEndpoint.service`` works: SRV, TXT and addresses are
  resolved, then Happy Eyeballs runs over the addresses. The
  :class:`ServiceConnection` says which service it reached.

An address learned on an interface that only has meaning there (IPv6
``fe80::/10``, IPv4 ``169.254/16``) keeps that interface as its scope, and
every attempt to it is bound to that interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import TypedDict, Unpack

from lanwise.dnssd.model import HostInfo, IPAddress, ServiceInfo
from lanwise.dnssd.names import DEFAULT_DOMAIN, ServiceType
from lanwise.dnssd.responder import DEFAULT_RESOLVE_TIMEOUT, Responder, open_responder
from lanwise.errors import UsageError
from lanwise.interfaces.model import Interface, InterfaceType
from lanwise.net.connect import Connection, NameResolver
from lanwise.net.connect import connect as net_connect
from lanwise.net.endpoint import Endpoint, InterfaceRef
from lanwise.net.happy_eyeballs import Target

__all__ = ["ConnectOptions", "ServiceConnection", "connect", "connect_service", "is_local_name"]


class ConnectOptions(TypedDict, total=False):
    """The path options of :func:`lanwise.net.connect`, passed through unchanged."""

    required_interface: int | str | None
    required_interface_type: InterfaceType | str | None
    prohibited_interfaces: Iterable[int | str]
    prohibited_interface_types: Iterable[InterfaceType | str]
    prohibit_expensive: bool
    prohibit_constrained: bool
    local_address: str | IPv4Address | IPv6Address | None
    connection_attempt_delay: float
    limit: int
    interfaces: list[Interface] | None
    bus_address: str | None


class ServiceConnection(Connection):
    """A :class:`~lanwise.net.Connection` to a DNS-SD service instance.

    ``service`` is the :class:`ServiceInfo` it was resolved to (host, port,
    TXT, addresses per interface): the service this connection reached.
    """

    __slots__ = ("service",)

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        local: Endpoint,
        remote: Endpoint,
        interface: InterfaceRef,
        *,
        service: ServiceInfo,
    ) -> None:
        super().__init__(reader, writer, local, remote, interface)
        self.service = service

    def __repr__(self) -> str:
        return f"<ServiceConnection to {self.service} at {self.remote} over {self.interface.name}>"


def is_local_name(host: object) -> bool:
    """Whether ``host`` is a name in ``.local`` (RFC 6762 §3), answered by multicast DNS."""
    if not isinstance(host, str):
        return False
    name = host.rstrip(".").lower()
    return name.endswith("." + DEFAULT_DOMAIN) and _literal(host) is None


def _literal(host: str) -> IPAddress | None:
    try:
        return ip_address(host.strip("[]"))
    except ValueError:
        return None


def _scoped(address: IPAddress) -> bool:
    """Addresses that mean something only on the link they were learned on."""
    return address.is_link_local


def targets_from(addresses: Mapping[int, Sequence[IPAddress]], family: int) -> list[Target]:
    """Happy Eyeballs targets from addresses per interface (mDNS answers).

    Link-local addresses keep the interface they were learned on as their
    scope; the others may go over any eligible interface.
    """
    version = 6 if family == socket.AF_INET6 else 4
    found: list[Target] = []
    for index in sorted(addresses):
        for address in addresses[index]:
            if address.version != version:
                continue
            target = Target(address, index if _scoped(address) else 0)
            if target not in found:
                found.append(target)
    return found


def _host_resolver(
    responder: Responder, timeout: float
) -> tuple[NameResolver, list[asyncio.Task[HostInfo]]]:
    """A resolver asking mDNS once for both families (one query each, in parallel)."""
    tasks: list[asyncio.Task[HostInfo]] = []

    async def resolve(host: str, family: int) -> list[Target]:
        if not tasks:
            tasks.append(asyncio.ensure_future(responder.resolve_host(host, timeout=timeout)))
        info = await asyncio.shield(tasks[0])
        return targets_from(info.addresses, family)

    return resolve, tasks


def _fixed_resolver(addresses: Mapping[int, Sequence[IPAddress]]) -> NameResolver:
    async def resolve(host: str, family: int) -> list[Target]:
        return targets_from(addresses, family)

    return resolve


@contextlib.asynccontextmanager
async def _querier(
    responder: Responder | None, options: ConnectOptions
) -> AsyncIterator[Responder]:
    if responder is not None:
        yield responder
        return
    required = options.get("required_interface")
    async with open_responder(
        interfaces=None if required is None else [required], querier_only=True
    ) as opened:
        yield opened


def _check_timeout(timeout: float | None, field: str = "timeout") -> None:
    if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
        raise UsageError(field, "must be a number of seconds > 0", timeout)


async def connect(
    host: str | IPv4Address | IPv6Address,
    port: int,
    *,
    timeout: float | None = None,
    resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    responder: Responder | None = None,
    **options: Unpack[ConnectOptions],
) -> Connection:
    """Connect to ``host``:``port``; ``.local`` names are resolved over multicast DNS.

    The same as :func:`lanwise.net.connect` (same ``options``, same errors),
    except that a ``.local`` name is asked of lanwise's own mDNS querier — A
    and AAAA on every interface — instead of the system resolver. IPv6
    link-local answers carry the interface they came from, and each attempt
    to them is bound to it. A name nobody answers within ``resolve_timeout``
    (or ``timeout``, if shorter) ends in a :class:`~lanwise.net.ConnectError`
    (a :class:`~lanwise.net.ConnectTimeoutError` for ``timeout``) naming the
    name. ``responder``: an open responder to ask (default: a querier-only
    one opened for the call).
    """
    _check_timeout(timeout)
    _check_timeout(resolve_timeout, "resolve_timeout")
    if not is_local_name(host):
        return await net_connect(host, port, timeout=timeout, **options)
    assert isinstance(host, str)
    wait = resolve_timeout if timeout is None else min(timeout, resolve_timeout)
    async with _querier(responder, options) as querier:
        resolver, tasks = _host_resolver(querier, wait)
        try:
            return await net_connect(host, port, timeout=timeout, resolver=resolver, **options)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def connect_service(
    name: str,
    type: ServiceType | str,
    domain: str = DEFAULT_DOMAIN,
    *,
    timeout: float | None = None,
    resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    responder: Responder | None = None,
    **options: Unpack[ConnectOptions],
) -> ServiceConnection:
    """Connect to a DNS-SD service instance: ``connect_service("Kitchen", "_http._tcp")``.

    Resolves the instance's SRV, TXT and addresses over multicast DNS (RFC
    6763 §6, RFC 6762), then connects to the SRV port over the addresses
    with Happy Eyeballs (:func:`lanwise.net.connect`, same ``options``). The
    result's :attr:`ServiceConnection.service` is what was resolved.
    Raises :class:`~lanwise.dnssd.ResolveTimeoutError` (naming the instance)
    when it does not answer within ``resolve_timeout`` (or ``timeout``, if
    shorter), and the errors of :func:`lanwise.net.connect` after that.
    Only the ``local`` domain is served (multicast DNS).
    """
    _check_timeout(timeout)
    _check_timeout(resolve_timeout, "resolve_timeout")
    stype = type if isinstance(type, ServiceType) else ServiceType.parse(type)
    wanted_domain = domain.rstrip(".").lower()
    if wanted_domain != DEFAULT_DOMAIN or stype.domain.lower() != DEFAULT_DOMAIN:
        raise UsageError(
            "domain", "only 'local' (multicast DNS, RFC 6762) is served so far", domain
        )
    loop = asyncio.get_running_loop()
    started = loop.time()
    wait = resolve_timeout if timeout is None else min(timeout, resolve_timeout)
    async with _querier(responder, options) as querier:
        info = await querier.resolve(name, stype, timeout=wait)
        addresses: Mapping[int, Sequence[IPAddress]] = info.addresses
        if not addresses:
            # SRV and TXT came without an address record (RFC 6763 §12 only says SHOULD).
            left = wait - (loop.time() - started)
            if left > 0:
                with contextlib.suppress(Exception):
                    addresses = (await querier.resolve_host(info.host, timeout=left)).addresses
    remaining = None if timeout is None else max(0.001, timeout - (loop.time() - started))
    conn = await net_connect(
        info.host.rstrip("."),
        info.port,
        timeout=remaining,
        resolver=_fixed_resolver(addresses),
        **options,
    )
    return ServiceConnection(
        conn.reader, conn.writer, conn.local, conn.remote, conn.interface, service=info
    )
