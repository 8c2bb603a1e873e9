"""Several registrations publishing the identical record answer it once (RFC 6763 §9, RFC 6762 §6).

Every service of a type publishes the same ``_services._dns-sd._udp`` PTR to
the type. A query for it must get that record once per response, by
multicast, by unicast (§5.4 QU) and to a legacy resolver (§6.7) alike.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface

from lanwise.dns import PTR, Message, Name, Question, RRType, build_message, parse_message
from lanwise.mdns.endpoints import EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.registration import ServiceRecords

INDEX = 2
SERVICES = Name("_services._dns-sd._udp.local")
TYPE = Name("_ipp._tcp.local")
PEER = EngineEndpoint(IPv4Address("192.168.1.20"), 5353)
LEGACY = EngineEndpoint(IPv4Address("192.168.1.20"), 40000)


def _engine() -> tuple[Engine, float]:
    engine = Engine(host_name="printers", rng=random.Random(4))
    engine.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    for i in range(5):
        engine.register(ServiceRecords(f"Printer {i}", "_ipp._tcp", 631 + i), 0.0)
    now = 0.0
    while (timer := engine.get_timer()) is not None and timer <= 10.0:
        now = timer
        engine.handle_timer(now)
        engine.datagrams_to_send(now)
    return engine, 20.0


def _type_ptrs(engine: Engine, now: float) -> list[int]:
    """For each datagram sent until ``now`` + 1 s: how many answers are the type PTR."""
    counts = []
    out = engine.datagrams_to_send(now)
    while (timer := engine.get_timer()) is not None and timer <= now + 1.0:
        engine.handle_timer(timer)
        out += engine.datagrams_to_send(timer)
    for datagram in out:
        message = parse_message(datagram.data)
        counts.append(
            sum(1 for r in message.answers if r.name == SERVICES and r.rdata == PTR(TYPE))
        )
    return counts


def test_the_shared_services_ptr_of_five_services_is_multicast_once() -> None:
    engine, now = _engine()
    query = build_message(Message(questions=(Question(SERVICES, RRType.PTR),)))
    engine.receive(query, PEER, INDEX, now)
    assert _type_ptrs(engine, now) == [1]


def test_the_shared_services_ptr_is_unicast_once_to_a_qu_question() -> None:
    """§5.4: a QU question gets a unicast reply when the record was multicast lately."""
    engine, now = _engine()
    query = build_message(
        Message(questions=(Question(SERVICES, RRType.PTR, unicast_response=True),))
    )
    engine.receive(query, PEER, INDEX, now)
    assert _type_ptrs(engine, now) == [1]


def test_the_shared_services_ptr_is_sent_once_to_a_legacy_resolver() -> None:
    """§6.7: one unicast reply, the record once."""
    engine, now = _engine()
    query = build_message(Message(id=7, questions=(Question(SERVICES, RRType.PTR),)))
    engine.receive(query, LEGACY, INDEX, now)
    assert _type_ptrs(engine, now) == [1]
