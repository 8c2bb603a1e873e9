"""Adapters over real loopback sockets: TCP streams and WebSockets (the websockets library)."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect as ws_connect

from lanwise.framing import (
    FramedStream,
    FramedWebSocket,
    FramingError,
    HttpReply,
    LengthPrefixed,
    Message,
    Stack,
    TypeLengthValue,
    accept_websocket,
)


def _tlv() -> Stack[Message]:
    return Stack(TypeLengthValue(), LengthPrefixed(max_length=1000))


async def test_bad_length_closes_only_that_connection() -> None:
    got: list[object] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        framed = FramedStream(reader, writer, _tlv())
        try:
            while True:
                got.append(await framed.receive())
        except (FramingError, EOFError) as exc:
            got.append(exc)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    good_r, good_w = await asyncio.open_connection("127.0.0.1", port)
    bad_r, bad_w = await asyncio.open_connection("127.0.0.1", port)
    bad_w.write(b"\xff\xff\xff\xff")  # a length far over the maximum
    assert await asyncio.wait_for(bad_r.read(), 5) == b""  # the host closed it
    good = FramedStream(good_r, good_w, _tlv())
    await good.send(Message(5, b"still here"))
    await good.close()
    await asyncio.sleep(0.2)
    server.close()
    errors = [g for g in got if isinstance(g, FramingError)]
    assert len(errors) == 1 and errors[0].field == "length"
    assert Message(5, b"still here") in got


async def test_truncated_frame_at_eof_raises() -> None:
    result: list[BaseException] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await FramedStream(reader, writer, _tlv()).receive()
        except (FramingError, EOFError) as exc:
            result.append(exc)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    _, w = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    w.write(_tlv().encode(Message(1, b"abcdef"))[:-2])
    w.close()
    await asyncio.sleep(0.3)
    server.close()
    assert isinstance(result[0], FramingError) and result[0].field == "frame"


async def test_websocket_and_page_on_one_port() -> None:
    echoed: list[Message] = []

    def page(path: str) -> HttpReply:
        return (200, "text/html", b"<p>hi</p>") if path == "/" else (404, "text/plain", b"")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ws = await accept_websocket(reader, writer, page)
        if ws is None:
            return
        framed = FramedWebSocket(ws, _tlv())
        try:
            while True:
                msg = await framed.receive()
                echoed.append(msg)
                await framed.send(Message(msg.type + 1, msg.body))
        except EOFError:
            pass

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    reply = await asyncio.wait_for(r.read(), 5)
    assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"<p>hi</p>")
    async with ws_connect(f"ws://127.0.0.1:{port}/ws") as client:
        framed = FramedWebSocket(client, _tlv())
        for i in range(3):
            await framed.send(Message(10, bytes([i]) * 50))
            assert await asyncio.wait_for(framed.receive(), 5) == Message(11, bytes([i]) * 50)
        await client.send("text is not a frame")
        with pytest.raises(EOFError):
            await asyncio.wait_for(framed.receive(), 5)
    server.close()
    assert len(echoed) == 3
