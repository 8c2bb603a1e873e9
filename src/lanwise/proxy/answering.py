"""The Discovery Proxy's answers to unicast DNS queries: sans-IO, clock passed in.

:class:`Answerer` takes a query's octets and the time, and gives back either
a :class:`Reply` to send now, a :class:`Pending` answer that must wait for the
link (RFC 8766 §5.6), or None (a response, or octets too short to carry an
ID: dropped, counted). The asyncio servers (:mod:`lanwise.proxy.server`) only
move octets and wait.

The rules, by section:

- RFC 8766 §5.1, §5.4: only names under the proxy's domains and its links'
  reverse zones are answered; anything else is REFUSED. The server is
  authoritative (AA=1) and never recursive (RA=0).
- §5.6 (answer aggregation): records already cached are answered at once; the
  reply also names the question for the server to ask on the link for a few
  seconds (at most once per 10 s per question), since a cache filled by overheard
  announcements may hold only part of a shared set (one publisher's PTR of
  several). Otherwise the link is asked and the answer waits
  until ``wait`` seconds have passed (default 6) — or, for types whose records
  are unique in mDNS (SRV, TXT, A, AAAA, CNAME: one responder owns the whole
  set, RFC 6762 §2; and a reverse-mapping PTR), until the first answer
  arrives. A name with no records is a "no data" answer (NOERROR, SOA in the
  authority section), never NXDOMAIN: it may appear on the link at any moment.
- §5.5.1: TTLs of link records are at most 10 s; negative answers carry the SOA
  with TTL 10 (its MINIMUM, RFC 2308 §3).
- §6: the proxy's own records (:mod:`lanwise.proxy.zones`) are answered at once.
- Zone transfers (AXFR, IXFR) are REFUSED: the zone is the link's live state,
  not a copy to hand out. Opcodes other than QUERY (UPDATE, NOTIFY, …) get
  NOTIMP. A query with other than one question gets FORMERR (RFC 9619).
- Size (RFC 1035 §4.2.1, RFC 6891 §7): a UDP reply fits the query's EDNS
  payload size (at most ``max_udp``), or 512 octets without EDNS. Additional
  records are dropped first (no TC needed, RFC 2181 §9); if the answer still
  does not fit, it is truncated with TC=1 and the client retries over TCP.
- Malformed queries are counted; those whose header can be read get FORMERR
  (a :class:`Reply` marked ``malformed``: a TCP connection ends after it).

Answers given at once are kept, rendered, while the source's
:attr:`~ZoneSource.revision` stays the same: the same query (the same octets
after its ID) is then answered by copying them with the new ID. An answer is
kept while its TTLs stay right (a TTL capped at 10 s is right while its record
has more than 10 s left: :meth:`ZoneSource.cached_until`), at least one second
(then a TTL under the cap is at most one second too long) and at most a minute.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from math import inf
from typing import Final, Protocol

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from lanwise.proxy.source import RecordSource
from lanwise.proxy.zones import Zone

__all__ = [
    "DEFAULT_MAX_UDP",
    "DEFAULT_WAIT",
    "AnswerStatistics",
    "Answerer",
    "Pending",
    "Reply",
    "ZoneSource",
]

DEFAULT_WAIT: Final = 6.0
"""§5.6: how long a query whose answer is not cached waits for the link."""

DEFAULT_MAX_UDP: Final = 1232
"""The largest UDP reply, whatever the client offers: what fits an IPv6 path's
1280-octet minimum MTU without fragments (DNS flag day 2020)."""

_T = dns.rdatatype
_UNIQUE_TYPES: Final = frozenset({_T.SRV, _T.TXT, _T.A, _T.AAAA, _T.CNAME})
_TRANSFER_TYPES: Final = frozenset({_T.AXFR, _T.IXFR})
_META_TYPES: Final = frozenset({_T.OPT, _T.TKEY, _T.TSIG, _T.MAILB, _T.MAILA})
_HEADER: Final = struct.Struct("!HHHHHH")
_QR: Final = 0x8000
_MAX_ADDITIONAL_SETS: Final = 32
_KEEP_FOR: Final = 1.0  # seconds a rendered answer is reused at least (see the module doc)
_KEEP_AT_MOST: Final = 60.0  # and at most
_KEPT_MAX: Final = 4096  # rendered answers kept at most; all dropped when full
REFRESH_EVERY: Final = 10.0
"""Seconds before a question answered from the cache is asked on the link again (the
unicast TTL cap of §5.5.1: a resolver asks again no sooner than that anyway)."""
_REFRESH_MAX: Final = 4096  # questions remembered; past that (a flood of names) none asked
_KEPT_BYTES: Final = 4 << 20  # and their octets at most (TCP answers reach 64 KiB)


class ZoneSource(RecordSource, Protocol):
    """A record source that also says which zone serves a name."""

    def zone_of(self, name: dns.name.Name) -> Zone | None: ...

    def cached_until(self, name: dns.name.Name, rdtype: int) -> tuple[list[dns.rrset.RRset], float]:
        """``cached``, and the time until which those sets stay right unchanged."""
        ...

    @property
    def revision(self) -> object:
        """Equal between two readings unless something :meth:`cached` gives may have changed."""
        ...


@dataclass(slots=True)
class AnswerStatistics:
    """Counters of an :class:`Answerer` (a copy when read from ``statistics()``)."""

    queries: int = 0
    answered: int = 0  # positive answers
    reused: int = 0  # answers copied from a kept rendering (counted in the others too)
    no_data: int = 0  # NOERROR with no answer (§5.6)
    waited: int = 0  # answers that waited for the link (§5.6)
    refused: int = 0  # outside the domains, transfers, other classes
    not_implemented: int = 0  # other opcodes, meta types
    formerr: int = 0  # malformed queries answered with FORMERR
    malformed_dropped: int = 0  # too short or unreadable, dropped
    responses_dropped: int = 0  # QR=1: never answered (no reflection loops)
    truncated: int = 0  # TC=1 over UDP
    additional_dropped: int = 0  # additional records left out to fit


@dataclass(frozen=True, slots=True)
class Reply:
    """Octets to send back now; ``malformed``: the query broke the protocol (FORMERR),
    so a stream carrying it should end after this reply."""

    wire: bytes
    malformed: bool = False
    refresh: tuple[dns.name.Name, int] | None = None
    """A question answered from the link's cache that the link should be asked again now
    (:meth:`Answerer.handle`): the cache may hold only what was overheard (§5.6)."""


@dataclass(slots=True)
class Pending:
    """An answer waiting for the link (§5.6); finish it with :meth:`Answerer.finish`.

    ``name``/``rdtype`` is what to follow on the link (``source.subscribe``)
    while waiting; :meth:`ready` says when to answer.
    """

    query: dns.message.Message
    name: dns.name.Name
    rdtype: int
    started: float
    deadline: float
    unique: bool
    max_size: int
    answered: bool = field(default=False)

    def note_answer(self) -> None:
        """Records arrived on the link for this question."""
        self.answered = True

    def ready(self, now: float) -> bool:
        """True when the answer should go: the wait is over, or a unique set arrived."""
        return now >= self.deadline or (self.unique and self.answered)

    def wake_at(self) -> float:
        """When to look again if nothing arrives."""
        return self.deadline


class Answerer:
    """Answers unicast DNS queries for the zones of ``source`` (see the module doc)."""

    def __init__(
        self,
        source: ZoneSource,
        *,
        wait: float = DEFAULT_WAIT,
        max_udp: int = DEFAULT_MAX_UDP,
    ) -> None:
        self.source = source
        self.wait = wait
        self.max_udp = max(512, max_udp)
        self._stats = AnswerStatistics()
        # Rendered answers by (query octets after the ID, TCP): (octets, revision, until,
        # the question to ask the link again when it is due, for answers from its cache).
        self._kept: dict[bytes, tuple[Reply, object, float, tuple[dns.name.Name, int] | None]] = {}
        self._kept_bytes = 0
        self._until = inf  # while answering: until when what was looked up stays right
        self._asks: tuple[dns.name.Name, int] | None = None  # while answering: see _kept
        self._refreshed: dict[tuple[dns.name.Name, int], float] = {}

    def statistics(self) -> AnswerStatistics:
        """A copy of the counters."""
        s = self._stats
        return AnswerStatistics(
            s.queries,
            s.answered,
            s.reused,
            s.no_data,
            s.waited,
            s.refused,
            s.not_implemented,
            s.formerr,
            s.malformed_dropped,
            s.responses_dropped,
            s.truncated,
            s.additional_dropped,
        )

    # -- a query arrives ----------------------------------------------------------------
    def handle(self, wire: bytes, now: float, *, tcp: bool = False) -> Reply | Pending | None:
        """Answer the query in ``wire`` received at ``now`` over UDP or (``tcp``) TCP."""
        stats = self._stats
        if len(wire) < _HEADER.size:
            stats.malformed_dropped += 1
            return None
        ident, flags = _HEADER.unpack_from(wire)[:2]
        if flags & _QR:
            stats.responses_dropped += 1
            return None
        stats.queries += 1
        key = wire[2:] + (b"T" if tcp else b"U")
        kept = self._kept.get(key)
        if kept is not None:
            rendered, revision, until, asks = kept
            if now < until and revision == self.source.revision:
                stats.reused += 1
                self._count_again(rendered.wire)
                # A reused answer from the link's cache still has the link asked when due.
                refresh = asks if asks is not None and self._refresh_due(asks, now) else None
                return Reply(wire[:2] + rendered.wire[2:], rendered.malformed, refresh)
            del self._kept[key]
            self._kept_bytes -= len(rendered.wire) + len(key)
        revision = self.source.revision
        self._until = inf
        self._asks = None
        result = self._handle(wire, ident, flags, now, tcp)
        if isinstance(result, Reply):
            keep_until = min(now + _KEEP_AT_MOST, max(now + _KEEP_FOR, self._until))
            size = len(result.wire) + len(key)
            if len(self._kept) >= _KEPT_MAX or self._kept_bytes + size > _KEPT_BYTES:
                self._kept.clear()
                self._kept_bytes = 0
            self._kept[key] = (result, revision, keep_until, self._asks)
            self._kept_bytes += size
        return result

    def _count_again(self, rendered: bytes) -> None:
        """Count a reused answer as its first rendering was counted."""
        stats = self._stats
        flags, _, answers = _HEADER.unpack_from(rendered)[1:4]
        rcode = flags & 0xF
        if rcode == dns.rcode.REFUSED:
            stats.refused += 1
        elif rcode == dns.rcode.NOTIMP:
            stats.not_implemented += 1
        elif rcode == dns.rcode.FORMERR:
            stats.formerr += 1
        elif flags & dns.flags.TC:
            stats.truncated += 1
        elif answers:
            stats.answered += 1
        else:
            stats.no_data += 1

    def _handle(
        self, wire: bytes, ident: int, flags: int, now: float, tcp: bool
    ) -> Reply | Pending | None:
        stats = self._stats
        try:
            query = dns.message.from_wire(wire)
        except (dns.exception.DNSException, ValueError, IndexError, UnicodeError):
            stats.formerr += 1
            return self._bare(ident, flags, dns.rcode.FORMERR)
        max_size = 65535 if tcp else self._udp_size(query)
        if query.opcode() != dns.opcode.QUERY:
            stats.not_implemented += 1
            return self._error(query, dns.rcode.NOTIMP, max_size)
        if query.edns > 0:  # RFC 6891 §6.1.3: only EDNS version 0 is known
            stats.formerr += 1
            return self._error(query, dns.rcode.BADVERS, max_size)
        if len(query.question) != 1:
            stats.formerr += 1
            return self._error(query, dns.rcode.FORMERR, max_size)
        question = query.question[0]
        name, rdtype = question.name, question.rdtype
        zone = self.source.zone_of(name)
        if (
            zone is None
            or question.rdclass not in (dns.rdataclass.IN, dns.rdataclass.ANY)
            or rdtype in _TRANSFER_TYPES
        ):
            stats.refused += 1
            return self._error(query, dns.rcode.REFUSED, max_size)
        if rdtype in _META_TYPES:
            stats.not_implemented += 1
            return self._error(query, dns.rcode.NOTIMP, max_size)
        found = self._lookup(name, rdtype)
        if zone.is_own(name, rdtype):
            return self._answer(query, zone, found, max_size)
        if found:
            reply = self._answer(query, zone, found, max_size)
            self._asks = (name, rdtype)
            if self._refresh_due((name, rdtype), now):
                return Reply(reply.wire, reply.malformed, (name, rdtype))
            return reply
        return Pending(
            query,
            name,
            rdtype,
            now,
            now + self.wait,
            # A reverse-mapping PTR is one host's own (RFC 6762 §6), unlike a browse PTR.
            rdtype in _UNIQUE_TYPES or (rdtype == _T.PTR and zone.apex_of(name) != zone.domain),
            max_size,
        )

    def _refresh_due(self, key: tuple[dns.name.Name, int], now: float) -> bool:
        """§5.6: what is cached is answered at once, but a cache filled by overheard
        announcements may hold only part of a shared set (one publisher's PTR of
        several); so the link is asked too, once per REFRESH_EVERY per question."""
        refreshed = self._refreshed
        if refreshed.get(key, -inf) > now - REFRESH_EVERY:
            return False
        if len(refreshed) >= _REFRESH_MAX:
            for old in [k for k, when in refreshed.items() if when <= now - REFRESH_EVERY]:
                del refreshed[old]
            if len(refreshed) >= _REFRESH_MAX:
                return False
        refreshed[key] = now
        return True

    def finish(self, pending: Pending, now: float) -> Reply:
        """The answer to a :class:`Pending` query, from what the link gave meanwhile."""
        self._stats.waited += 1
        name = pending.name
        zone = self.source.zone_of(name)
        if zone is None:  # the zone went away while waiting
            self._stats.refused += 1
            return self._error(pending.query, dns.rcode.REFUSED, pending.max_size)
        found = self._lookup(name, pending.rdtype)
        return self._answer(pending.query, zone, found, pending.max_size)

    def _lookup(self, name: dns.name.Name, rdtype: int) -> list[dns.rrset.RRset]:
        found, until = self.source.cached_until(name, rdtype)
        self._until = min(self._until, until)
        return found

    # -- building replies ------------------------------------------------------------------
    def _udp_size(self, query: dns.message.Message) -> int:
        if query.edns < 0:
            return 512
        return max(512, min(int(query.payload), self.max_udp))

    def _response(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query, our_payload=self.max_udp)
        response.flags |= dns.flags.AA
        response.flags &= ~dns.flags.RA
        return response

    def _answer(
        self,
        query: dns.message.Message,
        zone: Zone,
        found: list[dns.rrset.RRset],
        max_size: int,
    ) -> Reply:
        response = self._response(query)
        if not found:
            self._stats.no_data += 1
            response.authority.append(zone.negative_soa_for(query.question[0].name))
            return Reply(self._render(response, max_size))
        self._stats.answered += 1
        response.answer.extend(found)
        if max_size < 65535:
            # UDP: the answer alone first. If even that does not fit, it goes truncated
            # without the cost of gathering additional records it could never carry.
            try:
                bare = response.to_wire(max_size=max_size)
            except dns.exception.TooBig:
                return Reply(self._render(response, max_size))
            extra = self._additional(found)
            if not extra:
                return Reply(bare)
            response.additional.extend(extra)
            try:
                return Reply(response.to_wire(max_size=max_size))
            except dns.exception.TooBig:
                self._stats.additional_dropped += 1
                return Reply(bare)
        response.additional.extend(self._additional(found))
        return Reply(self._render(response, max_size))

    def _additional(self, answers: list[dns.rrset.RRset]) -> list[dns.rrset.RRset]:
        """RFC 6763 §12: with PTR the instances' SRV and TXT, with SRV the target's
        addresses; only what is cached now (nothing is asked for them)."""
        wanted: list[tuple[dns.name.Name, int]] = []
        for rrset in answers:
            if rrset.rdtype == _T.PTR:
                for rdata in rrset:
                    wanted += [(rdata.target, _T.SRV), (rdata.target, _T.TXT)]
            elif rrset.rdtype == _T.SRV:
                for rdata in rrset:
                    wanted += [(rdata.target, _T.A), (rdata.target, _T.AAAA)]
        extra: list[dns.rrset.RRset] = []
        seen: set[tuple[dns.name.Name, int]] = {(r.name, r.rdtype) for r in answers}
        for name, rdtype in wanted:
            if len(extra) >= _MAX_ADDITIONAL_SETS:
                break
            if (name, rdtype) in seen or not self.source.serves(name):
                continue
            seen.add((name, rdtype))
            found = self._lookup(name, rdtype)
            extra.extend(found)
            if rdtype == _T.SRV:  # and the SRV's own target addresses
                for srv in found:
                    for rdata in srv:
                        wanted += [(rdata.target, _T.A), (rdata.target, _T.AAAA)]
        return extra

    def _render(self, response: dns.message.Message, max_size: int) -> bytes:
        try:
            return response.to_wire(max_size=max_size)
        except dns.exception.TooBig:
            pass
        if response.additional:
            self._stats.additional_dropped += 1
            response.additional = []
            try:
                return response.to_wire(max_size=max_size)
            except dns.exception.TooBig:
                pass
        self._stats.truncated += 1
        response.answer = []
        response.authority = []
        response.flags |= dns.flags.TC
        return response.to_wire(max_size=max_size)

    def _error(self, query: dns.message.Message, rcode: dns.rcode.Rcode, max_size: int) -> Reply:
        response = self._response(query)
        response.set_rcode(rcode)
        if rcode == dns.rcode.REFUSED:
            response.flags &= ~dns.flags.AA  # not authoritative for what it refuses
        return Reply(self._render(response, max_size), rcode == dns.rcode.FORMERR)

    def _bare(self, ident: int, flags: int, rcode: int) -> Reply:
        """A reply to a query whose body could not be read: its header only."""
        opcode_bits = flags & 0x7800
        rd = flags & 0x0100
        header = _HEADER.pack(ident, _QR | opcode_bits | rd | (rcode & 0xF), 0, 0, 0, 0)
        return Reply(header, malformed=True)
