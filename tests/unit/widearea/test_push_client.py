"""The DNS Push client (RFC 8765) against bad servers: requests from the server, a dying loop."""

from __future__ import annotations

import asyncio

import dns.rdatatype
import dns.rrset
import pytest

from lanwise.dso.push import Question, additions, push_tlvs
from lanwise.dso.wire import DsoMessage, StreamFramer, encode
from lanwise.proxy.pushconn import PushConnection, PushLimits
from lanwise.widearea.push import PushState, PushSubscriber
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


async def test_an_unexpected_failure_in_the_read_loop_closes_the_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The browse falls back to polling when the session is closed; a loop that died
    # with the session still open would leave it waiting forever.
    def fail(self: PushState, data: bytes, now: float) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(PushState, "receive", fail)
    written: asyncio.Future[asyncio.StreamWriter] = asyncio.get_running_loop().create_future()

    async def serve(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        written.set_result(writer)
        writer.write(b"\x00\x02ab")

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    subscriber = PushSubscriber(reader, writer, f"127.0.0.1 port {port}")
    try:
        await asyncio.wait_for(asyncio.shield(subscriber._task), 2)
        assert subscriber.closed
    finally:
        await subscriber.aclose()
        (await written).close()
        server.close()
        await server.wait_closed()
