"""Wide-area DNS-SD: services in a unicast DNS zone (RFC 6763 §11), past one link.

Browse and resolve through any resolver or a given server; register with DNS
UPDATE (RFC 2136) signed with TSIG (RFC 8945) and kept alive by a lease
(RFC 9664); enumerate the browse and registration domains a network suggests.
The values are the ones ``.local`` uses: :class:`~lanwise.dnssd.Service`, the
browse events, :class:`~lanwise.dnssd.ServiceInfo`::

    async with open_registrar("example.test", server="10.0.0.53", tsig="lab.key") as reg:
        await reg.register(Service("Kitchen", "_http._tcp", 8080))
    info = await resolve("Kitchen", "_http._tcp", "example.test")

Importing this package also serves ``domain=`` other than ``"local"`` in
``lanwise.browse``, ``lanwise.resolve`` and :mod:`lanwise.dnssd.sync`.

A browse follows changes over DNS Push (RFC 8765, :mod:`.push`) where the
domain offers it, and polls otherwise.

Messages, TSIG and EDNS options are dnspython's; the protocol rules with
timing (lease refresh, browse polling) are sans-IO in :mod:`.lease` and
:mod:`.polling`; the DSO session under Push is :mod:`lanwise.dso`.
"""

from __future__ import annotations

from lanwise.dnssd import unicast as _unicast
from lanwise.widearea.browse import browse, resolve
from lanwise.widearea.client import ClientStatistics, DnsClient, ServerAddress, parse_server
from lanwise.widearea.discovery import WideAreaDiscovery
from lanwise.widearea.domains import DomainEntry, enumerate_domains
from lanwise.widearea.errors import DnsServerError, ServerUnreachableError
from lanwise.widearea.events import (
    LeaseLost,
    LeaseRefreshed,
    LeaseRefreshFailed,
    RegistrationEvent,
)
from lanwise.widearea.push import PushError, PushSubscriber, find_push_server, push_ssl_context
from lanwise.widearea.registration import (
    Registrar,
    WideAreaRegistration,
    open_registrar,
    register,
)
from lanwise.widearea.tsigkey import TsigKey, parse_key_text, read_key_file

__all__ = [
    "ClientStatistics",
    "DnsClient",
    "DnsServerError",
    "DomainEntry",
    "LeaseLost",
    "LeaseRefreshFailed",
    "LeaseRefreshed",
    "PushError",
    "PushSubscriber",
    "Registrar",
    "RegistrationEvent",
    "ServerAddress",
    "ServerUnreachableError",
    "TsigKey",
    "WideAreaDiscovery",
    "WideAreaRegistration",
    "browse",
    "enumerate_domains",
    "find_push_server",
    "open_registrar",
    "parse_key_text",
    "parse_server",
    "push_ssl_context",
    "read_key_file",
    "register",
    "resolve",
]

# lanwise.browse / lanwise.resolve with domain= other than "local" come here.
_unicast.install(WideAreaDiscovery())
