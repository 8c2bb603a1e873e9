"""Answering checks (RFC 6762 §5-§7, §10, §11, §18; RFC 6763 §12): R1-R23.

Each check waits until the records it asks for have not been multicast for a
second (§6.2), so a silent target means suppression, not rate limiting.
"""

from __future__ import annotations

import time
from ipaddress import IPv4Address, IPv6Address, ip_address

from lanwise.conformance.report import Outcome
from lanwise.conformance.session import Session, is_probe
from lanwise.conformance.wire import Captured
from lanwise.dns import NSEC, SRV, Flag, Name, Question, Record, RRType

__all__ = ["discover", "run_answering"]

# A responder on the same link answers a unique question at once (§6); allow
# scheduling noise on a busy host.
UNIQUE_PROMPT = 0.030
# §6: shared answers wait 20-120 ms; a few ms either way for the two hosts' scheduling.
SHARED_MIN, SHARED_MAX = 0.015, 0.140
# §7.2: 400-500 ms after a TC query (20 ms either way for scheduling, and
# §6's 20-120 ms for a shared answer on top of the upper bound).
TC_MIN = 0.380
TC_MAX = 0.640
# Longest wait for a target that is still announcing to fall quiet.
SETTLE_MAX = 8.0
# The first question's wait for any answer, then the repeats' (§5.2: 1 s, doubling).
DISCOVER_WAITS = (1.2, 2.2, 2.2)
# How long to listen for an answer that should come (or must not).
LISTEN = 0.8


def discover(s: Session, address: IPv4Address | IPv6Address | None) -> bool:
    """Ask the target for its records; False when it answered nothing."""
    questions: list[Question] = []
    if s.service is not None and s.service_type is not None:
        questions += [
            Question(s.service, RRType.SRV),
            Question(s.service, RRType.TXT),
            Question(s.service_type, RRType.PTR),
        ]
    if s.host_name is not None:
        questions += [Question(s.host_name, RRType.A), Question(s.host_name, RRType.AAAA)]
    if not questions and address is not None:
        questions.append(Question(Name(address.reverse_pointer), RRType.PTR))
    # One lost datagram, or a target that joined the group a moment late, must not
    # read as "no answer": ask again like a querier does (§5.2: 1 s, then 2 s).
    for wait in DISCOVER_WAITS:
        start = s.query(questions)
        time.sleep(wait)
        if any(p.message and p.message.is_response for p in s.target_packets(start)):
            break
    # A target still probing or announcing would rate-limit the first checks'
    # answers (§6.2): wait until it has been quiet for a second and a half.
    deadline = start + SETTLE_MAX
    while time.monotonic() < deadline:
        recent = s.target_packets(time.monotonic() - 1.5)
        if not any(p.multicast and p.time > start + 0.2 for p in recent):
            break
        time.sleep(0.2)
    packets = [p for p in s.target_packets(start) if p.message and p.message.is_response]
    s.learn(packets)
    if s.host_name is None:
        srv = s.srv()
        if srv is not None:
            s.host_name = srv.rdata.target  # type: ignore[attr-defined]
        elif address is not None:
            for r in s.records.values():
                if r.rtype == RRType.PTR and r.name == Name(address.reverse_pointer):
                    s.host_name = r.rdata.target  # type: ignore[attr-defined]
        if s.host_name is not None:
            again = s.query([Question(s.host_name, RRType.A), Question(s.host_name, RRType.AAAA)])
            time.sleep(0.5)
            s.learn(s.target_packets(again))
    for r in s.records.values():
        if r.name == s.host_name and r.rtype in (RRType.A, RRType.AAAA):
            s.addresses.add(ip_address(str(r.rdata.address)))  # type: ignore[attr-defined]
    if not packets:
        return False
    # R18: every question of the multi-question query answered (positive or NSEC).
    missing = []
    for q in questions:
        if q.qtype in (RRType.A, RRType.AAAA) and not s.known(q.name, q.qtype):
            # A host with addresses of one version may deny the other type with
            # NSEC or stay silent (an IPv4-only host, an IPv6-only link).
            other = RRType.AAAA if q.qtype == RRType.A else RRType.A
            if s.known(q.name, other):
                continue
        if not any(
            r.name == q.name and r.rtype in (q.qtype, RRType.NSEC)
            for p in packets
            for r in (p.message.records if p.message else ())
        ):
            missing.append(f"{q.name} type {q.qtype}")
    if missing:
        s.record("R18", Outcome.FAIL, "not answered: " + ", ".join(missing))
    else:
        s.record("R18", Outcome.PASS)
    return True


def _first_answer_delay(s: Session, name: Name, rtype: int) -> tuple[float | None, Captured | None]:
    s.wait_quiet((name, rtype))
    sent = s.query([Question(name, rtype)])
    answer = s.wait_answer(name, rtype, sent, LISTEN)
    return (None if answer is None else answer.time - sent), answer


def check_unique_and_rate_limit(s: Session) -> None:
    """R1 (unique answered at once), R7 (QU → unicast), R3 (once a second)."""
    srv = s.srv()
    if srv is None or s.service is None:
        for id in ("R1", "R3", "R7"):
            s.record(id, Outcome.SKIP, "no SRV record of the service seen")
        return
    delay, answer = _first_answer_delay(s, s.service, RRType.SRV)
    if delay is None or answer is None:
        s.record("R1", Outcome.FAIL, f"no multicast answer to a QM SRV query in {LISTEN}s")
        return
    first = answer.time
    if delay <= UNIQUE_PROMPT:
        s.record("R1", Outcome.PASS, f"{delay * 1000:.1f} ms")
    else:
        s.record("R1", Outcome.FAIL, f"unique SRV answered after {delay * 1000:.1f} ms")
    # R7: the SRV was just multicast, so a QU question gets a unicast reply (§5.4).
    sent = s.query([Question(s.service, RRType.SRV, unicast_response=True)])
    reply = s.wait_answer(s.service, RRType.SRV, sent, LISTEN, multicast=None)
    if reply is None:
        s.record("R7", Outcome.FAIL, "QU question for the SRV not answered")
    elif reply.multicast:
        s.record(
            "R7",
            Outcome.FAIL,
            "QU question answered by multicast although the record "
            "was multicast a moment ago\n" + s.show([reply], sent),
        )
    else:
        s.record("R7", Outcome.PASS)
    # R3: ask again by QM 300 ms after the multicast answer; no second multicast
    # of the SRV may leave before a second has passed (§6.2).
    now = time.monotonic()
    if now < first + 0.3:
        time.sleep(first + 0.3 - now)
    sent = s.query([Question(s.service, RRType.SRV)])
    time.sleep(max(0.0, first + 1.25 - time.monotonic()))
    early = [
        p
        for p in s.target_packets(first + 0.001)
        if p.multicast
        and p.time < first + 0.95
        and not is_probe(p)
        and s.answer_of(p, s.service, RRType.SRV)
    ]
    if early:
        s.record(
            "R3", Outcome.FAIL, "SRV multicast again within a second:\n" + s.show(early, first)
        )
    else:
        s.record("R3", Outcome.PASS)
    del sent


def check_shared(s: Session) -> None:
    """R2 (shared delay), R10 (additionals), R11 (TTLs), S1, S2."""
    if s.service_type is None or s.service is None:
        for id in ("R2", "R10", "S1", "S2"):
            s.record(id, Outcome.SKIP, "no --service given")
        return
    delay, answer = _first_answer_delay(s, s.service_type, RRType.PTR)
    if delay is None or answer is None or answer.message is None:
        s.record("R2", Outcome.FAIL, f"no multicast answer to a PTR query in {LISTEN}s")
        s.record("S1", Outcome.FAIL, f"{s.service_type} PTR not answered")
        return
    if SHARED_MIN <= delay <= SHARED_MAX:
        s.record("R2", Outcome.PASS, f"{delay * 1000:.1f} ms")
    else:
        s.record("R2", Outcome.FAIL, f"shared PTR answered after {delay * 1000:.1f} ms")
    records = answer.message.records
    ptr_ok = any(
        r.rtype == RRType.PTR and r.name == s.service_type and r.rdata.target == s.service  # type: ignore[attr-defined]
        for r in answer.message.answers
    )
    additional_types = {r.rtype for r in records if r.name in (s.service, s.host_name)}
    wanted = {RRType.SRV, RRType.TXT}
    has_address = bool(additional_types & {RRType.A, RRType.AAAA})
    if wanted <= additional_types and has_address:
        s.record("R10", Outcome.PASS)
    else:
        s.record(
            "R10",
            Outcome.FAIL,
            "PTR answer lacks additional SRV/TXT/address records:\n"
            + s.show([answer], answer.time),
        )
    srv, txt = s.srv(), s.txt()
    if ptr_ok and srv is not None and txt is not None:
        s.record("S1", Outcome.PASS)
    else:
        s.record(
            "S1",
            Outcome.FAIL,
            f"PTR->instance {ptr_ok}, SRV {srv is not None}, TXT {txt is not None}",
        )
    if txt is not None:
        strings = txt.rdata.strings  # type: ignore[attr-defined]
        s.record("S2", Outcome.PASS if strings else Outcome.FAIL, f"TXT strings {strings!r}")


def check_srv_target(s: Session) -> None:
    """S6: the SRV target is a host name a client can resolve by mDNS: a name
    under ``.local`` (§3), or a multi-label name of a unicast DNS domain. A single
    label outside ``.local`` ("vm") is neither: no mDNS querier asks for it (§3
    sends only ``.local`` names to mDNS) and no DNS server is authoritative for it."""
    srv = s.srv()
    if srv is None or not isinstance(srv.rdata, SRV):
        s.record("S6", Outcome.SKIP, "the service's SRV was not seen")
        return
    target = srv.rdata.target
    labels = [label.lower() for label in target.labels]
    if labels and labels[-1] == "local" and len(labels) >= 2:
        s.record("S6", Outcome.PASS, str(target))
    elif len(labels) >= 2:
        s.record("S6", Outcome.PASS, f"{target}: a unicast DNS name, resolved outside mDNS")
    else:
        s.record(
            "S6",
            Outcome.FAIL,
            f"SRV target {str(target)!r} is a single label outside .local: "
            f"clients cannot resolve it (§3)",
        )


# R16 (BCT II.8): the 20-120 ms range in quarters; none may hold fewer than 5 % or
# more than 45 % of the delays.
QUARTER_MIN, QUARTER_MAX = 0.05, 0.45


def check_delay_spread(s: Session, samples: int) -> None:
    """R16: shared answers' delays spread over 20-120 ms (§6), sampled one query
    at a time, each once the PTR has been quiet for a second (§6.2)."""
    if s.service_type is None or s.ptr() is None:
        s.record("R16", Outcome.SKIP, "the service's PTR was not seen")
        return
    delays: list[float] = []
    for _ in range(samples):
        delay, _answer = _first_answer_delay(s, s.service_type, RRType.PTR)
        if delay is not None:
            delays.append(delay)
    if len(delays) < samples // 2:
        s.record("R16", Outcome.FAIL, f"only {len(delays)} of {samples} PTR queries answered")
        return
    # Clamp into the range (the tolerance of R2 is judged there) and count quarters.
    counts = [0, 0, 0, 0]
    for d in delays:
        quarter = int((min(max(d, 0.020), 0.1199) - 0.020) / 0.025)
        counts[quarter] += 1
    shares = [c / len(delays) for c in counts]
    text = (
        f"{len(delays)} delays, quarters of 20-120 ms: "
        + ", ".join(f"{100 * x:.0f} %" for x in shares)
        + f" (min {1000 * min(delays):.0f} ms, max {1000 * max(delays):.0f} ms)"
    )
    if any(x < QUARTER_MIN or x > QUARTER_MAX for x in shares):
        s.record("R16", Outcome.FAIL, text)
    else:
        s.record("R16", Outcome.PASS, text)


def check_ttls(s: Session) -> None:
    """R11: §10 recommends 120 s for host-name records (and SRV), 4500 s for others."""
    wrong = []
    for r in s.records.values():
        if r.rtype == RRType.NSEC:
            continue
        host_record = r.rtype in (RRType.A, RRType.AAAA, RRType.SRV) or (
            r.rtype == RRType.PTR and str(r.name).endswith(".arpa")
        )
        expected = 120 if host_record else 4500
        if r.ttl != expected:
            wrong.append(f"{r.name} type {r.rtype}: TTL {r.ttl}, expected {expected}")
    if not s.records:
        s.record("R11", Outcome.SKIP, "no records seen")
    elif wrong:
        s.record("R11", Outcome.FAIL, "\n".join(sorted(set(wrong))))
    else:
        s.record("R11", Outcome.PASS)


def check_known_answers(s: Session) -> None:
    """R4 (§7.1 known answer with full TTL suppresses), R23 (TTL lowered step by step)."""
    ptr = s.ptr()
    if ptr is None or s.service_type is None:
        for id in ("R4", "R23"):
            s.record(id, Outcome.SKIP, "the service's PTR was not seen")
        return
    name = s.service_type
    question = Question(name, RRType.PTR)
    half = ptr.ttl // 2
    steps = [(ptr.ttl, False), (half + 1, False), (max(half - 1, 0), True)]
    for i, (ttl, answered_expected) in enumerate(steps):
        if i:
            # A responder may hold a suppression for a moment after a known
            # answer; each step is a fresh query a second later.
            time.sleep(1.0)
        s.wait_quiet((name, RRType.PTR))
        known = Record(ptr.name, ptr.rtype, ptr.rclass, ttl, ptr.rdata)
        sent = s.query([question], [known])
        answer = s.wait_answer(name, RRType.PTR, sent, 0.5)
        check = "R4" if ttl == ptr.ttl else "R23"
        if i == 1 and s.report.tests["R4"].result is Outcome.FAIL:
            # Known answers ignored altogether: one defect, reported by R4.
            s.report.not_judged("R23", "R4", "known answers are ignored")
            return
        if answered_expected and answer is None:
            s.record(
                check,
                Outcome.FAIL,
                f"known answer with TTL {ttl} (< half of {ptr.ttl}) suppressed the answer",
            )
        elif not answered_expected and answer is not None:
            s.record(
                check,
                Outcome.FAIL,
                f"answered although the query listed the PTR with "
                f"TTL {ttl} of {ptr.ttl}:\n" + s.show([answer], sent),
            )
        else:
            s.record(check, Outcome.PASS)


def check_truncated(s: Session) -> None:
    """R5: after a TC query the answer waits 400-500 ms (§7.2); known answers in the
    follow-up packet still suppress (§7.2, BCT II.10)."""
    ptr = s.ptr()
    if ptr is None or s.service_type is None:
        s.record("R5", Outcome.SKIP, "the service's PTR was not seen")
        return
    name = s.service_type
    s.wait_quiet((name, RRType.PTR))
    sent = s.query([Question(name, RRType.PTR)], flags=int(Flag.TC))
    answer = s.wait_answer(name, RRType.PTR, sent, LISTEN)
    if answer is None:
        s.record("R5", Outcome.FAIL, "a TC query was never answered")
    elif not TC_MIN <= answer.time - sent <= TC_MAX:
        s.record(
            "R5",
            Outcome.FAIL,
            f"answered {1000 * (answer.time - sent):.0f} ms after a TC query (400-500 ms expected)",
        )
    else:
        s.record("R5", Outcome.PASS, f"{1000 * (answer.time - sent):.0f} ms")
    s.wait_quiet((name, RRType.PTR))
    sent = s.query([Question(name, RRType.PTR)], flags=int(Flag.TC))
    time.sleep(0.1)
    s.query([], [ptr])
    answer = s.wait_answer(name, RRType.PTR, sent, LISTEN)
    if answer is not None:
        s.record(
            "R23",
            Outcome.FAIL,
            "known answer in the TC follow-up packet ignored:\n" + s.show([answer], sent),
        )


def check_duplicate_answers(s: Session) -> None:
    """R6: another responder's copy of a shared answer, seen first, suppresses ours (§7.4)."""
    ptr = s.ptr()
    if ptr is None or s.service_type is None:
        s.record("R6", Outcome.SKIP, "the service's PTR was not seen")
        return
    s.wait_quiet((s.service_type, RRType.PTR))
    sent = s.query([Question(s.service_type, RRType.PTR)])
    s.respond([Record(ptr.name, ptr.rtype, ptr.rclass, ptr.ttl, ptr.rdata)])
    answer = s.wait_answer(s.service_type, RRType.PTR, sent, 0.5)
    if answer is None:
        s.record("R6", Outcome.PASS)
    else:
        s.record(
            "R6",
            Outcome.FAIL,
            "answered although another responder just sent the "
            "same shared record:\n" + s.show([answer], sent),
        )


def check_aggregation(s: Session) -> None:
    """R17: two shared queries back to back answered in one packet (§6.4)."""
    if s.service_type is None or s.ptr() is None:
        s.record("R17", Outcome.SKIP, "the service's PTR was not seen")
        return
    pairs = ((s.service_type, RRType.PTR), (Name("_services._dns-sd._udp.local"), RRType.PTR))
    s.wait_quiet(*pairs)
    sent = s.query([Question(*pairs[0])])
    time.sleep(0.01)
    s.query([Question(*pairs[1])])
    time.sleep(0.5)
    packets = [p for p in s.target_packets(sent) if p.multicast and p.message]
    s.learn(packets)
    together = [p for p in packets if all(s.answer_of(p, n, t) for n, t in pairs)]
    if together:
        s.record("R17", Outcome.PASS)
    else:
        s.record(
            "R17",
            Outcome.FAIL,
            "the two PTR answers came in separate packets (or not "
            "at all):\n" + s.show(packets, sent),
        )


def check_any(s: Session) -> None:
    """R19: ANY for the instance returns SRV and TXT in Answers (§6.5)."""
    if s.service is None:
        s.record("R19", Outcome.SKIP, "no --service given")
        return
    s.wait_quiet((s.service, RRType.SRV), (s.service, RRType.TXT))
    sent = s.query([Question(s.service, RRType.ANY)])
    answer = s.wait_answer(s.service, RRType.ANY, sent, LISTEN)
    types: set[int] = set()
    if answer is not None:
        # A responder may split the answer over packets sent together.
        time.sleep(0.15)
        for p in s.target_packets(answer.time, answer.time + 0.15):
            if p.message is not None and p.multicast and p.family == answer.family:
                types |= {r.rtype for r in p.message.answers if r.name == s.service}
    if {RRType.SRV, RRType.TXT} <= types:
        s.record("R19", Outcome.PASS)
    else:
        s.record("R19", Outcome.FAIL, f"ANY answered with types {sorted(types)}")


def check_nsec(s: Session) -> None:
    """R9: a query for a type the owned name lacks gets an NSEC (§6.1)."""
    name = s.service or s.host_name
    if name is None:
        s.record("R9", Outcome.SKIP, "no name known")
        return
    missing_type = RRType.A if name == s.service else 99  # SPF: nobody publishes it
    sent = s.query([Question(name, missing_type)])

    def denial(p: Captured) -> bool:
        if p.message is None or not s.from_target(p) or not p.message.is_response:
            return False
        return any(
            r.name == name and isinstance(r.rdata, NSEC) and missing_type not in r.rdata.types
            for r in p.message.records
        )

    found = s.wire.wait_for(denial, sent, LISTEN)
    if found is None:
        s.record("R9", Outcome.FAIL, f"no NSEC for {name} type {missing_type} within {LISTEN}s")
    else:
        s.record("R9", Outcome.PASS)


def check_legacy(s: Session) -> None:
    """R8: a query from a port other than 5353 gets a unicast reply (§6.7)."""
    name, rtype = (s.service, RRType.SRV) if s.service else (s.host_name, RRType.A)
    if name is None or s.wire.legacy is None:
        s.record("R8", Outcome.SKIP, "no name known or no IPv4")
        return
    qid = 0x4C57
    question = Question(name, rtype)
    sent = s.query([question], id=qid, legacy=True)
    reply = s.wire.wait_for(lambda p: p.legacy and s.from_target(p), sent, LISTEN)
    if reply is None or reply.message is None:
        s.record(
            "R8",
            Outcome.FAIL,
            f"no unicast reply to a legacy query (source port {s.wire.legacy_port})",
        )
        return
    m = reply.message
    problems = []
    if m.id != qid:
        problems.append(f"ID {m.id} (query had {qid})")
    if question not in m.questions:
        problems.append("question not echoed")
    if any(r.ttl > 10 for r in m.records if r.rtype != RRType.OPT):
        problems.append(
            "TTL above 10 s: "
            + ", ".join(f"{r.name} {r.rtype} ttl={r.ttl}" for r in m.records if r.ttl > 10)
        )
    if any(r.cache_flush for r in m.records):
        problems.append("cache-flush bit set")
    if not any(r.name == name and r.rtype == rtype for r in m.answers):
        problems.append("no answer")
    if problems:
        s.record("R8", Outcome.FAIL, "; ".join(problems) + "\n" + s.show([reply], sent))
    else:
        s.record("R8", Outcome.PASS)


def check_opcode(s: Session) -> None:
    """R20 (receiving half): queries with a non-zero opcode or rcode are ignored (§18.3, §18.11)."""
    if s.service is None and s.host_name is None:
        return
    name, rtype = (s.service, RRType.SRV) if s.service else (s.host_name, RRType.A)
    assert name is not None
    for flags, what in ((1 << 11, "opcode 1"), (3, "rcode 3")):
        s.wait_quiet((name, rtype))
        sent = s.query([Question(name, rtype)], flags=flags)
        answer = s.wait_answer(name, rtype, sent, 0.4, multicast=None)
        if answer is not None:
            s.record(
                "R20", Outcome.FAIL, f"answered a query with {what}:\n" + s.show([answer], sent)
            )


def check_ip_ttl_query(s: Session) -> None:
    """R14: a query sent with IP TTL (IPv6 hop limit) 64 is still answered (§11
    receivers do not check it)."""
    name, rtype = (s.service, RRType.TXT) if s.service else (s.host_name, RRType.A)
    if name is None:
        s.record("R14", Outcome.SKIP, "no name known")
        return
    s.wait_quiet((name, rtype))
    sent = s.query([Question(name, rtype)], ttl=64)
    answer = s.wait_answer(name, rtype, sent, LISTEN)
    s.record(
        "R14",
        Outcome.PASS if answer else Outcome.FAIL,
        "" if answer else f"a query with IP{s.wire.family} TTL 64 was ignored",
    )


def check_headers(s: Session) -> None:
    """R20, R21, R22, R12 over every packet the target sent during the run."""
    packets = [p for p in s.target_packets(s.started) if p.message is not None]
    responses = [p for p in packets if p.message and p.message.is_response]
    bad_header = []
    id_nonzero = []
    for p in responses:
        m = p.message
        assert m is not None
        if not p.multicast:
            continue
        if not m.authoritative or m.questions or m.is_truncated or m.opcode or m.rcode:
            bad_header.append(p)
        elif m.id != 0:
            id_nonzero.append(p)
    if bad_header:
        s.record(
            "R20",
            Outcome.FAIL,
            "multicast responses with AA clear, questions, TC, or "
            "opcode/rcode set:\n" + s.show(bad_header, s.started),
        )
    elif id_nonzero:
        s.record("R20", Outcome.WARN, "multicast responses with a non-zero ID (§18.1 SHOULD)")
    elif responses:
        s.record("R20", Outcome.PASS)
    dup = []
    bad_names = []
    for p in packets:
        m = p.message
        assert m is not None
        seen = [
            (r.key, section)
            for section, rs in (("a", m.answers), ("n", m.authorities), ("d", m.additionals))
            for r in rs
        ]
        keys = [k for k, _ in seen]
        if len(set(keys)) != len(keys):
            dup.append(p)
        for r in m.records:
            if r.rtype in (RRType.A, RRType.AAAA) and not _host_name_ok(r.name):
                bad_names.append(str(r.name))
    if dup or bad_names:
        s.record(
            "R21",
            Outcome.FAIL,
            (("duplicate records:\n" + s.show(dup, s.started)) if dup else "")
            + (f"\nillegal host names: {sorted(set(bad_names))}" if bad_names else ""),
        )
    elif packets:
        s.record("R21", Outcome.PASS)
    wrong_ttl = [
        p
        for p in packets
        if not p.legacy and p.source_port == 5353 and p.ttl is not None and p.ttl != 255
    ]
    if wrong_ttl:
        s.record(
            "R22",
            Outcome.FAIL,
            "IP TTL / hop limit other than 255:\n" + s.show(wrong_ttl, s.started),
        )
    elif packets:
        s.record("R22", Outcome.PASS)
    off_link = []
    for r in s.records.values():
        if r.rtype in (RRType.A, RRType.AAAA) and r.name == s.host_name:
            address = ip_address(str(r.rdata.address))  # type: ignore[attr-defined]
            if not address.is_link_local and not any(address in net for net in s.tester_networks):
                off_link.append(str(address))
    if off_link:
        s.record("R12", Outcome.FAIL, f"addresses not on this link: {sorted(set(off_link))}")
    elif s.records:
        s.record("R12", Outcome.PASS)


def _host_name_ok(name: Name) -> bool:
    for label in name.labels[:-1]:
        if not label or label.startswith("-") or label.endswith("-"):
            return False
        if not all(c.isascii() and (c.isalnum() or c == "-") for c in label):
            return False
    return True


def run_answering(s: Session) -> None:
    """The answering checks that need no restart, in an order that shares waits."""
    check_unique_and_rate_limit(s)
    check_shared(s)
    check_srv_target(s)
    check_legacy(s)
    check_nsec(s)
    check_any(s)
    check_known_answers(s)
    check_duplicate_answers(s)
    check_truncated(s)
    check_aggregation(s)
    check_opcode(s)
    check_ip_ttl_query(s)
