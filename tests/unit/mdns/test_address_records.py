"""Another host's address records (``Engine.register_addresses``), on a fake clock.

An alias such as ``avahi-publish -a nas.local 192.168.1.50`` makes: A/AAAA records
under a unique name, probed (RFC 6762 §8.1) and defended (§9) like any unique name,
given up when another host holds the name (unless asked to rename), and a
reverse-mapping PTR per address, probed too and left to whoever answers for it
already: two responders must never both claim one reverse name.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface, IPv6Address

import pytest

from lanwise.dns import (
    PTR,
    A,
    Flag,
    Message,
    Name,
    Question,
    Record,
    RRType,
    build_message,
    parse_message,
)
from lanwise.errors import UsageError
from lanwise.mdns.endpoints import MDNS_PORT, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.events import (
    Event,
    RegistrationConflict,
    RegistrationEstablished,
    RegistrationFailed,
    RegistrationRemoved,
    RegistrationRenamed,
)
from lanwise.mdns.records_state import RecordState
from lanwise.mdns.registration import AddressRecords

from .fakelink import INDEX, FakeLink

PEER = EngineEndpoint(IPv4Address("192.168.1.99"), MDNS_PORT)
RESPONSE = int(Flag.QR | Flag.AA)
NAS = Name("nas.local")
NAS_V4 = IPv4Address("192.168.1.50")
NAS_V6 = IPv6Address("fe80::50")
REVERSE_V4 = Name("50.1.168.192.in-addr.arpa")
REVERSE_V6 = Name(NAS_V6.reverse_pointer)


def engine(host: str | None = "box") -> Engine:
    e = Engine(host_name=host, rng=random.Random(1))
    e.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    return e


def nas(**kw: object) -> AddressRecords:
    return AddressRecords("nas", (NAS_V4, NAS_V6), **kw)  # type: ignore[arg-type]


def run(e: Engine, until: float, sent: list[tuple[float, Message]], now: float = 0.0) -> None:
    while (timer := e.get_timer()) is not None and timer <= until:
        now = max(now, timer)
        e.handle_timer(now)
        sent.extend((now, parse_message(d.data)) for d in e.datagrams_to_send(now))


def events(e: Engine) -> list[Event]:
    out = []
    while (event := e.next_event()) is not None:
        out.append(event)
    return out


def probes(sent: list[tuple[float, Message]]) -> list[tuple[float, Message]]:
    return [(t, m) for t, m in sent if not m.is_response]


def answer(*records: Record) -> bytes:
    return build_message(Message(flags=RESPONSE, answers=records))


def test_alias_probes_its_name_and_reverse_names_then_announces_section_8_1() -> None:
    """§8.1: after 0-250 ms, three probes 250 ms apart: a QU ANY question for the name
    and for each reverse name, every proposed record in Authority without cache-flush;
    then §8.3 announcements with cache-flush set."""
    e = engine()
    registration = e.register_addresses(nas(), 0.0)
    sent: list[tuple[float, Message]] = []
    run(e, 5.0, sent)
    mine = [(t, m) for t, m in probes(sent) if NAS in {q.name for q in m.questions}]
    assert len(mine) == 3
    times = [t for t, _ in mine]
    assert 0.0 <= times[0] <= 0.25
    assert times[1] - times[0] == pytest.approx(0.25)
    assert times[2] - times[1] == pytest.approx(0.25)
    for _, probe in mine:
        questions = {q.name: q for q in probe.questions}
        assert {NAS, REVERSE_V4, REVERSE_V6} <= questions.keys()
        assert all(questions[n].qtype == RRType.ANY for n in (NAS, REVERSE_V4, REVERSE_V6))
        assert all(questions[n].unicast_response for n in (NAS, REVERSE_V4, REVERSE_V6))
        proposed = {(r.name, r.rtype) for r in probe.authorities if not r.cache_flush}
        assert {
            (NAS, RRType.A),
            (NAS, RRType.AAAA),
            (REVERSE_V4, RRType.PTR),
            (REVERSE_V6, RRType.PTR),
        } <= proposed
    announced = [(t, m) for t, m in sent if m.is_response and any(r.name == NAS for r in m.answers)]
    assert len(announced) == 2
    assert announced[0][0] - times[2] == pytest.approx(0.25)
    records = {(r.name, r.rtype, r.cache_flush) for r in announced[0][1].answers}
    assert (NAS, RRType.A, True) in records and (REVERSE_V4, RRType.PTR, True) in records
    assert registration.state(INDEX) is RecordState.ANNOUNCED
    assert any(
        isinstance(ev, RegistrationEstablished) and ev.registration is registration
        for ev in events(e)
    )


def test_alias_answers_forward_and_reverse_queries_section_6() -> None:
    """§6: a unique answer goes at once: A for the alias, PTR for its reverse name."""
    e = engine()
    e.register_addresses(nas(), 0.0)
    run(e, 5.0, [])
    query = Message(questions=(Question(NAS, RRType.A), Question(REVERSE_V4, RRType.PTR)))
    e.receive(build_message(query), PEER, INDEX, 10.0)
    replies = [parse_message(d.data) for d in e.datagrams_to_send(10.0)]
    answers = [r for m in replies for r in m.answers]
    assert Record.of(NAS, A(NAS_V4), 120, cache_flush=True).key in {r.key for r in answers}
    ptrs = [r.rdata for r in answers if r.name == REVERSE_V4]
    assert ptrs == [PTR(NAS)]


def test_alias_held_by_another_host_is_given_up_section_9() -> None:
    """§8.1, §9: a response holding the name during probing: by default the alias is
    refused (conflict, failed, removed), never renamed, and nothing is announced."""
    e = engine()
    registration = e.register_addresses(nas(), 0.0)
    sent: list[tuple[float, Message]] = []
    run(e, 0.26, sent)  # the first probe is out
    assert probes(sent)
    e.receive(
        answer(Record.of(NAS, A(IPv4Address("192.168.1.77")), 120, cache_flush=True)),
        PEER,
        INDEX,
        0.3,
    )
    happened = events(e)
    kinds = [type(ev) for ev in happened if getattr(ev, "registration", None) is registration]
    assert kinds[-3:] == [RegistrationConflict, RegistrationFailed, RegistrationRemoved]
    assert not registration.active
    sent.clear()
    run(e, 10.0, sent, 0.3)
    assert not any(r.name == NAS for _, m in sent for r in m.records)
    assert not any(q.name == NAS for _, m in sent for q in m.questions)


def test_alias_with_rename_takes_the_next_name_section_9() -> None:
    """§9: with ``rename`` the alias becomes ``nas-2``; its reverse PTRs follow it."""
    e = engine()
    registration = e.register_addresses(nas(rename=True), 0.0)
    run(e, 0.26, [])
    e.receive(
        answer(Record.of(NAS, A(IPv4Address("192.168.1.77")), 120, cache_flush=True)),
        PEER,
        INDEX,
        0.3,
    )
    sent: list[tuple[float, Message]] = []
    run(e, 10.0, sent, 0.3)
    renamed = [ev for ev in events(e) if isinstance(ev, RegistrationRenamed)]
    assert [(ev.old_name, ev.new_name) for ev in renamed] == [(NAS, Name("nas-2.local"))]
    assert registration.name == Name("nas-2.local")
    assert registration.addresses is not None and registration.addresses.host == "nas-2"
    announced = [r for _, m in sent if m.is_response for r in m.answers]
    assert Record.of(REVERSE_V4, PTR(Name("nas-2.local")), 120, cache_flush=True).key in {
        r.key for r in announced
    }
    assert registration.state(INDEX) is RecordState.ANNOUNCED


def test_reverse_name_answered_by_its_host_is_left_to_it_section_9() -> None:
    """§8.1, §9: the address's own host answers a probe for its reverse name: that PTR is
    dropped (reported as "reverse-name-held"); the alias keeps its name and the other
    reverse name, and what follows never claims the held one."""
    e = engine()
    registration = e.register_addresses(nas(), 0.0)
    run(e, 0.26, [])
    theirs = Record.of(REVERSE_V4, PTR(Name("printer.local")), 120, cache_flush=True)
    e.receive(answer(theirs), PEER, INDEX, 0.3)
    sent: list[tuple[float, Message]] = []
    run(e, 10.0, sent, 0.3)
    held = [ev for ev in events(e) if isinstance(ev, RegistrationConflict)]
    assert [(ev.name, ev.reason) for ev in held] == [(REVERSE_V4, "reverse-name-held")]
    assert registration.name == NAS and registration.state(INDEX) is RecordState.ANNOUNCED
    assert registration.addresses is not None
    assert registration.addresses.reverse_names == (REVERSE_V6,)
    names = {r.name for _, m in sent for r in m.records} | {
        q.name for _, m in sent for q in m.questions
    }
    assert REVERSE_V4 not in names
    assert {NAS, REVERSE_V6} <= names


def test_reverse_name_claimed_after_announcing_gets_a_goodbye_section_9_and_10_1() -> None:
    """§9 after announcing: the address's host announces its reverse name (it came back):
    our PTR there is withdrawn with a goodbye (TTL 0, §10.1), the rest stays."""
    e = engine()
    registration = e.register_addresses(nas(), 0.0)
    run(e, 5.0, [])
    theirs = Record.of(REVERSE_V4, PTR(Name("printer.local")), 120, cache_flush=True)
    e.receive(answer(theirs), PEER, INDEX, 10.0)
    # The driver reads out what to send after every call (the goodbye goes at once).
    sent = [(10.0, parse_message(d.data)) for d in e.datagrams_to_send(10.0)]
    run(e, 20.0, sent, 10.0)
    goodbyes = [r for _, m in sent for r in m.answers if r.ttl == 0]
    assert [(r.name, r.rdata) for r in goodbyes] == [(REVERSE_V4, PTR(NAS))]
    assert registration.state(INDEX) is RecordState.ANNOUNCED
    assert e.statistics().renames == 0


def test_two_engines_never_both_claim_a_reverse_name_section_9() -> None:
    """Between two real engines: an alias for the other host's address leaves that host's
    reverse name alone, and that host sees no conflict (it neither renames nor re-probes)."""
    link = FakeLink()
    alpha = link.add("alpha", "192.168.1.10/24", seed=1)
    beta = link.add("beta", "192.168.1.20/24", seed=2)
    link.run(3.0)  # both host names settled
    alias = alpha.engine.register_addresses(
        AddressRecords("files", (IPv4Address("192.168.1.20"),)), link.now
    )
    link.run(10.0)
    held = Name("20.1.168.192.in-addr.arpa")
    assert alias.state(INDEX) is RecordState.ANNOUNCED
    assert alias.addresses is not None and alias.addresses.reverse_names == ()
    claimed = [r for s in link.sent_by(alpha) for r in s.message.answers if r.name == held]
    assert claimed == []
    assert beta.engine.statistics().conflicts == 0
    assert beta.engine.host_name == Name("beta.local")
    assert not [e for e in beta.events if isinstance(e, RegistrationRenamed)]


def test_reverse_name_of_our_own_address_stays_the_hosts() -> None:
    """An alias for one of this host's own addresses: the host's reverse PTR is kept and
    the alias claims no second one (not even in its probes)."""
    e = engine()
    registration = e.register_addresses(AddressRecords("www", (IPv4Address("192.168.1.10"),)), 0.0)
    sent: list[tuple[float, Message]] = []
    run(e, 5.0, sent)
    own = Name("10.1.168.192.in-addr.arpa")
    assert registration.addresses is not None
    assert registration.addresses.dropped == frozenset({own})
    ptrs = {r.rdata for _, m in sent for r in m.records if r.name == own}
    assert ptrs == {PTR(Name("box.local"))}
    assert registration.state(INDEX) is RecordState.ANNOUNCED


def test_local_name_collisions_are_refused() -> None:
    """A name this engine publishes already (its host name, an alias) is a caller error."""
    e = engine()
    with pytest.raises(UsageError, match="host"):
        e.register_addresses(AddressRecords("box", (NAS_V4,)), 0.0)
    e.register_addresses(nas(), 0.0)
    with pytest.raises(UsageError, match="host"):
        e.register_addresses(AddressRecords("NAS.local", (NAS_V4,)), 0.0)


@pytest.mark.parametrize(
    ("field", "records"),
    [
        ("host", lambda: AddressRecords("two labels.x", (NAS_V4,))),
        ("addresses", lambda: AddressRecords("nas", ())),
        ("addresses", lambda: AddressRecords("nas", "192.168.1.1")),  # type: ignore[arg-type]
        ("addresses", lambda: AddressRecords("nas", (IPv4Address("224.0.0.251"),))),
        ("addresses", lambda: AddressRecords("nas", (IPv4Address("0.0.0.0"),))),
        ("reverse", lambda: AddressRecords("nas", (NAS_V4,), reverse=1)),  # type: ignore[arg-type]
    ],
)
def test_bad_address_records_name_their_field(field: str, records: object) -> None:
    with pytest.raises(UsageError, match=field):
        records()  # type: ignore[operator]


def test_without_reverse_no_reverse_name_is_probed_or_published() -> None:
    """``reverse=False`` (avahi-publish -a -R): only the A/AAAA records."""
    e = engine()
    e.register_addresses(nas(reverse=False), 0.0)
    sent: list[tuple[float, Message]] = []
    run(e, 5.0, sent)
    names = {r.name for _, m in sent for r in m.records} | {
        q.name for _, m in sent for q in m.questions
    }
    assert NAS in names and REVERSE_V4 not in names and REVERSE_V6 not in names


def test_unregister_says_goodbye_to_every_record_section_10_1() -> None:
    e = engine()
    registration = e.register_addresses(nas(), 0.0)
    run(e, 5.0, [])
    e.unregister(registration, 10.0)
    sent = [parse_message(d.data) for d in e.datagrams_to_send(10.0)]
    goodbyes = {(r.name, r.rtype) for m in sent for r in m.answers if r.ttl == 0}
    assert goodbyes == {
        (NAS, RRType.A),
        (NAS, RRType.AAAA),
        (REVERSE_V4, RRType.PTR),
        (REVERSE_V6, RRType.PTR),
    }


def test_a_querier_only_engine_publishes_address_records() -> None:
    """No host name of its own is needed to publish another host's records (§8.1)."""
    e = engine(host=None)
    registration = e.register_addresses(nas(), 0.0)
    sent: list[tuple[float, Message]] = []
    run(e, 5.0, sent)
    assert registration.state(INDEX) is RecordState.ANNOUNCED
    assert not any(q.name == Name("box.local") for _, m in sent for q in m.questions)


@pytest.mark.parametrize(("theirs", "we_lose"), [("aaa.local", False), ("zzz.local", True)])
def test_tie_break_on_a_reverse_name_compares_that_names_records_section_8_2(
    theirs: str, we_lose: bool
) -> None:
    """§8.2, §8.2.1: another host probes one of our reverse names at the same time: only
    the records at that name are compared (our PTR → nas.local against theirs), not the
    whole set; the loser waits 1 s and probes again."""
    e = engine()
    registration = e.register_addresses(nas(reverse=True), 0.0)
    sent: list[tuple[float, Message]] = []
    run(e, 0.26, sent)
    first = probes(sent)[0][0]
    probe = Message(
        questions=(Question(REVERSE_V4, RRType.ANY, unicast_response=True),),
        authorities=(Record.of(REVERSE_V4, PTR(Name(theirs)), 120),),
    )
    e.receive(build_message(probe), PEER, INDEX, first + 0.01)
    lost = [
        ev
        for ev in events(e)
        if isinstance(ev, RegistrationConflict) and ev.reason == "tie-break-lost"
    ]
    assert bool(lost) is we_lose
    sent.clear()
    run(e, first + 0.9, sent, first + 0.01)
    # the winner probes on 250 ms apart; the loser is silent for 1 s (§8.2)
    ours = [m for _, m in probes(sent) if NAS in {q.name for q in m.questions}]
    assert bool(ours) is not we_lose
    assert registration.active
