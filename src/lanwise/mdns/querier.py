"""The multicast DNS querier (RFC 6762 §5, §6, §7): sans-IO, per interface.

A :class:`Querier` owns the :class:`~lanwise.mdns.cache.RecordCache`. The engine
feeds it every received response (:meth:`Querier.handle_response`) and every
query from another host (:meth:`Querier.handle_query`), asks it for a timer
(:meth:`Querier.get_timer`) and, when that time comes, for the query packets
to multicast (:meth:`Querier.handle_timer`).

Scheduling. Each started query asks one question on one interface or on all
of them; the querier keeps one *schedule* per (interface, name, type, class),
shared by every query asking that question there. A schedule's next send has
a window ``[earliest, latest]``: the timer fires at the smallest ``latest`` of
all schedules, and every question whose ``earliest`` has come goes out in the
same packet (§7.2's many-questions-per-packet). A question is never sent
before its ``earliest``:

- first query (§5.2): ``earliest`` = start + 20 ms, ``latest`` = start + a random
  20–120 ms, so the first query always leaves 20–120 ms after the start and
  queries started together share one packet;
- repeats (§5.2): after sends at t₁ < t₂, the next is due at t₂ + 2·(t₂ − t₁)
  (the first gap is 1 s), capped at 60 minutes; it may wait up to
  ``AGGREGATION_WINDOW`` for other questions. Gaps are measured between the
  actual sends, so lateness never breaks "at least double";
- a unique answer (cache-flush bit) ends the series for that question on that
  interface (§5.2); the cache's 80–95 % refresh queries keep it alive, and the
  series restarts when the record set disappears.

Known answers (§7.1) come from the cache of the same interface; when they do not
fit, :func:`lanwise.dns.split_query` spreads them over packets with TC set on
all but the last (§7.2).
"""

from __future__ import annotations

import heapq
import itertools
import random
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from math import inf
from typing import Final

from lanwise.dns import (
    MAX_MESSAGE_SIZE,
    Flag,
    MessageBuilder,
    Name,
    Question,
    Record,
    RRClass,
    split_query,
)
from lanwise.dns._slots import record_key
from lanwise.dns.message import Message
from lanwise.errors import UsageError
from lanwise.mdns.cache import (
    DEFAULT_MAX_RECORDS,
    DEFAULT_MAX_WANTED_RECORDS,
    CachedRecord,
    CacheStatistics,
    RecordCache,
    RRsetKey,
)
from lanwise.mdns.constants import (
    AGGREGATION_WINDOW,
    ANY_CLASS,
    ANY_TYPE,
    DEFAULT_MAX_PACKET_SIZE,
    FIRST_QUERY_DELAY_MAX,
    FIRST_QUERY_DELAY_MIN,
    FIRST_QUERY_INTERVAL,
    MAX_QUERY_INTERVAL,
    MIN_PACKET_SIZE,
    UNICAST_RESPONSE_WINDOW,
)
from lanwise.mdns.events import Event, RecordAdded

_TC: Final = int(Flag.TC)  # a plain int: one C test per packet when compiled
# True when this module runs compiled: record keys are then read from slots in C.
_COMPILED: Final = not __file__.endswith(".py")

__all__ = [
    "AGGREGATION_WINDOW",
    "DEFAULT_MAX_PACKET_SIZE",
    "FIRST_QUERY_DELAY_MAX",
    "FIRST_QUERY_DELAY_MIN",
    "FIRST_QUERY_INTERVAL",
    "MAX_QUERY_INTERVAL",
    "MIN_PACKET_SIZE",
    "UNICAST_RESPONSE_WINDOW",
    "Querier",
    "QuerierStatistics",
    "Query",
    "QueryExpired",
    "QueryPacket",
]


@dataclass(frozen=True, slots=True)
class QueryPacket:
    """One query datagram to multicast on ``interface`` (to 224.0.0.251 and/or ff02::fb).

    ``message`` is the query as built, on the first datagram of a query only: its
    questions and every known answer (TC set when they took more datagrams, §7.2),
    for our own responder to answer without parsing our bytes again.
    """

    interface: int
    data: bytes
    message: Message | None = None


class Query:
    """A handle on a started query; pass it to :meth:`Querier.stop_query`.

    ``interface`` is the index the query is limited to, or None for every
    interface. Compared by identity.
    """

    __slots__ = (
        "_active",
        "_keys",
        "expires_at",
        "interface",
        "name",
        "one_shot",
        "qclass",
        "qtype",
        "unicast_first",
    )

    def __init__(
        self,
        name: Name,
        qtype: int,
        qclass: int,
        *,
        interface: int | None,
        unicast_first: bool,
        one_shot: bool,
        expires_at: float,
    ) -> None:
        self.name = name
        self.qtype = qtype
        self.qclass = qclass
        self.interface = interface
        self.unicast_first = unicast_first
        self.one_shot = one_shot
        self.expires_at = expires_at
        self._active = True
        self._keys: set[RRsetKey] = set()

    @property
    def active(self) -> bool:
        """False once stopped or expired."""
        return self._active

    def __repr__(self) -> str:
        where = "all interfaces" if self.interface is None else f"interface {self.interface}"
        return (
            f"<Query {self.name} type {self.qtype} on {where}{'' if self._active else ' (ended)'}>"
        )


@dataclass(frozen=True, slots=True)
class QueryExpired(Event):
    """A query started with a ``timeout`` reached it and was stopped."""

    query: Query


@dataclass(slots=True)
class QuerierStatistics:
    """Counters of a :class:`Querier` (a snapshot)."""

    packets_sent: int = 0
    questions_sent: int = 0
    known_answers_sent: int = 0
    truncated_packets: int = 0
    duplicate_questions_suppressed: int = 0
    responses_accepted: int = 0
    unicast_responses_ignored: int = 0
    queries_observed: int = 0
    active_queries: int = 0
    cache: CacheStatistics = field(default_factory=CacheStatistics)

    @property
    def cache_size(self) -> int:
        return self.cache.size


class _Schedule:
    """The send plan of one question on one interface."""

    __slots__ = (
        "answered",
        "earliest",
        "first",
        "key",
        "last_sent",
        "latest",
        "queries",
        "unicast",
    )

    def __init__(self, key: RRsetKey) -> None:
        self.key = key
        self.queries: dict[Query, None] = {}
        self.earliest = inf
        self.latest = inf
        self.last_sent: float | None = None
        self.unicast = False
        self.answered = False
        self.first = False  # the next send opens a series (§5.2's random delay)

    @property
    def repeating(self) -> bool:
        return any(not q.one_shot for q in self.queries)


class Querier:
    """Continuous and one-shot multicast DNS queries over a per-interface cache.

    ``rng`` draws every random delay (pass a seeded ``random.Random`` in tests).
    ``max_packet_size`` bounds each query datagram (§17).
    """

    def __init__(
        self,
        rng: random.Random | None = None,
        *,
        max_records: int = DEFAULT_MAX_RECORDS,
        max_wanted_records: int = DEFAULT_MAX_WANTED_RECORDS,
        max_packet_size: int = DEFAULT_MAX_PACKET_SIZE,
    ) -> None:
        self._rng = rng if rng is not None else random.Random()
        self._events: deque[Event] = deque()
        self.cache = RecordCache(
            self._rng,
            max_records=max_records,
            max_wanted_records=max_wanted_records,
            interest=self.is_interested,
            on_rrset_emptied=self._rrset_emptied,
            events=self._events,
        )
        self._max_packet_size = _check_packet_size(max_packet_size)
        self._packet_sizes: dict[int, int] = {}
        # interface → the random deadline of the first queries being gathered there.
        self._first_deadlines: dict[int, float] = {}
        self._interfaces: set[int] = set()
        self._queries: dict[Query, None] = {}
        self._expiring: dict[Query, None] = {}  # the queries with a timeout (few)
        self._schedules: dict[RRsetKey, _Schedule] = {}
        # The schedules with a send planned (earliest < inf): the timer visits only these,
        # since a browse of a thousand resolved instances holds thousands of answered ones.
        self._active: dict[RRsetKey, _Schedule] = {}
        # (interface, name) → how many schedules ask about it: a fast "not interested".
        self._asked_names: dict[tuple[int, Name], int] = {}
        # (interface, name, qtype, qclass) → when we last sent it as a QU question (§6).
        self._unicast_asked: dict[RRsetKey, float] = {}
        # (interface, source) → when the QU question was sent that this source's accepted
        # unicast reply answered: the reply's continuation packets are accepted too (§6).
        self._unicast_repliers: dict[tuple[int, object], float] = {}
        # (interface, name, qtype, qclass) → when a query series of ours or (§7.3) another
        # host last asked it; refresh queries are not counted (they come 5 % of a TTL apart).
        self._last_asked: dict[RRsetKey, float] = {}
        # §10.4 reconfirmation queries: (when, tiebreak, question key).
        self._reconfirm_sends: list[tuple[float, int, RRsetKey]] = []
        self._sequence = itertools.count()
        self._deadline_cache: float | None = None
        self._deadline_dirty = True
        self._stats = QuerierStatistics()
        # False while another mDNS stack on this host shares port 5353: the kernel hands
        # a unicast reply to only one of the sockets bound there (RFC 6762 §15.1), so
        # every question goes QM and answers come by multicast, which all receive.
        self.unicast_questions = True
        # False while sharing too: avahi-daemon takes the known answers of a query as
        # known to its source *address* for 700 ms and answers no query from there
        # about them, so our known answers would hide its answers from the other
        # stack on this host (avahi-browse beside us would miss its services).
        self.send_known_answers = True

    # -- interfaces ---------------------------------------------------------------------
    def add_interface(self, index: int, now: float, *, max_packet_size: int | None = None) -> None:
        """An interface is usable: every query that covers it starts there.

        Their first question there carries the QU bit (§5.4: the initial
        batch after interface activation asks for unicast responses).
        ``max_packet_size`` overrides the querier's bound for this interface
        (its MTU less IP and UDP headers, §17).
        """
        if max_packet_size is not None:
            self.set_max_packet_size(index, max_packet_size)
        if index in self._interfaces:
            return
        self._interfaces.add(index)
        for query in self._queries:
            if query.interface is None or query.interface == index:
                self._attach(query, index, now, unicast=True)

    def set_max_packet_size(self, index: int, size: int) -> None:
        """Bound the query datagrams sent on one interface (§17: MTU − IP − UDP headers)."""
        self._packet_sizes[index] = _check_packet_size(size)

    def remove_interface(self, index: int, now: float) -> None:
        """An interface went away: stop querying there and flush its cache entries."""
        self._interfaces.discard(index)
        self._packet_sizes.pop(index, None)
        self._first_deadlines.pop(index, None)
        # Flush first, while the queries are still there to be told (RecordRemoved).
        self.cache.remove_interface(index, now)
        for key in [k for k in self._schedules if k[0] == index]:
            schedule = self._schedules.pop(key)
            self._active.pop(key, None)
            self._forget_name(key)
            for query in schedule.queries:
                query._keys.discard(key)
        for asked in (self._unicast_asked, self._last_asked):
            for key in [k for k in asked if k[0] == index]:
                del asked[key]
        for replier in [k for k in self._unicast_repliers if k[0] == index]:
            del self._unicast_repliers[replier]
        self._deadline_dirty = True

    @property
    def interfaces(self) -> frozenset[int]:
        return frozenset(self._interfaces)

    # -- queries ------------------------------------------------------------------------
    def start_query(
        self,
        name: Name,
        qtype: int,
        now: float,
        *,
        qclass: int = RRClass.IN,
        interface: int | None = None,
        unicast_first: bool = False,
        one_shot: bool = False,
        timeout: float | None = None,
        report_cached: bool = True,
        cached_since: int | None = None,
    ) -> Query:
        """Start asking ``name``/``qtype`` on one interface or (None) on all of them.

        The first query leaves 20–120 ms later (§5.2), with the QU bit if
        ``unicast_first`` (§5.4). A continuous query repeats with doubling
        gaps up to an hour; a ``one_shot`` query sends once. With ``timeout``
        the query stops by itself after that many seconds and a
        :class:`QueryExpired` event is queued. Records already cached that no
        other query wanted are reported as ``RecordAdded`` at once, unless
        ``report_cached`` is false (a caller that has just read the cache
        itself), or only those cached after the cache revision ``cached_since``
        (a caller that read the cache at that revision); if a unique answer
        (cache-flush bit, at least half its TTL left) is among them, no query
        series starts (§5.2) and the cache's refreshes keep it.
        """
        if not isinstance(name, Name):
            raise UsageError("name", "a lanwise.dns.Name", name)
        if not isinstance(qtype, int) or not 0 < qtype <= 0xFFFF:
            raise UsageError("qtype", "an integer from 1 to 65535", qtype)
        if not isinstance(qclass, int) or not 0 < qclass <= 0x7FFF:
            raise UsageError("qclass", "an integer from 1 to 32767", qclass)
        if interface is not None and (not isinstance(interface, int) or interface <= 0):
            raise UsageError("interface", "a positive interface index or None", interface)
        if timeout is not None and not timeout > 0:
            raise UsageError("timeout", "a positive number of seconds or None", timeout)
        expires_at = now + timeout if timeout is not None else inf
        query = Query(
            name,
            qtype,
            qclass,
            interface=interface,
            unicast_first=unicast_first,
            one_shot=one_shot,
            expires_at=expires_at,
        )
        self._queries[query] = None
        if expires_at != inf:
            self._expiring[query] = None
        targets = self._interfaces if interface is None else self._interfaces & {interface}
        for index in sorted(targets) if len(targets) > 1 else targets:
            self._attach(
                query, index, now, unicast=unicast_first, report=report_cached, since=cached_since
            )
        self._deadline_dirty = True
        return query

    def stop_query(self, query: Query, now: float | None = None) -> None:
        """Stop a query (idempotent). Its records stay cached, but are no longer refreshed."""
        if query not in self._queries:
            return
        del self._queries[query]
        self._expiring.pop(query, None)
        query._active = False
        for key in query._keys:
            schedule = self._schedules.get(key)
            if schedule is None:
                continue
            schedule.queries.pop(query, None)
            if not schedule.queries:
                del self._schedules[key]
                self._active.pop(key, None)
                self._forget_name(key)
        query._keys.clear()
        self._deadline_dirty = True

    @property
    def queries(self) -> tuple[Query, ...]:
        return tuple(self._queries)

    def _attach(
        self,
        query: Query,
        index: int,
        now: float,
        *,
        unicast: bool,
        report: bool = True,
        since: int | None = None,
    ) -> None:
        key = (index, query.name, query.qtype, query.qclass)
        query._keys.add(key)
        schedule = self._schedules.get(key)
        if schedule is not None:
            schedule.queries[query] = None
            if not schedule.answered and schedule.earliest == inf:
                # A one-shot query already went out here and nothing unique came back:
                # the newcomer asks again, never sooner than a second after it (§5.2).
                self._plan_first(schedule, now, unicast=False)
            return
        # Records already cached that no query wanted until now are news to the caller.
        if not report:
            news: list[Record] = []
        elif since is None:
            news = [
                cached.record
                for cached in self.cache.lookup(
                    query.name, query.qtype, now, interface=index, rclass=query.qclass
                )
            ]
        else:
            news = self.cache.added_since(
                query.name, query.qtype, now, interface=index, rclass=query.qclass, revision=since
            )
        if news:
            news = [r for r in news if not self.is_interested(index, r.name, r.rtype, r.rclass)]
        schedule = _Schedule(key)
        schedule.queries[query] = None
        self._schedules[key] = schedule
        name_key = (index, query.name)
        self._asked_names[name_key] = self._asked_names.get(name_key, 0) + 1
        if news:
            self._events.extend(RecordAdded(index, record) for record in news)
        if self.cache.has_unique_answer(key, now):
            # §5.2: a unique answer is already cached (an announcement, say): no series
            # is needed; the cache's refresh queries keep it.
            schedule.answered = True
            self._deadline_dirty = True
            return
        self._plan_first(schedule, now, unicast=unicast)

    def _plan_first(self, schedule: _Schedule, now: float, *, unicast: bool) -> None:
        """§5.2: the first query waits a random 20–120 ms."""
        earliest = now + FIRST_QUERY_DELAY_MIN
        # Questions started close together share one random deadline (and so one
        # packet), as long as it still lies 20–120 ms after this one's start.
        index = schedule.key[0]
        latest = self._first_deadlines.get(index, -inf)
        if not earliest <= latest <= now + FIRST_QUERY_DELAY_MAX:
            latest = now + self._rng.uniform(FIRST_QUERY_DELAY_MIN, FIRST_QUERY_DELAY_MAX)
            self._first_deadlines[index] = latest
        if schedule.last_sent is not None:
            floor = schedule.last_sent + FIRST_QUERY_INTERVAL
            earliest = max(earliest, floor)
            latest = max(latest, floor)
        schedule.earliest = earliest
        schedule.latest = latest
        self._active[schedule.key] = schedule
        schedule.unicast = unicast
        schedule.answered = False
        schedule.first = True
        self._deadline_dirty = True

    def _mark_sent(self, schedule: _Schedule, when: float) -> None:
        """Record a (real or, §7.3, deemed) send at ``when`` and plan the next (§5.2)."""
        last = schedule.last_sent
        schedule.last_sent = when
        schedule.unicast = False  # §5.4: repeats are QM
        schedule.first = False
        if not schedule.repeating:
            schedule.earliest = schedule.latest = inf
            self._active.pop(schedule.key, None)
        else:
            gap = FIRST_QUERY_INTERVAL if last is None else 2.0 * (when - last)
            gap = min(max(gap, FIRST_QUERY_INTERVAL), MAX_QUERY_INTERVAL)
            schedule.earliest = when + gap
            schedule.latest = schedule.earliest + AGGREGATION_WINDOW
        self._deadline_dirty = True

    def is_interested(self, interface: int, name: Name, rtype: int, rclass: int) -> bool:
        """Does an active query want this record on this interface? (an O(1) check)."""
        if (interface, name) not in self._asked_names:
            return False  # the common case on a busy link: one hash, no tuple of four
        schedules = self._schedules
        return (
            (interface, name, rtype, rclass) in schedules
            or (interface, name, ANY_TYPE, rclass) in schedules
            or (interface, name, rtype, ANY_CLASS) in schedules
            or (interface, name, ANY_TYPE, ANY_CLASS) in schedules
        )

    def _forget_name(self, key: RRsetKey) -> None:
        name_key = (key[0], key[1])
        left = self._asked_names[name_key] - 1
        if left:
            self._asked_names[name_key] = left
        else:
            del self._asked_names[name_key]

    def _rrset_emptied(self, key: RRsetKey, now: float) -> None:
        schedule = self._schedules.get(key)
        if schedule is not None and schedule.answered and schedule.repeating:
            # The unique answer that ended the series is gone: ask again (§5.2).
            self._plan_first(schedule, now, unicast=False)

    # -- receiving ------------------------------------------------------------------------
    def handle_response(
        self,
        message: Message,
        interface: int,
        now: float,
        *,
        source: object = None,
        unicast: bool = False,
        own: bool = False,
    ) -> bool:
        """Take in a response received on ``interface``; False if it was ignored.

        ``own``: our own responder's records (the engine feeds them), which the
        cache then holds as the authority (see :mod:`lanwise.mdns.cache`).

        Answers and additionals are cached. A response that came by unicast
        is accepted only as a reply to a QU question we sent on that interface
        within the last two seconds (§6, §5.4; see :meth:`_solicited`); others
        are ignored and counted.
        """
        return self._take_response(message, interface, now, source, unicast, own)

    def _take_response(  # noqa: PLR0917 (the hot path: positional arguments, C-typed compiled)
        self,
        message: Message,
        interface: int,
        now: float,
        source: object,
        unicast: bool,
        own: bool,
    ) -> bool:
        if unicast and not self._solicited(message.answers, interface, now, source):
            self._stats.unicast_responses_ignored += 1
            return False
        self._stats.responses_accepted += 1
        records = message.answers + message.additionals
        unique = self.cache._add_response(records, interface, now, source, own)
        for key in unique:
            schedule = self._schedules.get(key)
            if schedule is not None and not schedule.answered:
                # §5.2: a unique answer means no other answers will come; stop the series
                # and rely on the cache's refresh queries at 80–95 % of the TTL.
                schedule.answered = True
                schedule.earliest = schedule.latest = inf
                self._active.pop(key, None)
                self._deadline_dirty = True
        return True

    def _solicited(
        self, answers: Sequence[Record], interface: int, now: float, source: object
    ) -> bool:
        """§6, §5.4: is this unicast response a reply to a QU question we asked?

        "Asked" means a question we sent with the QU bit on this interface
        within ``UNICAST_RESPONSE_WINDOW`` (two seconds). A unicast response is
        a reply, and all its records (answers and additionals) are accepted, if

        - one of its answers answers such a question (same name; same type or
          the question was ANY; same class or ANY), or
        - it comes from the same source (address and port, on this interface)
          as an earlier unicast response accepted by the first rule, and the
          question that one answered is still within the window: a reply too
          big for one packet continues in packets holding only the remaining
          answers or additional records (§17; python-zeroconf splits this way).

        Anything else is unsolicited and ignored: unicast responses that answer
        nothing we asked, and answerless packets from hosts that have not
        replied to us.
        """
        asked = self._unicast_asked
        cutoff = now - UNICAST_RESPONSE_WINDOW
        repliers = self._unicast_repliers
        replier = (interface, source)
        earlier = repliers.get(replier, -inf) if source is not None else -inf
        for record in answers:
            for qtype, qclass in (
                (record.rtype, record.rclass),
                (ANY_TYPE, record.rclass),
                (record.rtype, ANY_CLASS),
                (ANY_TYPE, ANY_CLASS),
            ):
                sent = asked.get((interface, record.name, qtype, qclass))
                if sent is not None and sent >= cutoff:
                    # A reply: its continuations count from the question it answers.
                    if source is not None and sent > earlier:
                        repliers[replier] = sent
                    return True
        return earlier >= cutoff

    def handle_query(
        self, message: Message, interface: int, now: float, *, unicast: bool = False
    ) -> None:
        """Observe a query another host sent on ``interface`` (never pass our own).

        A multicast QM question we are about to ask ourselves, whose known
        answers we would all list too, counts as our own query (§7.3); the
        cache counts it for Passive Observation Of Failures (§10.5). A query
        with the TC bit is ignored for both, since the rest of its known-answer
        list is still to come (§7.2), as is a query that came by unicast.
        """
        self._observe_query(message, interface, now, unicast)

    def _observe_query(self, message: Message, interface: int, now: float, unicast: bool) -> None:
        self._stats.queries_observed += 1
        if unicast or message.flags & _TC or not message.questions:  # TC: §7.2
            return
        questions = [q for q in message.questions if not q.unicast_response]
        if not questions:
            return
        for question in questions:
            self._suppress_duplicate(question, message.answers, interface, now)
        if _COMPILED:
            known = {record_key(r): r.ttl for r in message.answers}
        else:
            known = {r.key: r.ttl for r in message.answers}
        self.cache.observe_query(questions, known, interface, now)

    def _suppress_duplicate(
        self, question: Question, answers: Sequence[Record], interface: int, now: float
    ) -> None:
        """§7.3: another host asked a QM question we mean to ask; treat ours as sent."""
        if (interface, question.name) not in self._asked_names:
            return  # none of our queries asks about this name here
        for record in answers:
            if _answers(record, question) and not self.cache.is_known_answer(
                record, interface, now
            ):
                return  # they listed a record we would not: their answers may differ
        key = (interface, question.name, question.qtype, question.qclass)
        # Counts as asked for the cache's refreshes too (see handle_timer).
        self._last_asked[key] = max(self._last_asked.get(key, -inf), now)
        schedule = self._schedules.get(key)
        if schedule is None or schedule.answered or schedule.unicast or schedule.earliest == inf:
            return
        last = schedule.last_sent
        if last is not None and now < schedule.earliest - (schedule.earliest - last) / 2:
            # Not "planning to transmit" yet: we only just asked ourselves.
            return
        self._mark_sent(schedule, max(now, schedule.earliest))
        self._stats.duplicate_questions_suppressed += 1

    def reconfirm(self, record: Record, interface: int, now: float) -> bool:
        """§10.4: the caller suspects ``record`` (cached on ``interface``) is stale.

        Two queries for its name and type go out on that interface, the first
        after 20–120 ms and the second a second later, without the record in
        their known answers; unless a response carries it within ten seconds,
        it is flushed (``RecordRemoved`` with reason ``reconfirm_failed``).
        Returns False when the record is not in the cache.
        """
        key = self.cache.reconfirm(record, interface, now)
        if key is None:
            return False
        first = now + self._rng.uniform(FIRST_QUERY_DELAY_MIN, FIRST_QUERY_DELAY_MAX)
        for when in (first, first + FIRST_QUERY_INTERVAL):
            heapq.heappush(self._reconfirm_sends, (when, next(self._sequence), key))
        self._deadline_dirty = True
        return True

    # -- reading ---------------------------------------------------------------------------
    def lookup(
        self,
        name: Name,
        qtype: int,
        now: float,
        *,
        interface: int | None = None,
        qclass: int = RRClass.IN,
    ) -> list[CachedRecord]:
        """Cached records answering ``name``/``qtype`` (see :meth:`RecordCache.lookup`)."""
        return self.cache.lookup(name, qtype, now, interface=interface, rclass=qclass)

    def next_event(self) -> Event | None:
        """The oldest queued event (record added/updated/removed, query expired), or None."""
        events = self._events
        return events.popleft() if events else None

    def statistics(self) -> QuerierStatistics:
        """A snapshot of the counters, the cache's included."""
        s = self._stats
        return QuerierStatistics(
            packets_sent=s.packets_sent,
            questions_sent=s.questions_sent,
            known_answers_sent=s.known_answers_sent,
            truncated_packets=s.truncated_packets,
            duplicate_questions_suppressed=s.duplicate_questions_suppressed,
            responses_accepted=s.responses_accepted,
            unicast_responses_ignored=s.unicast_responses_ignored,
            queries_observed=s.queries_observed,
            active_queries=len(self._queries),
            cache=self.cache.statistics(),
        )

    # -- time ------------------------------------------------------------------------------
    def get_timer(self) -> float | None:
        """The next time :meth:`handle_timer` has work, or None."""
        if self._deadline_dirty:
            deadline = self._schedules_deadline()
            if self._reconfirm_sends:
                deadline = min(deadline, self._reconfirm_sends[0][0])
            for query in self._expiring:
                deadline = min(deadline, query.expires_at)
            self._deadline_cache = deadline
            self._deadline_dirty = False
        deadline = self._deadline_cache if self._deadline_cache is not None else inf
        cache_deadline = self.cache.next_deadline()
        if cache_deadline is not None and cache_deadline < deadline:
            deadline = cache_deadline
        return None if deadline == inf else deadline

    def _schedules_deadline(self) -> float:
        """When the next question must go out.

        A first query goes at its random deadline (§5.2), taking along every
        question whose window has opened. A repeat goes as soon as it is due,
        unless another question on its interface falls due within
        ``AGGREGATION_WINDOW``: then it waits for it, so both share a packet.
        """
        active = self._active.values()
        openings: dict[int, list[float]] = {}
        for schedule in active:
            openings.setdefault(schedule.key[0], []).append(schedule.earliest)
        for times in openings.values():
            times.sort()
        deadline = inf
        for schedule in active:
            earliest = schedule.earliest
            if schedule.first:
                fire = schedule.latest
            else:
                times = openings[schedule.key[0]]
                last = times[bisect_right(times, schedule.latest) - 1]
                fire = last if last > earliest else earliest
            deadline = min(deadline, fire)
        return deadline

    def handle_timer(self, now: float) -> list[QueryPacket]:
        """Run what is due at ``now``; returns the query packets to multicast."""
        expired = [q for q in self._expiring if q.expires_at <= now]
        for query in expired:
            self.stop_query(query, now)
            self._events.append(QueryExpired(query))
        due: dict[int, dict[RRsetKey, bool]] = {}
        recent = now - FIRST_QUERY_INTERVAL
        for key in self.cache.handle_timer(now):
            # A refresh (§5.2) is not repeated when the question went out within the
            # last second in a query series of ours or (§7.3) from another host.
            if key[0] in self._interfaces and self._last_asked.get(key, -inf) <= recent:
                due.setdefault(key[0], {})[key] = False
        reconfirm = self._reconfirm_sends
        while reconfirm and reconfirm[0][0] <= now:
            _, _, key = heapq.heappop(reconfirm)
            if key[0] in self._interfaces:
                due.setdefault(key[0], {}).setdefault(key, False)
            self._deadline_dirty = True
        for key, schedule in list(self._active.items()):
            if schedule.earliest <= now:
                self._last_asked[key] = now
                questions = due.setdefault(key[0], {})
                questions[key] = schedule.unicast or questions.get(key, False)
                self._mark_sent(schedule, now)
        packets: list[QueryPacket] = []
        for interface, questions in sorted(due.items()):
            packets.extend(self._build(interface, questions, now))
        return packets

    # -- packets ----------------------------------------------------------------------------
    def _build(
        self, interface: int, questions: dict[RRsetKey, bool], now: float
    ) -> list[QueryPacket]:
        qu = self.unicast_questions
        wanted = [
            Question(name, qtype, qclass, unicast and qu)
            for (_, name, qtype, qclass), unicast in questions.items()
        ]
        packets: list[QueryPacket] = []
        size = self._packet_sizes.get(interface, self._max_packet_size)
        known_answers = self.cache.known_answers if self.send_known_answers else _none_known
        for group in self._fit_questions(wanted, size):
            known: dict[tuple[Name, int, int, object], Record] = {}
            for question in group:
                for record in known_answers(
                    interface, question.name, question.qtype, question.qclass, now
                ):
                    known.setdefault(record.key, record)
                if question.unicast_response:
                    key = (interface, question.name, question.qtype, question.qclass)
                    self._unicast_asked[key] = now
            datagrams = split_query(group, known.values(), size)
            stats = self._stats
            stats.packets_sent += len(datagrams)
            stats.questions_sent += len(group)
            stats.known_answers_sent += len(known)
            stats.truncated_packets += len(datagrams) - 1
            flags = int(Flag.TC) if len(datagrams) > 1 else 0
            message = Message(flags=flags, questions=tuple(group), answers=tuple(known.values()))
            packets.append(QueryPacket(interface, datagrams[0], message))
            packets.extend(QueryPacket(interface, data) for data in datagrams[1:])
        self._prune_asked(now)
        return packets

    def _fit_questions(self, questions: list[Question], size: int) -> Iterable[list[Question]]:
        """Split questions into groups that each fit one packet (rarely more than one)."""
        builder = MessageBuilder(max_size=size)
        group: list[Question] = []
        for question in questions:
            if builder.add_question(question):
                group.append(question)
                continue
            if group:
                yield group
            builder = MessageBuilder(max_size=size)
            builder.add_question(question)  # one name always fits 512+ octets
            group = [question]
        if group:
            yield group

    def _prune_asked(self, now: float) -> None:
        """Forget sends too old to matter to §6 (two seconds) or to refreshes (one)."""
        cutoff = now - UNICAST_RESPONSE_WINDOW
        for asked in (self._unicast_asked, self._last_asked):
            if len(asked) > 1024:
                for key in [k for k, t in asked.items() if t < cutoff]:
                    del asked[key]
        repliers = self._unicast_repliers
        if len(repliers) > 1024:
            for replier in [k for k, t in repliers.items() if t < cutoff]:
                del repliers[replier]


def _none_known(interface: int, name: Name, qtype: int, qclass: int, now: float) -> list[Record]:
    """The known answers while ``send_known_answers`` is off: none."""
    return []


def _check_packet_size(size: object) -> int:
    if not isinstance(size, int) or not MIN_PACKET_SIZE <= size <= MAX_MESSAGE_SIZE:
        raise UsageError(
            "max_packet_size",
            f"from {MIN_PACKET_SIZE} to {MAX_MESSAGE_SIZE} octets (RFC 6762 §17)",
            size,
        )
    return size


def _answers(record: Record, question: Question) -> bool:
    """Standard DNS matching (§6): same name, type (or ANY), class (or ANY)."""
    return (
        record.name == question.name
        and question.qtype in (ANY_TYPE, record.rtype)
        and question.qclass in (ANY_CLASS, record.rclass)
    )
