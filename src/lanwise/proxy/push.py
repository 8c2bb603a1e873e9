"""The DNS Push Notification server (RFC 8765) of the Discovery Proxy: DSO over TLS.

``async with PushServer(source, ssl_context, "::", 853) as server: ...``

A thin asyncio driver (one protocol object per connection) over
:class:`~lanwise.proxy.pushconn.PushConnection`: it accepts TCP and applies the
session bounds of :class:`PushLimits` before the TLS handshake (over
``sessions`` in all, or twice ``sessions_per_client`` from one address: reset at
once; over ``sessions_per_client``: TLS, then the first request is answered
REFUSED with a Retry Delay), then moves bytes, timer calls and the source's
change callbacks between the transport and the sans-IO session. Asyncio's TLS
layer holds about 256 KiB per connection, which is what the bounds bound. A
session that breaks the rules is closed alone; a forcible close is a TCP
reset (RFC 8490 §6.4.2 prefers it to TIME-WAIT at the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import struct
import threading
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import dns.name
import dns.rrset

from lanwise.dso.wire import Keepalive
from lanwise.errors import PlatformError, UsageError
from lanwise.proxy.answering import Answerer, ZoneSource
from lanwise.proxy.names import parse_domain
from lanwise.proxy.pushconn import PushConnection, PushLimits

if TYPE_CHECKING:
    from lanwise.proxy.api import DiscoveryProxy, Service

__all__ = [
    "DEFAULT_PUSH_PORT",
    "PUSH_SRV_TTL",
    "PushLimits",
    "PushServer",
    "PushStatistics",
    "push_service",
    "server_ssl_context",
]

_log = logging.getLogger("lanwise.proxy.push")

DEFAULT_PUSH_PORT = (
    853  # RFC 8765 §6.1 starts at the DNS-over-TLS port; the SRV record gives the real one
)
TLS_HANDSHAKE_TIMEOUT = 10.0  # seconds a client has to finish TLS
TLS_SHUTDOWN_TIMEOUT = 5.0  # seconds a closed session waits for the client's close_notify
MAX_WRITE_BUFFER = 1 << 20  # octets queued to a client that does not read before it is dropped
CLOSE_RETRY_DELAY_MS = 10_000  # what clients are told to wait when the server shuts down
_REFUSE_LOG_EVERY = 100
PUSH_SRV_TTL = 120  # seconds: the advertised SRV changes only when the proxy restarts


@dataclass(slots=True)
class PushStatistics:
    """What the server has done since it started."""

    sessions_open: int = 0
    sessions_total: int = 0
    sessions_refused: int = 0
    sessions_aborted: int = 0
    subscriptions: int = 0
    pushes_sent: int = 0
    malformed: int = 0


class PushServer:
    """DNS Push over DSO over TLS for a :class:`ZoneSource`, on one address and port.

    ``ssl_context``: a server context holding the certificate chain and key
    (``ctx.load_cert_chain(cert, key)``, or :func:`server_ssl_context`).
    ``host``: one address or several. ``port`` 0 picks a free port
    (:attr:`port` says which). ``keepalive``: the inactivity timeout and
    keepalive interval the server grants (RFC 8490 §7.1).
    """

    def __init__(
        self,
        source: ZoneSource,
        ssl_context: ssl.SSLContext,
        host: str | Sequence[str] = "::",
        port: int = DEFAULT_PUSH_PORT,
        *,
        limits: PushLimits | None = None,
        keepalive: Keepalive | None = None,
    ) -> None:
        if not isinstance(ssl_context, ssl.SSLContext):
            raise UsageError(
                "ssl_context", "must be an ssl.SSLContext with the server certificate", ssl_context
            )
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise UsageError("port", "must be 0-65535", port)
        self.source = source
        self.answerer = Answerer(source)  # DNS queries on the sessions (from the cache)
        self.ssl_context = ssl_context
        self.host = host
        self._port = port
        self.limits = limits or PushLimits()
        self.keepalive = keepalive or Keepalive(15_000, 60_000)
        self.statistics = PushStatistics()
        self._server: asyncio.Server | None = None
        self._protocols: set[_PushProtocol] = set()
        self._per_client: Counter[str] = Counter()

    @property
    def port(self) -> int:
        """The TCP port listened on (the chosen one when ``port`` was 0)."""
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        """Listen; raises :class:`PlatformError` when the address cannot be bound."""
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: _PushProtocol(self), self.host, self._port, reuse_address=True
            )
        except OSError as exc:
            raise PlatformError(
                f"push: cannot listen on {self.host} port {self._port}: {exc}"
            ) from exc
        _log.info("push: listening on %s port %d", self.host, self.port)

    async def close(self) -> None:
        """Stop listening; ask every client to go (Retry Delay, RFC 8490 §6.6.1), then drop them."""
        if self._server is not None:
            self._server.close()
        now = asyncio.get_running_loop().time()
        for protocol in list(self._protocols):
            protocol.shut_down(now)
        if self._protocols:
            await asyncio.sleep(0.05)  # let the Retry Delay messages go out
        for protocol in list(self._protocols):
            protocol.drop()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> PushServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _admit(self, protocol: _PushProtocol, address: str) -> bool | None:
        """A new connection, before TLS: None to reset it now (the server is full, or
        the client holds twice its bound already); else count it and return True when
        the client is over its bound (its session will be REFUSED)."""
        open_here = self._per_client[address]
        full = len(self._protocols) >= self.limits.sessions
        if full or open_here >= 2 * self.limits.sessions_per_client:
            self.statistics.sessions_refused += 1
            if self.statistics.sessions_refused % _REFUSE_LOG_EVERY == 1:
                _log.warning(
                    "push: reset a connection from %s before TLS: %d sessions open, %d from it "
                    "(limit %s); %d refused so far, 1 in %d logged",
                    address,
                    len(self._protocols),
                    open_here,
                    "sessions" if full else "twice sessions_per_client",
                    self.statistics.sessions_refused,
                    _REFUSE_LOG_EVERY,
                )
            return None
        self._protocols.add(protocol)
        self._per_client[address] += 1
        self.statistics.sessions_open += 1
        self.statistics.sessions_total += 1
        refuse = open_here >= self.limits.sessions_per_client
        if refuse:
            self.statistics.sessions_refused += 1
            if self.statistics.sessions_refused % _REFUSE_LOG_EVERY == 1:
                _log.warning(
                    "push: REFUSED a session from %s: %d sessions open from it "
                    "(limit sessions_per_client); %d refused so far, 1 in %d logged",
                    address,
                    open_here,
                    self.statistics.sessions_refused,
                    _REFUSE_LOG_EVERY,
                )
        return refuse

    def _release(self, protocol: _PushProtocol, address: str, conn: PushConnection | None) -> None:
        """The connection admitted by :meth:`_admit` is gone (called once)."""
        self._protocols.discard(protocol)
        self._per_client[address] -= 1
        if self._per_client[address] <= 0:
            del self._per_client[address]
        self.statistics.sessions_open -= 1
        if conn is not None:
            self.statistics.pushes_sent += conn.pushes_sent
            self.statistics.malformed += conn.session.statistics.malformed
            if conn.session.aborted:
                self.statistics.sessions_aborted += 1
        self._counted()

    def _counted(self) -> None:
        self.statistics.subscriptions = sum(
            len(p.conn.subscriptions) for p in self._protocols if p.conn
        )


class _PushProtocol(asyncio.Protocol):
    """One client connection: TLS, then bytes and timers to a :class:`PushConnection`."""

    def __init__(self, server: PushServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.BaseTransport | None = None
        self.conn: PushConnection | None = None
        self.address = "?"
        self._timer: asyncio.TimerHandle | None = None
        self._wake_pending = False
        self._thread = threading.get_ident()
        self._refused_deadline: float | None = None
        self._refuse = False
        self._admitted = False  # counted by the server, to be released once
        self._done = False
        # Application data can be delivered before start_tls() returns to us.
        self._early: list[bytes] = []
        self._early_eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if peer else "?"
        refuse = self.server._admit(self, self.address)
        if refuse is None:
            _reset(transport)
            self._done = True
            return
        self._admitted, self._refuse = True, refuse
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()  # the ClientHello is for the TLS layer started next
        self.loop.create_task(self._start_tls(transport))

    async def _start_tls(self, raw: asyncio.Transport) -> None:
        try:
            tls = await self.loop.start_tls(
                raw,
                self,
                self.server.ssl_context,
                server_side=True,
                ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT,
                ssl_shutdown_timeout=TLS_SHUTDOWN_TIMEOUT,
            )
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as exc:
            _log.debug("push: TLS with %s failed: %s", self.address, exc)
            _reset(raw)
            self._done = True
            self._release()
            return
        if tls is None or self._done:
            return
        self.transport = tls
        now = self.loop.time()
        refuse = self._refuse
        self.conn = PushConnection(
            self.server.source, self.address, now, self.server.limits, self.server.keepalive,
            refuse=refuse, wake=self._wake, answerer=self.server.answerer,
        )  # fmt: skip
        if refuse:
            self._refused_deadline = (
                now + 5.0
            )  # a refused client gets 5 s to ask and hear the answer
        for data in self._early:
            self.conn.receive(data, now)
        if self._early_eof:
            self.conn.connection_lost()
        self._early.clear()
        self._after(now)

    def data_received(self, data: bytes) -> None:
        if self.conn is None and not self._done and sum(map(len, self._early)) < 65536:
            self._early.append(data)
        elif self.conn is not None and not self._done:
            now = self.loop.time()
            self.conn.receive(data, now)
            self._after(now)

    def eof_received(self) -> bool:
        self._early_eof = self.conn is None
        if self.conn is not None and not self._done:
            self.conn.connection_lost()
            self._after(self.loop.time())
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._done = True
        if self.conn is not None:
            self.conn.connection_lost()
        self._release()

    def _release(self) -> None:
        if self._admitted:
            self._admitted = False
            self.server._release(self, self.address, self.conn)

    def _wake(self) -> None:
        # The source's change callback: flush on this loop's next turn, once.
        if self._wake_pending:
            return
        self._wake_pending = True
        if threading.get_ident() == self._thread:
            self.loop.call_soon(self._on_wake)
        else:
            self.loop.call_soon_threadsafe(self._on_wake)

    def _on_wake(self) -> None:
        self._wake_pending = False
        if self.conn is not None and not self._done:
            now = self.loop.time()
            self.conn.tick(now)
            self._after(now)

    def _on_timer(self) -> None:
        self._timer = None
        if self.conn is None or self._done:
            return
        now = self.loop.time()
        if self._refused_deadline is not None and now >= self._refused_deadline:
            self.conn.session.abort("refused client did not finish in 5 s")
        self.conn.tick(now)
        self._after(now)

    def _after(self, now: float) -> None:
        """Write what the session produced, close if it ended, and set the next timer."""
        conn, transport = self.conn, self.transport
        assert conn is not None and isinstance(transport, asyncio.WriteTransport)
        out = conn.session.data_to_send()
        if out and not conn.session.aborted:
            transport.write(out)
            if transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
                conn.session.abort("the client stopped reading")
        self.server._counted()
        if conn.session.closed:
            self._finish()
            return
        when = conn.session.get_timer()
        if self._refused_deadline is not None:
            when = self._refused_deadline if when is None else min(when, self._refused_deadline)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if when is not None:
            self._timer = self.loop.call_at(max(when, now), self._on_timer)

    def _finish(self) -> None:
        conn, transport = self.conn, self.transport
        assert conn is not None and transport is not None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        conn.close()
        self._done = True
        # The slot is released in connection_lost, not here: a TLS transport closed
        # gracefully lives on (with its buffers) until the peer's close_notify or
        # TLS_SHUTDOWN_TIMEOUT, and a client must not open more while its old ones linger.
        if conn.session.aborted:
            _reset(transport)
        else:
            transport.close()  # TLS close_notify after what is buffered

    def shut_down(self, now: float) -> None:
        """Server shutdown: Retry Delay (RFC 8490 §6.6.1) where the session is established."""
        if self.conn is not None and not self._done:
            self.conn.session.retry_delay_close(0, CLOSE_RETRY_DELAY_MS, now=now)
            self._after(now)

    def drop(self) -> None:
        """Server shutdown: end the connection now."""
        if self.conn is not None and not self._done:
            self.conn.session.abort("server shut down")
            self._finish()
        elif self.transport is not None:
            _reset(self.transport)
            self._done = True
            self._release()


def _reset(transport: asyncio.BaseTransport) -> None:
    # A forcible close: RST instead of FIN, so no TIME-WAIT is left here (RFC 8490 §6.4.2).
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if isinstance(transport, asyncio.WriteTransport):
        transport.abort()
    else:
        transport.close()


def server_ssl_context(cert_file: str | Path, key_file: str | Path) -> ssl.SSLContext:
    """A TLS server context from a PEM certificate chain and its private key;
    :class:`UsageError` naming ``tls_cert``/``tls_key`` when they cannot be read."""
    for field, path in (("tls_cert", cert_file), ("tls_key", key_file)):
        if not Path(path).is_file():
            raise UsageError(field, "must be a readable PEM file", str(path))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 8765 §7.1 and RFC 7525
    try:
        context.load_cert_chain(str(cert_file), str(key_file))
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(
            "tls_cert", f"with tls_key is not a certificate and its key ({exc})"
        ) from None
    return context


def push_service(
    ssl_context: ssl.SSLContext,
    port: int = DEFAULT_PUSH_PORT,
    *,
    host: str | Sequence[str] | None = None,
    srv_target: str | dns.name.Name | None = None,
    limits: PushLimits | None = None,
    keepalive: Keepalive | None = None,
) -> Service:
    """DNS Push for :func:`lanwise.proxy.serve`'s ``services``: a :class:`PushServer`
    on the proxy's records, and ``_dns-push-tls._tcp.<domain>`` SRV in each zone
    (RFC 8765 §6.1) naming ``srv_target`` (default: the proxy's host name in the
    zone, its NS name — the apex unless set otherwise — whose A/AAAA are the
    proxy's addresses) and the port listened on.

    ``host``: where to listen (default: where the proxy's DNS servers listen).
    The certificate must carry the SRV target's name: clients check it.
    """
    target = parse_domain(srv_target, "srv_target") if isinstance(srv_target, str) else srv_target
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise UsageError("port", "must be 0-65535", port)

    @contextlib.asynccontextmanager
    async def run(proxy: DiscoveryProxy) -> AsyncIterator[PushServer]:
        hosts = host if host is not None else sorted({h for h, _port in proxy.addresses}) or "::"
        server = PushServer(
            proxy.source, ssl_context, hosts, port, limits=limits, keepalive=keepalive
        )
        async with server:
            for zone in proxy.zones:
                owner = dns.name.from_text("_dns-push-tls._tcp", origin=zone.domain)
                name = target or zone.ns_name or zone.domain
                srv = dns.rrset.from_text(
                    owner, PUSH_SRV_TTL, "IN", "SRV", f"0 0 {server.port} {name}"
                )
                proxy.add_record(srv)
            yield server

    return run
