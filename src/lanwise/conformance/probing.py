"""Checks that watch the target start: probing, announcing, goodbyes (RFC 6762 §8, §10.1).

One restart is observed and every check of P1-P4, P10, A1-A3, CH1 and G1 is
read from the same capture: the goodbyes of the old instance, the probes, and
the announcements that follow.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

from lanwise.conformance.report import Outcome
from lanwise.conformance.session import Session, Trigger, is_probe, probed_names
from lanwise.conformance.wire import Captured
from lanwise.dns import SRV, Name, Record, RRType

__all__ = ["Observation", "observe", "run_startup"]

# §8.1: probes 250 ms apart; the window allows for scheduling on both hosts.
PROBE_GAP_MIN, PROBE_GAP_MAX = 0.200, 0.350
# §8.1: the first probe goes out within 250 ms of the host deciding to probe
# (registering); 100 ms more for the two hosts' scheduling.
PROBE_START_MAX = 0.350
# §8.3: announcements at least one second apart.
ANNOUNCE_GAP_MIN = 0.9
# How long after the first announcement to keep watching (covers the second
# announcement at +1 s and a doubling third at +3 s).
WATCH_AFTER_ANNOUNCE = 3.4
WATCH_MAX = 10.0

UNIQUE_TYPES = frozenset({RRType.A, RRType.AAAA, RRType.SRV, RRType.TXT, RRType.HINFO})


@dataclass(slots=True)
class Observation:
    """The target's packets from the trigger on. Timing is judged over one IP
    version (IPv4 when the tester has it): a dual-stack responder sends each
    probe and announcement once per version."""

    start: float
    packets: list[Captured]
    family: int = 4
    # when the trigger returned: the target has registered by then (P1's 250 ms)
    triggered: float | None = None

    def probes_for(self, name: Name) -> list[Captured]:
        return [p for p in self.packets if p.family == self.family and name in probed_names(p)]

    def announcements(self, s: Session, name: Name, rtype: int) -> list[Captured]:
        """Unsolicited multicast responses with ``name``/``rtype`` in Answers and a
        TTL above zero: the tester asks nothing while it observes, so every such
        response is an announcement, whether or not the probes before it were
        well-formed (those are judged by P1-P4)."""
        return [
            p
            for p in self.packets
            if p.family == self.family
            and p.multicast
            and not p.legacy
            and p.message is not None
            and s.answer_of(p, name, rtype)
            and any(r.ttl > 0 for r in p.message.answers)
        ]

    def responses(self) -> list[Captured]:
        """Every unsolicited multicast response of the target (any name)."""
        return [
            p
            for p in self.packets
            if p.family == self.family
            and p.multicast
            and not p.legacy
            and p.message is not None
            and p.message.is_response
        ]


def observe(s: Session, trigger: Trigger, name: Name | None) -> Observation:
    """Fire ``trigger`` and capture the target until its announcements are done."""
    start = time.monotonic()
    trigger()
    triggered = time.monotonic()
    watched = name or s.host_name
    deadline = start + WATCH_MAX
    if watched is not None:
        rtype = RRType.SRV if watched == s.service else RRType.A

        def announced(p: Captured) -> bool:
            return (
                p.multicast
                and p.message is not None
                and p.time > start
                and s.answer_of(p, watched, rtype)
                and any(r.ttl > 0 for r in p.message.answers)
            )

        first = s.wire.wait_for(announced, start, WATCH_MAX)
        if first is not None:
            deadline = min(deadline, first.time + WATCH_AFTER_ANNOUNCE)
    remaining = deadline - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
    packets = s.target_packets(start)
    s.learn(p for p in packets if p.multicast)
    return Observation(start, packets, 4 if s.wire.v4 is not None else 6, triggered)


def _probe_gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def _srv_target(s: Session) -> Name | None:
    srv = s.srv()
    return srv.rdata.target if srv is not None and isinstance(srv.rdata, SRV) else None


def check_probes(s: Session, obs: Observation) -> None:
    """P1, P2, P3, P4, P10, P14.

    One defect is reported once: no probes at all fail P1 (the rest are not
    judged); probes without an Authority section fail P3 (P1, P2, P4 and P10
    are not judged); a host name never probed fails P14 (P10 not judged).
    """
    service, host = s.configured_service, s.host_name
    names = [n for n in (service, host) if n is not None]
    if not any(obs.probes_for(n) for n in names):
        others = sorted({str(n) for p in obs.packets for n in probed_names(p)})
        what = f"probes only for {', '.join(others)}" if others else "no probes"
        s.record(
            "P1",
            Outcome.FAIL,
            f"{what} after the restart, none for "
            + " or ".join(str(n) for n in names)
            + ":\n"
            + s.show(obs.packets, obs.start),
        )
        for id in ("P2", "P3", "P4", "P10", "P14"):
            s.report.not_judged(id, "P1", "no probes of the target's names")
        return
    bare = sorted(
        {
            (p.time, p.data): p
            for n in names
            for p in obs.probes_for(n)[:3]
            if p.message and not p.message.authorities
        }.values(),
        key=lambda p: p.time,
    )
    if bare:
        s.record(
            "P3",
            Outcome.FAIL,
            "probes without an Authority section (no proposed records):\n"
            + s.show(bare, obs.start),
        )
        for id in ("P1", "P2", "P4", "P10"):
            s.report.not_judged(id, "P3", "probes without Authority records")
    check_host_probed(s, obs)
    p14 = s.report.tests.get("P14")
    if p14 is not None and p14.result is Outcome.FAIL and host == _srv_target(s):
        s.report.not_judged("P10", "P14", "the host name is never probed")
    first_probe = min(p.time for n in names for p in obs.probes_for(n))
    if obs.triggered is not None and first_probe - obs.triggered > PROBE_START_MAX:
        s.record(
            "P1",
            Outcome.FAIL,
            f"first probe {1000 * (first_probe - obs.triggered):.0f} ms after the target "
            "had registered (§8.1: within 250 ms)",
        )
    for name in names:
        probes = obs.probes_for(name)
        if not probes:
            check = "P10" if name == host else "P4"
            s.record(check, Outcome.FAIL, f"{name} was not probed")
            continue
        times = [p.time for p in probes[:3]]
        gaps = _probe_gaps(times)
        if len(probes) < 3:
            s.record(
                "P1",
                Outcome.FAIL,
                f"{name}: {len(probes)} probes, three required:\n" + s.show(probes, obs.start),
            )
        elif not all(PROBE_GAP_MIN <= g <= PROBE_GAP_MAX for g in gaps):
            s.record(
                "P1",
                Outcome.FAIL,
                f"{name}: probe gaps "
                + ", ".join(f"{g * 1000:.0f} ms" for g in gaps)
                + " (250 ms required)\n"
                + s.show(probes, obs.start),
            )
        else:
            s.record(
                "P1",
                Outcome.PASS,
                f"first probe {1000 * (times[0] - obs.start):.0f} ms after the trigger",
            )
        for i, p in enumerate(probes[:3]):
            assert p.message is not None
            questions = [q for q in p.message.questions if q.name == name]
            if any(q.qtype != RRType.ANY for q in questions):
                s.record(
                    "P2",
                    Outcome.FAIL,
                    f"{name}: probe question type is not ANY:\n" + s.show([p], obs.start),
                )
            elif i == 0 and not all(q.unicast_response for q in questions):
                s.record(
                    "P2",
                    Outcome.WARN,
                    f"{name}: first probe asks QM, not QU (§8.1 SHOULD)\n" + s.show([p], obs.start),
                )
            else:
                s.record("P2", Outcome.PASS)
            if not p.message.authorities:
                continue  # judged above, once
            proposed = [r for r in p.message.authorities if r.name == name]
            if not proposed:
                s.record(
                    "P3",
                    Outcome.FAIL,
                    f"{name}: no proposed records in Authority:\n" + s.show([p], obs.start),
                )
            elif any(r.cache_flush for r in proposed):
                s.record(
                    "P3",
                    Outcome.FAIL,
                    f"{name}: cache-flush bit set in the probe's "
                    "Authority section:\n" + s.show([p], obs.start),
                )
            else:
                s.record("P3", Outcome.PASS)
            types = {r.rtype for r in proposed}
            if name == service and not {RRType.SRV, RRType.TXT} <= types:
                s.record(
                    "P4",
                    Outcome.FAIL,
                    f"{name}: probe proposes types {sorted(types)}, not SRV and TXT together",
                )
            elif name == host and not types & {RRType.A, RRType.AAAA}:
                s.record("P4", Outcome.FAIL, f"{name}: host probe without A/AAAA")
            elif proposed:
                s.record("P4", Outcome.PASS)
    if host is not None and obs.probes_for(host):
        s.record("P10", Outcome.PASS)
        host_probes, service_probes = (
            obs.probes_for(host),
            (obs.probes_for(service) if service else []),
        )
        if service_probes and service_probes[0].time > host_probes[-1].time + 0.1:
            s.record(
                "P10",
                Outcome.WARN,
                "service probing waited until the host name "
                "was settled (§8.1 does not ask for that)",
            )
    elif host is not None:
        s.record("P10", Outcome.FAIL, f"host name {host} never probed")


def check_host_probed(s: Session, obs: Observation) -> None:
    """P14: when the target probes a service, it probes the host name its SRV
    points to as well (§8.1: every unique record is probed; the host's address
    records are unique). Judged on the SRV target, not on ``--target``, so a
    target known by address or publishing under another host name is checked."""
    service = s.configured_service
    target = _srv_target(s)
    if service is None or target is None:
        s.record("P14", Outcome.SKIP, "the service's SRV was not seen")
        return
    if not obs.probes_for(service):
        s.record("P14", Outcome.SKIP, "the service is not probed (P4)")
        return
    if obs.probes_for(target):
        s.record("P14", Outcome.PASS)
        return
    probed = sorted({str(n) for p in obs.packets for n in probed_names(p)})
    s.record(
        "P14",
        Outcome.FAIL,
        f"the SRV target {target} was never probed although the service was "
        f"(probed: {', '.join(probed)})",
    )


def check_announcements(s: Session, obs: Observation) -> None:
    """A1, A2, A3, CH1, over every unsolicited response after the trigger."""
    name = s.configured_service or s.host_name
    if name is None:
        return
    rtype = RRType.SRV if name == s.configured_service else RRType.A
    announcements = obs.announcements(s, name, rtype)
    times = [p.time for p in announcements]
    gaps = _probe_gaps(times)
    if len(announcements) < 2:
        s.record(
            "A1",
            Outcome.FAIL,
            f"{len(announcements)} announcement(s) of {name}:\n" + s.show(announcements, obs.start),
        )
    elif min(gaps) < ANNOUNCE_GAP_MIN:
        s.record(
            "A1",
            Outcome.FAIL,
            "announcements less than a second apart (gaps "
            + ", ".join(f"{g:.2f}s" for g in gaps)
            + "):\n"
            + s.show(announcements, obs.start),
        )
    else:
        s.record(
            "A1",
            Outcome.PASS,
            f"{len(announcements)} announcements, gaps " + ", ".join(f"{g:.2f}s" for g in gaps),
        )
    if gaps and min(gaps) < ANNOUNCE_GAP_MIN:
        s.report.not_judged("CH1", "A1", "announcements less than a second apart")
    elif any(b < a * 0.9 for a, b in itertools.pairwise(gaps)) or len(times) > 10:
        s.record(
            "CH1", Outcome.FAIL, "announcement gaps shrink: " + ", ".join(f"{g:.2f}s" for g in gaps)
        )
    elif announcements:
        s.record(
            "CH1",
            Outcome.PASS,
            f"{len(announcements)} announcements in {obs.packets[-1].time - obs.start:.1f}s",
        )
    # A2 over every unsolicited response after the trigger.
    wrong: list[str] = []
    wrong_packets: list[Captured] = []
    all_records: list[Record] = []
    for p in obs.responses():
        assert p.message is not None
        before = len(wrong)
        for r in p.message.answers:
            if r.ttl == 0:
                continue
            all_records.append(r)
            shared = r.rtype == RRType.PTR and not str(r.name).endswith(".arpa")
            if shared and r.cache_flush:
                wrong.append(f"shared {r.name} PTR with cache-flush set")
            elif r.rtype in UNIQUE_TYPES and not r.cache_flush:
                wrong.append(f"unique {r.name} type {r.rtype} without cache-flush")
        if len(wrong) > before:
            wrong_packets.append(p)
    if wrong:
        s.record(
            "A2",
            Outcome.FAIL,
            "\n".join(sorted(set(wrong))) + "\n" + s.show(wrong_packets, obs.start),
        )
    elif all_records:
        s.record("A2", Outcome.PASS)
    # A3: SRV and TXT of the service, and the host's addresses, announced.
    types_by_name: dict[Name, set[int]] = {}
    for r in all_records:
        types_by_name.setdefault(r.name, set()).add(r.rtype)
    missing = []
    if s.configured_service is not None and not {RRType.SRV, RRType.TXT} <= types_by_name.get(
        s.configured_service, set()
    ):
        missing.append(f"{s.configured_service} SRV+TXT")
    if s.host_name is not None and not types_by_name.get(s.host_name, set()) & {
        RRType.A,
        RRType.AAAA,
    }:
        missing.append(f"{s.host_name} A/AAAA")
    if missing:
        s.record("A3", Outcome.FAIL, "not announced: " + ", ".join(missing))
    elif all_records:
        s.record("A3", Outcome.PASS)


def check_goodbyes(s: Session, obs: Observation) -> None:
    """G1: the old instance said goodbye (TTL 0) to its service records."""
    if s.configured_service is None or s.service_type is None:
        s.record("G1", Outcome.SKIP, "no --service given")
        return
    first_probe = next((p.time for p in obs.packets if is_probe(p)), None)
    goodbyes: set[int] = set()
    for p in obs.packets:
        if first_probe is not None and p.time >= first_probe:
            break
        if p.message is None or not p.message.is_response:
            continue
        for r in p.message.answers:
            if r.ttl != 0:
                continue
            if r.name == s.configured_service:
                goodbyes.add(r.rtype)
            elif r.name == s.service_type and r.rtype == RRType.PTR:
                goodbyes.add(RRType.PTR)
    wanted = {RRType.SRV, RRType.TXT, RRType.PTR}
    if wanted <= goodbyes:
        s.record("G1", Outcome.PASS)
    else:
        s.record(
            "G1",
            Outcome.FAIL,
            f"no goodbye seen for types {sorted(wanted - goodbyes)} when the target restarted",
        )


def run_startup(s: Session, trigger: Trigger) -> bool:
    """Observe one restart; True when the target probed its service name (the
    conflict checks need that)."""
    obs = observe(s, trigger, s.configured_service)
    check_goodbyes(s, obs)
    check_probes(s, obs)
    check_announcements(s, obs)
    s.service = s.configured_service
    return s.configured_service is not None and bool(obs.probes_for(s.configured_service))


def check_hotplug(s: Session, cycle: Trigger) -> None:
    """H1: after the link goes down and up the target probes and announces again (§13)."""
    obs = observe(s, cycle, s.configured_service)
    names = [n for n in (s.configured_service, s.host_name) if n is not None]
    probed = [n for n in names if obs.probes_for(n)]
    name = s.configured_service or s.host_name
    assert name is not None
    announced = obs.announcements(s, name, RRType.SRV if name == s.configured_service else RRType.A)
    if probed and announced:
        s.record("H1", Outcome.PASS)
    else:
        s.record(
            "H1",
            Outcome.FAIL,
            f"after the link came back: probed {probed}, "
            f"{len(announced)} announcements\n" + s.show(obs.packets, obs.start),
        )
