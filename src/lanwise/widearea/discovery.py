"""The unicast side of ``lanwise.browse(..., domain=...)`` and ``lanwise.resolve``.

:mod:`lanwise.dnssd` serves ``local`` and hands every other domain to what is
installed in :mod:`lanwise.dnssd.unicast`; importing :mod:`lanwise.widearea`
installs :class:`WideAreaDiscovery` there (dnssd sits below widearea, so it
cannot import it). Servers come from the host's configuration
(systemd-resolved, resolv.conf), as for :func:`~lanwise.widearea.browse.browse`
without ``servers=``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from lanwise.dnssd.model import BrowseEvent, ServiceInfo
from lanwise.dnssd.names import ServiceType
from lanwise.net.resolvers import RESOLV_CONF
from lanwise.widearea.browse import browse, domain_name, resolve, unicast_type
from lanwise.widearea.servers import ServersInput

__all__ = ["WideAreaDiscovery"]


class WideAreaDiscovery:
    """Browse and resolve in a unicast domain through the host's DNS servers
    (or ``servers``, as :func:`~lanwise.widearea.browse.browse` takes them)."""

    def __init__(self, *, servers: ServersInput = None, resolv_conf: Path | str = RESOLV_CONF):
        self.servers = servers
        self.resolv_conf = resolv_conf

    def browse(
        self, type: ServiceType | str, domain: str, *, resolve: bool
    ) -> AsyncIterator[BrowseEvent]:
        """Browse events for ``type`` in ``domain``; bad input raises here, not later."""
        unicast_type(type, domain_name(domain))  # UsageError now, before the first event
        return browse(
            type, domain, resolve=resolve, servers=self.servers, resolv_conf=self.resolv_conf
        )

    async def resolve(
        self, name: str, type: ServiceType | str, domain: str, *, timeout: float
    ) -> ServiceInfo:
        """Resolve one instance in ``domain``."""
        return await resolve(
            name,
            type,
            domain,
            servers=self.servers,
            resolv_conf=self.resolv_conf,
            timeout=timeout,
        )
