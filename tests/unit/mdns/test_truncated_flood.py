"""§7.2 under a flood of TC queries: what the deferral keeps is bounded (issue 17, item 4).

A query with the TC bit makes the responder wait 400–500 ms for the rest of
the known answers (RFC 6762 §7.2). Every later query from the same source
joins the wait; a flood of them must not grow what is held: only distinct
questions (at most MAX_DEFERRED_QUESTIONS per source), only the known answers
that name a record we answer with, at most MAX_DEFERRED_SOURCES sources. What
is left out is counted, and suppression still works. Time moves only by hand.
"""

from __future__ import annotations

from ipaddress import IPv6Address

from lanwise.dns import PTR, Flag, Name, Record, RRClass, RRType
from lanwise.mdns.answering import MAX_DEFERRED_QUESTIONS, MAX_DEFERRED_SOURCES
from lanwise.mdns.endpoints import MDNS_PORT, EngineEndpoint

from .fakelink import INDEX
from .test_answering import INSTANCE, PEER, TYPE, announced, q, query, step

TC = int(Flag.TC)
FLOOD = 1_000  # TC queries in the flood


def _deferred_sizes(engine: object) -> tuple[int, int, int]:
    """(sources, questions, known answers) held by the §7.2 deferral."""
    deferred = engine._responder._answers._deferred  # type: ignore[attr-defined]
    return (
        len(deferred),
        sum(len(d.questions) for d in deferred.values()),
        sum(len(d.known) for d in deferred.values()),
    )


def _junk_known(i: int) -> tuple[Record, ...]:
    """Known answers naming records nobody here publishes (20 per packet, all distinct)."""
    return tuple(
        Record(TYPE, RRType.PTR, RRClass.IN, 4500, PTR(Name(f"x{i}-{j}._ipp._tcp.local")))
        for j in range(20)
    )


def test_a_tc_flood_from_one_source_holds_distinct_questions_and_useful_known_answers() -> None:
    """§7.2: 1,000 TC queries in 400 ms from one source: a bounded, small deferral.

    500 distinct names, each asked twice, are far past MAX_DEFERRED_QUESTIONS: a
    longer flood exercises nothing more (the bounds do not grow with it).
    """
    e, now = announced()
    for i in range(FLOOD):
        asked = (q(TYPE, RRType.PTR), q(Name(f"n{i % 500}.local"), RRType.A))
        e.receive(query(*asked, known=_junk_known(i), flags=TC), PEER, INDEX, now + i * 4e-4)
    sources, questions, known = _deferred_sizes(e)
    assert sources == 1
    assert questions <= MAX_DEFERRED_QUESTIONS
    assert known == 0  # none of them could ever suppress one of our answers
    dropped = e.statistics().truncated_dropped
    assert dropped >= FLOOD * 20 + 500 - MAX_DEFERRED_QUESTIONS
    # The deferred answer still goes out 400–500 ms after the first query (§7.2).
    sent = step(e, now + 0.4, now + 2.0)
    assert len(sent) == 1 and 0.400 <= sent[0][0] - now <= 0.500
    assert _deferred_sizes(e) == (0, 0, 0)


def test_known_answers_that_name_our_records_are_kept_and_suppress_section_7_1() -> None:
    """The bound keeps what suppression needs: a known answer for our PTR still suppresses."""
    ptr = Record(TYPE, RRType.PTR, RRClass.IN, 4500, PTR(INSTANCE))
    e, now = announced()
    e.receive(query(q(TYPE, RRType.PTR), flags=TC), PEER, INDEX, now)
    for i in range(200):
        e.receive(query(known=_junk_known(i), flags=TC), PEER, INDEX, now + 0.001 * i)
    e.receive(query(known=(ptr,)), PEER, INDEX, now + 0.3)
    assert _deferred_sizes(e)[2] == 1
    assert step(e, now + 0.3, now + 2.0) == []  # suppressed (§7.1)


def test_tc_queries_from_many_sources_hold_a_bounded_number() -> None:
    """Past MAX_DEFERRED_SOURCES waiting sources, a TC query is answered as if whole."""
    e, now = announced()
    before = e.statistics().truncated_dropped
    for i in range(MAX_DEFERRED_SOURCES + 50):
        source = EngineEndpoint(IPv6Address(f"fe80::{i + 0x100:x}"), MDNS_PORT)
        e.receive(query(q(TYPE, RRType.PTR), flags=TC), source, INDEX, now)
    sources, _, _ = _deferred_sizes(e)
    assert sources == MAX_DEFERRED_SOURCES
    assert e.statistics().truncated_dropped - before == 50
