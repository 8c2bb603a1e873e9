"""The codec's error for bad wire data."""

from __future__ import annotations

from lanwise.errors import ProtocolError

__all__ = ["WireFormatError"]


class WireFormatError(ProtocolError):
    """A packet (or part of one) breaks the DNS wire format.

    ``offset`` is the octet position in the packet where the fault was found
    and ``reason`` says what was wrong, so a dropped packet can be logged with
    a useful line.
    """

    def __init__(self, offset: int, reason: str) -> None:
        self.offset = offset
        self.reason = reason
        super().__init__(f"bad DNS message at offset {offset}: {reason}")
