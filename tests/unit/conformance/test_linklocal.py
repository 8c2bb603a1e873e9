"""The link-local phase's own ARP codec (RFC 826 framing, RFC 3927 §2.2.1/§2.4 kinds)."""

from __future__ import annotations

from ipaddress import IPv4Address

from lanwise.conformance.linklocal import arp_frame, mac_text, parse_arp, parse_mac

MAC = bytes.fromhex("020000000001")
ADDRESS = IPv4Address("169.254.7.9")


def test_a_probe_round_trips_and_is_a_probe() -> None:
    frame = arp_frame(1, MAC, IPv4Address(0), ADDRESS)
    assert len(frame) == 60  # padded to Ethernet's minimum
    packet = parse_arp(frame, 1.5)
    assert packet is not None
    assert packet.is_probe and not packet.is_announcement
    assert (packet.sha, packet.tpa, packet.time) == (MAC, ADDRESS, 1.5)


def test_an_announcement_has_sender_and_target_the_address() -> None:
    packet = parse_arp(arp_frame(1, MAC, ADDRESS, ADDRESS), 0.0)
    assert packet is not None and packet.is_announcement and not packet.is_probe


def test_other_frames_are_not_arp() -> None:
    frame = bytearray(arp_frame(1, MAC, ADDRESS, ADDRESS))
    frame[12:14] = b"\x08\x00"  # IPv4, not ARP
    assert parse_arp(bytes(frame), 0.0) is None
    assert parse_arp(b"\x00" * 20, 0.0) is None


def test_mac_addresses_parse_and_print() -> None:
    assert parse_mac("02:00:00:00:00:01") == MAC
    assert parse_mac("02-00-00-00-00-01") == MAC
    assert parse_mac("169.254.7.9") is None
    assert mac_text(MAC) == "02:00:00:00:00:01"
