"""A WebSocket server connection on a stream lanwise accepted, driven by websockets' sans-IO core.

:func:`lanwise.net.listen` hands over (reader, writer) pairs bound per
interface; :func:`accept_websocket` runs the HTTP/1.1 handshake on one with
``websockets.server.ServerProtocol`` (the websockets library does every
byte of the WebSocket protocol; this module only moves them). A plain HTTP
request (no ``Upgrade``) is answered by ``http(path)``, so one port can
serve both a page and its WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
from collections.abc import Callable

from websockets.datastructures import Headers
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol

__all__ = ["HttpReply", "StreamWebSocket", "accept_websocket"]

HttpReply = tuple[int, str, bytes]  # status, content type, body
_READ_SIZE = 65536


class StreamWebSocket:
    """An open server-side WebSocket over an asyncio stream (see :func:`accept_websocket`).

    ``recv`` returns each data message (bytes for binary, str for text) and
    raises ``websockets.exceptions.ConnectionClosed`` once the connection
    closed, like websockets' own connections, so :class:`FramedWebSocket`
    runs over either.
    """

    def __init__(
        self,
        protocol: ServerProtocol,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: Request,
    ) -> None:
        self.protocol = protocol
        self.reader = reader
        self.writer = writer
        self.request = request
        self._pending: list[bytes | str] = []

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.writer.write(data)
            elif self.writer.can_write_eof():
                with contextlib.suppress(OSError):
                    self.writer.write_eof()

    async def send(self, message: bytes | str) -> None:
        """Send one data message (binary for bytes)."""
        if isinstance(message, str):
            self.protocol.send_text(message.encode())
        else:
            self.protocol.send_binary(message)
        self._flush()
        await self.writer.drain()

    async def recv(self) -> bytes | str:
        """The next data message (pings are answered by the protocol)."""
        while not self._pending:
            if self.protocol.state is State.CLOSED:
                raise self.protocol.close_exc
            data = await self.reader.read(_READ_SIZE)
            if data:
                self.protocol.receive_data(data)
            else:
                self.protocol.receive_eof()
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.BINARY:
                    self._pending.append(bytes(event.data))
                elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    self._pending.append(bytes(event.data).decode(errors="replace"))
            self._flush()
            if not data and not self._pending:
                self.writer.close()
                raise self.protocol.close_exc
        return self._pending.pop(0)

    async def close(self) -> None:
        """Send a close frame and close the stream."""
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(1000)
            self._flush()
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


async def accept_websocket(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    http_handler: Callable[[str], HttpReply],
    *,
    max_size: int = 1 << 20,
    first: bytes = b"",
) -> StreamWebSocket | None:
    """Read an HTTP request; upgrade it to a WebSocket, or answer it with ``http_handler(path)``.

    Returns the open :class:`StreamWebSocket`, or None when the request was
    plain HTTP (answered and closed) or broken. ``first``: bytes already read
    from the stream (a server that sniffs the protocol passes them back).
    """
    protocol = ServerProtocol(max_size=max_size)
    data = first or await reader.read(_READ_SIZE)
    while True:
        if data:
            protocol.receive_data(data)
        else:
            protocol.receive_eof()
        events = protocol.events_received()
        if events or not data:
            break
        data = await reader.read(_READ_SIZE)
    request = events[0] if events else None
    if not isinstance(request, Request):
        writer.close()
        return None
    if "websocket" in request.headers.get("Upgrade", "").lower():
        response = protocol.accept(request)
    else:
        status, content_type, body = http_handler(request.path)
        phrase = http.HTTPStatus(status).phrase
        headers = Headers(
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("Connection", "close"),
            ]
        )
        response = Response(status, phrase, headers, body)
    protocol.send_response(response)
    for chunk in protocol.data_to_send():
        if chunk:
            writer.write(chunk)
    await writer.drain()
    if response.status_code != 101:
        writer.close()
        return None
    return StreamWebSocket(protocol, reader, writer, request)
