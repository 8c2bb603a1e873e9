"""The proxy's RecordSource over a real engine on a fake link (RFC 8766 §5, RFC 8765 §6.2)."""

from __future__ import annotations

from collections.abc import Sequence

import dns.name
import dns.rdata
import dns.rdatatype
import dns.rrset

from lanwise.dns import PTR, Flag, Message, Name, Record
from lanwise.mdns import ServiceRecords
from lanwise.proxy.links import RECONFIRM_HOLD
from lanwise.proxy.source import RecordSource
from tests.unit.proxy.linkworld import DOMAIN, World

PTR_NAME = dns.name.from_text(f"_ipp._tcp.{DOMAIN}")


class Changes:
    def __init__(self) -> None:
        self.added: list[dns.rrset.RRset] = []
        self.removed: list[dns.rrset.RRset] = []

    def __call__(
        self, added: Sequence[dns.rrset.RRset], removed: Sequence[dns.rrset.RRset]
    ) -> None:
        self.added += added
        self.removed += removed

    def targets(self, which: list[dns.rrset.RRset]) -> set[str]:
        return {r.target.to_text() for s in which for r in s}


def test_it_is_a_record_source() -> None:
    world = World()
    source: RecordSource = world.source
    assert source.serves(PTR_NAME)
    assert source.serves(dns.name.from_text(DOMAIN))
    assert not source.serves(dns.name.from_text("example.test"))
    assert not source.serves(dns.name.from_text("_ipp._tcp.local"))


def test_subscribers_see_a_service_arrive_and_leave_rewritten() -> None:
    world = World()
    changes = Changes()
    unsubscribe = world.source.subscribe(PTR_NAME, dns.rdatatype.PTR, changes)
    registration = world.printer.engine.register(
        ServiceRecords("Second", "_ipp._tcp", 632), world.now
    )
    world.link.run(world.now + 3.0)
    assert changes.targets(changes.added) == {f"Second._ipp._tcp.{DOMAIN}."}
    world.printer.engine.unregister(registration, world.now)
    world.link.run(world.now + 3.0)  # the goodbye, then the one-second removal (RFC 6762 §10.1)
    assert changes.targets(changes.removed) == {f"Second._ipp._tcp.{DOMAIN}."}
    assert all(s.name == PTR_NAME for s in changes.added + changes.removed)
    unsubscribe()


def test_one_link_query_serves_every_subscriber_and_stops_with_the_last() -> None:
    world = World()
    first, second = Changes(), Changes()
    stop_first = world.source.subscribe(PTR_NAME, dns.rdatatype.PTR, first)
    stop_second = world.source.subscribe(PTR_NAME, dns.rdatatype.PTR, second)
    assert world.link.queries_started == 1
    world.printer.engine.register(ServiceRecords("Third", "_ipp._tcp", 633), world.now)
    world.link.run(world.now + 3.0)
    assert first.added and second.added
    stop_first()
    stop_first()  # idempotent
    assert world.source._follows  # the second still follows
    stop_second()
    assert not world.source._follows
    # Stopped: the proxy's engine no longer asks (RFC 6762 §5.2 continuous queries end).
    sent = len(world.fake.sent_by(world.proxy_node, version=None))
    world.link.run(world.now + 120.0)
    assert len(world.fake.sent_by(world.proxy_node, version=None)) == sent


def test_the_proxys_own_names_are_not_followed_on_the_link() -> None:
    world = World()
    stop = world.source.subscribe(dns.name.from_text(DOMAIN), dns.rdatatype.SOA, Changes())
    stop_b = world.source.subscribe(
        dns.name.from_text(f"b._dns-sd._udp.{DOMAIN}"), dns.rdatatype.PTR, Changes()
    )
    assert world.link.queries_started == 0
    stop()
    stop_b()


def test_link_local_addresses_never_reach_a_subscriber() -> None:
    world = World(proxy_hears_announcements=False)
    changes = Changes()
    host = dns.name.from_text(f"printer.{DOMAIN}")
    stop = world.source.subscribe(host, dns.rdatatype.A, changes)
    world.link.run(world.now + 2.0)
    assert {r.address for s in changes.added for r in s} == {"10.0.0.5"}
    stop()


def test_rfc8765_s6_5_a_doubted_record_is_reconfirmed_on_the_link_and_removed_if_silent() -> None:
    world = World()
    changes = Changes()
    stop = world.source.subscribe(PTR_NAME, dns.rdatatype.PTR, changes)
    (rrset,) = world.source.cached(PTR_NAME, dns.rdatatype.PTR)
    (rdata,) = rrset
    assert not world.source.reconfirm(PTR_NAME, dns.rdatatype.PTR, _ptr("Nobody"))
    world.fake.nodes.remove(world.printer)  # the printer is gone without a goodbye
    assert world.source.reconfirm(PTR_NAME, dns.rdatatype.PTR, rdata)
    world.link.run(world.now + 12.0)  # RFC 6762 §10.4: two queries, then removal
    assert changes.targets(changes.removed) == {f"Office\\032Printer._ipp._tcp.{DOMAIN}."}
    assert world.source.cached(PTR_NAME, dns.rdatatype.PTR) == []
    stop()


def _ptr(instance: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text("IN", "PTR", f"{instance}._ipp._tcp.{DOMAIN}.")


def test_rfc6762_s10_1_a_goodbye_reaches_subscribers_when_it_arrives_and_once() -> None:
    # The cache keeps a goodbye's record one more second before its removal event;
    # a subscriber (DNS Push, RFC 8765 §6.3.1) hears of it at once, and only once.
    world = World()
    changes = Changes()
    registration = world.printer.engine.register(
        ServiceRecords("Leaving", "_ipp._tcp", 634), world.now
    )
    world.link.run(world.now + 3.0)
    stop = world.source.subscribe(PTR_NAME, dns.rdatatype.PTR, changes)
    world.printer.engine.unregister(registration, world.now)
    goodbye_at = world.now
    world.link.run(goodbye_at + 0.05)  # the goodbye is on the wire and taken in
    assert not changes.removed  # no event yet: the cache holds it one second (§10.1)
    world.source.sweep()
    assert changes.targets(changes.removed) == {f"Leaving._ipp._tcp.{DOMAIN}."}
    world.link.run(goodbye_at + 2.0)  # now the cache's own removal event comes
    world.source.sweep()
    assert len(changes.removed) == 1
    assert not changes.added
    stop()


def test_a_sweep_without_a_change_on_the_link_does_nothing() -> None:
    world = World()
    changes = Changes()
    stop = world.source.subscribe(PTR_NAME, dns.rdatatype.PTR, changes)
    world.source.sweep()
    world.source.sweep()
    assert not changes.added and not changes.removed
    stop()


def test_rfc6762_s10_1_a_record_announced_again_within_the_second_is_reported_back() -> None:
    world = World()
    changes = Changes()
    stop = world.source.subscribe(PTR_NAME, dns.rdatatype.PTR, changes)
    pointer = PTR(Name("Office Printer._ipp._tcp.local"))
    source = world.printer.source(4)

    def announce(ttl: int) -> None:
        message = Message(
            flags=Flag.QR | Flag.AA, answers=(Record.of(Name("_ipp._tcp.local"), pointer, ttl),)
        )
        world.fake.inject(world.proxy_node, message, source)
        world.link.pump()
        world.source.sweep()

    announce(0)  # a goodbye
    assert changes.targets(changes.removed) == {f"Office\\032Printer._ipp._tcp.{DOMAIN}."}
    world.link.run(world.now + 0.5)
    announce(4500)  # back within the second (§10.1)
    assert changes.targets(changes.added) == {f"Office\\032Printer._ipp._tcp.{DOMAIN}."}
    world.link.run(world.now + 3.0)
    world.source.sweep()
    assert (len(changes.added), len(changes.removed)) == (1, 1)
    assert world.source.cached(PTR_NAME, dns.rdatatype.PTR)
    stop()


def test_rfc8765_s6_5_the_same_record_doubted_again_is_not_reconfirmed_twice_within_10_s() -> None:
    # RFC 8765 §6.5 leaves the RECONFIRM to the server: each one costs queries on the
    # link (RFC 6762 §10.4), so a repeat of one in progress is ignored and counted.
    world = World()
    (rrset,) = world.source.cached(PTR_NAME, dns.rdatatype.PTR)
    (rdata,) = rrset
    calls: list[object] = []

    def reconfirm(record: object, index: int) -> bool:
        calls.append(record)
        return True

    world.source._reconfirm = reconfirm
    assert world.source.reconfirm(PTR_NAME, dns.rdatatype.PTR, rdata)
    for _ in range(100):
        assert not world.source.reconfirm(PTR_NAME, dns.rdatatype.PTR, rdata)
    assert len(calls) == 1 and world.source.reconfirms_ignored == 100
    world.link.run(world.now + RECONFIRM_HOLD)
    assert world.source.reconfirm(PTR_NAME, dns.rdatatype.PTR, rdata)
    assert len(calls) == 2
