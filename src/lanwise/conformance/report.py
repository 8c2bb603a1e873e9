"""Check results and the report: one line per check, or JSON for machines."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "CATALOGUE",
    "MATTER_CATALOGUE",
    "CheckInfo",
    "CheckResult",
    "Level",
    "Outcome",
    "Report",
]


class Outcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    WARN = "WARN"
    SKIP = "SKIP"


class Level(StrEnum):
    """How strong the rule is: a broken MUST fails, a broken SHOULD warns."""

    MUST = "MUST"
    SHOULD = "SHOULD"


@dataclass(frozen=True, slots=True)
class CheckInfo:
    id: str
    name: str
    rule: str
    level: Level


def _info(id: str, name: str, rule: str, level: Level = Level.MUST) -> CheckInfo:
    return CheckInfo(id, name, rule, level)


_S = Level.SHOULD

# The catalogue (docs/conformance.md), in the order the report lists it.
CATALOGUE: tuple[CheckInfo, ...] = (
    _info("P1", "three probes 250 ms apart", "RFC 6762 §8.1"),
    _info("P2", "probe questions: the unique names, type ANY, first probe QU", "RFC 6762 §8.1"),
    _info("P3", "proposed records in Authority, cache-flush bit clear", "RFC 6762 §8.1, §10.2"),
    _info("P4", "all records of a name probed together (SRV+TXT; host A/AAAA)", "RFC 6762 §8.1"),
    _info("P5", "simultaneous probe, tester's data later: responder defers 1 s", "RFC 6762 §8.2"),
    _info("P6", "simultaneous probe, tester's data earlier: responder keeps its name", "§8.2"),
    _info("P7", "tie-break compares class, type, then rdata bytes", "RFC 6762 §8.2.1"),
    _info("P8", "probe answered with a conflicting record: new name probed", "RFC 6762 §8.1, §9"),
    _info("P9", "15 conflicts within 10 s: at least 5 s before the next probe", "RFC 6762 §8.1"),
    _info("P10", "host name probed; service probing does not wait for it", "RFC 6762 §8.1"),
    _info("P11", "names in the tester's packets compared case-insensitively", "RFC 6762 §16"),
    _info("P12", "tie-break loser probes again after 1 s rather than renaming", "RFC 6762 §8.2"),
    _info("P13", "conflicting responses before the first probe are ignored", "RFC 6762 §8.1"),
    _info("P14", "the SRV target host name is probed when services are", "RFC 6762 §8.1"),
    _info("A1", "at least two announcements, 1 s apart", "RFC 6762 §8.3"),
    _info("A2", "announced unique records flush, shared records not", "RFC 6762 §10.2"),
    _info("A3", "announcements carry SRV, TXT and the host's addresses", "RFC 6762 §8.3"),
    _info("A4", "rdata change re-announced without probing", "RFC 6762 §8.4"),
    _info("C1", "conflict after announcing: re-probe, rename when defended", "RFC 6762 §9"),
    _info("C2", "an identical record from another responder is no conflict", "RFC 6762 §9"),
    _info("N1", "manual rename: goodbye, probe, announce", "RFC 6762 §8.4, §10.1"),
    _info("H1", "link down/up: probe and announce again", "RFC 6762 §13"),
    _info("CH1", "announcements doubling from 1 s, nothing periodic", "RFC 6762 §8.3", _S),
    _info("G1", "goodbye (TTL 0) for each record on shutdown", "RFC 6762 §10.1", _S),
    _info("R1", "unique answer sent without the 20-120 ms delay", "RFC 6762 §6", _S),
    _info("R2", "shared answer delayed 20-120 ms", "RFC 6762 §6", _S),
    _info("R3", "a record multicast at most once a second", "RFC 6762 §6.2"),
    _info("R4", "known-answer suppression (TTL >= half)", "RFC 6762 §7.1"),
    _info("R5", "TC query: answer waits 400-500 ms for more known answers", "RFC 6762 §7.2", _S),
    _info("R6", "duplicate answer suppression", "RFC 6762 §7.4", _S),
    _info("R7", "QU question answered by unicast to port 5353", "RFC 6762 §5.4", _S),
    _info("R8", "legacy unicast reply: port, ID, question, TTL <= 10, no flush", "RFC 6762 §6.7"),
    _info("R9", "NSEC asserts a missing type of an owned name", "RFC 6762 §6.1"),
    _info("R10", "additional records: PTR -> SRV, TXT, addresses", "RFC 6763 §12", _S),
    _info("R11", "TTLs: 120 s host records and SRV, 4500 s others", "RFC 6762 §10", _S),
    _info("R12", "answers carry only this link's addresses", "RFC 6762 §15", _S),
    _info("R13", "unicast queries from off-link sources not answered", "RFC 6762 §11"),
    _info("R14", "queries with IP TTL other than 255 still answered", "RFC 6762 §11", _S),
    _info("R15", "IPv6: answers over ff02::fb", "RFC 6762 §20", _S),
    _info("R16", "shared delays spread over 20-120 ms", "RFC 6762 §6", _S),
    _info("R17", "shared answers to back-to-back queries aggregated", "RFC 6762 §6.4", _S),
    _info("R18", "every question of a multi-question query answered", "RFC 6762 §6"),
    _info("R19", "ANY query for the instance: SRV and TXT", "RFC 6762 §6.5"),
    _info("R20", "headers: ID 0, AA, no questions, TC clear; opcode != 0 ignored", "RFC 6762 §18"),
    _info("R21", "no duplicate records in a packet; legal host names", "BCT summary", _S),
    _info("R22", "IP TTL / hop limit 255 on mDNS packets", "RFC 6762 §11", _S),
    _info("R23", "known answer TTL lowered below half: answered again", "RFC 6762 §7.1"),
    _info("S1", "PTR -> instance; SRV and TXT on the instance", "RFC 6763 §4-6"),
    _info("S2", "TXT never empty (at least one zero-length string)", "RFC 6763 §6.1"),
    _info("S3", "_services._dns-sd._udp lists the type", "RFC 6763 §9", _S),
    _info("S4", "subtype PTRs", "RFC 6763 §7.1"),
    _info("S5", "renamed instance stays readable: 'Name (2)'", "RFC 6763 §4.1", _S),
    _info("S6", "SRV target a host name, not a single label outside .local", "RFC 6762 §3, §8.1"),
)
# The Matter DNS-SD profile (--profile matter): what the connectivity standard's
# certification tests TC-SC-4.1 (commissionable) and TC-SC-4.3 (operational)
# check, Matter Core specification §4.3 (Discovery.adoc).
_M = "Matter Core §4.3"
MATTER_CATALOGUE: tuple[CheckInfo, ...] = (
    _info("M1", "commissionable instance name: 16 uppercase hex digits", f"{_M}.1, TC-SC-4.1"),
    _info("M2", "commissionable subtypes _L, _S, _V, _T, _CM point to the instance", f"{_M}.1"),
    _info("M3", "exactly one long-discriminator subtype PTR, no leading zeros", "TC-SC-4.1"),
    _info("M4", "TXT D, VP, CM, DT, DN, RI, PH, PI well-formed and in range", f"{_M}.1"),
    _info("M5", "CM matches the commissioning mode (_CM subtype, D vs _L/_S)", f"{_M}.1"),
    _info("M6", "operational instance name: <16 hex fabric>-<16 hex node>", f"{_M}.2, TC-SC-4.3"),
    _info("M7", "host name: 12 or 16 uppercase hex digits", f"{_M}.1.1, TC-SC-4.3"),
    _info("M8", "AAAA records for the host", f"{_M}, TC-SC-4.3"),
    _info("M9", "SII, SAI <= 3600000, SAT <= 65535, T reserved bit clear", f"{_M}.4, TC-SC-4.3"),
    _info("M10", "operational _I<fabric> subtype points to the instance", f"{_M}.2, TC-SC-4.3"),
)
# The link-local phase (--link-local): RFC 3927, as BCT checks it before mDNS.
LINKLOCAL_CATALOGUE: tuple[CheckInfo, ...] = (
    _info("L1", "PROBE_WAIT, then 3 ARP probes 1-2 s apart, sender 0.0.0.0", "RFC 3927 §2.2.1"),
    _info("L2", "a conflict while probing: a new address, probed", "RFC 3927 §2.2.1"),
    _info("L3", "2 announcements, ANNOUNCE_WAIT then 2 s apart", "RFC 3927 §2.4"),
    _info("L4", "defend at most once in DEFEND_INTERVAL, give up on a second conflict", "§2.5"),
    _info("L5", "after MAX_CONFLICTS, one new address per RATE_LIMIT_INTERVAL", "§2.2.1"),
    _info("L6", "addresses from 169.254.1.0-169.254.254.255", "RFC 3927 §2.1"),
    _info("L7", "mDNS only from a claimed, still held address", "§2.2, §2.4, §2.5; BCT I"),
    _info("L8", "link down/up: probe again, the previous address first", "RFC 3927 §2.1", _S),
)
CHECKS: dict[str, CheckInfo] = {
    info.id: info for info in (*CATALOGUE, *MATTER_CATALOGUE, *LINKLOCAL_CATALOGUE)
}


@dataclass(slots=True)
class CheckResult:
    id: str
    name: str
    result: Outcome
    detail: str
    rule: str
    level: Level
    # the check whose failure left this one unjudged (result SKIP)
    depends_on: str | None = None
    # the packets behind a FAIL or WARN (wire.packet_json), in time order
    packets: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        """``ID  RESULT  name`` and, for anything but PASS, the indented detail."""
        head = f"{self.id:<4} {self.result.value:<4}  {self.name}"
        if self.result is Outcome.PASS or not self.detail:
            return head
        detail = "\n".join("      " + line for line in self.detail.splitlines())
        return f"{head}\n{detail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "result": self.result.value,
            "detail": self.detail,
            "rule": self.rule,
            "level": self.level.value,
            "depends_on": self.depends_on,
            "packets": self.packets,
        }


@dataclass(slots=True)
class Report:
    """What the suite found, check by check (every catalogue check appears once)."""

    target: str
    tests: dict[str, CheckResult] = field(default_factory=dict)
    # the checks this run reports, in order (the Matter profile adds its own)
    catalogue: tuple[CheckInfo, ...] = CATALOGUE
    facts: dict[str, Any] = field(default_factory=dict)
    # Called with each check's result once it is final (see :meth:`publish`).
    on_result: Callable[[CheckResult], None] | None = None
    published: set[str] = field(default_factory=set)

    def record(
        self,
        id: str,
        outcome: Outcome,
        detail: str = "",
        packets: Iterable[dict[str, Any]] = (),
    ) -> None:
        """Record a check's outcome; a FAIL of a SHOULD check becomes WARN.

        A later outcome of the same check only replaces an earlier one if it
        is worse (several sub-tests can report under one id). A check left
        unjudged by :meth:`not_judged` stays so.
        """
        info = CHECKS[id]
        current = self.tests.get(id)
        if current is not None and current.depends_on is not None:
            return
        if outcome is Outcome.FAIL and info.level is Level.SHOULD:
            outcome = Outcome.WARN
        old = self.tests.get(id)
        if old is not None and _rank(old.result) >= _rank(outcome):
            if outcome is not Outcome.PASS and detail and old.result is outcome:
                old.detail = f"{old.detail}\n{detail}" if old.detail else detail
                old.packets += packets
            return
        evidence = list(packets) if outcome in (Outcome.FAIL, Outcome.WARN) else []
        self.tests[id] = CheckResult(
            id, info.name, outcome, detail, info.rule, info.level, packets=evidence
        )

    def not_judged(self, id: str, root: str, why: str = "") -> None:
        """``id`` cannot be judged because check ``root`` failed on the same
        defect: it is reported as SKIP "not judged: depends on ``root``", so the
        FAIL count counts defects, not their echoes."""
        info = CHECKS[id]
        detail = f"not judged: depends on {root}" + (f" ({why})" if why else "")
        self.tests[id] = CheckResult(
            id, info.name, Outcome.SKIP, detail, info.rule, info.level, depends_on=root
        )

    def publish(self, hold: Iterable[str] = ()) -> None:
        """Hand every recorded result not handed over yet to ``on_result``,
        except the ``hold`` checks (a later phase still judges them)."""
        held = set(hold)
        for result in self.ordered():
            if result.id in self.published or result.id in held:
                continue
            self.published.add(result.id)
            if self.on_result is not None:
                self.on_result(result)

    def skip_missing(self, reason: str) -> None:
        """Mark every check that did not run as SKIP with ``reason``."""
        for info in self.catalogue:
            if info.id not in self.tests:
                self.record(info.id, Outcome.SKIP, reason)

    def skip_missing_ids(self, ids: tuple[str, ...], reason: str) -> None:
        """Mark the checks ``ids`` that did not run as SKIP with ``reason``."""
        for id in ids:
            if id not in self.tests:
                self.record(id, Outcome.SKIP, reason)

    def ordered(self) -> list[CheckResult]:
        return [self.tests[info.id] for info in self.catalogue if info.id in self.tests]

    @property
    def failed(self) -> bool:
        """A MUST check failed."""
        return any(r.result is Outcome.FAIL for r in self.tests.values())

    def counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for r in self.tests.values():
            counts[r.result.value] += 1
        return counts

    def summary(self) -> str:
        """``summary: PASS=n FAIL=n WARN=n SKIP=n`` (unjudged checks count as SKIP)."""
        return "summary: " + " ".join(f"{k}={v}" for k, v in self.counts().items())

    def text(self) -> str:
        lines = [f"conformance of {self.target}"]
        lines += [r.line() for r in self.ordered()]
        lines.append(self.summary())
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "facts": self.facts,
            "tests": [r.to_json() for r in self.ordered()],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, default=str)


def _rank(outcome: Outcome) -> int:
    return {Outcome.SKIP: 0, Outcome.PASS: 1, Outcome.WARN: 2, Outcome.FAIL: 3}[outcome]
