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

from lanwise.dnssd.api import browse, resolve, resolve_host
from lanwise.dnssd.model import (
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
from lanwise.dnssd.system import SystemResponder, detect_system_responders

__all__ = [
    "BrowseEvent",
    "Browser",
    "HostInfo",
    "Registration",
    "ResolveTimeoutError",
    "Responder",
    "Service",
    "ServiceAdded",
    "ServiceInfo",
    "ServiceRemoved",
    "ServiceType",
    "ServiceUpdated",
    "SystemResponder",
    "browse",
    "detect_system_responders",
    "open_responder",
    "resolve",
    "resolve_host",
]
