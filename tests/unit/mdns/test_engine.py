"""The engine as a whole on a fake clock: our own records learned by handle_timer after
the datagrams leave (getters learn nothing), and large batches: the announcement packed
in the last probe's silence, a large answer packed once for both IP versions."""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface

import pytest

from lanwise.dns import PTR, SRV, Message, Name, Question, RRType, build_message, parse_message
from lanwise.mdns import ServiceRecords
from lanwise.mdns import engine as engine_module
from lanwise.mdns import outbox as outbox_module
from lanwise.mdns.endpoints import MDNS_PORT, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.registration import EngineRegistration

INDEX = 2
SERVICES = 100  # more than the outbox packs group by group


def engine_with_services(count: int = SERVICES) -> tuple[Engine, list[EngineRegistration]]:
    engine = Engine(host_name="alpha", rng=random.Random(7))
    engine.add_interface(
        INDEX, [IPv4Interface("192.168.1.10/24"), IPv6Interface("fe80::10/64")], 0.0
    )
    registrations = [
        engine.register(ServiceRecords(f"Service {i}", "_bench._tcp", 10000 + i, (b"i=1",)), 0.0)
        for i in range(count)
    ]
    return engine, registrations


def step(engine: Engine) -> tuple[float, list[bytes]]:
    """Run the next timer; the time and the datagrams it sent."""
    timer = engine.get_timer()
    assert timer is not None
    engine.handle_timer(timer)
    return timer, [d.data for d in engine.datagrams_to_send(timer)]


def srv_owners(datagrams: list[bytes]) -> set[str]:
    owners: set[str] = set()
    for data in datagrams:
        message = parse_message(data)
        for record in (*message.answers, *message.additionals):
            if isinstance(record.rdata, SRV) and record.ttl:
                owners.add(str(record.name))
    return owners


def count_packings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, the number of groups of every packing the outbox does, in order."""
    packings: list[int] = []
    real_pack = outbox_module._pack

    def counting_pack(*args: object, **kwargs: object) -> list[bytes]:
        packings.append(len(args[0]))  # type: ignore[arg-type]
        return real_pack(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox_module, "_pack", counting_pack)
    return packings


def run_to_third_probe(engine: Engine) -> float:
    probes = 0
    while probes < 3:
        when, sent = step(engine)
        if sent:
            assert not parse_message(sent[0]).is_response
            probes += 1
    return when


def test_announcement_is_packed_in_the_silence_after_the_third_probe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RFC 6762 §8.1/§8.3: the announcement goes 250 ms after the third probe, on time,
    because it was packed halfway through that silence."""
    engine, _ = engine_with_services()
    third = run_to_third_probe(engine)
    packings = count_packings(monkeypatch)
    now, sent = step(engine)
    assert now == pytest.approx(third + 0.125)  # the packing step: nothing sent
    assert sent == []
    assert packings == [SERVICES + 1]  # every service, and the host's own records
    now, sent = step(engine)
    assert now == pytest.approx(third + 0.250)  # §8.1: 250 ms of silence, then §8.3
    assert packings == [SERVICES + 1]  # the announcement reused that packing
    assert srv_owners(sent) == {f"Service {i}._bench._tcp.local" for i in range(SERVICES)}
    assert all(parse_message(d).is_response for d in sent)


def test_a_withdrawal_after_the_packing_is_not_announced() -> None:
    """A guess that no longer holds is packed afresh: a service withdrawn in the silence
    after its third probe is not announced (and no goodbye goes for it, §10.1: never
    announced)."""
    engine, registrations = engine_with_services()
    third = run_to_third_probe(engine)
    now, sent = step(engine)
    assert sent == [] and now == pytest.approx(third + 0.125)
    engine.unregister(registrations[5], now)
    assert engine.datagrams_to_send(now) == []
    now, sent = step(engine)
    owners = srv_owners(sent)
    assert "Service 5._bench._tcp.local" not in owners
    assert len(owners) == SERVICES - 1


def test_own_records_are_learned_by_handle_timer_after_sending() -> None:
    """Our own announced records reach our cache (so local browsers see them), but only
    once the datagrams are handed out: learning them does not delay the send. The
    getters learn nothing; get_timer says the learning is due, handle_timer does it."""
    engine, _ = engine_with_services(3)
    instance = Name("Service 1._bench._tcp.local")
    for _ in range(10):
        when, sent = step(engine)
        if sent and parse_message(sent[0]).is_response:
            break
    else:
        pytest.fail("no announcement")
    # Handed out, not yet learned: reading the cache (any getter) does not learn them.
    revision = engine.cache_revision
    assert engine.cached(instance, RRType.SRV, when, interface=INDEX) == []
    engine.statistics()
    assert engine.get_timer() == when  # the learning is due at once
    assert engine.cache_revision == revision
    engine.handle_timer(when)
    cached = engine.cached(instance, RRType.SRV, when, interface=INDEX)
    assert [c.record.rdata.port for c in cached if isinstance(c.record.rdata, SRV)] == [10001]
    assert engine.cache_revision != revision


def test_own_records_are_not_learned_before_they_are_handed_out() -> None:
    """The announcement queued by handle_timer is not in our cache until
    datagrams_to_send has handed it out, however often handle_timer runs."""
    engine, _ = engine_with_services(3)
    instance = Name("Service 1._bench._tcp.local")
    now = 0.0
    for _ in range(20):
        timer = engine.get_timer()
        assert timer is not None
        now = timer
        engine.handle_timer(now)
        engine.handle_timer(now)  # a second run learns nothing queued by the first
        assert engine.cached(instance, RRType.SRV, now, interface=INDEX) == []
        if any(parse_message(d.data).is_response for d in engine.datagrams_to_send(now)):
            break
    else:
        pytest.fail("no announcement")
    engine.handle_timer(now)
    assert engine.cached(instance, RRType.SRV, now, interface=INDEX) != []


def test_a_large_answer_asked_over_both_families_is_packed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A browse asked QU over IPv4 and IPv6 at once (RFC 6762 §5.4, recently multicast:
    unicast replies) gets the same datagrams on both, packed once for both limits (§17)."""
    engine, _ = engine_with_services()
    now = 0.0
    while (timer := engine.get_timer()) is not None and timer < 3.0:
        now = timer
        engine.handle_timer(now)
        engine.datagrams_to_send(now)
    packings = count_packings(monkeypatch)
    question = Question(Name("_bench._tcp.local"), RRType.PTR, 1, unicast_response=True)
    query = build_message(Message(questions=(question,)))
    replies: dict[int, list[bytes]] = {}
    for source in (
        EngineEndpoint(IPv4Address("192.168.1.99"), MDNS_PORT),
        EngineEndpoint(IPv6Address("fe80::99"), MDNS_PORT),
    ):
        engine.receive(query, source, INDEX, now + 0.5)
        sent = engine.datagrams_to_send(now + 0.5)
        assert all(d.destination == source for d in sent)  # §5.4: unicast replies
        replies[source.address.version] = [d.data for d in sent]
    assert replies[4] == replies[6]
    assert packings == [SERVICES]
    assert len(srv_owners(replies[4])) == SERVICES


def _run(engine: Engine, *, read_getters: bool) -> list[tuple[float, bytes]]:
    """Drive ``engine`` for 5 s with a browse running; optionally call every getter
    (many times) between steps. Returns what it sent, with times."""
    instance = Name("Service 1._bench._tcp.local")
    engine.start_query(Name("_bench._tcp.local"), RRType.PTR, 0.0)
    sent: list[tuple[float, bytes]] = []
    timer = engine.get_timer()
    while timer is not None and timer < 5.0:
        engine.handle_timer(timer)
        sent.extend((timer, d.data) for d in engine.datagrams_to_send(timer))
        if read_getters:  # right after a send: the moment a getter used to learn it
            before = engine._querier.cache.revision  # a peek that cannot learn anything
            for _ in range(3):
                engine.get_timer()
                _ = engine.cache_revision
                engine.cached(instance, RRType.ANY, timer)
                engine.cached_records(instance, RRType.SRV, timer, interface=INDEX)
                engine.statistics()
                _ = (engine.interfaces, engine.host, engine.host_name, engine.closed)
            assert engine._querier.cache.revision == before
        timer = engine.get_timer()
    return sent


def test_no_getter_changes_what_the_engine_does() -> None:
    """The getters are pure: an engine read between every step sends the same datagrams
    at the same times, and ends with the same cache, as one never read."""
    quiet, _ = engine_with_services(5)
    watched, _ = engine_with_services(5)
    assert _run(watched, read_getters=True) == _run(quiet, read_getters=False)
    assert watched.cache_revision == quiet.cache_revision
    assert watched.statistics() == quiet.statistics()


def test_our_own_query_reaches_our_responder_as_the_message_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Our querier's question is answered by our own responder (as the kernel's loopback
    would), from the Message the querier built: the engine parses none of its own bytes.
    The query and the answer leave through the one outbox, counted once each."""
    engine, _ = engine_with_services(2)
    now = 0.0
    while (timer := engine.get_timer()) is not None and timer < 5.0:  # announced by 5 s
        now = timer
        engine.handle_timer(now)
        engine.datagrams_to_send(now)
    parsed: list[bytes] = []
    real_parse = engine_module.parse_message  # type: ignore[attr-defined]

    def counting_parse(data: bytes) -> Message:
        parsed.append(data)
        return real_parse(data)

    monkeypatch.setattr(engine_module, "parse_message", counting_parse)
    sent_before = engine.statistics().interfaces[INDEX].packets_sent
    # Port shared: our queries list no known answers (§7.1 would otherwise suppress
    # every answer: our own records are in our cache), so our responder answers.
    engine.set_shares_port(True)
    engine.start_query(Name("_bench._tcp.local"), RRType.PTR, now + 10.0)
    sent: list[Message] = []
    while (timer := engine.get_timer()) is not None and timer < now + 12.0:
        engine.handle_timer(timer)
        sent.extend(parse_message(d.data) for d in engine.datagrams_to_send(timer))
    assert parsed == []
    queries = [m for m in sent if not m.is_response]
    answers = [m for m in sent if m.is_response]
    assert queries and queries[0].questions[0].name == Name("_bench._tcp.local")
    ptrs = {str(r.rdata.target) for m in answers for r in m.answers if isinstance(r.rdata, PTR)}
    assert "Service 0._bench._tcp.local" in ptrs
    stats = engine.statistics().interfaces[INDEX]
    assert stats.packets_sent - sent_before == len(sent)
