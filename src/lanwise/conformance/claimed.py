"""L7 of the link-local phase: mDNS only from a claimed IPv4 link-local address.

What is observable from outside: the tester sees the target's ARP (its probes
and announcements), its own conflicting claims, and the target's mDNS (UDP
port 5353, either end, multicast or unicast) on the same packet socket, so in
one order. RFC 3927 §2.2 and §2.4: an address is not used until its probes are
done and the first announcement is sent; §2.5: an address lost in a conflict
is not used any more. BCT phase I: mDNS probing starts only once the address
is claimed. :func:`judge_mdns_sources` replays those events in time order.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Final, Protocol

from lanwise.conformance.report import Outcome

__all__ = ["MdnsSeen", "judge_mdns_sources", "parse_mdns"]

MDNS_PORT: Final = 5353
LINK_LOCAL: Final = IPv4Network("169.254.0.0/16")
_ETHER: Final = struct.Struct("!6s6sH")
_ETH_P_IP: Final = 0x0800
_UDP: Final = 17
# How long after the tester's conflicting claim a packet still counts as sent
# before the target could act on it (two hosts' scheduling, as for the timings).
LOSS_GRACE: Final = 0.25


class _Claim(Protocol):
    """The target's ARP as the judge reads it (:class:`lanwise.conformance.linklocal.Arp`)."""

    @property
    def time(self) -> float: ...
    @property
    def source(self) -> bytes: ...
    @property
    def sha(self) -> bytes: ...
    @property
    def spa(self) -> IPv4Address: ...
    @property
    def tpa(self) -> IPv4Address: ...
    @property
    def is_probe(self) -> bool: ...
    @property
    def is_announcement(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class MdnsSeen:
    """One IPv4 UDP datagram to or from port 5353 as seen on the link."""

    time: float
    source: bytes  # Ethernet source
    src: IPv4Address
    dst: IPv4Address
    sport: int
    dport: int


def parse_mdns(frame: bytes, when: float) -> MdnsSeen | None:
    """The mDNS datagram in an Ethernet frame, or None for anything else
    (other protocols, other ports, later fragments, truncated headers)."""
    if len(frame) < _ETHER.size + 20:
        return None
    _dst, src, ethertype = _ETHER.unpack_from(frame)
    if ethertype != _ETH_P_IP:
        return None
    ip = frame[_ETHER.size :]
    ihl = (ip[0] & 0x0F) * 4
    if ip[0] >> 4 != 4 or ihl < 20 or ip[9] != _UDP or len(ip) < ihl + 8:
        return None
    if struct.unpack_from("!H", ip, 6)[0] & 0x1FFF:
        return None  # not the first fragment: no UDP header
    sport, dport = struct.unpack_from("!HH", ip, ihl)
    if MDNS_PORT not in (sport, dport):
        return None
    return MdnsSeen(when, src, IPv4Address(ip[12:16]), IPv4Address(ip[16:20]), sport, dport)


def judge_mdns_sources(
    mac: bytes,
    arp: Sequence[_Claim],
    mdns: Sequence[MdnsSeen],
    conflicts: Sequence[tuple[float, IPv4Address]],
    since: float,
) -> tuple[Outcome, str]:
    """L7 over one phase's capture: every mDNS datagram the target (Ethernet
    source ``mac``) sent from a 169.254 address must come from an address it
    holds: announced (§2.4) since its last probe, and not lost to one of the
    tester's ``conflicts`` (time, address) that it did not defend (§2.5).
    Before the target's first probe in the capture, an address it already
    uses counts as claimed before the phase. Times print relative to ``since``."""
    ours = [d for d in mdns if d.source == mac]
    judged = [d for d in ours if d.src in LINK_LOCAL]
    if not judged:
        others = sorted({str(d.src) for d in ours})
        if not ours:
            return Outcome.SKIP, "not judged: the target sent no mDNS during the phase"
        return Outcome.SKIP, (
            f"not judged: the target's {len(ours)} mDNS datagram(s) came from "
            f"{', '.join(others)}, none from a 169.254 address"
        )
    claims = sorted(
        (p for p in arp if mac in (p.source, p.sha) and (p.is_probe or p.is_announcement)),
        key=lambda p: p.time,
    )
    # (time, order, kind, address): ARP first, then losses, then mDNS at one instant.
    events: list[tuple[float, int, str, IPv4Address]] = []
    for p in claims:
        if p.is_probe:
            events.append((p.time, 0, "probe", p.tpa))
        else:
            events.append((p.time, 0, "announce", p.spa))
    for when, address in conflicts:
        after = next((p for p in claims if p.time > when), None)
        defended = after is not None and after.is_announcement and after.spa == address
        if not defended:
            events.append((when + LOSS_GRACE, 1, "lost", address))
    for index, d in enumerate(judged):
        events.append((d.time, 2, f"mdns{index}", d.src))
    events.sort(key=lambda e: (e[0], e[1]))

    started = False
    held: dict[IPv4Address, float] = {}  # address -> its announcement
    probing: dict[IPv4Address, float] = {}  # address -> its first probe
    lost: dict[IPv4Address, float] = {}  # address -> the conflict
    given_up: dict[IPv4Address, float] = {}  # address -> the probe of another
    problems: list[str] = []
    margins: list[float] = []
    for when, _order, kind, address in events:
        if kind == "probe":
            started = True
            for old in held:
                if old != address:
                    given_up[old] = when
            held.clear()
            probing = {address: probing.get(address, when)}
        elif kind == "announce":
            if address not in held:
                held[address] = when
            probing.pop(address, None)
            lost.pop(address, None)
            given_up.pop(address, None)
        elif kind == "lost":
            held.pop(address, None)
            probing.pop(address, None)
            lost[address] = when - LOSS_GRACE
        else:
            d = judged[int(kind[4:])]
            what = f"+{when - since:.3f}s mDNS {d.src}:{d.sport} -> {d.dst}:{d.dport}"
            if address in held:
                margins.append(when - held[address])
            elif address in lost:
                problems.append(
                    f"{what}: {address} was lost in a conflict at +{lost[address] - since:.3f}s"
                )
            elif address in probing:
                announced = next(
                    (p.time for p in claims if p.time > when and p.is_announcement
                     and p.spa == address),
                    None,
                )  # fmt: skip
                later = (
                    f"announced {(announced - when) * 1000:.0f} ms later"
                    if announced is not None
                    else "never announced"
                )
                problems.append(
                    f"{what}: {address} still being claimed (probed from "
                    f"+{probing[address] - since:.3f}s, not announced yet: {later})"
                )
            elif address in given_up:
                problems.append(
                    f"{what}: {address} given up at +{given_up[address] - since:.3f}s "
                    "(the target probed another address)"
                )
            elif started:
                problems.append(f"{what}: {address} was never claimed")
    if problems:
        more = f"\n  ... and {len(problems) - 8} more" if len(problems) > 8 else ""
        return Outcome.FAIL, (
            f"{len(problems)} of {len(judged)} mDNS datagram(s) from an address not claimed "
            "(RFC 3927 §2.2, §2.4, §2.5):\n  " + "\n  ".join(problems[:8]) + more
        )
    addresses = len({d.src for d in judged})
    detail = f"{len(judged)} mDNS datagram(s) from {addresses} claimed 169.254 address(es)"
    if margins:
        detail += f", the earliest {min(margins):.3f}s after the address's first announcement"
    return Outcome.PASS, detail
