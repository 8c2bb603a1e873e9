"""One DNS Push session at the server (RFC 8765), sans-IO, over a :class:`DsoSession`.

It turns SUBSCRIBE into a :meth:`RecordSource.subscribe` and answers NOERROR,
then PUSHes what the source has cached (§6.3: an initial PUSH right after the
response) and every later change. UNSUBSCRIBE drops the subscription (one
that matches none is ignored, §6.4.1); RECONFIRM is passed to the source when
it can reconfirm (§6.5), within a per-session budget. Errors, each with a Retry Delay TLV (§6.2.2):

- NOTAUTH for a name the source does not serve; REFUSED for a class other
  than IN or ANY, and when the session's subscription bound is reached;
- a duplicate SUBSCRIBE is fatal (§6.2.1): the session is aborted.

Changes from the source are queued by the callback (any thread may call it
through the driver) and turned into PUSH messages by :meth:`flush`; one
change seen by two subscriptions is pushed once (§6.3.1). A removed RRset the
source no longer holds is sent as one collective removal (TTL 0xFFFFFFFE),
otherwise record by record (TTL 0xFFFFFFFF). Ordinary DNS queries on the
session get what a TCP query gets from the proxy's :class:`Answerer` (opcode,
class and zone checks, SOA on empty answers, FORMERR ending the session), from
the cache at once: a session cannot wait for the link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from lanwise.dso.push import (
    ANY,
    RECONFIRM,
    SUBSCRIBE,
    UNSUBSCRIBE,
    Change,
    Question,
    additions,
    decode_reconfirm,
    decode_subscribe,
    decode_unsubscribe,
    push_tlvs,
    removals,
)
from lanwise.dso.session import (
    DnsMessageReceived,
    DsoSession,
    RequestReceived,
    Role,
    SessionClosed,
    SessionEstablished,
    UnidirectionalReceived,
)
from lanwise.dso.wire import DsoFormError, Keepalive, retry_delay_tlv
from lanwise.proxy.answering import Answerer, Pending, ZoneSource
from lanwise.proxy.source import Unsubscribe

__all__ = [
    "DEFAULT_SESSIONS",
    "DEFAULT_SESSIONS_PER_CLIENT",
    "DEFAULT_SUBSCRIPTIONS",
    "PushConnection",
    "PushLimits",
]

_log = logging.getLogger("lanwise.proxy.push")

NOERROR, FORMERR, SERVFAIL, REFUSED, NOTAUTH = 0, 1, 2, 5, 9
EDNS_TCP_KEEPALIVE = 11  # RFC 7828 option code
# RFC 8765 §6.2.2: recommended Retry Delay per error (milliseconds).
RETRY_FORMERR_MS = 5 * 60_000
RETRY_REFUSED_MS = 5 * 60_000
RETRY_NOTAUTH_MS = 5 * 60_000
DEFAULT_SESSIONS_PER_CLIENT = 16
DEFAULT_SESSIONS = 512
DEFAULT_SUBSCRIPTIONS = 512


@dataclass(frozen=True, slots=True)
class PushLimits:
    """Bounds that keep one client from exhausting the server.

    ``sessions_per_client``: open sessions from one IP address; the next ones
    are answered REFUSED with Retry Delay and closed, and past twice this bound
    the client's connections are reset before TLS. ``sessions``: open sessions
    in all; past it a connection is reset before TLS. ``subscriptions_per_session``:
    the next SUBSCRIBE is answered REFUSED (RFC 8765 §6.2.2).
    ``retry_delay_ms``: what a refused client is told to wait.
    ``reconfirm_burst`` / ``reconfirm_rate``: RECONFIRMs of one session passed to the
    source (a token bucket, per second); more are ignored and counted (RFC 8765 §6.5
    leaves to the server what it does with one; each costs queries on the link).
    """

    sessions_per_client: int = DEFAULT_SESSIONS_PER_CLIENT
    sessions: int = DEFAULT_SESSIONS
    subscriptions_per_session: int = DEFAULT_SUBSCRIPTIONS
    retry_delay_ms: int = 60_000
    reconfirm_burst: int = 8
    reconfirm_rate: float = 1.0


@dataclass(slots=True)
class _Subscription:
    question: Question
    unsubscribe: Unsubscribe


@dataclass(slots=True)
class PushConnection:
    """The server side of one DNS Push session; the driver moves bytes and time.

    ``refuse``: the client is over its session bound; its first request is
    answered REFUSED with Retry Delay and the session closes. ``answerer``: what
    answers DNS queries on the session (default: one of its own on ``source``).
    """

    source: ZoneSource
    peer: str
    now: float
    limits: PushLimits = field(default_factory=PushLimits)
    keepalive: Keepalive = field(default_factory=lambda: Keepalive(15_000, 60_000))
    refuse: bool = False
    wake: Callable[[], None] = lambda: None
    answerer: Answerer | None = None
    session: DsoSession = field(init=False)
    subscriptions: dict[int, _Subscription] = field(default_factory=dict)
    pushes_sent: int = 0
    reconfirms_ignored: int = 0  # over the session's RECONFIRM budget
    _reconfirm_tokens: float = field(init=False, default=0.0)
    _reconfirm_at: float = field(init=False, default=0.0)
    _pending: list[tuple[Sequence[dns.rrset.RRset], Sequence[dns.rrset.RRset]]] = field(
        default_factory=list
    )

    def __post_init__(self) -> None:
        self.session = DsoSession(
            Role.SERVER,
            self.now,
            known_types=frozenset({SUBSCRIBE, UNSUBSCRIBE, RECONFIRM}),
            keepalive=self.keepalive,
        )
        if self.answerer is None:
            self.answerer = Answerer(self.source)
        self._reconfirm_tokens = float(self.limits.reconfirm_burst)
        self._reconfirm_at = self.now
        if self.refuse:  # the driver logged why
            self.session.refusal = (REFUSED, self.limits.retry_delay_ms)

    # -- input ---------------------------------------------------------------

    def receive(self, data: bytes, now: float) -> None:
        """Bytes from the client."""
        self.session.receive_data(data, now=now)
        self._process(now)

    def tick(self, now: float) -> None:
        """Timers and queued changes at ``now``."""
        self.flush(now)
        self.session.handle_timer(now)
        self._process(now)

    def connection_lost(self) -> None:
        """The stream ended."""
        self.session.connection_lost()
        self._process(0.0)

    def _process(self, now: float) -> None:
        while (event := self.session.next_event()) is not None:
            if self.session.closed and not isinstance(event, SessionClosed):
                continue  # a later message in the same read ended the session
            if isinstance(event, RequestReceived):
                self._request(event, now)
            elif isinstance(event, UnidirectionalReceived):
                self._unidirectional(event, now)
            elif isinstance(event, DnsMessageReceived):
                self._dns(event.wire, now)
            elif isinstance(event, SessionEstablished):
                if self.session.timeouts != self.keepalive:
                    # RFC 8490 §7.1: the server states its timeouts in a unidirectional Keepalive.
                    self.session.send_keepalive_update(self.keepalive, now=now)
            elif isinstance(event, SessionClosed):
                _log.debug("push session from %s closed: %s", self.peer, event.reason)
                self.close()

    def close(self) -> None:
        """Cancel every subscription at the source (the session is over)."""
        subs = list(self.subscriptions.values())
        self.subscriptions.clear()
        self.session.long_lived = 0
        self._pending.clear()
        for sub in subs:
            try:
                sub.unsubscribe()
            except Exception:
                _log.exception("push: unsubscribing %s failed", sub.question.name)

    # -- requests ------------------------------------------------------------

    def _error(self, msg_id: int, rcode: int, delay_ms: int, now: float) -> None:
        self.session.respond(msg_id, rcode, (retry_delay_tlv(delay_ms),), now=now)

    def _request(self, event: RequestReceived, now: float) -> None:
        message = event.message
        primary = message.primary
        assert primary is not None
        if primary.type != SUBSCRIBE:
            # UNSUBSCRIBE and RECONFIRM are unidirectional only (RFC 8765 §6.4.1, §6.5.1).
            self.session.abort(f"DSO-TYPE {primary.type} sent as a request")
            return
        try:
            question = decode_subscribe(primary)
        except DsoFormError as exc:
            self._error(message.id, FORMERR, RETRY_FORMERR_MS, now)
            self.session.close(f"malformed SUBSCRIBE: {exc.rule}")
            return
        key = question.key()
        if message.id in self.subscriptions or any(
            s.question.key() == key for s in self.subscriptions.values()
        ):
            self.session.abort(f"duplicate SUBSCRIBE for {question.name} (RFC 8765 §6.2.1)")
            return
        if question.rdclass not in (dns.rdataclass.IN, ANY):
            self._error(message.id, REFUSED, RETRY_REFUSED_MS, now)
            return
        if not self.source.serves(question.name):
            self._error(message.id, NOTAUTH, RETRY_NOTAUTH_MS, now)
            return
        if len(self.subscriptions) >= self.limits.subscriptions_per_session:
            _log.warning(
                "push: REFUSED SUBSCRIBE %s from %s: %d subscriptions on the session "
                "(limit subscriptions_per_session)",
                question.name,
                self.peer,
                len(self.subscriptions),
            )
            self._error(message.id, REFUSED, self.limits.retry_delay_ms, now)
            return
        rdtype = question.rdtype
        cached = self.source.cached(question.name, rdtype)
        try:
            unsubscribe = self.source.subscribe(question.name, rdtype, self._on_change)
        except Exception:
            _log.exception("push: subscribing to %s failed", question.name)
            self._error(message.id, SERVFAIL, 60_000, now)
            return
        self.subscriptions[message.id] = _Subscription(question, unsubscribe)
        self.session.long_lived = len(self.subscriptions)
        self.session.respond(message.id, NOERROR, now=now)
        # RFC 8765 §6.3: what is known now follows the response at once.
        initial = [change for rrset in cached for change in additions(rrset)]
        self._send_changes(initial, now)

    def _reconfirm_allowed(self, now: float) -> bool:
        limits = self.limits
        elapsed = max(0.0, now - self._reconfirm_at)
        self._reconfirm_at = max(self._reconfirm_at, now)
        self._reconfirm_tokens = min(
            float(limits.reconfirm_burst),
            self._reconfirm_tokens + elapsed * limits.reconfirm_rate,
        )
        if self._reconfirm_tokens < 1.0:
            self.reconfirms_ignored += 1
            return False
        self._reconfirm_tokens -= 1.0
        return True

    def _unidirectional(self, event: UnidirectionalReceived, now: float) -> None:
        primary = event.message.primary
        assert primary is not None
        try:
            if primary.type == UNSUBSCRIBE:
                sub = self.subscriptions.pop(decode_unsubscribe(primary), None)
                self.session.long_lived = len(self.subscriptions)
                if sub is not None:  # RFC 8765 §6.4.1: no match is silently ignored
                    sub.unsubscribe()
            elif primary.type == RECONFIRM:
                name, _rdclass, rdata = decode_reconfirm(primary)
                _log.info(
                    "push: %s disputes %s %s %s",
                    self.peer,
                    name,
                    dns.rdatatype.to_text(rdata.rdtype),
                    rdata,
                )
                reconfirm = getattr(self.source, "reconfirm", None)
                if (
                    callable(reconfirm)
                    and self.source.serves(name)
                    and self._reconfirm_allowed(now)
                ):
                    reconfirm(name, rdata.rdtype, rdata)
            else:
                self.session.abort(f"a client sent DSO-TYPE {primary.type} (RFC 8765 §6.3)")
        except DsoFormError as exc:
            self.session.abort(f"malformed {primary.type:#06x}: {exc.rule}")

    def _dns(self, wire: bytes, now: float) -> None:
        if len(wire) > 2 and wire[2] & 0x80:
            self.session.abort("a DNS response from the client")
            return
        if self.session.established:
            try:
                query = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                pass  # the answerer gives it FORMERR
            else:
                if any(o.otype == EDNS_TCP_KEEPALIVE for o in query.options):
                    # RFC 8490 §7.1.2: the DSO Keepalive replaces it; in a session it is fatal.
                    self.session.abort("edns-tcp-keepalive in a DSO session (RFC 8490 §7.1.2)")
                    return
        assert self.answerer is not None
        # The same rules as a query over TCP (RFC 8490 §5.4: DNS messages may share the
        # stream); answered from the cache at once, the session cannot wait for the link.
        result = self.answerer.handle(wire, now, tcp=True)
        if isinstance(result, Pending):
            result = self.answerer.finish(result, now)
        if result is None or result.malformed:
            self.session.statistics.malformed += 1
            if result is not None:
                self.session.send_dns(result.wire, now=now)
            self.session.close("malformed DNS message")
            return
        self.session.send_dns(result.wire, now=now)

    # -- changes -------------------------------------------------------------

    def _on_change(
        self, added: Sequence[dns.rrset.RRset], removed: Sequence[dns.rrset.RRset]
    ) -> None:
        # Called by the source, perhaps while another subscription's change is being
        # delivered: only queue here; flush() runs on the driver's turn.
        if self.session.closed:
            return
        self._pending.append((added, removed))
        self.wake()

    def flush(self, now: float) -> None:
        """Send what the source changed since the last flush, as few PUSH messages as fit."""
        if not self._pending or self.session.closed:
            self._pending.clear()
            return
        pending, self._pending = self._pending, []
        changes: list[Change] = []
        for added, removed in pending:
            for rrset in removed:
                whole = not any(
                    r.rdtype == rrset.rdtype for r in self.source.cached(rrset.name, rrset.rdtype)
                )
                changes.extend(removals(rrset, whole=whole))
            for rrset in added:
                changes.extend(additions(rrset))
        self._send_changes(changes, now)

    def _send_changes(self, changes: list[Change], now: float) -> None:
        # One change seen by two subscriptions is pushed once (§6.3.1), but in order:
        # a change is left out only when the last one sent for the same record says the
        # same (add X, remove X, add X in one flush must leave the client holding X).
        last: dict[dns.name.Name, dict[tuple[int, int, bytes | None], int]] = {}
        unique: list[Change] = []
        for change in changes:
            if not any(
                s.question.matches(change.name, change.rdtype, change.rdclass)
                for s in self.subscriptions.values()
            ):
                continue  # the subscription went away while the change was queued
            at_name = last.setdefault(change.name.canonicalize(), {})
            digest = None if change.rdata is None else change.rdata.to_digestable()
            key = (change.rdtype, change.rdclass, digest)
            if digest is None:  # a collective removal: the name's earlier changes are moot
                if at_name == {key: change.ttl}:
                    continue
                at_name.clear()
            else:
                for other in [k for k in at_name if k[2] is None]:
                    del at_name[other]
                if at_name.get(key) == change.ttl:
                    continue
            at_name[key] = change.ttl
            unique.append(change)
        if not unique or not self.session.established or self.session.closed:
            return
        for tlv in push_tlvs(unique):
            self.session.send_unidirectional(tlv, now=now)
            self.pushes_sent += 1
