"""``Engine(shares_port=True)``: rules for running beside another mDNS stack on this host.

Two processes bound to port 5353 each receive every multicast packet, but the
kernel hands a unicast packet to one of them only (RFC 6762 §15.1). So while
sharing the port the engine asks no QU questions (§5.4 queries, §8.1 probes),
answers a querier on this host by multicast where it would reply by unicast,
and leaves the addresses' reverse names to the other stack. In ``system`` mode
(``publish_addresses=False``) no address record goes out at all. Fake clock
throughout.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface, IPv6Interface

import pytest

from lanwise.dns import (
    PTR,
    Message,
    Name,
    Question,
    Record,
    RRType,
    build_message,
    parse_message,
)
from lanwise.errors import UsageError
from lanwise.mdns.endpoints import MDNS_IPV4_ENDPOINT, MDNS_PORT, Datagram, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.registration import ServiceRecords

INDEX = 2
OWN = IPv4Address("192.168.1.10")
ADDRESSES = (IPv4Interface(f"{OWN}/24"), IPv6Interface("fe80::10/64"))
PEER = EngineEndpoint(IPv4Address("192.168.1.99"), MDNS_PORT)
LOCAL = EngineEndpoint(OWN, MDNS_PORT)  # another stack on this host asking from our address
HOST = Name("box.local")
SERVICE_TYPE = Name("_ipp._tcp.local")
INSTANCE = Name("Printer._ipp._tcp.local")
_ADDRESS_TYPES = {int(RRType.A), int(RRType.AAAA)}


def run(engine: Engine, until: float, now: float = 0.0) -> list[Datagram]:
    """Fire every timer up to ``until``; return every datagram sent."""
    sent = engine.datagrams_to_send(now)  # a unicast reply leaves at once
    while (timer := engine.get_timer()) is not None and timer <= until:
        now = max(now, timer)
        engine.handle_timer(now)
        sent.extend(engine.datagrams_to_send(now))
    return sent


def messages(sent: list[Datagram]) -> list[Message]:
    return [parse_message(d.data) for d in sent]


def is_reverse(record: Record) -> bool:
    name = str(record.name).lower()
    return name.endswith(".in-addr.arpa") or name.endswith(".ip6.arpa")


def publishing(*, shares_port: bool, publish_addresses: bool = True) -> Engine:
    engine = Engine(
        host_name="box",
        rng=random.Random(5),
        shares_port=shares_port,
        publish_addresses=publish_addresses,
    )
    engine.add_interface(INDEX, ADDRESSES, 0.0)
    engine.register(ServiceRecords("Printer", "_ipp._tcp", 631), 0.0)
    return engine


@pytest.mark.parametrize("shares_port", [False, True])
def test_queries_ask_qu_only_when_the_port_is_ours_alone(shares_port: bool) -> None:
    """§5.4: a new query's first question asks for a unicast reply (QU); §15.1: not
    while another stack shares port 5353, since that stack may get the reply."""
    engine = Engine(host_name=None, rng=random.Random(1), shares_port=shares_port)
    engine.add_interface(INDEX, ADDRESSES, 0.0)
    engine.start_query(SERVICE_TYPE, RRType.PTR, 0.0, unicast_first=True)
    sent = run(engine, 3.5)
    questions = [q for m in messages(sent) for q in m.questions]
    assert len(questions) >= 4  # first query, repeats (§5.2), both families
    assert questions[0].unicast_response is not shares_port
    assert not any(q.unicast_response for q in questions[2:])  # repeats are QM either way
    assert all(d.destination.is_multicast_group for d in sent)  # never a unicast query


@pytest.mark.parametrize("shares_port", [False, True])
def test_probes_are_qm_while_sharing_the_port(shares_port: bool) -> None:
    """§8.1 asks probes to be QU; §15.1: while sharing port 5353 they go QM, so every
    defending responder multicasts its answer and none is lost to the other socket."""
    engine = publishing(shares_port=shares_port)
    sent = messages(run(engine, 0.9))
    probes = [m for m in sent if m.authorities]
    assert len(probes) >= 3  # three probes 250 ms apart (§8.1), IPv4 and IPv6
    probed = {q.name for m in probes for q in m.questions}
    assert {HOST, INSTANCE} <= probed  # own mode still probes its host name
    assert all(q.unicast_response is not shares_port for m in probes for q in m.questions)


@pytest.mark.parametrize("shares_port", [False, True])
def test_reverse_names_are_left_to_the_other_stack(shares_port: bool) -> None:
    """§15.1 with one host, two responders: both claiming the reverse-mapping PTRs of the
    same addresses (unique records, §10.2) makes them conflict for ever. While sharing,
    own mode still publishes the host's A/AAAA but no reverse PTR."""
    engine = publishing(shares_port=shares_port)
    records = [r for m in messages(run(engine, 10.0)) for r in m.records]
    assert any(r.rtype in _ADDRESS_TYPES and r.name == HOST for r in records)
    assert any(is_reverse(r) for r in records) is not shares_port
    assert engine.host.established


def test_system_mode_sends_no_address_record_and_answers_nothing_about_the_host() -> None:
    """System mode (``publish_addresses=False``) beside a shared port: nothing sent over
    10 s of probing and announcing (§8.1, §8.3) carries an A, AAAA or reverse PTR record,
    and questions about the host name or its reverse names get no answer (§6); the
    service itself is probed, announced and answered for."""
    engine = publishing(shares_port=True, publish_addresses=False)
    sent = messages(run(engine, 10.0))
    records = [r for m in sent for r in m.records]
    assert any(r.rtype == RRType.SRV for r in records)
    assert not any(r.rtype in _ADDRESS_TYPES or is_reverse(r) for r in records)
    assert not any(q.name == HOST for m in sent for q in m.questions)  # no host-name probe
    reverse = Name.from_text(OWN.reverse_pointer)
    query = Message(
        questions=(
            Question(HOST, RRType.A),
            Question(HOST, RRType.AAAA),
            Question(HOST, RRType.ANY),
            Question(reverse, RRType.PTR),
        )
    )
    engine.receive(build_message(query), PEER, INDEX, 20.0)
    assert run(engine, 22.0, 20.0) == []
    engine.receive(
        build_message(Message(questions=(Question(SERVICE_TYPE, RRType.PTR),))), PEER, INDEX, 30.0
    )
    answered = messages(run(engine, 31.0, 30.0))
    assert [r.rdata for m in answered for r in m.answers] == [PTR(INSTANCE)]
    assert not any(r.rtype in _ADDRESS_TYPES for m in answered for r in m.records)


def qu_question() -> bytes:
    return build_message(
        Message(questions=(Question(INSTANCE, RRType.SRV, unicast_response=True),))
    )


@pytest.mark.parametrize(
    ("shares_port", "source", "unicast_reply"),
    [
        (False, PEER, True),
        (False, LOCAL, True),
        (True, PEER, True),  # a querier on another host: its socket is its own
        (True, LOCAL, False),  # a querier on this host: the reply might reach us, not it
    ],
)
def test_qu_question_from_this_host_is_answered_by_multicast_while_sharing(
    shares_port: bool, source: EngineEndpoint, unicast_reply: bool
) -> None:
    """§5.4: a QU question for a record multicast within a quarter of its TTL gets a
    unicast reply. §15.1: while sharing port 5353, a unicast reply to this host reaches
    only one of its sockets, so a QU question from this host is answered by multicast."""
    engine = publishing(shares_port=shares_port)
    run(engine, 10.0)  # probed and announced: the SRV was multicast lately
    engine.receive(qu_question(), source, INDEX, 12.0)
    sent = run(engine, 13.0, 12.0)
    assert sent, "the question must be answered one way or the other"
    destinations = {d.destination for d in sent}
    if unicast_reply:
        assert destinations == {source}
    else:
        assert destinations == {MDNS_IPV4_ENDPOINT}
        answers = [r for m in messages(sent) for r in m.answers]
        assert [r.name for r in answers] == [INSTANCE]


def test_qu_probe_from_this_host_is_answered_by_multicast_while_sharing() -> None:
    """§8.1/§9: a QU probe for our name from another stack on this host must see our
    defence; while sharing port 5353 it goes by multicast, even when lately multicast."""
    engine = publishing(shares_port=True)
    run(engine, 10.0)
    probe = Message(
        questions=(Question(INSTANCE, RRType.ANY, unicast_response=True),),
        authorities=(Record.of(INSTANCE, PTR(Name("other.local")), 120),),
    )
    engine.receive(build_message(probe), LOCAL, INDEX, 12.0)
    sent = run(engine, 13.0, 12.0)
    assert sent
    assert {d.destination for d in sent} == {MDNS_IPV4_ENDPOINT}


def test_shares_port_must_be_a_bool() -> None:
    with pytest.raises(UsageError, match="shares_port"):
        Engine(host_name="box", shares_port="yes")  # type: ignore[arg-type]


def test_a_stack_that_starts_sharing_later_turns_qu_off_from_then_on() -> None:
    """§15.1 when avahi starts after us: set_shares_port(True) makes the next new query
    QM and the next probe QM; the reverse PTRs chosen at the start stay as they were."""
    engine = publishing(shares_port=False)
    run(engine, 10.0)
    engine.set_shares_port(True)
    assert engine.shares_port
    engine.start_query(SERVICE_TYPE, RRType.PTR, 10.0, unicast_first=True)
    engine.register(ServiceRecords("Scanner", "_scan._tcp", 80), 10.0)
    sent = messages(run(engine, 10.9, 10.0))
    assert any(q.name == SERVICE_TYPE for m in sent for q in m.questions)
    assert any(m.authorities for m in sent)  # the new service's probes
    assert not any(q.unicast_response for m in sent for q in m.questions)
    records = [r for m in messages(run(engine, 20.0, 10.9)) for r in m.records]
    assert not any(is_reverse(r) and r.ttl == 0 for r in records)  # no reverse goodbye
    engine.set_shares_port(False)
    elsewhere = Name("Elsewhere._ipp._tcp.local")
    engine.start_query(elsewhere, RRType.SRV, 20.0, unicast_first=True)
    sent = messages(run(engine, 20.5, 20.0))
    assert next(q.unicast_response for m in sent for q in m.questions if q.name == elsewhere)


@pytest.mark.parametrize("shares_port", [False, True])
def test_queries_list_known_answers_only_when_the_port_is_ours_alone(shares_port: bool) -> None:
    """§7.1: a query lists the answers already cached; while sharing port 5353 it lists
    none, since avahi-daemon takes a query's known answers as known to its source
    address for 700 ms and then answers no query from that address about them — the
    other stack on this host would hear nothing."""
    engine = Engine(host_name=None, rng=random.Random(1), shares_port=shares_port)
    engine.add_interface(INDEX, ADDRESSES, 0.0)
    engine.start_query(SERVICE_TYPE, RRType.PTR, 0.0)
    run(engine, 0.5)
    answer = Record.of(SERVICE_TYPE, PTR(Name("Peer._ipp._tcp.local")), 4500)
    response = Message(flags=0x8400, answers=(answer,))
    engine.receive(build_message(response), PEER, INDEX, 0.6)
    repeats = [m for m in messages(run(engine, 3.5, 0.6)) if m.questions]
    assert repeats  # the series goes on at 1 s and 2 s (§5.2)
    listed = [r for m in repeats for r in m.answers]
    assert bool(listed) is not shares_port
