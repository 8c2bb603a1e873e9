"""The mDNS sockets on real links: per-interface groups, packet info, TTL 255 (RFC 6762 §11)."""

from __future__ import annotations

import select
import socket
from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.mdns.sockets import (
    ancillary_size,
    join_group,
    leave_group,
    open_mdns_socket,
    packet_info,
    send_packet_info,
)
from tests.harness import Host, Lab
from tests.harness.capture import start_capture
from tests.lab.mdns.util import wait_ipv6_ready

pytestmark = pytest.mark.lab


def _receive(sock: socket.socket, timeout: float = 2.0) -> tuple[bytes, int, object, object]:
    ready, _, _ = select.select([sock], [], [], timeout)
    if not ready:
        raise TimeoutError("nothing arrived")
    data, ancdata, _flags, address = sock.recvmsg(9000, ancillary_size(sock.family))
    info = packet_info(ancdata)
    assert info is not None
    return data, info[0], info[1], address[0]


def _open(host: Host, family: int) -> socket.socket:
    with host.entered():
        return open_mdns_socket(family)


def _drain(sock: socket.socket) -> set[tuple[bytes, int]]:
    """Every (payload, arrival index) that arrives within half a second."""
    seen: set[tuple[bytes, int]] = set()
    while True:
        try:
            data, index, _destination, _source = _receive(sock, 0.5)
        except TimeoutError:
            return seen
        seen.add((data, index))


def _send_group(tx: socket.socket, index: int, payload: bytes) -> None:
    if tx.family == socket.AF_INET:
        destination: tuple[object, ...] = ("224.0.0.251", 5353)
    else:
        destination = ("ff02::fb", 5353, 0, index)
    tx.sendmsg([payload], [send_packet_info(tx.family, index)], 0, destination)


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6], ids=["ipv4", "ipv6"])
def test_group_traffic_carries_its_arrival_interface_and_destination(lab: Lab, family: int) -> None:
    lan1, lan2 = lab.lan(), lab.lan()
    router = lab.host("router", [lan1, lan2])
    peer1, peer2 = lab.host("peer1", [lan1]), lab.host("peer2", [lan2])
    wait_ipv6_ready(router, peer1, peer2)
    rx = _open(router, family)
    # A second stack on the same host serves lan2 only.
    other = _open(router, family)
    tx1, tx2 = _open(peer1, family), _open(peer2, family)
    with rx, other, tx1, tx2:
        eth0, eth1 = router.ifindex(lan1), router.ifindex(lan2)
        join_group(rx, eth0)
        join_group(rx, eth0)  # joining twice is harmless
        join_group(other, eth1)
        _send_group(tx1, peer1.ifindex(), b"one")
        data, index, destination, _source = _receive(rx)
        assert (data, index) == (b"one", eth0)
        group = IPv4Address("224.0.0.251") if family == socket.AF_INET else IPv6Address("ff02::fb")
        assert destination == group
        _send_group(tx2, peer2.ifindex(), b"two")
        # Each socket sees its own interface's traffic, whatever its neighbour joined.
        assert (b"two", eth1) in _drain(other)
        leaked = _drain(rx)
        if family == socket.AF_INET:
            # IP_MULTICAST_ALL off: IPv4 membership is per (group, interface).
            assert leaked == set()
        else:
            # IPv6 membership filtering matches the group only, not the
            # interface, so lan2's traffic reaches rx; the arrival index lets
            # the transport drop it.
            assert leaked <= {(b"two", eth1)}
        leave_group(rx, eth0)
        leave_group(rx, eth0)  # leaving twice is quiet too
        _send_group(tx1, peer1.ifindex(), b"again")
        assert _drain(rx) == set()


def test_unicast_reports_our_address_as_destination(lab: Lab) -> None:
    a, b = lab.host("a"), lab.host("b")
    rx, tx = _open(b, socket.AF_INET), _open(a, socket.AF_INET)
    with rx, tx:
        tx.sendto(b"direct", (str(b.ipv4()), 5353))
        data, index, destination, source = _receive(rx)
    assert (data, destination, source) == (b"direct", b.ipv4(), str(a.ipv4()))
    assert index == b.ifindex()


def test_packets_leave_the_chosen_interface_with_ttl_255(lab: Lab) -> None:
    """RFC 6762 §11: multicast and unicast mDNS packets carry IP TTL / hop limit 255."""
    lan1, lan2 = lab.lan(), lab.lan()
    sender = lab.host("sender", [lan1, lan2])
    watcher = lab.host("watcher", [lan2])
    wait_ipv6_ready(sender, watcher)
    v4, v6 = _open(sender, socket.AF_INET), _open(sender, socket.AF_INET6)
    with v4, v6, start_capture(watcher) as capture:
        out = sender.ifindex(lan2)
        v4.sendmsg([b"\0" * 12], [send_packet_info(socket.AF_INET, out)], 0, ("224.0.0.251", 5353))
        v6.sendmsg(
            [b"\0" * 12], [send_packet_info(socket.AF_INET6, out)], 0, ("ff02::fb", 5353, 0, out)
        )
        v4.sendmsg(
            [b"\0" * 12], [send_packet_info(socket.AF_INET, out)], 0, (str(watcher.ipv4()), 5353)
        )
        v6.sendmsg(
            [b"\0" * 12],
            [send_packet_info(socket.AF_INET6, out)],
            0,
            (str(watcher.ipv6()), 5353, 0, 0),
        )
    packets = capture.packets()
    assert {str(p.destination) for p in packets} == {
        "224.0.0.251",
        "ff02::fb",
        str(watcher.ipv4()),
        str(watcher.ipv6()),
    }
    assert {p.hop_limit for p in packets} == {255}
    assert {str(p.source) for p in packets if p.source.version == 4} == {str(sender.ipv4(lan2))}
