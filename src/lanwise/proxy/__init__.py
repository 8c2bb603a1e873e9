"""Discovery Proxy (RFC 8766): each link's mDNS served as a unicast DNS zone, with DNS Push
(RFC 8765 over DSO, RFC 8490) for live changes.

``async with lanwise.proxy.serve({"eth0": "lan-a.example.test"}) as proxy: ...`` runs
one in-process; ``lanwise proxy --link eth0=lan-a.example.test`` from the command
line. See docs/proxy.md.
"""

from lanwise.proxy.answering import Answerer, AnswerStatistics, Pending, Reply
from lanwise.proxy.api import DiscoveryProxy, ProxyStatistics, Service, serve
from lanwise.proxy.limits import RateLimiter
from lanwise.proxy.links import LinkSource
from lanwise.proxy.push import (
    PushLimits,
    PushServer,
    PushStatistics,
    push_service,
    server_ssl_context,
)
from lanwise.proxy.server import ServerLimits, ServerStatistics
from lanwise.proxy.source import ChangeCallback, RecordSource, Unsubscribe
from lanwise.proxy.zones import Zone

__all__ = [
    "AnswerStatistics",
    "Answerer",
    "ChangeCallback",
    "DiscoveryProxy",
    "LinkSource",
    "Pending",
    "ProxyStatistics",
    "PushLimits",
    "PushServer",
    "PushStatistics",
    "RateLimiter",
    "RecordSource",
    "Reply",
    "ServerLimits",
    "ServerStatistics",
    "Service",
    "Unsubscribe",
    "Zone",
    "push_service",
    "serve",
    "server_ssl_context",
]
