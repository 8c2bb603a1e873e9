"""RecordCache: TTL clocks, goodbyes, cache flush, POOF, refresh points, size bound.

Every timing test steps a fake clock by hand (``now`` is an argument) and
cites the RFC 6762 section it checks.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from ipaddress import IPv4Address

import pytest

from lanwise.dns import PTR, TXT, A, Name, Question, Record, RRClass, RRType
from lanwise.mdns.cache import (
    DEFAULT_MAX_RECORDS,
    REFRESH_FRACTIONS,
    REFRESH_JITTER,
    RecordCache,
    RRsetKey,
)
from lanwise.mdns.events import Event, RecordAdded, RecordRemoved, RecordUpdated, RemovalReason

HOST = Name.from_text("host.local")
SERVICE = Name.from_text("_http._tcp.local")
IN = int(RRClass.IN)


def a(address: str, ttl: int = 120, *, flush: bool = True, name: Name = HOST) -> Record:
    return Record.of(name, A(IPv4Address(address)), ttl, cache_flush=flush)


def ptr(instance: str, ttl: int = 4500) -> Record:
    return Record.of(SERVICE, PTR(Name.from_text(f"{instance}._http._tcp.local")), ttl)


def interested_in(*names: Name) -> RecordCache:
    wanted = set(names)
    return RecordCache(random.Random(7), interest=lambda iface, name, rtype, rclass: name in wanted)


def drain(cache: RecordCache) -> list[Event]:
    events = list(cache.events)
    cache.events.clear()
    return events


def addresses(cache: RecordCache, now: float, interface: int | None = None) -> set[str]:
    return {
        str(c.record.rdata.address)  # type: ignore[attr-defined]
        for c in cache.lookup(HOST, RRType.A, now, interface=interface)
    }


def run(cache: RecordCache, until: float) -> list[tuple[float, RRsetKey]]:
    """Fire every cache timer up to ``until``; returns (time, refresh key) pairs."""
    asked: list[tuple[float, RRsetKey]] = []
    while (deadline := cache.next_deadline()) is not None and deadline <= until:
        asked.extend((deadline, key) for key in cache.handle_timer(deadline))
    return asked


# -- per-interface separation --


def test_same_name_on_two_interfaces_is_kept_apart() -> None:
    """Entries are keyed by interface: one interface's answer never replaces another's."""
    cache = interested_in(HOST)
    cache.add_response([a("192.168.1.5")], 1, 0.0)
    cache.add_response([a("10.0.0.5")], 2, 0.5)
    assert addresses(cache, 1.0, 1) == {"192.168.1.5"}
    assert addresses(cache, 1.0, 2) == {"10.0.0.5"}
    everything = cache.lookup(HOST, RRType.A, 1.0)
    assert {(c.interface, str(c.record.rdata.address)) for c in everything} == {  # type: ignore[attr-defined]
        (1, "192.168.1.5"),
        (2, "10.0.0.5"),
    }
    assert [type(e) for e in drain(cache)] == [RecordAdded, RecordAdded]


def test_cache_flush_on_one_interface_leaves_the_other_alone() -> None:
    """§10.2 flushes the record set on the interface the announcement came in on only."""
    cache = interested_in(HOST)
    cache.add_response([a("192.168.1.5")], 1, 0.0)
    cache.add_response([a("192.168.1.5")], 2, 0.0)
    cache.add_response([a("192.168.1.9")], 2, 10.0)
    run(cache, 20.0)
    assert addresses(cache, 20.0, 1) == {"192.168.1.5"}
    assert addresses(cache, 20.0, 2) == {"192.168.1.9"}


def test_identical_record_on_two_interfaces_is_two_entries() -> None:
    cache = RecordCache(random.Random(1))
    cache.add_response([ptr("a")], 1, 0.0)
    cache.add_response([ptr("a")], 2, 0.0)
    assert len(cache) == 2
    assert cache.remove_interface(1, 1.0) == 1
    assert [c.interface for c in cache.lookup(SERVICE, RRType.PTR, 1.0)] == [2]


# -- expiry, goodbye --


def test_record_expires_at_one_hundred_percent_of_its_ttl() -> None:
    """§5.2: after the TTL the answer is no longer valid and is deleted."""
    cache = interested_in(SERVICE)
    cache.add_response([ptr("a", ttl=100)], 1, 50.0)
    drain(cache)
    run(cache, 149.999)
    assert len(cache.lookup(SERVICE, RRType.PTR, 149.999)) == 1
    run(cache, 150.0)
    assert cache.lookup(SERVICE, RRType.PTR, 150.0) == []
    assert len(cache) == 0
    assert drain(cache) == [RecordRemoved(1, ptr("a", ttl=100), RemovalReason.EXPIRED)]


def test_ttl_refresh_is_not_an_event_and_restarts_the_clock() -> None:
    cache = interested_in(SERVICE)
    cache.add_response([ptr("a", ttl=100)], 1, 0.0)
    cache.add_response([ptr("a", ttl=100)], 1, 60.0)
    assert [type(e) for e in drain(cache)] == [RecordAdded]
    run(cache, 159.0)
    assert len(cache) == 1
    run(cache, 160.0)
    assert len(cache) == 0


def test_goodbye_removes_the_record_one_second_later() -> None:
    """§10.1: TTL 0 is recorded as TTL 1 and the record deleted one second later."""
    cache = interested_in(SERVICE)
    cache.add_response([ptr("a"), ptr("b")], 1, 0.0)
    drain(cache)
    cache.add_response([ptr("a", ttl=0)], 1, 30.0)
    assert cache.next_deadline() == pytest.approx(31.0)
    # Condemned: no longer offered to lookups or as a known answer ...
    assert [str(c.record.rdata) for c in cache.lookup(SERVICE, RRType.PTR, 30.5)] == [
        str(ptr("b").rdata)
    ]
    assert cache.known_answers(1, SERVICE, RRType.PTR, IN, 30.5) == [
        Record(SERVICE, RRType.PTR, IN, 4469, ptr("b").rdata)
    ]
    # ... but still held until the second is over.
    run(cache, 30.999)
    assert len(cache) == 2
    assert drain(cache) == []
    run(cache, 31.0)
    assert len(cache) == 1
    assert drain(cache) == [RecordRemoved(1, ptr("a"), RemovalReason.GOODBYE)]


def test_goodbye_for_an_unknown_record_is_ignored() -> None:
    cache = interested_in(SERVICE)
    cache.add_response([ptr("a", ttl=0)], 1, 0.0)
    assert len(cache) == 0
    assert cache.next_deadline() is None
    assert drain(cache) == []


def test_reannouncement_within_the_goodbye_second_keeps_the_record() -> None:
    """§10.1: the one-second grace lets a record come back without flapping."""
    cache = interested_in(SERVICE)
    cache.add_response([ptr("a")], 1, 0.0)
    cache.add_response([ptr("a", ttl=0)], 1, 10.0)
    cache.add_response([ptr("a")], 1, 10.5)
    run(cache, 20.0)
    assert len(cache.lookup(SERVICE, RRType.PTR, 20.0)) == 1
    assert [type(e) for e in drain(cache)] == [RecordAdded]


# -- cache flush --


def test_cache_flush_expires_older_members_in_one_second() -> None:
    """§10.2: members received over 1 s ago are set to expire in 1 s, not deleted at once."""
    cache = interested_in(HOST)
    cache.add_response([a("192.168.1.5")], 1, 0.0)
    drain(cache)
    cache.add_response([a("192.168.1.9")], 1, 5.0)
    # The old address is invalid at once (left out of lookups) ...
    assert addresses(cache, 5.0) == {"192.168.1.9"}
    # ... but leaves the cache only one second later.
    assert len(cache) == 2
    run(cache, 5.999)
    assert len(cache) == 2
    run(cache, 6.0)
    assert len(cache) == 1
    # One event: the unique record set's rdata changed; no separate removal.
    assert drain(cache) == [RecordUpdated(1, a("192.168.1.5"), a("192.168.1.9"))]


def test_cache_flush_spares_members_received_within_the_last_second() -> None:
    """§10.2: a record set split over packets sent within a second is kept whole."""
    cache = interested_in(HOST)
    cache.add_response([a("192.168.1.5")], 1, 10.0)
    cache.add_response([a("192.168.1.6")], 1, 10.8)
    run(cache, 20.0)
    assert addresses(cache, 20.0) == {"192.168.1.5", "192.168.1.6"}


def test_cache_flush_keeps_members_repeated_in_the_same_packet() -> None:
    cache = interested_in(HOST)
    cache.add_response([a("192.168.1.5"), a("192.168.1.6")], 1, 0.0)
    cache.add_response([a("192.168.1.5"), a("192.168.1.7")], 1, 30.0)
    run(cache, 40.0)
    assert addresses(cache, 40.0) == {"192.168.1.5", "192.168.1.7"}
    events = drain(cache)
    assert RecordUpdated(1, a("192.168.1.6"), a("192.168.1.7")) in events


def test_cache_flush_touches_only_its_own_name_type_and_class() -> None:
    cache = RecordCache(random.Random(1))
    txt = Record.of(HOST, TXT((b"k=v",)), 4500, cache_flush=True)
    other = a("192.168.1.1", name=Name.from_text("other.local"))
    cache.add_response([a("192.168.1.5"), txt, other], 1, 0.0)
    cache.add_response([a("192.168.1.9")], 1, 10.0)
    run(cache, 20.0)
    assert addresses(cache, 20.0) == {"192.168.1.9"}
    assert len(cache.lookup(HOST, RRType.TXT, 20.0)) == 1
    assert len(cache.lookup(Name.from_text("other.local"), RRType.A, 20.0)) == 1


def test_shared_records_are_never_flushed() -> None:
    """§10.2: without the cache-flush bit new rdata joins the set."""
    cache = RecordCache(random.Random(1))
    cache.add_response([ptr("a")], 1, 0.0)
    cache.add_response([ptr("b")], 1, 10.0)
    run(cache, 20.0)
    assert len(cache.lookup(SERVICE, RRType.PTR, 20.0)) == 2


def test_flushed_record_reannounced_within_the_second_comes_back() -> None:
    cache = interested_in(HOST)
    cache.add_response([a("192.168.1.5")], 1, 0.0)
    cache.add_response([a("192.168.1.9")], 1, 5.0)
    cache.add_response([a("192.168.1.5", flush=False)], 1, 5.5)
    run(cache, 10.0)
    assert addresses(cache, 10.0) == {"192.168.1.5", "192.168.1.9"}
    # Consumers saw 5 → 9, then 5 again: their view matches the cache.
    assert [type(e) for e in drain(cache)] == [RecordAdded, RecordUpdated, RecordAdded]


# -- refresh points --


def test_refresh_queries_at_80_85_90_95_percent_with_2_percent_jitter() -> None:
    """§5.2: query at 80/85/90/95 % of the TTL plus a random 0–2 %, delete at 100 %."""
    for seed in range(50):
        cache = RecordCache(random.Random(seed), interest=lambda *_: True)
        cache.add_response([ptr("a", ttl=1000)], 3, 100.0)
        asked = run(cache, 1100.0)
        assert [key for _, key in asked] == [(3, SERVICE, int(RRType.PTR), IN)] * 4
        for (when, _), fraction in zip(asked, REFRESH_FRACTIONS, strict=True):
            assert 100.0 + 1000 * fraction <= when <= 100.0 + 1000 * (fraction + REFRESH_JITTER)
        assert len(cache) == 0  # no answer after four queries: gone at 100 %


def test_refresh_jitter_is_spread_over_the_two_percent() -> None:
    offsets = []
    for seed in range(200):
        cache = RecordCache(random.Random(seed), interest=lambda *_: True)
        cache.add_response([ptr("a", ttl=1000)], 1, 0.0)
        when, _ = run(cache, 900.0)[0]
        offsets.append(when - 800.0)
    assert min(offsets) < 5.0 and max(offsets) > 15.0


def test_no_refresh_without_an_interested_query() -> None:
    """§5.2: no cache maintenance for records nobody has an active interest in."""
    cache = RecordCache(random.Random(1))
    cache.add_response([ptr("a", ttl=100)], 1, 0.0)
    assert run(cache, 200.0) == []
    assert len(cache) == 0


def test_an_answer_restarts_the_refresh_points() -> None:
    cache = RecordCache(random.Random(3), interest=lambda *_: True)
    cache.add_response([ptr("a", ttl=100)], 1, 0.0)
    first = run(cache, 83.0)
    assert len(first) == 1
    cache.add_response([ptr("a", ttl=100)], 1, 83.0)  # answered
    asked = run(cache, 300.0)
    assert 83.0 + 80.0 <= asked[0][0] <= 83.0 + 82.0
    assert len(asked) == 4


# -- known answers --


def test_known_answers_need_half_their_ttl() -> None:
    """§7.1: only records with at least half their TTL left, with the remaining TTL."""
    cache = RecordCache(random.Random(1))
    cache.add_response([ptr("a", ttl=100)], 1, 0.0)
    [known] = cache.known_answers(1, SERVICE, RRType.PTR, IN, 30.0)
    assert known.ttl == 70 and not known.cache_flush
    assert len(cache.known_answers(1, SERVICE, RRType.PTR, IN, 50.0)) == 1
    assert cache.known_answers(1, SERVICE, RRType.PTR, IN, 50.5) == []
    assert cache.known_answers(2, SERVICE, RRType.PTR, IN, 10.0) == []


def test_known_answers_never_carry_the_cache_flush_bit() -> None:
    """§10.2: the cache-flush bit is never set in a known-answer list."""
    cache = RecordCache(random.Random(1))
    cache.add_response([a("192.168.1.5")], 1, 0.0)
    [known] = cache.known_answers(1, HOST, RRType.ANY, IN, 1.0)
    assert known.rtype == RRType.A and not known.cache_flush


# -- POOF --


def _poof_cache() -> RecordCache:
    cache = interested_in(SERVICE)
    cache.add_response([ptr("a")], 1, 0.0)
    drain(cache)
    return cache


QUESTION = Question(SERVICE, RRType.PTR)


def test_two_unanswered_queries_flush_the_record_after_ten_seconds() -> None:
    """§10.5: two or more queries, no answer within ten seconds → flushed before its TTL."""
    cache = _poof_cache()
    cache.observe_query([QUESTION], {}, 1, 100.0)
    cache.observe_query([QUESTION], {}, 1, 103.0)
    run(cache, 109.999)
    assert len(cache) == 1
    run(cache, 110.0)
    assert len(cache) == 0
    assert drain(cache) == [RecordRemoved(1, ptr("a"), RemovalReason.POOF)]


def test_one_unanswered_query_is_not_enough() -> None:
    """§10.5: a single query proves nothing."""
    cache = _poof_cache()
    cache.observe_query([QUESTION], {}, 1, 100.0)
    run(cache, 200.0)
    assert len(cache) == 1
    # A second query after the window opens a new window; it alone flushes nothing.
    cache.observe_query([QUESTION], {}, 1, 200.0)
    run(cache, 215.0)
    assert len(cache) == 1


def test_an_answer_within_ten_seconds_cancels_poof() -> None:
    """§10.5: a multicast response with the expected answer clears the suspicion."""
    cache = _poof_cache()
    cache.observe_query([QUESTION], {}, 1, 100.0)
    cache.observe_query([QUESTION], {}, 1, 101.0)
    cache.add_response([ptr("a")], 1, 101.1)
    run(cache, 130.0)
    assert len(cache) == 1


def test_a_query_listing_the_record_as_known_answer_does_not_count() -> None:
    """§10.5 with §7.1: no answer is expected when the query lists it with ≥ half TTL."""
    cache = _poof_cache()
    listed = {ptr("a").key: 4000}
    cache.observe_query([QUESTION], listed, 1, 100.0)
    cache.observe_query([QUESTION], listed, 1, 101.0)
    run(cache, 130.0)
    assert len(cache) == 1
    # Listed with a TTL under half of ours: an answer would be expected.
    low = {ptr("a").key: 100}
    cache.observe_query([QUESTION], low, 1, 200.0)
    cache.observe_query([QUESTION], low, 1, 201.0)
    run(cache, 210.0)
    assert len(cache) == 0


def test_poof_is_per_interface() -> None:
    cache = interested_in(SERVICE)
    cache.add_response([ptr("a")], 1, 0.0)
    cache.add_response([ptr("a")], 2, 0.0)
    cache.observe_query([QUESTION], {}, 2, 100.0)
    cache.observe_query([QUESTION], {}, 2, 101.0)
    run(cache, 111.0)
    assert [c.interface for c in cache.lookup(SERVICE, RRType.PTR, 111.0)] == [1]


# -- size bound --


def _flood(count: int, start: int = 0) -> Iterable[Record]:
    for i in range(start, start + count):
        name = Name.from_labels((f"flood{i}", "local"))
        yield Record.of(name, A(IPv4Address(0x0A000000 + i)), 4500)


def test_a_flood_of_100000_records_never_exceeds_the_bound() -> None:
    """Our bound (RFC 6762 sets none): 100,000 unsolicited records, at most 10,000 cached.

    The one record a query wanted is held apart, outside the unsolicited bound.
    """
    cache = interested_in(HOST)
    cache.add_response([a("192.168.1.5", ttl=4500)], 1, 0.0)
    peak = 0
    for i, record in enumerate(_flood(100_000)):
        cache.add_response((record,), 1, 1.0 + i * 1e-5)
        peak = max(peak, len(cache))
    assert peak == DEFAULT_MAX_RECORDS + 1
    stats = cache.statistics()
    assert stats.evicted == 100_000 - DEFAULT_MAX_RECORDS
    assert stats.size == DEFAULT_MAX_RECORDS + 1
    # The address an active query wanted was spared; the oldest flood records went.
    assert addresses(cache, 3.0) == {"192.168.1.5"}
    assert cache.lookup(Name.from_text("flood0.local"), RRType.A, 3.0) == []
    assert len(cache.lookup(Name.from_text("flood99999.local"), RRType.A, 3.0)) == 1
    # Lazy heap deletion stays bounded.
    assert len(cache._heap) <= 2 * DEFAULT_MAX_RECORDS + 1024


def test_eviction_prefers_the_least_recently_received() -> None:
    cache = RecordCache(random.Random(1), max_records=3)
    first, second, third, fourth = _flood(4)
    cache.add_response([first], 1, 0.0)
    cache.add_response([second], 1, 1.0)
    cache.add_response([third], 1, 2.0)
    cache.add_response([first], 1, 3.0)  # received again: now the freshest
    cache.add_response([fourth], 1, 4.0)
    names = {str(c.record.name) for c in _all(cache, 5.0)}
    assert names == {"flood0.local", "flood2.local", "flood3.local"}
    assert cache.statistics().evicted == 1


def _all(cache: RecordCache, now: float) -> list:  # type: ignore[type-arg]
    found = []
    for i in range(10):
        found.extend(cache.lookup(Name.from_labels((f"flood{i}", "local")), RRType.A, now))
    return found


def test_bad_bound_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="max_records"):
        RecordCache(max_records=0)


# -- interface removal --


def test_interface_removal_flushes_its_entries_with_events() -> None:
    cache = interested_in(HOST)
    cache.add_response([a("192.168.1.5")], 1, 0.0)
    cache.add_response([a("10.0.0.5")], 2, 0.0)
    drain(cache)
    assert cache.remove_interface(2, 5.0) == 1
    assert addresses(cache, 5.0) == {"192.168.1.5"}
    assert drain(cache) == [RecordRemoved(2, a("10.0.0.5"), RemovalReason.INTERFACE_REMOVED)]
    assert cache.remove_interface(2, 6.0) == 0


def test_records_nobody_asked_for_raise_no_events() -> None:
    cache = interested_in(HOST)
    cache.add_response([ptr("a", ttl=10)], 1, 0.0)
    run(cache, 20.0)
    assert drain(cache) == []
    assert cache.statistics().expired == 1


def test_ttl_with_the_top_bit_set_counts_as_zero() -> None:
    """RFC 2181 §8: such a TTL is treated as zero, i.e. as a goodbye (§10.1)."""
    cache = interested_in(SERVICE)
    cache.add_response([ptr("a")], 1, 0.0)
    cache.add_response([ptr("a", ttl=0x80000000)], 1, 5.0)
    run(cache, 6.0)
    assert len(cache) == 0


def test_clear_drops_everything_without_events() -> None:
    cache = interested_in(HOST)
    cache.add_response([a("192.168.1.5")], 1, 0.0)
    drain(cache)
    cache.clear(1.0)
    assert len(cache) == 0 and cache.next_deadline() is None
    assert cache.lookup(HOST, RRType.A, 1.0) == []
    assert drain(cache) == []


def test_a_ttl_refresh_pushes_no_timer_and_wakes_at_most_once_early() -> None:
    """A refresh moves the timers later; the old heap item fires, finds nothing, re-queues."""
    cache = RecordCache(random.Random(1))
    cache.add_response([ptr("a", ttl=100)], 1, 0.0)
    for i in range(1, 1000):
        cache.add_response([ptr("a", ttl=100)], 1, i * 0.01)
    # Only a refresh whose jittered 80 % point lands before the queued one pushes
    # (a new running minimum: a handful in a thousand), never one per refresh.
    assert len(cache._heap) < 20
    assert run(cache, 99.0) == []
    assert len(cache) == 1
    run(cache, 110.0)
    assert len(cache) == 0  # expired at 9.99 + 100
