"""A Discovery Proxy's link side on a fake link: real engines, a stepped clock.

:class:`EngineLink` gives a bare :class:`~lanwise.mdns.Engine` the shape the
proxy's :class:`~lanwise.proxy.links.LinkSource` asks for (what the asyncio
transport offers), driven by :class:`tests.unit.mdns.fakelink.FakeLink`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from ipaddress import IPv4Interface, IPv6Interface
from typing import Any

import dns.message
import dns.name
import dns.rdatatype

from lanwise.dns import Name
from lanwise.mdns import Engine, Event, ServiceRecords
from lanwise.mdns.cache import CachedRecord
from lanwise.mdns.querier import Query
from lanwise.proxy.answering import Answerer
from lanwise.proxy.links import LinkSource
from lanwise.proxy.names import parse_domain
from lanwise.proxy.zones import Zone
from tests.unit.mdns.fakelink import INDEX, FakeLink, Node

DOMAIN = "lan-a.example.test"


class EngineLink:
    """The proxy's engine on the fake link, with the transport's calls."""

    def __init__(self, fake: FakeLink, node: Node) -> None:
        self.fake = fake
        self.node = node
        self.queries_started = 0
        self._listeners: list[Callable[[Event], None]] = []
        self._seen = 0

    def now(self) -> float:
        return self.fake.now

    def cached(self, name: Name, qtype: int, *, interface: int | None = None) -> list[CachedRecord]:
        return self.node.engine.cached(name, qtype, self.fake.now, interface=interface)

    def start_query(
        self,
        name: Name,
        qtype: int,
        *,
        interface: int | None = None,
        unicast_first: bool = False,
        report_cached: bool = True,
    ) -> Query:
        self.queries_started += 1
        return self.node.engine.start_query(
            name,
            qtype,
            self.fake.now,
            interface=interface,
            unicast_first=unicast_first,
            report_cached=report_cached,
        )

    def stop_query(self, query: Any) -> None:
        self.node.engine.stop_query(query, self.fake.now)

    def add_listener(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    @property
    def cache_revision(self) -> int:
        return self.node.engine.cache_revision

    def run(self, until: float) -> None:
        """Move the clock to ``until``, delivering packets and the proxy's engine events."""
        self.fake.run(until)
        self.pump()

    def pump(self) -> None:
        self.fake.deliver()
        events = self.node.events
        while self._seen < len(events):
            event = events[self._seen]
            self._seen += 1
            for callback in list(self._listeners):
                callback(event)


class World:
    """A printer publishing on the link, and a proxy serving the link as DOMAIN."""

    def __init__(self, *, proxy_hears_announcements: bool = True, wait: float = 6.0) -> None:
        self.fake = FakeLink()
        self.printer = self.fake.add(
            "printer", "10.0.0.5/24", "fe80::5/64", "2001:db8::5/64", "169.254.7.7/16"
        )
        if proxy_hears_announcements:
            self.proxy_node = self._add_proxy()
        self.printer.engine.register(
            ServiceRecords("Office Printer", "_ipp._tcp", 631, (b"rp=ipp/print",)), 0.0
        )
        self.fake.run(5.0)  # probed and announced
        if not proxy_hears_announcements:
            self.proxy_node = self._add_proxy()
        self.link = EngineLink(self.fake, self.proxy_node)
        self.link.pump()
        self.zone = Zone(
            parse_domain(DOMAIN),
            INDEX,
            addresses=[IPv4Interface("10.0.0.53/24").ip],
            subnets=[IPv4Interface("10.0.0.53/24")],
        )
        self.source = LinkSource(
            [self.zone],
            self.link,
            reconfirm=lambda record, index: self.proxy_node.engine.reconfirm(
                record, index, self.fake.now
            ),
        )
        self.answerer = Answerer(self.source, wait=wait)

    def _add_proxy(self) -> Node:
        addresses = (IPv4Interface("10.0.0.53/24"), IPv6Interface("2001:db8::53/64"))
        node = Node("proxy", Engine(host_name=None, rng=random.Random(1)), addresses)
        self.fake.nodes.append(node)
        node.engine.add_interface(INDEX, addresses, self.fake.now)
        return node

    @property
    def now(self) -> float:
        return self.fake.now


def query(
    name: str, rdtype: str, *, edns: int = 0, payload: int = 1232, ident: int = 4660
) -> bytes:
    """A query's octets (EDNS version ``edns``, -1 for none)."""
    message = dns.message.make_query(
        dns.name.from_text(name), dns.rdatatype.from_text(rdtype), use_edns=edns, payload=payload
    )
    message.id = ident
    return message.to_wire()
