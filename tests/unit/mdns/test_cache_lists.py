"""RecordCache's own structures: the LRU lists linked through the entries, the timer heap's ties."""

from __future__ import annotations

import itertools
import random
from collections import OrderedDict
from ipaddress import IPv4Address

from hypothesis import given, settings
from hypothesis import strategies as st

from lanwise.dns import PTR, A, Name, Record, RRClass
from lanwise.mdns.cache import RecordCache, _Chain, _Entry
from lanwise.mdns.events import RecordRemoved, RemovalReason

IN = int(RRClass.IN)


def _entries(count: int) -> list[_Entry]:
    found = []
    for i in range(count):
        name = Name.from_text(f"h{i}.local")
        record = Record.of(name, A(IPv4Address(0x0A000000 + i)), 120)
        found.append(_Entry((1, name, record.rtype, IN), record, 0.0, None))
    return found


def _check_links(chain: _Chain, expected: list[_Entry]) -> None:
    assert chain.entries() == expected and list(chain) == expected
    assert len(chain) == chain.size == len(expected)
    assert chain.head is (expected[0] if expected else None)
    assert chain.tail is (expected[-1] if expected else None)
    for older, newer in itertools.pairwise(expected):
        assert older.newer is newer and newer.older is older
    if expected:
        assert expected[0].older is None and expected[-1].newer is None


# One operation: (kind, which entry, as an index into the pool).
operations = st.lists(
    st.tuples(st.sampled_from(["append", "prepend", "unlink", "move_to_end"]), st.integers(0, 7)),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(operations)
def test_the_linked_list_keeps_the_order_an_ordered_dict_would(plan: list[tuple[str, int]]) -> None:
    pool = _entries(8)
    chain = _Chain()
    model: OrderedDict[_Entry, None] = OrderedDict()
    for kind, index in plan:
        entry = pool[index]
        if kind in ("append", "prepend"):
            if entry in model:
                continue  # an entry is in at most one list at a time
            if kind == "append":
                chain.append(entry)
                model[entry] = None
            else:
                chain.prepend(entry)
                model[entry] = None
                model.move_to_end(entry, last=False)
        elif entry in model:
            if kind == "unlink":
                chain.unlink(entry)
                del model[entry]
                assert entry.older is None and entry.newer is None
            else:
                chain.move_to_end(entry)
                model.move_to_end(entry)
        _check_links(chain, list(model))
    chain.clear()
    _check_links(chain, [])
    assert all(e.older is None and e.newer is None for e in pool)


def test_refreshed_records_leave_last_and_new_ones_evict_the_oldest() -> None:
    cache = RecordCache(random.Random(1), max_records=3)
    records = [
        Record.of(Name.from_text(f"h{i}.local"), A(IPv4Address(0x0A000001 + i)), 120)
        for i in range(4)
    ]
    cache.add_response(records[:3], 1, 0.0)
    cache.add_response([records[0]], 1, 1.0)  # h0 is now the most recently received
    cache.add_response([records[3]], 1, 2.0)  # evicts h1, the least recently received
    assert [e.record.name for e in cache._lru] == [
        r.name for r in (records[2], records[0], records[3])
    ]
    _check_links(cache._lru, cache._entries())
    assert len(cache) == 3 and cache.statistics().evicted == 1


def test_timers_due_at_the_same_time_fire_in_the_order_they_were_set() -> None:
    """Equal heap times are ordered by push: goodbyes of one packet leave in its order."""
    service = Name.from_text("_http._tcp.local")
    ptrs = [
        Record.of(service, PTR(Name.from_text(f"i{i}._http._tcp.local")), 4500)
        for i in (3, 1, 2, 0)
    ]
    cache = RecordCache(random.Random(1), interest=lambda *_: True)
    cache.add_response(ptrs, 1, 0.0)
    # Goodbyes in another order than the records were cached in: each expires at 1.5 + 1 s.
    goodbyes = [Record.of(r.name, r.rdata, 0) for r in (ptrs[2], ptrs[0], ptrs[3], ptrs[1])]
    cache.add_response(goodbyes, 1, 1.5)
    cache.events.clear()
    cache.handle_timer(2.5)
    removed = [e.record.rdata for e in cache.events if isinstance(e, RecordRemoved)]
    assert removed == [g.rdata for g in goodbyes]
    assert all(
        e.reason is RemovalReason.GOODBYE for e in cache.events if isinstance(e, RecordRemoved)
    )
    assert len(cache) == 0
