"""The multicast DNS record cache (RFC 6762 §5.2, §7.1, §10): sans-IO, per interface, bounded.

Every entry is keyed by ``(interface, name, type, class, rdata)``: a record heard
on two interfaces is two entries, and one interface's answers never overwrite
another's (python-zeroconf merges them and loses addresses). Each entry keeps
the TTL it was received with, when it was received and where from.

Time only moves when the caller says so: every method takes ``now`` (seconds,
any monotonic origin). Timers live in one heap with lazy deletion — each entry
has at most one live heap item, due no later than the earliest of its expiry,
its next refresh point (§5.2) and its reconfirmation deadline (§10.4).
Moving a timer earlier pushes a new item and retires the old one, which is
skipped when popped; moving it later (a TTL refresh, the common case) pushes
nothing: the early item fires, finds nothing due, and queues the right time.
Heap items are ``(time, time, entry)``, the same float object twice: an item
is live while that object is its entry's ``version`` (identity; a removal sets
it to ``inf``), and items of equal times order by their entries' ``order``, the
number of their last push. No dict of the live items and no sequence number
object per item: memory per cached record is what bench/memory.py measures.

A record set of one record, by far the most common shape, is held as its
entry itself in ``_rrsets``; a dict by rdata replaces it when a second member
arrives.

Passive Observation Of Failures (§10.5) is counted per record set, not per
entry (see :class:`_Watch`): a received query costs a dict hit per question
plus one per known answer, however many records the set holds, and only the
entries whose ten-second window ends are visited, when it ends. Records the
engine itself publishes on the interface are never flushed this way.

Own records. What the engine multicasts itself is fed back with
``add_response(..., own=True)`` and held as the authority: while it is
ours, nothing from the network touches it — not a goodbye, not a cache-flush
record set, not a shorter TTL — eviction never picks it, and at the end of
its TTL it is renewed as long as ``published`` says we still answer with it.
Only our own goodbye (``own=True``, TTL 0) ends it, or the end of its TTL once
we no longer publish it (a name lost to a conflict is given up without
goodbyes, RFC 6762 §9; until then a forged conflict cannot take it from our
view either). So a local browse always sees local services, whatever another
host sends.

Size bounds. Records nobody asked for and records an active query wants
have bounds of their own: ``max_records`` (unsolicited, default 10,000) and
``max_wanted_records`` (wanted, default 200,000), each an LRU on receipt, a
list linked through the entries (O(1) per operation). A record goes to the wanted one if
a query wants it when it arrives, or when eviction finds it wanted. An
unsolicited record evicts the oldest unsolicited one, so a flood of records
nobody asked for pushes out only its own kind. At the wanted bound the cache
first drops wanted-list entries no query wants any more; failing that it
sheds memory: one sixty-fourth of the bound, oldest first, from the source
holding the most entries (a flood from one host pays for itself). Shed
records are not reported as removed — they are not known to be gone — and a
single :class:`~lanwise.mdns.events.CacheOverflow` says the view is partial.
Evictions and sheddings are counted.

Events (:class:`~lanwise.mdns.events.RecordAdded`, ``RecordUpdated``,
``RecordRemoved``) are queued only for records an active query is interested
in (the ``interest`` callback, supplied by the querier); everything else is
cached silently and can be read with :meth:`RecordCache.lookup`.
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush
from math import inf
from typing import Final, TypeAlias

from lanwise.dns import Name, Question, Rdata, Record, RRClass
from lanwise.errors import UsageError
from lanwise.mdns.constants import (
    ANY_CLASS,
    ANY_TYPE,
    CACHE_FLUSH_AGE,
    CACHE_FLUSH_DELAY,
    GOODBYE_DELAY,
    KNOWN_ANSWER_MIN_FRACTION,
    MAX_TTL,
    POOF_QUERY_COUNT,
    POOF_WINDOW,
    RECONFIRM_WINDOW,
    REFRESH_FRACTIONS,
    REFRESH_JITTER,
)
from lanwise.mdns.events import (
    CacheOverflow,
    Event,
    RecordAdded,
    RecordRemoved,
    RecordUpdated,
    RemovalReason,
)

__all__ = [
    "CACHE_FLUSH_AGE",
    "CACHE_FLUSH_DELAY",
    "DEFAULT_MAX_RECORDS",
    "DEFAULT_MAX_WANTED_RECORDS",
    "GOODBYE_DELAY",
    "KNOWN_ANSWER_MIN_FRACTION",
    "MAX_TTL",
    "POOF_QUERY_COUNT",
    "POOF_WINDOW",
    "RECONFIRM_WINDOW",
    "REFRESH_FRACTIONS",
    "REFRESH_JITTER",
    "CacheStatistics",
    "CachedRecord",
    "RRsetKey",
    "RecordCache",
    "RemovalReason",
]

# Our bounds; RFC 6762 sets none. Records nobody asked for: far more than any real link
# sends unsolicited.
DEFAULT_MAX_RECORDS: Final = 10_000
# Records active queries asked for: a resolving browse of ~60,000 instances (about
# three records each) fits; see docs/mdns.md for the memory this takes.
DEFAULT_MAX_WANTED_RECORDS: Final = 200_000
# Shedding at the wanted bound drops this fraction of it in one go (one scan of the
# wanted entries per batch keeps the cost per insertion constant).
_SHED_FRACTION: Final = 64
# How many entries at the head of the wanted list one eviction checks for lost interest.
_DEMOTE_SCAN: Final = 8

# The one-type tuples of the name index, shared: most names hold one record type on one
# interface, and a triple and a 1-tuple made per name cost about 100 octets per cached
# record (bench/memory.py). Bounded so that a peer inventing types cannot grow it.
_ONE_TYPE: dict[tuple[int, int, int], tuple[tuple[int, int, int]]] = {}
_ONE_TYPE_MAX: Final = 256


def _one_type(interface: int, rtype: int, rclass: int) -> tuple[tuple[int, int, int]]:
    triple = (interface, rtype, rclass)
    shared = _ONE_TYPE.get(triple)
    if shared is None:
        shared = (triple,)
        if len(_ONE_TYPE) < _ONE_TYPE_MAX:
            _ONE_TYPE[triple] = shared
    return shared


RRsetKey = tuple[int, Name, int, int]
"""``(interface, name, type, class)``: one record set on one interface."""

Interest = Callable[[int, Name, int, int], bool]
Published = Callable[[int, Record], bool]
RRsetEmptied = Callable[[RRsetKey, float], None]


@dataclass(frozen=True, slots=True)
class CachedRecord:
    """A snapshot of one cache entry.

    ``record`` is the record as received (its ``ttl`` is the TTL it arrived
    with); ``expires`` is when it leaves the cache; ``source`` is whatever the
    engine passed when the record arrived (normally the sender's EngineEndpoint).
    """

    interface: int
    record: Record
    received: float
    expires: float
    source: object = None

    def remaining(self, now: float) -> float:
        """Seconds of TTL left at ``now`` (never negative)."""
        return max(0.0, self.expires - now)


@dataclass(slots=True)
class CacheStatistics:
    """Counters of a :class:`RecordCache` (a snapshot when returned by ``statistics()``)."""

    size: int = 0
    inserted: int = 0
    refreshed: int = 0
    expired: int = 0
    goodbyes: int = 0
    flushed: int = 0
    poof_flushed: int = 0
    reconfirm_flushed: int = 0
    evicted: int = 0
    shed: int = 0
    overflows: int = 0
    own_protected: int = 0
    interface_flushed: int = 0
    refresh_queries: int = 0
    removed_by_reason: dict[str, int] = field(default_factory=dict)


class _Entry:
    """One cached record on one interface (mutable; never handed out)."""

    __slots__ = (
        "added",
        "dispute_deadline",
        "expires",
        "kept",
        "newer",
        "older",
        "order",
        "own",
        "pending",
        "poof_exempt",
        "poof_mark",
        "received",
        "record",
        "refresh_at",
        "refresh_step",
        "removed",
        "rrset",
        "snapshot",
        "source",
        "superseded",
        "version",
        "watch",
    )

    def __init__(self, rrset: RRsetKey, record: Record, now: float, source: object) -> None:
        self.rrset = rrset  # its interface is rrset[0]: no field of its own
        self.record = record
        self.source = source
        self.received = now  # its TTL is record.ttl: no field of its own
        self.expires = now + record.ttl
        # Set when the entry is condemned to leave in a second (goodbye, cache flush):
        # it is then invalid (§10.2) — left out of lookups and known-answer lists.
        self.pending: RemovalReason | None = None
        # Its RecordRemoved was already implied by a RecordUpdated naming its successor.
        self.superseded = False
        self.refresh_step = 0
        self.refresh_at = inf
        # §10.5, kept by its record set's _Watch once another host asked for the set.
        self.watch: _Watch | None = None
        self.poof_mark = -1  # the watch's query count at its last reset (-1: in no group)
        self.poof_exempt = 0  # queries in its open window that listed it (§7.1)
        # §10.4: a caller doubted the record; flushed at this time unless answered.
        self.dispute_deadline = inf
        self.removed = False
        # The time object of its live heap item, which is live while it is this very
        # object (inf: none); and the number of its last push (see __lt__).
        self.version = inf
        self.order = 0
        self.snapshot: CachedRecord | None = None
        self.added = 0  # the cache revision at which it became valid (see added_since)
        self.own = False  # our own record, held as the authority (see the module doc)
        self.kept = False  # in the wanted list (RecordCache._kept), not the unsolicited one
        # Its neighbours in that list (see _Chain), None at the ends.
        self.older: _Entry | None = None
        self.newer: _Entry | None = None

    @property
    def interface(self) -> int:
        interface: int = self.rrset[0]
        return interface

    @property
    def queued(self) -> float:
        """When its live heap item fires (inf: none)."""
        return self.version

    def next_time(self) -> float:
        return _next_time(self)

    def __lt__(self, other: _Entry) -> bool:
        # Heap items of equal times compare their entries: in push order, as the
        # sequence numbers they replace did (deterministic; entries are not ordered
        # otherwise).
        return self.order < other.order

    def __hash__(self) -> int:
        # By identity, as without __lt__: an extension type that compares does not
        # inherit object's hash (the §10.5 groups key entries).
        return id(self) >> 4


def _next_time(entry: _Entry) -> float:
    """When the entry's next timer is due (a function, not a C method: with none, the
    compiled entry needs no method table, 8 bytes less)."""
    return min(entry.expires, entry.refresh_at, entry.dispute_deadline)


class _Watch:
    """§10.5 bookkeeping for one record set that another host's query asked for.

    ``count`` numbers the counted queries for the set. An entry joins the group
    of ``count`` when it is received (or its previous window closes): its
    window opens with the next counted query and ends ten seconds later, and
    the queries it saw unanswered in it are ``count - mark - exempt``, where
    ``exempt`` counts the ones that listed it as a known answer. A query is then
    one increment (plus one step per known answer), however large the set; the
    check at a window's end visits only that window's group.
    """

    __slots__ = ("count", "groups", "live")

    def __init__(self, entries: Iterable[_Entry]) -> None:
        self.count = 0
        self.live = True
        group: dict[_Entry, None] = {}
        for entry in entries:
            entry.watch = self
            if entry.pending is None:  # condemned entries rejoin if received again
                entry.poof_mark = 0
                entry.poof_exempt = 0
                group[entry] = None
        # mark → its entries, in insertion order (so removals are reported in a stable order)
        self.groups: dict[int, dict[_Entry, None]] = {0: group} if group else {}

    def join(self, entry: _Entry) -> None:
        """Start the entry's count afresh: its window opens with the next query."""
        count = self.count
        if entry.poof_mark == count:
            return  # already waiting for the next query, nothing counted yet
        self.leave(entry)
        entry.watch = self
        entry.poof_mark = count
        entry.poof_exempt = 0
        group = self.groups.get(count)
        if group is None:
            self.groups[count] = {entry: None}
        else:
            group[entry] = None

    def leave(self, entry: _Entry) -> None:
        mark = entry.poof_mark
        if mark < 0:
            return
        entry.poof_mark = -1
        group = self.groups.get(mark)
        if group is not None:
            group.pop(entry, None)
            if not group:
                del self.groups[mark]


class _Chain:
    """Entries least recently received first: a doubly linked list through their
    ``older``/``newer`` fields.

    Two fields of the entry instead of an ``OrderedDict`` slot and node (about 75
    bytes per cached record, bench/memory.py), and moving an entry to the end is a
    few pointer writes, not a hash lookup. Every operation is O(1).
    """

    __slots__ = ("head", "size", "tail")

    def __init__(self) -> None:
        self.head: _Entry | None = None  # the least recently received: evicted first
        self.tail: _Entry | None = None
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[_Entry]:
        return iter(self.entries())  # a copy: the caller may remove entries meanwhile

    def entries(self) -> list[_Entry]:
        """The entries, oldest first."""
        found: list[_Entry] = []
        entry = self.head
        while entry is not None:
            found.append(entry)
            entry = entry.newer
        return found

    def append(self, entry: _Entry) -> None:
        """Add an entry (in no list) as the newest."""
        tail = self.tail
        entry.older = tail
        if tail is None:
            self.head = entry
        else:
            tail.newer = entry
        self.tail = entry
        self.size += 1

    def prepend(self, entry: _Entry) -> None:
        """Add an entry (in no list) as the oldest: first in line for eviction."""
        head = self.head
        entry.newer = head
        if head is None:
            self.tail = entry
        else:
            head.older = entry
        self.head = entry
        self.size += 1

    def unlink(self, entry: _Entry) -> None:
        """Take an entry of this list out of it."""
        older = entry.older
        newer = entry.newer
        if older is None:
            self.head = newer
        else:
            older.newer = newer
        if newer is None:
            self.tail = older
        else:
            newer.older = older
        entry.older = None
        entry.newer = None
        self.size -= 1

    def move_to_end(self, entry: _Entry) -> None:
        """Make an entry of this list its newest (it was just received again)."""
        newer = entry.newer
        tail = self.tail
        if newer is None or tail is None:
            return  # already the newest
        older = entry.older
        if older is None:
            self.head = newer
        else:
            older.newer = newer
        newer.older = older
        tail.newer = entry
        entry.older = tail
        entry.newer = None
        self.tail = entry

    def clear(self) -> None:
        # Unlinked one by one: neighbours refer to each other, and the cycles would
        # otherwise wait for the garbage collector.
        entry = self.head
        while entry is not None:
            newer = entry.newer
            entry.older = None
            entry.newer = None
            entry = newer
        self.head = None
        self.tail = None
        self.size = 0


# A record set as held in ``RecordCache._rrsets``: its one entry, or a dict by rdata.
_Members: TypeAlias = _Entry | dict[Rdata, _Entry]


def _member(members: _Members | None, rdata: Rdata) -> _Entry | None:
    """The entry of ``members`` holding ``rdata``, or None."""
    if members is None:
        return None
    if isinstance(members, _Entry):
        held = members.record.rdata
        return members if held is rdata or held == rdata else None
    return members.get(rdata)


def _values(members: _Members) -> Collection[_Entry]:
    """The entries of a record set."""
    if isinstance(members, _Entry):
        return (members,)
    return members.values()


class RecordCache:
    """Records heard on the link, per interface, with their TTL clocks.

    ``rng`` draws the §5.2 refresh jitter (pass a seeded ``random.Random`` in
    tests). ``interest(interface, name, rtype, rclass)`` says whether an
    active query wants a record: only those are refreshed (§5.2 forbids
    maintenance without interest) and reported as events.
    ``on_rrset_emptied(key, now)`` is called when the last entry of a record
    set leaves. ``max_records`` bounds the records nobody asked for,
    ``max_wanted_records`` those an active query wants (see the module doc).
    """

    def __init__(
        self,
        rng: random.Random | None = None,
        *,
        max_records: int = DEFAULT_MAX_RECORDS,
        max_wanted_records: int = DEFAULT_MAX_WANTED_RECORDS,
        interest: Interest | None = None,
        on_rrset_emptied: RRsetEmptied | None = None,
        events: deque[Event] | None = None,
        published: Published | None = None,
    ) -> None:
        if not isinstance(max_records, int) or max_records < 1:
            raise UsageError("max_records", "a positive integer", max_records)
        if (
            not isinstance(max_wanted_records, int)
            or isinstance(max_wanted_records, bool)
            or max_wanted_records < 1
        ):
            raise UsageError("max_wanted_records", "a positive integer", max_wanted_records)
        self._rng = rng if rng is not None else random.Random()
        self._max_records = max_records
        self._max_wanted = max_wanted_records
        self._interest: Interest = interest if interest is not None else _no_interest
        self._on_rrset_emptied = on_rrset_emptied
        self._published: Published = published if published is not None else _not_published
        self.events: deque[Event] = events if events is not None else deque()
        # Every entry is in one of two lists, least recently received first (the eviction
        # order): the unsolicited list, and the wanted list of the entries some query
        # wanted when last looked at, and our own.
        self._lru = _Chain()
        self._kept = _Chain()
        self._overflow_armed = True  # a CacheOverflow is due at the next shedding
        self._rrsets: dict[RRsetKey, _Members] = {}
        # name → the (interface, type, class) triples cached for it, for ANY lookups. Keyed
        # by the name alone (no key tuple per name); tuples of ints, not sets: the garbage
        # collector untracks them.
        self._names: dict[Name, tuple[tuple[int, int, int], ...]] = {}
        self._per_interface: dict[int, int] = {}
        self._heap: list[tuple[float, float, _Entry]] = []  # (when, when, entry)
        self._sequence = itertools.count(1)
        # §10.5: the record sets other hosts asked for, and their windows' ends
        # (when, sequence, watch, group mark); stale items are skipped when popped.
        self._watches: dict[RRsetKey, _Watch] = {}
        self._poof_heap: list[tuple[float, int, _Watch, int]] = []
        self._stats = CacheStatistics()
        # Moves on every response taken in and every removal: a caller that read the
        # cache can tell whether anything may have changed since (see ``revision``).
        self._revision = 0

    @property
    def revision(self) -> int:
        """A counter that moves whenever records may have been added, changed or removed."""
        return self._revision

    # -- configuration ---------------------------------------------------------------
    def set_interest(self, interest: Interest) -> None:
        """Replace the interest callback (the querier installs its own)."""
        self._interest = interest

    def set_on_rrset_emptied(self, callback: RRsetEmptied | None) -> None:
        """Replace the callback run when a record set's last entry leaves."""
        self._on_rrset_emptied = callback

    def set_published(self, published: Published | None) -> None:
        """Install ``published(interface, record)``: does this host answer with the record there?

        The engine passes its responder's view. Such records are never flushed by
        §10.5: a query for them is one our own responder answers (or rightly leaves
        unanswered, §6.2, §7.1), which is an answer the observer saw.
        """
        self._published = published if published is not None else _not_published

    @property
    def max_records(self) -> int:
        """The bound on records nobody asked for."""
        return self._max_records

    @property
    def max_wanted_records(self) -> int:
        """The bound on records an active query wants (beyond it, memory is shed)."""
        return self._max_wanted

    def __len__(self) -> int:
        return self._lru.size + self._kept.size

    # -- receiving ---------------------------------------------------------------------
    def add_response(
        self,
        records: Iterable[Record],
        interface: int,
        now: float,
        source: object = None,
        *,
        own: bool = False,
    ) -> list[RRsetKey]:
        """Cache the records of one received response; returns its unique record sets.

        Records of one packet are handled together: §10.2's one-second rule
        needs to know which members of a cache-flush record set arrived in
        this packet. Returned are the keys of the record sets that carried
        the cache-flush bit (with a TTL above zero), for §5.2's "a unique
        answer ends the query series".
        """
        return self._add_response(records, interface, now, source, own)

    def _add_response(
        self, records: Iterable[Record], interface: int, now: float, source: object, own: bool
    ) -> list[RRsetKey]:
        self._revision += 1
        rrsets = self._rrsets
        # Each record's set key is made and looked up once here: (record, key, the set's
        # members as they were before this packet, or None for a set not held yet).
        keyed: list[tuple[Record, RRsetKey, _Members | None]] = []
        # The cache-flush sets of this packet: their members before it, and its rdata.
        unique: dict[RRsetKey, tuple[_Members | None, list[Rdata]]] = {}
        for record in records:
            rrset_key = (interface, record.name, record.rtype, record.rclass)
            members = rrsets.get(rrset_key)
            keyed.append((record, rrset_key, members))
            if record.cache_flush and 0 < record.ttl <= MAX_TTL:
                unique.setdefault(rrset_key, (members, []))[1].append(record.rdata)
        condemned: dict[RRsetKey, list[_Entry]] = {}
        for rrset_key, (members, fresh) in unique.items():
            if members is None:
                continue  # only a set we already hold can have stale members
            if isinstance(members, _Entry):
                if members.record.rdata in fresh:
                    continue  # its only member, repeated: nothing is stale (the common case)
                doomed = self._flush_rrset((members,), set(fresh), now, own)
            else:
                doomed = self._flush_rrset(members.values(), set(fresh), now, own)
            if doomed:
                condemned[rrset_key] = doomed
        lru = self._lru
        kept = self._kept
        random_ = self._rng.random
        first_fraction = REFRESH_FRACTIONS[0]
        refreshed = 0
        for record, rrset_key, held in keyed:
            # Not held before this packet (an earlier record may have added it), or emptied
            # by an eviction since (a held set is never empty): look again.
            if held is None:
                members = rrsets.get(rrset_key)
            elif isinstance(held, _Entry):
                members = rrsets.get(rrset_key) if held.removed else held
            else:
                members = held if held else rrsets.get(rrset_key)
            if members is None:
                entry = None
            elif isinstance(members, _Entry):
                entry = members
                rdata = record.rdata
                stored = entry.record.rdata
                if stored is not rdata and stored != rdata:
                    # Another member: the set may have grown into a dict in this packet.
                    members = rrsets.get(rrset_key)
                    entry = _member(members, rdata)
            else:
                entry = members.get(record.rdata)
            ttl = record.ttl
            if entry is not None and entry.own and not own:
                # Our own record, from the network (a goodbye, a shorter TTL, a copy):
                # ours is the authority while we publish it.
                self._stats.own_protected += 1
                continue
            if entry is None or entry.superseded or not 0 < ttl <= MAX_TTL or own:
                self._upsert(record, rrset_key, members, entry, now, source, condemned, own)
                continue
            # A TTL refresh of a record we hold, the common case: _refresh, inlined.
            if entry.pending is not None:
                entry.added = self._revision  # condemned, now valid again: news
            entry.record = record
            entry.source = source
            entry.received = now
            entry.expires = now + ttl
            entry.snapshot = None
            entry.pending = None
            watch = entry.watch
            if watch is not None and entry.poof_mark != watch.count:
                watch.join(entry)  # §10.5: an answer was seen, the record is alive
            entry.dispute_deadline = inf  # §10.4: reconfirmed
            entry.refresh_step = 0
            if entry.kept:
                kept.move_to_end(entry)
            else:
                lru.move_to_end(entry)
            refreshed += 1
            # _plan_refresh at step 0 (§5.2): 80 % of the TTL plus 0–2 %; before expiry,
            # so it is the entry's next time: reschedule only if queued later than that.
            refresh_at = now + ttl * (first_fraction + random_() * REFRESH_JITTER)
            entry.refresh_at = refresh_at
            queued = entry.version
            if queued > refresh_at:
                self._schedule(entry)
        self._stats.refreshed += refreshed
        return list(unique)

    def _flush_rrset(
        self, members: Iterable[_Entry], fresh: Collection[Rdata], now: float, own: bool
    ) -> list[_Entry]:
        """§10.2: members received over a second ago and absent from the packet expire in 1 s.

        Our own records are flushed only by our own packets (see the module doc).
        """
        doomed: list[_Entry] = []
        cutoff = now - CACHE_FLUSH_AGE
        deadline = now + CACHE_FLUSH_DELAY
        for entry in members:
            if entry.record.rdata in fresh or entry.received >= cutoff:
                continue
            if entry.own and not own:
                self._stats.own_protected += 1
                continue
            if entry.pending is None:
                doomed.append(entry)
                entry.pending = RemovalReason.FLUSHED
            entry.expires = min(entry.expires, deadline)
            entry.refresh_at = inf
            self._schedule(entry)
        return doomed

    def _upsert(  # noqa: PLR0917 (the hot path: positional arguments)
        self,
        record: Record,
        rrset_key: RRsetKey,
        members: _Members | None,
        entry: _Entry | None,
        now: float,
        source: object,
        condemned: Mapping[RRsetKey, list[_Entry]],
        own: bool,
    ) -> None:
        """A new record, a goodbye, or one rescued or ours; ``members`` and ``entry``: as held."""
        if record.ttl == 0 or record.ttl > MAX_TTL:
            # §10.1: a goodbye. Keep it one more second (TTL 1), then delete it; a goodbye
            # for a record we do not hold teaches nothing.
            if entry is not None and own:
                entry.own = False  # we withdrew it: an ordinary record from now on
            if entry is not None and entry.pending is not RemovalReason.GOODBYE:
                self._stats.goodbyes += 1
                if entry.pending is None and not entry.superseded:
                    entry.pending = RemovalReason.GOODBYE
                deadline = now + GOODBYE_DELAY
                entry.expires = min(entry.expires, deadline)
                entry.refresh_at = inf
                self._schedule(entry)
            return
        if entry is not None:
            self._refresh(entry, record, now, source)
            if own and not entry.own:
                entry.own = True
                self._keep(entry)
            return
        interface = rrset_key[0]
        wanted = self._interest(interface, record.name, record.rtype, record.rclass)
        if wanted or own:
            if self._kept.size >= self._max_wanted:
                self._make_room_wanted(now)
                members = self._rrsets.get(rrset_key)  # the victim may have been its last member
        elif self._lru.size >= self._max_records:
            self._make_room(now)
            members = self._rrsets.get(rrset_key)
        entry = _Entry(rrset_key, record, now, source)
        entry.added = self._revision
        if wanted or own:
            entry.own = own
            entry.kept = True
            self._kept.append(entry)
        else:
            self._lru.append(entry)
        if members is None:
            self._rrsets[rrset_key] = entry  # a set of one: the entry itself
            name = record.name
            types = self._names.get(name)
            if types is None:
                self._names[name] = _one_type(interface, record.rtype, record.rclass)
            elif (triple := (interface, record.rtype, record.rclass)) not in types:
                self._names[name] = (*types, triple)
        else:
            if isinstance(members, _Entry):  # a second member: the set becomes a dict
                self._rrsets[rrset_key] = {members.record.rdata: members, record.rdata: entry}
            else:
                members[record.rdata] = entry
            watch = self._watches.get(rrset_key)
            if watch is not None:
                watch.join(entry)
        self._per_interface[interface] = self._per_interface.get(interface, 0) + 1
        self._stats.inserted += 1
        # _plan_refresh and _schedule, inlined for the hot path (a new entry).
        refresh_at = now + record.ttl * (REFRESH_FRACTIONS[0] + self._rng.random() * REFRESH_JITTER)
        entry.refresh_at = refresh_at
        when = refresh_at if refresh_at < entry.expires else entry.expires
        token = when  # one float object: the item's time and its entry's version
        entry.version = token
        entry.order = next(self._sequence)
        heap = self._heap
        heappush(heap, (token, token, entry))
        if len(heap) > 2 * len(self) + 1024:
            self._compact()
        if not wanted:
            return
        for old in condemned.get(rrset_key, ()):
            if not old.superseded and not old.removed:
                # §10.2: the unique set's rdata changed; report it as an update and
                # let the old entry leave silently a second later.
                old.superseded = True
                self.events.append(RecordUpdated(interface, old.record, record))
                return
        self.events.append(RecordAdded(interface, record))

    def _refresh(self, entry: _Entry, record: Record, now: float, source: object) -> None:
        rescued = entry.superseded
        entry.record = record
        entry.source = source
        entry.received = now
        entry.expires = now + record.ttl
        entry.snapshot = None
        entry.pending = None
        entry.superseded = False
        watch = entry.watch
        if watch is not None:
            watch.join(entry)  # §10.5: an answer was seen, the record is alive
        entry.dispute_deadline = inf  # §10.4: reconfirmed
        entry.refresh_step = 0
        if entry.kept:
            self._kept.move_to_end(entry)
        else:
            self._lru.move_to_end(entry)
        self._stats.refreshed += 1
        self._plan_refresh(entry)
        self._schedule(entry)
        if rescued and self._interest(entry.rrset[0], record.name, record.rtype, record.rclass):
            # A RecordUpdated had announced its replacement; it is back after all.
            self.events.append(RecordAdded(entry.rrset[0], record))

    # -- observing other hosts' queries (§10.5) ------------------------------------------
    def observe_query(
        self,
        questions: Iterable[Question],
        known_answers: Mapping[tuple[Name, int, int, Rdata], int],
        interface: int,
        now: float,
    ) -> None:
        """Note a multicast query from another host, for Passive Observation Of Failures.

        ``questions`` are the query's QM questions; ``known_answers`` maps each
        known answer's key to the TTL it was listed with. A cached record that
        one of the questions asks for counts as "expected in a multicast
        answer" unless the query lists it with at least half its TTL (then a
        responder stays silent, §7.1). After two or more such queries with no
        multicast answer within ten seconds of the first, it is flushed (§10.5).
        Costs a dict hit per question and per known answer, whatever the size
        of the record sets asked for.
        """
        rrsets = self._rrsets
        asked: dict[RRsetKey, _Members] = {}
        for question in questions:
            qtype = question.qtype
            qclass = question.qclass
            if qtype != ANY_TYPE and qclass != ANY_CLASS:
                key = (interface, question.name, qtype, qclass)
                members = rrsets.get(key)
                if members is not None:
                    asked[key] = members
                continue
            for cached_interface, cached_type, cached_class in self._names.get(question.name, ()):
                if cached_interface != interface:
                    continue
                if qtype in (ANY_TYPE, cached_type) and qclass in (ANY_CLASS, cached_class):
                    key = (interface, question.name, cached_type, cached_class)
                    asked[key] = rrsets[key]
        if not asked:
            return
        watches = self._watches
        asked_watches: list[_Watch] = []  # in the order of ``asked`` (one key hash each)
        for key, members in asked.items():
            watch = watches.get(key)
            if watch is None:
                watch = watches[key] = _Watch(_values(members))
            asked_watches.append(watch)
        # §7.1: a record listed with at least half its TTL is not expected in an answer.
        for (name, rtype, rclass, rdata), listed in known_answers.items():
            entry = _member(asked.get((interface, name, rtype, rclass)), rdata)
            if entry is None or listed < entry.record.ttl * KNOWN_ANSWER_MIN_FRACTION:
                continue
            watch = entry.watch
            if watch is None or entry.poof_mark < 0:
                continue  # condemned: it counts nothing
            if entry.poof_mark == watch.count:
                # Its window would open with this query: it opens with the next one instead.
                watch.leave(entry)
                entry.poof_mark = mark = watch.count + 1
                group = watch.groups.get(mark)
                if group is None:
                    watch.groups[mark] = {entry: None}
                else:
                    group[entry] = None
            else:
                entry.poof_exempt += 1
        deadline = now + POOF_WINDOW
        for watch in asked_watches:
            opened = watch.count
            watch.count = opened + 1
            if opened in watch.groups:  # this query opens their window
                heappush(self._poof_heap, (deadline, next(self._sequence), watch, opened))

    def _poof_check(self, watch: _Watch, mark: int, now: float) -> None:
        """§10.5: a window ended; flush its entries that saw two or more unanswered queries."""
        group = watch.groups.pop(mark, None)
        if not group:
            return
        count = watch.count - mark
        published = self._published
        for entry in group:
            entry.poof_mark = -1
            if entry.pending is not None:
                continue  # leaving anyway; rejoins if received again
            if count - entry.poof_exempt >= POOF_QUERY_COUNT and not published(
                entry.rrset[0], entry.record
            ):
                self._remove(entry, RemovalReason.POOF, now)
            else:
                watch.join(entry)  # the window closes; the next query opens another

    # -- reading ---------------------------------------------------------------------------
    def lookup(
        self,
        name: Name,
        rtype: int,
        now: float,
        *,
        interface: int | None = None,
        rclass: int = RRClass.IN,
    ) -> list[CachedRecord]:
        """Valid cached records for a name and type (``ANY`` matches every type).

        With ``interface=None`` every interface's records are returned, each
        tagged with its interface. Records condemned by a goodbye or a cache
        flush are invalid (§10.2) and left out.
        """
        interfaces: Iterable[int] = (
            (interface,) if interface is not None else tuple(self._per_interface)
        )
        found: list[CachedRecord] = []
        for index in interfaces:
            for entry in self._valid(index, name, rtype, rclass, now):
                snapshot = entry.snapshot
                if snapshot is None:
                    # Made once per receipt: repeated lookups reuse it.
                    snapshot = entry.snapshot = CachedRecord(
                        entry.rrset[0],
                        entry.record,
                        entry.received,
                        entry.expires,
                        entry.source,
                    )
                found.append(snapshot)
        return found

    def records(
        self, name: Name, rtype: int, now: float, *, interface: int, rclass: int = RRClass.IN
    ) -> list[Record]:
        """The valid records :meth:`lookup` would give on one interface, as bare records."""
        return [entry.record for entry in self._valid(interface, name, rtype, rclass, now)]

    def added_since(
        self, name: Name, rtype: int, now: float, *, interface: int, rclass: int, revision: int
    ) -> list[Record]:
        """Valid records for a name and type on ``interface`` cached after ``revision``."""
        return [
            entry.record
            for entry in self._valid(interface, name, rtype, rclass, now)
            if entry.added > revision
        ]

    def _valid(
        self, interface: int, name: Name, rtype: int, rclass: int, now: float
    ) -> list[_Entry]:
        """The entries answering name/type/class on ``interface`` that are valid (§10.2)."""
        if rtype != ANY_TYPE and rclass != ANY_CLASS:  # the common case: one dict hit
            members = self._rrsets.get((interface, name, rtype, rclass))
            if members is None:
                return []
            if isinstance(members, _Entry):  # a set of one, the common case
                if members.pending is None and members.expires > now:
                    return [members]
                return []
            entries: Iterable[_Entry] = members.values()
        else:
            entries = self._matching(interface, name, rtype, rclass)
        return [entry for entry in entries if entry.pending is None and entry.expires > now]

    def known_answers(
        self, interface: int, name: Name, qtype: int, qclass: int, now: float
    ) -> list[Record]:
        """The known-answer list for a question on an interface (§7.1).

        Only records with at least half their TTL left, each with its remaining
        TTL, and never with the cache-flush bit (§10.2).
        """
        answers: list[Record] = []
        for entry in self._matching(interface, name, qtype, qclass):
            if entry.pending is not None or entry.dispute_deadline < inf:
                continue  # invalid, or in dispute: listing it would suppress its answer
            remaining = entry.expires - now
            record = entry.record
            if remaining >= record.ttl * KNOWN_ANSWER_MIN_FRACTION and remaining > 0:
                answers.append(
                    Record(record.name, record.rtype, record.rclass, int(remaining), record.rdata)
                )
        return answers

    def is_known_answer(self, record: Record, interface: int, now: float) -> bool:
        """Would our own known-answer list on ``interface`` include ``record``? (§7.1, §7.3)."""
        entry = _member(
            self._rrsets.get((interface, record.name, record.rtype, record.rclass)), record.rdata
        )
        if entry is None or entry.pending is not None:
            return False
        remaining = entry.expires - now
        return remaining > 0 and remaining >= entry.record.ttl * KNOWN_ANSWER_MIN_FRACTION

    def reconfirm(self, record: Record, interface: int, now: float) -> RRsetKey | None:
        """§10.4: a caller suspects a cached record is stale (e.g. a connection failed).

        Unless a response carries the record within ten seconds, it is
        flushed. Until then it is left out of known-answer lists, so that the
        querier's reconfirmation queries can be answered. Returns the record
        set to query on ``interface``, or None when the record is not cached.
        """
        entry = _member(
            self._rrsets.get((interface, record.name, record.rtype, record.rclass)), record.rdata
        )
        if entry is None or entry.pending is not None:
            return None
        if entry.dispute_deadline == inf:
            entry.dispute_deadline = now + RECONFIRM_WINDOW
            self._schedule(entry)
        return entry.rrset

    def has_unique_answer(self, key: RRsetKey, now: float) -> bool:
        """Holds a valid cache-flush member of the set with at least half its TTL left."""
        members = self._rrsets.get(key)
        if members is None:
            return False
        for entry in _values(members):
            if (
                entry.pending is None
                and entry.record.cache_flush
                and entry.expires - now >= entry.record.ttl * KNOWN_ANSWER_MIN_FRACTION
            ):
                return True
        return False

    def _matching(self, interface: int, name: Name, rtype: int, rclass: int) -> list[_Entry]:
        if rtype != ANY_TYPE and rclass != ANY_CLASS:
            members = self._rrsets.get((interface, name, rtype, rclass))
            if members is None:
                return []
            if isinstance(members, _Entry):
                return [members]
            return list(members.values())
        types = self._names.get(name)
        if not types:
            return []
        found: list[_Entry] = []
        for cached_interface, cached_type, cached_class in types:
            if cached_interface != interface:
                continue
            if rtype not in (ANY_TYPE, cached_type) or rclass not in (ANY_CLASS, cached_class):
                continue
            members = self._rrsets.get((interface, name, cached_type, cached_class))
            if members is None:
                continue
            if isinstance(members, _Entry):
                found.append(members)
            else:
                found.extend(members.values())
        return found

    # -- time ------------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` next has work, or None."""
        heap = self._heap
        first: float | None = None
        while heap:
            when, token, entry = heap[0]
            if entry.version is not token:  # retired: rescheduled or removed
                heappop(heap)
                continue
            first = when
            break
        poof = self._poof_heap
        while poof and not (poof[0][2].live and poof[0][3] in poof[0][2].groups):
            heappop(poof)  # its record set or its window's group is gone
        if poof and (first is None or poof[0][0] < first):
            return poof[0][0]
        return first

    def handle_timer(self, now: float) -> list[RRsetKey]:
        """Expire, flush and refresh what is due; returns the record sets to query now.

        A refresh (§5.2) is asked for only while some query is interested in
        the record; the querier turns the keys into questions on their
        interfaces.
        """
        heap = self._heap
        refresh: dict[RRsetKey, None] = {}
        while heap and heap[0][0] <= now:
            _, token, entry = heappop(heap)
            if entry.version is not token:
                continue  # retired: rescheduled or removed
            entry.version = inf
            if (
                entry.own
                and entry.pending is None
                and (entry.expires <= now or entry.dispute_deadline <= now)
            ):
                if self._published(entry.rrset[0], entry.record):
                    self._renew_own(entry, now)
                    continue
                entry.own = False  # no longer ours (withdrawn without a goodbye)
            if entry.expires <= now:
                self._remove(entry, entry.pending or RemovalReason.EXPIRED, now)
                continue
            if entry.dispute_deadline <= now:
                self._remove(entry, RemovalReason.RECONFIRM_FAILED, now)
                continue
            if entry.refresh_at <= now:
                record = entry.record
                if self._interest(entry.rrset[0], record.name, record.rtype, record.rclass):
                    refresh[entry.rrset] = None
                entry.refresh_step += 1
                self._plan_refresh(entry)
            self._schedule(entry)
        # §10.5 windows that ended (after expiries, which take precedence at the same instant).
        poof = self._poof_heap
        while poof and poof[0][0] <= now:
            _, _, watch, mark = heappop(poof)
            if watch.live:
                self._poof_check(watch, mark, now)
        self._stats.refresh_queries += len(refresh)
        return list(refresh)

    def _renew_own(self, entry: _Entry, now: float) -> None:
        """Our record reached the end of its TTL while we still publish it: it stays."""
        entry.received = now
        entry.expires = now + entry.record.ttl
        entry.snapshot = None
        entry.dispute_deadline = inf
        entry.refresh_step = 0
        self._plan_refresh(entry)
        self._schedule(entry)

    # -- removal -----------------------------------------------------------------------------
    def remove_interface(self, interface: int, now: float) -> int:
        """Flush every entry of an interface that went away; returns how many."""
        if interface not in self._per_interface:
            return 0
        doomed = [e for e in self._entries() if e.rrset[0] == interface]
        for entry in doomed:
            self._remove(entry, RemovalReason.INTERFACE_REMOVED, now)
        return len(doomed)

    def clear(self, now: float) -> None:
        """Drop everything (without events)."""
        for entry in self._entries():
            entry.removed = True
        self._lru.clear()
        self._kept.clear()
        self._overflow_armed = True
        self._rrsets.clear()
        self._names.clear()
        self._per_interface.clear()
        self._heap.clear()
        for watch in self._watches.values():
            watch.live = False
        self._watches.clear()
        self._poof_heap.clear()

    def _entries(self) -> list[_Entry]:
        return self._lru.entries() + self._kept.entries()

    def _wanted(self, entry: _Entry) -> bool:
        if entry.own:
            return True
        record = entry.record
        return entry.pending is None and self._interest(
            entry.rrset[0], record.name, record.rtype, record.rclass
        )

    def _keep(self, entry: _Entry) -> None:
        """Move an entry to the wanted list (at the back: it was just looked at)."""
        if not entry.kept:
            self._lru.unlink(entry)
            entry.kept = True
            self._kept.append(entry)

    def _make_room(self, now: float) -> None:
        """Evict one record nobody asked for, to insert another (the unsolicited bound).

        Entries at the head of the list that a query wants now move to the wanted
        list instead (each moves once, so this is O(1) amortised); a few at the head
        of the wanted list that nobody wants any more move the other way, first in
        line for eviction.
        """
        lru = self._lru
        kept = self._kept
        for _ in range(_DEMOTE_SCAN):
            head = kept.head
            if head is None or self._wanted(head):
                break
            kept.unlink(head)
            head.kept = False
            lru.prepend(head)
        while lru.head is not None:
            entry = lru.head
            if self._wanted(entry):
                self._keep(entry)
                continue
            self._remove(entry, RemovalReason.EVICTED, now)
            if lru.size < self._max_records:
                break
        if kept.size > self._max_wanted:
            self._make_room_wanted(now)

    def _make_room_wanted(self, now: float) -> None:
        """Free a slot in the wanted list; at the bound, shed memory (see the module doc)."""
        kept = self._kept
        for _ in range(_DEMOTE_SCAN):
            head = kept.head
            if head is None or self._wanted(head):
                break
            self._remove(head, RemovalReason.EVICTED, now)  # nobody asks for it any more
            if kept.size < self._max_wanted:
                return
        if kept.size < self._max_wanted:
            return
        # Shed a batch from the source holding the most wanted entries, oldest first.
        counts: dict[object, int] = {}
        entry = kept.head
        while entry is not None:
            if not entry.own:
                counts[entry.source] = counts.get(entry.source, 0) + 1
            entry = entry.newer
        if not counts:
            return  # only our own records: never shed
        heaviest = max(counts, key=counts.__getitem__)
        batch = max(1, self._max_wanted // _SHED_FRACTION)
        victims: list[_Entry] = []
        entry = kept.head
        while entry is not None and len(victims) < batch:
            if not entry.own and entry.source == heaviest:
                victims.append(entry)
            entry = entry.newer
        for entry in victims:
            self._remove(entry, RemovalReason.EVICTED, now, True)  # silent
        stats = self._stats
        stats.shed += len(victims)
        if self._overflow_armed:
            self._overflow_armed = False
            stats.overflows += 1
            self.events.append(CacheOverflow(self._max_wanted, len(victims)))

    def _remove(
        self, entry: _Entry, reason: RemovalReason, now: float, silent: bool = False
    ) -> None:
        """Take an entry out; ``silent``: shed for memory, so no event and no re-query."""
        self._revision += 1
        entry.removed = True
        entry.version = inf  # retire its heap item
        if entry.kept:
            kept = self._kept
            kept.unlink(entry)
            if not self._overflow_armed and kept.size * 4 < self._max_wanted * 3:
                self._overflow_armed = True  # back below ¾ of the bound: report anew
        else:
            self._lru.unlink(entry)
        rrset_key = entry.rrset
        members = self._rrsets[rrset_key]
        if isinstance(members, _Entry):
            emptied = True  # it was the set's only member
        else:
            del members[entry.record.rdata]
            emptied = not members
        watch = entry.watch
        if watch is not None:
            watch.leave(entry)
        interface = entry.rrset[0]
        left = self._per_interface[interface] - 1
        if left:
            self._per_interface[interface] = left
        else:
            del self._per_interface[interface]
        stats = self._stats
        stats.removed_by_reason[reason] = stats.removed_by_reason.get(reason, 0) + 1
        if reason is RemovalReason.EXPIRED:
            stats.expired += 1
        elif reason is RemovalReason.FLUSHED:
            stats.flushed += 1
        elif reason is RemovalReason.POOF:
            stats.poof_flushed += 1
        elif reason is RemovalReason.RECONFIRM_FAILED:
            stats.reconfirm_flushed += 1
        elif reason is RemovalReason.EVICTED:
            stats.evicted += 1
        elif reason is RemovalReason.INTERFACE_REMOVED:
            stats.interface_flushed += 1
        record = entry.record
        if (
            not silent
            and not entry.superseded
            and self._interest(interface, record.name, record.rtype, record.rclass)
        ):
            self.events.append(RecordRemoved(interface, record, reason))
        if emptied:
            del self._rrsets[rrset_key]
            if watch is not None:
                watch.live = False
                del self._watches[rrset_key]
            name = record.name
            triple = (interface, record.rtype, record.rclass)
            types = tuple([t for t in self._names[name] if t != triple])  # (no closure)
            if types:
                self._names[name] = types
            else:
                del self._names[name]
            if self._on_rrset_emptied is not None and not silent:
                self._on_rrset_emptied(rrset_key, now)

    # -- scheduling ---------------------------------------------------------------------------
    def _plan_refresh(self, entry: _Entry) -> None:
        step = entry.refresh_step
        if step >= len(REFRESH_FRACTIONS) or entry.pending is not None:
            entry.refresh_at = inf
            return
        fraction = REFRESH_FRACTIONS[step] + self._rng.random() * REFRESH_JITTER
        entry.refresh_at = entry.received + entry.record.ttl * fraction

    def _schedule(self, entry: _Entry) -> None:
        """Make sure the entry's heap item fires no later than its next timer.

        An item already queued at or before that time is kept: when it fires
        early, :meth:`handle_timer` finds nothing due and queues the right time.
        So a TTL refresh (the common case) pushes nothing.
        """
        when = _next_time(entry)
        queued = entry.version
        if queued <= when:
            return
        token = when  # one float object (see the module doc)
        entry.version = token  # the later item retires
        entry.order = next(self._sequence)
        heap = self._heap
        heappush(heap, (token, token, entry))
        if len(heap) > 2 * len(self) + 1024:
            self._compact()

    def _compact(self) -> None:
        """Rebuild the heap from live entries, dropping stale items (keeps it O(n))."""
        sequence = self._sequence
        heap: list[tuple[float, float, _Entry]] = []
        for entry in self._entries():
            token = _next_time(entry)
            entry.version = token
            entry.order = next(sequence)
            heap.append((token, token, entry))
        heapify(heap)
        self._heap = heap

    def statistics(self) -> CacheStatistics:
        """A snapshot of the counters."""
        s = self._stats
        return CacheStatistics(
            size=len(self),
            inserted=s.inserted,
            refreshed=s.refreshed,
            expired=s.expired,
            goodbyes=s.goodbyes,
            flushed=s.flushed,
            poof_flushed=s.poof_flushed,
            reconfirm_flushed=s.reconfirm_flushed,
            evicted=s.evicted,
            shed=s.shed,
            overflows=s.overflows,
            own_protected=s.own_protected,
            interface_flushed=s.interface_flushed,
            refresh_queries=s.refresh_queries,
            removed_by_reason=dict(s.removed_by_reason),
        )


def _no_interest(interface: int, name: Name, rtype: int, rclass: int) -> bool:
    return False


def _not_published(interface: int, record: Record) -> bool:
    return False
