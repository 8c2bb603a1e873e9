"""Answering queries (RFC 6762 §5.4, §6, §7, §10, §11, §15, §17, §18; RFC 6763 §12)."""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface

import pytest

from lanwise.dns import (
    NSEC,
    PTR,
    SRV,
    A,
    Flag,
    Message,
    Name,
    Question,
    Record,
    RRClass,
    RRType,
    build_message,
    parse_message,
)
from lanwise.mdns.endpoints import MDNS_PORT, Datagram, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.registration import ServiceRecords

from .fakelink import INDEX

PEER = EngineEndpoint(IPv4Address("192.168.1.99"), MDNS_PORT)
PEER6 = EngineEndpoint(IPv6Address("fe80::99"), MDNS_PORT)
HOST = Name("alpha.local")
INSTANCE = Name("Printer._ipp._tcp.local")
TYPE = Name("_ipp._tcp.local")
RESPONSE = int(Flag.QR | Flag.AA)


def announced(seed: int = 0, services: int = 1, **kw: object) -> tuple[Engine, float]:
    """An engine whose host and services are announced; returns it and the time."""
    e = Engine(host_name="alpha", rng=random.Random(seed))
    e.add_interface(
        INDEX,
        [IPv4Interface("192.168.1.10/24"), IPv6Interface("fe80::10/64")],
        0.0,
        **kw,  # type: ignore[arg-type]
    )
    for i in range(services):
        name = "Printer" if i == 0 else f"Printer {i}"
        e.register(ServiceRecords(name, "_ipp._tcp", 631, (b"txtvers=1",)), 0.0)
    now = 0.0
    while (timer := e.get_timer()) is not None and timer < 10.0:
        now = timer
        e.handle_timer(now)
        e.datagrams_to_send(now)
    now = 10.0
    e.handle_timer(now)
    e.datagrams_to_send(now)
    while e.next_event() is not None:
        pass
    return e, now + 10.0  # well past every announcement: no rate limit in the way


def query(
    *questions: Question, known: tuple[Record, ...] = (), flags: int = 0, id: int = 0
) -> bytes:
    return build_message(Message(id=id, flags=flags, questions=questions, answers=known))


def q(name: Name, qtype: int, *, qu: bool = False) -> Question:
    return Question(name, qtype, RRClass.IN, qu)


def step(e: Engine, start: float, until: float) -> list[tuple[float, Datagram]]:
    """Fire every timer from ``start`` to ``until``; collect what is sent, with times."""
    out = [(start, d) for d in e.datagrams_to_send(start)]
    while (timer := e.get_timer()) is not None and timer <= until:
        e.handle_timer(timer)
        out.extend((timer, d) for d in e.datagrams_to_send(timer))
    return out


def answers_of(sent: list[tuple[float, Datagram]]) -> list[Record]:
    return [r for _, d in sent for r in parse_message(d.data).answers]


def test_unique_answer_goes_at_once_section_6() -> None:
    """§6 (R1): when every answer is unique, respond without the random delay."""
    e, now = announced()
    e.receive(query(q(HOST, RRType.A)), PEER, INDEX, now)
    sent = e.datagrams_to_send(now)
    assert len(sent) == 1
    message = parse_message(sent[0].data)
    assert [r.rtype for r in message.answers] == [RRType.A]
    assert sent[0].destination.is_multicast_group and sent[0].destination.address.version == 4


def test_shared_answer_waits_20_to_120ms_section_6() -> None:
    """§6 (R2, R16): shared answers are delayed uniformly in 20–120 ms."""
    delays = []
    for seed in range(40):
        e, now = announced(seed)
        e.receive(query(q(TYPE, RRType.PTR)), PEER, INDEX, now)
        assert e.datagrams_to_send(now) == []
        sent = step(e, now, now + 1.0)
        assert len(sent) == 1
        delays.append(sent[0][0] - now)
    assert all(0.020 <= d <= 0.120 for d in delays)
    quarters = [
        sum(1 for d in delays if 0.020 + k * 0.025 <= d < 0.045 + k * 0.025) for k in range(4)
    ]
    assert all(q > 0 for q in quarters)  # spread over the whole range


def test_header_of_multicast_response_section_18() -> None:
    """§18 (R20): ID 0, QR and AA set, opcode and rcode 0, no questions, TC clear."""
    e, now = announced()
    e.receive(query(q(HOST, RRType.A), id=1234), PEER, INDEX, now)
    [datagram] = e.datagrams_to_send(now)
    message = parse_message(datagram.data)
    assert message.id == 0
    assert message.flags == RESPONSE
    assert message.questions == ()


def test_queries_with_nonzero_opcode_or_rcode_are_ignored_section_18() -> None:
    """§18.3, §18.11: a query with opcode or rcode not zero is silently ignored."""
    e, now = announced()
    e.receive(query(q(HOST, RRType.A), flags=0x2000), PEER, INDEX, now)  # opcode 4 (NOTIFY)
    e.receive(query(q(HOST, RRType.A), flags=0x0003), PEER, INDEX, now)  # rcode 3
    assert step(e, now, now + 1.0) == []
    assert e.statistics().interfaces[INDEX].ignored == 2


def test_two_shared_queries_are_aggregated_section_6_4() -> None:
    """§6.4 (R17): two shared queries back to back are answered in one packet."""
    for seed in range(20):
        e, now = announced(seed)
        services = Name("_services._dns-sd._udp.local")
        e.receive(query(q(TYPE, RRType.PTR)), PEER, INDEX, now)
        e.receive(query(q(services, RRType.PTR)), PEER, INDEX, now + 0.005)
        sent = step(e, now + 0.005, now + 1.0)
        assert len(sent) == 1
        names = {r.name for r in parse_message(sent[0][1].data).answers}
        assert {TYPE, services} <= names


def test_known_answer_suppression_section_7_1() -> None:
    """§7.1 (R4, R23): a known answer with TTL ≥ half ours suppresses; below half does not."""
    ptr = Record(TYPE, RRType.PTR, RRClass.IN, 4500, PTR(INSTANCE))
    for ttl, answered in ((4500, False), (2250, False), (2249, True)):
        e, now = announced()
        known = (Record(ptr.name, ptr.rtype, ptr.rclass, ttl, ptr.rdata),)
        e.receive(query(q(TYPE, RRType.PTR), known=known), PEER, INDEX, now)
        sent = step(e, now, now + 1.0)
        assert bool(sent) is answered, ttl


def test_truncated_query_waits_for_more_known_answers_section_7_2() -> None:
    """§7.2 (R5): TC set → wait 400–500 ms; known answers in the follow-up still suppress."""
    ptr = Record(TYPE, RRType.PTR, RRClass.IN, 4500, PTR(INSTANCE))
    e, now = announced()
    e.receive(query(q(TYPE, RRType.PTR), flags=int(Flag.TC)), PEER, INDEX, now)
    assert step(e, now, now + 0.399) == []
    e.receive(query(known=(ptr,)), PEER, INDEX, now + 0.2)
    assert step(e, now + 0.2, now + 2.0) == []  # suppressed by the second packet's answer
    # without the follow-up, the answer goes out 400–500 ms after the query
    for seed in range(10):
        e, now = announced(seed)
        e.receive(query(q(TYPE, RRType.PTR), flags=int(Flag.TC)), PEER, INDEX, now)
        sent = step(e, now, now + 2.0)
        assert len(sent) == 1 and 0.400 <= sent[0][0] - now <= 0.500


def test_duplicate_answer_suppression_section_7_4() -> None:
    """§7.4 (R6): another responder multicasts our pending shared answer → we stay quiet."""
    e, now = announced()
    e.receive(query(q(TYPE, RRType.PTR)), PEER, INDEX, now)
    ptr = Record(TYPE, RRType.PTR, RRClass.IN, 4500, PTR(INSTANCE))
    other = EngineEndpoint(IPv4Address("192.168.1.50"), MDNS_PORT)
    e.receive(build_message(Message(flags=RESPONSE, answers=(ptr,))), other, INDEX, now + 0.01)
    assert step(e, now + 0.01, now + 1.0) == []


def test_same_record_multicast_at_most_once_per_second_section_6_2() -> None:
    """§6.2 (R3): a record is multicast at most once per second per interface."""
    e, now = announced()
    e.receive(query(q(HOST, RRType.A)), PEER, INDEX, now)
    first = step(e, now, now)
    assert len(first) == 1
    e.receive(query(q(HOST, RRType.A)), PEER, INDEX, now + 0.1)
    sent = step(e, now + 0.1, now + 2.0)
    assert [t for t, _ in sent] == [pytest.approx(now + 1.0)]


def test_probe_defence_is_limited_to_250ms_section_6_2() -> None:
    """§6.2: in answer to a probe, a record may be multicast again after 250 ms."""
    e, now = announced()
    e.receive(query(q(HOST, RRType.A)), PEER, INDEX, now)
    step(e, now, now)
    probe = build_message(
        Message(
            questions=(q(HOST, RRType.ANY),),
            authorities=(Record(HOST, RRType.A, RRClass.IN, 120, A(IPv4Address("192.168.1.99"))),),
        )
    )
    e.receive(probe, PEER, INDEX, now + 0.1)
    sent = step(e, now + 0.1, now + 2.0)
    a_times = [t for t, d in sent for r in parse_message(d.data).answers if r.rtype == RRType.A]
    assert a_times == [pytest.approx(now + 0.25)]


def test_qu_question_answered_by_unicast_when_recently_multicast_section_5_4() -> None:
    """§5.4 (R7): QU → unicast to the querier's port 5353, unless not multicast within ¼ TTL."""
    e, now = announced()
    # the A record was announced ~10 s ago, well within a quarter of 120 s: unicast
    e.receive(query(q(HOST, RRType.A, qu=True)), PEER, INDEX, now)
    [datagram] = e.datagrams_to_send(now)
    assert datagram.destination == PEER
    # 31 s later (more than 120/4) the same QU question gets a multicast answer
    later = now + 31.0
    e.handle_timer(later)
    e.receive(query(q(HOST, RRType.A, qu=True)), PEER, INDEX, later)
    [datagram] = e.datagrams_to_send(later)
    assert datagram.destination.is_multicast_group


def test_direct_unicast_query_gets_unicast_answer_section_5_5() -> None:
    """§5.5: a query sent to our unicast address on port 5353 is answered by unicast."""
    e, now = announced()
    e.receive(query(q(HOST, RRType.A)), PEER, INDEX, now, unicast=True)
    [datagram] = e.datagrams_to_send(now)
    assert datagram.destination == PEER


def test_legacy_unicast_reply_section_6_7() -> None:
    """§6.7 (R8): source port ≠ 5353 → unicast to it, same ID, question echoed, TTL ≤ 10."""
    e, now = announced()
    legacy = EngineEndpoint(IPv4Address("192.168.1.99"), 40000)
    e.receive(query(q(INSTANCE, RRType.SRV), id=4242, flags=int(Flag.RD)), legacy, INDEX, now)
    [datagram] = e.datagrams_to_send(now)
    assert datagram.destination == legacy
    message = parse_message(datagram.data)
    assert message.id == 4242 and message.is_response
    assert message.questions == (q(INSTANCE, RRType.SRV),)
    assert [r.rtype for r in message.answers] == [RRType.SRV]
    assert all(r.ttl <= 10 and not r.cache_flush for r in message.records)


def test_nsec_for_missing_type_section_6_1() -> None:
    """§6.1 (R9): a type we do not have at a name we own → NSEC listing what we have."""
    e = Engine(host_name="alpha", rng=random.Random(0))
    e.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    step(e, 0.0, 10.0)
    now = 20.0
    e.receive(query(q(HOST, RRType.AAAA)), PEER, INDEX, now)
    [datagram] = e.datagrams_to_send(now)
    [nsec] = parse_message(datagram.data).answers
    assert nsec.rtype == RRType.NSEC and nsec.name == HOST and nsec.cache_flush
    assert isinstance(nsec.rdata, NSEC) and nsec.rdata.types == frozenset({RRType.A})
    assert nsec.rdata.next_name == HOST
    # and with a positive A answer, the NSEC rides in the Additional Section
    e.receive(query(q(HOST, RRType.A)), PEER, INDEX, now + 2)
    [datagram] = e.datagrams_to_send(now + 2)
    message = parse_message(datagram.data)
    assert [r.rtype for r in message.answers] == [RRType.A]
    assert [r.rtype for r in message.additionals] == [RRType.NSEC]


def test_no_answer_for_names_we_do_not_own_section_6() -> None:
    """§6: respond only with a positive answer or an authoritative negative one."""
    e, now = announced()
    e.receive(query(q(Name("beta.local"), RRType.A)), PEER, INDEX, now)
    assert step(e, now, now + 1.0) == []


def test_any_query_for_instance_gives_srv_and_txt_section_6_5() -> None:
    """§6.5 (R19): ANY for the instance name → SRV and TXT in Answers."""
    e, now = announced()
    e.receive(query(q(INSTANCE, RRType.ANY)), PEER, INDEX, now)
    [datagram] = e.datagrams_to_send(now)
    message = parse_message(datagram.data)
    assert sorted(r.rtype for r in message.answers) == [RRType.TXT, RRType.SRV]


def test_additional_records_for_ptr_and_srv_rfc6763_section_12() -> None:
    """RFC 6763 §12 (R10): PTR → SRV, TXT, A, AAAA; no duplicates."""
    e, now = announced()
    e.receive(query(q(TYPE, RRType.PTR)), PEER, INDEX, now)
    [(_, datagram)] = step(e, now, now + 1.0)
    message = parse_message(datagram.data)
    assert [r.rtype for r in message.answers] == [RRType.PTR]
    extra = sorted(r.rtype for r in message.additionals)
    assert extra == [RRType.A, RRType.TXT, RRType.AAAA, RRType.SRV]
    keys = [r.key for r in message.records]
    assert len(keys) == len(set(keys))
    e.receive(query(q(INSTANCE, RRType.SRV)), PEER, INDEX, now + 5)
    [datagram] = e.datagrams_to_send(now + 5)
    message = parse_message(datagram.data)
    assert sorted(r.rtype for r in message.additionals) == [RRType.A, RRType.AAAA]


def test_default_ttls_section_10() -> None:
    """§10 (R11): 120 s for records naming a host, 4500 s for the others."""
    e, now = announced()
    e.receive(query(q(TYPE, RRType.PTR)), PEER, INDEX, now)
    [(_, datagram)] = step(e, now, now + 1.0)
    ttls = {r.rtype: r.ttl for r in parse_message(datagram.data).records}
    assert ttls == {
        RRType.PTR: 4500,
        RRType.TXT: 4500,
        RRType.SRV: 120,
        RRType.A: 120,
        RRType.AAAA: 120,
    }


def test_each_interface_answers_with_its_own_addresses_section_15() -> None:
    """§15 (R12): answers on an interface carry only that interface's addresses."""
    e = Engine(host_name="alpha", rng=random.Random(0))
    e.add_interface(2, [IPv4Interface("192.168.1.10/24"), IPv6Interface("fe80::10/64")], 0.0)
    e.add_interface(3, [IPv4Interface("10.0.0.10/8"), IPv6Interface("fe80::3:10/64")], 0.0)
    step(e, 0.0, 10.0)
    now = 20.0
    for index, source, want in (
        (2, PEER, {"192.168.1.10", "fe80::10"}),
        (3, EngineEndpoint(IPv4Address("10.0.0.99"), MDNS_PORT), {"10.0.0.10", "fe80::3:10"}),
    ):
        e.receive(query(q(HOST, RRType.ANY)), source, index, now)
        sent = e.datagrams_to_send(now)
        assert {d.interface for d in sent} == {index}
        addresses = {
            str(r.rdata.address)  # type: ignore[attr-defined]
            for d in sent
            for r in parse_message(d.data).answers
            if r.rtype in (RRType.A, RRType.AAAA)
        }
        assert addresses == want


def test_ipv6_query_answered_on_ipv6_section_20() -> None:
    """§20 (R15): a query over IPv6 from a link-local source is answered to ff02::fb."""
    e, now = announced()
    e.receive(query(q(HOST, RRType.AAAA)), PEER6, INDEX, now)
    [datagram] = e.datagrams_to_send(now)
    assert datagram.destination.address == IPv6Address("ff02::fb")
    [record] = parse_message(datagram.data).answers
    assert str(record.rdata.address) == "fe80::10"  # type: ignore[attr-defined]


def test_off_link_source_is_ignored_section_11() -> None:
    """§11 (R13): packets (unicast queries included) from off-link sources are dropped."""
    e, now = announced()
    far = EngineEndpoint(IPv4Address("8.8.8.8"), MDNS_PORT)
    e.receive(query(q(HOST, RRType.A)), far, INDEX, now)
    e.receive(query(q(HOST, RRType.A)), far, INDEX, now, unicast=True)
    assert step(e, now, now + 1.0) == []
    assert e.statistics().interfaces[INDEX].off_link_dropped == 2
    # an IPv4 link-local peer is on-link even outside our prefix
    e.receive(
        query(q(HOST, RRType.A)), EngineEndpoint(IPv4Address("169.254.3.4"), 5353), INDEX, now
    )
    assert len(e.datagrams_to_send(now)) == 1


def test_responses_split_to_fit_the_interface_section_17() -> None:
    """§17: a large answer set is split; no packet exceeds the interface's limit."""
    e, now = announced(services=200, mtu=1500)
    e.receive(query(q(TYPE, RRType.PTR)), PEER, INDEX, now)
    sent = step(e, now, now + 1.0)
    assert len(sent) > 1
    assert all(len(d.data) <= 1500 - 28 for _, d in sent)
    ptrs = {r.rdata for r in answers_of(sent) if r.rtype == RRType.PTR}
    assert len(ptrs) == 200


def test_adversarial_input_never_raises() -> None:
    """Bad input from the network is counted and dropped, never raised."""
    e, now = announced()
    rng = random.Random(7)
    valid = query(q(HOST, RRType.A), q(TYPE, RRType.PTR))
    for i in range(2000):
        if i % 2:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
        else:
            mutated = bytearray(valid)
            for _ in range(3):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            data = bytes(mutated)
        e.receive(data, PEER, INDEX, now)
        e.datagrams_to_send(now)
    stats = e.statistics()
    assert stats.malformed_dropped > 0
    assert stats.internal_errors == 0


def test_srv_answer_names_valid_target_rfc6763() -> None:
    e, now = announced()
    e.receive(query(q(INSTANCE, RRType.SRV)), PEER, INDEX, now)
    [datagram] = e.datagrams_to_send(now)
    [srv] = parse_message(datagram.data).answers
    assert isinstance(srv.rdata, SRV) and srv.rdata.target == HOST and srv.rdata.port == 631


def test_qu_probe_always_gets_a_unicast_answer_section_5_4() -> None:
    """§5.4: a QU probe question is answered by unicast, plus multicast if not sent lately."""
    e, now = announced()
    probe = build_message(
        Message(
            questions=(q(HOST, RRType.ANY, qu=True),),
            authorities=(Record(HOST, RRType.A, RRClass.IN, 120, A(IPv4Address("192.168.1.99"))),),
        )
    )
    e.receive(probe, PEER, INDEX, now)  # the A record was announced ~10 s ago: unicast only
    assert [d.destination for d in e.datagrams_to_send(now)] == [PEER]
    later = now + 31.0  # more than a quarter of 120 s since the last multicast
    e.handle_timer(later)
    e.receive(probe, PEER, INDEX, later)
    destinations = {str(d.destination) for d in e.datagrams_to_send(later)}
    assert destinations == {str(PEER), "224.0.0.251:5353"}


def test_subtype_and_service_type_enumeration_rfc6763_sections_7_1_and_9() -> None:
    """RFC 6763 §7.1 (S4), §9 (S3): subtype PTRs and the _services PTR are answered."""
    e = Engine(host_name="alpha", rng=random.Random(0))
    e.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    service = ServiceRecords("Kitchen.Printer ünïcode", "_ipp._tcp", 631, subtypes=("_universal",))
    registration = e.register(service, 0.0)
    step(e, 0.0, 10.0)
    now = 20.0
    instance = Name.from_labels(("Kitchen.Printer ünïcode", "_ipp", "_tcp", "local"))
    assert registration.name == instance
    for name, target in (
        (Name("_universal._sub._ipp._tcp.local"), instance),
        (Name("_services._dns-sd._udp.local"), TYPE),
    ):
        e.receive(query(q(name, RRType.PTR)), PEER, INDEX, now)
        sent = step(e, now, now + 1.0)
        assert [r.rdata for r in answers_of(sent)] == [PTR(target)]
        now += 2.0
