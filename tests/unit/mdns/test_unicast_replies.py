"""RFC 6762 §6 / §5.4: which unicast responses the querier accepts, split replies included.

A reply to a QU question may not fit one packet (§17): python-zeroconf sends the
answers first and continues with packets that hold only SRV/TXT/address records.
Those continuation packets are part of the reply; unicast responses from anyone
else that answer nothing we asked stay ignored. Fake clock throughout.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address

from lanwise.dns import PTR, SRV, TXT, A, Flag, Message, Name, Record, RRType
from lanwise.mdns.endpoints import EngineEndpoint
from lanwise.mdns.querier import UNICAST_RESPONSE_WINDOW, Querier

SERVICE = Name.from_text("_http._tcp.local")
INSTANCE = Name.from_text("Kitchen._http._tcp.local")
HOST = Name.from_text("kitchen.local")
PEER = EngineEndpoint(IPv4Address("192.168.1.5"), 5353)
OTHER = EngineEndpoint(IPv4Address("192.168.1.6"), 5353)


def reply(answers: tuple[Record, ...], additionals: tuple[Record, ...] = ()) -> Message:
    return Message(flags=Flag.QR | Flag.AA, answers=answers, additionals=additionals)


PTR_RECORD = Record.of(SERVICE, PTR(INSTANCE), 4500)
SRV_RECORD = Record.of(INSTANCE, SRV(0, 0, 80, HOST), 120, cache_flush=True)
TXT_RECORD = Record.of(INSTANCE, TXT((b"a=1",)), 4500, cache_flush=True)
A_RECORD = Record.of(HOST, A(IPv4Address("192.168.1.5")), 120, cache_flush=True)


def asked_qu(interface: int = 1) -> tuple[Querier, float]:
    """A querier that sent a QU PTR question on ``interface``; returns it and the send time."""
    q = Querier(random.Random(3))
    q.add_interface(interface, 0.0)
    q.start_query(SERVICE, RRType.PTR, 0.0, unicast_first=True)
    when = q.get_timer()
    assert when is not None
    assert q.handle_timer(when)
    return q, when


def test_continuation_packets_of_a_unicast_reply_are_accepted() -> None:
    """§6/§17: answerless packets continuing an accepted reply (same source) are cached."""
    q, sent = asked_qu()
    assert q.handle_response(reply((PTR_RECORD,)), 1, sent + 0.01, source=PEER, unicast=True)
    assert q.handle_response(
        reply((), (SRV_RECORD, TXT_RECORD)), 1, sent + 0.011, source=PEER, unicast=True
    )
    assert q.handle_response(reply((), (A_RECORD,)), 1, sent + 0.012, source=PEER, unicast=True)
    now = sent + 0.02
    assert [c.record for c in q.lookup(INSTANCE, RRType.SRV, now)] == [SRV_RECORD]
    assert [c.record for c in q.lookup(INSTANCE, RRType.TXT, now)] == [TXT_RECORD]
    assert [c.record for c in q.lookup(HOST, RRType.A, now)] == [A_RECORD]
    assert q.statistics().unicast_responses_ignored == 0


def test_answerless_unicast_packet_from_a_host_that_did_not_reply_is_ignored() -> None:
    """§6: "asked" needs a matching answer first; other sources' additionals are unsolicited."""
    q, sent = asked_qu()
    assert not q.handle_response(
        reply((), (SRV_RECORD,)), 1, sent + 0.01, source=PEER, unicast=True
    )
    assert q.handle_response(reply((PTR_RECORD,)), 1, sent + 0.02, source=PEER, unicast=True)
    # PEER replied; OTHER did not: its answerless packet is still ignored.
    assert not q.handle_response(
        reply((), (TXT_RECORD,)), 1, sent + 0.03, source=OTHER, unicast=True
    )
    assert q.lookup(INSTANCE, RRType.TXT, sent + 0.04) == []
    assert q.statistics().unicast_responses_ignored == 2


def test_continuations_end_with_the_two_second_window() -> None:
    """§6: the reply, continuation packets included, must come within two seconds of the query."""
    q, sent = asked_qu()
    assert q.handle_response(reply((PTR_RECORD,)), 1, sent + 0.5, source=PEER, unicast=True)
    late = sent + UNICAST_RESPONSE_WINDOW + 0.001
    assert not q.handle_response(reply((), (SRV_RECORD,)), 1, late, source=PEER, unicast=True)
    assert q.lookup(INSTANCE, RRType.SRV, late) == []


def test_continuations_are_per_interface() -> None:
    """§6: a reply on one interface says nothing about unicast packets on another."""
    q, sent = asked_qu()
    q.add_interface(2, sent)
    assert q.handle_response(reply((PTR_RECORD,)), 1, sent + 0.01, source=PEER, unicast=True)
    assert not q.handle_response(
        reply((), (SRV_RECORD,)), 2, sent + 0.02, source=PEER, unicast=True
    )


def test_unicast_answers_to_nothing_asked_stay_ignored_even_from_a_replier() -> None:
    """§6: without a QU question in the window, a former replier's packets are unsolicited."""
    q, sent = asked_qu()
    assert q.handle_response(reply((PTR_RECORD,)), 1, sent + 0.01, source=PEER, unicast=True)
    later = sent + 10.0
    assert not q.handle_response(reply((A_RECORD,)), 1, later, source=PEER, unicast=True)
    assert not q.handle_response(reply((), (A_RECORD,)), 1, later, source=PEER, unicast=True)


def test_a_reply_without_a_known_source_gets_no_continuations() -> None:
    """Without the sender's endpoint nothing links packets: each must answer a QU question."""
    q, sent = asked_qu()
    assert q.handle_response(reply((PTR_RECORD,)), 1, sent + 0.01, unicast=True)
    assert not q.handle_response(reply((), (SRV_RECORD,)), 1, sent + 0.02, unicast=True)


def test_a_complete_split_reply_leaves_no_follow_up_query_to_send() -> None:
    """§5.2: with the continuation's unique SRV/TXT/A cached, resolving asks nothing more.

    The follow-up queries keep §5.2's 20-120 ms first-query delay (see docs/mdns.md);
    accepting continuation packets is what makes them unnecessary.
    """
    q, sent = asked_qu()
    now = sent + 0.01
    assert q.handle_response(reply((PTR_RECORD,)), 1, now, source=PEER, unicast=True)
    assert q.handle_response(
        reply((), (SRV_RECORD, TXT_RECORD, A_RECORD)), 1, now, source=PEER, unicast=True
    )
    for name, rtype in ((INSTANCE, RRType.SRV), (INSTANCE, RRType.TXT), (HOST, RRType.A)):
        q.start_query(name, rtype, now, unicast_first=True)
    packets = []
    while (when := q.get_timer()) is not None and when <= sent + 0.9:
        packets.extend(q.handle_timer(when))
    assert packets == []
