"""Per-interface UDP in the lab: directed broadcast, multicast per interface, errors."""

from __future__ import annotations

import asyncio
import errno
import socket
import time
from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.net import BroadcastError, DatagramEndpoint, open_datagram_endpoint, sendto
from lanwise.net.datagram import ReceivedDatagram
from tests.harness import Host, Lab

pytestmark = pytest.mark.lab

PORT = 7100


async def _open(port: int) -> DatagramEndpoint:
    return await open_datagram_endpoint(port)


async def _receive(endpoint: DatagramEndpoint, count: int) -> list[ReceivedDatagram]:
    return [await asyncio.wait_for(endpoint.receive(), 5) for _ in range(count)]


def open_on(host: Host) -> DatagramEndpoint:
    return host.wait(_open(PORT))


def wait_ipv6_multicast_routes(*hosts: Host) -> None:
    """Wait until the kernel has its ff00::/8 route on every interface (it adds them
    shortly after a link comes up; sends before that fail with ENETUNREACH)."""
    for host in hosts:
        for att in host.attachments:
            for _ in range(250):
                table = host.run("ip", "-6", "route", "show", "table", "local").stdout
                if f"multicast ff00::/8 dev {att.ifname} " in table:
                    break
                time.sleep(0.02)
            else:
                raise AssertionError(f"{host.name}: no ff00::/8 route on {att.ifname}")


def test_broadcast_reaches_both_lans_by_directed_broadcast(lab: Lab) -> None:
    lan1, lan2 = lab.lan(), lab.lan()
    sender = lab.host("sender", [lan1, lan2])
    r1, r2 = lab.host("r1", [lan1]), lab.host("r2", [lan2])
    e1, e2, es = open_on(r1), open_on(r2), open_on(sender)

    async def send() -> list[tuple[int, IPv4Address]]:
        return es.broadcast(b"hello", PORT)

    sent = sender.wait(send())
    assert sorted(sent) == sorted(
        [
            (sender.ifindex(lan1), lan1.ipv4_network.broadcast_address),
            (sender.ifindex(lan2), lan2.ipv4_network.broadcast_address),
        ]
    )
    (got1,) = r1.wait(_receive(e1, 1))
    (got2,) = r2.wait(_receive(e2, 1))
    assert got1.data == got2.data == b"hello"
    assert got1.destination == lan1.ipv4_network.broadcast_address
    assert got2.destination == lan2.ipv4_network.broadcast_address
    assert got1.interface_index == r1.ifindex(lan1)
    assert got1.source.address == sender.ipv4(lan1)
    assert got2.source.address == sender.ipv4(lan2)
    for host, endpoint in ((r1, e1), (r2, e2), (sender, es)):
        host.wait(endpoint.close())


def test_multicast_per_interface_ipv4_and_ipv6(lab: Lab) -> None:
    lan1, lan2 = lab.lan(), lab.lan()
    sender = lab.host("sender", [lan1, lan2])
    r1, r2 = lab.host("r1", [lan1]), lab.host("r2", [lan2])
    wait_ipv6_multicast_routes(sender, r1, r2)
    e1, e2, es = open_on(r1), open_on(r2), open_on(sender)
    for host, endpoint in ((r1, e1), (r2, e2)):

        async def join(ep: DatagramEndpoint = endpoint) -> None:
            ep.join_group("239.255.42.1")
            ep.join_group("ff02::4242")

        host.wait(join())

    async def send() -> tuple[list[int], list[int]]:
        return (
            es.send_multicast(b"v4", "239.255.42.1", PORT),
            es.send_multicast(b"v6", "ff02::4242", PORT),
        )

    v4_out, v6_out = sender.wait(send())
    assert sorted(v4_out) == sorted(v6_out) == sorted([sender.ifindex(lan1), sender.ifindex(lan2)])
    for host, endpoint, lan in ((r1, e1, lan1), (r2, e2, lan2)):
        got = {d.data: d for d in host.wait(_receive(endpoint, 2))}
        assert set(got) == {b"v4", b"v6"}
        assert got[b"v4"].destination == IPv4Address("239.255.42.1")
        assert got[b"v4"].source.address == sender.ipv4(lan)
        assert got[b"v6"].destination == IPv6Address("ff02::4242")
        # The IPv6 source is the sender's link-local address, zoned to the arrival link.
        source6 = got[b"v6"].source.address
        assert isinstance(source6, IPv6Address) and source6.is_link_local
        assert source6.scope_id == host.ifname(lan)
        assert got[b"v4"].interface_index == got[b"v6"].interface_index == host.ifindex(lan)
    for host, endpoint in ((r1, e1), (r2, e2), (sender, es)):
        host.wait(endpoint.close())


def test_limited_broadcast_errors_explain_the_fix(lab: Lab) -> None:
    """EACCES (no SO_BROADCAST) and ENETUNREACH (no route for 255.255.255.255) come
    back as BroadcastError, a PlatformError whose message says what to do."""
    host = lab.host("a")
    with host.entered():
        plain = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        allowed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with plain, allowed:
        with pytest.raises(BroadcastError) as refused:
            sendto(plain, b"x", (str(host.attachment().lan.ipv4_network.broadcast_address), PORT))
        assert refused.value.errno == errno.EACCES
        assert "SO_BROADCAST" in str(refused.value)
        allowed.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        with pytest.raises(BroadcastError) as unrouted:
            sendto(allowed, b"x", ("255.255.255.255", PORT))
        assert unrouted.value.errno == errno.ENETUNREACH
        assert "no route" in str(unrouted.value)
