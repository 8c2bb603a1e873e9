"""L7 judged on hand-made timelines: mDNS only from an address whose probes are
done and first announcement sent (RFC 3927 §2.2, §2.4), never from one lost in
a conflict (§2.5); not judged, with the reason, when there is nothing to judge."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from ipaddress import IPv4Address

from lanwise.conformance import Outcome
from lanwise.conformance.claimed import MdnsSeen, judge_mdns_sources, parse_mdns
from lanwise.conformance.linklocal import Arp

MAC = bytes.fromhex("020000000001")
OTHER = bytes.fromhex("020000000002")
A = IPv4Address("169.254.7.9")
B = IPv4Address("169.254.33.4")
ZERO = IPv4Address(0)
GROUP = IPv4Address("224.0.0.251")


def probe(t: float, address: IPv4Address, mac: bytes = MAC) -> Arp:
    return Arp(t, mac, 1, mac, ZERO, bytes(6), address)


def announce(t: float, address: IPv4Address, mac: bytes = MAC) -> Arp:
    return Arp(t, mac, 1, mac, address, bytes(6), address)


def mdns(t: float, src: IPv4Address, mac: bytes = MAC) -> MdnsSeen:
    return MdnsSeen(t, mac, src, GROUP, 5353, 5353)


def claim(address: IPv4Address, start: float) -> list[Arp]:
    """Three probes 1.5 s apart, announcements 2 s and 4 s after the last."""
    return [
        probe(start, address),
        probe(start + 1.5, address),
        probe(start + 3.0, address),
        announce(start + 5.0, address),
        announce(start + 7.0, address),
    ]


def judge(
    arp: list[Arp], seen: list[MdnsSeen], conflicts: Sequence[tuple[float, IPv4Address]] = ()
) -> tuple[Outcome, str]:
    return judge_mdns_sources(MAC, arp, seen, list(conflicts), 0.0)


def test_mdns_right_after_the_first_announcement_passes() -> None:
    outcome, detail = judge(claim(A, 1.0), [mdns(6.01, A), mdns(9.0, A)])
    assert outcome is Outcome.PASS, detail
    assert "2 mDNS datagram(s)" in detail and "0.010s after" in detail


def test_an_mdns_probe_from_the_tentative_address_fails() -> None:
    """§2.4: the address may be used from the first announcement on, not before;
    a probe 1 s after the last ARP probe is still inside ANNOUNCE_WAIT."""
    outcome, detail = judge(claim(A, 1.0), [mdns(5.0, A), mdns(6.5, A)])
    assert outcome is Outcome.FAIL
    assert "1 of 2" in detail and "+5.000s" in detail and "not announced yet" in detail
    assert "announced 1000 ms later" in detail
    # Even a millisecond before the announcement is before it.
    outcome, detail = judge(claim(A, 1.0), [mdns(5.999, A)])
    assert outcome is Outcome.FAIL and "announced 1 ms later" in detail


def test_mdns_between_the_probes_fails() -> None:
    outcome, detail = judge(claim(A, 1.0), [mdns(1.2, A)])
    assert outcome is Outcome.FAIL and "still being claimed" in detail


def test_mdns_from_an_address_lost_in_a_conflict_fails() -> None:
    """§2.5: after a conflict it does not defend, the host stops using the address
    at once (a datagram within LOSS_GRACE may have been on its way already)."""
    arp = [*claim(A, 1.0), probe(20.6, B)]
    conflicts = [(20.0, A)]
    assert judge(arp, [mdns(20.1, A)], conflicts)[0] is Outcome.PASS
    outcome, detail = judge(arp, [mdns(20.4, A)], conflicts)
    assert outcome is Outcome.FAIL and "lost in a conflict at +20.000s" in detail


def test_a_defended_address_is_still_held() -> None:
    arp = [*claim(A, 1.0), announce(20.01, A)]
    outcome, detail = judge(arp, [mdns(21.0, A)], [(20.0, A)])
    assert outcome is Outcome.PASS, detail


def test_an_address_given_up_for_another_fails_and_the_new_one_passes_once_announced() -> None:
    arp = [*claim(A, 1.0), *claim(B, 30.0)]
    outcome, detail = judge(arp, [mdns(31.0, A)])
    assert outcome is Outcome.FAIL and "given up at +30.000s" in detail
    assert judge(arp, [mdns(35.0, B)])[0] is Outcome.PASS
    assert judge(arp, [mdns(34.0, B)])[0] is Outcome.FAIL


def test_the_address_held_before_the_phase_counts_until_the_first_probe() -> None:
    arp = claim(B, 10.0)
    assert judge(arp, [mdns(2.0, A)])[0] is Outcome.PASS
    outcome, detail = judge(arp, [mdns(2.0, A), mdns(12.0, IPv4Address("169.254.200.1"))])
    assert outcome is Outcome.FAIL and "never claimed" in detail


def test_other_hosts_arp_and_mdns_are_not_the_targets() -> None:
    arp = [*claim(A, 1.0), announce(2.0, A, OTHER)]
    assert judge(arp, [mdns(2.5, A, OTHER), mdns(6.5, A)])[0] is Outcome.PASS


def test_not_judged_without_mdns_or_without_mdns_from_169_254() -> None:
    outcome, detail = judge(claim(A, 1.0), [])
    assert outcome is Outcome.SKIP
    assert detail == "not judged: the target sent no mDNS during the phase"
    outcome, detail = judge(claim(A, 1.0), [mdns(2.0, IPv4Address("10.99.1.2"))])
    assert outcome is Outcome.SKIP and "from 10.99.1.2, none from a 169.254" in detail


def _frame(sport: int, dport: int, fragment: int = 0) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + 12, 0) + bytes(12)
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, fragment, 255, 17, 0, A.packed, GROUP.packed
    )
    return bytes.fromhex("01005e0000fb") + MAC + b"\x08\x00" + ip + udp


def test_mdns_datagrams_are_recognised_on_either_port() -> None:
    seen = parse_mdns(_frame(5353, 5353), 3.5)
    assert seen == MdnsSeen(3.5, MAC, A, GROUP, 5353, 5353)
    unicast = parse_mdns(_frame(40000, 5353), 0.0)
    assert unicast is not None and unicast.sport == 40000
    assert parse_mdns(_frame(5353, 41000), 0.0) is not None
    assert parse_mdns(_frame(53, 40000), 0.0) is None
    assert parse_mdns(_frame(5353, 5353, fragment=100), 0.0) is None  # a later fragment
    assert parse_mdns(_frame(5353, 5353)[:30], 0.0) is None
