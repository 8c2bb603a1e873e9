"""The Discovery Proxy's unicast DNS servers: UDP and TCP on asyncio.

They move octets between sockets and the sans-IO :class:`~lanwise.proxy.answering.Answerer`,
apply the per-client limits, and wait for the link when an answer is pending
(RFC 8766 §5.6). TCP follows RFC 7766: two-octet length framing, several
queries per connection, answered as each is ready (pipelined, possibly out of
order, §6.2.1.1), idle connections closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from math import isfinite
from typing import Any, Final, cast

import dns.name
import dns.rrset

from lanwise.errors import PlatformError, UsageError
from lanwise.proxy.answering import Answerer, Pending, Reply
from lanwise.proxy.limits import RateLimiter

__all__ = ["DnsServers", "ServerLimits", "ServerStatistics"]

_log = logging.getLogger(__name__)
_LENGTH: Final = struct.Struct("!H")
# Replies waiting in a socket's send buffer past which more are dropped (UDP) or the
# connection closed (TCP: a client that asks but does not read).
_MAX_UNSENT: Final = 256 * 1024
# The UDP socket's kernel buffer. A stub's retries come a second apart, as do a
# flooder's bursts after its timeouts: with the default buffer (~200 KiB, a few hundred
# small queries) a burst fills it, and every try of another client that lands in one is
# dropped by the kernel before the rate limiter can tell the two apart. DNS servers ask
# for megabytes (Unbound's so-rcvbuf advice is 4m).
_UDP_RECEIVE_BUFFER: Final = 4 << 20
_SO_RCVBUFFORCE: Final = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; beyond rmem_max


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Bounds that keep one client from starving the others.

    ``max_pending``: answers waiting for the link at once (§5.6), in all;
    ``max_pending_per_client`` of them from one address. A query over either
    bound is answered at once from the cache instead of waiting.
    ``max_tcp_per_client`` / ``max_tcp``: open TCP connections; one more is
    closed at once. ``tcp_idle``: seconds a connection may stay silent
    (RFC 7766 §6.2.3). ``max_tcp_inflight``: queries of one connection being
    answered at once; reading pauses until one is done.
    """

    max_pending: int = 256
    max_pending_per_client: int = 32
    max_tcp: int = 256
    max_tcp_per_client: int = 8
    tcp_idle: float = 10.0
    max_tcp_inflight: int = 32

    def __post_init__(self) -> None:
        for name in (
            "max_pending",
            "max_pending_per_client",
            "max_tcp",
            "max_tcp_per_client",
            "max_tcp_inflight",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise UsageError(name, "a whole number >= 1", value)
        idle = self.tcp_idle
        if not (
            isinstance(idle, (int, float))
            and not isinstance(idle, bool)
            and isfinite(idle)
            and idle > 0
        ):
            raise UsageError("tcp_idle", "a finite number of seconds > 0", idle)


@dataclass(slots=True)
class ServerStatistics:
    """Counters of the servers (a copy when read)."""

    udp_queries: int = 0
    tcp_queries: int = 0
    rate_limited: int = 0
    pending: int = 0  # answers waiting for the link now
    pending_overflow: int = 0  # answered at once because a waiting bound was hit
    tcp_connections: int = 0  # accepted in all
    tcp_open: int = 0
    tcp_refused: int = 0  # closed at once: a connection bound was hit
    tcp_idle_closed: int = 0
    send_errors: int = 0
    send_dropped: int = 0  # UDP replies dropped: the socket's send buffer was full
    tcp_unread_closed: int = 0  # connections closed: their replies were not being read
    tcp_malformed_closed: int = 0  # connections closed after a malformed message


class _Limited:
    """The query went over its client's rate: dropped without a reply."""


LIMITED: Final = _Limited()
REFRESH_FOR: Final = 3.0
"""Seconds a question answered from the cache is asked on the link (its query at once,
then 1 s and 2 s later: RFC 6762 §5.2)."""


def _ignore_change(added: Sequence[dns.rrset.RRset], removed: Sequence[dns.rrset.RRset]) -> None:
    """A refresh only needs the query to run; the cache takes in what comes."""


def _client(address: Any) -> str:
    return str(address[0]) if isinstance(address, tuple) else str(address)


class DnsServers:
    """UDP and TCP DNS servers on ``endpoints``, answering with ``answerer``."""

    def __init__(
        self,
        answerer: Answerer,
        limiter: RateLimiter,
        *,
        limits: ServerLimits | None = None,
    ) -> None:
        self.answerer = answerer
        self.limiter = limiter
        self.limits = limits or ServerLimits()
        self._stats = ServerStatistics()
        self._loop = asyncio.get_running_loop()
        self._transports: list[asyncio.DatagramTransport] = []
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # Open TCP connections: their handler tasks and writers, ended by close().
        self._connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}
        self._pending_by_client: dict[str, int] = {}
        self._tcp_by_client: dict[str, int] = {}
        self._refreshing: dict[asyncio.TimerHandle, Callable[[], None]] = {}
        self.addresses: list[tuple[str, int]] = []

    def statistics(self) -> ServerStatistics:
        s = self._stats
        return ServerStatistics(
            s.udp_queries,
            s.tcp_queries,
            s.rate_limited,
            s.pending,
            s.pending_overflow,
            s.tcp_connections,
            s.tcp_open,
            s.tcp_refused,
            s.tcp_idle_closed,
            s.send_errors,
            s.send_dropped,
            s.tcp_unread_closed,
            s.tcp_malformed_closed,
        )

    # -- opening and closing ---------------------------------------------------------
    async def listen(self, endpoints: Sequence[tuple[IPv4Address | IPv6Address, int]]) -> None:
        """Open a TCP and a UDP socket on each (address, port); port 0 picks one (the same
        for both). Raises PlatformError if one cannot be opened."""
        for address, port in endpoints:
            host = str(address)
            try:
                server = await asyncio.start_server(
                    self._on_connection, host, port, reuse_address=True, backlog=128
                )
                self._servers.append(server)
                bound = server.sockets[0].getsockname()[1]
                family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
                transport, _ = await self._loop.create_datagram_endpoint(
                    lambda: _UdpProtocol(self), local_addr=(host, bound), family=family
                )
                _grow_receive_buffer(transport.get_extra_info("socket"))
            except OSError as exc:
                self.close()
                raise PlatformError(f"cannot listen on {host} port {port}: {exc}") from exc
            self._transports.append(transport)
            self.addresses.append((host, bound))

    def close(self) -> None:
        for transport in self._transports:
            transport.close()
        for server in self._servers:
            server.close()
        for task in self._tasks:
            task.cancel()
        for writer in self._connections.values():
            # Not cancelled: asyncio logs a cancelled connection handler as an error. Its
            # read fails at once and it ends on its own (wait_closed waits for that).
            writer.transport.abort()
        for handle, unsubscribe in self._refreshing.items():
            handle.cancel()
            unsubscribe()
        self._refreshing.clear()
        self._transports.clear()
        self._servers.clear()

    async def wait_closed(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._connections:
            _done, stuck = await asyncio.wait(list(self._connections), timeout=1.0)
            for connection in stuck:
                connection.cancel()
        for server in list(self._servers):
            await server.wait_closed()

    # -- answering ---------------------------------------------------------------------
    def _spawn(self, coro: Any, client: str) -> asyncio.Task[None]:
        """Run a waiting answer of ``client``; its reservation is released when it ends,
        however it ends (even cancelled before it started)."""
        task: asyncio.Task[None] = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._release(client))
        return task

    def _reserve(self, client: str) -> None:
        self._stats.pending += 1
        self._pending_by_client[client] = self._pending_by_client.get(client, 0) + 1

    def _release(self, client: str) -> None:
        self._stats.pending -= 1
        left = self._pending_by_client[client] - 1
        if left:
            self._pending_by_client[client] = left
        else:
            del self._pending_by_client[client]

    def answer_now(
        self, wire: bytes, client: str, *, tcp: bool
    ) -> Reply | Pending | _Limited | None:
        """Rate-limit (:data:`LIMITED`), then answer (None: malformed, dropped). A
        Pending is counted against the waiting bounds at once (a burst of datagrams is
        handled before any waiting task runs); over them it is finished at once. The
        caller runs a Pending with :meth:`_spawn`, which releases it."""
        now = self._loop.time()
        if not self.limiter.allow(client, now):
            self._stats.rate_limited += 1
            return LIMITED
        result = self.answerer.handle(wire, now, tcp=tcp)
        if isinstance(result, Reply) and result.refresh is not None:
            self._refresh(*result.refresh)
        if isinstance(result, Pending):
            limits = self.limits
            if (
                self._stats.pending >= limits.max_pending
                or self._pending_by_client.get(client, 0) >= limits.max_pending_per_client
            ):
                self._stats.pending_overflow += 1
                return self.answerer.finish(result, now)
            self._reserve(client)
        return result

    def _refresh(self, name: dns.name.Name, rdtype: int) -> None:
        """Ask the link about a question answered from the cache: a continuous query
        (RFC 6762 §5.2) for its first rounds, REFRESH_FOR seconds; what it brings moves
        the cache's revision, so the next answer is rendered afresh (RFC 8766 §5.6)."""
        unsubscribe = self.answerer.source.subscribe(name, rdtype, _ignore_change)

        def stop() -> None:
            del self._refreshing[handle]
            unsubscribe()

        handle = self._loop.call_later(REFRESH_FOR, stop)
        self._refreshing[handle] = unsubscribe

    async def wait_answer(self, pending: Pending) -> bytes:
        """Follow the question on the link until the answer is ready (§5.6), then answer."""
        changed = asyncio.Event()

        def on_change(added: Sequence[dns.rrset.RRset], removed: Sequence[dns.rrset.RRset]) -> None:
            if added:
                pending.note_answer()
                changed.set()

        unsubscribe = self.answerer.source.subscribe(pending.name, pending.rdtype, on_change)
        try:
            while not pending.ready(self._loop.time()):
                delay = pending.wake_at() - self._loop.time()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), max(0.0, delay))
                changed.clear()
            return self.answerer.finish(pending, self._loop.time()).wire
        finally:
            unsubscribe()

    # -- UDP -----------------------------------------------------------------------------
    def on_datagram(self, transport: asyncio.DatagramTransport, data: bytes, addr: Any) -> None:
        self._stats.udp_queries += 1
        client = _client(addr)
        result = self.answer_now(data, client, tcp=False)
        if result is None or result is LIMITED:
            return
        if isinstance(result, Reply):
            self._sendto(transport, result.wire, addr)
            return
        assert isinstance(result, Pending)
        self._spawn(self._udp_pending(transport, result, addr), client)

    async def _udp_pending(
        self, transport: asyncio.DatagramTransport, pending: Pending, addr: Any
    ) -> None:
        wire = await self.wait_answer(pending)
        self._sendto(transport, wire, addr)

    def _sendto(self, transport: asyncio.DatagramTransport, wire: bytes, addr: Any) -> None:
        if transport.is_closing():
            return
        if _unsent(transport) > _MAX_UNSENT:
            self._stats.send_dropped += 1
            return
        try:
            transport.sendto(wire, addr)
        except OSError:
            self._stats.send_errors += 1

    # -- TCP -----------------------------------------------------------------------------
    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        client = _client(peer) if peer else "?"
        limits = self.limits
        stats = self._stats
        if stats.tcp_open >= limits.max_tcp or self._tcp_by_client.get(client, 0) >= (
            limits.max_tcp_per_client
        ):
            stats.tcp_refused += 1
            writer.close()
            return
        if not self._servers:  # accepted while closing
            writer.transport.abort()
            return
        stats.tcp_connections += 1
        stats.tcp_open += 1
        this = asyncio.current_task()
        if this is not None:
            self._connections[this] = writer
        self._tcp_by_client[client] = self._tcp_by_client.get(client, 0) + 1
        inflight = asyncio.Semaphore(limits.max_tcp_inflight)
        answering: set[asyncio.Task[None]] = set()
        try:
            while True:
                try:
                    header = await asyncio.wait_for(reader.readexactly(2), limits.tcp_idle)
                    (length,) = _LENGTH.unpack(header)
                    data = await asyncio.wait_for(reader.readexactly(length), limits.tcp_idle)
                except TimeoutError:
                    stats.tcp_idle_closed += 1
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                stats.tcp_queries += 1
                result = self.answer_now(data, client, tcp=True)
                if result is LIMITED:
                    continue
                if result is None:  # not a query at all: this stream is not DNS
                    stats.tcp_malformed_closed += 1
                    break
                if writer.transport.get_write_buffer_size() > _MAX_UNSENT:
                    stats.tcp_unread_closed += 1
                    break
                if isinstance(result, Reply):
                    _write(writer, result.wire)
                    try:  # a client that asks but never reads must not hold its slot
                        await asyncio.wait_for(writer.drain(), limits.tcp_idle)
                    except TimeoutError:
                        stats.tcp_unread_closed += 1
                        break
                    if result.malformed:  # FORMERR sent; the rest of the stream is suspect
                        stats.tcp_malformed_closed += 1
                        break
                    continue
                assert isinstance(result, Pending)
                try:
                    await inflight.acquire()
                except BaseException:
                    self._release(client)  # reserved by answer_now, never spawned
                    raise
                task = self._spawn(self._tcp_pending(writer, result, inflight), client)
                answering.add(task)
                task.add_done_callback(answering.discard)
        except ConnectionError:
            pass
        except Exception:
            _log.exception("proxy: a TCP connection failed")
        finally:
            if this is not None:
                self._connections.pop(this, None)
            for task in answering:
                task.cancel()
            stats.tcp_open -= 1
            left = self._tcp_by_client[client] - 1
            if left:
                self._tcp_by_client[client] = left
            else:
                del self._tcp_by_client[client]
            writer.close()
            try:  # a client that does not read would hold the unsent replies forever
                await asyncio.wait_for(writer.wait_closed(), limits.tcp_idle)
            except TimeoutError:
                writer.transport.abort()
            except Exception:
                pass

    async def _tcp_pending(
        self,
        writer: asyncio.StreamWriter,
        pending: Pending,
        inflight: asyncio.Semaphore,
    ) -> None:
        try:
            wire = await self.wait_answer(pending)
            if not writer.is_closing():
                _write(writer, wire)
        finally:
            inflight.release()


def _unsent(transport: asyncio.DatagramTransport) -> int:
    """Octets queued in a datagram transport (asyncio's has the method; its stub does not)."""
    size: Callable[[], int] | None = getattr(transport, "get_write_buffer_size", None)
    return size() if size is not None else 0


def _write(writer: asyncio.StreamWriter, wire: bytes) -> None:
    writer.write(_LENGTH.pack(len(wire)) + wire)


def _grow_receive_buffer(sock: Any) -> None:
    """Ask for :data:`_UDP_RECEIVE_BUFFER`: forced when privileged, else as much as
    net.core.rmem_max allows. A smaller buffer only makes drops likelier."""
    if sock is None:
        return
    for option in (_SO_RCVBUFFORCE, socket.SO_RCVBUF):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, option, _UDP_RECEIVE_BUFFER)
            return


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, servers: DnsServers) -> None:
        self._servers = servers
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self._transport is None:
            return
        try:
            self._servers.on_datagram(self._transport, data, addr)
        except Exception:  # bad input never stops the server
            _log.exception("proxy: answering a datagram failed")

    def error_received(self, exc: Exception) -> None:
        _log.debug("proxy: UDP error: %s", exc)


def parse_endpoint(text: str, default_port: int) -> tuple[IPv4Address | IPv6Address, int]:
    """``ADDR``, ``ADDR:PORT``, ``[V6ADDR]:PORT`` or a bare IPv6 address, as (address, port).

    Raises ValueError with a message naming what is wrong.
    """
    text = text.strip()
    port = default_port
    host = text
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"expected [ADDRESS]:PORT, not {text!r}")
            port = _port(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _port(port_text)
    try:
        address = ip_address(host)
    except ValueError:
        raise ValueError(f"not an IP address: {host!r}") from None
    return address, port


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ValueError(f"a port is 0-65535, not {text!r}")
    return port
