"""``MdnsTransport.flush_soon`` (aioquic's ``_transmit_soon``): the synchronous
operations of one event-loop iteration share one flush (issue 13, item 4: DNS-SD
kept a flush coalescing of its own and called the engine past the transport)."""

from __future__ import annotations

import asyncio
from typing import Any

from lanwise.dns import Name, RRType
from lanwise.mdns.endpoints import Datagram
from tests.unit.mdns.test_transport_driver import StandInEngine, _transport


class QueryingEngine(StandInEngine):
    def __init__(self) -> None:
        super().__init__()
        self.passes = 0
        self.queries: list[tuple[Name, int, dict[str, Any]]] = []

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        self.passes += 1
        return super().datagrams_to_send(now)

    def start_query(self, name: Name, qtype: int, now: float, **options: Any) -> int:
        self.queries.append((name, qtype, options))
        return len(self.queries)

    def stop_query(self, query: int, now: float | None = None) -> None:
        pass


async def test_a_thousand_queries_started_together_cost_one_flush() -> None:
    engine = QueryingEngine()
    transport = _transport(engine)
    names = [Name.from_labels((f"i{n}", "_http", "_tcp", "local")) for n in range(1000)]
    queries = [transport.start_query(name, RRType.SRV, cached_since=7) for name in names]
    transport.stop_query(queries[0])
    assert engine.passes == 0  # nothing flushed inside the caller's loop iteration
    await asyncio.sleep(0)
    assert engine.passes == 1
    assert engine.queries[0][2]["cached_since"] == 7  # the engine's options pass through
    transport.flush_soon()
    transport.flush_soon()
    await asyncio.sleep(0)
    assert engine.passes == 2
    transport.close()
    transport.flush_soon()  # closed: nothing is scheduled
    await asyncio.sleep(0)
    assert engine.passes == 3  # close's own pass only
