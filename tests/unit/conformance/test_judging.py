"""How the checks judge captured traffic, on hand-made packet sequences: the
startup checks (§8.1 probes, §8.3 announcements, §10.1 goodbyes) see exactly
what the target sent and when."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from ipaddress import IPv4Address, IPv6Address
from typing import Any, cast

from lanwise.conformance import Outcome, Report
from lanwise.conformance.probing import (
    Observation,
    check_announcements,
    check_goodbyes,
    check_probes,
)
from lanwise.conformance.session import Session, split_service
from lanwise.conformance.wire import RESPONSE_FLAGS, Captured, Wire, build_packet
from lanwise.dns import AAAA, PTR, SRV, TXT, A, Name, Question, Record, RRType, parse_message

TARGET = IPv4Address("10.0.0.5")
GROUP = IPv4Address("224.0.0.251")
INSTANCE, STYPE = split_service("Box._http._tcp.local")
HOST = Name("box.local")


class FakeWire:
    """Stands in for the tester's sockets: a list of packets already captured."""

    def __init__(self, packets: Sequence[Captured]) -> None:
        self.packets = list(packets)
        self.v4 = object()

    def since(
        self, start: float, predicate: Callable[[Captured], bool] | None = None
    ) -> list[Captured]:
        return [p for p in self.packets if p.time >= start and (predicate is None or predicate(p))]


def packet(at: float, data: bytes, *, source: IPv4Address = TARGET) -> Captured:
    return Captured(at, data, parse_message(data), source, 5353, GROUP, 2, 255, False)


def service_records(*, flush: bool, ttl_scale: int = 1) -> list[Record]:
    return [
        Record.of(INSTANCE, SRV(0, 0, 80, HOST), 120 * ttl_scale, cache_flush=flush),
        Record.of(INSTANCE, TXT((b"a=1",)), 4500 * ttl_scale, cache_flush=flush),
    ]


def host_records(*, flush: bool, ttl_scale: int = 1) -> list[Record]:
    return [
        Record.of(HOST, A(TARGET), 120 * ttl_scale, cache_flush=flush),
        Record.of(HOST, AAAA(IPv6Address("fe80::5")), 120 * ttl_scale, cache_flush=flush),
    ]


def probe(at: float, *, qu: bool = True, flush: bool = False) -> Captured:
    questions = [
        Question(INSTANCE, RRType.ANY, unicast_response=qu),
        Question(HOST, RRType.ANY, unicast_response=qu),
    ]
    authority = service_records(flush=flush) + host_records(flush=flush)
    return packet(at, build_packet(questions, (), authority))


def announcement(at: float) -> Captured:
    answers = [
        *service_records(flush=True),
        *host_records(flush=True),
        Record.of(STYPE, PTR(INSTANCE), 4500),
    ]
    return packet(at, build_packet((), answers, flags=RESPONSE_FLAGS))


def goodbye(at: float) -> Captured:
    answers = [*service_records(flush=False, ttl_scale=0), Record.of(STYPE, PTR(INSTANCE), 0)]
    return packet(at, build_packet((), answers, flags=RESPONSE_FLAGS))


def judge(packets: list[Captured], triggered: float | None = None) -> Report:
    report = Report("box.local")
    session = Session(
        wire=cast(Wire, cast(Any, FakeWire(packets))),
        report=report,
        host_name=HOST,
        service=INSTANCE,
        service_type=STYPE,
        configured_service=INSTANCE,
        started=0.0,
    )
    session.addresses.add(TARGET)
    obs = Observation(0.0, packets, triggered=triggered)
    check_goodbyes(session, obs)
    check_probes(session, obs)
    check_announcements(session, obs)
    return report


def good_start(**probe_options: bool) -> list[Captured]:
    return [
        goodbye(0.01),
        probe(0.15, **probe_options),
        probe(0.40),
        probe(0.65),
        announcement(0.90),
        announcement(1.90),
    ]


def test_a_conforming_start_passes_every_startup_check() -> None:
    report = judge(good_start())
    for id in ("P1", "P2", "P3", "P4", "P10", "A1", "A2", "A3", "CH1", "G1"):
        assert report.tests[id].result is Outcome.PASS, report.tests[id].line()


def test_cache_flush_bit_in_the_probes_authority_section_fails_p3() -> None:
    """§10.2: the failure the avahi user's device had in Apple's BCT."""
    packets = good_start()
    packets[1] = probe(0.15, flush=True)
    report = judge(packets)
    assert report.tests["P3"].result is Outcome.FAIL
    assert "cache-flush bit set" in report.tests["P3"].detail


def test_qm_first_probe_warns_p2() -> None:
    """§8.1: the first probe SHOULD be QU (avahi's issue 546)."""
    report = judge(good_start(qu=False))
    assert report.tests["P2"].result is Outcome.WARN


def test_probes_closer_than_250_ms_fail_p1() -> None:
    """§8.1: three probes 250 ms apart."""
    packets = [probe(0.1), probe(0.2), probe(0.3), announcement(0.5), announcement(1.5)]
    assert judge(packets).tests["P1"].result is Outcome.FAIL


def test_announcements_225_ms_apart_fail_a1() -> None:
    """§8.3: announcements at least one second apart (python-zeroconf sends them 225 ms apart)."""
    packets = [probe(0.1), probe(0.35), probe(0.6), announcement(0.8), announcement(1.025)]
    report = judge(packets)
    assert report.tests["A1"].result is Outcome.FAIL
    assert report.tests["CH1"].depends_on == "A1"


def test_announcements_shrinking_below_a_second_fail_a1_even_after_a_long_first_gap() -> None:
    """§8.3: every announcement one second or more after the one before."""
    packets = [probe(0.1), probe(0.35), probe(0.6), announcement(0.8), announcement(2.47)]
    packets += [announcement(2.70), announcement(2.93)]
    report = judge(packets)
    assert report.tests["A1"].result is Outcome.FAIL
    assert report.tests["CH1"].depends_on == "A1"


def test_one_announcement_fails_a1() -> None:
    packets = [probe(0.1), probe(0.35), probe(0.6), announcement(0.8)]
    assert judge(packets).tests["A1"].result is Outcome.FAIL


def test_no_goodbyes_warn_g1() -> None:
    """§10.1 SHOULD: goodbyes for each record on shutdown."""
    report = judge(good_start()[1:])
    assert report.tests["G1"].result is Outcome.WARN


def test_packets_of_other_hosts_are_not_the_targets() -> None:
    other = IPv4Address("10.0.0.9")
    foreign = packet(
        0.2,
        build_packet(
            [Question(Name("x.local"), RRType.ANY)], (), [Record.of(Name("x.local"), A(other), 120)]
        ),
        source=other,
    )
    report = judge([*good_start()[:2], foreign, *good_start()[2:]])
    assert report.tests["P1"].result is Outcome.PASS


def bare_probe(at: float) -> Captured:
    """A probe with its questions but no Authority section (no proposed records)."""
    questions = [Question(INSTANCE, RRType.ANY, True), Question(HOST, RRType.ANY, True)]
    return packet(at, build_packet(questions))


def test_probes_without_authority_fail_p3_once_and_leave_the_rest_unjudged() -> None:
    """§8.1: the proposed records go in Authority. One defect, one FAIL: P1, P2,
    P4 and P10 are "not judged: depends on P3"."""
    packets = [bare_probe(0.15), bare_probe(0.40), bare_probe(0.65), *good_start()[4:]]
    report = judge(packets)
    assert report.tests["P3"].result is Outcome.FAIL
    for id in ("P1", "P2", "P4", "P10"):
        assert report.tests[id].result is Outcome.SKIP
        assert report.tests[id].depends_on == "P3"
    assert [r.id for r in report.tests.values() if r.result is Outcome.FAIL] == ["P3"]


def test_announcements_count_whatever_the_probes_looked_like() -> None:
    """§8.3: the unsolicited responses are the announcements, even after
    malformed probes (A1 and A3 used to see none, A2 and CH1 skipped)."""
    packets = [bare_probe(0.15), bare_probe(0.40), bare_probe(0.65)]
    packets += [announcement(0.9), announcement(3.9)]
    report = judge(packets)
    assert report.tests["A1"].result is Outcome.PASS, report.tests["A1"].line()
    assert report.tests["A3"].result is Outcome.PASS
    assert report.tests["A2"].result is Outcome.PASS
    assert report.tests["CH1"].result is Outcome.PASS


def test_a_first_probe_later_than_250_ms_after_registering_fails_p1() -> None:
    """§8.1: the first probe within 250 ms of the decision to probe."""
    late = [goodbye(0.01), probe(0.60), probe(0.85), probe(1.10), announcement(1.35)]
    late.append(announcement(2.35))
    report = judge(late, triggered=0.05)
    assert report.tests["P1"].result is Outcome.FAIL
    assert "within 250 ms" in report.tests["P1"].detail
    assert judge(good_start(), triggered=0.05).tests["P1"].result is Outcome.PASS


def test_no_probes_at_all_fail_p1_once() -> None:
    report = judge([announcement(0.5), announcement(1.5)])
    assert report.tests["P1"].result is Outcome.FAIL
    for id in ("P2", "P3", "P4", "P10", "P14"):
        assert report.tests[id].depends_on == "P1"
