"""IPv4 link-local addressing between real hosts (network namespaces on one LAN).

Most tests run the RFC 3927 timings scaled by 0.1 (a claim then takes about
0.7 s instead of 7 s); ``test_cli_claims_with_real_rfc_timings`` runs the
command at the real timings and checks them on the wire.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
import signal
import subprocess
import sys
from ipaddress import IPv4Address

import pytest

from lanwise.linklocal import (
    ANNOUNCE_INTERVAL,
    ANNOUNCE_WAIT,
    DEFEND_INTERVAL,
    PROBE_MAX,
    PROBE_MIN,
    PROBE_WAIT,
    RFC_TIMING,
    AddressReleased,
    ConflictDetected,
    State,
    StateChanged,
)
from lanwise.linklocal.arp import ArpPacket
from tests.harness import Lab
from tests.lab.linklocal.autoip import (
    Autoip,
    arp_tap,
    link_local_addresses,
    wait_for_address,
)

pytestmark = pytest.mark.lab

FAST = RFC_TIMING.scaled(0.1)
SLACK = 0.25  # seconds of scheduling noise allowed on real-time measurements


def test_three_hosts_forced_onto_one_address_end_up_distinct(lab: Lab) -> None:
    """§2.2.1: simultaneous probes for one address conflict; everyone moves to a new one."""
    hosts = [lab.host(name) for name in "abc"]
    same = IPv4Address("169.254.77.77")
    clients = [Autoip(h, timing=FAST, requested=same) for h in hosts]
    try:
        addresses = [c.wait_bound() for c in clients]
        assert len(set(addresses)) == 3
        moved = [c for c in clients if any(isinstance(e, ConflictDetected) for e in c.events)]
        assert len(moved) >= 2  # at most one can have kept the contested address
        for host, address in zip(hosts, addresses, strict=True):
            assert link_local_addresses(host) == [address]
        # They reach each other over link-local addresses alone.
        for i, j in itertools.permutations(range(3), 2):
            hosts[i].run("ping", "-c", "1", "-W", "2", "-I", "eth0", str(addresses[j]))
    finally:
        for c in clients:
            c.stop()
    for host in hosts:
        assert link_local_addresses(host) == []  # released on exit


def test_forced_start_on_a_held_address_moves_away_and_the_holder_keeps_it(lab: Lab) -> None:
    """§2.2.1: the newcomer's probe is answered (the holder's kernel replies with the
    address as sender IP), so the newcomer picks another address; the holder keeps its."""
    a, b = lab.host("a"), lab.host("b")
    holder = Autoip(a, timing=FAST)
    try:
        held = holder.wait_bound()
        newcomer = Autoip(b, timing=FAST, requested=held)
        try:
            moved = newcomer.wait_bound()
            assert moved != held
            conflicts = [e for e in newcomer.events if isinstance(e, ConflictDetected)]
            assert conflicts and conflicts[0].address == held
            assert conflicts[0].action == "new-address"
            assert holder.client.state is State.BOUND and holder.client.address == held
            assert link_local_addresses(a) == [held]
            assert link_local_addresses(b) == [moved]
        finally:
            newcomer.stop()
    finally:
        holder.stop()


def test_holder_defends_once_then_gives_up_on_a_second_conflict(lab: Lab) -> None:
    """§2.5: a conflicting ARP is answered with one announcement and the address kept;
    a second one within DEFEND_INTERVAL makes the holder move to a new address."""
    a, b = lab.host("a"), lab.host("b")
    # The real DEFEND_INTERVAL (10 s), so "within" holds however slowly a loaded machine
    # gets from the first conflict to the second; everything else runs fast.
    timing = dataclasses.replace(FAST, defend_interval=DEFEND_INTERVAL)
    holder = Autoip(a, timing=timing)
    try:
        held = holder.wait_bound()
        with arp_tap(b) as tap:
            intruder = ArpPacket.announcement(tap.hardware_address, held)

            def defences(seen: list[tuple[float, ArpPacket]]) -> list[ArpPacket]:
                return [
                    p
                    for _, p in seen
                    if p.is_announcement
                    and p.sender_ip == held
                    and p.sender_mac != tap.hardware_address
                ]

            tap.send(intruder)
            seen = tap.read(5.0, until=lambda got: bool(defences(got)))
            seen += tap.read(0.3)  # anything more would be a second defence
            assert len(defences(seen)) == 1  # one single announcement (§2.5 (b))
            assert holder.wait_state(State.DEFENDING) is State.DEFENDING
            assert link_local_addresses(a) == [held]
            # Within DEFEND_INTERVAL of the first: the holder gives up.
            tap.send(intruder)
            moved = holder.wait_bound()
        assert moved != held
        assert link_local_addresses(a) == [moved]
        actions = [e.action for e in holder.events if isinstance(e, ConflictDetected)]
        assert actions == ["defended", "gave-up"]
        assert any(isinstance(e, AddressReleased) and e.address == held for e in holder.events)
    finally:
        holder.stop()


def test_link_down_and_up_probes_the_previous_address_first(lab: Lab) -> None:
    """BCT I.6: after a cable change, probe the address held before."""
    a = lab.host("a")
    client = Autoip(a, timing=FAST)
    try:
        held = client.wait_bound()
        a.link_down()
        client.wait_state(State.PAUSED)
        assert link_local_addresses(a) == []
        a.link_up()
        assert client.wait_bound() == held
        resumed = [
            e for e in client.events if isinstance(e, StateChanged) and e.old is State.PAUSED
        ]
        assert resumed and resumed[0].new is State.PROBING and resumed[0].address == held
        assert link_local_addresses(a) == [held]
    finally:
        client.stop()


def test_stop_when_routable_stands_aside_while_a_routable_address_exists(lab: Lab) -> None:
    a = lab.host("a")
    routable = str(a.attachment().ipv4)
    client = Autoip(a, timing=FAST, stop_when_routable=True)
    try:
        assert client.wait_state(State.PAUSED) is State.PAUSED
        a.run("ip", "addr", "del", routable, "dev", "eth0")
        address = client.wait_bound()
        assert link_local_addresses(a) == [address]
        a.run("ip", "addr", "add", routable, "dev", "eth0")
        client.wait_state(State.PAUSED)
        assert link_local_addresses(a) == []
    finally:
        client.stop()


def test_cli_claims_with_real_rfc_timings(lab: Lab) -> None:
    """§2.2.1 and §2.4 on the wire, at the RFC's own timings, through ``lanwise autoip``:
    3 probes 1-2 s apart with sender IP 0.0.0.0, the first announcement ANNOUNCE_WAIT
    after the last probe, the second ANNOUNCE_INTERVAL later; SIGTERM releases."""
    a, b = lab.host("a"), lab.host("b")
    with arp_tap(b) as tap:

        def ours(seen: list[tuple[float, ArpPacket]]) -> list[tuple[float, ArpPacket]]:
            return [(t, p) for t, p in seen if p.sender_mac != tap.hardware_address]

        def two_announcements(seen: list[tuple[float, ArpPacket]]) -> bool:
            return sum(p.is_announcement for _, p in ours(seen)) >= 2

        proc = a.popen(
            sys.executable, "-m", "lanwise", "autoip", "eth0", "--json",
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        # The whole claim takes at most PROBE_WAIT + 2 * PROBE_MAX + ANNOUNCE_WAIT +
        # ANNOUNCE_INTERVAL (9 s) after start-up; the extra 10 s only bound a hang.
        seen = tap.read(
            PROBE_WAIT + 2 * PROBE_MAX + ANNOUNCE_WAIT + ANNOUNCE_INTERVAL + 10,
            until=two_announcements,
        )
    mine = ours(seen)
    probes = [(t, p) for t, p in mine if p.is_probe]
    announcements = [(t, p) for t, p in mine if p.is_announcement]
    assert len(probes) == 3 and len(announcements) == 2, seen
    address = probes[0][1].target_ip
    assert all(p.target_ip == address for _, p in probes)
    for (t1, _), (t2, _) in itertools.pairwise(probes):
        assert PROBE_MIN - SLACK <= t2 - t1 <= PROBE_MAX + SLACK
    assert announcements[0][0] - probes[-1][0] == pytest.approx(ANNOUNCE_WAIT, abs=SLACK)
    assert announcements[1][0] - announcements[0][0] == pytest.approx(ANNOUNCE_INTERVAL, abs=SLACK)
    assert all(p.sender_ip == p.target_ip == address for _, p in announcements)
    assert link_local_addresses(a) == [address]

    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    # The first probe within PROBE_WAIT of the start of probing, which the command printed
    # (wall clock, like the tap's kernel stamps) right after the machine started.
    assert lines[0]["state"] == "probing"
    assert probes[0][0] - lines[0]["time"] <= PROBE_WAIT + SLACK
    assert [d["state"] for d in lines if d["event"] == "state"][:3] == [
        "probing",
        "announcing",
        "bound",
    ]
    assert {"event": "claimed", "address": str(address)}.items() <= lines[2].items()
    assert lines[-1]["state"] == "stopped"
    assert link_local_addresses(a) == []


def test_cli_unknown_interface_is_a_usage_error(lab: Lab) -> None:
    a = lab.host("a")
    done = a.lanwise("autoip", "eth9", check=False)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "eth9" in done.stderr


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("avahi-autoipd") is None, reason="avahi-autoipd is not installed")
def test_lanwise_and_avahi_autoipd_never_share_and_each_keeps_its_address(lab: Lab) -> None:
    """Interop with avahi-autoipd (at its real, RFC timings) on one LAN.

    Each is forced to start on the address the other holds: the newcomer's probe
    is answered, the newcomer moves away, the holder keeps its address.
    """
    ours_host, avahi_host, newcomer_host = lab.host("l"), lab.host("v"), lab.host("m")
    ours = Autoip(ours_host, timing=FAST)
    avahi: subprocess.Popen[str] | None = None
    try:
        held = ours.wait_bound()
        # avahi-autoipd keeps its pid file in /run, which every lab host shares: a /run
        # of its own (a private mount namespace) keeps a stale file from stopping it and
        # leaves none behind.
        avahi = avahi_host.popen(
            "unshare", "--mount", "sh", "-c",
            'mount -t tmpfs none /run && exec avahi-autoipd --force-bind --no-drop-root '
            f'--no-chroot --no-proc-title --debug --start={held} eth0',
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        # avahi-autoipd probes our address, is answered, and claims another.
        avahi_address = wait_for_address(avahi_host, 40)
        assert avahi_address != held
        assert ours.client.state is State.BOUND and ours.client.address == held
        assert link_local_addresses(ours_host) == [held]

        newcomer = Autoip(newcomer_host, timing=FAST, requested=avahi_address)
        try:
            moved = newcomer.wait_bound()
            assert moved not in (avahi_address, held)
            conflicts = [e for e in newcomer.events if isinstance(e, ConflictDetected)]
            assert conflicts and conflicts[0].address == avahi_address
        finally:
            newcomer.stop()
        assert link_local_addresses(avahi_host) == [avahi_address]  # avahi kept its own
        assert ours.client.address == held
    finally:
        ours.stop()
        if avahi is not None:
            avahi.send_signal(signal.SIGTERM)
            log = avahi.communicate(timeout=10)[0]
            assert f"Callout BIND, address {held}" not in log, log
    assert link_local_addresses(avahi_host) == []
