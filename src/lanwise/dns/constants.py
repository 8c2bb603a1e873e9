"""Numeric constants of the DNS wire format: types, classes, header flags."""

from __future__ import annotations

from enum import IntEnum, IntFlag
from typing import Final

__all__ = [
    "CACHE_FLUSH",
    "MAX_MESSAGE_SIZE",
    "UNICAST_RESPONSE",
    "Flag",
    "Opcode",
    "RRClass",
    "RRType",
    "Rcode",
]

# RFC 6762 §17: a multicast DNS message, even over jumbo-frame links, never
# exceeds 9000 octets including IP and UDP headers; the builder's ceiling.
MAX_MESSAGE_SIZE: Final = 9000
# RFC 6762 §10.2: top bit of a record's class is the cache-flush bit.
CACHE_FLUSH: Final = 0x8000
# RFC 6762 §5.4: top bit of a question's class asks for a unicast response (QU).
UNICAST_RESPONSE: Final = 0x8000


class RRType(IntEnum):
    """Resource record types the codec knows (others are kept as opaque rdata)."""

    A = 1
    NS = 2
    CNAME = 5
    PTR = 12
    HINFO = 13
    TXT = 16
    AAAA = 28
    SRV = 33
    OPT = 41
    NSEC = 47
    ANY = 255


class RRClass(IntEnum):
    """Record classes; mDNS uses IN, and ANY in questions."""

    IN = 1
    ANY = 255


class Flag(IntFlag):
    """Bits of the 16-bit header flags field (RFC 1035 §4.1.1)."""

    QR = 0x8000  # response
    AA = 0x0400  # authoritative answer (set in every mDNS response, RFC 6762 §18.4)
    TC = 0x0200  # truncated; in mDNS queries: more known answers follow (RFC 6762 §18.5)
    RD = 0x0100
    RA = 0x0080
    Z = 0x0040
    AD = 0x0020
    CD = 0x0010


class Opcode(IntEnum):
    """Header opcodes (RFC 1035 §4.1.1); mDNS uses QUERY only (RFC 6762 §18.3)."""

    QUERY = 0
    IQUERY = 1
    STATUS = 2
    NOTIFY = 4
    UPDATE = 5


class Rcode(IntEnum):
    """Header response codes (RFC 1035 §4.1.1); mDNS uses NOERROR (RFC 6762 §18.11)."""

    NOERROR = 0
    FORMERR = 1
    SERVFAIL = 2
    NXDOMAIN = 3
    NOTIMP = 4
    REFUSED = 5
