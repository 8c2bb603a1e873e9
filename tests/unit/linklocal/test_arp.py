"""The ARP codec: wire vectors, round trips, and malformed input (RFC 826, RFC 3927 §2.2.1/§2.4)."""

from __future__ import annotations

import contextlib
from ipaddress import IPv4Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanwise.errors import ProtocolError, UsageError
from lanwise.linklocal.arp import (
    BROADCAST_MAC,
    ZERO_MAC,
    ArpFormatError,
    ArpOperation,
    ArpPacket,
    format_mac,
    parse_mac,
)

MAC = bytes.fromhex("02005e100001")
OTHER = bytes.fromhex("02005e100002")
ADDRESS = IPv4Address("169.254.10.20")

# A probe for 169.254.10.20 from 02:00:5e:10:00:01, as it appears on the wire.
PROBE_FRAME = bytes.fromhex(
    "ffffffffffff"
    "02005e100001"
    "0806"  # Ethernet: broadcast, from us, ARP
    "0001"
    "0800"
    "06"
    "04"
    "0001"  # Ethernet/IPv4, request
    "02005e100001"
    "00000000"  # sender MAC, sender IP 0.0.0.0
    "000000000000"
    "a9fe0a14"  # target MAC zero, target IP 169.254.10.20
) + bytes(18)  # padding to Ethernet's 60-byte minimum


def test_probe_matches_the_wire_vector() -> None:
    """§2.2.1: a probe is a broadcast ARP request with sender IP 0.0.0.0."""
    probe = ArpPacket.probe(MAC, ADDRESS)
    assert probe.to_frame() == PROBE_FRAME
    assert probe.is_probe and not probe.is_announcement


def test_wire_vector_parses() -> None:
    packet = ArpPacket.from_frame(PROBE_FRAME)
    assert packet == ArpPacket(ArpOperation.REQUEST, MAC, IPv4Address("0.0.0.0"), ZERO_MAC, ADDRESS)


def test_announcement_has_sender_and_target_ip_the_address() -> None:
    """§2.4: an announcement is a probe with sender and target IP both the address."""
    announcement = ArpPacket.announcement(MAC, ADDRESS)
    assert announcement.sender_ip == announcement.target_ip == ADDRESS
    assert announcement.is_announcement and not announcement.is_probe
    assert announcement.to_frame()[:6] == BROADCAST_MAC


@given(
    op=st.sampled_from(list(ArpOperation)),
    sha=st.binary(min_size=6, max_size=6),
    spa=st.integers(0, 2**32 - 1),
    tha=st.binary(min_size=6, max_size=6),
    tpa=st.integers(0, 2**32 - 1),
)
def test_round_trip(op: ArpOperation, sha: bytes, spa: int, tha: bytes, tpa: int) -> None:
    packet = ArpPacket(op, sha, IPv4Address(spa), tha, IPv4Address(tpa))
    assert ArpPacket.from_bytes(packet.to_bytes()) == packet
    assert ArpPacket.from_frame(packet.to_frame()) == packet
    assert ArpPacket.from_frame(packet.to_frame(OTHER)) == packet


def test_reply_frame_to_unicast_destination() -> None:
    reply = ArpPacket(ArpOperation.REPLY, MAC, ADDRESS, OTHER, IPv4Address("169.254.3.4"))
    frame = reply.to_frame(OTHER)
    assert frame[:6] == OTHER and frame[6:12] == MAC
    assert len(frame) == 60
    assert str(reply).startswith("ARP reply 02:00:5e:10:00:01 169.254.10.20")


def _patched(offset: int, value: bytes) -> bytes:
    return PROBE_FRAME[:offset] + value + PROBE_FRAME[offset + len(value) :]


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (PROBE_FRAME[:10], "truncated Ethernet header"),
        (PROBE_FRAME[: 14 + 27], "truncated"),
        (_patched(12, b"\x08\x00"), "not ARP"),
        (_patched(14, b"\x00\x06"), "not Ethernet"),  # hardware type IEEE 802
        (_patched(18, b"\x08"), "not Ethernet"),  # hardware length 8
        (_patched(16, b"\x86\xdd"), "not IPv4"),  # protocol IPv6
        (_patched(19, b"\x10"), "not IPv4"),  # protocol length 16
        (_patched(20, b"\x00\x03"), "neither request nor reply"),  # RARP request
    ],
)
def test_malformed_frames_raise_a_protocol_error(frame: bytes, reason: str) -> None:
    with pytest.raises(ArpFormatError, match=reason) as info:
        ArpPacket.from_frame(frame)
    assert isinstance(info.value, ProtocolError)


@given(st.binary(max_size=80))
def test_arbitrary_bytes_never_raise_anything_else(data: bytes) -> None:
    with contextlib.suppress(ArpFormatError):
        ArpPacket.from_frame(data)


def test_hardware_addresses_must_be_six_bytes() -> None:
    with pytest.raises(UsageError, match="sender_mac"):
        ArpPacket(ArpOperation.REQUEST, b"\x01", ADDRESS, ZERO_MAC, ADDRESS)


def test_mac_text_forms() -> None:
    assert parse_mac("02:00:5E:10:00:01") == MAC
    assert parse_mac("02-00-5e-10-00-01") == MAC
    assert format_mac(MAC) == "02:00:5e:10:00:01"
    for bad in ("02:00:5e:10:00", "02:00:5e:10:00:zz", "0200.5e10.0001", ""):
        with pytest.raises(UsageError, match="hardware address"):
            parse_mac(bad)
