"""DSO messages on the wire (RFC 8490 §5.4): a DNS header with opcode DSO, then TLVs.

A DSO message is the 12-octet DNS header with OPCODE 6 and all four counts
zero (§5.4), followed by TLVs: a 16-bit DSO-TYPE, a 16-bit DSO-LENGTH and that
many octets of DSO-DATA (§5.4.4). The first TLV of a request or unidirectional
message is its Primary TLV; the rest are Additional TLVs (§5.4.2, §5.4.3).
On a stream every DNS message is framed by a 2-octet length (RFC 1035
§4.2.2, RFC 7766 §8): :class:`StreamFramer`.

dnspython (2.9) knows the DSOTYPENI rcode but neither the DSO opcode nor the
TLV layer, so that layer is here; names and records inside TLVs are dnspython's.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from lanwise.errors import ProtocolError, UsageError

__all__ = [
    "DEFAULT_TIMEOUT_MS",
    "ENCRYPTION_PADDING",
    "HEADER",
    "INFINITE",
    "KEEPALIVE",
    "MIN_KEEPALIVE_MS",
    "OPCODE_DSO",
    "RCODE_DSOTYPENI",
    "RETRY_DELAY",
    "DsoFormError",
    "DsoMessage",
    "Keepalive",
    "StreamFramer",
    "Tlv",
    "decode",
    "decode_keepalive",
    "decode_retry_delay",
    "encode",
    "keepalive_tlv",
    "opcode_of",
    "pad",
    "padding_tlv",
    "retry_delay_tlv",
]

OPCODE_DSO = 6  # RFC 8490 §10.1
RCODE_DSOTYPENI = 11  # RFC 8490 §10.2: DSO-TYPE Not Implemented

# DSO-TYPE codes (RFC 8490 §10.3)
KEEPALIVE = 0x0001  # §7.1
RETRY_DELAY = 0x0002  # §7.2
ENCRYPTION_PADDING = 0x0003  # §7.3

DEFAULT_TIMEOUT_MS = 15_000  # §6.2: both timeouts are 15 s until a Keepalive says otherwise
MIN_KEEPALIVE_MS = 10_000  # §6.5.2: a keepalive interval under ten seconds is an error
INFINITE = 0xFFFFFFFF  # §6.4.2, §6.5.2: "infinity" for either timeout

HEADER = struct.Struct("!HHHHHH")
_TLV = struct.Struct("!HH")
_U32 = struct.Struct("!I")
_U32X2 = struct.Struct("!II")
_QR = 0x8000


class DsoFormError(ProtocolError):
    """A DSO message that breaks RFC 8490 §5.4; ``rule`` names what was wrong.

    ``message_id`` is the ID from the header when it could be read (0 otherwise),
    so a request can still be answered with FORMERR.
    """

    def __init__(self, rule: str, message_id: int = 0, *, response: bool = False) -> None:
        super().__init__(rule)
        self.rule = rule
        self.message_id = message_id
        self.response = response


@dataclass(frozen=True, slots=True)
class Tlv:
    """One DSO TLV: its DSO-TYPE and DSO-DATA (RFC 8490 §5.4.4)."""

    type: int
    data: bytes = b""
    # Where DSO-DATA starts in the received message: names in a PUSH may be
    # compressed against the whole message (RFC 8765 §6.3.1).
    offset: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DsoMessage:
    """A DSO message: header fields and TLVs, the first being primary in a request.

    ``id`` 0 with ``response`` False is a unidirectional message (§5.4.1).
    """

    id: int
    response: bool
    rcode: int = 0
    tlvs: tuple[Tlv, ...] = ()
    wire: bytes = field(default=b"", compare=False, repr=False)  # as received

    @property
    def primary(self) -> Tlv | None:
        """The Primary TLV of a request or unidirectional message (or a response's first TLV)."""
        return self.tlvs[0] if self.tlvs else None

    @property
    def additional(self) -> tuple[Tlv, ...]:
        """The TLVs after the first."""
        return self.tlvs[1:]

    @property
    def unidirectional(self) -> bool:
        """True for a message that expects no response (ID zero, §5.4.1)."""
        return not self.response and self.id == 0


def opcode_of(wire: bytes) -> int | None:
    """The OPCODE of a DNS message, None when it is shorter than a header."""
    if len(wire) < HEADER.size:
        return None
    return (wire[2] >> 3) & 0x0F


def encode(message: DsoMessage) -> bytes:
    """The wire form of ``message`` (no stream length prefix)."""
    if not 0 <= message.id <= 0xFFFF:
        raise UsageError("id", "must be 0-65535", message.id)
    if not 0 <= message.rcode <= 0x0F:
        raise UsageError("rcode", "must fit the header's 4 bits (0-15)", message.rcode)
    flags = (_QR if message.response else 0) | (OPCODE_DSO << 11) | message.rcode
    parts = [HEADER.pack(message.id, flags, 0, 0, 0, 0)]
    for tlv in message.tlvs:
        if not 0 <= tlv.type <= 0xFFFF or len(tlv.data) > 0xFFFF:
            raise UsageError("tlv", "type and length must fit 16 bits", tlv.type)
        parts.append(_TLV.pack(tlv.type, len(tlv.data)))
        parts.append(tlv.data)
    return b"".join(parts)


def decode(wire: bytes) -> DsoMessage:
    """Parse a DSO message; :class:`DsoFormError` for anything §5.4 forbids."""
    if len(wire) < HEADER.size:
        raise DsoFormError("shorter than a DNS header")
    msg_id, flags, qd, an, ns, ar = HEADER.unpack_from(wire)
    response = bool(flags & _QR)
    if (flags >> 11) & 0x0F != OPCODE_DSO:
        raise DsoFormError("opcode is not DSO", msg_id, response=response)
    if qd or an or ns or ar:
        # §5.4: the four count fields MUST be zero; a request gets FORMERR.
        raise DsoFormError("a count field is not zero", msg_id, response=response)
    tlvs: list[Tlv] = []
    pos = HEADER.size
    while pos < len(wire):
        if len(wire) - pos < _TLV.size:
            raise DsoFormError("TLV header cut short", msg_id, response=response)
        tlv_type, length = _TLV.unpack_from(wire, pos)
        pos += _TLV.size
        if len(wire) - pos < length:
            raise DsoFormError("DSO-LENGTH runs past the message", msg_id, response=response)
        tlvs.append(Tlv(tlv_type, bytes(wire[pos : pos + length]), pos))
        pos += length
    return DsoMessage(msg_id, response, flags & 0x0F, tuple(tlvs), bytes(wire))


@dataclass(frozen=True, slots=True)
class Keepalive:
    """The two session timeouts of a Keepalive TLV, in milliseconds (RFC 8490 §7.1)."""

    inactivity_ms: int = DEFAULT_TIMEOUT_MS
    keepalive_ms: int = DEFAULT_TIMEOUT_MS


def keepalive_tlv(values: Keepalive) -> Tlv:
    """A Keepalive TLV carrying ``values``."""
    for name, value in (
        ("inactivity_ms", values.inactivity_ms),
        ("keepalive_ms", values.keepalive_ms),
    ):
        if not 0 <= value <= INFINITE:
            raise UsageError(name, "must be 0-4294967295 ms", value)
    return Tlv(KEEPALIVE, _U32X2.pack(values.inactivity_ms, values.keepalive_ms))


def decode_keepalive(tlv: Tlv) -> Keepalive:
    """The timeouts in a Keepalive TLV; its DSO-DATA is exactly 8 octets (§7.1)."""
    if len(tlv.data) != _U32X2.size:
        raise DsoFormError("Keepalive DSO-DATA is not 8 octets")
    inactivity, keepalive = _U32X2.unpack(tlv.data)
    return Keepalive(inactivity, keepalive)


def retry_delay_tlv(delay_ms: int) -> Tlv:
    """A Retry Delay TLV (§7.2): do not retry within ``delay_ms`` milliseconds."""
    if not 0 <= delay_ms <= INFINITE:
        raise UsageError("delay_ms", "must be 0-4294967295 ms", delay_ms)
    return Tlv(RETRY_DELAY, _U32.pack(delay_ms))


def decode_retry_delay(tlv: Tlv) -> int:
    """The delay in milliseconds of a Retry Delay TLV; its DSO-DATA is 4 octets (§7.2)."""
    if len(tlv.data) != _U32.size:
        raise DsoFormError("Retry Delay DSO-DATA is not 4 octets")
    return int(_U32.unpack(tlv.data)[0])


def padding_tlv(message_length: int, block: int) -> Tlv:
    """Encryption Padding (§7.3) that brings a message of ``message_length`` octets,
    plus its 2-octet stream prefix and the TLV itself, to a multiple of ``block``
    (RFC 8467 §4.1 blocks); the padding octets are zero."""
    if block <= 0:
        raise UsageError("block", "must be positive", block)
    total = message_length + 2 + _TLV.size
    pad = (-total) % block
    return Tlv(ENCRYPTION_PADDING, bytes(pad))


def pad(message: DsoMessage, block: int) -> DsoMessage:
    """``message`` with an Encryption Padding TLV appended as its last TLV (§7.3)."""
    tlv = padding_tlv(len(encode(message)), block)
    return DsoMessage(message.id, message.response, message.rcode, (*message.tlvs, tlv))


class StreamFramer:
    """DNS messages on a byte stream, each after a 2-octet length (RFC 7766 §8).

    Sans-IO: :meth:`feed` takes bytes as they arrive and returns the messages they
    complete; :meth:`frame` adds the prefix to an outgoing one.
    """

    __slots__ = ("_buf",)
    _LENGTH = struct.Struct("!H")

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def buffered(self) -> int:
        """Octets received that do not yet complete a message."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        """Every message completed by ``data``."""
        self._buf += data
        out: list[bytes] = []
        buf, pos = self._buf, 0
        while len(buf) - pos >= 2:
            (length,) = self._LENGTH.unpack_from(buf, pos)
            if len(buf) - pos - 2 < length:
                break
            out.append(bytes(buf[pos + 2 : pos + 2 + length]))
            pos += 2 + length
        del buf[:pos]
        return out

    @classmethod
    def frame(cls, message: bytes) -> bytes:
        """``message`` with its 2-octet length in front."""
        if len(message) > 0xFFFF:
            raise UsageError("message", "longer than 65535 octets cannot be framed", len(message))
        return cls._LENGTH.pack(len(message)) + message
