"""Whatever a peer sends, a Push session (server or client) answers, ignores or closes."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from lanwise.dso.push import Question
from lanwise.dso.wire import StreamFramer
from lanwise.proxy.pushconn import PushConnection
from lanwise.widearea.push import PushState
from tests.unit.proxy.fakesource import SERVICE, FakeSource

HEADER = struct.Struct("!HHHHHH")

tlv = st.builds(
    lambda t, data: struct.pack("!HH", t, len(data)) + data,
    st.sampled_from([0, 1, 2, 3, 0x40, 0x41, 0x42, 0x43, 0xF800]),
    st.one_of(
        st.binary(max_size=40),
        st.just(b"\x05_http\x04_tcp\x05lan-a\x07example\x04test\x00\x00\x0c\x00\x01"),
    ),
)
message = st.builds(
    lambda msg_id, flags, counts, tlvs: HEADER.pack(msg_id, flags, *counts) + b"".join(tlvs),
    st.sampled_from([0, 1, 2, 0xFFFF]),
    st.sampled_from(
        [0x3000, 0xB000, 0x3005, 0x0100, 0x2800]
    ),  # DSO request/response, QUERY, UPDATE
    st.tuples(*[st.sampled_from([0, 0, 0, 1]) for _ in range(4)]),
    st.lists(tlv, max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(message, st.binary(max_size=30)), min_size=1, max_size=8), st.booleans())
def test_random_client_input_never_raises(messages: list[bytes], cut: bool) -> None:
    source = FakeSource()
    source.add(SERVICE, 60, "PTR", "a._http._tcp.lan-a.example.test.")
    conn = PushConnection(source, "192.0.2.1", 0.0)
    data = b"".join(StreamFramer.frame(m) for m in messages)
    if cut:
        data = data[:-1]
    conn.receive(data, 1.0)
    source.add(SERVICE, 60, "PTR", "b._http._tcp.lan-a.example.test.")
    conn.tick(2.0)
    conn.tick(1000.0)
    conn.session.data_to_send()
    if conn.session.closed:
        assert source.subscribers == []  # a closed session holds nothing at the source


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(message, st.binary(max_size=30)), min_size=1, max_size=8))
def test_random_server_input_never_raises_at_the_client(messages: list[bytes]) -> None:
    source = FakeSource()
    client = PushState(0.0)
    server = PushConnection(source, "192.0.2.1", 0.0)
    client.subscribe(Question(SERVICE, 12), 0.0)
    server.receive(client.session.data_to_send(), 0.0)
    client.receive(server.session.data_to_send(), 0.0)
    assert client.session.established
    client.receive(b"".join(StreamFramer.frame(m) for m in messages), 1.0)
    client.session.handle_timer(1000.0)
    client.process(1000.0)
    client.session.data_to_send()
