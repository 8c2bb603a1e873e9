"""What the responder remembers between queries never outlives what it answers with.

The answer queue keeps answer plans per question, legacy replies (§6.7) and
packings of answer groups (docs/compiled.md); these tests change what is
published between two identical queries and check that the second answer
follows, on whichever path (compiled or pure) the run imports.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface

from lanwise.dns import PTR, TXT, A, Flag, RRType, parse_message
from lanwise.mdns.endpoints import Datagram, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.registration import ServiceRecords

from .fakelink import INDEX
from .test_answering import INSTANCE, PEER, TYPE, announced, answers_of, q, query, step

LEGACY = EngineEndpoint(IPv4Address("192.168.1.99"), 40000)
OTHER_LEGACY = EngineEndpoint(IPv4Address("192.168.1.98"), 40001)


def test_legacy_replies_carry_each_resolvers_id_section_6_7() -> None:
    """§6.7: the same question from two resolvers: each reply echoes its own query ID."""
    e, now = announced()
    e.receive(query(q(INSTANCE, RRType.SRV), id=4242), LEGACY, INDEX, now)
    e.receive(query(q(INSTANCE, RRType.SRV), id=77, flags=int(Flag.RD)), OTHER_LEGACY, INDEX, now)
    first, second = e.datagrams_to_send(now)
    a, b = parse_message(first.data), parse_message(second.data)
    assert (first.destination, a.id, a.flags & Flag.RD) == (LEGACY, 4242, 0)
    assert (second.destination, b.id, b.flags & Flag.RD) == (OTHER_LEGACY, 77, Flag.RD)
    assert a.answers == b.answers and a.additionals == b.additionals


def test_legacy_reply_follows_a_new_address_section_6_7() -> None:
    """§6.7: after the interface's address changes, the same legacy SRV query (the same
    SRV record) gets the new address as its additional record."""
    e, now = announced()
    e.receive(query(q(INSTANCE, RRType.SRV), id=1), LEGACY, INDEX, now)
    [before] = e.datagrams_to_send(now)
    e.update_interface(INDEX, [IPv4Interface("192.168.1.11/24")], now)
    step(e, now, now + 10.0)
    now += 10.0
    e.receive(query(q(INSTANCE, RRType.SRV), id=1), LEGACY, INDEX, now)
    [after] = e.datagrams_to_send(now)
    assert parse_message(before.data).answers == parse_message(after.data).answers
    assert _addresses(before) == ["192.168.1.10"] and _addresses(after) == ["192.168.1.11"]


def _addresses(datagram: Datagram) -> list[str]:
    additionals = parse_message(datagram.data).additionals
    return [str(r.rdata.address) for r in additionals if isinstance(r.rdata, A)]


def test_browse_answer_follows_a_new_service_section_6() -> None:
    """§6: a browse answered, a service added, the same browse: the new PTR is in it."""
    e, now = announced(services=2)
    e.receive(query(q(TYPE, RRType.PTR)), PEER, INDEX, now)
    first = answers_of(step(e, now, now + 1.0))
    assert len(first) == 2
    e.register(ServiceRecords("Printer 9", "_ipp._tcp", 631, (b"txtvers=1",)), now)
    step(e, now, now + 10.0)
    now += 10.0
    e.receive(query(q(TYPE, RRType.PTR)), PEER, INDEX, now)
    second = answers_of(step(e, now, now + 1.0))
    assert len(second) == 3
    targets = [
        {str(r.rdata.target) for r in sent if isinstance(r.rdata, PTR)} for sent in (first, second)
    ]
    assert targets[1] - targets[0] == {"Printer 9._ipp._tcp.local"}


def test_known_answer_changes_the_additionals_sent_section_7_1() -> None:
    """§7.1 with RFC 6763 §12: an additional record the querier holds is left out, and
    the same query without it gets it again (the remembered packing is not reused)."""
    e, now = announced()
    e.receive(query(q(TYPE, RRType.PTR)), PEER, INDEX, now)
    full = [d for _, d in step(e, now, now + 1.0)]
    txt = [r for r in parse_message(full[0].data).additionals if isinstance(r.rdata, TXT)]
    assert len(txt) == 1
    now += 2.0
    e.receive(query(q(TYPE, RRType.PTR), known=tuple(txt)), PEER, INDEX, now)
    without = [d for _, d in step(e, now, now + 1.0)]
    assert [r for r in parse_message(without[0].data).additionals if r.rtype == RRType.TXT] == []
    now += 2.0
    e.receive(query(q(TYPE, RRType.PTR)), PEER, INDEX, now)
    again = [d for _, d in step(e, now, now + 1.0)]
    assert [d.data for d in again] == [d.data for d in full]


def test_answers_follow_a_new_address_section_8_4() -> None:
    """§8.4: the interface's address changes; the SRV's additional A record follows."""
    e, now = announced()
    e.receive(query(q(INSTANCE, RRType.SRV)), PEER, INDEX, now)
    [before] = e.datagrams_to_send(now)
    e.update_interface(INDEX, [IPv4Interface("192.168.1.11/24")], now)
    step(e, now, now + 10.0)
    now += 10.0
    e.receive(query(q(INSTANCE, RRType.SRV)), PEER, INDEX, now)
    [after] = e.datagrams_to_send(now)
    assert _addresses(before) == ["192.168.1.10"] and _addresses(after) == ["192.168.1.11"]


def test_legacy_replies_on_two_interfaces_carry_each_ones_address_section_15() -> None:
    """§6.7 with §15: the same legacy SRV query (the same SRV record) on two interfaces:
    each reply's additional A record is that interface's own address."""
    e = Engine(host_name="alpha", rng=random.Random(0))
    e.add_interface(2, [IPv4Interface("192.168.1.10/24")], 0.0)
    e.add_interface(3, [IPv4Interface("10.0.0.10/8")], 0.0)
    e.register(ServiceRecords("Printer", "_ipp._tcp", 631, (b"txtvers=1",)), 0.0)
    step(e, 0.0, 10.0)
    now = 20.0
    replies = []
    for index, address in ((2, "192.168.1.99"), (3, "10.0.0.99"), (2, "192.168.1.99")):
        resolver = EngineEndpoint(IPv4Address(address), 40000)
        e.receive(query(q(INSTANCE, RRType.SRV), id=9), resolver, index, now)
        [reply] = e.datagrams_to_send(now)
        replies.append(_addresses(reply))
    assert replies == [["192.168.1.10"], ["10.0.0.10"], ["192.168.1.10"]]
