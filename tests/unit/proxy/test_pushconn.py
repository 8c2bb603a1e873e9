"""The Push server session (RFC 8765) against the Push client state, bytes passed by hand."""

from __future__ import annotations

import dataclasses

import dns.edns
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from lanwise.dso.push import (
    REMOVE_COLLECTIVE,
    REMOVE_RECORD,
    SUBSCRIBE,
    Question,
    additions,
    decode_push,
    push_tlvs,
    reconfirm_tlv,
    subscribe_tlv,
    unsubscribe_tlv,
)
from lanwise.dso.wire import (
    ENCRYPTION_PADDING,
    DsoMessage,
    StreamFramer,
    Tlv,
    decode,
    decode_retry_delay,
    encode,
)
from lanwise.proxy.pushconn import PushConnection, PushLimits
from lanwise.widearea.push import PushState
from tests.unit.proxy.fakesource import SERVICE, FakeSource

PTR = dns.rdatatype.PTR
INSTANCE = "printer._http._tcp.lan-a.example.test."


def link(source: FakeSource, limits: PushLimits | None = None) -> tuple[PushState, PushConnection]:
    return PushState(0.0), PushConnection(source, "192.0.2.9", 0.0, limits or PushLimits())


def exchange(client: PushState, server: PushConnection, now: float = 0.0) -> list[DsoMessage]:
    """Client → server → client; returns what the server sent."""
    server.receive(client.session.data_to_send(), now)
    server.tick(now)
    data = server.session.data_to_send()
    client.receive(data, now)
    # The client pads, so the server pads too (RFC 8467 §4.1): padding is left out here.
    out = []
    for wire in StreamFramer().feed(data):
        message = decode(wire)
        assert message.tlvs and message.tlvs[-1].type == ENCRYPTION_PADDING
        out.append(dataclasses.replace(message, tlvs=message.tlvs[:-1]))
    return out


def test_subscribe_answers_noerror_then_pushes_the_cache_and_changes() -> None:
    source = FakeSource()
    source.add(SERVICE, 120, "PTR", INSTANCE)
    client, server = link(source)
    msg_id = client.subscribe(Question(SERVICE, PTR), 0.0)
    sent = exchange(client, server)
    # RFC 8765 §6.2.2 then §6.3: the response, at once followed by the initial PUSH.
    assert (sent[0].id, sent[0].response, sent[0].rcode, sent[0].tlvs) == (msg_id, True, 0, ())
    assert sent[1].unidirectional and sent[1].primary is not None
    assert [(r.to_text(), ttl) for r, ttl in client.lookup(SERVICE, PTR)] == [(INSTANCE, 120)]
    assert server.session.long_lived == 1 and source.subscribed() == [(SERVICE, PTR)]

    source.add(SERVICE, 120, "PTR", "scanner._http._tcp.lan-a.example.test.")
    exchange(client, server, 1.0)
    assert len(client.lookup(SERVICE, PTR)) == 2

    source.remove(SERVICE, "PTR", INSTANCE)
    (push,) = exchange(client, server, 2.0)
    assert push.primary is not None
    (change,) = decode_push(push, push.primary)
    assert change.ttl == REMOVE_RECORD  # another PTR remains: this one record goes
    assert [r.to_text() for r, _ in client.lookup(SERVICE, PTR)] == [
        "scanner._http._tcp.lan-a.example.test."
    ]

    source.remove(SERVICE, "PTR", "scanner._http._tcp.lan-a.example.test.")
    (push,) = exchange(client, server, 3.0)
    assert push.primary is not None
    (change,) = decode_push(push, push.primary)
    assert (change.ttl, change.rdtype, change.rdata) == (
        REMOVE_COLLECTIVE,
        PTR,
        None,
    )  # the whole RRset
    assert client.lookup(SERVICE, PTR) == []


def test_empty_answer_set_sends_no_push_and_the_server_states_its_timeouts() -> None:
    client, server = link(FakeSource())
    client.subscribe(Question(SERVICE, PTR), 0.0)
    sent = exchange(client, server)
    assert [m.primary.type if m.primary else None for m in sent] == [None, 0x01]
    # RFC 8490 §7.1: a unidirectional Keepalive tells the client the server's values.
    assert client.session.timeouts == server.keepalive


def test_name_outside_the_domains_is_notauth_with_retry_delay() -> None:
    client, server = link(FakeSource())
    msg_id = client.subscribe(Question(dns.name.from_text("example.org."), PTR), 0.0)
    (reply,) = exchange(client, server)
    assert (reply.id, reply.rcode) == (msg_id, 9)
    assert reply.primary is not None and decode_retry_delay(reply.primary) == 300_000
    assert client.acknowledged[msg_id] == 9 and msg_id not in client.subscriptions


def test_other_class_is_refused() -> None:
    client, server = link(FakeSource())
    msg_id = client.subscribe(Question(SERVICE, PTR, 3), 0.0)  # CHAOS
    (reply,) = exchange(client, server)
    assert (reply.id, reply.rcode) == (msg_id, 5)


def test_subscription_bound_is_refused_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    client, server = link(FakeSource(), PushLimits(subscriptions_per_session=2))
    for i in range(2):
        client.subscribe(Question(dns.name.from_text(f"h{i}.lan-a.example.test."), 1), 0.0)
    exchange(client, server)
    third = client.subscribe(Question(dns.name.from_text("h3.lan-a.example.test."), 1), 0.0)
    (reply,) = exchange(client, server)
    assert (reply.id, reply.rcode) == (third, 5)
    assert "limit subscriptions_per_session" in caplog.text
    assert not server.session.closed and len(server.subscriptions) == 2


def test_duplicate_subscribe_aborts_the_session() -> None:
    # RFC 8765 §6.2.1: a SUBSCRIBE duplicating an active one (case-insensitively) is fatal.
    source = FakeSource()
    client, server = link(source)
    client.subscribe(Question(SERVICE, PTR), 0.0)
    exchange(client, server)
    upper = dns.name.from_text("_HTTP._tcp.LAN-A.example.test.")
    server.receive(
        StreamFramer.frame(
            encode(DsoMessage(77, False, 0, (subscribe_tlv(Question(upper, PTR)),)))
        ),
        1.0,
    )
    assert server.session.aborted
    assert source.subscribers == []  # the session's subscriptions are cancelled at the source


def test_unsubscribe_cancels_and_unknown_ids_are_ignored() -> None:
    source = FakeSource()
    client, server = link(source)
    msg_id = client.subscribe(Question(SERVICE, PTR), 0.0)
    exchange(client, server)
    server.receive(
        StreamFramer.frame(encode(DsoMessage(0, False, 0, (unsubscribe_tlv(4242),)))), 1.0
    )
    assert not server.session.closed and len(server.subscriptions) == 1  # §6.4.1: ignored
    client.unsubscribe(msg_id, 1.0)
    exchange(client, server, 1.0)
    assert server.subscriptions == {} and source.subscribers == []
    assert server.session.long_lived == 0


def test_reconfirm_reaches_the_source() -> None:
    source = FakeSource()
    client, server = link(source)
    client.subscribe(Question(SERVICE, PTR), 0.0)
    exchange(client, server)
    rdata = dns.rdata.from_text("IN", "PTR", INSTANCE)
    server.receive(
        StreamFramer.frame(encode(DsoMessage(0, False, 0, (reconfirm_tlv(SERVICE, 1, rdata),)))),
        1.0,
    )
    assert source.reconfirmed == [(SERVICE, PTR, rdata)]


def test_push_from_a_client_aborts() -> None:
    client, server = link(FakeSource())
    client.subscribe(Question(SERVICE, PTR), 0.0)
    exchange(client, server)
    server.receive(StreamFramer.frame(encode(DsoMessage(0, False, 0, (Tlv(0x41, b""),)))), 1.0)
    assert server.session.aborted


def test_refused_session_answers_its_first_request_and_closes() -> None:
    source = FakeSource()
    client = PushState(0.0)
    server = PushConnection(source, "192.0.2.9", 0.0, refuse=True)
    msg_id = client.subscribe(Question(SERVICE, PTR), 0.0)
    (reply,) = exchange(client, server)
    assert (reply.id, reply.rcode) == (msg_id, 5)
    assert reply.primary is not None and decode_retry_delay(reply.primary) == 60_000
    assert server.session.closed and source.subscribers == []


def test_a_change_seen_by_two_subscriptions_is_pushed_once() -> None:
    # RFC 8765 §6.3.1: one change matching two subscriptions gives one notification.
    source = FakeSource()
    client, server = link(source)
    client.subscribe(Question(SERVICE, PTR), 0.0)
    client.subscribe(Question(SERVICE, dns.rdatatype.ANY), 0.0)
    exchange(client, server)
    source.add(SERVICE, 60, "PTR", INSTANCE)
    (push,) = exchange(client, server, 1.0)
    assert push.primary is not None
    assert len(decode_push(push, push.primary)) == 1


def test_plain_queries_on_the_session_are_answered_from_the_cache() -> None:
    source = FakeSource()
    source.add(SERVICE, 60, "PTR", INSTANCE)
    _client, server = link(source)
    for name, rcode in ((SERVICE, 0), (dns.name.from_text("example.org."), 5)):
        query = dns.message.make_query(name, PTR)
        server.receive(StreamFramer.frame(query.to_wire()), 0.0)
        (wire,) = StreamFramer().feed(server.session.data_to_send())
        reply = dns.message.from_wire(wire)
        assert reply.rcode() == rcode
        assert len(reply.answer) == (1 if rcode == 0 else 0)


def test_subscribe_tlv_type_is_0x40() -> None:
    assert SUBSCRIBE == 0x40


def test_client_ignores_pushes_it_did_not_ask_for_and_forgets_on_unsubscribe() -> None:
    # RFC 8765 §6.3.1: a notification matching no active subscription is ignored (it may
    # have been in flight when the client unsubscribed).
    source = FakeSource()
    source.add(SERVICE, 60, "PTR", INSTANCE)
    client, server = link(source)
    msg_id = client.subscribe(Question(SERVICE, PTR), 0.0)
    exchange(client, server)
    stray = push_tlvs(
        additions(dns.rrset.from_text("other.lan-a.example.test.", 60, "IN", "A", "192.0.2.1"))
    )
    client.receive(StreamFramer.frame(encode(DsoMessage(0, False, 0, tuple(stray)))), 1.0)
    assert client.lookup(dns.name.from_text("other.lan-a.example.test."), 1) == []
    assert not client.session.closed
    client.unsubscribe(msg_id, 2.0)
    assert client.lookup(SERVICE, PTR) == []
    assert msg_id not in client.session.reserved_ids


def test_edns_tcp_keepalive_in_an_established_session_is_fatal() -> None:
    # RFC 8490 §7.1.2: the EDNS(0) TCP Keepalive option has no place in a DSO session.
    source = FakeSource()
    client, server = link(source)
    client.subscribe(Question(SERVICE, PTR), 0.0)
    exchange(client, server)
    query = dns.message.make_query(
        SERVICE,
        PTR,
        use_edns=0,
        options=[dns.edns.GenericOption(dns.edns.OptionType.KEEPALIVE, b"")],
    )
    server.receive(StreamFramer.frame(query.to_wire()), 1.0)
    assert server.session.aborted


def test_rfc8765_s6_5_reconfirms_past_the_session_budget_are_ignored_and_counted() -> None:
    # §6.5 leaves the RECONFIRM to the server; each costs queries on the link, so one
    # session gets a token bucket (burst, then the rate).
    source = FakeSource()
    limits = PushLimits(reconfirm_burst=3, reconfirm_rate=1.0)
    client, server = link(source, limits)
    client.subscribe(Question(SERVICE, PTR), 0.0)
    exchange(client, server)
    rdata = dns.rdata.from_text("IN", "PTR", INSTANCE)
    frame = StreamFramer.frame(encode(DsoMessage(0, False, 0, (reconfirm_tlv(SERVICE, 1, rdata),))))
    server.receive(frame * 100, 1.0)
    assert len(source.reconfirmed) == 3 and server.reconfirms_ignored == 97
    assert not server.session.closed
    server.receive(frame * 5, 3.0)  # two seconds refill two
    assert len(source.reconfirmed) == 5 and server.reconfirms_ignored == 100


def test_rfc8765_s6_3_1_add_remove_add_in_one_flush_leaves_the_client_holding_the_record() -> None:
    # Changes are applied in order (§6.3.1): the second add must not be folded into the
    # first, or the client ends without a record the server holds.
    source = FakeSource()
    client, server = link(source)
    client.subscribe(Question(SERVICE, PTR), 0.0)
    exchange(client, server)
    source.add(SERVICE, 60, "PTR", INSTANCE)
    source.remove(SERVICE, "PTR", INSTANCE)
    source.add(SERVICE, 60, "PTR", INSTANCE)
    exchange(client, server, 1.0)
    assert [rdata.to_text() for rdata, _ttl in client.lookup(SERVICE, PTR)] == [INSTANCE]


def test_dns_queries_on_the_session_get_the_rules_of_a_tcp_query() -> None:
    # RFC 8490 §5.4: DNS messages may share the stream; they are answered as over TCP:
    # another opcode NOTIMP, another class REFUSED, an empty answer with the zone's SOA.
    source = FakeSource()
    _client, server = link(source)

    def ask(query: dns.message.Message) -> dns.message.Message:
        server.receive(StreamFramer.frame(query.to_wire()), 0.0)
        (wire,) = StreamFramer().feed(server.session.data_to_send())
        return dns.message.from_wire(wire)

    notify = dns.message.make_query(SERVICE, PTR)
    notify.set_opcode(dns.opcode.NOTIFY)
    assert ask(notify).rcode() == dns.rcode.NOTIMP
    chaos = dns.message.make_query(SERVICE, PTR, rdclass=dns.rdataclass.CH)
    assert ask(chaos).rcode() == dns.rcode.REFUSED
    empty = ask(dns.message.make_query(SERVICE, PTR))
    assert empty.rcode() == dns.rcode.NOERROR and not empty.answer
    assert [rrset.rdtype for rrset in empty.authority] == [dns.rdatatype.SOA]
    assert not server.session.closed
