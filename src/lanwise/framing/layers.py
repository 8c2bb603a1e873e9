"""Sans-IO framers: each turns messages into bytes and bytes back into messages.

A layer has ``encode(message) -> bytes``, ``feed(data) -> list[message]`` and
``end()``. At the bottom of a :class:`~lanwise.framing.Stack` a layer is fed
arbitrary chunks of a byte stream and buffers partial frames; above another
layer it is fed whole frames, and ``end()`` after each one checks that
nothing was left over. ``end()`` at EOF raises :class:`FramingError` for a
truncated frame. No layer does I/O or reads a clock.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Protocol, TypeVar

from lanwise.errors import UsageError
from lanwise.framing.errors import FramingError

__all__ = ["Layer", "LengthPrefixed", "Message", "TypeLengthValue"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
T_contra = TypeVar("T_contra", contravariant=True)

DEFAULT_MAX_LENGTH = 1 << 20  # a frame larger than 1 MiB is an attack or a bug here


class Layer(Protocol[T]):
    """One framing layer: messages of type ``T`` above, bytes below."""

    def encode(self, message: T) -> bytes:
        """The bytes for one message."""
        ...

    def feed(self, data: bytes) -> list[T]:
        """Take bytes from below; return every message now complete."""
        ...

    def end(self) -> None:
        """No more bytes: raise :class:`FramingError` if a frame was cut short."""
        ...


def _check_max(max_length: int, limit: int) -> None:
    if not isinstance(max_length, int) or not 0 < max_length <= limit:
        raise UsageError("max_length", f"must be an integer 1..{limit}", max_length)


class _Buffered:
    """A growing receive buffer with a read position (no copying per frame)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def _take(self, data: bytes) -> None:
        self._buf += data

    def end(self) -> None:
        if self._buf:
            raise FramingError(
                "frame", "truncated: the stream ended inside a frame", len(self._buf)
            )


class LengthPrefixed(_Buffered):
    """Frames as a 4-byte big-endian length, then that many bytes."""

    HEADER = struct.Struct("!I")

    def __init__(self, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        super().__init__()
        _check_max(max_length, 0xFFFFFFFF)
        self.max_length = max_length

    def encode(self, message: bytes) -> bytes:
        """``message`` with its length in front; too long raises :class:`UsageError`."""
        if len(message) > self.max_length:
            raise UsageError("message", f"longer than max_length {self.max_length}", len(message))
        return self.HEADER.pack(len(message)) + message

    def feed(self, data: bytes) -> list[bytes]:
        """Every frame completed by ``data``; a length over the maximum raises."""
        self._take(data)
        out: list[bytes] = []
        buf, pos, size = self._buf, 0, self.HEADER.size
        while len(buf) - pos >= size:
            (length,) = self.HEADER.unpack_from(buf, pos)
            if length > self.max_length:
                raise FramingError("length", f"over max_length {self.max_length}", length)
            if len(buf) - pos - size < length:
                break
            out.append(bytes(buf[pos + size : pos + size + length]))
            pos += size + length
        del buf[:pos]
        return out


@dataclass(frozen=True, slots=True)
class Message:
    """A typed message: ``type`` (0-255) says what ``body`` holds."""

    type: int
    body: bytes = b""


class TypeLengthValue(_Buffered):
    """Frames as a 1-byte type, a 4-byte big-endian length, then the body.

    ``types``: the message types accepted (None: any); another raises
    :class:`FramingError` naming ``type``.
    """

    HEADER = struct.Struct("!BI")

    def __init__(
        self, max_length: int = DEFAULT_MAX_LENGTH, types: frozenset[int] | None = None
    ) -> None:
        super().__init__()
        _check_max(max_length, 0xFFFFFFFF)
        self.max_length = max_length
        self.types = types

    def encode(self, message: Message) -> bytes:
        """The type, the length and the body of ``message``."""
        if not isinstance(message.type, int) or not 0 <= message.type <= 255:
            raise UsageError("type", "must be an integer 0-255", message.type)
        if len(message.body) > self.max_length:
            raise UsageError("body", f"longer than max_length {self.max_length}", len(message.body))
        return self.HEADER.pack(message.type, len(message.body)) + message.body

    def feed(self, data: bytes) -> list[Message]:
        """Every message completed by ``data``; a bad type or length raises."""
        self._take(data)
        out: list[Message] = []
        buf, pos, size = self._buf, 0, self.HEADER.size
        while len(buf) - pos >= size:
            kind, length = self.HEADER.unpack_from(buf, pos)
            if self.types is not None and kind not in self.types:
                raise FramingError("type", "not a message type of this protocol", kind)
            if length > self.max_length:
                raise FramingError("length", f"over max_length {self.max_length}", length)
            if len(buf) - pos - size < length:
                break
            out.append(Message(kind, bytes(buf[pos + size : pos + size + length])))
            pos += size + length
        del buf[:pos]
        return out
