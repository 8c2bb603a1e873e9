"""The resolve loops (lanwise.dnssd.resolving) over a stand-in transport: one wait
helper for resolve, resolve_host and resolve_address (issue 13 item 4)."""

from __future__ import annotations

import asyncio
import re
from ipaddress import IPv4Address

import pytest

from lanwise.dns import PTR, Name, Record, RRType
from lanwise.dnssd.resolving import RESOLVE_SETTLE, ResolveTimeoutError
from tests.unit.dnssd.faketransport import FakeTransport
from tests.unit.dnssd.test_browser import HOST, HTTP, INSTANCE, a, srv, txt


def test_a_whole_answer_returns_at_once_and_the_queries_stop() -> None:
    async def main() -> None:
        transport = FakeTransport({2: "eth0"})
        responder = transport.responder(frozenset((4,)))
        for record in (srv(631), txt(b"v=1"), a("10.0.0.5")):
            transport.records[(record.name, record.rtype, 2)] = [record]
        loop = asyncio.get_running_loop()
        started = loop.time()
        info = await responder.resolve("My Web. Site", HTTP, timeout=60)
        assert loop.time() - started < RESOLVE_SETTLE  # whole: no settling wait
        assert (info.host, info.port, info.addresses) == (
            "box.local",
            631,
            {2: (IPv4Address("10.0.0.5"),)},
        )
        # SRV, TXT, then the host's A once the SRV named it; all stopped after.
        asked = {(name, rtype) for name, rtype in transport.asked}
        assert asked == {(INSTANCE, RRType.SRV), (INSTANCE, RRType.TXT), (HOST, RRType.A)}
        assert transport.queries == {}
        host = await responder.resolve_host("box", timeout=0)
        assert host.addresses == {2: (IPv4Address("10.0.0.5"),)}
        await responder._close()

    asyncio.run(main())


def test_nothing_by_the_timeout_raises_naming_what_was_asked() -> None:
    async def main() -> None:
        transport = FakeTransport({2: "eth0"})
        responder = transport.responder()
        with pytest.raises(
            ResolveTimeoutError, match=re.escape("no answer for Gone._http._tcp.local")
        ):
            await responder.resolve("Gone", HTTP, timeout=0)
        with pytest.raises(ResolveTimeoutError, match=re.escape("no address for gone.local")):
            await responder.resolve_host("gone", timeout=0)
        reverse = Name("5.0.0.10.in-addr.arpa")
        with pytest.raises(ResolveTimeoutError, match=re.escape("no .local name for 10.0.0.5")):
            await responder.resolve_address("10.0.0.5", timeout=0)
        transport.records[(reverse, RRType.PTR, 2)] = [Record.of(reverse, PTR(HOST), 120)]
        found = await responder.resolve_address("10.0.0.5", timeout=0)
        assert found.names == {2: ("box.local",)}
        assert transport.queries == {}
        await responder._close()

    asyncio.run(main())
