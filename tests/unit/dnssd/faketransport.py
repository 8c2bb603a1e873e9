"""A stand-in for :class:`lanwise.mdns.transport.MdnsTransport` with the operations
dnssd uses (and only those): a dict as the cache, and events handed in by the test.

DNS-SD goes through the transport alone, so its asyncio layer runs against this
without sockets or an engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from lanwise.dns import Name, Record
from lanwise.dnssd.responder import Responder
from lanwise.mdns.events import Event
from lanwise.mdns.selection import LinkState
from lanwise.mdns.transport import MdnsTransport


class FakeTransport:
    def __init__(self, interfaces: dict[int, str], *, now: float = 0.0) -> None:
        self.interfaces = {i: LinkState(i, name, ()) for i, name in interfaces.items()}
        self.clock = now
        self.records: dict[tuple[Name, int, int], list[Record]] = {}
        self.queries: dict[int, tuple[Name, int]] = {}  # running now
        self.asked: list[tuple[Name, int]] = []  # every query ever started
        self.cache_revision = 0
        self.shares_port = False
        self._listeners: list[Callable[[Event], None]] = []
        self._next = 0

    # -- what dnssd calls --------------------------------------------------------------
    def now(self) -> float:
        return self.clock

    def add_listener(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def start_query(self, name: Name, qtype: int, **_: Any) -> int:
        self._next += 1
        self.queries[self._next] = (name, qtype)
        self.asked.append((name, qtype))
        return self._next

    def stop_query(self, query: int) -> None:
        self.queries.pop(query, None)

    def cached_records(self, name: Name, qtype: int, *, interface: int) -> list[Record]:
        return list(self.records.get((name, qtype, interface), ()))

    def set_shares_port(self, shares_port: bool) -> None:
        self.shares_port = shares_port

    def socket_inodes(self) -> frozenset[int]:
        return frozenset()

    # -- what the test does ------------------------------------------------------------
    def emit(self, event: Event) -> None:
        for callback in tuple(self._listeners):
            callback(event)

    def responder(self, families: frozenset[int] = frozenset((4, 6))) -> Responder:
        return Responder(cast(MdnsTransport, self), families)
