"""The asyncio browse (lanwise.dnssd.browsing) over a stand-in transport.

Issue 17 item 2: "Report an overflow event once, so the caller knows its view is
partial". Before, a cache overflow reached a browse only as ``Browser.partial`` and
a log warning: nothing in the event stream said so."""

from __future__ import annotations

import asyncio

from lanwise.dns import RRType
from lanwise.dnssd import BrowseOverflow
from lanwise.mdns.events import CacheOverflow, RecordAdded
from tests.unit.dnssd.faketransport import FakeTransport
from tests.unit.dnssd.test_browser import INSTANCE, TYPE_NAME, ptr


def _drain(browser: object) -> list[object]:
    events = []
    while (event := browser.get_nowait()) is not None:  # type: ignore[attr-defined]
        events.append(event)
    return events


def test_an_overflow_is_one_event_per_browse_and_a_later_browse_starts_with_it() -> None:
    async def main() -> None:
        transport = FakeTransport({2: "eth0"})
        responder = transport.responder()
        async with responder.browse("_http._tcp") as browser:
            await asyncio.sleep(0)
            assert _drain(browser) == [] and not browser.partial
            transport.emit(CacheOverflow(limit=2000, shed=150))
            transport.emit(CacheOverflow(limit=2000, shed=40))  # after the cache drained
            await asyncio.sleep(0)
            assert _drain(browser) == [BrowseOverflow(limit=2000, shed=150)]
            assert browser.partial
            async with responder.browse("_ipp._tcp") as later:
                await asyncio.sleep(0)
                assert _drain(later) == [BrowseOverflow(limit=2000, shed=40)]
                assert later.partial
        await responder._close()

    asyncio.run(main())


def test_only_interfaces_filters_the_events_and_not_the_queries() -> None:
    """Issue 13 item 5: ``interfaces=`` was a selection in open_responder but an
    event filter in browse; the filter is ``only_interfaces`` now."""

    async def main() -> None:
        transport = FakeTransport({2: "eth0", 3: "wlan0"})
        responder = transport.responder()
        async with responder.browse("_http._tcp", only_interfaces=["wlan0"]) as browser:
            await asyncio.sleep(0)
            assert list(transport.queries.values()) == [(TYPE_NAME, RRType.PTR)]
            record = ptr(INSTANCE)
            for index in (2, 3):
                transport.records[(TYPE_NAME, RRType.PTR, index)] = [record]
                transport.emit(RecordAdded(index, record))
            await asyncio.sleep(0)
            assert [(e.name, e.interface) for e in browser.current()] == [("My Web. Site", 3)]
        await responder._close()

    asyncio.run(main())
