"""When and where answers go: the per-channel answer queue (RFC 6762 §5.4, §6, §7).

:class:`AnswerQueue` takes the queries the responder hands it and decides,
for each answer, between a unicast reply now (§5.4, §5.5), a legacy reply
(§6.7) and a multicast one that waits in a queue keyed by record: at once
when every answer is unique, 20–120 ms later otherwise, joined with answers
already waiting (§6.4), never sooner than a second after the record's last
multicast (§6.2). A query with the TC bit waits 400–500 ms for the rest of its
known answers (§7.2); another responder's identical answer cancels ours (§7.4).

What a TC query makes us hold is bounded (our bounds; the RFC sets none): per
source only its distinct questions, at most ``MAX_DEFERRED_QUESTIONS``, and
only the known answers that suppression can use — those naming a record we
answer with on that interface, so at most our own record count; and at most
``MAX_DEFERRED_SOURCES`` sources waiting at once. A flood of TC queries from
one source thus holds a few hundred bytes, not every packet it sent.
Whatever is left out is counted (``EngineStatistics.truncated_dropped``).
What to answer with comes from :mod:`lanwise.mdns.answers` through a view of
the records answerable on the interface.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import inf
from typing import Final, Protocol

from lanwise.dns import Flag, Message, Name, Question, Rdata, Record
from lanwise.dns._slots import record_key
from lanwise.mdns.answers import (
    RecordView,
    additionals_for,
    answer_question,
    known_answer_suppressed,
    legacy_copy,
)
from lanwise.mdns.constants import (
    AGGREGATION_MAX,
    DUPLICATE_ANSWER_TTL_FRACTION,
    EPSILON,
    MDNS_PORT,
    MULTICAST_RATE_LIMIT,
    PROBE_DEFENCE_RATE_LIMIT,
    QU_MULTICAST_FRACTION,
    SHARED_DELAY_MAX,
    SHARED_DELAY_MIN,
    TRUNCATED_DELAY_MAX,
    TRUNCATED_DELAY_MIN,
)
from lanwise.mdns.endpoints import EngineEndpoint
from lanwise.mdns.links import Channel, Link
from lanwise.mdns.outbox import RESPONSE_FLAGS, FrozenGroup, Outbox
from lanwise.mdns.packets import Packer
from lanwise.mdns.statistics import EngineStatistics

__all__ = [
    "MAX_DEFERRED_QUESTIONS",
    "MAX_DEFERRED_SOURCES",
    "AnswerQueue",
    "AnswerView",
    "RecordKey",
]

RecordKey = tuple[Name, int, int, Rdata]  # Record.key: identity without TTL and cache-flush

# §7.2 deferral bounds: distinct questions held per source (a real querier's TC query
# asks a handful), and sources waiting at once (a link has far fewer querying hosts).
MAX_DEFERRED_QUESTIONS: Final = 64
MAX_DEFERRED_SOURCES: Final = 256
_RD: Final = int(Flag.RD)  # a plain int: ``int & IntFlag`` is slow enum arithmetic
_TC: Final = int(Flag.TC)
_LEGACY_CACHE_SIZE: Final = 64  # memoised legacy replies (see AnswerQueue._answer_legacy)


class AnswerView(RecordView, Protocol):
    """The records answerable on one interface, with each answer's additional records."""

    @property
    def generation(self) -> int:
        """Moves whenever what is answerable changes (answer plans are cached until then)."""
        ...

    def additionals(self, answer: Record) -> list[Record]:
        """RFC 6763 §12, §6.1: the additional records that go with ``answer``."""
        ...

    def with_key(self, record: Record) -> tuple[Record, ...]:
        """The records we answer with that have ``record``'s key (one dict hit)."""
        ...


_NO_KNOWN: Final[dict[RecordKey, int]] = {}  # a query without known answers (never written)
# True when this module runs compiled: record keys are then read from slots in C
# (lanwise.dns._slots.record_key) rather than through the Record.key property.
_COMPILED: Final = not __file__.endswith(".py")
_NEVER: Final = -inf  # a _Slot's ``last`` before its record was ever multicast


class _Slot:
    """One record (by key) on one channel: when it was last multicast (§6.2, §5.4) and,
    while it waits in the queue (listed in ``AnswerQueue._pending``), its group.

    Answer plans hold their answers' slots, so answering a query that was answered
    before touches no record key: keys (name, type, class, rdata) are costly to hash,
    and a browse answered with every instance would hash dozens of them per query.
    """

    __slots__ = ("group", "key", "last", "probe_defence", "record", "send_at")

    def __init__(self, key: RecordKey) -> None:
        self.key = key
        self.last: float = _NEVER
        # Valid while pending: the record, when it goes, and its message group
        # ((), (record,), (), additionals): a tuple the outbox memoises packings by.
        self.record: Record | None = None
        self.send_at: float = inf
        self.group: FrozenGroup = ((), (), (), ())
        self.probe_defence = False


class _Planned:
    """One answer of a plan: the record, its additional records (and group), its slot."""

    __slots__ = ("extra", "group", "record", "shared", "slot")

    def __init__(self, record: Record, extra: tuple[Record, ...], slot: _Slot) -> None:
        self.record = record
        self.shared = not record.cache_flush  # §6: a shared answer waits 20–120 ms
        self.extra = extra
        self.group: FrozenGroup = ((), (record,), (), extra)
        self.slot = slot


# Answer plans cached per (channel, name, type, class): only for names we answer for,
# so the network cannot grow the cache beyond what we publish (bounded anyway by this).
_PLANS_MAX: Final = 4096


@dataclass(slots=True)
class _Deferred:
    """§7.2: a query with the TC bit, waiting 400–500 ms for the rest of its known answers."""

    due: float
    questions: dict[Question, None]  # distinct, in arrival order
    known: dict[RecordKey, int]  # only those naming a record we answer with
    unicast: bool


class AnswerQueue:
    """Answers waiting to be sent, and when each record was last multicast, per channel."""

    def __init__(
        self,
        rng: random.Random,
        outbox: Outbox,
        links: Mapping[int, Link],
        view: Callable[[int], AnswerView],
    ) -> None:
        self._rng = rng
        self._outbox = outbox
        self._links = links
        self._view = view
        # Every record's slot per channel, by key; and the slots waiting to be sent, in
        # the order they were first scheduled.
        self._slots: dict[Channel, dict[RecordKey, _Slot]] = {}
        self._pending: dict[Channel, dict[_Slot, None]] = {}
        # What answers each question, with additionals and slots (see _plan).
        self._plans: dict[tuple[int, int, Name, int, int], tuple[_Planned, ...]] = {}
        self._plans_generation = -1
        # A lower bound of every pending send_at (exact unless _stale): lets run() and
        # get_timer() skip walking the queue, which they are asked after every packet.
        self._earliest = inf
        self._stale = False
        self._deferred: dict[tuple[int, int, EngineEndpoint], _Deferred] = {}
        self._stats: EngineStatistics = outbox.statistics
        # Legacy replies (§6.7) memoised: see _answer_legacy.
        self._legacy: dict[tuple[object, ...], bytes] = {}
        # Another mDNS stack on this host is bound to port 5353 too (see _answer).
        self.shares_port = False

    # ---------------------------------------------------------------- queries
    def handle_query(  # noqa: PLR0917 - positional: a C call when compiled
        self,
        message: Message,
        source: EngineEndpoint,
        link: Link,
        version: int,
        now: float,
        unicast: bool,
    ) -> None:
        """Answer a query received on ``link`` (tie-breaks are the responder's, before this)."""
        if source.port != MDNS_PORT:
            self._answer_legacy(message, source, link, version)
            return
        if not message.answers:
            known = _NO_KNOWN
        elif _COMPILED:
            known = {record_key(r): r.ttl for r in message.answers}
        else:
            known = {r.key: r.ttl for r in message.answers}
        truncated = bool(message.flags & _TC)  # (the property is a Python call)
        deferred = None
        # Hashing an EngineEndpoint hashes its IP address (slow in ipaddress): only when needed.
        if truncated or self._deferred:
            deferred_key = (link.index, version, source)
            deferred = self._deferred.get(deferred_key)
        if truncated:
            # §7.2: more known answers follow; hold the questions 400–500 ms.
            if deferred is None:
                if len(self._deferred) >= MAX_DEFERRED_SOURCES:
                    # Too many sources waiting: this one is answered as if it were whole.
                    self._stats.truncated_dropped += 1
                else:
                    delay = self._rng.uniform(TRUNCATED_DELAY_MIN, TRUNCATED_DELAY_MAX)
                    deferred = _Deferred(now + delay, {}, {}, unicast)
                    self._deferred[deferred_key] = deferred
            if deferred is not None:
                self._hold(deferred, message, link.index)
                deferred.unicast = deferred.unicast or unicast
                return
        elif deferred is not None:
            self._hold(deferred, message, link.index)  # the last packet
            return
        if message.questions:
            probe = bool(message.authorities)
            self._answer(link, version, source, message.questions, known, now, unicast, probe)

    def _hold(self, deferred: _Deferred, message: Message, index: int) -> None:
        """§7.2: keep what the deferred answer needs, within bounds; count the rest."""
        held = deferred.questions
        dropped = 0
        for question in message.questions:
            if question in held:
                continue
            if len(held) >= MAX_DEFERRED_QUESTIONS:
                dropped += 1
                continue
            held[question] = None
        if message.answers:
            # Suppression compares our answers (and their additionals) with the known
            # answers: any other known answer could never match, so it is not kept.
            view = self._view(index)
            kept = deferred.known
            for record in message.answers:
                key = record.key
                if key in kept:
                    kept[key] = max(kept[key], record.ttl)
                elif view.with_key(record):
                    kept[key] = record.ttl
                else:
                    dropped += 1
        if dropped:
            self._stats.truncated_dropped += dropped

    def _plan(self, view: AnswerView, channel: Channel, question: Question) -> tuple[_Planned, ...]:
        """What answers ``question`` on ``channel``, each with its additionals and slot.

        Cached until the view's generation moves (or slots are dropped), and only
        for names we answer for: a question for anything else costs one lookup in
        ``answer_question`` and is not remembered.
        """
        generation = view.generation
        if generation != self._plans_generation:
            self._plans.clear()
            self._plans_generation = generation
        index, version = channel
        key = (index, version, question.name, question.qtype, question.qclass)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        answers = answer_question(question, view)
        if not answers:
            return ()
        slots = self._slots.get(channel)
        if slots is None:
            slots = self._slots[channel] = {}
        planned = []
        for answer in answers:
            slot = slots.get(answer.key)
            if slot is None:
                slot = slots[answer.key] = _Slot(answer.key)
            planned.append(_Planned(answer, tuple(view.additionals(answer)), slot))
        plan = tuple(planned)
        if len(self._plans) >= _PLANS_MAX:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    def _slot(self, channel: Channel, key: RecordKey) -> _Slot:
        slots = self._slots.get(channel)
        if slots is None:
            slots = self._slots[channel] = {}
        slot = slots.get(key)
        if slot is None:
            slot = slots[key] = _Slot(key)
        return slot

    def _answer(  # noqa: PLR0917
        self,
        link: Link,
        version: int,
        source: EngineEndpoint,
        questions: Sequence[Question],
        known: dict[RecordKey, int],
        now: float,
        unicast: bool,
        probe: bool,
        delayed: bool = False,
    ) -> None:
        """§6: answer each question, each with its own suppression rules (§7.1, §5.4)."""
        view = self._view(link.index)
        channel = (link.index, version)
        multicast: list[tuple[_Slot, Record, FrozenGroup]] = []
        direct: list[FrozenGroup] = []
        shared = False  # any multicast answer a shared record (§6: then it waits)
        # §15.1: while another stack shares port 5353 on this host, a unicast reply to a
        # querier on this host reaches only one of the two sockets, maybe not the
        # querier's: such a reply goes by multicast, which every socket receives.
        lossy = self.shares_port and link.owns(source.ip_version, source.ip_value)
        for question in questions:
            qu = question.unicast_response
            for planned in self._plan(view, channel, question):
                answer = planned.record
                group = planned.group
                if known:
                    if known_answer_suppressed(answer, known):
                        continue
                    # Each answer travels with its own additional records (RFC 6763 §12), so
                    # a split response keeps a PTR's SRV/TXT/addresses in the PTR's packet.
                    extra = [r for r in planned.extra if not known_answer_suppressed(r, known)]
                    if len(extra) != len(planned.extra):
                        group = ((), (answer,), (), tuple(extra))
                slot = planned.slot
                if probe and qu:
                    # §5.4: a QU probe always gets its unicast answer, and a multicast
                    # one too if the record has not been multicast within ¼ of its TTL.
                    if not lossy:
                        direct.append(group)
                    if lossy or not now - slot.last < answer.ttl * QU_MULTICAST_FRACTION:
                        multicast.append((slot, answer, group))
                        shared = shared or planned.shared
                elif not lossy and (
                    unicast or (qu and now - slot.last < answer.ttl * QU_MULTICAST_FRACTION)
                ):
                    direct.append(group)  # §5.4, §5.5
                else:
                    multicast.append((slot, answer, group))
                    shared = shared or planned.shared
        if direct:
            self._outbox.send_frozen_groups(link, version, direct, destination=source)
        if not multicast:
            return
        # §6: unique answers go at once (and a TC wait has been served); shared ones
        # 20–120 ms later, joining answers already waiting (§6.4).
        send_at = now if delayed or not shared else self._shared_send_time(channel, now)
        pending = self._pending_at(channel)
        for slot, answer, group in multicast:
            self._schedule(pending, slot, answer, group, send_at, probe)

    def _shared_send_time(self, channel: Channel, now: float) -> float:
        pending = self._pending.get(channel)
        if pending:
            # §6.4: join answers already waiting (within 500 ms) so they leave as one packet.
            first = inf
            for slot in pending:
                if now <= slot.send_at < first:
                    first = slot.send_at
            if first <= now + AGGREGATION_MAX:
                return first
        return now + self._rng.uniform(SHARED_DELAY_MIN, SHARED_DELAY_MAX)

    def _answer_legacy(
        self, message: Message, source: EngineEndpoint, link: Link, version: int
    ) -> None:
        """§6.7: a resolver not on port 5353: one unicast reply, its ID, its questions echoed,
        TTL at most 10 s, no cache-flush bits."""
        questions = message.questions
        if not questions:
            return
        view = self._view(link.index)
        ip_version = source.ip_version
        flags = RESPONSE_FLAGS | (message.flags & _RD)
        # The reply is a pure function of what is answerable on the interface (its
        # generation), the questions as written (echoed with their case), the size limit
        # and the flags; only the ID differs between resolvers asking the same. So it is
        # built once and the ID patched in. Only replies with answers are kept: a
        # question for a name of someone else's is not remembered.
        key = (
            view.generation,
            link.index,
            link.mtu,  # with the IP version, the size limit
            ip_version,
            flags,
            tuple([(q.name._wire, q.qtype, q.qclass, q.unicast_response) for q in questions]),
        )
        data = self._legacy.get(key)
        if data is None:
            answers: list[Record] = []
            for question in questions:
                answers.extend(answer_question(question, view))
            if not answers:
                return
            limit = link.payload_limit(ip_version)
            data = self._build_legacy(questions, answers, view, limit, flags)
            if len(self._legacy) >= _LEGACY_CACHE_SIZE:
                del self._legacy[next(iter(self._legacy))]  # the oldest entry
            self._legacy[key] = data
        if message.id:
            data = message.id.to_bytes(2, "big") + data[2:]
        self._outbox.send(link, version, data, source)

    @staticmethod
    def _build_legacy(
        questions: Sequence[Question],
        answers: list[Record],
        view: AnswerView,
        limit: int,
        flags: int,
    ) -> bytes:
        """The §6.7 reply with ID 0 (see _answer_legacy)."""
        extra = additionals_for(answers, view)
        packer = Packer(limit, id=0, flags=flags)
        packer.add(questions=questions)
        truncated = False
        for answer in answers:
            if not packer.add(answers=(legacy_copy(answer),)):
                truncated = True
                break
        if truncated:
            packer.flags |= Flag.TC  # the rest does not fit one datagram
        else:
            for record in extra:
                packer.add(additionals=(legacy_copy(record),))
        return packer.build()

    # ----------------------------------------------------------- the queue
    def schedule(
        self,
        channel: Channel,
        record: Record,
        extra: Sequence[Record],
        send_at: float,
        *,
        probe: bool = False,
    ) -> None:
        """Multicast ``record`` (with ``extra`` additionals) on ``channel`` at ``send_at``.

        §6.2: never sooner than one second after its last multicast there, or
        250 ms when defending against a probe.
        """
        slot = self._slot(channel, record.key)
        group = ((), (record,), (), tuple(extra))
        self._schedule(self._pending_at(channel), slot, record, group, send_at, probe)

    def _pending_at(self, channel: Channel) -> dict[_Slot, None]:
        pending = self._pending.get(channel)
        if pending is None:
            pending = self._pending[channel] = {}
        return pending

    def _schedule(  # noqa: PLR0917
        self,
        pending: dict[_Slot, None],
        slot: _Slot,
        record: Record,
        group: FrozenGroup,
        send_at: float,
        probe: bool,
    ) -> None:
        # §6.2 (a record never multicast has last = -inf: no lower bound)
        gap = PROBE_DEFENCE_RATE_LIMIT if probe else MULTICAST_RATE_LIMIT
        send_at = max(send_at, slot.last + gap)
        self._earliest = min(self._earliest, send_at)
        if slot not in pending:
            pending[slot] = None
            slot.record = record
            slot.send_at = send_at
            slot.group = group
            slot.probe_defence = probe
            return
        slot.send_at = min(slot.send_at, send_at)
        slot.probe_defence = slot.probe_defence or probe
        have = slot.group[3]
        extra = group[3]
        if extra and extra is not have:
            keys = {r.key for r in have}
            added = tuple(r for r in extra if r.key not in keys)
            if added:
                slot.group = (*slot.group[:3], have + added)

    def pending(self, channel: Channel) -> bool:
        """Is any answer waiting to be multicast on ``channel``?"""
        return bool(self._pending.get(channel))

    def seen_from_another(self, channel: Channel, record: Record, now: float) -> None:
        """§7.4: another responder multicast ``record``; if ours is pending with a TTL no
        higher than theirs, treat ours as sent."""
        pending = self._pending.get(channel)
        if not pending:
            return
        slot = self._slots[channel].get(record_key(record) if _COMPILED else record.key)
        if (
            slot is not None
            and slot in pending
            and not slot.probe_defence
            and slot.record is not None
            and record.ttl >= slot.record.ttl * DUPLICATE_ANSWER_TTL_FRACTION
        ):
            del pending[slot]
            self._stale = True
            slot.last = now

    def recently_multicast(self, channel: Channel, record: Record, now: float) -> bool:
        """§5.4: multicast on this channel within the last quarter of the record's TTL?"""
        slots = self._slots.get(channel)
        slot = slots.get(record.key) if slots else None
        return slot is not None and now - slot.last < record.ttl * QU_MULTICAST_FRACTION

    def mark_multicast(self, channel: Channel, records: Iterable[Record], now: float) -> None:
        """Note that ``records`` were multicast on ``channel`` at ``now`` (§5.4, §6.2)."""
        for record in records:
            self._slot(channel, record.key).last = now

    def drop(self, keys: Iterable[RecordKey], *, index: int | None = None) -> None:
        """Cancel pending answers for ``keys`` (withdrawn or replaced records), on one
        interface or all, and take them out of the additionals of the answers that stay:
        sent after the goodbye or the new rdata's announcement, they would bring it back.
        """
        keys = set(keys)
        if not keys:
            return
        self._stale = True
        self._plans.clear()  # their additionals may name the dropped records
        for channel, pending in self._pending.items():
            if index is not None and channel[0] != index:
                continue
            slots = self._slots.get(channel, {})
            for key in keys:
                slot = slots.get(key)
                if slot is not None and slot in pending:
                    del pending[slot]
                    if slot.last == _NEVER:
                        del slots[key]  # (forget() kept it only for this)
            for slot in pending:
                have = slot.group[3]
                if any(r.key in keys for r in have):
                    kept = tuple(r for r in have if r.key not in keys)
                    slot.group = (*slot.group[:3], kept)

    def forget(self, keys: Iterable[RecordKey]) -> None:
        """Drop the §6.2 bookkeeping for records nobody publishes any more."""
        keys = list(keys)
        self._plans.clear()  # they hold slots
        for channel, slots in self._slots.items():
            pending = self._pending.get(channel, {})
            for key in keys:
                slot = slots.get(key)
                if slot is None:
                    continue
                if slot in pending:
                    slot.last = _NEVER  # still queued (drop() takes it out)
                else:
                    del slots[key]

    def forget_interface(self, index: int) -> None:
        """The interface went away (or lost its addresses): drop everything queued there."""
        self._stale = True
        self._plans.clear()
        for version in (4, 6):
            self._pending.pop((index, version), None)
            self._slots.pop((index, version), None)
        for key in [k for k in self._deferred if k[0] == index]:
            del self._deferred[key]

    def clear(self) -> None:
        self._pending.clear()
        self._deferred.clear()
        self._earliest = inf
        self._stale = False

    # ------------------------------------------------------------------ time
    def get_timer(self) -> float | None:
        if self._stale:
            earliest = inf
            for items in self._pending.values():
                for slot in items:
                    earliest = min(earliest, slot.send_at)
            self._earliest = earliest
            self._stale = False
        earliest = self._earliest
        if self._deferred:
            for deferred in self._deferred.values():
                earliest = min(earliest, deferred.due)
        return None if earliest == inf else earliest

    def run(self, now: float) -> None:
        """Answer TC queries whose wait is over, then send every answer that is due."""
        if not self._deferred and self._earliest > now + EPSILON:
            return  # nothing pending is due (_earliest never exceeds the earliest send_at)
        for key, deferred in list(self._deferred.items()) if self._deferred else ():
            if deferred.due > now + EPSILON:
                continue
            del self._deferred[key]
            index, version, source = key
            link = self._links.get(index)
            if link is not None and deferred.questions:
                questions = list(deferred.questions)
                known = deferred.known
                self._answer(
                    link, version, source, questions, known, now, deferred.unicast, False, True
                )
        limit = now + EPSILON
        for channel, pending in self._pending.items():
            due = [slot for slot in pending if slot.send_at <= limit]
            if not due:
                continue
            self._stale = True
            for slot in due:
                del pending[slot]
            link = self._links.get(channel[0])
            if link is None:
                continue
            for slot in due:
                slot.last = now  # §5.4, §6.2
            self._outbox.send_frozen_groups(link, channel[1], [slot.group for slot in due])
