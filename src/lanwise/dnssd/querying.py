"""The responder's questions, asked through the mDNS transport.

Browses and resolves share one :class:`Questions`: it starts and stops the
transport's continuous queries (QU first, RFC 6762 §5.4, unless another stack
shares port 5353, §15.1), reads the cache through the transport, and wakes the
resolve loops waiting for answers.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Final

from lanwise.dns import Name, Record, RRType
from lanwise.dnssd.resolution import AddressReader
from lanwise.dnssd.system import port_shared
from lanwise.mdns.querier import Query
from lanwise.mdns.transport import MdnsTransport

__all__ = ["PORT_CHECK_INTERVAL", "Questions", "interface_scope"]

# How often the port-5353 table is read again, at most, as queries start (a file read).
PORT_CHECK_INTERVAL: Final = 1.0


def interface_scope(index: int) -> str | None:
    """The name of interface ``index`` (the zone of its IPv6 link-local addresses)."""
    try:
        return socket.if_indextoname(index)
    except OSError:
        return None


class Questions:
    """Queries and cache reads of one responder, over ``transport``.

    ``families`` are the address families asked about. The responder sets
    :attr:`closed` when it closes: from then on nothing is asked or stopped.
    """

    def __init__(self, transport: MdnsTransport, families: frozenset[int]) -> None:
        self.transport = transport
        self.families = families
        self.address_types: tuple[int, ...] = tuple(
            t for v, t in ((4, RRType.A), (6, RRType.AAAA)) if v in families
        )
        self.closed = False
        self._port_checked = transport.now()  # open_responder has just looked
        self._wakers: set[asyncio.Event] = set()

    def start(
        self,
        name: Name,
        rtype: int,
        *,
        cached_since: int | None = None,
        interface: int | None = None,
    ) -> Query:
        """A continuous query whose first question asks for a unicast reply (QU).

        RFC 6762 §5.4: a querier that has just started asks QU first; responders
        that multicast the answer recently reply at once by unicast instead of
        multicasting it again after the 20-120 ms shared-answer delay (§6).
        Records already cached are not re-reported as events: every caller
        (browsers at their flush, resolves in their loop) reads the cache
        itself; ``cached_since`` reports those cached after that revision.
        ``interface``: ask on that interface index only.
        """
        self._check_port_sharing()
        return self.transport.start_query(
            name,
            rtype,
            interface=interface,
            unicast_first=True,
            report_cached=cached_since is not None,
            cached_since=cached_since,
        )

    def stop(self, query: Query) -> None:
        """Stop ``query``; the transport flushes once for every call of this loop
        iteration (a browse of a thousand instances stops thousands in one go)."""
        if not self.closed:
            self.transport.stop_query(query)

    def _check_port_sharing(self) -> None:
        """Has another stack bound port 5353 since we opened (avahi started)? Then a
        QU question's unicast reply may reach it instead of us (RFC 6762 §15.1)."""
        now = self.transport.now()
        if now < self._port_checked + PORT_CHECK_INTERVAL:
            return
        self._port_checked = now
        self.transport.set_shares_port(port_shared(exclude=self.transport.socket_inodes()))

    def lookup(self, name: Name, rtype: int, interface: int) -> list[Record]:
        """The records cached now on ``interface`` (the hot path of a browse: bare records)."""
        return self.transport.cached_records(name, rtype, interface=interface)

    @property
    def cache_revision(self) -> int:
        """Moves whenever cached records may have changed."""
        return self.transport.cache_revision

    def addresses(self) -> AddressReader:
        """A reader of hosts' addresses (IPv6 link-local ones with their zone)."""
        return AddressReader(self.lookup, self.families, interface_scope)

    def served(self, only: frozenset[int] | None) -> list[int]:
        """The interfaces served now, lowest index first; of ``only`` if given."""
        return [i for i in sorted(self.transport.interfaces) if only is None or i in only]

    # -- waiting for answers ------------------------------------------------------------
    def waker(self) -> asyncio.Event:
        """An event set whenever the cache changes; give it back with :meth:`drop_waker`."""
        waker = asyncio.Event()
        self._wakers.add(waker)
        return waker

    def drop_waker(self, waker: asyncio.Event) -> None:
        self._wakers.discard(waker)

    def wake(self) -> None:
        """The cache changed: wake every loop waiting for answers."""
        for waker in self._wakers:
            waker.set()
