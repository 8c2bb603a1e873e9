"""Run a framing stack over an asyncio stream (TCP) or a WebSocket (the websockets library).

The adapters do the I/O and nothing else: the stack decides what the bytes
mean. A :class:`~lanwise.framing.FramingError` from the stack closes that
one connection and propagates to the caller of :meth:`receive`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from typing import Any, Generic, Protocol, TypeVar

from websockets.exceptions import ConnectionClosed

from lanwise.framing.errors import FramingError
from lanwise.framing.stack import Stack

__all__ = ["FramedStream", "FramedWebSocket", "WebSocketLike"]

T = TypeVar("T")
_READ_SIZE = 65536


class FramedStream(Generic[T]):
    """Messages over an asyncio (reader, writer) pair, framed by ``stack``.

    ``stack`` may be swapped (:meth:`restack`) between messages, as pairing
    does when it moves from plain to sealed frames. ``first``: bytes already
    read from ``reader`` (by a server that sniffed the protocol).
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        stack: Stack[T],
        *,
        first: bytes = b"",
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.stack: Stack[Any] = stack
        self._ready: collections.deque[Any] = collections.deque()
        self._first = first

    def restack(self, stack: Stack[Any]) -> None:
        """Use ``stack`` from the next message on (no bytes may be buffered in the old one)."""
        self.stack = stack

    async def send(self, message: Any) -> None:
        """Frame and send one message (waits for the transport to drain)."""
        self.writer.write(self.stack.encode(message))
        await self.writer.drain()

    def send_nowait(self, message: Any) -> None:
        """Frame and queue one message without waiting for the transport."""
        self.writer.write(self.stack.encode(message))

    async def receive(self) -> Any:
        """The next message; EOFError at a clean end; FramingError (closed) on bad bytes."""
        while not self._ready:
            data, self._first = self._first or await self.reader.read(_READ_SIZE), b""
            try:
                if not data:
                    self.stack.end()
                    raise EOFError("the peer closed the connection")
                self._ready.extend(self.stack.feed(data))
            except FramingError:
                await self.close()
                raise
        return self._ready.popleft()

    async def close(self) -> None:
        """Close the connection."""
        self.writer.close()
        with contextlib.suppress(OSError, ConnectionError, asyncio.CancelledError):
            await self.writer.wait_closed()


class WebSocketLike(Protocol):
    """What :class:`FramedWebSocket` needs: websockets' asyncio ``ClientConnection`` and
    ``ServerConnection`` qualify, and so does :class:`lanwise.framing.websocket.StreamWebSocket`."""

    async def send(self, message: bytes) -> None:
        """Send one binary WebSocket message."""
        ...

    async def recv(self) -> bytes | str:
        """The next WebSocket message."""
        ...

    async def close(self) -> None:
        """Close the WebSocket."""
        ...


class FramedWebSocket(Generic[T]):
    """Messages over a WebSocket, one or more frames of ``stack`` per binary message.

    WebSocket messages already have boundaries, so the stack's bottom layer
    still sees a stream: a message may carry several frames, and a frame
    may span messages. A text message is a framing error (``"opcode"``).
    """

    def __init__(self, websocket: WebSocketLike, stack: Stack[T]) -> None:
        self.websocket = websocket
        self.stack: Stack[Any] = stack
        self._ready: collections.deque[Any] = collections.deque()

    def restack(self, stack: Stack[Any]) -> None:
        """Use ``stack`` from the next message on."""
        self.stack = stack

    async def send(self, message: Any) -> None:
        """Frame one message and send it as one binary WebSocket message."""
        await self.websocket.send(self.stack.encode(message))

    async def receive(self) -> Any:
        """The next message; EOFError when the WebSocket closed between frames."""
        while not self._ready:
            try:
                data = await self.websocket.recv()
            except ConnectionClosed as exc:
                self.stack.end()
                raise EOFError("the peer closed the WebSocket") from exc
            try:
                if isinstance(data, str):
                    raise FramingError("opcode", "text message where binary frames were expected")
                self._ready.extend(self.stack.feed(data))
            except FramingError:
                await self.close()
                raise
        return self._ready.popleft()

    async def close(self) -> None:
        """Close the WebSocket."""
        with contextlib.suppress(Exception):
            await self.websocket.close()
