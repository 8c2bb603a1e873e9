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
from dataclasses import dataclass, field
from math import inf
from typing import Final, Protocol

from lanwise.dns import Flag, Message, Name, Question, Rdata, Record
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
from lanwise.mdns.outbox import RESPONSE_FLAGS, Outbox
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


class AnswerView(RecordView, Protocol):
    """The records answerable on one interface, with each answer's additional records."""

    def additionals(self, answer: Record) -> list[Record]:
        """RFC 6763 §12, §6.1: the additional records that go with ``answer``."""
        ...

    def with_key(self, record: Record) -> tuple[Record, ...]:
        """The records we answer with that have ``record``'s key (one dict hit)."""
        ...


@dataclass(slots=True)
class _Pending:
    """A record waiting to be multicast on one channel, with its additional records."""

    record: Record
    send_at: float
    additionals: list[Record] = field(default_factory=list)
    probe_defence: bool = False


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
        self._pending: dict[Channel, dict[RecordKey, _Pending]] = {}
        # A lower bound of every pending send_at (exact unless _stale): lets run() and
        # get_timer() skip walking the queue, which they are asked after every packet.
        self._earliest = inf
        self._stale = False
        self._deferred: dict[tuple[int, int, EngineEndpoint], _Deferred] = {}
        self._stats: EngineStatistics = outbox.statistics
        self._last_multicast: dict[Channel, dict[RecordKey, float]] = {}
        # Another mDNS stack on this host is bound to port 5353 too (see _answer).
        self.shares_port = False

    # ---------------------------------------------------------------- queries
    def handle_query(
        self,
        message: Message,
        source: EngineEndpoint,
        link: Link,
        version: int,
        now: float,
        *,
        unicast: bool,
    ) -> None:
        """Answer a query received on ``link`` (tie-breaks are the responder's, before this)."""
        if source.port != MDNS_PORT:
            self._answer_legacy(message, source, link, version)
            return
        known = {r.key: r.ttl for r in message.answers} if message.answers else {}
        deferred_key = (link.index, version, source)
        # Hashing an EngineEndpoint hashes its IP address (slow in ipaddress): only when needed.
        deferred = self._deferred.get(deferred_key) if self._deferred else None
        if message.is_truncated:
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
            self._answer(
                link,
                version,
                source,
                message.questions,
                known,
                now,
                unicast=unicast,
                probe=bool(message.authorities),
            )

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

    def _answer(  # noqa: PLR0917
        self,
        link: Link,
        version: int,
        source: EngineEndpoint,
        questions: Sequence[Question],
        known: dict[RecordKey, int],
        now: float,
        *,
        unicast: bool,
        probe: bool,
        delayed: bool = False,
    ) -> None:
        """§6: answer each question, each with its own suppression rules (§7.1, §5.4)."""
        view = self._view(link.index)
        channel = (link.index, version)
        multicast: list[tuple[Record, list[Record]]] = []
        direct: list[tuple[Record, list[Record]]] = []
        # §15.1: while another stack shares port 5353 on this host, a unicast reply to a
        # querier on this host reaches only one of the two sockets, maybe not the
        # querier's: such a reply goes by multicast, which every socket receives.
        lossy = self.shares_port and link.owns(source.address)
        for question in questions:
            answers = answer_question(question, view)
            if known:
                answers = [a for a in answers if not known_answer_suppressed(a, known)]
            for answer in answers:
                # Each answer travels with its own additional records (RFC 6763 §12), so a
                # split response keeps a PTR's SRV/TXT/addresses in the PTR's packet.
                extra = view.additionals(answer)
                if known:
                    extra = [r for r in extra if not known_answer_suppressed(r, known)]
                # (recently_multicast only matters for QU questions: not asked otherwise)
                if probe and question.unicast_response:
                    # §5.4: a QU probe always gets its unicast answer, and a multicast
                    # one too if the record has not been multicast within ¼ of its TTL.
                    if not lossy:
                        direct.append((answer, extra))
                    if lossy or not self.recently_multicast(channel, answer, now):
                        multicast.append((answer, extra))
                elif not lossy and (
                    unicast
                    or (question.unicast_response and self.recently_multicast(channel, answer, now))
                ):
                    direct.append((answer, extra))  # §5.4, §5.5
                else:
                    multicast.append((answer, extra))
        if direct:
            groups = [((), (answer,), (), extra) for answer, extra in direct]
            self._outbox.send_groups(link, version, groups, destination=source)
        if not multicast:
            return
        if delayed or all(answer.cache_flush for answer, _ in multicast):
            send_at = now  # §6: unique answers go at once (and a TC wait has been served)
        else:
            send_at = self._shared_send_time(channel, now)  # §6: 20–120 ms, §6.4 aggregation
        for answer, extra in multicast:
            self.schedule(channel, answer, extra, send_at, probe=probe)

    def _shared_send_time(self, channel: Channel, now: float) -> float:
        pending = self._pending.get(channel)
        if pending:
            # §6.4: join answers already waiting (within 500 ms) so they leave as one packet.
            waiting = [p.send_at for p in pending.values() if p.send_at >= now]
            if waiting and min(waiting) <= now + AGGREGATION_MAX:
                return min(waiting)
        return now + self._rng.uniform(SHARED_DELAY_MIN, SHARED_DELAY_MAX)

    def _answer_legacy(
        self, message: Message, source: EngineEndpoint, link: Link, version: int
    ) -> None:
        """§6.7: a resolver not on port 5353: one unicast reply, its ID, its questions echoed,
        TTL at most 10 s, no cache-flush bits."""
        if not message.questions:
            return
        view = self._view(link.index)
        answers: list[Record] = []
        for question in message.questions:
            answers.extend(answer_question(question, view))
        if not answers:
            return
        extra = additionals_for(answers, view)
        packer = Packer(
            link.payload_limit(source.address.version),
            id=message.id,
            flags=RESPONSE_FLAGS | (message.flags & Flag.RD),
        )
        packer.add(questions=message.questions)
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
        self._outbox.send(link, version, packer.build(), source)

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
        key = record.key  # hashed several times below: build the tuple once
        table = self._last_multicast.get(channel)
        last = table.get(key) if table else None
        if last is not None:
            gap = PROBE_DEFENCE_RATE_LIMIT if probe else MULTICAST_RATE_LIMIT
            send_at = max(send_at, last + gap)
        pending = self._pending.get(channel)
        if pending is None:
            pending = self._pending[channel] = {}
        self._earliest = min(self._earliest, send_at)
        item = pending.get(key)
        if item is None:
            pending[key] = _Pending(record, send_at, list(extra), probe)
            return
        item.send_at = min(item.send_at, send_at)
        item.probe_defence = item.probe_defence or probe
        if extra:
            have = {r.key for r in item.additionals}
            item.additionals.extend(r for r in extra if r.key not in have)

    def pending(self, channel: Channel) -> bool:
        """Is any answer waiting to be multicast on ``channel``?"""
        return bool(self._pending.get(channel))

    def seen_from_another(self, channel: Channel, record: Record, now: float) -> None:
        """§7.4: another responder multicast ``record``; if ours is pending with a TTL no
        higher than theirs, treat ours as sent."""
        pending = self._pending.get(channel)
        ours = pending.get(record.key) if pending else None
        if (
            pending is not None
            and ours is not None
            and not ours.probe_defence
            and record.ttl >= ours.record.ttl * DUPLICATE_ANSWER_TTL_FRACTION
        ):
            del pending[record.key]
            self._stale = True
            self.mark_multicast(channel, (ours.record,), now)

    def recently_multicast(self, channel: Channel, record: Record, now: float) -> bool:
        """§5.4: multicast on this channel within the last quarter of the record's TTL?"""
        table = self._last_multicast.get(channel)
        last = table.get(record.key) if table else None
        return last is not None and now - last < record.ttl * QU_MULTICAST_FRACTION

    def mark_multicast(self, channel: Channel, records: Iterable[Record], now: float) -> None:
        """Note that ``records`` were multicast on ``channel`` at ``now`` (§5.4, §6.2)."""
        table = self._last_multicast.setdefault(channel, {})
        for record in records:
            table[record.key] = now

    def drop(self, keys: Iterable[RecordKey], *, index: int | None = None) -> None:
        """Cancel pending answers for ``keys`` (withdrawn or replaced records), on one
        interface or all, and take them out of the additionals of the answers that stay:
        sent after the goodbye or the new rdata's announcement, they would bring it back.
        """
        keys = set(keys)
        if not keys:
            return
        self._stale = True
        for (channel_index, _), pending in self._pending.items():
            if index is None or channel_index == index:
                for key in keys & pending.keys():
                    del pending[key]
                for item in pending.values():
                    if any(r.key in keys for r in item.additionals):
                        item.additionals = [r for r in item.additionals if r.key not in keys]

    def forget(self, keys: Iterable[RecordKey]) -> None:
        """Drop the §6.2 bookkeeping for records nobody publishes any more."""
        keys = list(keys)
        for table in self._last_multicast.values():
            for key in keys:
                table.pop(key, None)

    def forget_interface(self, index: int) -> None:
        """The interface went away (or lost its addresses): drop everything queued there."""
        self._stale = True
        for version in (4, 6):
            self._pending.pop((index, version), None)
            self._last_multicast.pop((index, version), None)
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
            self._earliest = min(
                (p.send_at for items in self._pending.values() for p in items.values()),
                default=inf,
            )
            self._stale = False
        earliest = self._earliest
        if self._deferred:
            earliest = min(earliest, *(d.due for d in self._deferred.values()))
        return None if earliest == inf else earliest

    def run(self, now: float) -> None:
        """Answer TC queries whose wait is over, then send every answer that is due."""
        if not self._deferred and self._earliest > now + EPSILON:
            return  # nothing pending is due (_earliest never exceeds the earliest send_at)
        for key, deferred in list(self._deferred.items()):
            if deferred.due > now + EPSILON:
                continue
            del self._deferred[key]
            index, version, source = key
            link = self._links.get(index)
            if link is not None and deferred.questions:
                self._answer(
                    link,
                    version,
                    source,
                    list(deferred.questions),
                    deferred.known,
                    now,
                    unicast=deferred.unicast,
                    probe=False,
                    delayed=True,
                )
        for channel, pending in self._pending.items():
            due = [p for p in pending.values() if p.send_at <= now + EPSILON]
            if not due:
                continue
            self._stale = True
            for item in due:
                del pending[item.record.key]
            link = self._links.get(channel[0])
            if link is None:
                continue
            groups = [((), (item.record,), (), item.additionals) for item in due]
            self._outbox.send_groups(link, channel[1], groups)
            self.mark_multicast(channel, (item.record for item in due), now)
