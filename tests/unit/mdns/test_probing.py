"""Probing and announcing (RFC 6762 §8), stepped by hand on a fake clock."""

from __future__ import annotations

import itertools
import random
from ipaddress import IPv4Interface, IPv6Interface

import pytest

from lanwise.dns import (
    SRV,
    TXT,
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
from lanwise.mdns.endpoints import MDNS_PORT, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.events import (
    RegistrationConflict,
    RegistrationEstablished,
    RegistrationRenamed,
)
from lanwise.mdns.probing import ConflictRateLimiter, compare_probe_records
from lanwise.mdns.records_state import RecordState
from lanwise.mdns.registration import ServiceRecords

from .fakelink import INDEX, FakeLink

PEER = EngineEndpoint(IPv4Interface("192.168.1.99/24").ip, MDNS_PORT)
RESPONSE = int(Flag.QR | Flag.AA)


def engine(seed: int = 0, host: str = "alpha") -> Engine:
    e = Engine(host_name=host, rng=random.Random(seed))
    e.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    return e


def messages(e: Engine, now: float) -> list[Message]:
    return [parse_message(d.data) for d in e.datagrams_to_send(now)]


def printer(name: str = "Printer") -> ServiceRecords:
    return ServiceRecords(name, "_ipp._tcp", 631, (b"txtvers=1",))


def test_first_probe_within_250ms_then_three_250ms_apart_section_8_1() -> None:
    """§8.1: wait 0–250 ms, then three probes 250 ms apart, then announce."""
    for seed in range(20):
        e = engine(seed)
        assert messages(e, 0.0) == []
        first = e.get_timer()
        assert first is not None and 0.0 <= first <= 0.250
        times: list[float] = []
        now = first
        while len(times) < 4:
            e.handle_timer(now)
            sent = messages(e, now)
            if sent:
                times.append(now)
                kinds = ["R" if m.is_response else "Q" for m in sent]
                assert kinds == (["Q"] if len(times) <= 3 else ["R"])
            timer = e.get_timer()
            assert timer is not None
            now = timer
        assert times[1] - times[0] == pytest.approx(0.250)
        assert times[2] - times[1] == pytest.approx(0.250)
        # §8.1: 250 ms after the third probe without conflict, the first announcement.
        assert times[3] - times[2] == pytest.approx(0.250)


def test_probe_packet_shape_section_8_1() -> None:
    """§8.1: ANY questions with QU, proposed records in Authority with cache-flush CLEAR."""
    e = engine()
    e.register(printer(), 0.0)
    now = e.get_timer()
    assert now is not None
    e.handle_timer(now)
    [probe] = messages(e, now)
    assert not probe.is_response
    assert {str(q.name) for q in probe.questions} == {"alpha.local", "Printer._ipp._tcp.local"}
    assert all(q.qtype == RRType.ANY and q.unicast_response for q in probe.questions)
    # host A and the service's SRV + TXT, all in one packet (P4, P10)
    assert sorted(r.rtype for r in probe.authorities) == [RRType.A, RRType.TXT, RRType.SRV]
    assert not any(r.cache_flush for r in probe.authorities)
    assert probe.answers == () and probe.additionals == ()


def test_thousand_services_probe_in_three_rounds_section_8_1() -> None:
    """§8.1: one probe batch per interface carries every name being probed (split by size)."""
    e = engine()
    for i in range(1000):
        e.register(printer(f"Printer {i}"), 0.0)
    start = e.get_timer()
    assert start is not None
    now = start
    rounds: list[float] = []
    packets = 0
    while len(rounds) < 3:
        e.handle_timer(now)
        sent = messages(e, now)
        if sent:
            rounds.append(now)
            packets += len(sent)
            assert all(not m.is_response for m in sent)
            names = {q.name for m in sent for q in m.questions}
            assert len(names) == 1001
            # every name's question travels with its proposed records
            for m in sent:
                assert {q.name for q in m.questions} == {r.name for r in m.authorities}
        timer = e.get_timer()
        assert timer is not None
        now = timer
    assert rounds[2] - rounds[0] == pytest.approx(0.5)
    assert packets < 3 * 150  # a few dozen packets per round, not a thousand
    for d in e.datagrams_to_send(now):
        assert len(d.data) <= 1500 - 28


def test_service_probing_does_not_wait_for_host_section_8_1() -> None:
    """§8.1 (BCT II.1, II.5): the service probes alongside the host name, not after it."""
    e = engine()
    e.register(printer(), 0.0)
    now = e.get_timer()
    assert now is not None
    e.handle_timer(now)
    [probe] = messages(e, now)
    assert Name("Printer._ipp._tcp.local") in {q.name for q in probe.questions}


def _announce(e: Engine, until: float) -> list[tuple[float, Message]]:
    out: list[tuple[float, Message]] = []
    now = 0.0
    while True:
        timer = e.get_timer()
        if timer is None or timer > until:
            return out
        now = timer
        e.handle_timer(now)
        out.extend((now, m) for m in messages(e, now) if m.is_response)


def test_two_announcements_one_second_apart_section_8_3() -> None:
    """§8.3: at least two unsolicited responses, one second apart; then silence (CH1)."""
    e = engine()
    e.register(printer(), 0.0)
    announcements = _announce(e, 3600.0)
    assert len(announcements) == 2
    (t1, m1), (t2, m2) = announcements
    assert t2 - t1 == pytest.approx(1.0)
    for m in (m1, m2):
        assert m.id == 0 and m.flags == RESPONSE and m.questions == ()
        unique = {r.rtype for r in m.answers if r.cache_flush}
        shared = {r.rtype for r in m.answers if not r.cache_flush}
        # §10.2: unique records with cache-flush SET, shared PTRs without (A2)
        assert unique == {RRType.A, RRType.SRV, RRType.TXT, RRType.PTR}
        assert shared == {RRType.PTR}
        assert all(r.ttl > 0 for r in m.answers)
    assert e.host.state(INDEX) is RecordState.ANNOUNCED


def test_announcement_carries_all_records_of_the_name_section_8_3() -> None:
    """§8.3 (A3): SRV, TXT and the host's A/AAAA (+ reverse PTRs) go out together."""
    e = Engine(host_name="alpha", rng=random.Random(0))
    e.add_interface(INDEX, [IPv4Interface("192.168.1.10/24"), IPv6Interface("fe80::10/64")], 0.0)
    e.register(printer(), 0.0)
    (_, first), _ = _announce(e, 10.0)[:2]
    by_type = {(str(r.name), r.rtype) for r in first.answers}
    assert ("Printer._ipp._tcp.local", RRType.SRV) in by_type
    assert ("Printer._ipp._tcp.local", RRType.TXT) in by_type
    assert ("alpha.local", RRType.A) in by_type
    assert ("alpha.local", RRType.AAAA) in by_type
    assert ("10.1.168.192.in-addr.arpa", RRType.PTR) in by_type
    assert ("_ipp._tcp.local", RRType.PTR) in by_type
    assert ("_services._dns-sd._udp.local", RRType.PTR) in by_type


def _probe_answer(name: str, rdata: A | SRV | TXT, rtype: int) -> Message:
    record = Record(Name(name), rtype, RRClass.IN, 120, rdata, True)
    return Message(flags=RESPONSE, answers=(record,))


def test_conflicting_response_renames_instance_section_8_1_and_9() -> None:
    """§8.1, §9: a response with our instance name during probing → "Printer (2)"."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    registration = node.engine.register(printer(), 0.0)
    link.run(0.26)  # the first probe is out
    other = SRV(0, 0, 80, Name("beta.local"))
    link.inject(node, _probe_answer("Printer._ipp._tcp.local", other, RRType.SRV), PEER)
    link.deliver()
    assert str(registration.name) == "Printer (2)._ipp._tcp.local"
    conflicts = [e for e in node.events if isinstance(e, RegistrationConflict)]
    assert conflicts and conflicts[0].reason == "probe-answered"
    renamed = [e for e in node.events if isinstance(e, RegistrationRenamed)]
    assert [str(e.new_name) for e in renamed] == ["Printer (2)._ipp._tcp.local"]
    link.run(5.0)
    assert registration.state(INDEX) is RecordState.ANNOUNCED
    probes = [q for s in link.sent_by(node) for q in s.message.questions]
    assert Name("Printer (2)._ipp._tcp.local") in {q.name for q in probes}


def test_conflicting_response_renames_host_section_8_1_and_9() -> None:
    """§9: the host name is renamed "alpha-2", and the SRV follows it (§8.4)."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    registration = node.engine.register(printer(), 0.0)
    link.run(0.26)
    other = A(IPv4Interface("192.168.1.99/24").ip)
    link.inject(node, _probe_answer("ALPHA.local", other, RRType.A), PEER)  # §16: any case
    assert str(node.engine.host_name) == "alpha-2.local"
    link.run(5.0)
    assert node.engine.host.state(INDEX) is RecordState.ANNOUNCED
    srv = [r for s in link.sent_by(node) for r in s.message.answers if r.rtype == RRType.SRV]
    assert srv and all(isinstance(r.rdata, SRV) for r in srv)
    assert {str(r.rdata.target) for r in srv} == {"alpha-2.local"}  # type: ignore[attr-defined]
    assert registration.state(INDEX) is RecordState.ANNOUNCED


def test_conflicting_response_before_first_probe_is_ignored_section_8_1() -> None:
    """§8.1 (P13): responses received before the first probe are not taken as conflicts."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24", seed=3)
    registration = node.engine.register(printer(), 0.0)
    first = node.engine.get_timer()
    assert first is not None and first > 0.0
    other = SRV(0, 0, 80, Name("beta.local"))
    link.inject(node, _probe_answer("Printer._ipp._tcp.local", other, RRType.SRV), PEER)
    link.run(5.0)
    assert str(registration.name) == "Printer._ipp._tcp.local"
    assert registration.state(INDEX) is RecordState.ANNOUNCED


def test_fifteen_conflicts_in_ten_seconds_slow_probing_to_five_seconds_section_8_1() -> None:
    """§8.1 (P9): after 15 conflicts within 10 s, wait 5 s before each further attempt."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    registration = node.engine.register(printer(), 0.0)
    starts: list[float] = []
    for _ in range(18):
        name = registration.name
        seen = len(link.log)
        while not any(q.name == name for s in link.log[seen:] for q in s.message.questions):
            timer = node.engine.get_timer()
            assert timer is not None
            link.run(timer)  # until the first probe of the current name goes out
        starts.append(link.now)
        other = SRV(0, 0, 80, Name("beta.local"))
        link.inject(node, _probe_answer(str(name), other, RRType.SRV), PEER)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(g <= 0.250 + 1e-9 for g in gaps[:14])
    assert all(g >= 5.0 - 1e-9 for g in gaps[14:])
    assert node.engine.statistics().conflicts == 18


def test_conflict_rate_limiter_window_section_8_1() -> None:
    """§8.1: the limit counts conflicts within the last 10 s only."""
    limiter = ConflictRateLimiter()
    for i in range(15):
        limiter.record(i * 0.5)
    assert limiter.limited(7.0)
    assert limiter.earliest_probe(7.0) == 12.0
    assert limiter.limited(10.5)  # still limited while conflicts keep coming
    assert not limiter.limited(17.0 + 10.0)  # 10 s without a conflict: full speed again
    assert limiter.earliest_probe(27.0) is None


def _rec(rtype: int, rdata: A | SRV | TXT) -> Record:
    return Record(Name("x.local"), rtype, RRClass.IN, 120, rdata, True)


def test_tie_break_compares_class_type_rdata_section_8_2_1() -> None:
    """§8.2.1: sorted records, class then type then rdata bytes; identical → no conflict."""
    a1 = _rec(RRType.A, A(IPv4Interface("169.254.99.200/16").ip))
    a2 = _rec(RRType.A, A(IPv4Interface("169.254.200.50/16").ip))
    # the RFC's example: 169.254.200.50 is later than 169.254.99.200, so it wins
    assert compare_probe_records([a2], [a1]) > 0
    assert compare_probe_records([a1], [a2]) < 0
    assert compare_probe_records([a1], [a1]) == 0
    # a longer list wins when one is a prefix of the other; order of input does not matter
    assert compare_probe_records([a1, a2], [a1]) > 0
    assert compare_probe_records([a2, a1], [a1, a2]) == 0
    # type compares before rdata: SRV (33) is later than A (1)
    srv = _rec(RRType.SRV, SRV(0, 0, 1, Name("a.local")))
    assert compare_probe_records([a2], [srv]) < 0
    # cache-flush bit is not part of the class
    flushed = Record(a1.name, a1.rtype, a1.rclass, a1.ttl, a1.rdata, False)
    assert compare_probe_records([a1], [flushed]) == 0


def _peer_probe(name: str, rdata: A, *, qu: bool = True) -> Message:
    return Message(
        questions=(Question(Name(name), RRType.ANY, RRClass.IN, qu),),
        authorities=(Record(Name(name), RRType.A, RRClass.IN, 120, rdata),),
    )


def test_tie_break_loser_waits_one_second_and_probes_again_section_8_2() -> None:
    """§8.2 (P5, P12): a later proposal wins; we defer 1 s and probe again from the start."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    link.run(0.26)
    first_probe = link.sent_by(node)[0].time
    later = A(IPv4Interface("192.168.1.200/24").ip)  # 200 > 10: the peer's data is later
    link.inject(node, _peer_probe("alpha.local", later), PEER)
    lost_at = link.now
    conflicts = [e for e in node.drain_events() if isinstance(e, RegistrationConflict)]
    assert [e.reason for e in conflicts] == ["tie-break-lost"]
    assert node.engine.get_timer() == pytest.approx(lost_at + 1.0)
    link.run(lost_at + 0.99)
    assert [s.time for s in link.sent_by(node)] == [first_probe]
    link.run(lost_at + 1.0)
    assert len(link.sent_by(node)) == 2  # probing again, same name
    assert str(node.engine.host_name) == "alpha.local"


def test_tie_break_winner_keeps_probing_section_8_2() -> None:
    """§8.2 (P6): an earlier proposal loses; we carry on without delay."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    link.run(0.26)
    earlier = A(IPv4Interface("192.168.1.2/24").ip)
    link.inject(node, _peer_probe("alpha.local", earlier), PEER)
    link.run(3.0)
    assert not [e for e in node.drain_events() if isinstance(e, RegistrationConflict)]
    assert node.engine.host.state(INDEX) is RecordState.ANNOUNCED


def test_simultaneous_probes_end_with_one_owner_section_8_2() -> None:
    """§8.2 on a fake link: two hosts claim one name at once; one keeps it, one renames."""
    link = FakeLink()
    low = link.add("shared", "192.168.1.10/24", seed=1)
    high = link.add("shared", "192.168.1.20/24", seed=2)
    low_service = low.engine.register(printer("Same"), 0.0)
    high_service = high.engine.register(printer("Same"), 0.0)
    link.run(20.0)
    names = {str(low.engine.host_name), str(high.engine.host_name)}
    assert names == {"shared.local", "shared-2.local"}
    # the later data (192.168.1.20) wins the host name
    assert str(high.engine.host_name) == "shared.local"
    instances = {str(low_service.name), str(high_service.name)}
    assert instances == {"Same._ipp._tcp.local", "Same (2)._ipp._tcp.local"}
    for registration in (low.engine.host, high.engine.host, low_service, high_service):
        assert registration.state(INDEX) is RecordState.ANNOUNCED
    established = [e for e in low.events + high.events if isinstance(e, RegistrationEstablished)]
    assert len(established) >= 4


def test_names_compare_case_insensitively_in_tie_break_section_16() -> None:
    """§16 (P11): a peer probing "ALPHA.LOCAL" probes our name."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    link.run(0.26)
    later = A(IPv4Interface("192.168.1.200/24").ip)
    link.inject(node, _peer_probe("ALPHA.LOCAL", later), PEER)
    reasons = [e.reason for e in node.drain_events() if isinstance(e, RegistrationConflict)]
    assert reasons == ["tie-break-lost"]


def test_our_own_probe_looped_back_is_not_a_conflict_section_8_2() -> None:
    """§8.2: identical proposed data (our own packet looped back) is no conflict."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    link.run(0.26)
    probe = link.sent_by(node)[0]
    link.inject(node, probe.datagram.data, node.source(4))
    link.run(3.0)
    assert not [e for e in node.drain_events() if isinstance(e, RegistrationConflict)]
    assert node.engine.host.state(INDEX) is RecordState.ANNOUNCED


def test_probe_defence_for_announced_name_section_8_1() -> None:
    """§8.1, §6: a probe for a name we hold is answered at once by multicast."""
    link = FakeLink()
    node = link.add("alpha", "192.168.1.10/24")
    link.run(5.0)
    before = len(link.log)
    other = A(IPv4Interface("192.168.1.99/24").ip)
    link.inject(node, build_message(_peer_probe("alpha.local", other, qu=False)), PEER)
    link.deliver()
    replies = link.log[before:]
    assert replies and replies[0].time == link.now
    assert replies[0].datagram.destination.is_multicast_group
    assert any(r.rtype == RRType.A for r in replies[0].message.answers)
