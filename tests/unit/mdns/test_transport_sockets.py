"""Packet-info control messages and the echo filter of the mDNS transport (no network)."""

from __future__ import annotations

import socket
import struct
from ipaddress import IPv4Address, IPv6Address

from lanwise.mdns.echoes import EchoFilter
from lanwise.mdns.sockets import (
    IP_PKTINFO,
    IPV6_PKTINFO,
    ancillary_size,
    packet_info,
    send_packet_info,
)


def test_packet_info_reads_interface_and_header_destination_of_in_pktinfo() -> None:
    # struct in_pktinfo: ifindex, ipi_spec_dst (our address), ipi_addr (header destination)
    data = struct.pack("=i", 7) + IPv4Address("10.0.0.1").packed + IPv4Address("224.0.0.251").packed
    assert packet_info([(socket.IPPROTO_IP, IP_PKTINFO, data)]) == (7, IPv4Address("224.0.0.251"))


def test_packet_info_reads_in6_pktinfo() -> None:
    data = IPv6Address("ff02::fb").packed + struct.pack("=I", 3)
    assert packet_info([(socket.IPPROTO_IPV6, IPV6_PKTINFO, data)]) == (3, IPv6Address("ff02::fb"))


def test_packet_info_ignores_other_and_short_control_messages() -> None:
    assert packet_info([]) is None
    assert packet_info([(socket.IPPROTO_IP, IP_PKTINFO, b"\0" * 8)]) is None
    assert packet_info([(socket.SOL_SOCKET, 29, b"\0" * 16)]) is None


def test_send_packet_info_names_the_interface_and_leaves_the_source_to_the_kernel() -> None:
    level, kind, data = send_packet_info(socket.AF_INET, 5)
    assert (level, kind) == (socket.IPPROTO_IP, IP_PKTINFO)
    assert data == struct.pack("=i", 5) + bytes(8)
    level, kind, data = send_packet_info(socket.AF_INET6, 9)
    assert (level, kind) == (socket.IPPROTO_IPV6, IPV6_PKTINFO)
    assert data == bytes(16) + struct.pack("=I", 9)
    assert ancillary_size(socket.AF_INET6) >= socket.CMSG_LEN(20)
    assert ancillary_size(socket.AF_INET) >= socket.CMSG_LEN(12)


def test_echo_filter_drops_each_sent_datagram_once() -> None:
    echoes = EchoFilter()
    echoes.sent(b"query", now=10.0)
    echoes.sent(b"query", now=10.0)  # same bytes on a second interface
    assert echoes.is_echo(b"query")
    assert echoes.is_echo(b"query")
    assert not echoes.is_echo(b"query")  # a third copy is someone else's
    assert not echoes.is_echo(b"other")


def test_echo_filter_forgets_unmatched_datagrams_after_two_seconds() -> None:
    echoes = EchoFilter()
    echoes.sent(b"lost", now=100.0)  # its echo never comes (the interface went down)
    echoes.sent(b"fresh", now=101.9)
    assert echoes.is_echo(b"fresh")
    echoes.sent(b"later", now=102.0)  # the 2 s lifetime of b"lost" is over
    assert not echoes.is_echo(b"lost")
    assert len(echoes) == 1  # only b"later" is left in the expiry queue
