"""RecordCache size bounds: what is asked for is sized apart from what is not.

A browse of a large service type must never see a live service reported as
removed because the cache ran out of room: records an active query wants have
their own bound (``max_wanted_records``), unsolicited floods evict only each
other, and when the wanted bound is reached the cache sheds the heaviest
source's oldest records silently and raises one CacheOverflow. Our bounds;
RFC 6762 sets none. Time moves only by hand.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address

import pytest

from lanwise.dns import PTR, SRV, TXT, A, Name, Record, RRType, Unknown
from lanwise.mdns import cache as cache_module
from lanwise.mdns.cache import RecordCache
from lanwise.mdns.events import CacheOverflow, Event, RecordRemoved

SERVICE = Name.from_text("_bulk._tcp.local")
HOST = Name.from_text("bulk.local")
GENUINE = object()  # the source of the genuine services
FLOODER = object()


def _instance(i: int) -> Name:
    return Name.from_labels((f"svc{i}", "_bulk", "_tcp", "local"))


def _service(i: int, ttl: int = 4500) -> list[Record]:
    """One instance: PTR, SRV and TXT (RFC 6763 §12 sends them together)."""
    name = _instance(i)
    return [
        Record.of(SERVICE, PTR(name), ttl),
        Record.of(name, SRV(0, 0, 9000 + i % 1000, HOST), 120, cache_flush=True),
        Record.of(name, TXT((b"k=v",)), ttl, cache_flush=True),
    ]


def _resolving_browse() -> tuple[RecordCache, set[Name]]:
    """A cache whose interest is a resolving browse: the PTR name, then each instance."""
    asked: set[Name] = {SERVICE}
    cache = RecordCache(
        random.Random(1),
        max_records=100,
        max_wanted_records=1_000,
        interest=lambda iface, name, rtype, rclass: name in asked,
    )
    return cache, asked


def _removals(events: list[Event]) -> list[RecordRemoved]:
    return [e for e in events if isinstance(e, RecordRemoved)]


def _drain(cache: RecordCache) -> list[Event]:
    events = list(cache.events)
    cache.events.clear()
    return events


def test_a_browse_far_larger_than_the_unsolicited_bound_loses_nothing() -> None:
    """300 instances (900 records) against an unsolicited bound of 100: no removal."""
    cache, asked = _resolving_browse()
    for i in range(300):
        # SRV and TXT arrive as additionals before the browse asks for them; the
        # browse starts their queries after the PTR event (so they turn wanted later).
        cache.add_response(_service(i), 1, i * 0.01)
        asked.add(_instance(i))
    # More unsolicited traffic pushes on the unsolicited bound.
    for i in range(500):
        name = Name.from_labels((f"other{i}", "local"))
        cache.add_response([Record.of(name, A(IPv4Address(0x0A000000 + i)), 120)], 1, 3.0)
    assert _removals(_drain(cache)) == []
    for i in range(300):
        assert cache.records(_instance(i), RRType.SRV, 4.0, interface=1)
        assert cache.records(_instance(i), RRType.TXT, 4.0, interface=1)
    assert len(cache.records(SERVICE, RRType.PTR, 4.0, interface=1)) == 300
    stats = cache.statistics()
    assert stats.evicted > 0 and stats.shed == 0 and stats.overflows == 0
    assert len(cache._lru) <= 100


def test_at_the_wanted_bound_the_heaviest_source_is_shed_silently_with_one_overflow() -> None:
    """A flood of fake instances of the browsed type from one source: genuine ones stay."""
    cache, asked = _resolving_browse()
    for i in range(100):
        cache.add_response(_service(i), 1, 0.0, GENUINE)
        asked.add(_instance(i))
    _drain(cache)
    for i in range(5_000):
        fake_name = Name.from_labels((f"fake{i}", "_bulk", "_tcp", "local"))
        fake = Record.of(SERVICE, PTR(fake_name), 4500)
        cache.add_response([fake], 1, 1.0 + i * 1e-4, FLOODER)
    events = _drain(cache)
    assert _removals(events) == []  # never a live service reported as removed
    overflows = [e for e in events if isinstance(e, CacheOverflow)]
    assert len(overflows) == 1 and overflows[0].limit == 1_000
    assert len(cache) <= 1_000 + 100
    for i in range(100):
        assert cache.records(_instance(i), RRType.SRV, 2.0, interface=1), i
    stats = cache.statistics()
    assert stats.shed >= 4_000 and stats.overflows == 1


def test_overflow_is_reported_again_only_after_the_cache_drained() -> None:
    cache, _ = _resolving_browse()
    for i in range(2_000):
        fake = Record.of(SERVICE, PTR(_instance(i)), 10)
        cache.add_response([fake], 1, i * 1e-4, FLOODER)
    assert sum(isinstance(e, CacheOverflow) for e in _drain(cache)) == 1
    # They expire (TTL 10): the cache is back under three quarters of the bound.
    while (deadline := cache.next_deadline()) is not None and deadline <= 20.0:
        cache.handle_timer(deadline)
    assert len(cache) == 0
    for i in range(2_000):
        fake = Record.of(SERVICE, PTR(_instance(i)), 10)
        cache.add_response([fake], 1, 30.0 + i * 1e-4, FLOODER)
    assert sum(isinstance(e, CacheOverflow) for e in _drain(cache)) == 1


def test_records_no_query_wants_any_more_leave_the_wanted_list_first() -> None:
    """A stopped browse's records are evicted (no event), not shed, when room is needed."""
    cache, asked = _resolving_browse()
    for i in range(900):
        cache.add_response([Record.of(SERVICE, PTR(_instance(i)), 4500)], 1, 0.0)
    asked.discard(SERVICE)  # that browse stopped
    other = Name.from_text("_other._tcp.local")
    asked.add(other)
    for i in range(900):
        ptr = Record.of(other, PTR(Name.from_labels((f"o{i}", "_other", "_tcp", "local"))), 4500)
        cache.add_response([ptr], 1, 1.0)
    events = _drain(cache)
    assert not [e for e in events if isinstance(e, CacheOverflow)]
    assert len(cache.records(other, RRType.PTR, 2.0, interface=1)) == 900
    assert cache.statistics().shed == 0


def test_bad_wanted_bound_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="max_wanted_records"):
        RecordCache(max_wanted_records=0)


def test_name_index_shares_one_type_tuples_with_a_bound() -> None:
    """The name index shares its one-type tuples (memory, bench/memory.py), but a peer
    sending ever new record types grows the shared table only to its bound, and every
    type stays findable."""
    cache = RecordCache(random.Random(1))
    for i in range(2):
        cache.add_response([Record.of(Name(f"h{i}.local"), A(IPv4Address(1)), 120)], 1, 0.0)
    index = cache._names
    assert index[Name("h0.local")] is index[Name("h1.local")]
    for rtype in range(1000, 1000 + 2 * cache_module._ONE_TYPE_MAX):
        record = Record.of(Name(f"t{rtype}.local"), Unknown(rtype, b"x"), 120)
        cache.add_response([record], 1, 0.0)
    assert len(cache_module._ONE_TYPE) <= cache_module._ONE_TYPE_MAX
    last = 999 + 2 * cache_module._ONE_TYPE_MAX
    assert cache.lookup(Name(f"t{last}.local"), last, 0.0)
    assert cache.lookup(Name("h1.local"), RRType.A, 0.0)
