"""Querier: query timing, known answers, TC split, QU, unicast acceptance, §7.3, events.

Every timing test steps a fake clock by hand and cites the RFC 6762 section it
checks; randomness comes from a seeded ``random.Random``.
"""

from __future__ import annotations

import itertools
import random
from ipaddress import IPv4Address

import pytest

from lanwise.dns import (
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
    parse_message,
)
from lanwise.mdns.events import RecordAdded, RecordRemoved, RecordUpdated, RemovalReason
from lanwise.mdns.querier import (
    AGGREGATION_WINDOW,
    MAX_QUERY_INTERVAL,
    Querier,
    Query,
    QueryExpired,
    QueryPacket,
)

SERVICE = Name.from_text("_http._tcp.local")
PRINTER = Name.from_text("_ipp._tcp.local")
HOST = Name.from_text("host.local")
IN = int(RRClass.IN)


def ptr(instance: str, ttl: int = 4500, service: Name = SERVICE) -> Record:
    return Record.of(service, PTR(Name.from_labels((instance, *service.labels))), ttl)


def a(address: str, ttl: int = 120, *, flush: bool = True) -> Record:
    return Record.of(HOST, A(IPv4Address(address)), ttl, cache_flush=flush)


def response(*records: Record) -> Message:
    return Message(flags=Flag.QR | Flag.AA, answers=records)


def query(*questions: Question, answers: tuple[Record, ...] = (), flags: int = 0) -> Message:
    return Message(flags=flags, questions=questions, answers=answers)


def querier(*interfaces: int, seed: int = 1, **options: int) -> Querier:
    q = Querier(random.Random(seed), **options)
    for index in interfaces:
        q.add_interface(index, 0.0)
    return q


def step(q: Querier) -> tuple[float, list[QueryPacket]]:
    """Advance to the next timer and fire it."""
    when = q.get_timer()
    assert when is not None
    return when, q.handle_timer(when)


def sends(q: Querier, until: float) -> list[tuple[float, QueryPacket]]:
    """Every packet sent up to ``until``, with its send time."""
    out: list[tuple[float, QueryPacket]] = []
    while (when := q.get_timer()) is not None and when <= until:
        out.extend((when, packet) for packet in q.handle_timer(when))
    return out


def questions_of(packet: QueryPacket) -> list[Question]:
    return list(parse_message(packet.data).questions)


# -- §5.2 timing --


def test_first_query_waits_20_to_120_ms() -> None:
    """§5.2: the first query of a series is delayed by a random 20–120 ms."""
    delays = []
    for seed in range(200):
        q = querier(1, seed=seed)
        q.start_query(SERVICE, RRType.PTR, 10.0)
        when, packets = step(q)
        assert 10.020 <= when <= 10.120
        assert [questions_of(p) for p in packets] == [[Question(SERVICE, RRType.PTR)]]
        delays.append(when - 10.0)
    assert min(delays) < 0.045 and max(delays) > 0.095  # spread, not a constant


def test_repeats_double_from_one_second_up_to_sixty_minutes() -> None:
    """§5.2: first gap ≥ 1 s, each gap at least double the previous, capped at 60 min."""
    q = querier(1)
    q.start_query(SERVICE, RRType.PTR, 0.0)
    times = [when for when, _ in sends(q, 6 * 3600.0)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert 1.0 <= gaps[0] <= 1.0 + AGGREGATION_WINDOW
    for before, after in itertools.pairwise(gaps):
        assert after >= min(2 * before, MAX_QUERY_INTERVAL) - 1e-9
        assert after <= max(2 * before, MAX_QUERY_INTERVAL) + AGGREGATION_WINDOW
    assert gaps[-1] == pytest.approx(MAX_QUERY_INTERVAL, abs=AGGREGATION_WINDOW)
    assert gaps[-2] == pytest.approx(MAX_QUERY_INTERVAL, abs=AGGREGATION_WINDOW)
    assert len(times) == 17  # 1, 2, 4 … 2048 s (13 sends by 4096 s), then hourly


def test_queries_started_together_share_one_packet() -> None:
    """§7.2/§6: several questions due together go out in one packet."""
    q = querier(1)
    q.start_query(SERVICE, RRType.PTR, 0.0)
    q.start_query(PRINTER, RRType.PTR, 0.0)
    q.start_query(HOST, RRType.A, 0.01)
    _, packets = step(q)
    assert len(packets) == 1
    assert {x.name for x in questions_of(packets[0])} == {SERVICE, PRINTER, HOST}
    # Their repeats stay together too.
    _, packets = step(q)
    assert len(packets) == 1 and len(questions_of(packets[0])) == 3


def test_many_queries_started_together_keep_one_random_delay() -> None:
    """§5.2: 40 browses started at once leave in one packet, still 20–120 ms late.

    They share one random deadline, so the delay is not pulled towards 20 ms
    by taking the earliest of 40 draws.
    """
    delays = []
    for seed in range(40):
        q = querier(1, seed=seed)
        for i in range(40):
            q.start_query(Name.from_text(f"_s{i}._tcp.local"), RRType.PTR, 0.0)
        when, packets = step(q)
        assert len(packets) == 1 and len(questions_of(packets[0])) == 40
        assert 0.020 <= when <= 0.120
        delays.append(when)
    assert max(delays) > 0.09


def test_repeats_due_within_the_aggregation_window_share_a_packet() -> None:
    """§7.2: a repeat waits up to AGGREGATION_WINDOW for another question due on its link."""
    q = querier(1, seed=5)
    q.start_query(SERVICE, RRType.PTR, 0.0)
    first, _ = step(q)
    q.start_query(PRINTER, RRType.PTR, 0.5)
    second, _ = step(q)  # PRINTER's first query
    # SERVICE is due at first + 1, PRINTER at second + 1: within the window of each other?
    due = sorted((first + 1.0, second + 1.0))
    packets = sends(q, due[1] + 0.5)
    if due[1] - due[0] <= AGGREGATION_WINDOW:
        assert len(packets) == 1 and len(questions_of(packets[0][1])) == 2
        assert packets[0][0] == pytest.approx(due[1])
    else:
        assert [t for t, _ in packets] == pytest.approx(due)


def test_a_lone_repeat_is_not_delayed() -> None:
    q = querier(1)
    q.start_query(SERVICE, RRType.PTR, 0.0)
    first, _ = step(q)
    second, _ = step(q)
    assert second == pytest.approx(first + 1.0)


def test_a_repeat_waits_for_a_question_due_30_ms_later() -> None:
    """§7.2: SERVICE's repeat (due at +1 s) waits 30 ms for PRINTER's window to open."""
    q = querier(1, seed=3)
    q.start_query(SERVICE, RRType.PTR, 0.0)
    first, _ = step(q)
    # PRINTER's first query may leave from start + 20 ms: 30 ms after SERVICE's repeat.
    q.start_query(PRINTER, RRType.PTR, first + 1.0 - 0.020 + 0.030)
    when, packets = step(q)
    assert when == pytest.approx(first + 1.030)
    assert len(packets) == 1
    assert {x.name for x in questions_of(packets[0])} == {SERVICE, PRINTER}


def test_a_repeat_does_not_wait_beyond_the_window() -> None:
    q = querier(1, seed=3)
    q.start_query(SERVICE, RRType.PTR, 0.0)
    first, _ = step(q)
    q.start_query(PRINTER, RRType.PTR, first + 1.0 - 0.020 + AGGREGATION_WINDOW + 0.01)
    when, packets = step(q)
    assert when == pytest.approx(first + 1.0)
    assert [x.name for x in questions_of(packets[0])] == [SERVICE]


def test_one_shot_query_sends_once() -> None:
    q = querier(1)
    q.start_query(HOST, RRType.A, 0.0, one_shot=True)
    assert len(sends(q, 100.0)) == 1
    assert q.get_timer() is None


def test_timeout_stops_the_query_and_reports_it() -> None:
    q = querier(1)
    handle = q.start_query(HOST, RRType.A, 0.0, timeout=3.0)
    packets = sends(q, 10.0)
    assert [round(t) for t, _ in packets] == [0, 1, 3][: len(packets)]
    assert all(t < 3.0 for t, _ in packets)
    assert not handle.active
    assert q.next_event() == QueryExpired(handle)
    assert q.get_timer() is None


def test_stop_query_ends_the_series() -> None:
    q = querier(1)
    handle = q.start_query(SERVICE, RRType.PTR, 0.0)
    sends(q, 2.0)
    q.stop_query(handle, 2.0)
    q.stop_query(handle, 2.0)  # idempotent
    assert sends(q, 1000.0) == []


def test_two_queries_for_one_question_share_its_schedule() -> None:
    q = querier(1)
    first = q.start_query(SERVICE, RRType.PTR, 0.0)
    q.start_query(SERVICE, RRType.PTR, 0.05)
    _, packets = step(q)
    assert len(questions_of(packets[0])) == 1
    q.stop_query(first, 0.5)
    assert len(sends(q, 2.0)) == 1  # the second query keeps the series alive


def test_bad_arguments_are_usage_errors() -> None:
    q = querier(1)
    with pytest.raises(ValueError, match="qtype"):
        q.start_query(SERVICE, 0, 0.0)
    with pytest.raises(ValueError, match="timeout"):
        q.start_query(SERVICE, RRType.PTR, 0.0, timeout=0)
    with pytest.raises(ValueError, match="name"):
        q.start_query("_http._tcp.local", RRType.PTR, 0.0)  # type: ignore[arg-type]


# -- §5.4 QU --


def test_unicast_first_sets_qu_on_the_first_query_only() -> None:
    """§5.4: QU on the first query when asked for; repeats are QM."""
    q = querier(1)
    q.start_query(HOST, RRType.A, 0.0, unicast_first=True)
    _, first = step(q)
    _, second = step(q)
    assert questions_of(first[0])[0].unicast_response
    assert not questions_of(second[0])[0].unicast_response


def test_interface_activation_asks_qu_first() -> None:
    """§5.4: the initial batch on a newly activated interface asks for unicast responses."""
    q = querier(1)
    q.start_query(SERVICE, RRType.PTR, 0.0)
    sends(q, 5.0)
    q.add_interface(2, 5.0)
    when, packets = step(q)
    assert 5.02 <= when <= 5.12
    assert [(p.interface, questions_of(p)[0].unicast_response) for p in packets] == [(2, True)]


# -- §7.1 / §7.2 known answers --


def test_known_answers_with_more_than_half_their_ttl_are_listed() -> None:
    """§7.1: known answers carry their remaining TTL; those under half are left out."""
    q = querier(1)
    q.handle_response(response(ptr("a", ttl=100), ptr("b", ttl=4500)), 1, 0.0)
    q.start_query(SERVICE, RRType.PTR, 40.0)
    _, packets = step(q)
    known = {(r.rdata, r.ttl) for r in parse_message(packets[0].data).answers}
    assert (ptr("a").rdata, 59) in known or (ptr("a").rdata, 60) in known
    q2 = querier(1)
    q2.handle_response(response(ptr("a", ttl=100), ptr("b", ttl=4500)), 1, 0.0)
    q2.start_query(SERVICE, RRType.PTR, 50.5)
    _, packets = step(q2)
    message = parse_message(packets[0].data)
    assert [r.rdata for r in message.answers] == [ptr("b").rdata]
    assert not any(r.cache_flush for r in message.answers)


def test_known_answers_come_from_the_same_interface_only() -> None:
    q = querier(1, 2)
    q.handle_response(response(ptr("a")), 2, 0.0)
    q.start_query(SERVICE, RRType.PTR, 1.0)
    _, packets = step(q)
    by_interface = {p.interface: parse_message(p.data).answers for p in packets}
    assert by_interface[1] == ()
    assert len(by_interface[2]) == 1


def test_large_known_answer_lists_are_split_with_tc() -> None:
    """§7.2: known answers that do not fit go in follow-up packets; TC on all but the last."""
    q = querier(1, max_packet_size=1452)
    many = tuple(ptr(f"instance number {i:03d}") for i in range(300))
    q.handle_response(response(*many), 1, 0.0)
    q.start_query(SERVICE, RRType.PTR, 1.0)
    _, packets = step(q)
    assert len(packets) > 2
    messages = [parse_message(p.data) for p in packets]
    assert all(len(p.data) <= 1452 for p in packets)
    assert [m.is_truncated for m in messages] == [True] * (len(messages) - 1) + [False]
    assert len(messages[0].questions) == 1
    assert all(m.questions == () for m in messages[1:])  # follow-ups carry no questions
    listed = [r.rdata for m in messages for r in m.answers]
    assert sorted(map(str, listed)) == sorted(str(r.rdata) for r in many)
    stats = q.statistics()
    assert stats.truncated_packets == len(packets) - 1
    assert stats.known_answers_sent == 300


# -- §5.2 unique answers and refresh --


def test_unique_answer_ends_the_series_and_refresh_takes_over() -> None:
    """§5.2: after a unique answer, the next query is at 80–82 % of the record's TTL."""
    q = querier(1)
    q.start_query(HOST, RRType.A, 0.0)
    first, _ = step(q)
    q.handle_response(response(a("192.168.1.5", ttl=120)), 1, first + 0.01)
    received = first + 0.01
    packets = sends(q, received + 112.0)
    times = [t for t, _ in packets]
    assert len(times) == 3  # 80 %, 85 %, 90 % (95 % comes at 114 s or later)
    for when, fraction in zip(times, (0.80, 0.85, 0.90), strict=True):
        assert received + 120 * fraction <= when <= received + 120 * (fraction + 0.02)
    # The refresh query names the record set and lists nothing below half TTL.
    message = parse_message(packets[0][1].data)
    assert message.questions == (Question(HOST, RRType.A),)
    assert message.answers == ()


def test_series_restarts_when_the_unique_answer_is_gone() -> None:
    q = querier(1)
    q.start_query(HOST, RRType.A, 0.0)
    step(q)
    q.handle_response(response(a("192.168.1.5", ttl=10)), 1, 1.0)
    packets = sends(q, 11.0)  # refreshes at 80–95 %, no answer: expires at 11
    assert len(packets) == 4
    when, restarted = step(q)
    assert 11.02 <= when <= 11.12
    assert questions_of(restarted[0]) == [Question(HOST, RRType.A)]


def test_no_refresh_after_the_query_stops() -> None:
    """§5.2: no cache maintenance without an active interest."""
    q = querier(1)
    handle = q.start_query(HOST, RRType.A, 0.0)
    step(q)
    q.handle_response(response(a("192.168.1.5", ttl=120)), 1, 1.0)
    q.stop_query(handle, 2.0)
    assert sends(q, 200.0) == []
    assert q.lookup(HOST, RRType.A, 200.0) == []


# -- §6 unicast responses --


def test_unsolicited_unicast_response_is_ignored() -> None:
    """§6: a unicast response must answer a QU question we sent in the last two seconds."""
    q = querier(1)
    assert not q.handle_response(response(a("192.168.1.5")), 1, 0.0, unicast=True)
    assert q.lookup(HOST, RRType.A, 0.0) == []
    assert q.statistics().unicast_responses_ignored == 1


def test_unicast_answer_to_our_qu_question_is_accepted_for_two_seconds() -> None:
    q = querier(1)
    q.start_query(HOST, RRType.A, 0.0, unicast_first=True)
    sent, _ = step(q)
    assert q.handle_response(response(a("192.168.1.5")), 1, sent + 0.1, unicast=True)
    assert len(q.lookup(HOST, RRType.A, sent + 0.2)) == 1
    # On another interface, or too late: ignored.
    assert not q.handle_response(response(a("192.168.1.6")), 2, sent + 0.3, unicast=True)
    assert not q.handle_response(response(a("192.168.1.7")), 1, sent + 2.1, unicast=True)
    assert q.statistics().unicast_responses_ignored == 2


def test_unicast_answer_to_a_qm_question_is_ignored() -> None:
    q = querier(1)
    q.start_query(HOST, RRType.A, 0.0)
    sent, _ = step(q)
    assert not q.handle_response(response(a("192.168.1.5")), 1, sent + 0.1, unicast=True)


# -- §7.3 duplicate question suppression --


def _planned(seed: int = 1) -> tuple[Querier, float]:
    q = querier(1, seed=seed)
    q.start_query(SERVICE, RRType.PTR, 0.0)
    first, _ = step(q)
    return q, first


def test_duplicate_question_suppresses_our_next_query() -> None:
    """§7.3: another host's same QM question (no known answers we lack) counts as ours."""
    q, first = _planned()
    q.handle_query(query(Question(SERVICE, RRType.PTR)), 1, first + 0.8)
    times = [t for t, _ in sends(q, first + 5.0)]
    # Ours at first + 1 s was deemed sent; the next is 2 s after that.
    assert times == [pytest.approx(first + 3.0, abs=AGGREGATION_WINDOW)]
    assert q.statistics().duplicate_questions_suppressed == 1


def test_duplicate_with_known_answers_we_share_still_suppresses() -> None:
    q, first = _planned()
    q.handle_response(response(ptr("a")), 1, first + 0.1)
    other = query(Question(SERVICE, RRType.PTR), answers=(ptr("a", ttl=4400),))
    q.handle_query(other, 1, first + 0.9)
    assert q.statistics().duplicate_questions_suppressed == 1


def test_duplicate_listing_a_record_we_lack_does_not_suppress() -> None:
    """§7.3: their known answers must all be ones we would list too."""
    q, first = _planned()
    other = query(Question(SERVICE, RRType.PTR), answers=(ptr("unknown-to-us"),))
    q.handle_query(other, 1, first + 0.9)
    times = [t for t, _ in sends(q, first + 1.5)]
    assert times == [pytest.approx(first + 1.0, abs=AGGREGATION_WINDOW)]


def test_qu_duplicate_truncated_or_early_queries_do_not_suppress() -> None:
    """§7.3 covers QM questions in complete queries, while ours is planned."""
    q, first = _planned()
    q.handle_query(query(Question(SERVICE, RRType.PTR, unicast_response=True)), 1, first + 0.9)
    q.handle_query(query(Question(SERVICE, RRType.PTR), flags=Flag.TC), 1, first + 0.9)
    q.handle_query(query(Question(SERVICE, RRType.PTR)), 1, first + 0.1)  # we just asked
    q.handle_query(query(Question(SERVICE, RRType.PTR)), 2, first + 0.9)  # other interface
    assert q.statistics().duplicate_questions_suppressed == 0
    assert len(sends(q, first + 1.5)) == 1


# -- §10.5 POOF through the querier --


def test_unanswered_queries_from_others_flush_the_record() -> None:
    """§10.5: two unanswered queries from other hosts, ten seconds, record flushed."""
    q = querier(1)
    q.start_query(SERVICE, RRType.PTR, 0.0)
    q.handle_response(response(ptr("a")), 1, 0.0)
    q.handle_query(query(Question(SERVICE, RRType.PTR)), 1, 100.0)
    q.handle_query(query(Question(SERVICE, RRType.PTR)), 1, 101.0)
    # QU questions and unicast queries are not counted: the answer may come by unicast.
    q.handle_query(query(Question(SERVICE, RRType.PTR, unicast_response=True)), 1, 102.0)
    sends(q, 110.0)
    assert q.lookup(SERVICE, RRType.PTR, 110.0) == []
    events = []
    while (event := q.next_event()) is not None:
        events.append(event)
    assert RecordRemoved(1, ptr("a"), RemovalReason.POOF) in events


def test_unicast_queries_do_not_count_for_poof() -> None:
    q = querier(1)
    q.handle_response(response(ptr("a")), 1, 0.0)
    q.handle_query(query(Question(SERVICE, RRType.PTR)), 1, 100.0, unicast=True)
    q.handle_query(query(Question(SERVICE, RRType.PTR)), 1, 101.0, unicast=True)
    sends(q, 120.0)
    assert len(q.lookup(SERVICE, RRType.PTR, 120.0)) == 1


# -- interfaces and events --


def test_query_on_one_interface_sends_only_there() -> None:
    q = querier(1, 2, 3)
    q.start_query(SERVICE, RRType.PTR, 0.0, interface=2)
    assert {p.interface for _, p in sends(q, 10.0)} == {2}
    q2 = querier(1, 2, 3)
    q2.start_query(SERVICE, RRType.PTR, 0.0)
    assert {p.interface for _, p in sends(q2, 10.0)} == {1, 2, 3}


def test_query_for_an_interface_that_appears_later_starts_there() -> None:
    q = querier(1)
    q.start_query(SERVICE, RRType.PTR, 0.0, interface=7)
    assert q.get_timer() is None
    q.add_interface(7, 5.0)
    _, packets = step(q)
    assert [p.interface for p in packets] == [7]


def test_remove_interface_stops_queries_and_flushes_its_records() -> None:
    q = querier(1, 2)
    q.start_query(HOST, RRType.A, 0.0)
    sends(q, 0.5)
    q.handle_response(response(a("10.0.0.1")), 2, 0.6)
    q.handle_response(response(a("192.168.1.1")), 1, 0.6)
    q.remove_interface(2, 1.0)
    assert [c.interface for c in q.lookup(HOST, RRType.A, 1.0)] == [1]
    assert {p.interface for _, p in sends(q, 3000.0)} == {1}
    events = []
    while (event := q.next_event()) is not None:
        events.append(event)
    assert RecordRemoved(2, a("10.0.0.1"), RemovalReason.INTERFACE_REMOVED) in events


def test_events_carry_the_interface_and_follow_the_cache() -> None:
    q = querier(1, 2)
    q.start_query(HOST, RRType.A, 0.0)
    q.handle_response(response(a("192.168.1.5")), 1, 0.0)
    q.handle_response(response(a("10.0.0.5")), 2, 0.0)
    q.handle_response(response(a("192.168.1.5")), 1, 3.0)  # TTL refresh: no event
    q.handle_response(response(a("192.168.1.9")), 1, 5.0)  # rdata change of a unique record
    q.handle_response(response(a("10.0.0.5", ttl=0)), 2, 6.0)  # goodbye
    sends(q, 8.0)
    events = []
    while (event := q.next_event()) is not None:
        events.append(event)
    assert events == [
        RecordAdded(1, a("192.168.1.5")),
        RecordAdded(2, a("10.0.0.5")),
        RecordUpdated(1, a("192.168.1.5"), a("192.168.1.9")),
        RecordRemoved(2, a("10.0.0.5"), RemovalReason.GOODBYE),
    ]


def test_lookup_any_and_statistics() -> None:
    q = querier(1)
    handle = q.start_query(HOST, RRType.ANY, 0.0)
    assert isinstance(handle, Query) and handle.active
    q.handle_response(response(a("192.168.1.5")), 1, 0.0)
    assert len(q.lookup(HOST, RRType.ANY, 1.0)) == 1
    assert q.is_interested(1, HOST, RRType.A, IN)
    stats = q.statistics()
    assert stats.cache_size == 1 and stats.active_queries == 1 and stats.responses_accepted == 1


def test_per_interface_packet_size_bounds_the_split() -> None:
    """§17: a query fits its interface's MTU; each interface may differ."""
    q = querier(1)
    q.add_interface(2, 0.0, max_packet_size=600)
    many = tuple(ptr(f"instance number {i:03d}") for i in range(60))
    q.handle_response(response(*many), 1, 0.0)
    q.handle_response(response(*many), 2, 0.0)
    q.start_query(SERVICE, RRType.PTR, 1.0)
    _, packets = step(q)
    sizes = {i: [len(p.data) for p in packets if p.interface == i] for i in (1, 2)}
    assert max(sizes[2]) <= 600 and len(sizes[2]) > len(sizes[1])
    with pytest.raises(ValueError, match="max_packet_size"):
        q.set_max_packet_size(3, 100)


def test_a_known_answer_is_listed_once_for_overlapping_questions() -> None:
    q = querier(1)
    q.handle_response(response(ptr("a")), 1, 0.0)
    q.start_query(SERVICE, RRType.PTR, 1.0)
    q.start_query(SERVICE, RRType.ANY, 1.0)
    _, packets = step(q)
    message = parse_message(packets[0].data)
    assert len(message.questions) == 2
    assert len(message.answers) == 1


def test_a_second_one_shot_query_asks_again_after_a_second() -> None:
    """§5.2: a repeat of the same question is at least one second after the last."""
    q = querier(1)
    q.start_query(HOST, RRType.A, 0.0, one_shot=True)
    first, _ = step(q)
    q.start_query(HOST, RRType.A, first + 0.2, one_shot=True)
    second, packets = step(q)
    assert second == pytest.approx(first + 1.0)
    assert len(packets) == 1
    assert q.get_timer() is None


# -- §10.4 reconfirmation --


def test_reconfirm_queries_twice_and_flushes_after_ten_seconds() -> None:
    """§10.4: two or more queries; no response within ten seconds → flushed."""
    q = querier(1)
    q.start_query(SERVICE, RRType.PTR, 0.0)
    q.handle_response(response(ptr("a"), ptr("b")), 1, 0.0)
    sends(q, 100.0)
    while q.next_event() is not None:
        pass
    assert q.reconfirm(ptr("a"), 1, 100.0)
    packets = sends(q, 109.9)
    times = [t for t, _ in packets]
    assert len(times) == 2
    assert 100.02 <= times[0] <= 100.12
    assert times[1] == pytest.approx(times[0] + 1.0)
    for _, packet in packets:
        message = parse_message(packet.data)
        assert message.questions == (Question(SERVICE, RRType.PTR),)
        # The doubted record is not a known answer (that would silence its owner).
        assert [r.rdata for r in message.answers] == [ptr("b").rdata]
    assert len(q.lookup(SERVICE, RRType.PTR, 109.9)) == 2
    sends(q, 110.0)
    assert [c.record.rdata for c in q.lookup(SERVICE, RRType.PTR, 110.0)] == [ptr("b").rdata]
    assert q.next_event() == RecordRemoved(1, ptr("a"), RemovalReason.RECONFIRM_FAILED)


def test_reconfirm_answered_keeps_the_record() -> None:
    q = querier(1)
    q.handle_response(response(ptr("a")), 1, 0.0)
    assert q.reconfirm(ptr("a"), 1, 50.0)
    sends(q, 51.0)
    q.handle_response(response(ptr("a")), 1, 51.5)
    sends(q, 70.0)
    assert len(q.lookup(SERVICE, RRType.PTR, 70.0)) == 1
    assert not q.reconfirm(ptr("zzz"), 1, 70.0)  # not cached
    assert not q.reconfirm(ptr("a"), 2, 70.0)  # not on that interface


def test_refresh_is_skipped_when_the_question_was_just_asked() -> None:
    """§5.2 with §7.3: a refresh right after the same question went out adds nothing."""
    q = querier(1)
    q.start_query(HOST, RRType.A, 0.0)
    step(q)
    q.handle_response(response(a("192.168.1.5", ttl=100)), 1, 1.0)
    first_refresh = q.cache.next_deadline()
    assert first_refresh is not None and 81.0 <= first_refresh <= 83.0
    # Another host asks the same question (listing nothing) just before our refresh.
    q.handle_query(query(Question(HOST, RRType.A)), 1, first_refresh - 0.5)
    sent = sends(q, first_refresh + 0.5)
    assert sent == []
    # The next refresh point (85 %) still goes out.
    later = sends(q, 1.0 + 87.0)
    assert len(later) == 1


# -- starting over a warm cache --


def drain(q: Querier) -> list[object]:
    out: list[object] = []
    while (event := q.next_event()) is not None:
        out.append(event)
    return out


def test_records_already_cached_are_reported_when_a_query_starts() -> None:
    q = querier(1)
    q.handle_response(response(ptr("a")), 1, 0.0)  # heard before anyone asked: no event
    assert drain(q) == []
    q.start_query(SERVICE, RRType.PTR, 5.0)
    assert drain(q) == [RecordAdded(1, ptr("a"))]
    q.start_query(SERVICE, RRType.ANY, 6.0)  # already reported: not again
    assert drain(q) == []


def test_a_cached_unique_answer_means_no_query_series() -> None:
    """§5.2: with a unique answer in hand (≥ half its TTL left) there is nothing to ask."""
    q = querier(1)
    q.handle_response(response(a("192.168.1.5", ttl=120)), 1, 0.0)
    q.start_query(HOST, RRType.A, 10.0)
    assert sends(q, 90.0) == []  # the first refresh comes at 80 % = 96 s
    assert len(sends(q, 98.5)) == 1
    # In its second half, a query goes out as usual (the record is no known answer then).
    q2 = querier(1)
    q2.handle_response(response(a("192.168.1.5", ttl=120)), 1, 0.0)
    q2.start_query(HOST, RRType.A, 70.0)
    when, packets = step(q2)
    assert 70.02 <= when <= 70.12 and len(packets) == 1


def test_start_query_can_leave_cached_records_unreported() -> None:
    """A caller that has just read the cache asks not to hear it again as events."""
    querier = Querier(random.Random(1))
    querier.add_interface(2, 0.0)
    names = [Name(f"Service {i}._bench._tcp.local") for i in range(3)]
    target = Name("alpha.local")
    querier.cache.add_response(
        [Record(n, RRType.SRV, 1, 120, SRV(0, 0, 80, target)) for n in names], 2, 0.0
    )
    querier.start_query(names[0], RRType.SRV, 0.0, report_cached=False)
    assert querier.next_event() is None
    querier.start_query(names[1], RRType.SRV, 0.0)
    event = querier.next_event()
    assert isinstance(event, RecordAdded) and event.record.name == names[1]


def test_answered_questions_leave_the_timer_alone() -> None:
    """§5.2: a question with a unique answer cached sends nothing; only the one still
    unanswered sets the timer (20-120 ms after its start) and goes out."""
    querier = Querier(random.Random(1))
    querier.add_interface(2, 0.0)
    target = Name("alpha.local")
    names = [Name(f"Service {i}._bench._tcp.local") for i in range(500)]
    querier.cache.add_response(
        [Record(n, RRType.SRV, 1, 120, SRV(0, 0, 80, target), cache_flush=True) for n in names],
        2,
        0.0,
    )
    for name in names:
        querier.start_query(name, RRType.SRV, 0.0, report_cached=False)
    assert querier.get_timer() is not None  # the cache's refreshes, at 80 % of the TTL
    assert querier.get_timer() >= 0.8 * 120  # type: ignore[operator]
    lonely = Name("Lonely._bench._tcp.local")
    querier.start_query(lonely, RRType.SRV, 1.0)
    timer = querier.get_timer()
    assert timer is not None and 1.02 <= timer <= 1.12
    packets = querier.handle_timer(timer)
    questions = [q.name for p in packets for q in parse_message(p.data).questions]
    assert questions == [lonely]


def test_start_query_reports_only_what_was_cached_after_a_read() -> None:
    """A caller that read the cache at one revision hears, when its query starts, only
    of records cached after that read (they arrived while nobody was watching)."""
    querier = Querier(random.Random(1))
    querier.add_interface(2, 0.0)
    target = Name("alpha.local")
    early, late = Name("Early._bench._tcp.local"), Name("Late._bench._tcp.local")
    querier.cache.add_response([Record(early, RRType.SRV, 1, 120, SRV(0, 0, 80, target))], 2, 0.0)
    read = querier.cache.revision
    querier.cache.add_response([Record(late, RRType.SRV, 1, 120, SRV(0, 0, 81, target))], 2, 0.1)
    assert querier.cache.revision != read
    querier.start_query(early, RRType.SRV, 0.2, cached_since=read)
    assert querier.next_event() is None  # read before: not news
    querier.start_query(late, RRType.SRV, 0.2, cached_since=read)
    event = querier.next_event()
    assert isinstance(event, RecordAdded) and event.record.name == late
    assert querier.next_event() is None
