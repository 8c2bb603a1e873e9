"""DNS-SD checks that need no restart (RFC 6763 §7.1, §9; RFC 6762 §16): S3, S4, P11."""

from __future__ import annotations

from lanwise.conformance.answering import LISTEN
from lanwise.conformance.report import Outcome
from lanwise.conformance.session import SERVICES_NAME, Session, swapped_case
from lanwise.dns import PTR, Name, Question, RRType

__all__ = ["run_dnssd"]


def _ptr_answered(s: Session, name: Name, target: Name) -> bool:
    """Ask for ``name`` PTR once the target is quiet; True if it answers with ``target``."""
    s.wait_quiet((name, RRType.PTR))
    sent = s.query([Question(name, RRType.PTR)])
    answer = s.wait_answer(name, RRType.PTR, sent, LISTEN)
    return (
        answer is not None
        and answer.message is not None
        and any(
            isinstance(r.rdata, PTR) and r.rdata.target == target for r in answer.message.answers
        )
    )


def check_services_enumeration(s: Session) -> None:
    """S3: the service type is listed under ``_services._dns-sd._udp`` (§9)."""
    if s.service_type is None:
        s.record("S3", Outcome.SKIP, "no --service given")
        return
    listed = _ptr_answered(s, SERVICES_NAME, s.service_type)
    s.record(
        "S3",
        Outcome.PASS if listed else Outcome.FAIL,
        "" if listed else f"{s.service_type} not listed under {SERVICES_NAME}",
    )


def check_subtypes(s: Session) -> None:
    """S4: each ``--subtype`` given has a PTR to the instance (§7.1)."""
    if not s.subtypes or s.service_type is None or s.service is None:
        s.record("S4", Outcome.SKIP, "no --subtype given")
        return
    for subtype in s.subtypes:
        name = Name.from_labels((subtype, "_sub", *s.service_type.labels))
        ok = _ptr_answered(s, name, s.service)
        s.record(
            "S4",
            Outcome.PASS if ok else Outcome.FAIL,
            "" if ok else f"{name} PTR -> {s.service} not answered",
        )


def check_case(s: Session) -> None:
    """P11, part one: names compare case-insensitively (§16): a query whose name
    has its case swapped is answered. Part two, a probe denial in swapped case,
    is in the P8 check (conflicts.py)."""
    name = s.service or s.host_name
    if name is None:
        s.record("P11", Outcome.SKIP, "no name known")
        return
    rtype = RRType.SRV if name == s.service else RRType.A
    s.wait_quiet((name, rtype))
    sent = s.query([Question(swapped_case(name), rtype)])
    answer = s.wait_answer(name, rtype, sent, LISTEN)
    s.record(
        "P11",
        Outcome.PASS if answer else Outcome.FAIL,
        "" if answer else f"no answer to a query for {swapped_case(name)}",
    )


def run_dnssd(s: Session) -> None:
    check_services_enumeration(s)
    check_subtypes(s)
    check_case(s)
