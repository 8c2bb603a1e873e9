"""A querier-only engine (``Engine(host_name=None)``): asks, caches, publishes nothing of its own.

Module-level ``lanwise.browse/resolve/resolve_host`` and the browse/resolve/lookup
commands run this way, so a one-off question does not probe (RFC 6762 §8.1),
announce (§8.3) or defend a host name. Fake clock throughout.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface

import pytest

from lanwise.dns import Flag, Message, Name, Question, RRType, build_message, parse_message
from lanwise.dnssd import open_responder
from lanwise.errors import UsageError
from lanwise.mdns.endpoints import MDNS_PORT, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.registration import ServiceRecords

PEER = EngineEndpoint(IPv4Address("192.168.1.99"), MDNS_PORT)


def querier_only() -> Engine:
    e = Engine(host_name=None, rng=random.Random(2))
    e.add_interface(2, [IPv4Interface("192.168.1.10/24")], 0.0)
    return e


def run(e: Engine, until: float) -> list[Message]:
    sent = [parse_message(d.data) for d in e.datagrams_to_send(0.0)]
    while (timer := e.get_timer()) is not None and timer <= until:
        e.handle_timer(timer)
        sent.extend(parse_message(d.data) for d in e.datagrams_to_send(timer))
    return sent


def test_no_probe_or_announcement_goes_out() -> None:
    """§8.1/§8.3 do not apply: there is no host name, so an idle querier-only engine is silent."""
    e = querier_only()
    assert run(e, 10.0) == []
    assert e.host_name is None and e.querier_only
    assert not e.host.established


def test_it_queries_and_caches_answers() -> None:
    """§5.2: queries go out as usual (first one 20-120 ms after the start)."""
    e = querier_only()
    host = Name("kitchen.local")
    e.start_query(host, RRType.A, 0.0)
    sent = run(e, 0.2)
    assert [m.questions[0].name for m in sent] == [host]
    assert not any(m.is_response for m in sent)


def test_it_answers_nothing_not_even_reverse_lookups() -> None:
    """No records of its own: a peer's questions about addresses or types get no response."""
    e = querier_only()
    run(e, 5.0)
    questions = (
        Question(Name("10.1.168.192.in-addr.arpa"), RRType.PTR),
        Question(Name("_services._dns-sd._udp.local"), RRType.PTR),
        Question(Name("querier-only.invalid"), RRType.ANY),
    )
    e.receive(build_message(Message(questions=questions)), PEER, 2, 5.0)
    later = run(e, 7.0)
    assert [m for m in later if m.flags & Flag.QR] == []


def test_services_must_name_their_own_host() -> None:
    """An SRV needs a target: with no host name of its own the engine refuses host=None."""
    e = querier_only()
    with pytest.raises(UsageError) as info:
        e.register(ServiceRecords("Kitchen", "_http._tcp", 80), 0.0)
    assert info.value.field == "service.host"
    registration = e.register(ServiceRecords("Kitchen", "_http._tcp", 80, host="nas"), 0.0)
    assert registration.active


async def test_open_responder_rejects_a_host_name_with_querier_only() -> None:
    with pytest.raises(UsageError) as info:
        async with open_responder(querier_only=True, host_name="x"):
            pass
    assert info.value.field == "host_name"
