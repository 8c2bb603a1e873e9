"""The DNS Push client (RFC 8765) against bad servers."""

from __future__ import annotations

import dns.rdatatype
import dns.rrset

from lanwise.dso.push import Question, additions, push_tlvs
from lanwise.dso.wire import DsoMessage, StreamFramer, encode
from lanwise.proxy.pushconn import PushConnection, PushLimits
from lanwise.widearea.push import PushState
from tests.unit.proxy.fakesource import SERVICE, FakeSource

PTR = dns.rdatatype.PTR


def test_rfc8765_s6_3_1_a_push_with_a_nonzero_message_id_aborts_the_session() -> None:
    client = PushState(0.0)
    server = PushConnection(FakeSource(), "192.0.2.9", 0.0, PushLimits())
    client.subscribe(Question(SERVICE, PTR), 0.0)
    server.receive(client.session.data_to_send(), 0.0)
    client.receive(server.session.data_to_send(), 0.0)
    assert client.session.established and not client.session.closed
    rrset = dns.rrset.from_text(SERVICE, 60, "IN", "PTR", "a._http._tcp.lan-a.example.test.")
    (tlv,) = push_tlvs(list(additions(rrset)))
    client.receive(StreamFramer.frame(encode(DsoMessage(7, False, 0, (tlv,)))), 1.0)
    assert client.session.aborted
    assert client.lookup(SERVICE, PTR) == []
