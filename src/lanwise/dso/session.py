"""A DSO session (RFC 8490), sans-IO: establishment, message rules, Keepalive and timeouts.

The owner feeds received stream bytes to :meth:`DsoSession.receive_data`,
reads events with :meth:`~DsoSession.next_event`, sends with
:meth:`~DsoSession.send_request`, :meth:`~DsoSession.respond` and
:meth:`~DsoSession.send_unidirectional`, and writes out
:meth:`~DsoSession.data_to_send`. Time is an argument: the owner calls
:meth:`~DsoSession.handle_timer` at :meth:`~DsoSession.get_timer`.

What the session enforces (each a test in tests/unit/dso):

- §5.1: a session is established by a DSO request answered NOERROR; before it,
  neither side may send a unidirectional message and the server may send no
  DSO message that is not a response.
- §5.2.2: a response whose ID matches no outstanding request is fatal.
- §5.4: nonzero count fields are answered FORMERR; §5.4.5: an unknown Primary
  TLV is answered DSOTYPENI in a request and is fatal in a unidirectional
  message; unknown Additional TLVs are ignored.
- §6.3: every complete message resets both timers, a Keepalive only the
  keepalive timer; §6.4.1 a pending request or a long-lived operation
  (:attr:`~DsoSession.long_lived`, e.g. a Push subscription) keeps a session
  active.
- §6.4.1, §6.4.2: an idle client closes after the inactivity timeout; a server
  aborts an idle session after twice that or five seconds, whichever is greater.
- §6.5.1: a client sends a Keepalive when the keepalive interval passes with no
  traffic; a server aborts after twice the interval with none. (A client aborts when
  nothing at all has come from the server for twice the interval: its Keepalive
  went unanswered.)
- §6.5.2: a keepalive interval under ten seconds is fatal at the client.
- §6.6.1: after sending Retry Delay a server ignores requests and aborts if the
  client has not closed within five seconds; a client receiving it closes.
- §7.1 to §7.3: Keepalive, Retry Delay and Encryption Padding only where their
  context tables allow.

A message that breaks a rule closes this session only: a request is answered
FORMERR first when its ID can be read; everything else is aborted.
"""

from __future__ import annotations

import enum
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from lanwise.dso.wire import (
    DEFAULT_TIMEOUT_MS,
    ENCRYPTION_PADDING,
    INFINITE,
    KEEPALIVE,
    MIN_KEEPALIVE_MS,
    OPCODE_DSO,
    RCODE_DSOTYPENI,
    RETRY_DELAY,
    DsoFormError,
    DsoMessage,
    Keepalive,
    StreamFramer,
    Tlv,
    decode,
    decode_keepalive,
    decode_retry_delay,
    encode,
    keepalive_tlv,
    opcode_of,
    pad,
    retry_delay_tlv,
)
from lanwise.errors import UsageError

__all__ = [
    "QUERY_PADDING_BLOCK",
    "RESPONSE_PADDING_BLOCK",
    "RETRY_CLOSE_GRACE",
    "SERVER_MIN_IDLE",
    "DnsMessageReceived",
    "DsoEvent",
    "DsoSession",
    "DsoStatistics",
    "RequestReceived",
    "ResponseReceived",
    "RetryDelayReceived",
    "Role",
    "SessionClosed",
    "SessionEstablished",
    "UnidirectionalReceived",
]

_log = logging.getLogger(__name__)

# §6.4.2: a server waits at least five seconds before aborting an idle session.
SERVER_MIN_IDLE = 5.0
RESPONSE_PADDING_BLOCK = 468  # RFC 8467 §4.1: a responder pads to 468 when the query was padded
QUERY_PADDING_BLOCK = 128  # RFC 8467 §4.1: what a client pads its messages to
RETRY_CLOSE_GRACE = 5.0  # §6.6.1: a client gets five seconds to close after Retry Delay
FORMERR = 1
NOERROR = 0


class Role(enum.Enum):
    """Which end of the connection this session is: the client opened it."""

    CLIENT = "client"
    SERVER = "server"


class _State(enum.Enum):
    NEW = "new"  # connected, no DSO request answered NOERROR yet
    PENDING = "pending"  # client: a DSO request is out, no answer yet
    ESTABLISHED = "established"
    CLOSING = "closing"  # server: Retry Delay sent, waiting for the client to close
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class SessionEstablished:
    """The session is established (§5.1); unidirectional messages may flow."""


@dataclass(frozen=True, slots=True)
class RequestReceived:
    """A DSO request of a type the owner handles; answer it with :meth:`DsoSession.respond`."""

    message: DsoMessage


@dataclass(frozen=True, slots=True)
class UnidirectionalReceived:
    """A unidirectional DSO message of a type the owner handles."""

    message: DsoMessage


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    """The response to one of the owner's requests; ``request_type`` is its Primary TLV type."""

    message: DsoMessage
    request_type: int


@dataclass(frozen=True, slots=True)
class DnsMessageReceived:
    """An ordinary DNS message (not opcode DSO) on the session, as received."""

    wire: bytes


@dataclass(frozen=True, slots=True)
class RetryDelayReceived:
    """Client: the server asked it to close and not come back for ``delay_ms`` (§7.2)."""

    rcode: int
    delay_ms: int


@dataclass(frozen=True, slots=True)
class SessionClosed:
    """The session is over. ``aborted``: forcibly (drop the connection now);
    otherwise write out what is left, then close gracefully."""

    reason: str
    aborted: bool


DsoEvent = (
    SessionEstablished
    | RequestReceived
    | UnidirectionalReceived
    | ResponseReceived
    | DnsMessageReceived
    | RetryDelayReceived
    | SessionClosed
)


@dataclass(slots=True)
class DsoStatistics:
    """Counts of one session's messages."""

    received: int = 0
    sent: int = 0
    malformed: int = 0
    keepalives_sent: int = 0


def _seconds(ms: int) -> float | None:
    return None if ms == INFINITE else ms / 1000.0


@dataclass(slots=True)
class DsoSession:
    """One end of a DSO session over a stream, driven by bytes in and time.

    ``keepalive``: for a server, the timeouts it grants; for a client, the ones
    it asks for. ``known_types``: the Primary TLV types the owner handles
    (Keepalive, Retry Delay and Encryption Padding are the session's own).
    ``padding_block``: pad every DSO message sent to this block size (§7.3,
    RFC 8467; only meaningful over TLS). A server without one starts padding to
    468 octets once the client pads (RFC 8467 §4.1).
    """

    role: Role
    now: float
    known_types: frozenset[int] = frozenset()
    keepalive: Keepalive = field(default_factory=Keepalive)
    padding_block: int | None = None
    long_lived: int = 0
    timeouts: Keepalive = field(default_factory=Keepalive, init=False)
    statistics: DsoStatistics = field(default_factory=DsoStatistics, init=False)
    retry_delay_ms: int | None = field(default=None, init=False)
    close_reason: str | None = field(default=None, init=False)
    refusal: tuple[int, int] | None = None
    """Server: (rcode, retry delay ms) to answer the first request with, then close
    (a server over capacity, §6.6.2; Keepalive included)."""
    _state: _State = field(default=_State.NEW, init=False)
    _framer: StreamFramer = field(default_factory=StreamFramer, init=False)
    _events: deque[DsoEvent] = field(default_factory=deque, init=False)
    _out: bytearray = field(default_factory=bytearray, init=False)
    _next_id: int = field(default=1, init=False)
    # Our requests waiting for a response, and the peer's waiting for ours: ID -> type.
    _outstanding: dict[int, int] = field(default_factory=dict, init=False)
    _unanswered: dict[int, int] = field(default_factory=dict, init=False)
    _last_traffic: float = field(default=0.0, init=False)
    _last_activity: float = field(default=0.0, init=False)
    _last_received: float = field(default=0.0, init=False)
    _close_deadline: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.padding_block is not None and self.padding_block <= 0:
            raise UsageError("padding_block", "must be positive", self.padding_block)
        if self.role is Role.SERVER and self.keepalive.keepalive_ms < MIN_KEEPALIVE_MS:
            raise UsageError("keepalive_ms", "must be at least 10000 ms (RFC 8490 §6.5.2)")
        self._last_traffic = self._last_activity = self._last_received = self.now
        # §6.2: until a Keepalive exchange, both timeouts are 15 seconds.
        self.timeouts = Keepalive(DEFAULT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS)

    # -- state ---------------------------------------------------------------

    @property
    def established(self) -> bool:
        """True once a DSO request has been answered NOERROR (§5.1)."""
        return self._state in (_State.ESTABLISHED, _State.CLOSING)

    @property
    def closed(self) -> bool:
        """True when the session is over (see :class:`SessionClosed`)."""
        return self._state is _State.CLOSED

    @property
    def aborted(self) -> bool:
        """True when the session ended forcibly."""
        return self.closed and self._aborted

    _aborted: bool = field(default=False, init=False)

    def next_event(self) -> DsoEvent | None:
        """The next event, or None."""
        return self._events.popleft() if self._events else None

    def data_to_send(self) -> bytes:
        """Everything to write to the stream now."""
        data = bytes(self._out)
        self._out.clear()
        return data

    # -- timers --------------------------------------------------------------

    def _active(self) -> bool:
        # §6.4.1: an operation is active while a request waits for its response or
        # long-lived state exists; a Keepalive exchange is not an operation.
        if self.long_lived > 0:
            return True
        if self.role is Role.CLIENT:
            return any(t != KEEPALIVE for t in self._outstanding.values())
        return any(t != KEEPALIVE for t in self._unanswered.values())

    def _deadlines(self) -> list[tuple[float, str]]:
        out: list[tuple[float, str]] = []
        if self._state is _State.CLOSED:
            return out
        if self._close_deadline is not None:
            out.append((self._close_deadline, "retry"))
        inactivity = _seconds(self.timeouts.inactivity_ms)
        interval = _seconds(self.timeouts.keepalive_ms)
        if self.role is Role.SERVER:
            if inactivity is not None and not self._active():
                # §6.4.2: twice the inactivity timeout, or five seconds if that is longer.
                out.append((self._last_activity + max(SERVER_MIN_IDLE, 2 * inactivity), "idle"))
            if interval is not None:
                # §6.5.1: twice the keepalive interval without any message is delinquent.
                out.append((self._last_traffic + 2 * interval, "keepalive"))
        else:
            if inactivity is not None and not self._active():
                out.append((self._last_activity + inactivity, "idle"))  # §6.4.1
            if interval is not None and self.established:
                if KEEPALIVE not in self._outstanding.values():
                    out.append((self._last_traffic + interval, "keepalive"))  # §6.5.1
                # Not an RFC rule: a server that answers nothing, not even the Keepalive
                # sent after one interval, is taken for gone after two.
                out.append((self._last_received + 2 * interval, "silent"))
        return out

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must next be called; None when no timer runs."""
        deadlines = self._deadlines()
        return min(when for when, _ in deadlines) if deadlines else None

    def handle_timer(self, now: float) -> None:
        """Act on every timer due at ``now``."""
        for when, kind in sorted(self._deadlines()):
            if when > now or self.closed:
                continue
            if kind == "retry":
                self._abort("the client did not close within 5 s of Retry Delay (RFC 8490 §6.6.1)")
            elif kind == "idle" and self.role is Role.SERVER:
                self._abort("idle past twice the inactivity timeout (RFC 8490 §6.4.2)")
            elif kind == "idle":
                self._finish("inactivity timeout (RFC 8490 §6.4.1)")
            elif kind == "silent":
                self._abort("nothing from the server for twice the keepalive interval")
            elif self.role is Role.SERVER:
                self._abort("no message within twice the keepalive interval (RFC 8490 §6.5.1)")
            else:
                self.send_request(keepalive_tlv(self.keepalive), now=now)
                self.statistics.keepalives_sent += 1

    # -- sending -------------------------------------------------------------

    def _touch(self, now: float, primary_type: int | None) -> None:
        self._last_traffic = max(self._last_traffic, now)
        if primary_type != KEEPALIVE:
            self._last_activity = max(self._last_activity, now)

    def _emit(self, message: DsoMessage, now: float, kind: int | None) -> None:
        # ``kind``: the operation's Primary TLV type (a response's is its request's).
        if self.padding_block is not None:
            message = pad(message, self.padding_block)
        self._out += StreamFramer.frame(encode(message))
        self.statistics.sent += 1
        self._touch(now, kind)

    def _check_open(self) -> None:
        if self._state is _State.CLOSED:
            raise UsageError("session", "is closed", self.close_reason)

    def send_request(self, primary: Tlv, additional: Iterable[Tlv] = (), *, now: float) -> int:
        """Send a request that expects a response; returns its MESSAGE ID."""
        self._check_open()
        if self.role is Role.SERVER and not self.established:
            raise UsageError(
                "session", "a server sends no DSO request before establishment (RFC 8490 §5.1)"
            )
        if self._state is _State.CLOSING:
            raise UsageError("session", "no message may follow Retry Delay (RFC 8490 §6.6.1)")
        msg_id = self._new_id()
        self._outstanding[msg_id] = primary.type
        if self._state is _State.NEW:
            self._state = _State.PENDING
        self._emit(DsoMessage(msg_id, False, 0, (primary, *additional)), now, primary.type)
        return msg_id

    def _new_id(self) -> int:
        for _ in range(0x10000):
            msg_id = self._next_id
            self._next_id = self._next_id % 0xFFFF + 1
            if msg_id not in self._outstanding and msg_id not in self.reserved_ids:
                return msg_id
        raise UsageError("session", "all 65535 message IDs are in use")

    reserved_ids: set[int] = field(default_factory=set, init=False)
    """IDs the owner keeps for long-lived state (a client's subscriptions, RFC 8765 §6.2.1)."""

    def send_unidirectional(
        self, primary: Tlv, additional: Iterable[Tlv] = (), *, now: float, rcode: int = 0
    ) -> None:
        """Send a message that gets no response (ID 0); only once established (§5.1)."""
        self._check_open()
        if not self.established:
            raise UsageError(
                "session", "no unidirectional message before establishment (RFC 8490 §5.1)"
            )
        if self._state is _State.CLOSING:
            raise UsageError("session", "no message may follow Retry Delay (RFC 8490 §6.6.1)")
        self._emit(DsoMessage(0, False, rcode, (primary, *additional)), now, primary.type)

    def respond(self, request_id: int, rcode: int, tlvs: Iterable[Tlv] = (), *, now: float) -> None:
        """Answer the peer's request ``request_id``; NOERROR to the first establishes (§5.1)."""
        self._check_open()
        if self._state is _State.CLOSING:
            self._unanswered.pop(request_id, None)
            return  # §6.6.1.1: requests after Retry Delay get no response
        kind = self._unanswered.pop(request_id, None)
        if kind is None:
            raise UsageError("request_id", "is not a request waiting for a response", request_id)
        self._emit(DsoMessage(request_id, True, rcode, tuple(tlvs)), now, kind)
        if rcode == NOERROR and self.role is Role.SERVER and self._state is _State.NEW:
            self._state = _State.ESTABLISHED
            self._events.append(SessionEstablished())

    def send_dns(self, wire: bytes, *, now: float) -> None:
        """Send an ordinary DNS message (a query or a response) on the session."""
        self._check_open()
        self._out += StreamFramer.frame(wire)
        self.statistics.sent += 1
        self._touch(now, None)

    def send_keepalive_update(self, values: Keepalive, *, now: float) -> None:
        """Server: tell the client new timeouts in a unidirectional Keepalive (§7.1)."""
        if self.role is not Role.SERVER:
            raise UsageError(
                "role", "only a server sends a unidirectional Keepalive (RFC 8490 §7.1)"
            )
        if values.keepalive_ms < MIN_KEEPALIVE_MS:
            raise UsageError("keepalive_ms", "must be at least 10000 ms (RFC 8490 §6.5.2)")
        self.send_unidirectional(keepalive_tlv(values), now=now)
        self.timeouts = values

    def retry_delay_close(self, rcode: int, delay_ms: int, *, now: float) -> None:
        """Server: ask the client to close and stay away ``delay_ms`` (§6.6.1, §7.2).

        Before establishment no DSO message may be sent, so the session just closes.
        """
        if self.role is not Role.SERVER:
            raise UsageError("role", "only a server sends Retry Delay (RFC 8490 §7.2)")
        if self._state is _State.CLOSED or self._state is _State.CLOSING:
            return
        if not self.established:
            self._finish("closed before establishment")
            return
        self.send_unidirectional(retry_delay_tlv(delay_ms), now=now, rcode=rcode)
        self._state = _State.CLOSING
        self._close_deadline = now + RETRY_CLOSE_GRACE

    def close(self, reason: str = "closed by this end") -> None:
        """Close gracefully: write out what is pending, then close the stream."""
        self._finish(reason)

    def abort(self, reason: str) -> None:
        """End forcibly (the driver drops the connection at once)."""
        self._abort(reason)

    def connection_lost(self, reason: str = "the peer closed the connection") -> None:
        """The stream ended (EOF or error)."""
        if self._state is not _State.CLOSED:
            self._finish(reason)

    def _finish(self, reason: str) -> None:
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        self.close_reason = reason
        self._events.append(SessionClosed(reason, aborted=False))

    def _abort(self, reason: str) -> None:
        if self._state is _State.CLOSED:
            return
        _log.debug("DSO %s session aborted: %s", self.role.value, reason)
        self._state = _State.CLOSED
        self._aborted = True
        self.close_reason = reason
        self._out.clear()
        self._events.append(SessionClosed(reason, aborted=True))

    # -- receiving -----------------------------------------------------------

    def receive_data(self, data: bytes, *, now: float) -> None:
        """Bytes from the stream; complete messages become events."""
        if self._state is _State.CLOSED:
            return
        for wire in self._framer.feed(data):
            if self.closed:  # an earlier message in this read ended the session
                return
            self.statistics.received += 1
            self._last_received = max(self._last_received, now)
            if opcode_of(wire) != OPCODE_DSO:
                self._touch(now, None)
                self._events.append(DnsMessageReceived(wire))
                continue
            try:
                message = decode(wire)
            except DsoFormError as exc:
                self._malformed(exc, now)
                continue
            primary = message.primary
            if message.response:
                kind = self._outstanding.get(message.id)
            else:
                kind = primary.type if primary is not None else None
            self._touch(now, kind)
            try:
                self._receive(message, now)
            except DsoFormError as exc:
                self._malformed(exc, now)

    def _malformed(self, exc: DsoFormError, now: float) -> None:
        self.statistics.malformed += 1
        if not exc.response and exc.message_id and self._state is not _State.CLOSING:
            # A request whose ID could be read is answered FORMERR (§5.4), then the
            # session ends: a peer that sends malformed DSO is not to be trusted further.
            kind = self._unanswered.pop(exc.message_id, None)
            self._emit(DsoMessage(exc.message_id, True, FORMERR), now, kind)
            self._finish(f"malformed request: {exc.rule}")
        else:
            self._abort(f"malformed message: {exc.rule}")

    def _receive(self, message: DsoMessage, now: float) -> None:
        if message.response:
            self._receive_response(message)
        elif message.id != 0:
            self._receive_request(message, now)
        else:
            self._receive_unidirectional(message)

    def _receive_response(self, message: DsoMessage) -> None:
        request_type = self._outstanding.pop(message.id, None)
        if request_type is None:
            self._abort(f"response {message.id} matches no outstanding request (RFC 8490 §5.2.2)")
            return
        primary = message.primary
        keepalive = request_type == KEEPALIVE and message.rcode == NOERROR
        taken = primary is not None and primary.type == KEEPALIVE
        if keepalive and taken and not self._take_keepalive(primary):  # type: ignore[arg-type]
            return
        if self._state is _State.PENDING:
            if message.rcode == NOERROR:
                self._state = _State.ESTABLISHED
                self._events.append(SessionEstablished())
            elif not any(t for t in self._outstanding.values()):
                self._state = _State.NEW
        if request_type != KEEPALIVE:
            self._events.append(ResponseReceived(message, request_type))

    def _take_keepalive(self, tlv: Tlv) -> bool:
        values = decode_keepalive(tlv)
        if values.keepalive_ms < MIN_KEEPALIVE_MS:
            self._abort(
                f"keepalive interval {values.keepalive_ms} ms is under 10 s (RFC 8490 §6.5.2)"
            )
            return False
        self.timeouts = values
        return True

    def _receive_request(self, message: DsoMessage, now: float) -> None:
        if self._state is _State.CLOSING:
            return  # §6.6.1.1: silently ignored after Retry Delay
        primary = message.primary
        if primary is None:
            raise DsoFormError("a request has no Primary TLV", message.id)
        padded = any(tlv.type == ENCRYPTION_PADDING for tlv in message.additional)
        if padded and self.padding_block is None and self.role is Role.SERVER:
            self.padding_block = RESPONSE_PADDING_BLOCK
        if message.id in self._unanswered:
            self._abort(f"request ID {message.id} is already in use (RFC 8490 §5.2.1)")
            return
        if self.role is Role.CLIENT and not self.established:
            self._abort("the server sent a request before establishment (RFC 8490 §5.1)")
            return
        if self.refusal is not None and self.role is Role.SERVER:
            rcode, delay_ms = self.refusal
            self._unanswered[message.id] = primary.type
            self.respond(message.id, rcode, (retry_delay_tlv(delay_ms),), now=now)
            self._finish(f"refused with rcode {rcode}")
            return
        if primary.type in (RETRY_DELAY, ENCRYPTION_PADDING):
            self._abort(
                f"DSO-TYPE {primary.type} is never a request's Primary TLV (RFC 8490 §7.2, §7.3)"
            )
            return
        if primary.type == KEEPALIVE:
            if self.role is Role.CLIENT:
                self._abort("a server sent a Keepalive request (RFC 8490 §7.1)")
                return
            decode_keepalive(primary)  # FORMERR for a bad length
            self._unanswered[message.id] = KEEPALIVE
            self.timeouts = self.keepalive
            self.respond(message.id, NOERROR, (keepalive_tlv(self.keepalive),), now=now)
            return
        self._unanswered[message.id] = primary.type
        if primary.type not in self.known_types:
            # §5.4.5: an unknown Primary TLV in a request is answered DSOTYPENI.
            self.respond(message.id, RCODE_DSOTYPENI, now=now)
            return
        self._events.append(RequestReceived(message))

    def _receive_unidirectional(self, message: DsoMessage) -> None:
        if not self.established:
            self._abort("a unidirectional message before establishment (RFC 8490 §5.1)")
            return
        primary = message.primary
        if primary is None:
            self._abort("a unidirectional message has no Primary TLV (RFC 8490 §5.4.2)")
            return
        if primary.type == KEEPALIVE:
            if self.role is Role.SERVER:
                self._abort("a client sent a unidirectional Keepalive (RFC 8490 §7.1)")
                return
            self._take_keepalive(primary)
            return
        if primary.type == RETRY_DELAY:
            if self.role is Role.SERVER:
                self._abort("a client sent Retry Delay (RFC 8490 §7.2)")
                return
            self.retry_delay_ms = decode_retry_delay(primary)
            self._events.append(RetryDelayReceived(message.rcode, self.retry_delay_ms))
            self._finish(f"the server sent Retry Delay (rcode {message.rcode})")
            return
        if primary.type == ENCRYPTION_PADDING or primary.type not in self.known_types:
            self._abort(
                f"unidirectional message with unknown Primary TLV {primary.type} (RFC 8490 §5.4.5)"
            )
            return
        if self._state is _State.CLOSING:
            return
        self._events.append(UnidirectionalReceived(message))
