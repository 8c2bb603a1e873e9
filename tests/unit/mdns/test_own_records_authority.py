"""Our own registered records never leave our own view while they are registered.

The engine feeds what it multicasts into its own cache (so a local browse sees
local services, docs/dnssd.md); those entries are the authority. A goodbye
(RFC 6762 §10.1) or a cache-flush record set (§10.2) for them from another
host, a shorter TTL from the network, a flood of records of the same type and
the end of their TTL (refreshed only every quarter TTL by the engine) must not
take them out. Only our own goodbye does. Time moves only by hand.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface

from lanwise.dns import PTR, SRV, TXT, A, Flag, Message, Name, Record, RRType, build_message
from lanwise.mdns.cache import RecordCache
from lanwise.mdns.endpoints import EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.events import RecordAdded, RecordRemoved
from lanwise.mdns.registration import EngineRegistration, ServiceRecords

INDEX = 2
SERVICE = Name("_adv._tcp.local")
VICTIM = Name("Victim._adv._tcp.local")
HOST = Name("local.local")
ATTACKER = EngineEndpoint(IPv4Address("192.168.1.66"), 5353)


def _step(engine: Engine, until: float, now: float) -> float:
    while (timer := engine.get_timer()) is not None and timer <= until:
        now = max(now, timer)
        engine.handle_timer(now)
        engine.datagrams_to_send(now)
    engine.datagrams_to_send(until)
    return until


def _victim_engine() -> tuple[Engine, float]:
    engine, now, _ = _victim_registration()
    return engine, now


def _victim_registration() -> tuple[Engine, float, EngineRegistration]:
    engine = Engine(host_name="local", rng=random.Random(5))
    engine.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    registration = engine.register(ServiceRecords("Victim", "_adv._tcp", 8080, txt=(b"k=v",)), 0.0)
    engine.start_query(SERVICE, RRType.PTR, 0.0)
    now = _step(engine, 5.0, 0.0)  # probed (§8.1) and announced (§8.3)
    return engine, now, registration


def _forged(ttl: int, *, flush: bool, target: str = "192.168.1.10") -> bytes:
    """Another host multicasts our PTR, SRV, TXT and A (TTL 0: a forged goodbye)."""
    answers = (
        Record.of(SERVICE, PTR(VICTIM), ttl),
        Record.of(VICTIM, SRV(0, 0, 8080, HOST), ttl, cache_flush=flush),
        Record.of(VICTIM, TXT((b"k=v",)), ttl, cache_flush=flush),
        Record.of(HOST, A(IPv4Address(target)), ttl, cache_flush=flush),
    )
    return build_message(Message(flags=int(Flag.QR | Flag.AA), answers=answers))


def _own_view(engine: Engine, now: float) -> set[RRType]:
    found: set[RRType] = set()
    if any(c.record.rdata == PTR(VICTIM) for c in engine.cached(SERVICE, RRType.PTR, now)):
        found.add(RRType.PTR)
    for rtype in (RRType.SRV, RRType.TXT):
        if engine.cached(VICTIM, rtype, now):
            found.add(rtype)
    if engine.cached(HOST, RRType.A, now):
        found.add(RRType.A)
    return found


def _removals(engine: Engine) -> list[RecordRemoved]:
    removed = []
    while (event := engine.next_event()) is not None:
        if isinstance(event, RecordRemoved):
            removed.append(event)
    return removed


FULL = {RRType.PTR, RRType.SRV, RRType.TXT, RRType.A}


def test_a_forged_goodbye_section_10_1_never_hides_our_own_service() -> None:
    """§10.1 goodbye from another host: our own records stay, no RecordRemoved, ever."""
    engine, now = _victim_engine()
    assert _own_view(engine, now) == FULL
    _removals(engine)
    engine.receive(_forged(0, flush=False), ATTACKER, INDEX, now)
    engine.datagrams_to_send(now)
    for later in (0.5, 1.0, 1.5, 3.0, 40.0):
        now = _step(engine, now + later, now)
        assert _own_view(engine, now) == FULL, later
    assert _removals(engine) == []
    assert engine._querier.cache.statistics().own_protected >= 4


def test_a_forged_cache_flush_section_10_2_never_flushes_our_own_records() -> None:
    """§10.2: another host's cache-flush set with other rdata does not flush ours."""
    engine, now = _victim_engine()
    _removals(engine)
    engine.receive(_forged(120, flush=True, target="192.168.1.99"), ATTACKER, INDEX, now)
    engine.datagrams_to_send(now)
    now = _step(engine, now + 3.0, now)
    assert _own_view(engine, now) == FULL
    addresses = {c.record.rdata for c in engine.cached(HOST, RRType.A, now)}
    assert A(IPv4Address("192.168.1.10")) in addresses
    assert [e for e in _removals(engine) if e.record.name in (VICTIM, HOST)] == []


def test_a_shorter_ttl_from_the_network_does_not_shorten_ours() -> None:
    """A copy of our records with TTL 1 (not 0) from another host: ours keep their TTL."""
    engine, now = _victim_engine()
    _removals(engine)
    engine.receive(_forged(1, flush=False), ATTACKER, INDEX, now)
    engine.datagrams_to_send(now)
    now = _step(engine, now + 5.0, now)
    assert _own_view(engine, now) == FULL
    assert _removals(engine) == []


def test_a_flood_of_10000_fake_instances_never_evicts_our_own() -> None:
    """10,000 fake instances of the browsed type, far past the cache bound: ours stays."""
    engine = Engine(host_name="local", rng=random.Random(5), max_wanted_records=2_000)
    engine.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    engine.register(ServiceRecords("Victim", "_adv._tcp", 8080), 0.0)
    engine.start_query(SERVICE, RRType.PTR, 0.0)
    now = _step(engine, 5.0, 0.0)
    _removals(engine)
    for i in range(10_000):
        fake = Record.of(SERVICE, PTR(Name(f"fake{i}._adv._tcp.local")), 4500)
        data = build_message(Message(flags=int(Flag.QR | Flag.AA), answers=(fake,)))
        engine.receive(data, ATTACKER, INDEX, now + i * 1e-4)
    now = _step(engine, now + 3.0, now)
    assert RRType.PTR in _own_view(engine, now)
    assert _own_view(engine, now) == FULL
    assert len(engine._querier.cache) <= 2_000 + 10_000
    assert _removals(engine) == []


def test_our_own_records_outlive_their_ttl_while_registered() -> None:
    """They are fed back only every quarter TTL; at the end of it they are renewed, not lost."""
    engine, now = _victim_engine()
    _removals(engine)
    # No query of ours runs any more: nothing refreshes them through the network path.
    for query in engine._querier.queries:
        engine.stop_query(query, now)
    now = _step(engine, now + 5_000.0, now)  # past the 4500 s PTR TTL
    assert _own_view(engine, now) == FULL


def test_our_own_goodbye_does_remove_them() -> None:
    """§10.1: unregistering sends goodbyes; the local view follows one second later."""
    engine, now, registration = _victim_registration()
    _removals(engine)
    engine.unregister(registration, now)
    engine.datagrams_to_send(now)
    now = _step(engine, now + 2.0, now)
    assert RRType.PTR not in _own_view(engine, now)
    assert any(e.record.name == SERVICE for e in _removals(engine))


def test_a_forged_goodbye_after_we_withdrew_is_ordinary() -> None:
    """Once withdrawn, the records are no longer ours: a later re-add is a network record."""
    engine, now, registration = _victim_registration()
    engine.unregister(registration, now)
    engine.datagrams_to_send(now)
    now = _step(engine, now + 2.0, now)
    engine.receive(_forged(120, flush=False), ATTACKER, INDEX, now)
    while (event := engine.next_event()) is not None:
        if isinstance(event, RecordAdded) and event.record.name == SERVICE:
            break
    else:
        raise AssertionError("the network's PTR was not cached")
    engine.receive(_forged(0, flush=False), ATTACKER, INDEX, now + 1.0)
    now = _step(engine, now + 3.0, now)
    assert RRType.PTR not in _own_view(engine, now)


def test_a_record_we_no_longer_publish_leaves_at_the_end_of_its_ttl() -> None:
    """Given up without a goodbye (a name lost to a conflict, §9): not renewed any more."""
    publishing = [True]
    cache = RecordCache(random.Random(1), interest=lambda *_: True)
    cache.set_published(lambda interface, record: publishing[0])
    ours = Record.of(SERVICE, PTR(VICTIM), 120)
    cache.add_response([ours], INDEX, 0.0, own=True)
    cache.add_response([Record.of(SERVICE, PTR(VICTIM), 0)], INDEX, 10.0, ATTACKER)
    while (deadline := cache.next_deadline()) is not None and deadline <= 200.0:
        cache.handle_timer(deadline)
    assert cache.records(SERVICE, RRType.PTR, 200.0, interface=INDEX) == [ours]  # renewed
    publishing[0] = False
    while (deadline := cache.next_deadline()) is not None and deadline <= 400.0:
        cache.handle_timer(deadline)
    assert cache.records(SERVICE, RRType.PTR, 400.0, interface=INDEX) == []
