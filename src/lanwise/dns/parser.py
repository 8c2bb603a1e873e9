"""parse_message: bytes → Message, bounds-checked, one error type for bad data.

This is the hot path of the mDNS engine (every packet on the link comes
through here), so the loop is flat: precompiled :class:`struct.Struct`
readers, one name cache per packet shared by all names (a record owner that
is just a pointer to a known name costs a dict lookup and reuses the Name
object), and questions, records and the message built through private
"twin" classes with the same slots rather than the validating dataclass
``__init__`` (:mod:`lanwise.dns.twins` says why): the packet was already
checked, and the results are ordinary frozen instances.

Compiled (docs/compiled.md), the same loop reads the header octets directly,
fills the objects' slots from C (:mod:`lanwise.dns._slots`) instead of going
through twins, and takes a repeated A, AAAA, TXT, PTR or SRV rdata straight
from the decoders' caches in one C call; the decoders below handle the rest.

Everything that can go wrong with the data raises :class:`WireFormatError`;
a final guard converts any other exception (which would be a bug) into one,
so callers only ever need to catch that.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Final

from lanwise.dns._slots import new_message, new_question, new_record
from lanwise.dns.compression import read_name
from lanwise.dns.errors import WireFormatError
from lanwise.dns.message import Message
from lanwise.dns.name import Name, _intern, _interned
from lanwise.dns.rdata import (
    DECODERS,
    Rdata,
    _a_cache,
    _aaaa_cache,
    _decode_a,
    _decode_ptr,
    _decode_srv,
    _decode_txt,
    _decode_unknown,
    _ptr_cache,
    _srv_cache,
    _txt_cache,
)
from lanwise.dns.record import Question, Record
from lanwise.dns.twins import finish_as

__all__ = ["parse_message"]

HEADER_SIZE: Final = 12
_MIN_QUESTION: Final = 5  # root name + type + class
_MIN_RECORD: Final = 11  # root name + type + class + ttl + rdlength

_unpack_header = struct.Struct("!HHHHHH").unpack_from
_unpack_question = struct.Struct("!HH").unpack_from
_unpack_record = struct.Struct("!HHIH").unpack_from
_unpack_pointer_record = struct.Struct("!HHHIH").unpack_from
_new = object.__new__
_decoders_get = DECODERS.get
# True when this module runs compiled (docs/compiled.md): the parser then fills
# objects through lanwise.dns._slots and reads octets directly instead.
_COMPILED: Final = not __file__.endswith(".py")
# compression.pxd's C lookup of an already-decoded rdata (compiled only), declared
# here for the type checker: rtype, data, start, end, names, then the rdata caches
# (A, AAAA, TXT, PTR, SRV) and the name interning table and function.
_c_cached_rdata: Callable[..., Rdata | None]


class _QuestionTwin:
    """Same slot layout as :class:`Question` (see :mod:`lanwise.dns.twins`)."""

    __slots__ = Question.__slots__
    name: Name
    qtype: int
    qclass: int
    unicast_response: bool


class _RecordTwin:
    """Same slot layout as :class:`Record`, minus the frozen ``__setattr__``."""

    __slots__ = Record.__slots__
    name: Name
    rtype: int
    rclass: int
    ttl: int
    rdata: Rdata
    cache_flush: bool


class _MessageTwin:
    """Same slot layout as :class:`Message` (see :mod:`lanwise.dns.twins`)."""

    __slots__ = Message.__slots__
    id: int
    flags: int
    questions: tuple[Question, ...]
    answers: tuple[Record, ...]
    authorities: tuple[Record, ...]
    additionals: tuple[Record, ...]


def parse_message(data: bytes | bytearray | memoryview) -> Message:
    """Parse one DNS message.

    Raises :class:`WireFormatError` (with ``offset`` and ``reason``) for any
    malformed input and never any other exception. Octets after the last
    record counted in the header are ignored.
    """
    if type(data) is not bytes:  # subclasses too: the compiled _parse takes exact bytes
        data = bytes(data)
    try:
        return _parse(data)
    except WireFormatError:
        raise
    except Exception as exc:  # a safety net: malformed input must never crash a caller
        raise WireFormatError(0, f"undecodable message ({type(exc).__name__}: {exc})") from exc


def _parse(data: bytes) -> Message:
    n = len(data)
    if n < HEADER_SIZE:
        raise WireFormatError(n, f"message shorter than the {HEADER_SIZE}-octet header")
    if _COMPILED:  # octet arithmetic is C here; in Python one unpack call is cheaper
        ident = (data[0] << 8) | data[1]
        flags = (data[2] << 8) | data[3]
        qdcount = (data[4] << 8) | data[5]
        ancount = (data[6] << 8) | data[7]
        nscount = (data[8] << 8) | data[9]
        arcount = (data[10] << 8) | data[11]
    else:
        ident, flags, qdcount, ancount, nscount, arcount = _unpack_header(data, 0)
    if HEADER_SIZE + qdcount * _MIN_QUESTION + (ancount + nscount + arcount) * _MIN_RECORD > n:
        raise WireFormatError(4, "section counts larger than the packet can hold")
    names: dict[int, Name] = {}
    pos = HEADER_SIZE

    questions: list[Question] = []
    for _ in range(qdcount):
        name, pos = read_name(data, pos, names)
        if pos + 4 > n:
            raise WireFormatError(pos, "question cut short")
        if _COMPILED:
            qtype = (data[pos] << 8) | data[pos + 1]
            qclass = (data[pos + 2] << 8) | data[pos + 3]
            pos += 4
            questions.append(new_question(Question, name, qtype, qclass & 0x7FFF, qclass > 0x7FFF))
            continue
        qtype, qclass = _unpack_question(data, pos)
        pos += 4
        question = _new(_QuestionTwin)
        question.name = name
        question.qtype = qtype
        question.qclass = qclass & 0x7FFF
        question.unicast_response = qclass > 0x7FFF
        questions.append(finish_as(question, Question))

    sections: list[tuple[Record, ...]] = []
    for count in (ancount, nscount, arcount):
        if not count:
            sections.append(())
            continue
        records: list[Record] = []
        append = records.append
        for _ in range(count):
            # Fast path: the owner name is one pointer to a name already decoded
            # in this packet (a dict lookup instead of a call to read_name).
            owner: Name | None = None
            if _COMPILED:
                if pos + 12 <= n and data[pos] >= 0xC0:
                    target = ((data[pos] & 0x3F) << 8) | data[pos + 1]
                    if target < pos:
                        owner = names.get(target)
                        if owner is not None:
                            pos += 2
                if owner is None:
                    owner, pos = read_name(data, pos, names)
                    if pos + 10 > n:
                        raise WireFormatError(pos, "record header cut short")
                rtype = (data[pos] << 8) | data[pos + 1]
                rclass = (data[pos + 2] << 8) | data[pos + 3]
                ttl = data[pos + 4]
                ttl = (ttl << 24) | (data[pos + 5] << 16) | (data[pos + 6] << 8) | data[pos + 7]
                rdlength = (data[pos + 8] << 8) | data[pos + 9]
                pos += 10
            else:
                # In Python, read the pointer and the record header in one unpack.
                if pos + 12 <= n and data[pos] >= 0xC0:
                    pointer, rtype, rclass, ttl, rdlength = _unpack_pointer_record(data, pos)
                    target = pointer & 0x3FFF
                    if target < pos:
                        owner = names.get(target)
                        if owner is not None:
                            pos += 12
                if owner is None:
                    owner, pos = read_name(data, pos, names)
                    if pos + 10 > n:
                        raise WireFormatError(pos, "record header cut short")
                    rtype, rclass, ttl, rdlength = _unpack_record(data, pos)
                    pos += 10
            end = pos + rdlength
            if end > n:
                raise WireFormatError(pos - 2, f"rdata length {rdlength} runs past the packet")
            # The four types of every DNS-SD answer are called directly (a C call when
            # compiled); the rest go through the table.
            rdata: Rdata | None = None
            if _COMPILED:  # a record seen before: its rdata from the caches, all in C
                rdata = _c_cached_rdata(  # noqa: F821 (C: see above)
                    rtype, data, pos, end, names, _a_cache, _aaaa_cache, _txt_cache,
                    _ptr_cache, _srv_cache, _interned, _intern,
                )  # fmt: skip
            if rdata is not None:
                pass
            elif rtype == 12:
                rdata = _decode_ptr(data, pos, end, names)
            elif rtype == 33:
                rdata = _decode_srv(data, pos, end, names)
            elif rtype == 16:
                rdata = _decode_txt(data, pos, end, names)
            elif rtype == 1:
                rdata = _decode_a(data, pos, end, names)
            else:
                decoder = _decoders_get(rtype)
                rdata = (
                    decoder(data, pos, end, names)
                    if decoder is not None
                    else _decode_unknown(rtype, data, pos, end)
                )
            pos = end
            if _COMPILED:
                if rtype == 41:  # OPT: the class is the UDP payload size (RFC 6891 §6.1.2)
                    append(new_record(Record, owner, rtype, rclass, ttl, rdata, False))
                else:
                    flush = rclass > 0x7FFF
                    append(new_record(Record, owner, rtype, rclass & 0x7FFF, ttl, rdata, flush))
                continue
            record = _new(_RecordTwin)
            record.name = owner
            record.rtype = rtype
            record.ttl = ttl
            record.rdata = rdata
            if rtype == 41:  # OPT: the class is the UDP payload size (RFC 6891 §6.1.2)
                record.rclass = rclass
                record.cache_flush = False
            else:
                record.rclass = rclass & 0x7FFF
                record.cache_flush = rclass > 0x7FFF
            append(finish_as(record, Record))
        sections.append(tuple(records))

    answers, authorities, additionals = sections
    qd = tuple(questions) if questions else ()
    if _COMPILED:
        return new_message(Message, ident, flags, qd, answers, authorities, additionals)
    twin = _new(_MessageTwin)
    twin.id = ident
    twin.flags = flags
    twin.questions = qd
    twin.answers = answers
    twin.authorities = authorities
    twin.additionals = additionals
    return finish_as(twin, Message)
