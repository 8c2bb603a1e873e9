"""The DSO session rules of RFC 8490, driven by hand: bytes in, time stepped, no sockets."""

from __future__ import annotations

import pytest

from lanwise.dso.push import PUSH, SUBSCRIBE
from lanwise.dso.session import (
    DnsMessageReceived,
    DsoEvent,
    DsoSession,
    RequestReceived,
    ResponseReceived,
    RetryDelayReceived,
    Role,
    SessionClosed,
    SessionEstablished,
    UnidirectionalReceived,
)
from lanwise.dso.wire import (
    KEEPALIVE,
    DsoMessage,
    Keepalive,
    StreamFramer,
    Tlv,
    decode,
    decode_keepalive,
    encode,
    keepalive_tlv,
    retry_delay_tlv,
)
from lanwise.errors import UsageError

SUB = Tlv(SUBSCRIBE, b"\x00\x00\x0c\x00\x01")


def frame(message: DsoMessage) -> bytes:
    return StreamFramer.frame(encode(message))


def events(session: DsoSession) -> list[DsoEvent]:
    out = []
    while (event := session.next_event()) is not None:
        out.append(event)
    return out


def sent(session: DsoSession) -> list[DsoMessage]:
    return [decode(wire) for wire in StreamFramer().feed(session.data_to_send())]


def server(now: float = 0.0, keepalive: Keepalive | None = None) -> DsoSession:
    keepalive = keepalive or Keepalive(15_000, 15_000)
    return DsoSession(Role.SERVER, now, known_types=frozenset({SUBSCRIBE}), keepalive=keepalive)


def client(now: float = 0.0) -> DsoSession:
    return DsoSession(
        Role.CLIENT, now, known_types=frozenset({PUSH}), keepalive=Keepalive(60_000, 60_000)
    )


def pair(now: float = 0.0) -> tuple[DsoSession, DsoSession]:
    """A client and a server with the session established by a SUBSCRIBE-like request."""
    c, s = client(now), server(now)
    msg_id = c.send_request(SUB, now=now)
    s.receive_data(c.data_to_send(), now=now)
    (request,) = events(s)
    assert isinstance(request, RequestReceived)
    s.respond(msg_id, 0, now=now)
    c.receive_data(s.data_to_send(), now=now)
    assert isinstance(events(c)[0], SessionEstablished)
    assert events(s) == [SessionEstablished()]
    return c, s


# -- §5.1 establishment -------------------------------------------------------


def test_first_request_answered_noerror_establishes_both_ends() -> None:
    # RFC 8490 §5.1: the server considers the session established when it answers NOERROR,
    # the client when it receives that answer.
    c, s = client(), server()
    msg_id = c.send_request(SUB, now=0.0)
    s.receive_data(c.data_to_send(), now=0.0)
    assert not s.established
    assert isinstance(events(s)[0], RequestReceived)
    s.respond(msg_id, 0, now=0.0)
    assert s.established and isinstance(events(s)[0], SessionEstablished)
    assert not c.established
    c.receive_data(s.data_to_send(), now=0.0)
    got = events(c)
    assert isinstance(got[0], SessionEstablished) and isinstance(got[1], ResponseReceived)
    assert c.established


def test_an_error_answer_does_not_establish() -> None:
    c, s = client(), server()
    msg_id = c.send_request(SUB, now=0.0)
    s.receive_data(c.data_to_send(), now=0.0)
    events(s)
    s.respond(msg_id, 5, now=0.0)  # REFUSED
    assert not s.established
    c.receive_data(s.data_to_send(), now=0.0)
    assert not c.established
    with pytest.raises(UsageError):
        c.send_unidirectional(Tlv(0x42, b"\0\1"), now=0.0)


def test_unidirectional_before_establishment_aborts() -> None:
    # RFC 8490 §5.1: no unidirectional message before the session is established.
    s = server()
    s.receive_data(frame(DsoMessage(0, False, 0, (Tlv(0x42, b"\0\1"),))), now=0.0)
    assert s.aborted
    assert isinstance(events(s)[-1], SessionClosed)


def test_server_sends_nothing_of_its_own_before_establishment() -> None:
    with pytest.raises(UsageError):
        server().send_unidirectional(Tlv(PUSH, b""), now=0.0)
    with pytest.raises(UsageError):
        server().send_request(SUB, now=0.0)


# -- §5.2.2, §5.4, §5.4.5 message rules ---------------------------------------


def test_response_matching_no_request_aborts() -> None:
    # RFC 8490 §5.2.2: a response that matches no outstanding request is fatal.
    c, _s = pair()
    c.receive_data(frame(DsoMessage(999, True, 0)), now=1.0)
    assert c.aborted
    assert c.data_to_send() == b""


def test_unknown_primary_in_request_gets_dsotypeni_and_session_goes_on() -> None:
    # RFC 8490 §5.4.5: DSOTYPENI for a request; the session is not harmed.
    s = server()
    s.receive_data(frame(DsoMessage(5, False, 0, (Tlv(0xF900, b"x"),))), now=0.0)
    (reply,) = sent(s)
    assert (reply.id, reply.response, reply.rcode, reply.tlvs) == (5, True, 11, ())
    assert not s.closed and not s.established


def test_unknown_primary_in_unidirectional_aborts() -> None:
    _c, s = pair()
    s.receive_data(frame(DsoMessage(0, False, 0, (Tlv(0xF900, b"x"),))), now=1.0)
    assert s.aborted


def test_unknown_additional_tlvs_are_ignored() -> None:
    s = server()
    s.receive_data(frame(DsoMessage(5, False, 0, (SUB, Tlv(0xF901, b"zz")))), now=0.0)
    (event,) = events(s)
    assert isinstance(event, RequestReceived) and event.message.primary == SUB


def test_malformed_request_gets_formerr_and_closes_only_this_session() -> None:
    # RFC 8490 §5.4: nonzero counts get FORMERR; a malformed peer is not served further.
    s, other = server(), server()
    wire = bytearray(encode(DsoMessage(8, False, 0, (SUB,))))
    wire[7] = 1  # ANCOUNT
    s.receive_data(StreamFramer.frame(bytes(wire)), now=0.0)
    (reply,) = sent(s)
    assert (reply.id, reply.rcode) == (8, 1)
    assert s.closed and not s.aborted
    assert s.statistics.malformed == 1
    other.receive_data(frame(DsoMessage(1, False, 0, (SUB,))), now=0.0)
    assert isinstance(events(other)[0], RequestReceived)


def test_cut_tlv_in_unidirectional_aborts() -> None:
    _c, s = pair()
    s.receive_data(StreamFramer.frame(encode(DsoMessage(0, False)) + b"\x00\x42\x00\x09"), now=1.0)
    assert s.aborted


def test_plain_dns_messages_pass_through() -> None:
    s = server()
    query = bytes.fromhex("abcd01000001000000000000") + b"\x00\x00\x01\x00\x01"
    s.receive_data(StreamFramer.frame(query), now=0.0)
    assert events(s) == [DnsMessageReceived(query)]


def test_request_id_reused_while_outstanding_aborts() -> None:
    s = server()
    s.receive_data(frame(DsoMessage(4, False, 0, (SUB,))) * 2, now=0.0)
    assert s.aborted


# -- §7.1 Keepalive -------------------------------------------------------------


def test_keepalive_request_is_answered_with_the_server_values() -> None:
    # RFC 8490 §7.1: the server answers with the timeouts it grants, and the session is established.
    s = server(keepalive=Keepalive(20_000, 40_000))
    s.receive_data(
        frame(DsoMessage(3, False, 0, (keepalive_tlv(Keepalive(1_000, 900_000)),))), now=0.0
    )
    (reply,) = sent(s)
    assert reply.response and reply.id == 3 and reply.primary is not None
    assert decode_keepalive(reply.primary) == Keepalive(20_000, 40_000)
    assert s.established and s.timeouts == Keepalive(20_000, 40_000)


def test_keepalive_context_errors() -> None:
    # RFC 8490 §7.1: a client never sends a unidirectional Keepalive; a server never requests one.
    c, s = pair()
    s.receive_data(frame(DsoMessage(0, False, 0, (keepalive_tlv(Keepalive()),))), now=1.0)
    assert s.aborted
    c.receive_data(frame(DsoMessage(77, False, 0, (keepalive_tlv(Keepalive()),))), now=1.0)
    assert c.aborted


def test_client_takes_server_keepalive_and_refuses_under_ten_seconds() -> None:
    # RFC 8490 §6.5.2: a keepalive interval under 10 s is an error at the client.
    c, _s = pair()
    c.receive_data(
        frame(DsoMessage(0, False, 0, (keepalive_tlv(Keepalive(30_000, 20_000)),))), now=1.0
    )
    assert c.timeouts == Keepalive(30_000, 20_000) and not c.closed
    c.receive_data(
        frame(DsoMessage(0, False, 0, (keepalive_tlv(Keepalive(30_000, 9_999)),))), now=2.0
    )
    assert c.aborted


# -- §6.4 inactivity, §6.5 keepalive timers ----------------------------------------


def test_server_aborts_idle_session_after_twice_the_inactivity_timeout() -> None:
    # RFC 8490 §6.4.2: twice the inactivity timeout (15 s → 30 s) with nothing active.
    s = server(keepalive=Keepalive(15_000, 3_600_000))
    s.receive_data(frame(DsoMessage(1, False, 0, (keepalive_tlv(Keepalive()),))), now=0.0)
    s.data_to_send()
    assert s.get_timer() == 30.0
    s.handle_timer(29.999)
    assert not s.closed
    s.handle_timer(30.0)
    assert s.aborted


def test_server_idle_floor_is_five_seconds() -> None:
    # RFC 8490 §6.4.2: with an inactivity timeout of 0 the server still waits five seconds.
    s = server(10.0, keepalive=Keepalive(0, 3_600_000))
    s.receive_data(frame(DsoMessage(1, False, 0, (keepalive_tlv(Keepalive()),))), now=10.0)
    assert s.get_timer() == 15.0


def test_keepalive_messages_do_not_reset_the_inactivity_timer() -> None:
    # RFC 8490 §6.3: a Keepalive resets only the keepalive timer.
    s = server(keepalive=Keepalive(15_000, 3_600_000))
    s.receive_data(frame(DsoMessage(1, False, 0, (keepalive_tlv(Keepalive()),))), now=0.0)
    s.receive_data(frame(DsoMessage(2, False, 0, (keepalive_tlv(Keepalive()),))), now=20.0)
    s.handle_timer(30.0)
    assert s.aborted


def test_long_lived_state_keeps_the_session_active() -> None:
    # RFC 8490 §6.4.1: a subscription is an active operation; no inactivity close.
    s = server(keepalive=Keepalive(15_000, 3_600_000))
    s.receive_data(frame(DsoMessage(1, False, 0, (keepalive_tlv(Keepalive()),))), now=0.0)
    s.receive_data(frame(DsoMessage(2, False, 0, (SUB,))), now=0.0)
    events(s)
    s.respond(2, 0, now=0.0)
    s.long_lived = 1
    s.handle_timer(1000.0)
    assert not s.closed
    assert s.get_timer() == 7200.0  # only the keepalive bound remains


def test_pending_request_keeps_the_server_from_idling_out() -> None:
    s = server()
    s.receive_data(frame(DsoMessage(1, False, 0, (SUB,))), now=0.0)
    events(s)  # the owner has not answered yet
    assert s.get_timer() == 30.0  # keepalive bound only (2 × 15 s)
    s.respond(1, 0, now=1.0)
    assert s.get_timer() == 31.0


def test_server_aborts_after_twice_the_keepalive_interval_without_traffic() -> None:
    # RFC 8490 §6.5.1: twice the keepalive interval with no message is delinquent.
    s2 = server(keepalive=Keepalive(15_000, 10_000))
    s2.receive_data(frame(DsoMessage(1, False, 0, (keepalive_tlv(Keepalive()),))), now=0.0)
    s2.long_lived = 1
    s2.handle_timer(19.9)
    assert not s2.closed
    s2.receive_data(frame(DsoMessage(2, False, 0, (keepalive_tlv(Keepalive()),))), now=19.9)
    s2.handle_timer(39.8)
    assert not s2.closed
    s2.handle_timer(39.9)
    assert s2.aborted


def test_client_sends_keepalive_when_the_interval_passes() -> None:
    # RFC 8490 §6.5.1: the client keeps the session alive with a Keepalive request.
    c, _s = pair()
    c.long_lived = 1
    c.receive_data(
        frame(DsoMessage(0, False, 0, (keepalive_tlv(Keepalive(15_000, 10_000)),))), now=0.0
    )
    assert c.get_timer() == 10.0
    c.handle_timer(10.0)
    (message,) = sent(c)
    assert message.primary is not None and message.primary.type == KEEPALIVE and message.id != 0
    assert c.statistics.keepalives_sent == 1
    # No second Keepalive while one is outstanding; an unanswered one ends the session
    # two intervals after the server was last heard.
    assert c.get_timer() == 20.0
    reply = DsoMessage(message.id, True, 0, (keepalive_tlv(Keepalive(15_000, 10_000)),))
    c.receive_data(frame(reply), now=10.5)
    assert c.get_timer() == 20.5
    assert events(c) == []  # the Keepalive exchange is the session's own business


def test_client_gives_up_on_a_silent_server() -> None:
    c, _s = pair()
    c.long_lived = 1
    c.receive_data(
        frame(DsoMessage(0, False, 0, (keepalive_tlv(Keepalive(15_000, 10_000)),))), now=0.0
    )
    c.handle_timer(10.0)  # the Keepalive goes out and is never answered
    c.handle_timer(19.9)
    assert not c.closed
    c.handle_timer(20.0)
    assert c.aborted


def test_idle_client_closes_gracefully_after_the_inactivity_timeout() -> None:
    # RFC 8490 §6.4.1: with nothing active, the client closes at the inactivity timeout.
    c, _s = pair()
    c.receive_data(
        frame(DsoMessage(0, False, 0, (keepalive_tlv(Keepalive(5_000, 3_600_000)),))), now=0.0
    )
    assert c.get_timer() == 5.0
    c.handle_timer(5.0)
    assert c.closed and not c.aborted


def test_infinite_timeouts_run_no_timer() -> None:
    # RFC 8490 §6.4.2, §6.5.2: 0xFFFFFFFF is infinity.
    s = server(keepalive=Keepalive(0xFFFFFFFF, 0xFFFFFFFF))
    s.receive_data(frame(DsoMessage(1, False, 0, (keepalive_tlv(Keepalive()),))), now=0.0)
    assert s.get_timer() is None


# -- §6.6.1, §7.2 Retry Delay -----------------------------------------------------


def test_retry_delay_close() -> None:
    # RFC 8490 §6.6.1: the server sends Retry Delay, ignores later requests, and aborts
    # a client that has not closed within five seconds; the client closes at once.
    c, s = pair()
    s.retry_delay_close(2, 30_000, now=1.0)  # SERVFAIL: overloaded
    (message,) = sent(s)
    assert message.unidirectional and message.rcode == 2
    s.receive_data(frame(DsoMessage(9, False, 0, (SUB,))), now=2.0)
    assert events(s) == [] and s.data_to_send() == b""
    assert s.get_timer() == 6.0
    c.receive_data(frame(message), now=1.0)
    got = events(c)
    assert got[0] == RetryDelayReceived(2, 30_000)
    assert c.closed and not c.aborted and c.retry_delay_ms == 30_000
    s.handle_timer(6.0)
    assert s.aborted


def test_retry_delay_from_a_client_or_as_a_request_aborts() -> None:
    # RFC 8490 §7.2: Retry Delay is a server's unidirectional message only.
    c, s = pair()
    s.receive_data(frame(DsoMessage(0, False, 0, (retry_delay_tlv(1),))), now=1.0)
    assert s.aborted
    c.receive_data(frame(DsoMessage(12, False, 0, (retry_delay_tlv(1),))), now=1.0)
    assert c.aborted


def test_padding_as_primary_aborts() -> None:
    # RFC 8490 §7.3: Encryption Padding is only an Additional TLV.
    _c, s = pair()
    s.receive_data(frame(DsoMessage(0, False, 0, (Tlv(3, b"\0\0"),))), now=1.0)
    assert s.aborted


def test_unidirectional_push_reaches_the_client_owner() -> None:
    c, s = pair()
    s.send_unidirectional(Tlv(PUSH, b"x"), now=1.0)
    c.receive_data(s.data_to_send(), now=1.0)
    (event,) = events(c)
    assert isinstance(event, UnidirectionalReceived) and event.message.primary == Tlv(PUSH, b"x")


def test_padded_session_pads_what_it_sends() -> None:
    s = DsoSession(Role.SERVER, 0.0, known_types=frozenset({SUBSCRIBE}), padding_block=128)
    s.receive_data(frame(DsoMessage(1, False, 0, (SUB,))), now=0.0)
    events(s)
    s.respond(1, 0, now=0.0)
    assert len(s.data_to_send()) % 128 == 0


def test_a_refusing_server_answers_any_first_request_with_retry_delay_and_closes() -> None:
    # RFC 8490 §6.6.2: a server over capacity refuses with a Retry Delay (Keepalive too).
    s = server()
    s.refusal = (5, 60_000)
    s.receive_data(frame(DsoMessage(3, False, 0, (keepalive_tlv(Keepalive()),))), now=0.0)
    (reply,) = sent(s)
    assert (reply.id, reply.rcode) == (3, 5)
    assert reply.primary == retry_delay_tlv(60_000)
    assert s.closed and not s.aborted and not s.established


def test_server_pads_once_the_client_pads() -> None:
    # RFC 8490 §7.3 with RFC 8467 §4.1: padded queries get responses padded to 468.
    s = server()
    s.receive_data(frame(DsoMessage(1, False, 0, (SUB, Tlv(3, bytes(20))))), now=0.0)
    events(s)
    s.respond(1, 0, now=0.0)
    data = s.data_to_send()
    assert len(data) % 468 == 0
    assert decode(data[2:]).tlvs[-1].type == 3
