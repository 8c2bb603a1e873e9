"""A response split over packets keeps every additional record (RFC 6763 §12; RFC 6762 §17).

Each answer travels with its SRV/TXT/address additionals in one packet when they
fit one together; a group that needs a packet to itself continues its additionals
in the next packet instead of dropping them; no packet exceeds the limit.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface

from lanwise.dns import (
    PTR,
    SRV,
    TXT,
    A,
    Message,
    Name,
    Question,
    Record,
    RRClass,
    RRType,
    build_message,
    parse_message,
)
from lanwise.mdns.endpoints import MDNS_PORT, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.outbox import _pack
from lanwise.mdns.packets import Packer
from lanwise.mdns.registration import ServiceRecords

TYPE = Name("_bench._tcp.local")
HOST = Name("alpha.local")
ADDRESS = Record.of(HOST, A(IPv4Address("192.168.1.10")), 120, cache_flush=True)
LIMIT = 1452  # 1500 − IPv6 header − UDP header (§17)


def service_group(i: int, txt_size: int = 40) -> tuple[Record, list[Record]]:
    instance = Name.from_labels((f"Service number {i}", *TYPE.labels))
    ptr = Record.of(TYPE, PTR(instance), 4500)
    srv = Record.of(instance, SRV(0, 0, 8000 + i, HOST), 120, cache_flush=True)
    txt = Record.of(instance, TXT((b"k=" + b"v" * txt_size,)), 4500, cache_flush=True)
    return ptr, [srv, txt, ADDRESS]


def test_every_answers_additionals_travel_in_its_packet() -> None:
    """RFC 6763 §12: 100 PTR answers split over packets, each with its SRV, TXT and address."""
    groups = [service_group(i) for i in range(100)]
    packets = _pack([((), (ptr,), (), extra) for ptr, extra in groups], LIMIT, 0x8400)
    assert len(packets) > 1
    assert all(len(p) <= LIMIT for p in packets)  # §17
    for data in packets:
        message = parse_message(data)
        extra = {r.key for r in message.additionals}
        for answer in message.answers:
            srv_txt_a = next(e for p, e in groups if p.key == answer.key)
            assert {r.key for r in srv_txt_a} <= extra


def test_a_group_alone_continues_its_additionals_in_the_next_packet() -> None:
    """§17: additionals that cannot fit beside their answer go in the next packet, not away."""
    ptr, extra = service_group(0, txt_size=200)
    big = [
        Record.of(Name(f"extra{i}.local"), TXT((b"x" * 250,)), 4500, cache_flush=True)
        for i in range(3)
    ]
    packets = _pack([((), (ptr,), (), [*extra, *big])], 600, 0x8400)
    assert len(packets) >= 2
    assert all(len(p) <= 600 for p in packets)
    sent = [r.key for p in packets for r in parse_message(p).records]
    assert {r.key for r in [ptr, *extra]} <= set(sent)
    assert len(sent) == len(set(sent))  # nothing twice


def test_additionals_move_the_whole_group_to_the_next_packet() -> None:
    """RFC 6763 §12: a group whose additionals do not fit beside others starts a new packet."""
    first, first_extra = service_group(0, txt_size=200)
    second, second_extra = service_group(1, txt_size=200)
    packer = Packer(500, flags=0x8400)
    assert packer.add(answers=(first,), additionals=first_extra)
    # The second PTR alone would fit; with its SRV/TXT it does not: nothing is added.
    assert not packer.add(answers=(second,), additionals=second_extra)
    message = parse_message(packer.build())
    assert [r.key for r in message.answers] == [first.key]
    assert packer.left_over == ()


def test_a_record_larger_than_the_limit_is_sent_alone() -> None:
    """§17: a record that can never fit the limit goes alone, up to 9000 octets."""
    huge = Record.of(HOST, TXT((b"y" * 255,) * 4), 4500, cache_flush=True)
    packer = Packer(512)
    assert packer.add(additionals=(huge, ADDRESS))
    assert packer.left_over == (ADDRESS,)
    assert not packer.add(additionals=(ADDRESS,))  # nothing joins an oversized message


def test_engine_answers_a_browse_of_100_services_with_every_srv_and_txt() -> None:
    """RFC 6763 §12: one browse query brings every instance's SRV and TXT: no second round."""
    e = Engine(host_name="alpha", rng=random.Random(5))
    e.add_interface(2, [IPv4Interface("192.168.1.10/24")], 0.0)
    for i in range(100):
        e.register(ServiceRecords(f"Service number {i}", "_bench._tcp", 8000 + i), 0.0)
    now = 0.0
    while (timer := e.get_timer()) is not None and timer < 10.0:
        now = timer
        e.handle_timer(now)
        e.datagrams_to_send(now)
    now = 20.0
    e.handle_timer(now)
    e.datagrams_to_send(now)
    browse = build_message(Message(questions=(Question(TYPE, RRType.PTR, RRClass.IN),)))
    e.receive(browse, EngineEndpoint(IPv4Address("192.168.1.99"), MDNS_PORT), 2, now)
    records: list[Record] = []
    end = now + 1.0
    while (timer := e.get_timer()) is not None and timer <= end:
        e.handle_timer(timer)
        for datagram in e.datagrams_to_send(timer):
            assert len(datagram.data) <= LIMIT
            records.extend(parse_message(datagram.data).records)
    types = {rtype: {r.name for r in records if r.rtype == rtype} for rtype in (12, 33, 16)}
    assert len(types[RRType.SRV]) == len(types[RRType.TXT]) == 100
    targets = {r.rdata.target for r in records if isinstance(r.rdata, PTR)}
    assert targets == types[RRType.SRV]
