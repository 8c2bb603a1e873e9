"""The registrar's driver against a scripted server on loopback: granted (shortened)
leases, refresh, lease loss as an event, renames on YXDOMAIN, error rcodes."""

from __future__ import annotations

import asyncio
from ipaddress import IPv4Address

import dns.edns
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.update
import pytest

from lanwise.dnssd.model import Service
from lanwise.widearea import (
    DnsServerError,
    LeaseLost,
    LeaseRefreshed,
    LeaseRefreshFailed,
    ServerUnreachableError,
)
from lanwise.widearea.lease import encode_lease_option
from lanwise.widearea.registration import UPDATE_WINDOW, open_registrar
from lanwise.widearea.tsigkey import TsigKey
from tests.unit.widearea.fakeserver import KEY, serve

TSIG = TsigKey("lab-key.", "hmac-sha256", KEY.secret)
ADDR = [IPv4Address("192.0.2.7")]


class Zone:
    """Answers SOA for example.test; UPDATEs by a list of planned rcodes (then NOERROR)."""

    def __init__(self, *, rcodes: tuple[int, ...] = (), grant: int | None = None) -> None:
        self.rcodes = [dns.rcode.Rcode(r) for r in rcodes]
        self.grant = grant
        self.updates: list[float] = []
        self.silent_after: int | None = None
        self.host_address: str | None = None
        self.messages: list[dns.message.Message] = []

    def __call__(self, query: dns.message.Message, tcp: bool) -> list[bytes]:
        reply = dns.message.make_response(query)
        if query.opcode() != dns.opcode.UPDATE and query.question[0].rdtype == dns.rdatatype.A:
            if self.host_address is not None:
                reply.answer.append(
                    dns.rrset.from_text(query.question[0].name, 60, "IN", "A", self.host_address)
                )
            return [reply.to_wire()]
        if query.opcode() != dns.opcode.UPDATE:
            reply.answer.append(
                dns.rrset.from_text(
                    "example.test.", 60, "IN", "SOA", "ns.example.test. a.example.test. 1 1 1 1 1"
                )
            )
            return [reply.to_wire()]
        self.updates.append(asyncio.get_running_loop().time())
        self.messages.append(query)
        if self.silent_after is not None and len(self.updates) > self.silent_after:
            return []
        reply.set_rcode(self.rcodes.pop(0) if self.rcodes else dns.rcode.NOERROR)
        if self.grant is not None:
            option = dns.edns.GenericOption(dns.edns.OptionType(2), encode_lease_option(self.grant))
            reply.use_edns(0, options=[option])
        return [reply.to_wire()]


async def test_a_shortened_lease_is_refreshed_at_80_percent_of_the_grant() -> None:
    """RFC 9664 §4: the server may grant less than asked; refresh on the grant."""
    zone = Zone(grant=1)
    server, close = await serve(zone)
    try:
        async with open_registrar(
            "example.test", server=server, tsig=TSIG, lease=3600, addresses=ADDR, host="h"
        ) as registrar:
            registration = await registrar.register(Service("S", "_http._tcp", 80))
            assert registration.lease == 1
            event = await registration.wait_event(timeout=3)
            assert isinstance(event, LeaseRefreshed)
    finally:
        close()
    # first UPDATE, then the refresh 0.8 s later (80% of the granted 1 s)
    assert zone.updates[1] - zone.updates[0] == pytest.approx(0.8, abs=0.3)


async def test_a_lost_lease_is_reported_as_an_event() -> None:
    zone = Zone(grant=1)
    zone.silent_after = 1
    server, close = await serve(zone)
    try:
        async with open_registrar(
            "example.test", server=server, tsig=TSIG, addresses=ADDR, host="h", timeout=0.1
        ) as registrar:
            registration = await registrar.register(Service("S", "_http._tcp", 80))
            events = [await registration.wait_event(timeout=3) for _ in range(2)]
            assert [type(e) for e in events] == [LeaseRefreshFailed, LeaseLost]
            assert registration.lost
            assert isinstance(events[0], LeaseRefreshFailed)
            assert "unreachable" in events[0].error
    finally:
        close()


async def test_yxdomain_renames_like_local() -> None:
    """RFC 2136 §3.2.5 YXDOMAIN on "name not in use": "S" → "S (2)" → "S (3)"."""
    server, close = await serve(Zone(rcodes=(dns.rcode.YXDOMAIN, dns.rcode.YXDOMAIN)))
    try:
        async with open_registrar(
            "example.test", server=server, tsig=TSIG, addresses=ADDR, host="h"
        ) as registrar:
            registration = await registrar.register(Service("S", "_http._tcp", 80))
            assert registration.name == "S (3)"
    finally:
        close()


async def test_refused_names_server_zone_and_rcode() -> None:
    server, close = await serve(Zone(rcodes=(dns.rcode.REFUSED,)))
    try:
        async with open_registrar(
            "example.test", server=server, tsig=TSIG, addresses=ADDR, host="h"
        ) as registrar:
            with pytest.raises(DnsServerError) as info:
                await registrar.register(Service("S", "_http._tcp", 80))
    finally:
        close()
    assert info.value.rcode == "REFUSED"
    assert info.value.zone == "example.test"
    assert str(server) in str(info.value)


async def test_a_service_on_another_host_points_there_without_our_addresses() -> None:
    server, close = await serve(Zone())
    try:
        async with open_registrar(
            "example.test", server=server, tsig=TSIG, addresses=ADDR, host="h"
        ) as registrar:
            registration = await registrar.register(Service("S", "_http._tcp", 80, host="box"))
            texts = {(r.name.to_text(), r.rdata.to_text()) for r in registration.records}
    finally:
        close()
    assert ("S._http._tcp.example.test.", "0 0 80 box.example.test.") in texts
    assert not any(name.startswith(("h.", "box.")) for name, _ in texts)


async def test_withdrawal_leaves_host_records_that_were_there_before() -> None:
    """RFC 2136 §3.4.2.2: adding an existing RR changes nothing, so it is not ours to delete."""
    zone = Zone()
    zone.host_address = "192.0.2.7"
    server, close = await serve(zone)
    try:
        async with open_registrar(
            "example.test", server=server, tsig=TSIG, addresses=ADDR, host="h"
        ) as registrar:
            registration = await registrar.register(Service("S", "_http._tcp", 80))
            await registration.withdraw()
    finally:
        close()
    withdrawal = zone.messages[-1]
    assert isinstance(withdrawal, dns.update.UpdateMessage)
    deleted = {rrset.rdtype for rrset in withdrawal.update}
    assert dns.rdatatype.SRV in deleted
    assert dns.rdatatype.A not in deleted


async def test_register_many_registers_each_with_its_own_update_in_order() -> None:
    zone = Zone(rcodes=(dns.rcode.NOERROR, dns.rcode.YXDOMAIN))
    server, close = await serve(zone)
    try:
        async with open_registrar(
            "example.test", server=server, tsig=TSIG, addresses=ADDR, host="h"
        ) as registrar:
            services = [Service(f"S{i}", "_http._tcp", 80 + i) for i in range(20)]
            registrations = await registrar.register_many(services)
            assert [r.service.port for r in registrations] == [80 + i for i in range(20)]
            assert sum(r.name.endswith(" (2)") for r in registrations) == 1  # the YXDOMAIN
    finally:
        close()
    registering = [m for m in zone.messages if m.sections[1]]  # prerequisites
    assert len(registering) == 21  # one UPDATE per service, one more for the rename


async def test_updates_in_flight_are_bounded_by_the_window() -> None:
    zone = Zone()
    zone.silent_after = 0  # the server takes the UPDATEs and never answers
    server, close = await serve(zone)
    try:
        async with open_registrar(
            "example.test", server=server, tsig=TSIG, addresses=ADDR, host="h", timeout=0.5
        ) as registrar:
            services = [Service(f"S{i}", "_http._tcp", 80) for i in range(UPDATE_WINDOW + 10)]
            task = asyncio.create_task(registrar.register_many(services))
            await asyncio.sleep(0.3)
            assert len(zone.updates) == UPDATE_WINDOW
            with pytest.raises(ServerUnreachableError):
                await task
            assert registrar.registrations == ()
    finally:
        close()


async def test_register_many_withdraws_the_registered_ones_when_one_fails() -> None:
    zone = Zone(rcodes=(dns.rcode.NOERROR, dns.rcode.REFUSED))
    server, close = await serve(zone)
    try:
        async with open_registrar(
            "example.test", server=server, tsig=TSIG, addresses=ADDR, host="h"
        ) as registrar:
            services = [Service(f"S{i}", "_http._tcp", 80) for i in range(3)]
            with pytest.raises(DnsServerError, match="REFUSED"):
                await registrar.register_many(services)
            assert registrar.registrations == ()
    finally:
        close()
    withdrawals = [m for m in zone.messages if not m.sections[1]]  # no prerequisite
    assert len(withdrawals) == 2  # the two that the server accepted


async def test_leases_due_together_are_refreshed_together() -> None:
    """RFC 9664 §4 refreshes at 80 % of the grant: five leases granted together are
    refreshed through the window, not one timed-out round trip after another."""
    zone = Zone(grant=1)
    zone.silent_after = 5  # the refreshes get no answer (each waits out the timeout)
    server, close = await serve(zone)
    try:
        async with open_registrar(
            "example.test", server=server, tsig=TSIG, addresses=ADDR, host="h", timeout=0.5
        ) as registrar:
            await registrar.register_many([Service(f"S{i}", "_http._tcp", 80) for i in range(5)])
            await asyncio.sleep(1.2)  # due at 0.8 s; one after another would take 2.5 s
            refreshes = zone.updates[5:]
            assert len(refreshes) == 5
            assert max(refreshes) - min(refreshes) < 0.3
            registrar.abandon()
    finally:
        close()
