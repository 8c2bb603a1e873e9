"""The querier and cache inside real engines, on the fake link: browse, resolve, goodbye.

Two or three Engines (responder + querier + cache each) joined by
``fakelink.FakeLink``; time moves only through ``link.run``. These check that
the pieces compose as RFC 6762 expects on the wire (§5.2, §5.4, §6, §7.1, §10.1).
"""

from __future__ import annotations

from lanwise.dns import PTR, SRV, Name, RRType
from lanwise.mdns.events import RecordAdded, RecordRemoved, RemovalReason
from lanwise.mdns.registration import ServiceRecords

from .fakelink import INDEX, FakeLink, Node, Sent

SERVICE = Name("_ipp._tcp.local")
INSTANCE = Name("Printer._ipp._tcp.local")


def printer() -> ServiceRecords:
    return ServiceRecords("Printer", "_ipp._tcp", 631, (b"txtvers=1",))


def queries_from(link: FakeLink, node: Node, name: Name) -> list[Sent]:
    """The node's queries asking about ``name`` (its probes ask about other names)."""
    return [
        s
        for s in link.sent_by(node)
        if not s.message.is_response and any(q.name == name for q in s.message.questions)
    ]


def answers_from(link: FakeLink, node: Node, name: Name, rtype: int, after: float) -> list[Sent]:
    return [
        s
        for s in link.sent_by(node)
        if s.time > after
        and s.message.is_response
        and any(r.name == name and r.rtype == rtype for r in s.message.answers)
    ]


def test_browse_finds_the_service_and_known_answers_silence_the_responder() -> None:
    """§5.2 continuous browse; §7.1 once we list the PTR, the responder stays quiet."""
    link = FakeLink()
    server = link.add("alpha", "192.168.1.10/24", seed=1)
    client = link.add("beta", "192.168.1.20/24", seed=2)
    server.engine.register(printer(), 0.0)
    link.run(5.0)
    client.engine.start_query(SERVICE, RRType.PTR, link.now)
    link.run(6.0)
    added = [e for e in client.events if isinstance(e, RecordAdded)]
    assert [(e.interface, e.record.rdata) for e in added] == [(INDEX, PTR(INSTANCE))]
    cached = client.engine.cached(SERVICE, RRType.PTR, link.now)
    assert [(c.interface, c.record.rdata) for c in cached] == [(INDEX, PTR(INSTANCE))]
    # Later queries carry the PTR as a known answer and go unanswered.
    quiet_from = link.now
    link.run(40.0)
    later = [q for q in queries_from(link, client, SERVICE) if q.time > quiet_from]
    assert len(later) >= 3
    assert all(any(r.rdata == PTR(INSTANCE) for r in q.message.answers) for q in later)
    assert answers_from(link, server, SERVICE, RRType.PTR, quiet_from) == []


def test_goodbye_reaches_the_browser_one_second_later() -> None:
    """§10.1: unregister sends TTL 0; the browser drops the record one second later."""
    link = FakeLink()
    server = link.add("alpha", "192.168.1.10/24", seed=1)
    client = link.add("beta", "192.168.1.20/24", seed=2)
    registration = server.engine.register(printer(), 0.0)
    client.engine.start_query(SERVICE, RRType.PTR, 0.0)
    link.run(10.0)
    server.engine.unregister(registration, link.now)
    goodbye_at = link.now
    link.run(goodbye_at + 0.9)
    assert not any(isinstance(e, RecordRemoved) for e in client.events)
    assert client.engine.cached(SERVICE, RRType.PTR, link.now) == []  # invalid at once
    link.run(goodbye_at + 1.5)
    removed = [e for e in client.events if isinstance(e, RecordRemoved)]
    assert [(e.interface, e.record.rdata, e.reason) for e in removed] == [
        (INDEX, PTR(INSTANCE), RemovalReason.GOODBYE)
    ]


def late_client(link: FakeLink) -> Node:
    """A host that joins after the server announced: its cache starts empty."""
    client = link.add("beta", "192.168.1.20/24", seed=2, start=False)
    client.engine.add_interface(INDEX, client.addresses, link.now)
    return client


def test_resolve_stops_asking_after_a_unique_answer() -> None:
    """§5.2: a unique (cache-flush) answer ends the query series for that question."""
    link = FakeLink()
    server = link.add("alpha", "192.168.1.10/24", seed=1)
    server.engine.register(printer(), 0.0)
    link.run(5.0)
    client = late_client(link)
    client.engine.start_query(INSTANCE, RRType.SRV, link.now)
    link.run(60.0)
    assert len(queries_from(link, client, INSTANCE)) == 1  # answered: no repeats
    [srv] = client.engine.cached(INSTANCE, RRType.SRV, link.now)
    assert srv.record.rdata == SRV(0, 0, 631, Name("alpha.local"))
    # The refresh at 80–82 % of the SRV's 120 s TTL is the next query; it is answered.
    link.run(5.2 + 120 * 0.83)
    assert len(queries_from(link, client, INSTANCE)) == 2
    link.run(300.0)
    assert len(client.engine.cached(INSTANCE, RRType.SRV, link.now)) == 1


def test_resolve_of_a_cached_unique_record_asks_nothing() -> None:
    """§5.2: the announcement already cached the unique SRV; no query series is needed."""
    link = FakeLink()
    server = link.add("alpha", "192.168.1.10/24", seed=1)
    client = link.add("beta", "192.168.1.20/24", seed=2)
    server.engine.register(printer(), 0.0)
    link.run(5.0)
    client.engine.start_query(INSTANCE, RRType.SRV, link.now)
    link.run(60.0)
    assert queries_from(link, client, INSTANCE) == []
    assert [type(e) for e in client.events if isinstance(e, RecordAdded)] == [RecordAdded]
    link.run(300.0)  # refreshes (80–95 % of 120 s) keep it cached
    assert 1 <= len(queries_from(link, client, INSTANCE)) <= 6
    assert len(client.engine.cached(INSTANCE, RRType.SRV, link.now)) == 1


def test_qu_query_gets_a_unicast_answer_the_querier_accepts() -> None:
    """§5.4 QU first query; §6 the unicast reply answers a QU question we just sent."""
    link = FakeLink()
    server = link.add("alpha", "192.168.1.10/24", seed=1)
    server.engine.register(printer(), 0.0)
    link.run(5.0)
    client = late_client(link)
    client.engine.start_query(INSTANCE, RRType.SRV, link.now, unicast_first=True)
    link.run(link.now + 0.5)
    [first] = queries_from(link, client, INSTANCE)
    assert first.message.questions[0].unicast_response
    replies = [
        s
        for s in link.sent_by(server)
        if s.time >= first.time and not s.datagram.destination.is_multicast_group
    ]
    # §5.4: the SRV was multicast moments ago (announcing), so the reply is unicast.
    assert replies
    assert client.engine.cached(INSTANCE, RRType.SRV, link.now)
    assert client.engine._querier.statistics().unicast_responses_ignored == 0


def test_every_browser_on_the_link_learns_from_one_answer() -> None:
    """§7.3: a second browser that heard the first one's question need not ask it again."""
    link = FakeLink()
    server = link.add("alpha", "192.168.1.10/24", seed=1)
    first = link.add("beta", "192.168.1.20/24", seed=2)
    second = link.add("gamma", "192.168.1.30/24", seed=3)
    server.engine.register(printer(), 0.0)
    link.run(5.0)
    first.engine.start_query(SERVICE, RRType.PTR, link.now)
    second.engine.start_query(SERVICE, RRType.PTR, link.now + 0.3)
    link.run(30.0)
    for browser in (first, second):
        assert browser.engine.cached(SERVICE, RRType.PTR, link.now)
    suppressed = sum(
        b.engine._querier.statistics().duplicate_questions_suppressed for b in (first, second)
    )
    assert suppressed >= 1
