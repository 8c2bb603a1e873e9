"""What a hostile or confused network cannot make lanwise do (RFC 6762 §6, §11).

- a unicast response answering nothing asked is not cached (§6);
- packets from off-link sources are dropped, and a legacy unicast query from
  off-link gets no answer although a route back exists (§11);
- no amplification: one query packet, however many questions it asks, gets a
  bounded number of response packets and bytes.
"""

from __future__ import annotations

import asyncio
import socket
import time
from ipaddress import IPv4Address

import pytest

from lanwise.conformance.wire import RESPONSE_FLAGS, Wire, build_packet
from lanwise.dns import A, Message, Name, Question, Record, RRType, build_message, parse_message
from lanwise.interfaces import get_interface
from lanwise.mdns.registration import ServiceRecords
from lanwise.mdns.transport import MdnsTransport
from tests.harness import Host, Lab
from tests.lab.mdns.util import Node, wait_ipv6_ready

pytestmark = pytest.mark.lab

OFF_LINK = IPv4Address("192.0.2.5")
SERVICE = ServiceRecords("Guarded", "_guard._tcp", 4242, txt=(b"a=1",), subtypes=("_x",))
# One query may be answered in a few packets (size limit §17, legacy copy); never more.
MAX_PACKETS_PER_QUERY = 4
MAX_BYTES_PER_QUERY = 4 * 1500


def _cached(node: Node, name: str) -> list[object]:
    async def look(mdns: MdnsTransport) -> list[object]:
        return list(mdns.cached(Name(name), RRType.A))

    return node.call(look)


async def _register(mdns: MdnsTransport) -> None:
    registration = await mdns.register(SERVICE, timeout=15)
    while not (registration.established and mdns.engine.host.established):
        await asyncio.sleep(0.05)


def _socket_from(host: Host, source: str, port: int) -> socket.socket:
    with host.entered():
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(source))
    sock.bind((source, port))
    sock.settimeout(1.0)
    return sock


def _response(name: str, address: str) -> bytes:
    return build_packet(
        (), [Record.of(Name(name), A(IPv4Address(address)), 120)], flags=RESPONSE_FLAGS
    )


def test_unsolicited_unicast_and_off_link_packets_are_ignored(lab: Lab) -> None:
    dut, tester = lab.host("dut"), lab.host("tester")
    wait_ipv6_ready(dut, tester)
    tester.run("ip", "addr", "add", f"{OFF_LINK}/32", "dev", "eth0")
    dut.run("ip", "route", "add", "192.0.2.0/24", "dev", "eth0")  # a way back exists
    with Node(dut, host_name="guarded") as node:
        node.call(_register)
        on_link = _socket_from(tester, str(tester.ipv4()), 5353)
        off_link = _socket_from(tester, str(OFF_LINK), 5353)
        legacy_off = _socket_from(tester, str(OFF_LINK), 0)
        with on_link, off_link, legacy_off:
            # Control: the same response multicast from on-link is cached.
            on_link.sendto(_response("control.local", "10.99.1.50"), ("224.0.0.251", 5353))
            # §6: a unicast response nobody asked for.
            on_link.sendto(_response("intruder.local", "10.99.1.66"), (str(dut.ipv4()), 5353))
            # §11: an off-link source, multicast and unicast.
            off_link.sendto(_response("offlink.local", "10.99.1.77"), ("224.0.0.251", 5353))
            off_link.sendto(_response("offlink2.local", "10.99.1.78"), (str(dut.ipv4()), 5353))
            # §11: a legacy query from off-link, unicast to the responder.
            query = build_message(
                Message(id=7, questions=(Question(Name("guarded.local"), RRType.A),))
            )
            legacy_off.sendto(query, (str(dut.ipv4()), 5353))
            with pytest.raises(TimeoutError):
                legacy_off.recvfrom(9000)
            # Control: the same legacy query from on-link is answered.
            with _socket_from(tester, str(tester.ipv4()), 0) as legacy_on:
                legacy_on.sendto(query, (str(dut.ipv4()), 5353))
                reply, _ = legacy_on.recvfrom(9000)
                assert parse_message(reply).id == 7
        time.sleep(0.3)
        assert _cached(node, "control.local")
        assert not _cached(node, "intruder.local")
        assert not _cached(node, "offlink.local")
        assert not _cached(node, "offlink2.local")

        dut_index = dut.ifindex()

        async def off_link_dropped(mdns: MdnsTransport) -> int:
            return mdns.engine.statistics().interfaces[dut_index].off_link_dropped

        assert node.call(off_link_dropped) >= 3


def test_no_query_packet_amplifies(lab: Lab) -> None:
    """A query asking for everything the responder has (ANY for every name, QU and
    QM, plus the same as a legacy query) gets a bounded number of packets/bytes."""
    dut, tester = lab.host("dut"), lab.host("tester")
    wait_ipv6_ready(dut, tester)
    with Node(dut, host_name="guarded") as node:
        node.call(_register)
        time.sleep(2.5)  # announcements over: answers are not rate-limited
        names = [
            "guarded.local",
            "Guarded._guard._tcp.local",
            "_guard._tcp.local",
            "_x._sub._guard._tcp.local",
            "_services._dns-sd._udp.local",
            f"{dut.ipv4().reverse_pointer}",
        ]
        questions = [
            Question(Name(n), RRType.ANY, unicast_response=qu)
            for n in names
            for qu in (False, True)
        ]
        questions += [Question(Name(n), t) for n in names for t in (1, 12, 16, 28, 33)]
        with tester.entered():
            iface = get_interface("eth0")
            wire = Wire(iface.index, iface.ipv4_addresses[0].address, ipv6=False)  # type: ignore[arg-type]
        with wire:
            for legacy in (False, True):
                sent = wire.send(build_packet(questions, id=9 if legacy else 0), legacy=legacy)
                time.sleep(1.2)
                replies = [p for p in wire.since(sent) if p.source == dut.ipv4()]
                size = sum(len(p.data) for p in replies)
                print(
                    f"legacy={legacy}: {len(questions)} questions -> {len(replies)} packets, "
                    f"{size} bytes"
                )
                assert 1 <= len(replies) <= MAX_PACKETS_PER_QUERY
                assert size <= MAX_BYTES_PER_QUERY
                time.sleep(1.0)
