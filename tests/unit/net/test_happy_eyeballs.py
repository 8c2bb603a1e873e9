"""The Happy Eyeballs v2 planner (RFC 8305), stepped by hand with a fake clock."""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from lanwise.errors import UsageError
from lanwise.net.happy_eyeballs import (
    CONNECTION_ATTEMPT_DELAY,
    MIN_CONNECTION_ATTEMPT_SPACING,
    RESOLUTION_DELAY,
    Attempt,
    PathInterface,
    Planner,
    Target,
)

V6, V4 = socket.AF_INET6, socket.AF_INET
ETH0 = PathInterface(2)


def targets(*texts: str) -> list[Target]:
    return [Target(ip_address(t)) for t in texts]


def take(planner: Planner, now: float) -> Attempt:
    attempt = planner.next_attempt(now)
    assert attempt is not None, f"no attempt at {now}"
    return attempt


def test_constants_are_the_rfc_8305_recommendations() -> None:
    """§3: Resolution Delay 50 ms; §5: Connection Attempt Delay 250 ms, spacing ≥ 10 ms."""
    assert RESOLUTION_DELAY == 0.050
    assert CONNECTION_ATTEMPT_DELAY == 0.250
    assert MIN_CONNECTION_ATTEMPT_SPACING == 0.010


def test_section_3_aaaa_first_starts_at_once() -> None:
    """RFC 8305 §3: a positive AAAA answer starts connecting without waiting for A."""
    p = Planner([ETH0])
    assert p.next_attempt(0.0) is None and p.get_timer() is None
    p.resolved(V6, targets("2001:db8::1"), now=1.0)
    assert p.get_timer() == 1.0
    assert take(p, 1.0).address == IPv6Address("2001:db8::1")


def test_section_3_a_first_waits_the_resolution_delay() -> None:
    """RFC 8305 §3: A before AAAA: wait 50 ms for AAAA, then go on with IPv4."""
    p = Planner([ETH0])
    p.resolved(V4, targets("192.0.2.1"), now=1.0)
    assert p.get_timer() == pytest.approx(1.0 + RESOLUTION_DELAY)
    assert p.next_attempt(1.049) is None
    attempt = take(p, 1.050)
    assert attempt.address == IPv4Address("192.0.2.1")


def test_section_3_aaaa_within_the_resolution_delay_wins() -> None:
    """RFC 8305 §3: AAAA arriving inside the Resolution Delay: IPv6 goes first."""
    p = Planner([ETH0])
    p.resolved(V4, targets("192.0.2.1"), now=1.0)
    p.resolved(V6, targets("2001:db8::1"), now=1.02)
    assert p.get_timer() == 1.02
    assert take(p, 1.02).address.version == 6


def test_section_3_negative_aaaa_ends_the_resolution_delay() -> None:
    """RFC 8305 §3: a negative AAAA answer: no reason to wait, IPv4 starts at once."""
    p = Planner([ETH0])
    p.resolved(V4, targets("192.0.2.1"), now=1.0)
    p.resolved(V6, [], now=1.01)
    assert take(p, 1.01).address.version == 4


def test_section_3_negative_aaaa_waits_for_a() -> None:
    """RFC 8305 §3: with AAAA negative and A outstanding there is nothing to try yet."""
    p = Planner([ETH0])
    p.resolved(V6, [], now=1.0)
    assert p.next_attempt(5.0) is None and p.get_timer() is None
    assert not p.exhausted
    p.resolved(V4, targets("192.0.2.1"), now=5.0)
    assert take(p, 5.0).address.version == 4


def test_section_3_late_aaaa_joins_the_candidates() -> None:
    """RFC 8305 §3/§4: AAAA after IPv4 attempts began: its addresses are tried next."""
    p = Planner([ETH0])
    p.resolved(V4, targets("192.0.2.1", "192.0.2.2"), now=0.0)
    first = take(p, RESOLUTION_DELAY)
    assert first.address.version == 4
    p.resolved(V6, targets("2001:db8::1"), now=0.1)
    second = take(p, RESOLUTION_DELAY + CONNECTION_ATTEMPT_DELAY)
    assert second.address == IPv6Address("2001:db8::1")


def test_section_4_families_interleave_starting_with_ipv6() -> None:
    """RFC 8305 §4: IPv6 first, then alternate families (First Address Family Count 1)."""
    p = Planner([ETH0])
    p.resolved(V6, targets("2001:db8::1", "2001:db8::2", "2001:db8::3"), now=0.0)
    p.resolved(V4, targets("192.0.2.1", "192.0.2.2"), now=0.0)
    order = []
    now = 0.0
    while (a := p.next_attempt(now)) is not None or p.get_timer() is not None:
        if a is not None:
            order.append(str(a.address))
        now = p.get_timer() or now
    assert order == ["2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2", "2001:db8::3"]


def test_section_4_first_address_family_count() -> None:
    """RFC 8305 §4: with First Address Family Count 2, two IPv6 addresses lead."""
    p = Planner([ETH0], first_address_family_count=2)
    p.resolved(V6, targets("2001:db8::1", "2001:db8::2", "2001:db8::3"), now=0.0)
    p.resolved(V4, targets("192.0.2.1", "192.0.2.2"), now=0.0)
    order = []
    for step in range(5):
        order.append(str(take(p, step * CONNECTION_ATTEMPT_DELAY).address))
    assert order == ["2001:db8::1", "2001:db8::2", "192.0.2.1", "2001:db8::3", "192.0.2.2"]


def test_section_5_attempts_start_one_connection_attempt_delay_apart() -> None:
    """RFC 8305 §5: while an attempt is pending, the next starts 250 ms after it."""
    p = Planner([ETH0])
    p.resolved(V6, targets("2001:db8::1", "2001:db8::2"), now=0.0)
    p.resolved(V4, [], now=0.0)
    take(p, 0.0)
    assert p.get_timer() == pytest.approx(CONNECTION_ATTEMPT_DELAY)
    assert p.next_attempt(0.249) is None
    second = take(p, 0.250)
    assert second.address == IPv6Address("2001:db8::2")
    assert len(p.in_flight) == 2  # §5: a new attempt does not stop the previous one


def test_section_5_failure_starts_the_next_attempt_early_but_not_within_10_ms() -> None:
    """RFC 8305 §5: a failed attempt frees the way, but attempts stay ≥ 10 ms apart."""
    p = Planner([ETH0])
    p.resolved(V6, targets("2001:db8::1", "2001:db8::2"), now=0.0)
    p.resolved(V4, [], now=0.0)
    first = take(p, 0.0)
    p.attempt_failed(first, now=0.002)
    assert p.get_timer() == pytest.approx(MIN_CONNECTION_ATTEMPT_SPACING)
    assert p.next_attempt(0.005) is None
    assert take(p, 0.010).address == IPv6Address("2001:db8::2")


def test_section_5_success_cancels_the_others_and_ignores_the_rest() -> None:
    """RFC 8305 §5: the first success wins; other attempts are cancelled, others never start."""
    p = Planner([ETH0])
    p.resolved(V6, targets("2001:db8::1", "2001:db8::2", "2001:db8::3"), now=0.0)
    p.resolved(V4, [], now=0.0)
    a1 = take(p, 0.0)
    a2 = take(p, 0.25)
    losers = p.attempt_succeeded(a2, now=0.3)
    assert losers == [a1]
    assert p.winner == a2
    assert p.next_attempt(10.0) is None and p.get_timer() is None
    assert not p.exhausted


def test_section_5_delay_bounds_are_enforced() -> None:
    """RFC 8305 §5: the Connection Attempt Delay SHOULD stay within 100 ms .. 2 s."""
    with pytest.raises(UsageError):
        Planner([ETH0], connection_attempt_delay=0.05)
    with pytest.raises(UsageError):
        Planner([ETH0], connection_attempt_delay=3.0)
    p = Planner([ETH0], connection_attempt_delay=0.1)
    p.resolved(V6, targets("2001:db8::1", "2001:db8::2"), now=0.0)
    take(p, 0.0)
    assert p.get_timer() == pytest.approx(0.1)


def test_exhausted_after_every_candidate_failed() -> None:
    p = Planner([ETH0])
    p.resolved(V6, [], now=0.0)
    p.resolved(V4, targets("192.0.2.1"), now=0.0)
    a = take(p, 0.0)
    assert not p.exhausted
    p.attempt_failed(a, now=0.1)
    assert p.exhausted
    assert p.failed_attempts == (a,)


def test_no_addresses_at_all_is_exhausted_at_once() -> None:
    p = Planner([ETH0])
    p.resolved(V6, [], now=0.0)
    p.resolved(V4, [], now=0.0)
    assert p.exhausted and p.next_attempt(0.0) is None


def test_each_address_is_tried_over_each_interface() -> None:
    """Across interfaces: a candidate is (address, interface); families still interleave."""
    p = Planner([PathInterface(2), PathInterface(3)])
    p.resolved(V6, targets("2001:db8::1"), now=0.0)
    p.resolved(V4, targets("192.0.2.1"), now=0.0)
    seen = []
    for step in range(4):
        a = take(p, step * CONNECTION_ATTEMPT_DELAY)
        seen.append((str(a.address), a.interface_index))
    assert seen == [
        ("2001:db8::1", 2),
        ("192.0.2.1", 2),
        ("2001:db8::1", 3),
        ("192.0.2.1", 3),
    ]


def test_interfaces_without_the_family_are_skipped() -> None:
    p = Planner([PathInterface(2, ipv6=False), PathInterface(3, ipv4=False)])
    p.resolved(V6, targets("2001:db8::1"), now=0.0)
    p.resolved(V4, targets("192.0.2.1"), now=0.0)
    first, second = take(p, 0.0), take(p, 0.25)
    assert (first.interface_index, first.family) == (3, V6)
    assert (second.interface_index, second.family) == (2, V4)
    assert p.next_attempt(1.0) is None


def test_scoped_address_only_goes_out_of_its_interface() -> None:
    """An IPv6 link-local destination is only reachable on the link of its zone."""
    p = Planner([PathInterface(2), PathInterface(3)])
    p.resolved(V6, [Target(IPv6Address("fe80::1%eth1"), scope=3)], now=0.0)
    p.resolved(V4, [], now=0.0)
    a = take(p, 0.0)
    assert a.interface_index == 3
    assert p.next_attempt(1.0) is None


def test_loopback_destinations_use_loopback_interfaces_only() -> None:
    p = Planner([PathInterface(2), PathInterface(1, loopback=True)])
    p.resolved(V4, targets("127.0.0.1", "192.0.2.1"), now=0.0)
    p.resolved(V6, [], now=0.0)
    first, second = take(p, 0.0), take(p, 0.25)
    assert (str(first.address), first.interface_index) == ("127.0.0.1", 1)
    assert (str(second.address), second.interface_index) == ("192.0.2.1", 2)
    assert p.next_attempt(1.0) is None
