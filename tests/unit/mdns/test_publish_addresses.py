"""``Engine(publish_addresses=False)``: services only, the host's addresses left to avahi.

Beside avahi-daemon on one host, both stacks publishing the host name's A/AAAA and
reverse PTRs fight over them (RFC 6762 §9 conflicts on the reverse names, §8.1
probes for the same host name), so one of them renames for ever. With the option
off, lanwise publishes no address records; SRV records still name the host, whose
addresses the other responder answers for.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface, IPv6Interface

import pytest

from lanwise.dns import (
    SRV,
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
from lanwise.mdns.events import Event, RegistrationConflict, RegistrationEstablished
from lanwise.mdns.registration import ServiceRecords

INDEX = 2
PEER = EngineEndpoint(IPv4Address("192.168.1.99"), MDNS_PORT)
ADDRESSES = (IPv4Interface("192.168.1.10/24"), IPv6Interface("fe80::10/64"))
HOST = Name("box.local")
SERVICE_TYPE = Name("_ipp._tcp.local")
_ADDRESS_TYPES = {int(RRType.A), int(RRType.AAAA)}


def run(engine: Engine, until: float, sent: list[Message], now: float = 0.0) -> float:
    """Fire every timer up to ``until``; collect every message sent."""
    while (timer := engine.get_timer()) is not None and timer <= until:
        now = max(now, timer)
        engine.handle_timer(now)
        sent.extend(parse_message(d.data) for d in engine.datagrams_to_send(now))
    return until


def events(engine: Engine) -> list[Event]:
    out = []
    while (event := engine.next_event()) is not None:
        out.append(event)
    return out


def address_or_reverse(record: Record) -> bool:
    name = str(record.name).lower()
    return (
        record.rtype in _ADDRESS_TYPES
        or name.endswith(".in-addr.arpa")
        or name.endswith(".ip6.arpa")
        or (record.rtype == RRType.NSEC and record.name == HOST)
    )


def started(publish_addresses: bool) -> tuple[Engine, list[Message], list[Event]]:
    engine = Engine(host_name="box", rng=random.Random(3), publish_addresses=publish_addresses)
    engine.add_interface(INDEX, ADDRESSES, 0.0)
    engine.register(ServiceRecords("Printer", "_ipp._tcp", 631), 0.0)
    sent: list[Message] = []
    run(engine, 10.0, sent)
    return engine, sent, events(engine)


@pytest.mark.parametrize("publish_addresses", [True, False])
def test_probes_and_announcements_carry_addresses_only_when_published(
    publish_addresses: bool,
) -> None:
    """§8.1/§8.3: without address publishing no probe asks for the host name and no
    announcement carries A/AAAA or reverse PTRs; the service is established either way."""
    engine, sent, happened = started(publish_addresses)
    records = [r for m in sent for r in m.records]
    probed = {q.name for m in sent for q in m.questions}
    assert any(address_or_reverse(r) for r in records) is publish_addresses
    assert (HOST in probed) is publish_addresses
    srv = [r.rdata for r in records if isinstance(r.rdata, SRV)]
    assert srv and all(s.target == HOST for s in srv)  # SRV still names the host
    established = [e for e in happened if isinstance(e, RegistrationEstablished)]
    assert any(e.registration is not engine.host for e in established)
    assert any(e.registration is engine.host for e in established) is publish_addresses
    assert engine.host.established is publish_addresses


def test_answers_carry_no_address_records_and_host_queries_go_unanswered() -> None:
    """§6, RFC 6763 §12: a browse gets PTR + SRV/TXT additionals but no addresses (and no
    §6.1 NSEC for the host name); a query for the host's A record gets nothing from us."""
    engine, sent, _ = started(False)
    sent.clear()
    query = Message(
        questions=(Question(SERVICE_TYPE, RRType.PTR), Question(HOST, RRType.A)),
    )
    engine.receive(build_message(query), PEER, INDEX, 20.0)
    run(engine, 21.0, sent, 20.0)
    assert len(sent) == 1
    answer = sent[0]
    assert [r.rtype for r in answer.answers] == [RRType.PTR]
    assert {r.rtype for r in answer.additionals} == {RRType.SRV, RRType.TXT}
    assert not any(address_or_reverse(r) for r in answer.records)


def test_another_responder_owning_the_host_name_is_no_conflict() -> None:
    """§9: avahi's address records for the shared host name are not ours to defend:
    no conflict, no rename; the engine keeps naming the host in its SRV records."""
    engine, sent, _ = started(False)
    theirs = Message(
        flags=int(Flag.QR | Flag.AA),
        answers=(Record.of(HOST, A(IPv4Address("192.168.1.77")), 120, cache_flush=True),),
    )
    engine.receive(build_message(theirs), PEER, INDEX, 20.0)
    run(engine, 30.0, sent, 20.0)
    happened = events(engine)
    assert not [e for e in happened if isinstance(e, RegistrationConflict)]
    assert engine.host_name == HOST
    assert engine.statistics().conflicts == 0


def test_publish_addresses_must_be_a_bool() -> None:
    with pytest.raises(UsageError, match="publish_addresses"):
        Engine(host_name="box", publish_addresses="no")  # type: ignore[arg-type]
