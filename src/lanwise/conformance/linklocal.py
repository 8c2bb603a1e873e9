"""The link-local phase (``lanwise conformance --link-local``): RFC 3927, L1-L8.

What Apple's BCT checks before mDNS: how a host claims an IPv4 link-local
address. The tester watches the target's ARP on an AF_PACKET socket and
drives its claim with crafted ARP: it restarts the claim and watches the
probes and announcements (L1, L3, L6), answers a probe (L2), challenges the
bound address twice within DEFEND_INTERVAL (L4), cycles the link (L8), and
provokes MAX_CONFLICTS conflicts (L5). The same packet socket sees the
target's mDNS, judged against its claims at the end (L7, :mod:`.claimed`).
The ARP codec here is the tester's own, independent of :mod:`lanwise.linklocal`,
as the mDNS checks are of :mod:`lanwise.mdns`.
"""

from __future__ import annotations

import itertools
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Final

from lanwise.conformance.claimed import MdnsSeen, judge_mdns_sources, parse_mdns
from lanwise.conformance.report import LINKLOCAL_CATALOGUE, CheckResult, Outcome, Report
from lanwise.errors import PlatformError, UsageError
from lanwise.interfaces import get_interface

__all__ = ["LinkLocalConfig", "run_link_local"]

# RFC 3927 §9 constants.
PROBE_WAIT: Final = 1.0
PROBE_NUM: Final = 3
PROBE_MIN: Final = 1.0
PROBE_MAX: Final = 2.0
ANNOUNCE_WAIT: Final = 2.0
ANNOUNCE_NUM: Final = 2
ANNOUNCE_INTERVAL: Final = 2.0
MAX_CONFLICTS: Final = 10
RATE_LIMIT_INTERVAL: Final = 60.0
DEFEND_INTERVAL: Final = 10.0
# §2.1: the range a host may choose from.
FIRST: Final = IPv4Address("169.254.1.0")
LAST: Final = IPv4Address("169.254.254.255")
# Two hosts' scheduling on the timings.
SLACK: Final = 0.25
# How long to watch for a probe that a rate-limited host must not send (the full
# RATE_LIMIT_INTERVAL under ``long``).
RATE_WATCH: Final = 8.0

_ETH_P_ARP: Final = 0x0806
_ETH_P_ALL: Final = 0x0003
_PACKET_OUTGOING: Final = 4
_SO_TIMESTAMPNS: Final = 35
_TIMESPEC: Final = struct.Struct("=qq")
_ARP: Final = struct.Struct("!6s6sHHHBBH6s4s6s4s")  # Ethernet header + ARP for IPv4
_BROADCAST: Final = b"\xff" * 6
_UNSPECIFIED: Final = IPv4Address(0)
# The MAC the tester claims addresses with: locally administered, never a real card's.
TESTER_OWNER: Final = bytes.fromhex("02c0ffee0001")

Trigger = Callable[[], None]


@dataclass(frozen=True, slots=True)
class Arp:
    """One ARP packet (Ethernet/IPv4) as seen on the link."""

    time: float
    source: bytes  # Ethernet source
    op: int
    sha: bytes
    spa: IPv4Address
    tha: bytes
    tpa: IPv4Address

    @property
    def is_probe(self) -> bool:
        """§2.2.1: a request with sender IP 0.0.0.0 asking for the candidate."""
        return self.op == 1 and self.spa == _UNSPECIFIED

    @property
    def is_announcement(self) -> bool:
        """§2.4: a request whose sender and target IP are the claimed address."""
        return self.op == 1 and self.spa == self.tpa and self.spa != _UNSPECIFIED


def arp_frame(
    op: int, sha: bytes, spa: IPv4Address, tpa: IPv4Address, tha: bytes = bytes(6)
) -> bytes:
    """A broadcast Ethernet frame carrying one ARP packet."""
    frame = _ARP.pack(
        _BROADCAST, sha, _ETH_P_ARP, 1, 0x0800, 6, 4, op, sha, spa.packed, tha, tpa.packed
    )
    return frame + bytes(60 - len(frame))


def parse_arp(frame: bytes, when: float) -> Arp | None:
    """The ARP packet in ``frame``, or None for anything else (counted by the caller)."""
    if len(frame) < _ARP.size:
        return None
    _dst, src, ethertype, htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP.unpack_from(frame)
    if ethertype != _ETH_P_ARP or htype != 1 or ptype != 0x0800 or hlen != 6 or plen != 4:
        return None
    return Arp(when, src, op, sha, IPv4Address(spa), tha, IPv4Address(tpa))


def parse_mac(text: str) -> bytes | None:
    if re.fullmatch(r"[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}", text):
        return bytes.fromhex(re.sub(r"[:-]", "", text))
    return None


def mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


class ArpWire:
    """The tester's AF_PACKET socket on one interface and every ARP frame and
    mDNS datagram other hosts send there, stamped by the kernel on arrival."""

    def __init__(self, name: str) -> None:
        try:
            self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
            self._sock.bind((name, _ETH_P_ALL))
        except OSError as exc:
            raise PlatformError(
                exc.errno, f"cannot open an ARP packet socket on {name}: {exc}"
            ) from exc
        self._sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        self.mac: bytes = self._sock.getsockname()[4]
        self.packets: list[Arp] = []
        self.mdns: list[MdnsSeen] = []
        self.malformed = 0
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="conformance-arp", daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._sock], [], [], 0.05)
                if not ready:
                    continue
                frame, ancdata, _flags, address = self._sock.recvmsg(2048, 64)
            except (OSError, ValueError):
                return
            if address[2] == _PACKET_OUTGOING:
                continue
            when = time.monotonic()
            for level, kind, data in ancdata:
                if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                    sec, nsec = _TIMESPEC.unpack_from(data)
                    when -= time.time() - (sec + nsec / 1e9)
            if frame[12:14] != b"\x08\x06":
                datagram = parse_mdns(frame, when)
                if datagram is not None:
                    with self._lock:
                        self.mdns.append(datagram)
                continue
            packet = parse_arp(frame, when)
            with self._lock:
                if packet is None:
                    self.malformed += 1
                else:
                    self.packets.append(packet)
                    self._lock.notify_all()

    def send(self, frame: bytes) -> float:
        sent = time.monotonic()
        self._sock.send(frame)
        return sent

    def wait_for(self, match: Callable[[Arp], bool], start: float, timeout: float) -> Arp | None:
        deadline = time.monotonic() + timeout
        seen = 0
        with self._lock:
            while True:
                while seen < len(self.packets):
                    p = self.packets[seen]
                    seen += 1
                    if p.time >= start and match(p):
                        return p
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._lock.wait(remaining)

    def since(self, start: float, match: Callable[[Arp], bool]) -> list[Arp]:
        with self._lock:
            return [p for p in self.packets if p.time >= start and match(p)]

    def capture(self) -> tuple[list[Arp], list[MdnsSeen]]:
        """Everything seen so far: the ARP packets and the mDNS datagrams."""
        with self._lock:
            return list(self.packets), list(self.mdns)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


@dataclass(slots=True)
class LinkLocalConfig:
    """What to test: ``target`` is the target's current IPv4 link-local address or
    its MAC address; ``restart`` makes it drop its address and claim one anew;
    ``link_cycle`` takes its link down and up; ``rate_limit`` provokes
    MAX_CONFLICTS conflicts (L5; the target is then rate-limited for a minute);
    ``long`` watches the whole RATE_LIMIT_INTERVAL."""

    target: str
    interface: int | str
    restart: Trigger | None = None
    link_cycle: Trigger | None = None
    rate_limit: bool = True
    long: bool = False
    on_result: Callable[[CheckResult], None] | None = None
    on_phase: Callable[[str], None] | None = None


@dataclass(slots=True)
class _Run:
    wire: ArpWire
    report: Report
    mac: bytes
    addresses: list[IPv4Address] = field(default_factory=list)
    # The tester's conflicting claims: (time sent, address).
    conflicts: list[tuple[float, IPv4Address]] = field(default_factory=list)

    def mine(self, p: Arp) -> bool:
        return self.mac in (p.source, p.sha)

    def show(self, packets: list[Arp], since: float, limit: int = 8) -> str:
        lines = []
        for p in packets[:limit]:
            kind = "probe" if p.is_probe else "announcement" if p.is_announcement else f"op {p.op}"
            lines.append(
                f"  +{p.time - since:.3f}s {kind} from {mac_text(p.source)}: "
                f"sender {mac_text(p.sha)} {p.spa}, target {p.tpa}"
            )
        return "\n".join(lines)

    def wait_probe(
        self, start: float, timeout: float, *, other_than: IPv4Address | None = None
    ) -> Arp | None:
        return self.wire.wait_for(
            lambda p: self.mine(p) and p.is_probe and p.tpa != other_than, start, timeout
        )

    def conflict(self, address: IPv4Address) -> float:
        """Another host (the tester) claims ``address``: an ARP announcement of it."""
        sent = self.wire.send(arp_frame(1, TESTER_OWNER, address, address))
        self.conflicts.append((sent, address))
        return sent

    def check_range(self, address: IPv4Address) -> None:
        if FIRST <= address <= LAST:
            self.report.record("L6", Outcome.PASS)
        else:
            self.report.record("L6", Outcome.FAIL, f"{address} is outside {FIRST}-{LAST} (§2.1)")


def _find_mac(wire: ArpWire, address: IPv4Address) -> bytes | None:
    """Ask who has ``address`` (an ARP probe, sender 0.0.0.0, as §2.2.1 would)."""
    sent = wire.send(arp_frame(1, wire.mac, _UNSPECIFIED, address))
    reply = wire.wait_for(lambda p: p.op == 2 and p.spa == address, sent, 1.5)
    return reply.sha if reply else None


def _claim(run: _Run, restart: Trigger) -> tuple[float, float, list[Arp]]:
    """Restart the claim; the target's ARP until its second announcement."""
    start = time.monotonic()
    restart()
    triggered = time.monotonic()
    limit = PROBE_WAIT + 2 * PROBE_MAX + ANNOUNCE_WAIT + ANNOUNCE_INTERVAL + 3
    end = triggered + limit
    while time.monotonic() < end:
        announced = run.wire.since(start, lambda p: run.mine(p) and p.is_announcement)
        if len(announced) >= ANNOUNCE_NUM:
            break
        time.sleep(0.1)
    return start, triggered, run.wire.since(start, run.mine)


def check_claim(
    run: _Run, start: float, triggered: float, packets: list[Arp]
) -> IPv4Address | None:
    """L1 (probes), L3 (announcements), L6 (range) over one claim; the address claimed."""
    report = run.report
    announcements = [p for p in packets if p.is_announcement]
    claimed = announcements[-1].spa if announcements else None
    probes = [p for p in packets if p.is_probe and (claimed is None or p.tpa == claimed)]
    if not probes:
        report.record(
            "L1", Outcome.FAIL, "no ARP probe after the restart:\n" + run.show(packets, start)
        )
        report.not_judged("L3", "L1", "no probes")
        return claimed
    problems = []
    first = probes[0]
    if first.time - triggered > PROBE_WAIT + SLACK:
        problems.append(
            f"first probe {first.time - triggered:.2f}s after the restart (PROBE_WAIT 1 s)"
        )
    if len(probes) != PROBE_NUM:
        problems.append(f"{len(probes)} probes for {first.tpa} (PROBE_NUM 3)")
    gaps = [b.time - a.time for a, b in itertools.pairwise(probes)]
    if any(not PROBE_MIN - SLACK <= g <= PROBE_MAX + SLACK for g in gaps):
        problems.append("probe gaps " + ", ".join(f"{g:.2f}s" for g in gaps) + " (1-2 s)")
    if any(p.sha != run.mac or p.source != run.mac for p in probes):
        problems.append("probe sender hardware address is not the interface's")
    if problems:
        report.record("L1", Outcome.FAIL, "\n".join(problems) + "\n" + run.show(probes, start))
    else:
        report.record("L1", Outcome.PASS, "gaps " + ", ".join(f"{g:.2f}s" for g in gaps))
    run.check_range(first.tpa)
    if claimed is None:
        report.record(
            "L3", Outcome.FAIL, f"no announcement of {first.tpa}:\n" + run.show(packets, start)
        )
        return None
    problems = []
    if len(announcements) < ANNOUNCE_NUM:
        problems.append(f"{len(announcements)} announcement(s) (ANNOUNCE_NUM 2)")
    wait = announcements[0].time - probes[-1].time
    if wait < ANNOUNCE_WAIT - SLACK:
        problems.append(f"first announcement {wait:.2f}s after the last probe (ANNOUNCE_WAIT 2 s)")
    if len(announcements) >= 2:
        gap = announcements[1].time - announcements[0].time
        if abs(gap - ANNOUNCE_INTERVAL) > SLACK:
            problems.append(f"announcements {gap:.2f}s apart (ANNOUNCE_INTERVAL 2 s)")
    if any(p.sha != run.mac or p.spa != p.tpa for p in announcements):
        problems.append("announcement sender addresses are not the target's MAC and address")
    if problems:
        report.record(
            "L3", Outcome.FAIL, "\n".join(problems) + "\n" + run.show(announcements, start)
        )
    else:
        report.record("L3", Outcome.PASS)
    return claimed


def check_probe_conflict(run: _Run, restart: Trigger) -> IPv4Address | None:
    """L2: a probe answered by another host's claim → a new address, probed."""
    start = time.monotonic()
    restart()
    probe = run.wait_probe(start, PROBE_WAIT + 4)
    if probe is None:
        run.report.record("L2", Outcome.FAIL, "no probe after the restart")
        return None
    contested = probe.tpa
    sent = run.conflict(contested)
    moved = run.wait_probe(sent, PROBE_WAIT + PROBE_MAX + 1, other_than=contested)
    kept = run.wire.since(sent, lambda p: run.mine(p) and p.is_announcement and p.spa == contested)
    if moved is None or kept:
        run.report.record(
            "L2",
            Outcome.FAIL,
            f"kept {contested} after another host claimed it during probing:\n"
            + run.show(run.wire.since(start, run.mine), start),
        )
        return contested if kept else None
    run.report.record("L2", Outcome.PASS, f"moved from {contested} to {moved.tpa}")
    run.check_range(moved.tpa)
    # Let it finish claiming the new address.
    run.wire.wait_for(
        lambda p: run.mine(p) and p.is_announcement and p.spa == moved.tpa,
        moved.time,
        2 * PROBE_MAX + ANNOUNCE_WAIT + ANNOUNCE_INTERVAL + 2,
    )
    time.sleep(ANNOUNCE_INTERVAL + 0.3)
    return moved.tpa


def check_defence(run: _Run, address: IPv4Address) -> IPv4Address | None:
    """L4: a conflict on the bound address may be defended once; a second one
    within DEFEND_INTERVAL makes the host give the address up (§2.5)."""
    start = run.conflict(address)
    time.sleep(1.0)
    defended = run.wire.since(
        start, lambda p: run.mine(p) and p.is_announcement and p.spa == address
    )
    moved = run.wait_probe(start, 0.01, other_than=address)
    if moved is not None and not defended:
        run.report.record("L4", Outcome.PASS, f"gave {address} up at the first conflict")
        return moved.tpa
    if len(defended) > 1:
        run.report.record(
            "L4", Outcome.FAIL, f"defended {address} {len(defended)} times for one conflict"
        )
    second = run.conflict(address)
    moved = run.wait_probe(second, PROBE_WAIT + 1.5, other_than=address)
    again = run.wire.since(second, lambda p: run.mine(p) and p.is_announcement and p.spa == address)
    if moved is None or again:
        run.report.record(
            "L4",
            Outcome.FAIL,
            f"kept {address} after a second conflict within DEFEND_INTERVAL:\n"
            + run.show(run.wire.since(start, run.mine), start),
        )
        return address
    run.report.record(
        "L4", Outcome.PASS, f"{'defended once, then ' if defended else ''}moved to {moved.tpa}"
    )
    run.wire.wait_for(
        lambda p: run.mine(p) and p.is_announcement and p.spa == moved.tpa,
        moved.time,
        2 * PROBE_MAX + ANNOUNCE_WAIT + ANNOUNCE_INTERVAL + 2,
    )
    time.sleep(ANNOUNCE_INTERVAL + 0.3)
    return moved.tpa


def check_link_cycle(run: _Run, cycle: Trigger, previous: IPv4Address) -> None:
    """L8: after the link comes back, the host probes again, the previous address first."""
    start = time.monotonic()
    cycle()
    probe = run.wait_probe(start, PROBE_WAIT + 4)
    if probe is None:
        run.report.record("L8", Outcome.FAIL, "no probe after the link came back")
    elif probe.tpa != previous:
        run.report.record(
            "L8", Outcome.WARN, f"probed {probe.tpa} first, not the previous {previous}"
        )
    else:
        run.report.record("L8", Outcome.PASS, f"probed {previous} again")
    run.wire.wait_for(
        lambda p: run.mine(p) and p.is_announcement,
        start,
        PROBE_WAIT + 2 * PROBE_MAX + ANNOUNCE_WAIT + ANNOUNCE_INTERVAL + 2,
    )


def check_rate_limit(run: _Run, restart: Trigger, watch: float) -> None:
    """L5: after MAX_CONFLICTS conflicts, at most one new address per
    RATE_LIMIT_INTERVAL (§2.2.1): every probe is answered with a conflict until
    there have been ten (eleven, if the host counts 'more than ten'), then no
    probe may follow for ``watch`` seconds."""
    start = time.monotonic()
    restart()
    conflicts = 0
    last = start
    while True:
        timeout = PROBE_WAIT + 4 if conflicts < MAX_CONFLICTS else watch
        probe = run.wait_probe(last, timeout)
        if probe is None:
            break
        if conflicts >= MAX_CONFLICTS + 1:
            run.report.record(
                "L5",
                Outcome.FAIL,
                f"probed {probe.tpa} {probe.time - last:.2f}s after conflict {conflicts} "
                f"(RATE_LIMIT_INTERVAL 60 s)",
            )
            return
        last = run.conflict(probe.tpa)
        conflicts += 1
    if conflicts < MAX_CONFLICTS:
        run.report.record("L5", Outcome.FAIL, f"stopped probing after {conflicts} conflicts")
    else:
        run.report.record(
            "L5", Outcome.PASS, f"{conflicts} conflicts, then no probe for {watch:.0f}s"
        )


def run_link_local(config: LinkLocalConfig) -> Report:
    """Run the link-local checks; the report lists L1-L8 once each."""
    mac = parse_mac(config.target)
    address: IPv4Address | None = None
    if mac is None:
        try:
            address = IPv4Address(config.target)
        except ValueError:
            raise UsageError(
                "target", "an IPv4 link-local address or a MAC address", config.target
            ) from None
    interface = get_interface(config.interface)
    report = Report(target=config.target, on_result=config.on_result, catalogue=LINKLOCAL_CATALOGUE)

    def phase(name: str) -> None:
        report.publish()
        if config.on_phase is not None:
            config.on_phase(name)

    started = time.monotonic()
    wire = ArpWire(interface.name)
    try:
        if mac is None:
            assert address is not None
            phase("finding the target")
            mac = _find_mac(wire, address)
            if mac is None:
                report.skip_missing(f"nobody answered ARP for {address}")
                report.publish()
                return report
        run = _Run(wire, report, mac)
        if address is not None:
            run.check_range(address)
        if config.restart is None:
            report.skip_missing("needs --restart-command to make the target claim anew")
            report.publish()
            return report
        phase("claim")
        claimed = check_claim(run, *_claim(run, config.restart))
        phase("conflict while probing")
        moved = check_probe_conflict(run, config.restart)
        bound = moved or claimed
        if bound is not None:
            phase("defence")
            bound = check_defence(run, bound) or bound
        if config.link_cycle is not None and bound is not None:
            phase("link down/up")
            check_link_cycle(run, config.link_cycle, bound)
        elif config.link_cycle is None:
            report.record("L8", Outcome.SKIP, "needs --link-command")
        if config.rate_limit:
            phase("rate limit")
            check_rate_limit(
                run, config.restart, RATE_LIMIT_INTERVAL if config.long else RATE_WATCH
            )
        else:
            report.record("L5", Outcome.SKIP, "the rate-limit check was not asked for")
        arp, mdns = wire.capture()
        report.record("L7", *judge_mdns_sources(mac, arp, mdns, run.conflicts, started))
        report.skip_missing("not applicable to this target")
        report.facts.update(
            {
                "mac": mac_text(mac),
                "interface": interface.name,
                "seconds": round(time.monotonic() - started, 1),
                "arp_seen": len(wire.packets),
                "malformed": wire.malformed,
                "mdns_seen": sum(p.source == mac for p in wire.mdns),
            }
        )
    finally:
        wire.close()
    report.publish()
    return report
