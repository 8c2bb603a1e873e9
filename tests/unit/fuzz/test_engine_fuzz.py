"""Fixed-seed fuzzing of the engine's receive path (RFC 6762 engine, sans-IO).

Whatever the network sends — random bytes, mutated real traffic, from any port,
multicast or unicast — ``Engine.receive`` never raises, never hits an internal
error, answers each packet with a bounded number of datagrams (no
amplification), and keeps its cache within its bound.
"""

from __future__ import annotations

import os
import random
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanwise.dns import A, Flag, Message, Name, Record, RRType, build_message, parse_message
from lanwise.mdns.endpoints import EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.registration import ServiceRecords
from tests.unit.fuzz.corpus import seeds
from tests.unit.fuzz.test_codec_fuzz import mutated

EXAMPLES = int(os.environ.get("LANWISE_FUZZ_EXAMPLES", "1500"))
IFINDEX = 2
# One query can be answered on both IP versions, plus a legacy reply, plus a
# probe defence; far fewer than this may leave per received packet.
MAX_DATAGRAMS_PER_PACKET = 8
MAX_BYTES_PER_PACKET = 8 * 9000


def _engine() -> tuple[Engine, float]:
    engine = Engine(host_name="fuzzed", rng=random.Random(1), max_cached_records=200)
    now = 100.0
    engine.add_interface(IFINDEX, [IPv4Interface("10.0.0.1/24"), IPv6Interface("fe80::1/64")], now)
    engine.register(ServiceRecords("Fuzz Target", "_ipp._tcp", 631, txt=(b"a=1",)), now)
    # Let probing and announcing finish so the engine answers queries.
    for _ in range(40):
        now += 0.25
        engine.handle_timer(now)
        engine.datagrams_to_send(now)
    while engine.next_event() is not None:
        pass
    return engine, now


SOURCES = [
    EngineEndpoint(IPv4Address("10.0.0.9"), 5353),
    EngineEndpoint(IPv4Address("10.0.0.9"), 49152),
    EngineEndpoint(IPv6Address("fe80::9"), 5353),
    EngineEndpoint(IPv4Address("192.0.2.7"), 5353),  # off-link: dropped
]


@settings(
    derandomize=True,
    max_examples=max(50, EXAMPLES // 5),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.one_of(mutated(), st.binary(max_size=300)),
            st.sampled_from(SOURCES),
            st.booleans(),
            st.floats(0.0, 0.3),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_receive_never_raises_and_never_amplifies(
    packets: list[tuple[bytes, EngineEndpoint, bool, float]],
) -> None:
    engine, now = _engine()
    for data, source, unicast, step in packets:
        now += step
        engine.receive(data, source, IFINDEX, now, unicast=unicast)
        sent = engine.datagrams_to_send(now)
        # Timers fire answers later: let them and count those too.
        deadline = now + 0.6
        while (timer := engine.get_timer()) is not None and timer <= deadline:
            engine.handle_timer(timer)
            sent += engine.datagrams_to_send(timer)
        now = deadline
        assert len(sent) <= MAX_DATAGRAMS_PER_PACKET
        assert sum(len(d.data) for d in sent) <= MAX_BYTES_PER_PACKET
        while engine.next_event() is not None:
            pass
    stats = engine.statistics()
    assert stats.internal_errors == 0


def test_cache_stays_within_its_bound_under_a_flood_of_distinct_records() -> None:
    """100,000 distinct records from many sources: the cache never holds more than its bound."""
    engine, now = _engine()
    flags = int(Flag.QR | Flag.AA)
    for i in range(2_000):
        records = tuple(
            Record.of(Name(f"h{i}-{j}.local"), A(IPv4Address(f"10.0.0.{2 + (i + j) % 250}")), 120)
            for j in range(50)
        )
        data = build_message(Message(flags=flags, answers=records))
        source = EngineEndpoint(IPv4Address(f"10.0.0.{2 + i % 250}"), 5353)
        now += 0.001
        engine.receive(data, source, IFINDEX, now)
        engine.datagrams_to_send(now)
        while engine.next_event() is not None:
            pass
    stats = engine.statistics()
    assert stats.internal_errors == 0
    # The bound is on records nobody asked for; our own (a handful) are held apart.
    own = sum(1 for entry in engine._querier.cache._kept if entry.own)
    assert 0 < own <= 16
    assert 0 < stats.cache_size <= 200 + own


def test_the_seed_traffic_reaches_the_responder() -> None:
    """The fuzzers start from packets the engine acts on: the corpus's browse for
    ``_ipp._tcp`` is answered with the engine's own instance."""
    engine, now = _engine()
    engine.receive(seeds()[3], SOURCES[0], IFINDEX, now)
    sent = engine.datagrams_to_send(now)
    while (timer := engine.get_timer()) is not None and timer <= now + 0.2:
        engine.handle_timer(timer)
        sent += engine.datagrams_to_send(timer)
    answers = [r for d in sent for r in parse_message(d.data).answers]
    assert any(r.rtype == RRType.PTR and "Fuzz Target" in str(r.rdata) for r in answers)
