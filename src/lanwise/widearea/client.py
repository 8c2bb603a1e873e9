"""Asking unicast DNS servers, on dnspython messages: UDP, TCP on truncation, pipelined TCP.

A reply is taken only if its ID and question match the query (RFC 5452 §9.1)
and, for a signed query, its TSIG verifies (RFC 8945 §5.3); anything else is
counted in :class:`ClientStatistics` and dropped, and the wait goes on. A
truncated UDP reply (TC, RFC 1035 §4.2.1) is asked again over TCP. Many
questions for one server go out back to back on one TCP connection and their
answers are matched by ID as they come (RFC 7766 §6.2.1.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import ip_address

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.tsig

from lanwise.errors import UsageError
from lanwise.widearea.errors import DnsServerError, ServerUnreachableError

__all__ = [
    "DEFAULT_TIMEOUT",
    "ClientStatistics",
    "DnsClient",
    "ServerAddress",
    "parse_server",
]

_log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 3.0  # seconds per attempt
DNS_PORT = 53
_TSIG_ERRORS: dict[type[Exception], str] = {
    dns.tsig.PeerBadKey: "NOTAUTH (BADKEY)",
    dns.tsig.PeerBadSignature: "NOTAUTH (BADSIG)",
    dns.tsig.PeerBadTime: "NOTAUTH (BADTIME)",
    dns.tsig.PeerBadTruncation: "NOTAUTH (BADTRUNC)",
}


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """A DNS server: an IP address (IPv6 may carry a scope) and a port."""

    address: str
    port: int = DNS_PORT

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return host if self.port == DNS_PORT else f"{host}:{self.port}"


def parse_server(text: str | ServerAddress, *, field: str = "server") -> ServerAddress:
    """``10.0.0.53``, ``10.0.0.53:5300``, ``fd00::53`` or ``[fd00::53]:5300``."""
    if isinstance(text, ServerAddress):
        return text
    value = text.strip()
    port = DNS_PORT
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise UsageError(field, "must be ADDRESS, ADDRESS:PORT or [IPv6]:PORT", text)
        value, port_text = host, rest[1:]
        port = int(port_text) if port_text.isdigit() else DNS_PORT if not port_text else -1
    elif value.count(":") == 1:
        value, port_text = value.split(":")
        port = int(port_text) if port_text.isdigit() else -1
    try:
        ip_address(value)
    except ValueError:
        raise UsageError(field, "must be an IP address (optionally with :PORT)", text) from None
    if not 1 <= port <= 65535:
        raise UsageError(field, "the port must be 1..65535", text)
    return ServerAddress(value, port)


@dataclass(slots=True)
class ClientStatistics:
    """What a :class:`DnsClient` sent and what it dropped."""

    queries: int = 0
    tcp_fallbacks: int = 0
    pipelined: int = 0
    dropped_replies: int = 0  # wrong ID or question, bad TSIG, malformed


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | Exception] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.queue.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        self.queue.put_nowait(exc)


class _Channel(asyncio.DatagramProtocol):
    """One UDP socket to one server, shared by concurrent queries; replies routed by ID."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.waiters: dict[int, asyncio.Queue[bytes | Exception]] = {}
        self.unrouted = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: object) -> None:
        queue = self.waiters.get(struct.unpack("!H", data[:2])[0]) if len(data) >= 2 else None
        if queue is None:
            self.unrouted += 1  # no query waits for this ID: spoofed or late
            return
        queue.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        for queue in self.waiters.values():
            queue.put_nowait(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def _peer_error(query: dns.message.Message, wire: bytes) -> str | None:
    """The TSIG error a reply with our ID reports, else None (so it is dropped)."""
    if len(wire) < 2 or struct.unpack("!H", wire[:2])[0] != query.id:
        return None
    try:
        dns.message.from_wire(wire, keyring=query.keyring, request_mac=query.mac)
    except dns.tsig.PeerError as exc:
        return _TSIG_ERRORS.get(type(exc), "NOTAUTH")
    except Exception:
        return None
    return None


class DnsClient:
    """Sends dnspython messages to DNS servers and returns checked replies."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, shared_socket: bool = False) -> None:
        """``shared_socket``: one UDP socket per server for every query (replies routed
        by ID) instead of a fresh socket, and so a fresh source port, per query
        (RFC 5452 §9.2). Meant for TSIG-signed updates, where the signature, not
        the port, keeps forged replies out; it saves a socket per registration."""
        self.timeout = timeout
        self.shared_socket = shared_socket
        self.stats = ClientStatistics()
        self._channels: dict[ServerAddress, _Channel] = {}

    def close(self) -> None:
        """Close the shared sockets (a no-op without ``shared_socket``)."""
        for channel in self._channels.values():
            if channel.transport is not None:
                channel.transport.close()
        self._channels.clear()

    async def _channel(self, server: ServerAddress) -> _Channel:
        channel = self._channels.get(server)
        if channel is None or channel.transport is None:
            _transport, channel = await asyncio.get_running_loop().create_datagram_endpoint(
                _Channel, remote_addr=(server.address, server.port)
            )
            self._channels[server] = channel
        return channel

    def statistics(self) -> ClientStatistics:
        """Counters since this client was made."""
        return self.stats

    def _parse(self, query: dns.message.Message, wire: bytes) -> dns.message.Message | None:
        try:
            reply = dns.message.from_wire(wire, keyring=query.keyring, request_mac=query.mac)
        except Exception as exc:
            _log.debug("dropped a reply: %s", exc)
            self.stats.dropped_replies += 1
            return None
        if not query.is_response(reply):
            _log.debug("dropped a reply: ID or question does not match")
            self.stats.dropped_replies += 1
            return None
        return reply

    async def exchange(
        self,
        query: dns.message.Message,
        server: ServerAddress,
        *,
        zone: str,
        action: str = "query",
        check_rcode: bool = True,
    ) -> dns.message.Message:
        """Send ``query``; return the checked reply (UDP, then TCP if truncated).

        Raises :class:`ServerUnreachableError` when no usable reply comes, and
        :class:`DnsServerError` for a TSIG error or, with ``check_rcode``, any
        response code other than NOERROR and NXDOMAIN.
        """
        self.stats.queries += 1
        reply = await self._udp(query, server, zone=zone, action=action)
        if reply.flags & dns.flags.TC:
            self.stats.tcp_fallbacks += 1
            reply = await self._tcp(query, server, zone=zone, action=action)
        if check_rcode and reply.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise DnsServerError(str(server), zone, dns.rcode.to_text(reply.rcode()), action)
        return reply

    async def _udp(
        self, query: dns.message.Message, server: ServerAddress, *, zone: str, action: str
    ) -> dns.message.Message:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | Exception]
        channel: _Channel | None = None
        try:
            if self.shared_socket:
                channel = await self._channel(server)
            if channel is not None and query.id not in channel.waiters:
                queue = channel.waiters[query.id] = asyncio.Queue()
                transport = channel.transport
                owned = False
            else:
                channel = None  # an ID already in flight: this one gets a socket of its own
                transport, protocol = await loop.create_datagram_endpoint(
                    _Datagrams, remote_addr=(server.address, server.port)
                )
                queue = protocol.queue
                owned = True
        except OSError as exc:
            raise ServerUnreachableError(
                str(server), zone, exc.strerror or str(exc), action
            ) from None
        assert transport is not None
        try:
            transport.sendto(query.to_wire())
            deadline = loop.time() + self.timeout
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise ServerUnreachableError(str(server), zone, "timed out", action)
                try:
                    async with asyncio.timeout(remaining):  # no extra task, unlike wait_for
                        item = await queue.get()
                except TimeoutError:
                    raise ServerUnreachableError(str(server), zone, "timed out", action) from None
                if isinstance(item, Exception):
                    reason = getattr(item, "strerror", None) or str(item)
                    raise ServerUnreachableError(str(server), zone, reason, action)
                reply = self._parse(query, item)
                if reply is not None:
                    return reply
                error = _peer_error(query, item)
                if error is not None:
                    raise DnsServerError(str(server), zone, error, action)
        finally:
            if owned:
                transport.close()
            elif channel is not None:
                channel.waiters.pop(query.id, None)

    async def _tcp(
        self, query: dns.message.Message, server: ServerAddress, *, zone: str, action: str
    ) -> dns.message.Message:
        replies = await self.pipelined([query], server, zone=zone, action=action)
        reply = replies[0]
        if reply is None:
            raise ServerUnreachableError(str(server), zone, "no reply over TCP", action)
        return reply

    async def pipelined(
        self,
        queries: Sequence[dns.message.Message],
        server: ServerAddress,
        *,
        zone: str,
        action: str = "query",
    ) -> list[dns.message.Message | None]:
        """Send every query on one TCP connection at once; replies in query order.

        Each query gets an ID unique on the connection. A query left without a
        reply when the connection ends or the timeout passes gets None.
        """
        if not queries:
            return []
        self.stats.pipelined += len(queries)
        ids = itertools.count(random.randrange(0x10000))
        pending: dict[int, int] = {}
        for position, query in enumerate(queries):
            query.id = next(ids) & 0xFFFF
            pending[query.id] = position
        results: list[dns.message.Message | None] = [None] * len(queries)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(server.address, server.port), self.timeout
            )
        except (OSError, TimeoutError) as exc:
            reason = getattr(exc, "strerror", None) or "timed out"
            raise ServerUnreachableError(str(server), zone, reason, action) from None
        try:
            writer.write(
                b"".join(struct.pack("!H", len(w)) + w for w in (q.to_wire() for q in queries))
            )
            await writer.drain()
            loop = asyncio.get_running_loop()
            # The whole batch shares one deadline that grows with its size.
            deadline = loop.time() + self.timeout + len(queries) * 0.002
            while pending:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    size = struct.unpack(
                        "!H", await asyncio.wait_for(reader.readexactly(2), remaining)
                    )[0]
                    wire = await asyncio.wait_for(reader.readexactly(size), remaining)
                except (asyncio.IncompleteReadError, TimeoutError, OSError):
                    break
                if len(wire) < 2 or struct.unpack("!H", wire[:2])[0] not in pending:
                    self.stats.dropped_replies += 1
                    continue
                position = pending[struct.unpack("!H", wire[:2])[0]]
                reply = self._parse(queries[position], wire)
                if reply is None:
                    error = _peer_error(queries[position], wire)
                    if error is not None:
                        raise DnsServerError(str(server), zone, error, action)
                    continue
                del pending[queries[position].id]
                results[position] = reply
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        return results

    async def query(
        self,
        name: dns.name.Name,
        rdtype: dns.rdatatype.RdataType,
        servers: Sequence[ServerAddress],
        *,
        zone: str | None = None,
    ) -> tuple[dns.message.Message, ServerAddress]:
        """Ask ``servers`` in turn for ``name``/``rdtype`` until one answers."""
        if not servers:
            raise UsageError("servers", "no DNS server is configured or given")
        zone_text = zone or name.to_text(omit_final_dot=True)
        last: DnsServerError | None = None
        for server in servers:
            query = dns.message.make_query(name, rdtype)
            try:
                return await self.exchange(query, server, zone=zone_text), server
            except DnsServerError as exc:
                last = exc
        assert last is not None
        raise last
