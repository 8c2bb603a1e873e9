"""Conflict checks: the tester plays a second responder claiming the target's
service name (RFC 6762 §8.1, §8.2, §9; RFC 6763 §4.1): P5-P9, P12, P13, C1, C2, S5."""

from __future__ import annotations

import re
import time

from lanwise.conformance.report import Outcome
from lanwise.conformance.session import Session, Trigger, is_probe, probed_names, swapped_case
from lanwise.conformance.wire import Captured
from lanwise.dns import Name, Record, RRType

__all__ = ["run_conflicts"]

# §8.2: the loser of a tie-break waits one second before probing again (from the
# last simultaneous probe it lost, up to 500 ms after the first).
DEFER_MIN = 0.75
DEFER_MAX = 1.8
# §8.1: a prober sends its probes 250 ms apart and announces 250 ms after the third.
TESTER_PROBE_GAP = 0.250
# When the tester, having won, announces: after the target's own three probes
# (0, 250, 500 ms from its first) would have ended at 750 ms, and late enough that
# a loser's probe one second after the last tie-break it lost (the tester's third
# probe, at 500 ms; §8.2) comes first, so P12 sees what the loser does on its
# own: probe the same name again, or (wrongly) another.
TESTER_ANNOUNCES_AFTER = 1.8
# How long the tester defends the name it won against the loser's new probes.
DEFEND_FOR = 2.5
# §8.1: after 15 conflicts in 10 s, five seconds between attempts.
RATE_LIMITED_GAP = 4.5
CONFLICTS_FOR_RATE_LIMIT = 15


def _probe_of(s: Session, name: Name | None = None, *, other_than: Name | None = None):  # type: ignore[no-untyped-def]
    """A predicate: the target's probe for ``name`` (or any instance of the type
    other than ``other_than``)."""

    def match(p: Captured) -> bool:
        if not is_probe(p) or not s.from_target(p):
            return False
        names = probed_names(p)
        if name is not None:
            return name in names
        return any(s.is_service_instance(n) and n != other_than for n in names)

    return match


def _start_and_catch_probe(s: Session, trigger: Trigger) -> tuple[float, Captured | None]:
    assert s.configured_service is not None
    start = time.monotonic()
    trigger()
    first = s.wire.wait_for(_probe_of(s, s.configured_service), start, 8.0)
    return start, first


def _settle(s: Session, name: Name, start: float, timeout: float = 4.0) -> None:
    """Wait for the target's announcement of ``name`` (it is serving again)."""
    s.wait_answer(name, RRType.SRV, start, timeout)


def _with_flush(records: list[Record]) -> list[Record]:
    return [Record(r.name, r.rtype, r.rclass, r.ttl, r.rdata, cache_flush=True) for r in records]


def check_tie_breaks(s: Session, trigger: Trigger) -> None:
    """P6 (tester earlier: target keeps the name), then P5/P12/P7
    (:func:`check_tie_break_lost`)."""
    name = s.configured_service
    assert name is not None
    # P6: the tester's proposal sorts first, so the target wins and carries on.
    start, first = _start_and_catch_probe(s, trigger)
    if first is None:
        s.record("P6", Outcome.FAIL, "the target did not probe after the restart")
        for id in ("P5", "P7", "P12"):
            s.report.not_judged(id, "P6", "the target did not probe after the restart")
        return
    sent = s.probe(name, s.conflicting(name, later=False))
    nxt = s.wire.wait_for(_probe_of(s, name), sent + 0.001, 1.5)
    kept = s.wait_answer(name, RRType.SRV, sent, 3.0)
    if nxt is not None and nxt.time - sent < DEFER_MIN and kept is not None:
        s.record("P6", Outcome.PASS)
        p6 = True
    else:
        s.record(
            "P6",
            Outcome.FAIL,
            "the target gave way to a probe whose data sorts "
            "before its own:\n" + s.show(s.target_packets(first.time), start),
        )
        p6 = False
    s.settle(1.2)
    check_tie_break_lost(s, trigger, p6)


def _contested(s: Session, packet: Captured, name: Name) -> bool:
    """The target's multicast response announcing ``name``'s SRV or TXT."""
    m = packet.message
    return (
        m is not None
        and m.is_response
        and packet.multicast
        and any(
            r.name == name and r.ttl > 0 and r.rtype in (RRType.SRV, RRType.TXT) for r in m.answers
        )
    )


def check_tie_break_lost(s: Session, trigger: Trigger, p6: bool) -> None:
    """P5, P12, P7: the tester probes at the same moment as the target with data
    that sorts later, so the target loses (§8.2). The tester then does what a
    real winner does: probes twice more 250 ms apart, announces once the
    target's own three probes would have ended, and defends its records. What
    the target does before that announcement is the verdict: a target that
    kept probing, or announced the contested record, ignored the tie-break
    (even if it yields to the announcement afterwards)."""
    name = s.configured_service
    assert name is not None
    start, first = _start_and_catch_probe(s, trigger)
    if first is None:
        s.record("P5", Outcome.FAIL, "the target did not probe after the restart")
        s.report.not_judged("P7", "P5")
        s.report.not_judged("P12", "P5")
        return
    claim = s.conflicting(name, later=True)
    sent = s.probe(name, claim)
    for k in (1, 2):
        _sleep_until(sent + k * TESTER_PROBE_GAP)
        s.probe(name, claim)
    _sleep_until(first.time + TESTER_ANNOUNCES_AFTER)
    announced = s.respond(_with_flush(claim))
    before = s.target_packets(sent + 0.001, announced)
    same = [p for p in before if is_probe(p) and name in probed_names(p)]
    renamed_early = [
        p
        for p in before
        if is_probe(p) and any(s.is_service_instance(n) and n != name for n in probed_names(p))
    ]
    contested = [p for p in before if _contested(s, p, name)]
    # Defend the name until the target gives it up (probes another) or time runs out.
    other = _probe_of(s, other_than=name)
    mine = _probe_of(s, name)
    last = announced
    renamed: Captured | None = renamed_early[0] if renamed_early else None
    deadline = announced + DEFEND_FOR
    while renamed is None and time.monotonic() < deadline:
        found = s.wire.wait_for(
            lambda p: mine(p) or other(p), last + 0.001, max(0.0, deadline - time.monotonic())
        )
        if found is None:
            break
        last = found.time
        if other(found):
            renamed = found
        else:
            s.respond(_with_flush(claim))
    shown = s.show(s.target_packets(first.time, last + 0.001), start)
    problems = []
    if same and same[0].time - sent < DEFER_MIN:
        problems.append(
            f"probed again {1000 * (same[0].time - sent):.0f} ms after the tester's "
            "simultaneous probe won the tie-break"
        )
    if contested:
        problems.append(
            f"announced the contested record {contested[0].time - sent:.2f}s after losing the "
            f"tie-break, before the winner announced ({announced - sent:.2f}s)"
        )
    reprobe = next((p for p in same if p.time - sent >= DEFER_MIN), None)
    if problems:
        s.record("P5", Outcome.FAIL, "\n".join(problems) + ":\n" + shown)
        s.report.not_judged("P12", "P5", "the tie-break was ignored")
        p5 = False
    elif reprobe is None and renamed is None:
        s.record(
            "P5", Outcome.FAIL, "no probe within three seconds of losing the tie-break:\n" + shown
        )
        s.report.not_judged("P12", "P5")
        p5 = False
    else:
        s.record("P5", Outcome.PASS, "deferred")
        p5 = True
        if renamed_early and (reprobe is None or renamed_early[0].time < reprobe.time):
            # It probed another name before the winner announced: it gave up its
            # name on the tie-break alone.
            s.record(
                "P12",
                Outcome.FAIL,
                f"probed a new name {renamed_early[0].time - sent:.2f}s after losing the "
                "tie-break, before the winner announced, instead of probing its own again "
                "one second later:\n" + shown,
            )
        elif reprobe is not None and reprobe.time - sent <= DEFER_MAX:
            s.record("P12", Outcome.PASS, f"probed again after {reprobe.time - sent:.2f}s")
        else:
            s.record("P12", Outcome.PASS, "gave the name up when the winner announced it")
    if p5 and p6:
        s.record("P7", Outcome.PASS)
    elif not p5 and not p6:
        s.record("P7", Outcome.FAIL, "the tie-break went the wrong way both times (see P5/P6)")
    else:
        s.report.not_judged("P7", "P6" if p5 else "P5")
    if renamed is not None:
        new = next(n for n in probed_names(renamed) if s.is_service_instance(n) and n != name)
        s.service = new
        _settle(s, new, renamed.time, 3.0)
    # The winner withdraws (goodbyes), so the name is free for the next restart.
    s.respond([Record(r.name, r.rtype, r.rclass, 0, r.rdata, cache_flush=True) for r in claim])
    s.settle(0.3)


def _sleep_until(when: float) -> None:
    delay = when - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def check_probe_answered(s: Session, trigger: Trigger) -> None:
    """P8 (a probe answered by a conflicting record: new name, probed) and S5."""
    name = s.configured_service
    assert name is not None
    start, first = _start_and_catch_probe(s, trigger)
    if first is None:
        s.record("P8", Outcome.FAIL, "the target did not probe after the restart")
        return
    # P11 (§16, BCT's global rule): the denial spells the name in swapped case;
    # a responder that compares names case-sensitively misses the conflict.
    denied = swapped_case(name)
    sent = s.respond(_with_flush(s.conflicting(denied)))
    renamed = s.wire.wait_for(_probe_of(s, other_than=name), sent, 3.0)
    announced_old = [
        p for p in s.target_packets(sent) if p.multicast and s.answer_of(p, name, RRType.SRV)
    ]
    if renamed is None or announced_old:
        s.record(
            "P8",
            Outcome.FAIL,
            f"no new name probed after the probe was answered (for {denied}):\n"
            + s.show(s.target_packets(first.time), start),
        )
        s.record("P11", Outcome.FAIL, f"a probe denial for {denied} was not taken as a conflict")
        return
    new = next(n for n in probed_names(renamed) if s.is_service_instance(n) and n != name)
    s.record("P8", Outcome.PASS, f"renamed to {new}")
    base = name.labels[0]
    if re.fullmatch(re.escape(base) + r" \(\d+\)", new.labels[0]):
        s.record("S5", Outcome.PASS, new.labels[0])
    else:
        s.record("S5", Outcome.FAIL, f"renamed {base!r} to {new.labels[0]!r}")
    s.service = new
    _settle(s, new, renamed.time, 4.0)


def check_after_announcing(s: Session) -> None:
    """C2 (identical record: no conflict) and C1 (conflicting record after announcing:
    re-probe, and rename once the tester defends)."""
    name = s.service
    srv = s.srv()
    if name is None or srv is None:
        for id in ("C1", "C2"):
            s.record(id, Outcome.SKIP, "the service's SRV was not seen")
        return
    sent = s.respond([Record(srv.name, srv.rtype, srv.rclass, srv.ttl, srv.rdata, True)])
    reprobe = s.wire.wait_for(_probe_of(s, name), sent, 1.5)
    if reprobe is None:
        s.record("C2", Outcome.PASS)
    else:
        s.record(
            "C2",
            Outcome.FAIL,
            "an identical record made the target probe again:\n" + s.show([reprobe], sent),
        )
        _settle(s, name, reprobe.time)
    sent = s.respond(_with_flush(s.conflicting(name)))
    probe = s.wire.wait_for(
        lambda p: _probe_of(s, name)(p) or _probe_of(s, other_than=name)(p), sent, 2.5
    )
    if probe is None:
        s.record(
            "C1",
            Outcome.FAIL,
            "no probe after a conflicting record for the announced "
            "name:\n" + s.show(s.target_packets(sent), sent),
        )
        return
    if name in probed_names(probe):
        # It re-probes its name: defend it, as the other owner would (§9).
        s.respond(_with_flush(s.conflicting(name)))
        renamed = s.wire.wait_for(_probe_of(s, other_than=name), probe.time, 3.0)
        if renamed is None:
            s.record(
                "C1",
                Outcome.FAIL,
                "re-probed but kept the name the tester defends:\n"
                + s.show(s.target_packets(sent), sent),
            )
            return
        probe = renamed
    new = next(n for n in probed_names(probe) if s.is_service_instance(n) and n != name)
    s.record("C1", Outcome.PASS, f"renamed to {new}")
    s.service = new
    _settle(s, new, probe.time)


def check_rate_limit(s: Session, trigger: Trigger) -> None:
    """P9: after 15 conflicts within 10 s the next probe waits at least 5 s (§8.1)."""
    name = s.configured_service
    assert name is not None
    start, first = _start_and_catch_probe(s, trigger)
    if first is None:
        s.record("P9", Outcome.FAIL, "the target did not probe after the restart")
        return
    conflicts = 0
    last_probe = first
    answered: set[Name] = set()
    deadline = start + 12.0

    def fresh(p: Captured) -> bool:
        # a probe of an instance name the tester has not answered yet
        return _probe_of(s)(p) and any(
            s.is_service_instance(n) and n not in answered for n in probed_names(p)
        )

    last_sent = start
    while conflicts < CONFLICTS_FOR_RATE_LIMIT and time.monotonic() < deadline:
        for n in probed_names(last_probe):
            if s.is_service_instance(n) and n not in answered:
                last_sent = s.respond(_with_flush(s.conflicting(n)))
                answered.add(n)
                conflicts += 1
        if conflicts >= CONFLICTS_FOR_RATE_LIMIT:
            break
        nxt = s.wire.wait_for(
            fresh,
            last_probe.time + 0.001,
            max(0.0, deadline - time.monotonic()),
        )
        if nxt is None:
            break
        last_probe = nxt
    if conflicts < CONFLICTS_FOR_RATE_LIMIT:
        # Not a violation: the target re-probes too slowly to reach the limit.
        s.record("P9", Outcome.SKIP, f"only {conflicts} conflicts could be provoked in 12 s")
        return
    # The attempt after the 15th conflict (the next name's first probe) waits 5 s.
    after = s.wire.wait_for(fresh, last_sent, RATE_LIMITED_GAP + 2.5)
    gap = None if after is None else after.time - last_sent
    if gap is not None and gap < RATE_LIMITED_GAP:
        s.record(
            "P9",
            Outcome.FAIL,
            f"probed again {gap:.2f}s after the 15th conflict "
            f"within {last_sent - start:.1f}s:\n"
            + s.show([last_probe, *([after] if after else [])], start),
        )
    else:
        s.record(
            "P9",
            Outcome.PASS,
            f"{conflicts} conflicts in {last_sent - start:.1f}s, "
            + ("then no probe for 7 s" if gap is None else f"next probe {gap:.2f}s later"),
        )
    if after is not None:
        for n in probed_names(after):
            if s.is_service_instance(n) and n not in answered:
                s.service = n
                _settle(s, n, after.time, 3.0)


def check_response_before_probing(s: Session, trigger: Trigger) -> None:
    """P13: a conflicting response that arrives before the target's first probe is
    not a conflict (§8.1): the target probes its own name and keeps it.

    What can be seen from outside: the tester multicasts a conflicting SRV/TXT
    for the service name right after the restart, and afterwards checks from the
    capture that it arrived before the first probe; a target that then renames
    consulted what it had received before probing (its cache). Whether the
    target looks in its cache at all, or would rename for other cached data,
    cannot be seen; when the first probe beats the response the attempt does
    not count, and three such attempts leave P13 unjudged (SKIP)."""
    name = s.configured_service
    assert name is not None
    for _ in range(3):
        start = time.monotonic()
        trigger()
        sent = s.respond(_with_flush(s.conflicting(name)))
        first = s.wire.wait_for(_probe_of(s), start, 4.0)
        if first is None:
            s.record("P13", Outcome.FAIL, "no probe after the restart")
            return
        renamed = [n for n in probed_names(first) if s.is_service_instance(n) and n != name]
        if not renamed and first.time <= sent + 0.002:
            _settle(s, name, first.time, 4.0)
            s.settle(1.1)
            continue  # the response did not come before probing: try again
        # The response went out before the first probe (a first probe of another
        # name can only be a reaction to it); what the target does next decides.
        kept = s.wait_answer(name, RRType.SRV, first.time, 3.0)
        shown = s.show(s.target_packets(start, first.time + 1.0), start)
        if renamed or kept is None:
            s.record(
                "P13",
                Outcome.FAIL,
                f"a conflicting response sent {1000 * (first.time - sent):.0f} ms before the "
                f"first probe made the target give up {name}:\n" + shown,
            )
            if renamed:
                s.service = renamed[0]
                _settle(s, renamed[0], first.time, 4.0)
        else:
            s.record(
                "P13",
                Outcome.PASS,
                f"response {1000 * (first.time - sent):.0f} ms before the first probe ignored "
                "(the target's cache itself is not visible from outside)",
            )
        # The tester's stale records: withdraw them (goodbyes).
        s.respond(
            [Record(r.name, r.rtype, r.rclass, 0, r.rdata, True) for r in s.conflicting(name)]
        )
        s.settle(0.3)
        return
    s.record(
        "P13",
        Outcome.SKIP,
        "the target probed before the tester's response three times: nothing to judge",
    )


def run_conflicts(s: Session, trigger: Trigger, *, rate_limit: bool = True) -> None:
    check_response_before_probing(s, trigger)
    check_tie_breaks(s, trigger)
    check_probe_answered(s, trigger)
    check_after_announcing(s)
    if rate_limit:
        check_rate_limit(s, trigger)
