"""DNS-Based Service Discovery (RFC 6763) over multicast DNS.

Publish a service, find services, resolve them, without handling an IP address::

    async with lanwise.open_responder() as responder:
        registration = await responder.register(lanwise.Service("Kitchen", "_http._tcp", 8080))
        async with responder.browse("_ipp._tcp", resolve=True) as browser:
            async for event in browser:
                print(event)

    async with lanwise.browse("_ipp._tcp") as events:   # a responder for this block only
        async for event in events:
            print(event)

Scripts without an event loop use :mod:`lanwise.dnssd.sync`. The same API runs
through the host's avahi-daemon with ``open_responder(backend="avahi")``
(:mod:`lanwise.dnssd.avahi`); code meant for either backend annotates with
:class:`DnssdResponder`.
"""

from __future__ import annotations

from lanwise.dnssd.api import BrowseSession, browse, resolve, resolve_address, resolve_host
from lanwise.dnssd.backend import BackendName, DnssdBrowser, DnssdRegistration, DnssdResponder
from lanwise.dnssd.connect import ServiceConnection, connect, connect_service
from lanwise.dnssd.hosts import HostRegistration, NameConflictError
from lanwise.dnssd.model import (
    AddressInfo,
    BrowseEvent,
    BrowseOverflow,
    HostInfo,
    ResolvedBrowseEvent,
    ResolvedServiceAdded,
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
    "AddressInfo",
    "BackendName",
    "BrowseEvent",
    "BrowseOverflow",
    "BrowseSession",
    "Browser",
    "DnssdBrowser",
    "DnssdRegistration",
    "DnssdResponder",
    "HostInfo",
    "HostRegistration",
    "NameConflictError",
    "Registration",
    "ResolveTimeoutError",
    "ResolvedBrowseEvent",
    "ResolvedServiceAdded",
    "Responder",
    "Service",
    "ServiceAdded",
    "ServiceConnection",
    "ServiceInfo",
    "ServiceRemoved",
    "ServiceType",
    "ServiceUpdated",
    "SystemResponder",
    "browse",
    "connect",
    "connect_service",
    "detect_system_responders",
    "open_responder",
    "resolve",
    "resolve_address",
    "resolve_host",
]
