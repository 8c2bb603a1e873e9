"""The RFC 3927 state machine, driven by a hand-stepped clock.

Every timing and conflict rule has a test here that names its section.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Iterable
from ipaddress import IPv4Address

import pytest

from lanwise.errors import UsageError
from lanwise.linklocal.arp import ArpOperation, ArpPacket
from lanwise.linklocal.constants import (
    ANNOUNCE_INTERVAL,
    ANNOUNCE_NUM,
    ANNOUNCE_WAIT,
    DEFEND_INTERVAL,
    FIRST_ADDRESS,
    LAST_ADDRESS,
    MAX_CONFLICTS,
    PROBE_MAX,
    PROBE_MIN,
    PROBE_NUM,
    PROBE_WAIT,
    RATE_LIMIT_INTERVAL,
    RFC_TIMING,
    Timing,
)
from lanwise.linklocal.events import (
    AddressClaimed,
    AddressReleased,
    ConflictDetected,
    Event,
    StateChanged,
)
from lanwise.linklocal.machine import LinkLocalMachine, address_for_hardware
from lanwise.linklocal.states import TRANSITIONS, State, allowed, render_table

MAC = bytes.fromhex("02005e100001")
OTHER = bytes.fromhex("02005e100002")
THIRD = bytes.fromhex("02005e100003")
T0 = 1000.0
SEEDS = range(40)


def machine(seed: int = 1, **kw: object) -> LinkLocalMachine:
    return LinkLocalMachine(MAC, rng=random.Random(seed), **kw)  # type: ignore[arg-type]


def run_until(m: LinkLocalMachine, until: float) -> list[tuple[float, ArpPacket]]:
    """Step the clock from timer to timer up to ``until``; the packets, each with its time."""
    sent: list[tuple[float, ArpPacket]] = []
    while (deadline := m.get_timer()) is not None and deadline <= until:
        m.handle_timer(deadline)
        sent += [(deadline, p) for p in m.packets_to_send()]
    return sent


def state(m: LinkLocalMachine) -> State:
    """The machine's state, read afresh (mypy would otherwise keep an earlier narrowing)."""
    return m.state


def next_probe(m: LinkLocalMachine) -> float:
    """Step the clock from timer to timer until a probe goes out; its time."""
    while (deadline := m.get_timer()) is not None:
        m.handle_timer(deadline)
        if any(p.is_probe for p in m.packets_to_send()):
            return deadline
    raise AssertionError("no probe scheduled")


def drain(m: LinkLocalMachine) -> list[Event]:
    events = []
    while (event := m.next_event()) is not None:
        events.append(event)
    return events


def bound(seed: int = 1, **kw: object) -> tuple[LinkLocalMachine, float]:
    """A machine that has claimed and announced its address; returns it and the time."""
    m = machine(seed, **kw)
    m.start(T0)
    run_until(m, T0 + 60)
    assert state(m) is State.BOUND
    drain(m)
    return m, T0 + 60


def conflicting(address: IPv4Address, mac: bytes = OTHER) -> ArpPacket:
    """Another host's ARP packet with ``address`` as its sender IP (§2.2.1, §2.5)."""
    return ArpPacket(ArpOperation.REQUEST, mac, address, bytes(6), IPv4Address("169.254.9.9"))


def probes(sent: Iterable[tuple[float, ArpPacket]]) -> list[tuple[float, ArpPacket]]:
    return [(t, p) for t, p in sent if p.is_probe]


def announcements(sent: Iterable[tuple[float, ArpPacket]]) -> list[tuple[float, ArpPacket]]:
    return [(t, p) for t, p in sent if p.is_announcement]


# -- §9 constants ----------------------------------------------------------------------
def test_constants_are_rfc_3927_section_9() -> None:
    assert (PROBE_WAIT, PROBE_NUM, PROBE_MIN, PROBE_MAX) == (1.0, 3, 1.0, 2.0)
    assert (ANNOUNCE_WAIT, ANNOUNCE_NUM, ANNOUNCE_INTERVAL) == (2.0, 2, 2.0)
    assert (MAX_CONFLICTS, RATE_LIMIT_INTERVAL, DEFEND_INTERVAL) == (10, 60.0, 10.0)
    assert Timing() == RFC_TIMING


def test_scaled_timing_scales_intervals_not_counts() -> None:
    fast = RFC_TIMING.scaled(0.1)
    assert fast.probe_max == pytest.approx(0.2) and fast.defend_interval == pytest.approx(1.0)
    assert (fast.probe_num, fast.announce_num, fast.max_conflicts) == (3, 2, 10)
    with pytest.raises(UsageError):
        RFC_TIMING.scaled(0)
    with pytest.raises(UsageError):
        Timing(probe_min=3.0)


# -- §2.1 address selection --------------------------------------------------------------
def test_candidates_stay_in_the_section_2_1_range() -> None:
    """§2.1: only 169.254.1.0 - 169.254.254.255; the reserved ends are never chosen."""
    for seed in range(300):
        mac = random.Random(seed).randbytes(6)
        assert FIRST_ADDRESS <= address_for_hardware(mac) <= LAST_ADDRESS
    m = machine()
    m.start(T0)
    seen = set()
    for _ in range(300):
        m.receive_arp(conflicting(m.candidate), next_probe(m))
        seen.add(m.candidate)
    assert all(FIRST_ADDRESS <= a <= LAST_ADDRESS for a in seen)
    assert len(seen) > 250  # pseudo-random, not a short cycle


def test_first_candidate_derives_from_the_mac_and_is_stable() -> None:
    """§2.1: seeded from the MAC, a host tends to pick the same address every run."""
    first = LinkLocalMachine(MAC, rng=random.Random(1)).candidate
    assert LinkLocalMachine(MAC, rng=random.Random(2)).candidate == first
    assert LinkLocalMachine("02:00:5e:10:00:01").candidate == first
    assert first == address_for_hardware(MAC)
    others = {address_for_hardware(bytes([2, 0, 0, 0, 0, i])) for i in range(50)}
    assert len(others) == 50  # neighbouring MACs spread out


def test_later_candidates_are_random() -> None:
    """§2.1/§2.2.1: after a conflict the next address comes from the generator."""
    picks = set()
    for seed in range(10):
        m = machine(seed)
        m.start(T0)
        m.receive_arp(conflicting(m.candidate), T0)
        picks.add(m.candidate)
    assert address_for_hardware(MAC) not in picks
    assert len(picks) == 10


def test_requested_address_is_probed_first() -> None:
    m = machine(requested="169.254.7.7")
    m.start(T0)
    sent = run_until(m, T0 + PROBE_WAIT)
    assert [p.target_ip for _, p in sent] == [IPv4Address("169.254.7.7")]


@pytest.mark.parametrize("bad", ["169.254.0.5", "169.254.255.1", "10.0.0.1", "nonsense"])
def test_requested_address_outside_the_range_is_refused(bad: str) -> None:
    """§2.1: the first and last 256 addresses of 169.254/16 are reserved."""
    with pytest.raises(UsageError, match="requested address"):
        machine(requested=bad)


# -- §2.2.1 probing ------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_first_probe_waits_up_to_probe_wait(seed: int) -> None:
    """§2.2.1: wait a random 0..PROBE_WAIT seconds before the first probe."""
    m = machine(seed)
    m.start(T0)
    deadline = m.get_timer()
    assert deadline is not None and T0 <= deadline <= T0 + PROBE_WAIT
    m.handle_timer(T0 + (deadline - T0) / 2)  # early: nothing goes out
    assert m.packets_to_send() == []
    m.handle_timer(deadline)
    assert len(m.packets_to_send()) == 1


def test_first_probe_delays_are_spread_over_probe_wait() -> None:
    """§2.2.1: the delay is uniform over the window, not a constant."""
    delays = []
    for seed in range(200):
        m = machine(seed)
        m.start(T0)
        deadline = m.get_timer()
        assert deadline is not None
        delays.append(deadline - T0)
    assert min(delays) < 0.1 and max(delays) > 0.9


@pytest.mark.parametrize("seed", SEEDS)
def test_probes_are_spaced_probe_min_to_probe_max(seed: int) -> None:
    """§2.2.1: PROBE_NUM probes, PROBE_MIN..PROBE_MAX seconds apart."""
    m = machine(seed)
    m.start(T0)
    sent = probes(run_until(m, T0 + 20))
    assert len(sent) == PROBE_NUM
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(sent)]
    assert all(PROBE_MIN <= gap <= PROBE_MAX for gap in gaps)


def test_probe_spacing_is_random() -> None:
    """§2.2.1: "spaced randomly" — gaps differ between runs."""
    gaps = set()
    for seed in range(20):
        m = machine(seed)
        m.start(T0)
        sent = probes(run_until(m, T0 + 20))
        gaps.add(round(sent[1][0] - sent[0][0], 6))
    assert len(gaps) > 15


def test_probes_have_sender_ip_zero() -> None:
    """§2.2.1: probe = ARP request, sender MAC ours, sender IP 0.0.0.0, target the candidate."""
    m = machine()
    m.start(T0)
    for _, p in probes(run_until(m, T0 + 20)):
        assert p.operation is ArpOperation.REQUEST
        assert p.sender_mac == MAC
        assert p.sender_ip == IPv4Address("0.0.0.0")
        assert p.target_mac == bytes(6)
        assert p.target_ip == address_for_hardware(MAC)
        assert p.to_frame()[:6] == b"\xff" * 6  # broadcast


@pytest.mark.parametrize("phase", ["before-first-probe", "between-probes", "announce-wait"])
def test_conflict_during_probing_picks_a_new_address(phase: str) -> None:
    """§2.2.1: an ARP packet with the candidate as sender IP, from the start of probing
    until ANNOUNCE_WAIT after the last probe, means the address is in use."""
    m = machine()
    m.start(T0)
    first = m.candidate
    if phase == "before-first-probe":
        now = T0
    else:
        count = PROBE_NUM if phase == "announce-wait" else 1
        now = [next_probe(m) for _ in range(count)][-1] + 0.5
        assert state(m) is State.PROBING
    drain(m)
    m.receive_arp(conflicting(first), now)
    events = drain(m)
    assert isinstance(events[0], ConflictDetected)
    assert events[0].address == first and events[0].action == "new-address"
    assert events[0].hardware_address == "02:00:5e:10:00:02"
    change = events[1]
    assert isinstance(change, StateChanged)
    assert (change.old, change.new, change.address) == (State.PROBING, State.PROBING, m.candidate)
    assert m.candidate != first
    # The process starts over: PROBE_WAIT, then PROBE_NUM probes for the new address.
    deadline = m.get_timer()
    assert deadline is not None and now <= deadline <= now + PROBE_WAIT
    sent = probes(run_until(m, now + 20))
    assert [p.target_ip for _, p in sent] == [m.candidate] * PROBE_NUM


def test_another_hosts_probe_for_the_candidate_is_a_conflict() -> None:
    """§2.2.1: an ARP probe for our candidate from another hardware address."""
    m = machine()
    m.start(T0)
    first = m.candidate
    m.receive_arp(ArpPacket.probe(OTHER, first).to_frame(), T0 + 0.1)
    assert m.candidate != first and m.conflicts == 1


def test_unrelated_and_own_packets_are_not_conflicts() -> None:
    m = machine()
    m.start(T0)
    first = m.candidate
    m.receive_arp(ArpPacket.probe(MAC, first), T0)  # our own probe, looped back
    m.receive_arp(conflicting(first, mac=MAC), T0)  # our own hardware address
    m.receive_arp(ArpPacket.probe(OTHER, first + 1), T0)  # someone else's candidate
    m.receive_arp(conflicting(first + 1), T0)
    # A request *for* the candidate from a configured host is not a probe (sender IP set).
    m.receive_arp(
        ArpPacket(ArpOperation.REQUEST, OTHER, IPv4Address("169.254.3.3"), bytes(6), first), T0
    )
    assert m.candidate == first and m.conflicts == 0
    assert m.statistics().received == 5


def test_malformed_frames_are_counted_and_dropped() -> None:
    m = machine()
    m.start(T0)
    before = (m.state, m.candidate, m.get_timer())
    m.receive_arp(b"\x00" * 10, T0)
    m.receive_arp(ArpPacket.probe(OTHER, m.candidate).to_frame()[:30], T0)
    assert (m.state, m.candidate, m.get_timer()) == before
    stats = m.statistics()
    assert (stats.received, stats.malformed, stats.conflicts) == (2, 2, 0)


# -- §2.2.1 rate limiting ------------------------------------------------------------------
def _conflict_now(m: LinkLocalMachine, now: float) -> None:
    m.receive_arp(conflicting(m.candidate, THIRD), now)


def test_max_conflicts_rate_limits_new_addresses() -> None:
    """§2.2.1: after MAX_CONFLICTS conflicts, at most one new address per RATE_LIMIT_INTERVAL."""
    m = machine()
    m.start(T0)
    now = T0
    for n in range(1, MAX_CONFLICTS):
        now += 0.5
        _conflict_now(m, now)
        assert m.conflicts == n and state(m) is State.PROBING  # not yet limited
    now += 0.5
    attempt_started = now - 0.5  # the attempt the 10th conflict ends began at the 9th
    _conflict_now(m, now)
    assert m.conflicts == MAX_CONFLICTS
    assert state(m) is State.RATE_LIMITED
    assert m.get_timer() == attempt_started + RATE_LIMIT_INTERVAL
    # Nothing at all goes out until the interval is over.
    assert run_until(m, attempt_started + RATE_LIMIT_INTERVAL - 0.001) == []
    sent = run_until(m, attempt_started + RATE_LIMIT_INTERVAL + PROBE_WAIT)
    assert state(m) is State.PROBING
    assert len(probes(sent)) == 1
    assert sent[0][0] >= attempt_started + RATE_LIMIT_INTERVAL
    # A further conflict waits a full interval again, counted from this attempt's first probe.
    _conflict_now(m, sent[0][0] + 0.1)
    assert m.conflicts == MAX_CONFLICTS + 1
    assert m.get_timer() == sent[0][0] + RATE_LIMIT_INTERVAL


def test_rate_limited_attempts_are_at_least_an_interval_apart() -> None:
    """§2.2.1: over many conflicts, first probes of successive addresses are ≥ 60 s apart."""
    m = machine()
    m.start(T0)
    first_probes: list[float] = []
    for _ in range(MAX_CONFLICTS + 5):
        first_probes.append(next_probe(m))
        _conflict_now(m, first_probes[-1] + 0.01)
    late = first_probes[MAX_CONFLICTS:]
    assert all(b - a >= RATE_LIMIT_INTERVAL for a, b in itertools.pairwise(late))


def test_conflict_counter_resets_once_an_address_is_bound() -> None:
    m = machine()
    m.start(T0)
    for i in range(3):
        _conflict_now(m, T0 + i)
    assert m.conflicts == 3
    run_until(m, T0 + 60)
    assert state(m) is State.BOUND and m.conflicts == 0


def test_conflict_counter_resets_even_when_a_defence_interrupted_announcing() -> None:
    """§2.2.1 counts conflicts while acquiring an address; an address announced in full
    (§2.4) is acquired, even if a §2.5 defence came between the announcements."""
    m = machine()
    m.start(T0)
    for i in range(3):
        _conflict_now(m, T0 + i)
    claim_time = T0
    while m.address is None:  # step to the claim and its first announcement
        deadline = m.get_timer()
        assert deadline is not None
        claim_time = deadline
        m.handle_timer(claim_time)
    address = m.address
    assert address is not None and state(m) is State.ANNOUNCING and m.conflicts == 3
    m.receive_arp(conflicting(address), claim_time + 0.5)  # defended: DEFENDING
    run_until(m, claim_time + ANNOUNCE_INTERVAL)  # the last announcement goes out
    assert state(m) is State.DEFENDING and m.conflicts == 0
    run_until(m, claim_time + 0.5 + DEFEND_INTERVAL)
    assert state(m) is State.BOUND and m.conflicts == 0


# -- §2.4 announcing -----------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_announcing_waits_announce_wait_after_the_last_probe(seed: int) -> None:
    """§2.2.1/§2.4: the first announcement goes out ANNOUNCE_WAIT after the last probe."""
    m = machine(seed)
    m.start(T0)
    sent = run_until(m, T0 + 30)
    last_probe = probes(sent)[-1][0]
    first_announcement = announcements(sent)[0][0]
    assert first_announcement == pytest.approx(last_probe + ANNOUNCE_WAIT)


def test_address_is_claimed_with_the_first_announcement() -> None:
    """§2.4: the host may use the address from the first announcement on."""
    m = machine()
    m.start(T0)
    sent = probes(run_until(m, T0 + 5))
    last_probe = sent[-1][0]
    drain(m)
    m.handle_timer(last_probe + ANNOUNCE_WAIT - 0.001)
    assert m.address is None and m.packets_to_send() == []
    m.handle_timer(last_probe + ANNOUNCE_WAIT)
    events = drain(m)
    claimed = [e for e in events if isinstance(e, AddressClaimed)]
    assert [e.address for e in claimed] == [m.candidate]
    assert m.address == m.candidate and state(m) is State.ANNOUNCING
    (packet,) = m.packets_to_send()
    assert packet.is_announcement


def test_announcements_are_announce_interval_apart() -> None:
    """§2.4: ANNOUNCE_NUM announcements, ANNOUNCE_INTERVAL seconds apart, then bound."""
    m = machine()
    m.start(T0)
    sent = announcements(run_until(m, T0 + 60))
    assert len(sent) == ANNOUNCE_NUM
    assert sent[1][0] - sent[0][0] == pytest.approx(ANNOUNCE_INTERVAL)
    for _, p in sent:
        assert p.sender_mac == MAC
        assert p.sender_ip == p.target_ip == m.address
    assert state(m) is State.BOUND and m.get_timer() is None


def test_a_late_timer_call_never_bunches_packets() -> None:
    """Spacing counts from when a packet really went out, so a late wake-up cannot
    send two probes at once (§2.2.1)."""
    m = machine()
    m.start(T0)
    m.handle_timer(T0 + 30)  # very late
    assert len(m.packets_to_send()) == 1


# -- §2.5 conflict detection and defence -------------------------------------------------
def test_bound_host_defends_once() -> None:
    """§2.5 (b): on a conflict, record the time and broadcast one single announcement."""
    m, now = bound()
    address = m.address
    assert address is not None
    m.receive_arp(conflicting(address), now)
    (packet,) = m.packets_to_send()
    assert packet.is_announcement and packet.sender_ip == address and packet.sender_mac == MAC
    events = drain(m)
    assert isinstance(events[0], ConflictDetected) and events[0].action == "defended"
    assert m.address == address and state(m) is State.DEFENDING
    assert not any(isinstance(e, AddressReleased) for e in events)


def test_second_conflict_within_defend_interval_gives_up() -> None:
    """§2.5: a second conflict within DEFEND_INTERVAL: cease using the address at once."""
    m, now = bound()
    address = m.address
    assert address is not None
    m.receive_arp(conflicting(address), now)
    m.packets_to_send()
    drain(m)
    m.receive_arp(conflicting(address), now + DEFEND_INTERVAL - 0.01)
    assert m.packets_to_send() == []  # no second defence
    events = drain(m)
    assert isinstance(events[0], ConflictDetected) and events[0].action == "gave-up"
    assert AddressReleased(now + DEFEND_INTERVAL - 0.01, address, "lost to 02:00:5e:10:00:02") in (
        events
    )
    assert m.address is None and state(m) is State.PROBING and m.candidate != address
    assert m.statistics().addresses_lost == 1


def test_conflict_after_defend_interval_is_defended_again() -> None:
    """§2.5: only a conflict *within* DEFEND_INTERVAL of the last defence is fatal."""
    m, now = bound()
    address = m.address
    assert address is not None
    m.receive_arp(conflicting(address), now)
    assert m.get_timer() == now + DEFEND_INTERVAL
    run_until(m, now + DEFEND_INTERVAL)
    assert state(m) is State.BOUND
    m.receive_arp(conflicting(address), now + DEFEND_INTERVAL + 0.5)
    assert state(m) is State.DEFENDING and m.address == address
    # Even without the timer serviced in between, the interval is what counts.
    m2, now2 = bound()
    m2.receive_arp(conflicting(m2.candidate), now2)
    m2.receive_arp(conflicting(m2.candidate), now2 + DEFEND_INTERVAL)
    assert state(m2) is State.DEFENDING and m2.address is not None
    assert m2.statistics().defences == 2


def test_conflict_while_announcing_is_defended_and_announcing_continues() -> None:
    """§2.5 applies as soon as the address is claimed; §2.4's announcements still go out."""
    m = machine()
    m.start(T0)
    sent = probes(run_until(m, T0 + 5))
    claim_time = sent[-1][0] + ANNOUNCE_WAIT
    m.handle_timer(claim_time)
    m.packets_to_send()
    address = m.address
    assert address is not None
    m.receive_arp(conflicting(address), claim_time + 0.5)
    assert [p.is_announcement for p in m.packets_to_send()] == [True]
    assert state(m) is State.DEFENDING
    later = announcements(run_until(m, claim_time + 30))
    assert [t for t, _ in later] == [claim_time + ANNOUNCE_INTERVAL]
    assert state(m) is State.BOUND and m.address == address


def test_claimed_address_ignores_probes_and_own_packets() -> None:
    """§2.5 conflicts are packets whose *sender* IP is ours from another MAC."""
    m, now = bound()
    address = m.address
    assert address is not None
    m.receive_arp(ArpPacket.probe(OTHER, address), now)  # the kernel answers those
    m.receive_arp(ArpPacket.announcement(MAC, address), now)
    assert state(m) is State.BOUND and m.packets_to_send() == []


# -- link changes (BCT I.6), pause and stop -------------------------------------------------
def test_link_down_releases_and_link_up_probes_the_previous_address() -> None:
    m, now = bound()
    address = m.address
    m.pause(now, "link down")
    events = drain(m)
    assert AddressReleased(now, address, "link down") in events  # type: ignore[arg-type]
    assert state(m) is State.PAUSED and m.address is None and m.get_timer() is None
    m.resume(now + 5, "link down")
    assert state(m) is State.PROBING
    sent = run_until(m, now + 40)
    assert probes(sent)[0][1].target_ip == address
    assert state(m) is State.BOUND and m.address == address


def test_pauses_stack_by_reason() -> None:
    m, now = bound()
    m.pause(now, "link down")
    m.pause(now, "routable address present")
    m.resume(now + 1, "link down")
    assert state(m) is State.PAUSED
    m.resume(now + 2, "routable address present")
    assert state(m) is State.PROBING


def test_pause_while_probing_keeps_the_candidate() -> None:
    m = machine()
    m.start(T0)
    m.receive_arp(conflicting(m.candidate), T0)
    candidate = m.candidate
    m.pause(T0 + 1, "link down")
    assert m.packets_to_send() == []
    m.resume(T0 + 2, "link down")
    assert m.candidate == candidate


def test_stop_releases_the_address_and_is_final() -> None:
    m, now = bound()
    address = m.address
    m.stop(now)
    events = drain(m)
    assert isinstance(events[0], AddressReleased) and events[0].address == address
    assert isinstance(events[1], StateChanged) and events[1].new is State.STOPPED
    assert m.get_timer() is None
    m.receive_arp(conflicting(address), now)
    m.stop(now)
    assert drain(m) == [] and m.packets_to_send() == []


def test_start_twice_and_pause_before_start_are_refused() -> None:
    m = machine()
    with pytest.raises(UsageError):
        m.pause(T0, "link down")
    m.start(T0)
    with pytest.raises(UsageError):
        m.start(T0)


# -- the transition table ------------------------------------------------------------------
def test_every_state_change_follows_the_table_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="lanwise.linklocal.machine")
    m = machine()
    m.start(T0)
    m.receive_arp(conflicting(m.candidate), T0)
    run_until(m, T0 + 60)
    m.receive_arp(conflicting(m.candidate), T0 + 61)
    m.receive_arp(conflicting(m.candidate), T0 + 62)
    run_until(m, T0 + 120)
    m.pause(T0 + 121, "link down")
    m.resume(T0 + 122, "link down")
    m.stop(T0 + 123)
    changes = [e for e in drain(m) if isinstance(e, StateChanged)]
    for change in changes:
        assert allowed(change.old, change.trigger, change.new)
    visited = {c.new for c in changes}
    assert {State.PROBING, State.ANNOUNCING, State.BOUND, State.DEFENDING} <= visited
    assert {State.PAUSED, State.STOPPED} <= visited
    logged = [r for r in caplog.records if "->" in r.getMessage()]
    assert len(logged) == len(changes)


def test_table_covers_every_state() -> None:
    """One flat table keyed by (state, trigger), as records_state's: every state but the
    final one has a way out, every state but the first a way in."""
    sources = {state for state, _ in TRANSITIONS}
    targets = {new for states in TRANSITIONS.values() for new in states}
    assert sources == set(State) - {State.STOPPED}
    assert targets == set(State) - {State.INIT}
    assert "| probing | conflict | probing, rate-limited |" in render_table()
