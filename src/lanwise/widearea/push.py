"""DNS Push Notification client (RFC 8765): follow records over a DSO session on TLS.

:class:`PushState` is sans-IO: a client :class:`~lanwise.dso.session.DsoSession`,
the subscriptions and the records PUSHed for them (§6.3.1: additions with
their TTL, single and collective removals; notifications no subscription
asked for are ignored). :class:`PushSubscriber` drives it over asyncio and
TLS; :func:`find_push_server` looks up ``_dns-push-tls._tcp.<domain>`` SRV
(§6.1) through the normal resolver and the target's addresses.

TLS: the server certificate is verified against the SRV target's host name,
with the system trust store unless an ``ssl.SSLContext`` (or a CA file, see
:func:`push_ssl_context`) is given. There is no opportunistic mode: a
certificate that does not verify fails the session, and the browser polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from lanwise.dso.push import (
    ANY,
    PUSH,
    REMOVE_COLLECTIVE,
    REMOVE_RECORD,
    Change,
    Question,
    decode_push,
    subscribe_tlv,
    unsubscribe_tlv,
)
from lanwise.dso.session import (
    QUERY_PADDING_BLOCK,
    DsoSession,
    RequestReceived,
    ResponseReceived,
    RetryDelayReceived,
    Role,
    SessionClosed,
    UnidirectionalReceived,
)
from lanwise.dso.wire import DsoFormError, Keepalive
from lanwise.errors import LanwiseError, UsageError
from lanwise.widearea.client import DnsClient, ServerAddress
from lanwise.widearea.errors import DnsServerError

__all__ = [
    "PUSH_SERVICE",
    "PushError",
    "PushServer",
    "PushState",
    "PushSubscriber",
    "find_push_server",
    "push_ssl_context",
]

_log = logging.getLogger(__name__)

PUSH_SERVICE = "_dns-push-tls._tcp"  # RFC 8765 §6.1, §10.1
CONNECT_TIMEOUT = 5.0  # seconds for TCP and TLS together
# What the client asks for (RFC 8490 §7.1): a long inactivity timeout, keepalive every 60 s
# (the server decides; lanwise's server grants a 60 s interval, so a dead server is noticed
# in at most 60 s by the keepalive and at once by a closed connection).
CLIENT_KEEPALIVE = Keepalive(inactivity_ms=60_000, keepalive_ms=60_000)

_RecordKey = tuple[dns.name.Name, int]


class PushError(LanwiseError):
    """A Push session could not be set up or ended; ``retry_delay`` (seconds) is the
    server's Retry Delay when it gave one; ``advertised`` is False when the domain
    has no Push server at all (nothing went wrong)."""

    def __init__(
        self, reason: str, retry_delay: float | None = None, *, advertised: bool = True
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_delay = retry_delay
        self.advertised = advertised


@dataclass(frozen=True, slots=True)
class PushServer:
    """Where a domain's Push server is: the SRV target, its port and addresses."""

    host: dns.name.Name
    port: int
    addresses: tuple[str, ...]

    @property
    def server_hostname(self) -> str:
        """The name the certificate must carry."""
        return self.host.to_text(omit_final_dot=True)


@dataclass(slots=True)
class PushState:
    """Sans-IO client state: subscriptions and the records they have been told about."""

    now: float
    session: DsoSession = field(init=False)
    subscriptions: dict[int, Question] = field(default_factory=dict)
    acknowledged: dict[int, int] = field(default_factory=dict)  # SUBSCRIBE ID -> response rcode
    acknowledged_at: dict[int, float] = field(default_factory=dict)  # SUBSCRIBE ID -> when
    records: dict[_RecordKey, dict[bytes, tuple[dns.rdata.Rdata, int]]] = field(
        default_factory=dict
    )
    changes: int = 0  # bumps on every applied PUSH

    def __post_init__(self) -> None:
        # Padded to 128-octet blocks (RFC 8490 §7.3, RFC 8467 §4.1): Push always runs on TLS.
        self.session = DsoSession(
            Role.CLIENT,
            self.now,
            known_types=frozenset({PUSH}),
            keepalive=CLIENT_KEEPALIVE,
            padding_block=QUERY_PADDING_BLOCK,
        )

    def subscribe(self, question: Question, now: float) -> int:
        """Send SUBSCRIBE; returns its MESSAGE ID (kept in use until unsubscribed, §6.2.1)."""
        if any(q.key() == question.key() for q in self.subscriptions.values()):
            raise UsageError(
                "question", "is already subscribed on this session (RFC 8765 §6.2.1)", question
            )
        msg_id = self.session.send_request(subscribe_tlv(question), now=now)
        self.session.reserved_ids.add(msg_id)
        self.subscriptions[msg_id] = question
        self.session.long_lived = len(self.subscriptions)
        return msg_id

    def unsubscribe(self, msg_id: int, now: float) -> None:
        """Send UNSUBSCRIBE for the subscription ``msg_id`` and forget its records."""
        question = self.subscriptions.pop(msg_id, None)
        if question is None:
            return
        self.session.reserved_ids.discard(msg_id)
        self.session.long_lived = len(self.subscriptions)
        if self.session.established and not self.session.closed:
            self.session.send_unidirectional(unsubscribe_tlv(msg_id), now=now)
        for key in [k for k in self.records if question.matches(k[0], k[1], dns.rdataclass.IN)]:
            if not any(
                q.matches(key[0], key[1], dns.rdataclass.IN) for q in self.subscriptions.values()
            ):
                del self.records[key]

    def lookup(self, name: dns.name.Name, rdtype: int) -> list[tuple[Any, int]]:
        """The records (and TTLs) pushed for (name, type); rdata of the type's class."""
        return list(self.records.get((name, rdtype), {}).values())

    def receive(self, data: bytes, now: float) -> None:
        """Bytes from the server."""
        self.session.receive_data(data, now=now)
        self.process(now)

    def process(self, now: float) -> None:
        """Handle the session's events."""
        while (event := self.session.next_event()) is not None:
            if isinstance(event, ResponseReceived):
                msg_id = event.message.id
                if msg_id in self.subscriptions:
                    self.acknowledged[msg_id] = event.message.rcode
                    self.acknowledged_at[msg_id] = now
                    if event.message.rcode != 0:
                        self.subscriptions.pop(msg_id, None)
                        self.session.reserved_ids.discard(msg_id)
                        self.session.long_lived = len(self.subscriptions)
                    self.changes += 1
            elif isinstance(event, RequestReceived):
                # RFC 8765 §6.3.1: a PUSH has MESSAGE ID zero; the server sends no requests.
                self.session.abort(
                    f"a request from the server (MESSAGE ID {event.message.id}, RFC 8765 §6.3.1)"
                )
            elif isinstance(event, UnidirectionalReceived):
                primary = event.message.primary
                assert primary is not None
                try:
                    self._apply(decode_push(event.message, primary))
                except DsoFormError as exc:
                    self.session.abort(f"malformed PUSH: {exc.rule}")  # RFC 8765 §6.3.1: fatal
            elif isinstance(event, (RetryDelayReceived, SessionClosed)):
                self.changes += 1

    def _apply(self, changes: Sequence[Change]) -> None:
        for change in changes:
            if not any(
                q.matches(change.name, change.rdtype or ANY, change.rdclass)
                for q in self.subscriptions.values()
            ):
                continue  # §6.3.1: may be in flight after UNSUBSCRIBE; ignored
            if change.ttl == REMOVE_COLLECTIVE:
                for key in list(self.records):
                    if key[0] == change.name and (
                        change.rdtype in (ANY, 0) or key[1] == change.rdtype
                    ):
                        del self.records[key]
                continue
            assert change.rdata is not None
            key = (change.name, change.rdtype)
            digest = change.rdata.to_digestable()
            if change.ttl == REMOVE_RECORD:
                held = self.records.get(key)
                if held is not None:
                    held.pop(digest, None)
                    if not held:
                        del self.records[key]
            else:
                self.records.setdefault(key, {})[digest] = (change.rdata, change.ttl)
        self.changes += 1


def push_ssl_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """A client TLS context that verifies the server: against ``ca_file`` when
    given, else the system trust store."""
    if ca_file is None:
        return ssl.create_default_context()
    path = Path(ca_file)
    if not path.is_file():
        raise UsageError("push_ca", "must be a readable PEM file of CA certificates", str(ca_file))
    try:
        return ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError) as exc:
        raise UsageError("push_ca", f"is not a PEM CA file ({exc})", str(ca_file)) from None


async def find_push_server(
    client: DnsClient, domain: dns.name.Name, servers: Sequence[ServerAddress]
) -> PushServer | None:
    """The Push server ``_dns-push-tls._tcp.<domain>`` SRV names, or None when there is none."""
    name = dns.name.from_text(PUSH_SERVICE, origin=domain)
    zone = domain.to_text(omit_final_dot=True)
    try:
        reply, _server = await client.query(name, dns.rdatatype.SRV, servers, zone=zone)
    except DnsServerError as exc:
        _log.debug("push: no SRV for %s: %s", name, exc)
        return None
    srvs = [
        rdata
        for rrset in reply.answer
        if rrset.name == name and rrset.rdtype == dns.rdatatype.SRV
        for rdata in rrset
    ]
    if not srvs or srvs[0].target == dns.name.root:
        return None
    best = min(srvs, key=lambda r: (r.priority, -r.weight))
    addresses: list[str] = []
    for rdtype in (dns.rdatatype.AAAA, dns.rdatatype.A):
        try:
            reply, _server = await client.query(best.target, rdtype, servers, zone=zone)
        except DnsServerError:
            continue
        for rrset in reply.answer:
            if rrset.name == best.target and rrset.rdtype == rdtype:
                addresses.extend(rdata.address for rdata in rrset)
    if not addresses:
        _log.info("push: %s has no address", best.target)
        return None
    return PushServer(best.target, int(best.port), tuple(addresses))


class PushSubscriber:
    """A DNS Push session over TLS; subscribe, then wait for :attr:`state` to change.

    ``async with await PushSubscriber.connect(server, ssl_context) as push: ...``
    """

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        loop = asyncio.get_running_loop()
        self.state = PushState(loop.time())
        self.peer = peer
        self._reader = reader
        self._writer = writer
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"lanwise-push-{peer}")

    @classmethod
    async def connect(
        cls,
        server: PushServer,
        ssl_context: ssl.SSLContext | None = None,
        *,
        timeout: float = CONNECT_TIMEOUT,
    ) -> PushSubscriber:
        """Open TLS to the first of the server's addresses that answers."""
        context = ssl_context or push_ssl_context()
        last: Exception | None = None
        for address in server.addresses:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(
                        address, server.port, ssl=context, server_hostname=server.server_hostname
                    ),
                    timeout,
                )
            except (OSError, ssl.SSLError, TimeoutError) as exc:
                last = exc
                continue
            return cls(reader, writer, f"{address} port {server.port}")
        raise PushError(f"cannot open TLS to {server.server_hostname} port {server.port}: {last}")

    @property
    def closed(self) -> bool:
        """True when the session is over."""
        return self.state.session.closed

    def _flush(self) -> None:
        data = self.state.session.data_to_send()
        if data and not self.state.session.aborted:
            self._writer.write(data)

    def subscribe_nowait(self, question: Question) -> int:
        """Send SUBSCRIBE and return; the answer shows in :attr:`PushState.acknowledged`."""
        if self.closed:
            raise PushError(
                f"push session to {self.peer} is closed: {self.state.session.close_reason}"
            )
        msg_id = self.state.subscribe(question, asyncio.get_running_loop().time())
        self._flush()
        self._changed.set()
        return msg_id

    async def subscribe(self, question: Question, timeout: float = CONNECT_TIMEOUT) -> int:
        """SUBSCRIBE and wait for NOERROR; :class:`PushError` for another answer."""
        msg_id = self.subscribe_nowait(question)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while msg_id not in self.state.acknowledged:
            if self.closed:
                raise PushError(
                    f"push session to {self.peer} closed: {self.state.session.close_reason}",
                    self._retry(),
                )
            if not await self.wait_changed(deadline - loop.time()):
                raise PushError(f"no SUBSCRIBE response from {self.peer} in {timeout} s")
        rcode = self.state.acknowledged[msg_id]
        if rcode != 0:
            raise PushError(f"{self.peer} answered SUBSCRIBE {question.name} with rcode {rcode}")
        return msg_id

    def unsubscribe(self, msg_id: int) -> None:
        """Cancel one subscription."""
        if not self.closed:
            self.state.unsubscribe(msg_id, asyncio.get_running_loop().time())
            self._flush()

    def _retry(self) -> float | None:
        ms = self.state.session.retry_delay_ms
        return None if ms is None else ms / 1000.0

    async def wait_changed(self, timeout: float | None = None) -> bool:
        """Wait until records, answers or the session change; False on timeout."""
        if timeout is not None and timeout <= 0:
            return False
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        self._changed.clear()
        return True

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        session = self.state.session
        try:
            while not session.closed:
                timer = session.get_timer()
                timeout = None if timer is None else max(0.0, timer - loop.time())
                try:
                    data = await asyncio.wait_for(self._reader.read(65536), timeout)
                except TimeoutError:
                    data = None
                except (OSError, ssl.SSLError) as exc:
                    session.connection_lost(f"reading failed: {exc}")
                    data = None
                now = loop.time()
                if data == b"":
                    session.connection_lost()
                elif data:
                    self.state.receive(data, now)
                session.handle_timer(now)
                self.state.process(now)
                self._flush()
                self._changed.set()
        except Exception as exc:  # the session ends, so its user falls back (to polling)
            _log.exception("push: the session to %s failed", self.peer)
            session.abort(f"the session failed: {exc!r}")
        finally:
            self._changed.set()
            if session.aborted:
                self._writer.transport.abort()
            else:
                self._writer.close()

    async def aclose(self) -> None:
        """Close the session gracefully."""
        if not self.closed:
            self.state.session.close()
            self.state.process(asyncio.get_running_loop().time())
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
            self._writer.close()
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)

    async def __aenter__(self) -> PushSubscriber:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
