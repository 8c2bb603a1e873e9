"""The engine remembers recently received responses parsed, by their octets: a response
that comes again is handled again in full (its records refreshed, RFC 6762 §5.2/§10) but
not parsed again; queries are always parsed; the memory is bounded."""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface

import pytest

from lanwise.dns import (
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
from lanwise.mdns import engine as engine_module
from lanwise.mdns.endpoints import MDNS_PORT, EngineEndpoint
from lanwise.mdns.engine import Engine

INDEX = 2
PEER = EngineEndpoint(IPv4Address("192.168.1.20"), MDNS_PORT)
RESPONSE = int(Flag.QR | Flag.AA)


def new_engine() -> Engine:
    engine = Engine(host_name=None, rng=random.Random(3))
    engine.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    return engine


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """From now on, every datagram the engine parses, in order."""
    parsed: list[bytes] = []
    real_parse = parse_message

    def counting_parse(data: bytes) -> Message:
        parsed.append(data)
        return real_parse(data)

    monkeypatch.setattr(engine_module, "parse_message", counting_parse)
    return parsed


def announcement(host: int, ttl: int = 120) -> bytes:
    record = Record.of(
        Name(f"device-{host}.local"),
        A(IPv4Address(f"192.168.1.{100 + host % 100}")),
        ttl,
        cache_flush=True,
    )
    return build_message(Message(flags=RESPONSE, answers=(record,)))


def test_a_repeated_response_is_parsed_once_and_refreshes_the_cache_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = new_engine()
    parsed = count_parses(monkeypatch)
    data = announcement(1)
    engine.receive(data, PEER, INDEX, 1.0)
    engine.receive(bytes(bytearray(data)), PEER, INDEX, 50.0)  # equal octets, another object
    assert parsed == [data]
    (cached,) = engine.cached(Name("device-1.local"), RRType.A, 50.0)
    assert cached.received == 50.0  # handled again: the TTL clock restarted
    assert cached.remaining(50.0) == pytest.approx(120.0)
    assert engine.statistics().interfaces[INDEX].responses_received == 2


def test_queries_are_parsed_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = new_engine()
    parsed = count_parses(monkeypatch)
    query = build_message(Message(questions=(Question(Name("device-1.local"), RRType.A),)))
    engine.receive(query, PEER, INDEX, 1.0)
    engine.receive(query, PEER, INDEX, 2.0)
    assert parsed == [query, query]


def test_malformed_responses_are_counted_every_time() -> None:
    engine = new_engine()
    data = announcement(1)[:-3]  # the record's rdata cut short
    engine.receive(data, PEER, INDEX, 1.0)
    engine.receive(data, PEER, INDEX, 2.0)
    assert engine.statistics().malformed_dropped == 2


def test_the_memory_is_bounded_and_the_oldest_leave_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = new_engine()
    limit = engine_module._PARSED_LIMIT
    datagrams = [announcement(h) for h in range(limit + 10)]
    for at, data in enumerate(datagrams):
        engine.receive(data, PEER, INDEX, 1.0 + at * 0.001)
    parsed = count_parses(monkeypatch)
    engine.receive(datagrams[-1], PEER, INDEX, 3.0)  # among the newest: remembered
    assert parsed == []
    engine.receive(datagrams[0], PEER, INDEX, 3.0)  # the oldest: forgotten, parsed again
    assert parsed == [datagrams[0]]
