"""§10.5 Passive Observation Of Failures in the cache: per-record windows, counted per set.

The cache counts other hosts' queries per record set and opens each record's
ten-second window lazily (see ``lanwise.mdns.cache._Watch``). These tests pin
the per-record semantics — a window opens with the first query that expects
the record after it was last received, two or more such queries in it and no
answer flush it when it ends — and check the lazy bookkeeping against a
straightforward per-record model under random traffic. Time moves by hand.
"""

from __future__ import annotations

import random
from math import inf

from hypothesis import given, settings
from hypothesis import strategies as st

from lanwise.dns import PTR, Name, Question, Rdata, Record, RRType
from lanwise.mdns.cache import POOF_WINDOW, RecordCache
from lanwise.mdns.events import RecordRemoved, RemovalReason

SERVICE = Name.from_text("_http._tcp.local")
PTR_Q = Question(SERVICE, RRType.PTR)
ANY_Q = Question(SERVICE, RRType.ANY)
INSTANCES = ["a", "b", "c"]


def ptr(instance: str, ttl: int = 4500) -> Record:
    return Record.of(SERVICE, PTR(Name.from_text(f"{instance}._http._tcp.local")), ttl)


def cache_with(*instances: str, at: float = 0.0) -> RecordCache:
    cache = RecordCache(random.Random(5), interest=lambda *_: True)
    cache.add_response([ptr(i) for i in instances], 1, at)
    cache.events.clear()
    return cache


def run(cache: RecordCache, until: float) -> None:
    while (deadline := cache.next_deadline()) is not None and deadline <= until:
        cache.handle_timer(deadline)


def present(cache: RecordCache, now: float) -> set[str]:
    return {
        c.record.rdata.target.labels[0]  # type: ignore[attr-defined]
        for c in cache.lookup(SERVICE, RRType.PTR, now)
    }


def listed(*instances: str, ttl: int = 4500) -> dict[tuple[Name, int, int, Rdata], int]:
    return {ptr(i).key: ttl for i in instances}


def test_poof_section_10_5_window_opens_after_the_records_own_refresh() -> None:
    """§10.5: "no answer within ten seconds" runs from the first query after the last answer."""
    cache = cache_with("a", "b")
    cache.observe_query([PTR_Q], {}, 1, 100.0)  # a and b: windows 100–110
    cache.add_response([ptr("b")], 1, 103.0)  # b answered: its count starts again
    cache.observe_query([PTR_Q], {}, 1, 105.0)  # a: 2 in its window; b: window 105–115
    cache.observe_query([PTR_Q], {}, 1, 112.0)  # b: 2 in its window
    run(cache, 109.999)
    assert present(cache, 109.999) == {"a", "b"}
    run(cache, 110.0)
    assert present(cache, 110.0) == {"b"}
    run(cache, 114.999)
    assert present(cache, 114.999) == {"b"}
    run(cache, 115.0)
    assert present(cache, 115.0) == set()
    removed = [(e.record.rdata, e.reason) for e in cache.events if isinstance(e, RecordRemoved)]
    assert removed == [(ptr("a").rdata, RemovalReason.POOF), (ptr("b").rdata, RemovalReason.POOF)]


def test_poof_section_10_5_a_listed_record_opens_its_window_with_the_next_query() -> None:
    """§10.5 with §7.1: a query listing the record expects no answer, so it opens nothing."""
    cache = cache_with("a", "b")
    cache.observe_query([PTR_Q], listed("a"), 1, 100.0)  # b: window 100–110; a: nothing
    cache.observe_query([PTR_Q], {}, 1, 101.0)  # a: window 101–111
    cache.observe_query([PTR_Q], {}, 1, 102.0)
    run(cache, 110.0)
    assert present(cache, 110.0) == {"a"}
    run(cache, 111.0)
    assert present(cache, 111.0) == set()


def test_poof_section_10_5_a_listing_inside_the_window_is_not_counted() -> None:
    """§10.5: only queries that expected the record count towards the two."""
    cache = cache_with("a", "b")
    cache.observe_query([PTR_Q], {}, 1, 100.0)
    cache.observe_query([PTR_Q], listed("a"), 1, 101.0)  # a: still 1; b: 2
    run(cache, 130.0)
    assert present(cache, 130.0) == {"a"}
    # A listing with under half our TTL expects an answer (§7.1), so it counts.
    cache.observe_query([PTR_Q], listed("a", ttl=100), 1, 200.0)
    cache.observe_query([PTR_Q], listed("a", ttl=100), 1, 201.0)
    run(cache, 210.0)
    assert present(cache, 210.0) == set()


def test_poof_section_10_5_one_query_asking_twice_counts_once() -> None:
    """§10.5: PTR and ANY for the same name in one query are one unanswered query."""
    cache = cache_with("a")
    cache.observe_query([PTR_Q, ANY_Q], {}, 1, 100.0)
    run(cache, 120.0)
    assert present(cache, 120.0) == {"a"}


def test_poof_section_10_5_a_record_received_late_counts_only_later_queries() -> None:
    """§10.5: a record that arrives during other records' window starts its own."""
    cache = cache_with("a")
    cache.observe_query([PTR_Q], {}, 1, 100.0)
    cache.add_response([ptr("b")], 1, 101.0)
    cache.observe_query([PTR_Q], {}, 1, 102.0)  # a: 2 (flushed at 110); b: window 102–112
    run(cache, 111.0)
    assert present(cache, 111.0) == {"b"}
    run(cache, 112.0)
    assert present(cache, 112.0) == {"b"}  # one query only: kept
    cache.observe_query([PTR_Q], {}, 1, 113.0)
    cache.observe_query([PTR_Q], {}, 1, 114.0)
    run(cache, 123.0)
    assert present(cache, 123.0) == set()


def test_poof_section_10_5_records_we_publish_are_never_flushed() -> None:
    """§10.5: a record this host answers with (``set_published``) is alive by definition."""
    cache = cache_with("a", "b")
    cache.set_published(lambda interface, record: record.key == ptr("a").key)
    for t in range(100, 105):
        cache.observe_query([PTR_Q], {}, 1, float(t))
    run(cache, 130.0)
    assert present(cache, 130.0) == {"a"}
    assert cache.statistics().poof_flushed == 1


# -- the lazy bookkeeping against a per-record model ----------------------------------


class _Model:
    """The §10.5 rule record by record: a count and a deadline each (the obvious way)."""

    def __init__(self) -> None:
        self.state: dict[str, list[float]] = {}  # instance → [count, deadline]
        self.flushed: list[tuple[str, float]] = []

    def answer(self, instances: list[str]) -> None:
        for i in instances:
            self.state[i] = [0, inf]

    def query(self, exempt: set[str], now: float) -> None:
        for i, st_ in self.state.items():
            if i in exempt:
                continue
            if st_[0] == 0:
                st_[0], st_[1] = 1, now + POOF_WINDOW
            else:
                st_[0] += 1

    def run(self, until: float) -> None:
        while True:
            due = [(s[1], i) for i, s in self.state.items() if s[1] <= until]
            if not due:
                return
            when = min(d for d, _ in due)
            for deadline, i in sorted(due):
                if deadline != when:
                    continue
                if self.state[i][0] >= 2:
                    del self.state[i]
                    self.flushed.append((i, when))
                else:
                    self.state[i] = [0, inf]


ops = st.lists(
    st.tuples(
        st.sampled_from(["answer", "query", "query", "query", "query-any"]),
        st.sets(st.sampled_from(INSTANCES)),
        st.booleans(),  # listed with a high TTL (exempt) or a low one
        st.sampled_from([0.0, 0.5, 1.0, 3.0, 5.0, 9.0, 10.0, 11.0]),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(ops)
def test_poof_section_10_5_lazy_windows_match_the_per_record_rule(plan: list[tuple]) -> None:  # type: ignore[type-arg]
    cache = RecordCache(random.Random(1), interest=lambda *_: True)
    model = _Model()
    now = 0.0
    for kind, instances, high, dt in plan:
        now += dt
        run(cache, now)
        model.run(now)
        chosen = sorted(instances)
        if kind == "answer":
            if chosen:
                cache.add_response([ptr(i) for i in chosen], 1, now)
                model.answer(chosen)
        else:
            questions = [PTR_Q] if kind == "query" else [ANY_Q, PTR_Q]
            known = listed(*chosen, ttl=4500 if high else 1000)
            cache.observe_query(questions, known, 1, now)
            model.query(set(chosen) if high else set(), now)
        assert present(cache, now) == set(model.state)
    run(cache, now + 100.0)
    model.run(now + 100.0)
    assert present(cache, now + 100.0) == set(model.state)
    flushed = [
        e.record.rdata.target.labels[0]  # type: ignore[attr-defined]
        for e in cache.events
        if isinstance(e, RecordRemoved) and e.reason is RemovalReason.POOF
    ]
    assert sorted(flushed) == sorted(i for i, _ in model.flushed)
