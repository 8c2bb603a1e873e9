"""The UDP and TCP servers on loopback: truncation then TCP, pipelining, per-client bounds."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator
from ipaddress import IPv4Address

import dns.asyncquery
import dns.flags
import dns.message
import dns.rcode
import pytest

from lanwise.mdns import ServiceRecords
from lanwise.proxy.limits import RateLimiter
from lanwise.proxy.server import DnsServers, ServerLimits, parse_endpoint
from tests.unit.proxy.linkworld import DOMAIN, World

LOOPBACK = IPv4Address("127.0.0.1")


@pytest.fixture
async def world() -> AsyncIterator[tuple[World, DnsServers]]:
    world = World()
    for i in range(30):  # a browse answer larger than 512 octets
        world.printer.engine.register(
            ServiceRecords(f"A long enough instance name {i:02}", "_ipp._tcp", 631), world.now
        )
    world.link.run(world.now + 5.0)
    servers = DnsServers(
        world.answerer,
        RateLimiter(rate=50, burst=20),
        limits=ServerLimits(max_tcp_per_client=2, tcp_idle=5.0),
    )
    await servers.listen([(LOOPBACK, 0)])
    yield world, servers
    servers.close()
    await servers.wait_closed()


def port(servers: DnsServers) -> int:
    return servers.addresses[0][1]


async def test_udp_truncates_and_tcp_gives_the_whole_answer(
    world: tuple[World, DnsServers],
) -> None:
    _, servers = world
    query = dns.message.make_query(f"_ipp._tcp.{DOMAIN}", "PTR")  # no EDNS: 512 octets
    udp = await dns.asyncquery.udp(query, "127.0.0.1", port=port(servers), timeout=2)
    assert udp.flags & dns.flags.TC
    tcp = await dns.asyncquery.tcp(query, "127.0.0.1", port=port(servers), timeout=2)
    assert not tcp.flags & dns.flags.TC and len(tcp.answer[0]) == 31


async def test_tcp_answers_several_queries_on_one_connection(
    world: tuple[World, DnsServers],
) -> None:
    _, servers = world
    reader, writer = await asyncio.open_connection("127.0.0.1", port(servers))
    wires = []
    for ident, name in ((1, DOMAIN), (2, f"b._dns-sd._udp.{DOMAIN}"), (3, "example.org")):
        q = dns.message.make_query(name, "SOA" if ident == 1 else "PTR")
        q.id = ident
        wire = q.to_wire()
        wires.append(struct.pack("!H", len(wire)) + wire)
    writer.write(b"".join(wires))  # pipelined: all at once (RFC 7766 §6.2.1)
    await writer.drain()
    rcodes = {}
    for _ in range(3):
        (length,) = struct.unpack("!H", await reader.readexactly(2))
        reply = dns.message.from_wire(await reader.readexactly(length))
        rcodes[reply.id] = reply.rcode()
    assert rcodes == {1: dns.rcode.NOERROR, 2: dns.rcode.NOERROR, 3: dns.rcode.REFUSED}
    writer.close()
    await writer.wait_closed()


@pytest.mark.parametrize(
    "bad",
    [
        b"\x00\x09\x01\x00\x00",  # shorter than a header
        struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01",  # loop
        dns.message.make_response(dns.message.make_query(DOMAIN, "SOA", id=9)).to_wire(),
    ],
    ids=["short", "pointer loop", "a response"],
)
async def test_a_malformed_message_ends_only_its_tcp_connection(
    world: tuple[World, DnsServers], bad: bytes
) -> None:
    _, servers = world
    good = dns.message.make_query(DOMAIN, "SOA").to_wire()
    other_reader, other_writer = await asyncio.open_connection("127.0.0.1", port(servers))
    reader, writer = await asyncio.open_connection("127.0.0.1", port(servers))
    writer.write(struct.pack("!H", len(bad)) + bad + struct.pack("!H", len(good)) + good)
    rest = await asyncio.wait_for(reader.read(), 2)  # at most a FORMERR, then closed
    if rest:
        (length,) = struct.unpack_from("!H", rest)
        assert dns.message.from_wire(rest[2 : 2 + length]).rcode() == dns.rcode.FORMERR
        assert len(rest) == 2 + length
    other_writer.write(struct.pack("!H", len(good)) + good)
    (length,) = struct.unpack("!H", await other_reader.readexactly(2))
    reply = dns.message.from_wire(await other_reader.readexactly(length))
    assert reply.rcode() == dns.rcode.NOERROR
    assert servers.statistics().tcp_malformed_closed == 1
    other_writer.close()
    writer.close()


async def test_a_client_over_its_rate_is_dropped_and_counted(
    world: tuple[World, DnsServers],
) -> None:
    _, servers = world
    query = dns.message.make_query(DOMAIN, "SOA").to_wire()
    loop = asyncio.get_running_loop()
    answers = 0

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: object) -> None:
            nonlocal answers
            answers += 1

    transport, _ = await loop.create_datagram_endpoint(
        Client, remote_addr=("127.0.0.1", port(servers))
    )
    for _ in range(100):
        transport.sendto(query)
    await asyncio.sleep(0.3)
    transport.close()
    stats = servers.statistics()
    assert stats.udp_queries == 100
    assert 20 <= answers < 100  # the burst, plus what the rate refilled meanwhile
    assert stats.rate_limited == 100 - answers


async def test_connections_over_the_per_client_bound_are_closed(
    world: tuple[World, DnsServers],
) -> None:
    _, servers = world
    held = [await asyncio.open_connection("127.0.0.1", port(servers)) for _ in range(2)]
    await asyncio.sleep(0.05)
    reader, writer = await asyncio.open_connection("127.0.0.1", port(servers))
    assert await asyncio.wait_for(reader.read(), 2) == b""  # closed at once
    assert servers.statistics().tcp_refused == 1
    for _, w in held:
        w.close()
    writer.close()


def test_listen_endpoints_parse() -> None:
    assert parse_endpoint("10.0.0.1", 53) == (IPv4Address("10.0.0.1"), 53)
    assert parse_endpoint("10.0.0.1:5353", 53) == (IPv4Address("10.0.0.1"), 5353)
    assert str(parse_endpoint("[2001:db8::1]:54", 53)[0]) == "2001:db8::1"
    assert parse_endpoint("2001:db8::1", 53)[1] == 53
    for bad in ("host.example", "10.0.0.1:99999", "[::1]x"):
        with pytest.raises(ValueError):
            parse_endpoint(bad, 53)


async def test_waiting_answers_are_bounded_per_client_even_within_one_burst() -> None:
    # RFC 8766 §5.6 waits for the link; a burst of uncached questions must not hold
    # more than the bound (each would be a continuous query on the link).
    world = World(wait=0.3)
    servers = DnsServers(
        world.answerer, RateLimiter(), limits=ServerLimits(max_pending_per_client=3)
    )
    await servers.listen([(LOOPBACK, 0)])
    loop = asyncio.get_running_loop()
    replies: list[bytes] = []

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: object) -> None:
            replies.append(data)

    transport, _ = await loop.create_datagram_endpoint(
        Client, remote_addr=("127.0.0.1", port(servers))
    )
    try:
        for i in range(10):
            transport.sendto(dns.message.make_query(f"nobody{i}.{DOMAIN}", "A").to_wire())
        await asyncio.sleep(0.1)
        stats = servers.statistics()
        assert (stats.pending, stats.pending_overflow, len(replies)) == (3, 7, 7)
        await asyncio.sleep(0.5)
        assert len(replies) == 10 and servers.statistics().pending == 0
        assert all(dns.message.from_wire(r).rcode() == dns.rcode.NOERROR for r in replies)
    finally:
        transport.close()
        servers.close()
        await servers.wait_closed()


async def test_a_tcp_client_that_never_reads_is_closed_after_the_idle_timeout() -> None:
    # RFC 7766 §6.2.3: a server may close a connection it cannot make progress on; a
    # client that asks and never reads must not keep its slot (its send never drains).
    world = World()
    servers = DnsServers(
        world.answerer, RateLimiter(rate=1e9, burst=1e9), limits=ServerLimits(tcp_idle=0.5)
    )
    await servers.listen([(LOOPBACK, 0)])
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", port(servers)))
    client.setblocking(False)
    query = dns.message.make_query(DOMAIN, "SOA").to_wire()
    frames = (struct.pack("!H", len(query)) + query) * 50
    loop = asyncio.get_running_loop()
    try:
        with contextlib.suppress(TimeoutError, ConnectionError):
            for _ in range(20000):  # until the server stops reading
                await asyncio.wait_for(loop.sock_sendall(client, frames), 1.0)
        # The server first answers what the kernel buffered (thousands of queries, its
        # send buffer filling): seconds on a loaded machine, hence the generous wait.
        for _ in range(300):
            if servers.statistics().tcp_open == 0:
                break
            await asyncio.sleep(0.1)
        stats = servers.statistics()
        assert stats.tcp_open == 0
        assert stats.tcp_unread_closed == 1
        # Its handler ends too, not waiting forever for the unsent replies to flush.
        for _ in range(30):
            if not servers._connections:
                break
            await asyncio.sleep(0.1)
        assert not servers._connections
    finally:
        client.close()
        servers.close()
        await servers.wait_closed()


async def test_close_ends_the_open_tcp_connections() -> None:
    world = World()
    servers = DnsServers(
        world.answerer, RateLimiter(rate=50, burst=20), limits=ServerLimits(tcp_idle=30.0)
    )
    await servers.listen([(LOOPBACK, 0)])
    reader, writer = await asyncio.open_connection("127.0.0.1", port(servers))
    await asyncio.sleep(0.05)
    assert servers.statistics().tcp_open == 1
    servers.close()
    await asyncio.wait_for(servers.wait_closed(), 2)
    with contextlib.suppress(ConnectionError):
        assert await asyncio.wait_for(reader.read(), 2) == b""
    assert servers.statistics().tcp_open == 0
    writer.close()


async def test_a_burst_larger_than_the_default_socket_buffer_is_all_received(
    world: tuple[World, DnsServers],
) -> None:
    """A flooder's burst lands while the loop is busy: the kernel keeps all of it (the
    default buffer holds a few hundred small datagrams), so another client's question
    in the same burst is not lost before the rate limiter sees it."""
    _, servers = world
    wire = dns.message.make_query(f"_ipp._tcp.{DOMAIN}", "PTR").to_wire()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flooder:
        for _ in range(1500):  # without yielding: the server reads none of it yet
            flooder.sendto(wire, ("127.0.0.1", port(servers)))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if servers.statistics().udp_queries == 1500:
            break
    assert servers.statistics().udp_queries == 1500
