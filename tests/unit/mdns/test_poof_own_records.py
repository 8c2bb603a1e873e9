"""§10.5 Passive Observation Of Failures must not flush records we publish ourselves.

The engine feeds the multicast responses it sends into its own cache (so a
local browse finds local services), but only once a quarter of a TTL has
passed. POOF is about another host's record going silent: a query for a
record *we* publish is one our responder answers (or rightly stays silent
for, §6.2, §7.1), so from the observer's side the answer was seen. Another
host's record answered by nobody is still flushed. Time moves only by hand.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface

from lanwise.dns import PTR, Flag, Message, Name, Question, Record, RRType, build_message
from lanwise.mdns.endpoints import EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.events import RecordRemoved, RemovalReason
from lanwise.mdns.registration import ServiceRecords

INDEX = 2
SERVICE = Name("_http._tcp.local")
OURS = Name("Ours._http._tcp.local")
THEIRS = Name("Theirs._http._tcp.local")
PEER = EngineEndpoint(IPv4Address("192.168.1.20"), 5353)
OTHER_PEER = EngineEndpoint(IPv4Address("192.168.1.30"), 5353)


def _step(engine: Engine, until: float, now: float) -> float:
    """Fire every timer up to ``until`` (draining what would be sent), return ``until``."""
    while (timer := engine.get_timer()) is not None and timer <= until:
        now = max(now, timer)
        engine.handle_timer(now)
        engine.datagrams_to_send(now)
    engine.datagrams_to_send(until)
    return until


def _browse(engine: Engine, now: float, source: EngineEndpoint = PEER) -> None:
    """A peer's QM browse with no known answers (§5.2, §10.5 counts it)."""
    data = build_message(Message(questions=(Question(SERVICE, RRType.PTR),)))
    engine.receive(data, source, INDEX, now)
    engine.datagrams_to_send(now)


def _published_engine() -> tuple[Engine, float]:
    engine = Engine(host_name="local", rng=random.Random(3))
    engine.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    engine.register(ServiceRecords("Ours", "_http._tcp", 8080), 0.0)
    now = _step(engine, 5.0, 0.0)  # probed (§8.1) and announced (§8.3)
    return engine, now


def _ptrs(engine: Engine, now: float) -> set[Name]:
    return {
        c.record.rdata.target
        for c in engine.cached(SERVICE, RRType.PTR, now)
        if isinstance(c.record.rdata, PTR)
    }


def test_poof_section_10_5_never_flushes_our_own_records() -> None:
    """§10.5: five peer browses 1 s apart, 12 s later our own PTR is still cached."""
    engine, now = _published_engine()
    assert _ptrs(engine, now) == {OURS}
    start = now + 100.0  # well past the announcements: the answers are no longer fed back
    now = _step(engine, start, now)
    for i in range(5):
        now = _step(engine, start + i, now)
        _browse(engine, now)
    now = _step(engine, start + 4 + 12.0, now)
    assert _ptrs(engine, now) == {OURS}
    # And a while later still (not one window only), with a local browse running.
    engine.start_query(SERVICE, RRType.PTR, now)
    for _ in range(20):
        now = _step(engine, now + 3.0, now)
        _browse(engine, now)
    now = _step(engine, now + 12.0, now)
    assert _ptrs(engine, now) == {OURS}
    assert not any(isinstance(e, RecordRemoved) for e in iter(engine.next_event, None))


def test_poof_section_10_5_still_flushes_a_peers_silent_record() -> None:
    """§10.5: a peer's PTR under the same name that nobody answers is flushed; ours stays."""
    engine, now = _published_engine()
    engine.start_query(SERVICE, RRType.PTR, now)
    theirs = Record.of(SERVICE, PTR(THEIRS), 4500)
    announce = build_message(Message(flags=int(Flag.QR | Flag.AA), answers=(theirs,)))
    engine.receive(announce, OTHER_PEER, INDEX, now)
    assert _ptrs(engine, now) == {OURS, THEIRS}
    start = now + 100.0
    now = _step(engine, start, now)
    for i in range(5):  # the other peer has left: only our responder answers
        now = _step(engine, start + i, now)
        _browse(engine, now)
    now = _step(engine, start + 4 + 12.0, now)
    assert _ptrs(engine, now) == {OURS}
    removed = []
    while (event := engine.next_event()) is not None:
        if isinstance(event, RecordRemoved):
            removed.append((event.record.rdata, event.reason))
    assert removed == [(PTR(THEIRS), RemovalReason.POOF)]
