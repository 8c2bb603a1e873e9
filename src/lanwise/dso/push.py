"""The DNS Push Notification TLVs (RFC 8765 §6.2 to §6.5) on top of DSO.

- SUBSCRIBE (§6.2.1): a name, a type and a class; its response carries no TLV.
- PUSH (§6.3.1): one or more change notifications, each laid out like a
  resource record whose TTL says what it means: 0 to 0x7FFFFFFF adds the
  record; 0xFFFFFFFF removes that one record; 0xFFFFFFFE (with no RDATA)
  removes a whole RRset (type given), every type in a class (type ANY), or
  every record of the name (class ANY, type 0).
- UNSUBSCRIBE (§6.4.1): the MESSAGE ID of the SUBSCRIBE it cancels.
- RECONFIRM (§6.5.1): one record, without TTL or RDLENGTH.

Names are written uncompressed; received ones may be compressed against the
whole message (§6.3.1), so PUSH is read from the message it came in.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.wire

from lanwise.dso.wire import HEADER, DsoFormError, DsoMessage, Tlv

__all__ = [
    "ANY",
    "MAX_PUSH_MESSAGE",
    "PUSH",
    "RECONFIRM",
    "REMOVE_COLLECTIVE",
    "REMOVE_RECORD",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "Change",
    "Question",
    "additions",
    "decode_push",
    "decode_reconfirm",
    "decode_subscribe",
    "decode_unsubscribe",
    "name_wire",
    "push_tlvs",
    "reconfirm_tlv",
    "removals",
    "subscribe_tlv",
    "unsubscribe_tlv",
]

# DSO-TYPE codes (RFC 8765 §10.2)
SUBSCRIBE = 0x0040
PUSH = 0x0041
UNSUBSCRIBE = 0x0042
RECONFIRM = 0x0043

ANY = 255  # TYPE or CLASS ANY: in SUBSCRIBE it means all (§6.2.1)
REMOVE_RECORD = 0xFFFFFFFF  # §6.3.1: remove this one record
REMOVE_COLLECTIVE = 0xFFFFFFFE  # §6.3.1: remove an RRset, a class or a whole name
MAX_ADD_TTL = 0x7FFFFFFF
MAX_PUSH_MESSAGE = 16382  # §6.3.1: a PUSH message is at most this long (without the length prefix)
PADDING_ROOM = 468 + 4  # the largest Encryption Padding TLV a 468-octet block needs
_TYPE_CLASS = struct.Struct("!HH")
_RR_FIXED = struct.Struct("!HHIH")
_ID = struct.Struct("!H")


@dataclass(frozen=True, slots=True)
class Question:
    """What a SUBSCRIBE asks for: a name, a type and a class (ANY: all, §6.2.1)."""

    name: dns.name.Name
    rdtype: int
    rdclass: int = dns.rdataclass.IN

    def key(self) -> tuple[dns.name.Name, int, int]:
        """The question with case folded, for the duplicate rule (§6.2.1, RFC 20 case)."""
        return (self.name.canonicalize(), self.rdtype, self.rdclass)

    def matches(self, name: dns.name.Name, rdtype: int, rdclass: int) -> bool:
        """True when a record of (name, type, class) answers this question."""
        return (
            name == self.name
            and (self.rdtype in (ANY, rdtype) or rdtype == ANY)
            and (self.rdclass in (ANY, rdclass) or rdclass == ANY)
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One change notification of a PUSH (§6.3.1).

    ``ttl`` 0 to 0x7FFFFFFF adds ``rdata``; :data:`REMOVE_RECORD` removes it;
    :data:`REMOVE_COLLECTIVE` (``rdata`` None) removes the RRset of ``rdtype``,
    all types when ``rdtype`` is ANY, or everything at the name when
    ``rdclass`` is ANY.
    """

    name: dns.name.Name
    rdtype: int
    rdclass: int
    ttl: int
    rdata: dns.rdata.Rdata | None = None

    @property
    def added(self) -> bool:
        """True for an addition."""
        return self.ttl <= MAX_ADD_TTL


def additions(rrset: dns.rrset.RRset) -> list[Change]:
    """Change notifications adding every record of ``rrset`` with its TTL."""
    ttl = min(rrset.ttl, MAX_ADD_TTL)
    return [Change(rrset.name, rrset.rdtype, rrset.rdclass, ttl, rdata) for rdata in rrset]


def removals(rrset: dns.rrset.RRset, *, whole: bool = False) -> list[Change]:
    """Change notifications removing ``rrset``: one per record, or when ``whole``
    one collective removal of the RRset (the server's SHOULD of §6.3.1)."""
    if whole:
        return [Change(rrset.name, rrset.rdtype, rrset.rdclass, REMOVE_COLLECTIVE)]
    return [
        Change(rrset.name, rrset.rdtype, rrset.rdclass, REMOVE_RECORD, rdata) for rdata in rrset
    ]


def subscribe_tlv(question: Question) -> Tlv:
    """The SUBSCRIBE TLV for ``question``."""
    return Tlv(
        SUBSCRIBE, name_wire(question.name) + _TYPE_CLASS.pack(question.rdtype, question.rdclass)
    )


def name_wire(name: dns.name.Name) -> bytes:
    """``name`` in uncompressed wire form."""
    wire = name.to_wire()
    assert wire is not None  # only None when writing to a file
    return wire


def _question_from(parser: dns.wire.Parser) -> Question:
    name = parser.get_name()
    rdtype, rdclass = parser.get_struct("!HH")
    return Question(name, rdtype, rdclass)


def decode_subscribe(tlv: Tlv) -> Question:
    """The question of a SUBSCRIBE TLV: exactly one NAME, TYPE and CLASS (§6.2.1)."""
    try:
        parser = dns.wire.Parser(tlv.data)
        question = _question_from(parser)
    except dns.exception.DNSException as exc:
        raise DsoFormError(f"SUBSCRIBE DSO-DATA is not a question ({exc})") from None
    if parser.remaining():
        raise DsoFormError("SUBSCRIBE DSO-DATA has octets after the question")
    if not question.name.is_absolute():
        raise DsoFormError("SUBSCRIBE name is not absolute")
    return question


def unsubscribe_tlv(subscribe_id: int) -> Tlv:
    """The UNSUBSCRIBE TLV cancelling the SUBSCRIBE with MESSAGE ID ``subscribe_id``."""
    return Tlv(UNSUBSCRIBE, _ID.pack(subscribe_id))


def decode_unsubscribe(tlv: Tlv) -> int:
    """The SUBSCRIBE MESSAGE ID an UNSUBSCRIBE cancels; DSO-LENGTH is 2 (§6.4.1)."""
    if len(tlv.data) != _ID.size:
        raise DsoFormError("UNSUBSCRIBE DSO-DATA is not 2 octets")
    return int(_ID.unpack(tlv.data)[0])


def reconfirm_tlv(name: dns.name.Name, rdclass: int, rdata: dns.rdata.Rdata) -> Tlv:
    """The RECONFIRM TLV disputing one record (§6.5.1)."""
    body = rdata.to_wire() or b""
    return Tlv(RECONFIRM, name_wire(name) + _TYPE_CLASS.pack(rdata.rdtype, rdclass) + body)


def decode_reconfirm(tlv: Tlv) -> tuple[dns.name.Name, int, dns.rdata.Rdata]:
    """(name, class, rdata) of a RECONFIRM; TYPE and CLASS are never ANY (§6.5.1)."""
    try:
        parser = dns.wire.Parser(tlv.data)
        question = _question_from(parser)
        if ANY in (question.rdtype, question.rdclass):
            raise DsoFormError("RECONFIRM TYPE or CLASS is ANY")
        with parser.restrict_to(parser.remaining()):
            rdata = dns.rdata.from_wire_parser(
                dns.rdataclass.RdataClass.make(question.rdclass),
                dns.rdatatype.RdataType.make(question.rdtype),
                parser,
            )
    except dns.exception.DNSException as exc:
        raise DsoFormError(f"RECONFIRM DSO-DATA is not a record ({exc})") from None
    return question.name, question.rdclass, rdata


def _change_wire(change: Change) -> bytes:
    body = b"" if change.rdata is None else change.rdata.to_wire() or b""
    fixed = _RR_FIXED.pack(change.rdtype, change.rdclass, change.ttl, len(body))
    return name_wire(change.name) + fixed + body


def push_tlvs(changes: Iterable[Change]) -> list[Tlv]:
    """PUSH TLVs carrying ``changes``, each in a message of at most 16382 octets (§6.3.1)."""
    # Room is left for an Encryption Padding TLV to a 468-octet block (RFC 8467 §4.1).
    limit = MAX_PUSH_MESSAGE - HEADER.size - 4 - PADDING_ROOM
    out: list[Tlv] = []
    parts: list[bytes] = []
    size = 0
    for change in changes:
        wire = _change_wire(change)
        if size + len(wire) > limit and parts:
            out.append(Tlv(PUSH, b"".join(parts)))
            parts, size = [], 0
        parts.append(wire)
        size += len(wire)
    if parts:
        out.append(Tlv(PUSH, b"".join(parts)))
    return out


def decode_push(message: DsoMessage, tlv: Tlv) -> list[Change]:
    """The change notifications of a PUSH TLV received in ``message``.

    Raises :class:`DsoFormError` for what §6.3.1 makes fatal (no notification,
    ANY in an addition or single removal, RDATA in a collective removal, a PUSH
    over 16382 octets); notifications with another TTL are skipped.
    """
    if len(message.wire) > MAX_PUSH_MESSAGE:
        raise DsoFormError("PUSH message longer than 16382 octets")
    wire = message.wire or HEADER.pack(0, 0, 0, 0, 0, 0) + b"\0\0\0\0" + tlv.data
    start = tlv.offset if message.wire else HEADER.size + 4
    changes: list[Change] = []
    try:
        parser = dns.wire.Parser(wire, start)
        with parser.restrict_to(len(tlv.data)):
            while parser.remaining():
                name = parser.get_name(decompress=True)
                rdtype, rdclass, ttl, rdlen = parser.get_struct("!HHIH")
                if ttl == REMOVE_COLLECTIVE:
                    if rdlen:
                        raise DsoFormError("collective removal with RDATA")
                    rdtype = 0 if rdclass == ANY else rdtype
                    changes.append(Change(name, rdtype, rdclass, ttl))
                    continue
                if ttl != REMOVE_RECORD and ttl > MAX_ADD_TTL:
                    parser.get_bytes(rdlen)  # §6.3.1: an unknown TTL skips this notification
                    continue
                if ANY in (rdtype, rdclass):
                    raise DsoFormError("TYPE or CLASS ANY in an addition or single removal")
                with parser.restrict_to(rdlen):
                    rdata = dns.rdata.from_wire_parser(
                        dns.rdataclass.RdataClass.make(rdclass),
                        dns.rdatatype.RdataType.make(rdtype),
                        parser,
                    )
                changes.append(Change(name, rdtype, rdclass, ttl, rdata))
    except dns.exception.DNSException as exc:
        raise DsoFormError(f"PUSH change notification is malformed ({exc})") from None
    if not changes and not tlv.data:
        raise DsoFormError("PUSH with no change notification")
    return changes
