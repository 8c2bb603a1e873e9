"""The lab itself: hosts on a LAN reach each other, and multicast crosses the bridge."""

from __future__ import annotations

import socket
import struct

import pytest

from tests.harness import Lab

pytestmark = pytest.mark.lab


def test_two_hosts_reach_each_other_over_ipv4_and_ipv6(lab: Lab) -> None:
    a, b = lab.host("a"), lab.host("b")
    a.run("ping", "-c", "1", "-W", "2", str(b.ipv4()))
    a.run("ping", "-6", "-c", "1", "-W", "2", str(b.ipv6()))
    a.run("ping", "-6", "-c", "1", "-W", "2", f"{b.ipv6_link_local()}%eth0")


def test_host_on_two_lans_has_two_interfaces(lab: Lab) -> None:
    lan1, lan2 = lab.lan(), lab.lan()
    router = lab.host("r", [lan1, lan2])
    only1 = lab.host("x", [lan1])
    assert {att.ifname for att in router.attachments} == {"eth0", "eth1"}
    router.run("ping", "-c", "1", "-W", "2", str(only1.ipv4(lan1)))
    # The LANs are separate broadcast domains: lan2's address is not on lan1's link.
    assert router.ipv4(lan2) not in lan1.ipv4_network


def test_multicast_crosses_the_bridge(lab: Lab) -> None:
    a, b = lab.host("a"), lab.host("b")
    group, port = "224.0.0.251", 5399
    with b.entered():
        rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with a.entered():
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with rx, tx:
        rx.bind(("", port))
        mreq = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(str(b.ipv4())))
        rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        rx.settimeout(5)
        tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(str(a.ipv4())))
        tx.sendto(b"hello", (group, port))
        data, source = rx.recvfrom(100)
    assert data == b"hello"
    assert source[0] == str(a.ipv4())


def test_host_loop_runs_in_the_namespace(lab: Lab) -> None:
    a = lab.host("a")

    async def addresses() -> list[str]:
        return [name for _, name in socket.if_nameindex()]

    assert sorted(a.wait(addresses())) == ["eth0", "lo"]


def test_call_runs_a_function_on_the_host(lab: Lab) -> None:
    a = lab.host("a")
    assert sorted(a.call(_interface_names)) == ["eth0", "lo"]


def _interface_names() -> list[str]:
    return [name for _, name in socket.if_nameindex()]
