"""R15: the target answers over IPv6 (ff02::fb) as it does over IPv4 (RFC 6762 §20)."""

from __future__ import annotations

from lanwise.conformance.answering import LISTEN
from lanwise.conformance.report import Outcome
from lanwise.conformance.session import Session
from lanwise.dns import Question, RRType

__all__ = ["run_ipv6"]


def run_ipv6(s: Session) -> None:
    if s.wire.v4 is None:
        s.record("R15", Outcome.SKIP, "an IPv6-only run: every check went over ff02::fb")
        return
    if s.wire.v6 is None:
        s.record("R15", Outcome.SKIP, "the tester has no IPv6 on this interface")
        return
    problems = []
    checks = []
    if s.service is not None:
        checks.append((s.service, RRType.SRV))
    if s.host_name is not None and s.known(s.host_name, RRType.AAAA):
        checks.append((s.host_name, RRType.AAAA))
    if not checks:
        s.record("R15", Outcome.SKIP, "the target publishes no service and no AAAA here")
        return
    for name, rtype in checks:
        s.wait_quiet((name, rtype))
        sent = s.query([Question(name, rtype)], family=6)
        answer = s.wait_answer(name, rtype, sent, LISTEN, family=6)
        if answer is None:
            problems.append(f"{name} type {rtype} not answered over IPv6")
        elif answer.ttl is not None and answer.ttl != 255:
            problems.append(f"{name} type {rtype} answered with hop limit {answer.ttl}")
    if problems:
        s.record("R15", Outcome.FAIL, "\n".join(problems))
    else:
        s.record("R15", Outcome.PASS)
