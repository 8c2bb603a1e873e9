"""Browsing a large service type reports no false removals (issue 17, item 2).

One lab host publishes 5,000 services of ``_bulk._tcp`` (lanwise) and stays
up; another browses the type from a cold start, as ``lanwise browse _bulk._tcp
-4`` does, and then a resolving browse runs beside it. Every instance's PTR,
SRV, TXT (and NSEC) arrive, some 20,000 records, twice the cache's bound on
records nobody asked for: records the browse asked for must not be evicted
for them, and no live service may ever be reported removed. A second host
browses at the same time with its bound on records asked for set far below
what the type needs (2,000): its cache sheds memory, says so once
(``Browser.partial``), and still reports no live service removed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from lanwise.dnssd import Service, ServiceAdded, ServiceRemoved, open_responder
from tests.harness import Lab

pytestmark = pytest.mark.lab

COUNT = 5_000
BROWSE_SECONDS = 15.0


def _publish(count: int, ready: threading.Event, stop: threading.Event) -> Any:
    async def main() -> None:
        async with open_responder(host_name="bulk", families=(4,)) as responder:
            services = [Service(f"svc {i}", "_bulk._tcp", 10000 + i % 50000) for i in range(count)]
            await asyncio.gather(*(responder.register(s) for s in services))
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)

    return main()


async def _browse(seconds: float, max_wanted_records: int = 200_000) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    added: set[str] = set()
    resolved: set[str] = set()
    removed: list[str] = []
    partial: list[bool] = []
    async with open_responder(
        querier_only=True, families=(4,), max_wanted_records=max_wanted_records
    ) as responder:
        start = loop.time()

        async def plain() -> None:
            async with responder.browse("_bulk._tcp") as browser:
                partial.append(False)
                async for event in browser:
                    partial[0] = browser.partial
                    if isinstance(event, ServiceAdded):
                        added.add(event.name)
                    elif isinstance(event, ServiceRemoved):
                        removed.append(f"{event.name} at {loop.time() - start:.1f}s plain")

        async def resolving() -> None:
            await asyncio.sleep(2.0)
            async with responder.browse("_bulk._tcp", resolve=True) as browser:
                async for event in browser:
                    if isinstance(event, ServiceAdded) and event.info and event.info.addresses:
                        resolved.add(event.name)
                    elif isinstance(event, ServiceRemoved):
                        removed.append(f"{event.name} (resolving) at {loop.time() - start:.1f}s")

        tasks = [asyncio.ensure_future(plain()), asyncio.ensure_future(resolving())]
        await asyncio.sleep(seconds)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stats = responder.transport.engine._querier.cache.statistics()
    return {
        "added": len(added),
        "resolved": len(resolved),
        "removed": removed,
        "cache": stats.size,
        "evicted": stats.evicted,
        "shed": stats.shed,
        "reasons": stats.removed_by_reason,
        "partial": partial[0],
    }


def test_browsing_5000_live_services_reports_no_false_removals(lab: Lab) -> None:
    publisher, browser = lab.host("bulk"), lab.host("browser")
    ready, stop = threading.Event(), threading.Event()
    running = publisher.submit(_publish(COUNT, ready, stop))
    try:
        assert ready.wait(60), "the publisher did not establish its services"
        time.sleep(2.0)  # announcements done (§8.3)
        small = lab.host("small").submit(_browse(BROWSE_SECONDS, max_wanted_records=2_000))
        result = browser.wait(_browse(BROWSE_SECONDS), timeout=BROWSE_SECONDS + 30)
        shed = small.result(30)
    finally:
        stop.set()
        running.result(30)
    removed = result.pop("removed")
    print(f"{COUNT} services: {result}, {len(removed)} removals {removed[:5]}")
    assert removed == []  # every one of them is live: any removal is false
    assert result["added"] == COUNT
    assert result["resolved"] >= COUNT * 0.99  # resolving 5,000 takes a while on a busy host
    assert result["shed"] == 0 and not result["partial"]
    # Bounded to 2,000 records asked for: memory shed, said once, still no false removal.
    shed_removed = shed.pop("removed")
    print(f"{COUNT} services, max_wanted_records=2000: {shed}, {len(shed_removed)} removals")
    assert shed_removed == []
    assert shed["shed"] > 0 and shed["partial"]
    assert shed["cache"] <= 2_000 + 10_000
