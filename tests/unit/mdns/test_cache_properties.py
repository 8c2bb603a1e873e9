"""RecordCache under random traffic: its indexes, timers, bound and events stay consistent."""

from __future__ import annotations

import random
from ipaddress import IPv4Address

from hypothesis import given, settings
from hypothesis import strategies as st

from lanwise.dns import A, Name, Question, Record, RRType
from lanwise.mdns.cache import RecordCache
from lanwise.mdns.events import RecordAdded, RecordRemoved, RecordUpdated

NAMES = [Name.from_text(f"h{i}.local") for i in range(3)]
WANTED = NAMES[0]  # an active query asks for this name only
MAX = 6  # the unsolicited bound (the wanted records, at most six, stay under theirs)

# One step: (kind, interface, name index, address octet, ttl choice, cache-flush, dt).
steps = st.lists(
    st.tuples(
        st.sampled_from(["response", "response", "response", "query", "timer", "drop-if"]),
        st.integers(1, 2),
        st.integers(0, len(NAMES) - 1),
        st.integers(1, 3),
        st.sampled_from([0, 1, 3, 120, 120]),
        st.booleans(),
        st.sampled_from([0.0, 0.3, 0.6, 1.2, 2.5, 4.0]),
    ),
    max_size=80,
)


def _check_indexes(cache: RecordCache) -> None:
    assert len(cache._lru) <= MAX
    assert all(not e.kept for e in cache._lru) and all(e.kept for e in cache._kept)
    live = cache._entries()
    # A set of one is held as its entry, a larger one as a dict by rdata.
    sets = {
        key: members if isinstance(members, dict) else {members.record.rdata: members}
        for key, members in cache._rrsets.items()
    }
    in_sets = [e for members in sets.values() for e in members.values()]
    assert {id(e) for e in live} == {id(e) for e in in_sets}
    assert all(members for members in sets.values())
    for (iface, name, rtype, rclass), members in sets.items():
        assert (iface, rtype, rclass) in cache._names[name]
        for rdata, entry in members.items():
            assert entry.record.rdata == rdata and entry.rrset == (iface, name, rtype, rclass)
    indexed = {(i, name, t, c) for name, types in cache._names.items() for i, t, c in types}
    assert indexed == set(sets)
    # Every live entry's heap item is there, at the time it is queued for.
    assert all(e.queued < float("inf") for e in live)
    queued = {id(e) for _, sequence, e in cache._heap if e.version == sequence}
    assert queued == {id(e) for e in live}
    counts: dict[int, int] = {}
    for entry in live:
        counts[entry.interface] = counts.get(entry.interface, 0) + 1
    assert counts == cache._per_interface
    # No entry is forgotten by the timer heap.
    deadline = cache.next_deadline()
    if live:
        assert deadline is not None
        assert deadline <= min(e.next_time() for e in live)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_random_traffic_keeps_the_cache_consistent(plan: list[tuple]) -> None:  # type: ignore[type-arg]
    cache = RecordCache(
        random.Random(0),
        max_records=MAX,
        max_wanted_records=100,
        interest=lambda iface, name, *_: name == WANTED,
    )
    view: set[tuple[int, object]] = set()  # what a consumer of the events believes
    now = 0.0
    for kind, iface, n, octet, ttl, flush, dt in plan:
        now += dt
        name = NAMES[n]
        if kind == "response":
            record = Record.of(name, A(IPv4Address(f"10.0.0.{octet}")), ttl, cache_flush=flush)
            cache.add_response([record], iface, now)
        elif kind == "query":
            cache.observe_query([Question(name, RRType.A)], {}, iface, now)
        elif kind == "timer":
            while (deadline := cache.next_deadline()) is not None and deadline <= now:
                cache.handle_timer(deadline)
        else:
            cache.remove_interface(iface, now)
        for event in cache.events:
            if isinstance(event, RecordAdded):
                key = (event.interface, event.record.key)
                assert key not in view
                view.add(key)
            elif isinstance(event, RecordUpdated):
                view.remove((event.interface, event.old.key))
                key = (event.interface, event.new.key)
                assert key not in view
                view.add(key)
            elif isinstance(event, RecordRemoved):
                view.remove((event.interface, event.record.key))
        cache.events.clear()
        _check_indexes(cache)
        cached = {
            (e.interface, e.record.key)
            for e in cache._entries()
            if not e.superseded and e.record.name == WANTED
        }
        assert view == cached
        # Lookups never return an invalid record.
        for entry in cache.lookup(name, RRType.A, now):
            assert entry.expires > now
