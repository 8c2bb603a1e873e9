"""Module-level DNS-SD calls that open the responder they need for one job.

A program that browses or resolves now and then needs no responder of its own:
``await lanwise.resolve("Kitchen", "_http._tcp")`` opens one, asks, and closes
it. A program that does several things should open one responder
(:func:`~lanwise.dnssd.responder.open_responder`) and share it.

These calls open it querier-only (``querier_only=True``): a one-off question
does not probe, announce or defend a host name on the network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection

from lanwise.dnssd.model import AddressInfo, BrowseEvent, HostInfo, IPAddress, ServiceInfo
from lanwise.dnssd.names import ServiceType
from lanwise.dnssd.responder import DEFAULT_RESOLVE_TIMEOUT, open_responder
from lanwise.mdns.selection import InterfaceSelection

__all__ = ["browse", "resolve", "resolve_address", "resolve_host"]


async def browse(
    type: ServiceType | str | None = None,
    *,
    resolve: bool = False,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
) -> AsyncIterator[BrowseEvent]:
    """Browse events for ``type`` (None: every type, RFC 6763 §9) until the caller stops.

    ``async for event in lanwise.browse("_ipp._tcp", resolve=True): ...``
    """
    async with (
        open_responder(interfaces=interfaces, families=families, querier_only=True) as responder,
        responder.browse(type, resolve=resolve) as browser,
    ):
        async for event in browser:
            yield event


async def resolve(
    name: str,
    type: ServiceType | str,
    *,
    timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
) -> ServiceInfo:
    """Resolve one instance: host, port, TXT and addresses per interface."""
    async with open_responder(
        interfaces=interfaces, families=families, querier_only=True
    ) as responder:
        return await responder.resolve(name, type, timeout=timeout)


async def resolve_host(
    host: str,
    *,
    timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
) -> HostInfo:
    """The addresses of ``host.local`` per interface (IPv6 link-local with scope)."""
    async with open_responder(
        interfaces=interfaces, families=families, querier_only=True
    ) as responder:
        return await responder.resolve_host(host, timeout=timeout)


async def resolve_address(
    address: IPAddress | str,
    *,
    timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
) -> AddressInfo:
    """The ``.local`` name of an address from its reverse PTR, per interface
    (``"fe80::5%eth0"``: asked on that interface only), like ``avahi-resolve -a``."""
    async with open_responder(
        interfaces=interfaces, families=families, querier_only=True
    ) as responder:
        return await responder.resolve_address(address, timeout=timeout)
