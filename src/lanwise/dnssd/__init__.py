"""DNS-Based Service Discovery (RFC 6763) over multicast DNS.

Publish a service, find services, resolve them, without handling an IP address::

    async with lanwise.open_responder() as responder:
        registration = await responder.register(lanwise.Service("Kitchen", "_http._tcp", 8080))
        async with responder.browse("_ipp._tcp", resolve=True) as browser:
            async for event in browser:
                print(event)

Scripts without an event loop use :mod:`lanwise.dnssd.sync`.
"""

from __future__ import annotations

from lanwise.dnssd.api import browse, resolve, resolve_address, resolve_host
from lanwise.dnssd.hosts import HostRegistration, NameConflictError
from lanwise.dnssd.model import (
    AddressInfo,
    BrowseEvent,
    HostInfo,
    Service,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceUpdated,
)
from lanwise.dnssd.names import ServiceType
from lanwise.dnssd.responder import (
    Browser,
    Registration,
    ResolveTimeoutError,
    Responder,
    open_responder,
)

__all__ = [
    "AddressInfo",
    "BrowseEvent",
    "Browser",
    "HostInfo",
    "HostRegistration",
    "NameConflictError",
    "Registration",
    "ResolveTimeoutError",
    "Responder",
    "Service",
    "ServiceAdded",
    "ServiceInfo",
    "ServiceRemoved",
    "ServiceType",
    "ServiceUpdated",
    "browse",
    "open_responder",
    "resolve",
    "resolve_address",
    "resolve_host",
]
