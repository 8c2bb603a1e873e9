"""Packing groups under a size limit (RFC 6762 §17): the count is an upper bound, never less."""

from __future__ import annotations

import random
from ipaddress import IPv4Address

from lanwise.dns import (
    NSEC,
    PTR,
    SRV,
    TXT,
    A,
    Name,
    Question,
    Record,
    RRClass,
    RRType,
    parse_message,
)
from lanwise.mdns.packets import Packer


def _random_name(rng: random.Random) -> Name:
    labels = [rng.choice(["Printer", "printer", "Kitchen (2)", "x" * rng.randrange(1, 40)])]
    labels += rng.choice([["_ipp", "_tcp"], ["_http", "_tcp"], []])
    return Name.from_labels((*labels, "local"))


def _random_record(rng: random.Random) -> Record:
    name = _random_name(rng)
    kind = rng.randrange(5)
    if kind == 0:
        return Record(name, RRType.PTR, RRClass.IN, 4500, PTR(_random_name(rng)))
    if kind == 1:
        return Record(name, RRType.SRV, RRClass.IN, 120, SRV(0, 0, 80, _random_name(rng)), True)
    if kind == 2:
        strings = tuple(
            bytes(rng.randrange(97, 123) for _ in range(rng.randrange(60))) for _ in range(3)
        )
        return Record(name, RRType.TXT, RRClass.IN, 4500, TXT(strings), True)
    if kind == 3:
        return Record(name, RRType.A, RRClass.IN, 120, A(IPv4Address(rng.getrandbits(32))), True)
    return Record(name, RRType.NSEC, RRClass.IN, 120, NSEC(name, frozenset({1, 33})), True)


def test_packed_messages_never_exceed_the_limit_section_17() -> None:
    """§17: whatever groups arrive, every built message fits, and nothing required is lost."""
    rng = random.Random(5)
    for _ in range(300):
        limit = rng.choice((512, 600, 1472, 1452))
        packer = Packer(limit, flags=0x8400)
        messages: list[bytes] = []
        wanted = 0
        for _ in range(rng.randrange(1, 40)):
            answers = [_random_record(rng) for _ in range(rng.randrange(1, 3))]
            extra = [_random_record(rng) for _ in range(rng.randrange(4))]
            questions = [Question(_random_name(rng), RRType.ANY)] if rng.random() < 0.2 else []
            wanted += len({r.key for r in answers})
            if not packer.add(questions=questions, answers=answers, additionals=extra):
                messages.append(packer.build())
                packer = Packer(limit, flags=0x8400)
                assert packer.add(questions=questions, answers=answers, additionals=extra)
        messages.append(packer.build())
        for data in messages:
            assert len(data) <= limit
            message = parse_message(data)
            keys = [r.key for r in message.records]
            assert len(keys) == len(set(keys))  # no record twice in one message
        sent = {r.key for data in messages for r in parse_message(data).answers}
        assert len(sent) <= wanted


def test_oversized_group_goes_alone_up_to_9000_octets_section_17() -> None:
    big = Record(Name("big.local"), RRType.TXT, RRClass.IN, 4500, TXT((b"x" * 250,) * 10), True)
    packer = Packer(1472)
    assert packer.add(answers=[big])
    assert len(packer.build()) > 1472
    assert not packer.add(answers=[Record(Name("a.local"), RRType.A, 1, 120, A(IPv4Address(1)))])


def test_compression_lets_many_answers_share_a_packet_section_17() -> None:
    """Names compress as the builder does: 15 PTRs to one type fit where a naive count fails."""
    owner = Name("_ipp._tcp.local")
    records = [
        Record(owner, RRType.PTR, RRClass.IN, 4500, PTR(Name(f"Printer {i}._ipp._tcp.local")))
        for i in range(15)
    ]
    assert sum(len(r.name.to_wire()) + 10 + len(r.rdata.to_wire()) for r in records) > 512
    packer = Packer(512)
    assert all(packer.add(answers=[r]) for r in records)
    assert len(packer.build()) <= 512
