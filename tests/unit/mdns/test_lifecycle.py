"""Conflicts after announcing, cooperation, updates, goodbyes and the state table.

RFC 6762 §6.6, §8.4, §9, §10.1, §13; every step of time is explicit.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface
from pathlib import Path

import pytest

from lanwise.dns import (
    AAAA,
    PTR,
    SRV,
    TXT,
    A,
    Flag,
    Message,
    Name,
    Question,
    Rdata,
    Record,
    RRClass,
    RRType,
    build_message,
    parse_message,
)
from lanwise.errors import UsageError
from lanwise.mdns.endpoints import MDNS_PORT, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.events import (
    RegistrationConflict,
    RegistrationEstablished,
    RegistrationRemoved,
    RegistrationRenamed,
)
from lanwise.mdns.records_state import (
    TRANSITIONS,
    InvalidTransitionError,
    RecordState,
    StateEntry,
    Trigger,
    apply,
    render_table,
    transition,
)
from lanwise.mdns.registration import (
    ServiceRecords,
    next_host_label,
    next_instance_label,
)

from .fakelink import INDEX, FakeLink

PEER = EngineEndpoint(IPv4Address("192.168.1.99"), MDNS_PORT)
RESPONSE = int(Flag.QR | Flag.AA)
INSTANCE = Name("Printer._ipp._tcp.local")


def printer(name: str = "Printer", txt: tuple[bytes, ...] = (b"txtvers=1",)) -> ServiceRecords:
    return ServiceRecords(name, "_ipp._tcp", 631, txt)


def response(*records: Record) -> Message:
    return Message(flags=RESPONSE, answers=records)


def conflicts(events: Sequence[object]) -> list[str]:
    return [e.reason for e in events if isinstance(e, RegistrationConflict)]


def test_conflict_after_announce_reprobes_and_keeps_name_if_undefended_section_9() -> None:
    """§9 (C1): a conflicting record after announcing → probe again; nobody defends → keep."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    registration = node.engine.register(printer(), 0.0)
    link.run(10.0)
    assert registration.state(INDEX) is RecordState.ANNOUNCED
    stale = Record(INSTANCE, RRType.SRV, RRClass.IN, 120, SRV(0, 0, 80, Name("old.local")), True)
    link.inject(node, response(stale), PEER)
    assert registration.state(INDEX) is RecordState.PROBING
    assert conflicts(node.drain_events()) == ["announced-conflict"]
    link.run(20.0)
    assert registration.state(INDEX) is RecordState.ANNOUNCED
    assert registration.name == INSTANCE


def test_conflict_after_announce_renames_when_defended_section_9() -> None:
    """§9: on the fake link, a second host announces our name with other data; one renames."""
    link = FakeLink()
    first = link.add("alpha", "192.168.1.10/24", seed=1)
    ours = first.engine.register(printer(), 0.0)
    link.run(10.0)
    # a host that came up in isolation (its link was partitioned) with the same instance name
    second = link.add("beta", "192.168.1.20/24", seed=2, start=False)
    theirs = second.engine.register(
        ServiceRecords("Printer", "_ipp._tcp", 9100, (b"other=1",)), link.now
    )
    second.engine.add_interface(INDEX, second.addresses, link.now)
    link.run(40.0)
    names = {str(ours.name), str(theirs.name)}
    assert names == {"Printer._ipp._tcp.local", "Printer (2)._ipp._tcp.local"}
    assert ours.state(INDEX) is RecordState.ANNOUNCED
    assert theirs.state(INDEX) is RecordState.ANNOUNCED


def test_identical_record_from_cooperating_responder_is_no_conflict_section_9() -> None:
    """§9 (C2): identical rdata from another host is never a conflict."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    registration = node.engine.register(printer(), 0.0)
    link.run(10.0)
    same = Record(INSTANCE, RRType.SRV, RRClass.IN, 120, SRV(0, 0, 631, Name("alpha.local")), True)
    link.inject(node, response(same), PEER)
    link.run(20.0)
    assert registration.state(INDEX) is RecordState.ANNOUNCED
    assert conflicts(node.drain_events()) == []


def test_goodbye_record_is_no_conflict_section_9_and_10_1() -> None:
    """§10.1: a TTL-0 record claims nothing, so it cannot conflict."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    registration = node.engine.register(printer(), 0.0)
    link.run(10.0)
    gone = Record(INSTANCE, RRType.SRV, RRClass.IN, 0, SRV(0, 0, 80, Name("x.local")), True)
    link.inject(node, response(gone), PEER)
    assert registration.state(INDEX) is RecordState.ANNOUNCED


def test_low_ttl_copy_of_our_record_is_corrected_section_6_6() -> None:
    """§6.6: our unique record seen with under half our TTL → we multicast the true TTL."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    link.run(10.0)
    before = len(link.log)
    mine = Record(Name("alpha.local"), RRType.A, RRClass.IN, 30, A(IPv4Address("192.168.1.10")))
    link.inject(node, response(mine), PEER)
    link.run(12.0)
    sent = [r for s in link.log[before:] for r in s.message.answers]
    assert any(r.rtype == RRType.A and r.ttl == 120 for r in sent)


def test_update_txt_reannounces_without_probing_section_8_4() -> None:
    """§8.4 (A4): new rdata → announce again (twice, 1 s apart), no probes."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    registration = node.engine.register(printer(), 0.0)
    link.run(10.0)
    before = len(link.log)
    node.engine.update(registration, link.now, txt=(b"txtvers=2",))
    link.run(20.0)
    sent = link.sent_by(node)[-2:]
    assert len(link.log) - before == 2
    assert all(s.message.is_response for s in sent)
    assert sent[1].time - sent[0].time == pytest.approx(1.0)
    txts = [r for s in sent for r in s.message.answers if r.rtype == RRType.TXT]
    assert txts and all(r.rdata == TXT((b"txtvers=2",)) and r.cache_flush for r in txts)
    assert registration.service is not None and registration.service.txt == (b"txtvers=2",)


def test_address_change_goodbye_and_reannounce_section_8_4() -> None:
    """§8.4, §10.1: a removed address gets a goodbye; the new set is announced."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    link.run(10.0)
    before = len(link.log)
    node.engine.update_interface(INDEX, [IPv4Interface("192.168.1.11/24")], link.now)
    node.addresses = (IPv4Interface("192.168.1.11/24"),)
    link.run(20.0)
    records = [(r.ttl, r.rdata) for s in link.log[before:] for r in s.message.answers]
    assert (0, A(IPv4Address("192.168.1.10"))) in records
    assert (120, A(IPv4Address("192.168.1.11"))) in records
    assert all(s.message.is_response for s in link.log[before:])  # no probes


def test_unregister_sends_goodbyes_section_10_1() -> None:
    """§10.1 (G1): unregistering sends every record with TTL 0; shared ones still in use stay."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    one = node.engine.register(printer("One"), 0.0)
    node.engine.register(printer("Two"), 0.0)
    link.run(10.0)
    before = len(link.log)
    node.engine.unregister(one, link.now)
    link.deliver()
    [goodbye] = link.log[before:]
    assert goodbye.time == link.now
    assert all(r.ttl == 0 for r in goodbye.message.answers)
    names = {(str(r.name), r.rtype) for r in goodbye.message.answers}
    assert names == {
        ("One._ipp._tcp.local", RRType.SRV),
        ("One._ipp._tcp.local", RRType.TXT),
        ("_ipp._tcp.local", RRType.PTR),
    }  # not the _services PTR: "Two" still has the type
    assert any(isinstance(e, RegistrationRemoved) for e in node.drain_events())
    assert not one.active
    with pytest.raises(UsageError):
        node.engine.update(one, link.now, txt=(b"x=1",))


def test_close_says_goodbye_to_everything_section_10_1() -> None:
    """§10.1: on clean shutdown, TTL 0 for every record, host records included."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    node.engine.register(printer(), 0.0)
    link.run(10.0)
    before = len(link.log)
    node.engine.close(link.now)
    link.deliver()
    records = [r for s in link.log[before:] for r in s.message.answers]
    assert {r.rtype for r in records} == {RRType.A, RRType.PTR, RRType.SRV, RRType.TXT}
    assert all(r.ttl == 0 for r in records)
    assert node.engine.get_timer() is None
    with pytest.raises(UsageError):
        node.engine.register(printer("Late"), link.now)


def test_manual_rename_goodbyes_old_then_probes_new_section_8_4() -> None:
    """BCT II.16 (N1): goodbye for the old PTR, then probe and announce the new name."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    registration = node.engine.register(printer(), 0.0)
    link.run(10.0)
    before = len(link.log)
    node.engine.rename(registration, "Office Printer", link.now)
    link.run(20.0)
    sent = link.log[before:]
    old_ptr = Record(Name("_ipp._tcp.local"), RRType.PTR, RRClass.IN, 0, PTR(INSTANCE))
    assert old_ptr.key in {r.key for r in sent[0].message.answers}
    assert sent[0].message.answers[0].ttl == 0
    probes = [s for s in sent if not s.message.is_response]
    assert len(probes) == 3
    assert str(registration.name) == "Office Printer._ipp._tcp.local"
    assert any(isinstance(e, RegistrationRenamed) for e in node.drain_events())


def test_interface_down_up_probes_again_section_13() -> None:
    """§13 (H1): a link that comes back is probed and announced again."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    link.run(10.0)
    node.engine.remove_interface(INDEX, link.now)
    node.engine.add_interface(INDEX, node.addresses, link.now)
    node.drain_events().clear()
    before = len(link.log)
    link.run(20.0)
    kinds = ["R" if s.message.is_response else "Q" for s in link.log[before:]]
    assert kinds == ["Q", "Q", "Q", "R", "R"]
    assert any(isinstance(e, RegistrationEstablished) for e in node.events)


def test_interface_without_addresses_publishes_nothing_until_it_has_one_section_13() -> None:
    e = Engine(host_name="alpha", rng=random.Random(0))
    e.add_interface(INDEX, [], 0.0)
    assert e.get_timer() is None or e.datagrams_to_send(1.0) == []
    e.update_interface(INDEX, [IPv6Interface("fe80::10/64")], 1.0)
    timer = e.get_timer()
    assert timer is not None and 1.0 <= timer <= 1.25
    e.handle_timer(timer)
    [probe] = e.datagrams_to_send(timer)
    assert str(probe.destination.address) == "ff02::fb"


def test_rename_labels_section_9() -> None:
    """§9, RFC 6763 §4.1: "Name (2)", "Name (3)"; host "name-2", "name-3"; within 63 octets."""
    assert next_instance_label("Printer") == "Printer (2)"
    assert next_instance_label("Printer (2)") == "Printer (3)"
    assert next_instance_label("Printer (9)") == "Printer (10)"
    assert next_host_label("alpha") == "alpha-2"
    assert next_host_label("alpha-2") == "alpha-3"
    long = "x" * 63
    assert len(next_instance_label(long).encode()) <= 63
    assert len(next_host_label(long)) <= 63
    assert next_instance_label("é" * 31).endswith(" (2)")  # never splits a UTF-8 character


def test_service_records_validation() -> None:
    with pytest.raises(UsageError, match="service type"):
        ServiceRecords("x", "http", 80)
    with pytest.raises(UsageError, match="port"):
        ServiceRecords("x", "_http._tcp", 70000)
    with pytest.raises(UsageError, match="instance"):
        ServiceRecords("", "_http._tcp", 80)
    with pytest.raises(UsageError, match="txt"):
        ServiceRecords("x", "_http._tcp", 80, txt=b"a=1")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="host name"):
        Engine(host_name="bad_name")


def test_state_table_rejects_moves_it_does_not_list() -> None:
    """records_state: every transition goes through the table; others are bugs."""
    e = Engine(host_name="alpha")
    entry = StateEntry(e.host, INDEX)
    assert transition(RecordState.PROBING, Trigger.PROBES_DONE) is RecordState.ANNOUNCING
    assert entry.state is RecordState.PROBING  # transition is a pure look-up
    assert apply(entry, Trigger.PROBES_DONE, 0.0) is RecordState.ANNOUNCING
    assert str(entry.state) == "announcing"
    with pytest.raises(InvalidTransitionError):
        apply(entry, Trigger.PROBES_DONE, 0.0)
    with pytest.raises(InvalidTransitionError):
        transition(RecordState.ANNOUNCING, Trigger.PROBES_DONE)
    assert all(state is not RecordState.WITHDRAWN for state, _ in TRANSITIONS)


def test_docs_render_the_state_table_from_the_code() -> None:
    """docs/mdns.md carries the table exactly as records_state renders it."""
    docs = Path(__file__).parents[3] / "docs" / "mdns.md"
    assert render_table() in docs.read_text()


def test_query_for_name_still_probing_is_not_answered_section_8_1() -> None:
    """§8.1: until probing succeeds the records are not ours to answer with."""
    e = Engine(host_name="alpha", rng=random.Random(0))
    e.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    q = Message(questions=(Question(Name("alpha.local"), RRType.A),))
    e.receive(build_message(q), PEER, INDEX, 0.3)
    sent = [parse_message(d.data) for d in e.datagrams_to_send(0.3)]
    assert all(not m.is_response for m in sent)


def test_conflict_after_announce_then_defended_renames_section_9() -> None:
    """§9: after the conflicting record we probe again; a defending answer makes us rename."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    registration = node.engine.register(printer(), 0.0)
    link.run(10.0)
    theirs = Record(INSTANCE, RRType.SRV, RRClass.IN, 120, SRV(0, 0, 80, Name("beta.local")), True)
    link.inject(node, response(theirs), PEER)
    seen = len(link.log)
    while not any(not s.message.is_response for s in link.log[seen:]):
        timer = node.engine.get_timer()
        assert timer is not None
        link.run(timer)  # until our new probe is out
    link.inject(node, response(theirs), PEER)  # the other host defends the name
    link.run(30.0)
    assert conflicts(node.drain_events()) == ["announced-conflict", "probe-answered"]
    assert str(registration.name) == "Printer (2)._ipp._tcp.local"
    assert registration.state(INDEX) is RecordState.ANNOUNCED
    # §10.1: the old name's shared PTR was withdrawn
    goodbyes = [r for s in link.sent_by(node) for r in s.message.answers if r.ttl == 0]
    assert any(r.rtype == RRType.PTR and r.rdata == PTR(INSTANCE) for r in goodbyes)


def test_two_interfaces_on_one_link_do_not_conflict_with_each_other_section_15() -> None:
    """§15: our own packets heard on our other interface are not conflicts or tie-breaks."""
    e = Engine(host_name="alpha", rng=random.Random(0))
    a2 = [IPv4Interface("192.168.1.10/24")]
    a3 = [IPv4Interface("192.168.1.11/24")]
    e.add_interface(2, a2, 0.0)
    e.add_interface(3, a3, 0.0)
    registration = e.register(printer(), 0.0)
    sources = {2: EngineEndpoint(a2[0].ip, MDNS_PORT), 3: EngineEndpoint(a3[0].ip, MDNS_PORT)}
    now = 0.0
    while (timer := e.get_timer()) is not None and timer < 20.0:
        now = timer
        e.handle_timer(now)
        for datagram in e.datagrams_to_send(now):
            other = 3 if datagram.interface == 2 else 2
            if datagram.destination.is_multicast_group:
                e.receive(datagram.data, sources[datagram.interface], other, now)
    events = []
    while (event := e.next_event()) is not None:
        events.append(event)
    assert conflicts(events) == []
    assert str(e.host_name) == "alpha.local" and registration.name == INSTANCE
    assert e.host.interfaces == {2: RecordState.ANNOUNCED, 3: RecordState.ANNOUNCED}


def test_own_services_are_visible_in_the_cache() -> None:
    """What we announce is cached too, so a local browse finds local services."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    node.engine.register(printer(), 0.0)
    link.run(10.0)
    cached = node.engine.cached(Name("_ipp._tcp.local"), RRType.PTR, link.now)
    assert [c.record.rdata for c in cached] == [PTR(INSTANCE)]
    assert node.engine.statistics().cache_size > 0


def test_structured_random_traffic_never_breaks_the_engine() -> None:
    """Well-formed but hostile traffic about our own names: no exception, timers move on."""
    rng = random.Random(11)
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24", "fe80::10/64")
    node.engine.register(printer(), 0.0)
    names = [Name("alpha.local"), INSTANCE, Name("_ipp._tcp.local"), Name("ALPHA.LOCAL")]
    rdatas: list[tuple[int, Rdata]] = [
        (RRType.A, A(IPv4Address("192.168.1.10"))),
        (RRType.A, A(IPv4Address("192.168.1.77"))),
        (RRType.SRV, SRV(0, 0, 631, Name("alpha.local"))),
        (RRType.SRV, SRV(1, 2, 3, Name("zeta.local"))),
        (RRType.TXT, TXT((b"x=1",))),
        (RRType.PTR, PTR(INSTANCE)),
    ]
    sources = [PEER, EngineEndpoint(IPv4Address("192.168.1.98"), 1234), node.source(4)]
    for _ in range(600):
        records = []
        for _ in range(rng.randrange(4)):
            rtype, rdata = rng.choice(rdatas)
            records.append(
                Record(
                    rng.choice(names),
                    rtype,
                    RRClass.IN,
                    rng.choice((0, 1, 120, 4500)),
                    rdata,
                    rng.random() < 0.5,
                )
            )
        questions = tuple(
            Question(
                rng.choice(names), rng.choice((1, 12, 16, 28, 33, 47, 255)), 1, rng.random() < 0.3
            )
            for _ in range(rng.randrange(3))
        )
        flags = rng.choice((0, int(Flag.TC), RESPONSE))
        section = rng.randrange(3)
        message = Message(
            flags=flags,
            questions=questions,
            answers=tuple(records) if section == 0 else (),
            authorities=tuple(records) if section == 1 else (),
            additionals=tuple(records) if section == 2 else (),
        )
        link.inject(node, message, rng.choice(sources), unicast=rng.random() < 0.2)
        link.run(link.now + rng.choice((0.0, 0.01, 0.3, 1.0)))
    stats = node.engine.statistics()
    assert stats.internal_errors == 0
    link.run(link.now + 60.0)
    assert node.engine.host.state(INDEX) in (RecordState.ANNOUNCED, RecordState.PROBING)


def test_local_query_is_answered_by_the_local_responder() -> None:
    """Our own querier's question reaches our own responder (the transport drops echoes),
    so local records stay cached past their TTL while a local query wants them."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    node.engine.register(printer(), 0.0)
    link.run(10.0)
    node.engine.start_query(INSTANCE, RRType.SRV, link.now)
    link.run(400.0)  # more than three SRV lifetimes (120 s)
    [cached] = node.engine.cached(INSTANCE, RRType.SRV, link.now)
    assert cached.record.rdata == SRV(0, 0, 631, Name("alpha.local"))
    srv_answers = [
        s.time
        for s in link.sent_by(node)
        if s.message.is_response and any(r.rtype == RRType.SRV for r in s.message.answers)
    ]
    assert len(srv_answers) >= 4  # refreshed, not merely announced twice


def test_goodbye_for_a_shared_record_we_still_publish_is_answered_section_6_6() -> None:
    """§6.6, §10.1: another host's goodbye for a shared PTR we also publish → we re-assert it."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    node.engine.register(printer(), 0.0)
    link.run(10.0)
    before = len(link.log)
    services = Record(
        Name("_services._dns-sd._udp.local"),
        RRType.PTR,
        RRClass.IN,
        0,
        PTR(Name("_ipp._tcp.local")),
    )
    link.inject(node, response(services), PEER)
    link.run(12.0)
    sent = [r for s in link.log[before:] for r in s.message.answers]
    assert any(r.key == services.key and r.ttl == 4500 for r in sent)


def test_scoped_link_local_address_matches_its_wire_form_section_9() -> None:
    """IPv6 link-local addresses carry their scope; the AAAA on the wire has none. Our own
    record echoed back (or from a cooperating responder) must still be recognised (§9)."""
    e = Engine(host_name="alpha", rng=random.Random(0))
    e.add_interface(INDEX, [IPv6Interface("fe80::10%eth0/64")], 0.0)
    now = 0.0
    while (timer := e.get_timer()) is not None and timer < 10.0:
        now = timer
        e.handle_timer(now)
        e.datagrams_to_send(now)
    echo = Record(
        Name("alpha.local"), RRType.AAAA, RRClass.IN, 120, AAAA(IPv6Address("fe80::10")), True
    )
    peer = EngineEndpoint(IPv6Address("fe80::99%eth0"), MDNS_PORT)
    e.receive(build_message(response(echo)), peer, INDEX, 20.0)
    assert e.statistics().conflicts == 0
    assert e.host.state(INDEX) is RecordState.ANNOUNCED


def test_probe_and_announce_counters_live_beside_the_state_table() -> None:
    """records_state: §8.1 three probes 250 ms apart, §8.3 two announcements 1 s apart."""
    entry = StateEntry(Engine(host_name="alpha").host, INDEX)
    for n in range(3):
        assert not entry.probes_done
        entry.probe_sent(float(n))
        assert entry.next_at == pytest.approx(n + 0.25)
    assert entry.probes_done
    apply(entry, Trigger.PROBES_DONE, 3.0)
    entry.start_announcing(3.0)
    assert entry.announcement_sent(3.0) is False and entry.next_at == pytest.approx(4.0)
    assert entry.announcement_sent(4.0) is True and entry.next_at is None
    assert entry.published
    entry.start_probing(9.0)
    assert (entry.probes_sent, entry.announcements_sent) == (0, 0)
    assert entry.next_at is not None and entry.next_at == 9.0


def test_answer_queued_before_a_txt_change_does_not_send_the_old_txt_section_8_4() -> None:
    """§8.4, §10.2: an answer queued before an update leaves without the replaced TXT.

    A browse's PTR query is answered 20–120 ms later (§6), with SRV and TXT as
    additionals. Were the old TXT still in it, it would reach queriers right
    after the new one's announcement, with the cache-flush bit: §10.2 keeps
    records received less than a second apart, so their caches would hold both
    TXTs, the old one with a fresh TTL, and the second announcement (1 s later)
    flushes nothing. Browsers would show the old TXT for the whole TTL.
    """
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    registration = node.engine.register(printer(), 0.0)
    link.run(10.0)
    link.inject(node, Message(questions=(Question(Name("_ipp._tcp.local"), RRType.PTR),)), PEER)
    node.engine.update(registration, link.now, txt=(b"txtvers=2",))
    before = len(link.log)
    link.run(10.5)
    sent = link.log[before:]
    assert any(r.rtype == RRType.PTR for s in sent for r in s.message.answers)  # the answer left
    txts = [
        r.rdata
        for s in sent
        for r in (*s.message.answers, *s.message.additionals)
        if r.rtype == RRType.TXT and r.ttl > 0
    ]
    assert txts and all(t == TXT((b"txtvers=2",)) for t in txts)


def test_txt_changed_twice_within_a_second_is_announced_three_times_section_10_2() -> None:
    """§8.3, §8.4, §10.2: the second change's announcements go out at +0, +1 s and +3 s.

    A querier keeps a record set's members received within the last second, so
    the old TXT, read late on a busy host, may survive the new one's second
    announcement; a third, two seconds on (§8.3 lets the interval double), flushes it.
    A single change, long after the last announcement, still sends two (test above).
    """
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    registration = node.engine.register(printer(), 0.0)
    link.run(10.0)
    node.engine.update(registration, link.now, txt=(b"seats=3",))
    link.run(10.2)
    node.engine.update(registration, link.now, txt=(b"seats=4",))
    before = len(link.log)
    link.run(20.0)
    times = [
        round(s.time - 10.2, 3)
        for s in link.log[before:]
        if any(r.rdata == TXT((b"seats=4",)) for r in s.message.answers)
    ]
    assert times == [0.0, 1.0, 3.0]
