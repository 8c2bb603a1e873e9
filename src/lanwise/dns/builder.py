"""Building messages: name compression, a byte limit, and rollback.

:class:`MessageBuilder` appends to one ``bytearray``. Every name written is
entered in a table of its suffixes (exact octets, so case is preserved) →
offset, and later names reuse the longest suffix already present (RFC 1035
§4.1.4). RFC 6762 §18.14 asks mDNS to compress wherever possible, rdata
names included: PTR and CNAME targets, SRV targets and the NSEC next name
are compressed too. Each name caches its own suffix list, so a responder
that keeps its records builds packets without re-slicing names.

A record that would push the message past ``max_size`` is rolled back
(bytes and compression entries) and ``add_*`` returns False, so callers can
split: :func:`split_query` does it for a query's known answers (RFC 6762
§7.2), and a responder starts a new packet for the rest of its answers.

The names themselves are written by :func:`lanwise.dns._slots.write_name`.
Compiled (docs/compiled.md), whole records are written there too, from C that
reads the records' slots; the pure-Python path writes them inline here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Final

from lanwise.dns._slots import patch_length, put_rdata, put_record_head, write_name
from lanwise.dns.constants import MAX_MESSAGE_SIZE, Flag
from lanwise.dns.message import Message
from lanwise.dns.rdata import CNAME, NSEC, PTR, SRV, Rdata
from lanwise.dns.record import Question, Record
from lanwise.errors import UsageError

__all__ = ["MessageBuilder", "build_message", "split_query"]

HEADER_SIZE: Final = 12
# Pointers hold 14-bit offsets (RFC 1035 §4.1.4); every name starts below the
# size limit, so every suffix offset fits and the builder need not check.
assert MAX_MESSAGE_SIZE + 255 <= 0x3FFF

_pack_header_into = struct.Struct("!HHHHHH").pack_into
_pack_question = struct.Struct("!HH").pack
_pack_record = struct.Struct("!HHIH").pack
_pack_u16_into = struct.Struct("!H").pack_into
_pack_srv = struct.Struct("!HHH").pack

_QUESTIONS, _ANSWERS, _AUTHORITIES, _ADDITIONALS = range(4)
# Rdata types whose names the builder compresses (a tuple: ``A | B`` is built per call).
_COMPRESSIBLE: Final = (PTR, CNAME, SRV, NSEC)
_SECTION_NAMES: Final = ("questions", "answers", "authorities", "additionals")
# True when this module runs compiled (docs/compiled.md): records are then written
# by lanwise.dns._slots's C writers, which read their slots directly.
_COMPILED: Final = not __file__.endswith(".py")


class MessageBuilder:
    """Accumulates one message, section by section, within ``max_size`` octets.

    Sections must be filled in wire order: questions, answers, authorities,
    additionals. ``id`` and ``flags`` may be changed until :meth:`to_wire`.
    """

    __slots__ = ("_buf", "_counts", "_names", "_section", "flags", "id", "max_size")

    def __init__(self, id: int = 0, flags: int = 0, max_size: int = MAX_MESSAGE_SIZE) -> None:
        if not isinstance(id, int) or not 0 <= id <= 0xFFFF:
            raise UsageError("id", "an integer from 0 to 65535", id)
        if not isinstance(flags, int) or not 0 <= flags <= 0xFFFF:
            raise UsageError("flags", "an integer from 0 to 65535", flags)
        if not isinstance(max_size, int) or not HEADER_SIZE <= max_size <= MAX_MESSAGE_SIZE:
            raise UsageError(
                "max_size",
                f"from {HEADER_SIZE} to {MAX_MESSAGE_SIZE} octets (RFC 6762 §17)",
                max_size,
            )
        self.id = id
        self.flags = flags
        self.max_size = max_size
        self._buf = bytearray(HEADER_SIZE)
        self._names: dict[bytes, int] = {}
        self._counts = [0, 0, 0, 0]
        self._section = _QUESTIONS

    # -- state -------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Octets used so far, header included."""
        return len(self._buf)

    @property
    def counts(self) -> tuple[int, int, int, int]:
        """(questions, answers, authorities, additionals) added so far."""
        q, an, ns, ar = self._counts
        return (q, an, ns, ar)

    @property
    def is_empty(self) -> bool:
        return not any(self._counts)

    # -- adding ------------------------------------------------------------------
    def add_question(self, question: Question) -> bool:
        """Append a question; False (and nothing added) if it does not fit."""
        self._enter(_QUESTIONS)
        buf = self._buf
        mark = len(buf)
        names_mark = len(self._names)
        write_name(buf, self._names, question.name)
        qclass = question.qclass | 0x8000 if question.unicast_response else question.qclass
        buf += _pack_question(question.qtype, qclass)
        if len(buf) > self.max_size:
            self._rollback(mark, names_mark)
            return False
        self._counts[_QUESTIONS] += 1
        return True

    def add_answer(self, record: Record) -> bool:
        """Append to the answer section; False (rolled back) if it does not fit."""
        return self._add_record(record, _ANSWERS)

    def add_authority(self, record: Record) -> bool:
        """Append to the authority section; False (rolled back) if it does not fit."""
        return self._add_record(record, _AUTHORITIES)

    def add_additional(self, record: Record) -> bool:
        """Append to the additional section; False (rolled back) if it does not fit."""
        return self._add_record(record, _ADDITIONALS)

    def to_wire(self) -> bytes:
        """The message so far, header filled in."""
        q, an, ns, ar = self._counts
        _pack_header_into(self._buf, 0, self.id, self.flags, q, an, ns, ar)
        return bytes(self._buf)

    # -- internals -----------------------------------------------------------------
    def _enter(self, section: int) -> None:
        if section < self._section:
            raise UsageError(
                "section",
                "sections are filled in order: questions, answers, authorities, additionals",
                _SECTION_NAMES[section],
            )
        self._section = section

    def _rollback(self, mark: int, names_mark: int) -> None:
        del self._buf[mark:]
        names = self._names
        while len(names) > names_mark:
            names.popitem()  # dicts pop in reverse insertion order: the newest entries

    def _add_record(self, record: Record, section: int) -> bool:
        if section < self._section:
            self._enter(section)
        self._section = section
        buf = self._buf
        names = self._names
        mark = len(buf)
        names_mark = len(names)
        rdata: Rdata
        if _COMPILED:
            rdata = put_record_head(buf, names, record)
            start = len(buf) - 10
            if not put_rdata(buf, names, rdata):
                if isinstance(rdata, NSEC):
                    write_name(buf, names, rdata.next_name)
                    buf += rdata._bitmap
                else:
                    buf += rdata.to_wire()
            patch_length(buf, start)
        else:
            write_name(buf, names, record.name)
            rdata = record.rdata
            rclass = record.rclass | 0x8000 if record.cache_flush else record.rclass
            # Names inside rdata are compressed too (RFC 6762 §18.14); the types are
            # tested inline rather than through a table of writers: a call less per record.
            if rdata.has_names and isinstance(rdata, _COMPRESSIBLE):
                start = len(buf)
                buf += _pack_record(record.rtype, rclass, record.ttl, 0)
                if isinstance(rdata, SRV):
                    buf += _pack_srv(rdata.priority, rdata.weight, rdata.port)
                    write_name(buf, names, rdata.target)
                elif isinstance(rdata, NSEC):
                    write_name(buf, names, rdata.next_name)
                    buf += rdata._bitmap
                else:
                    write_name(buf, names, rdata.target)
                _pack_u16_into(buf, start + 8, len(buf) - start - 10)
            else:  # no names inside, or a type we do not know how to compress: as is
                wire = rdata.to_wire()
                buf += _pack_record(record.rtype, rclass, record.ttl, len(wire))
                buf += wire
        if len(buf) > self.max_size:
            self._rollback(mark, names_mark)
            return False
        self._counts[section] += 1
        return True


def build_message(message: Message, max_size: int = MAX_MESSAGE_SIZE) -> bytes:
    """Encode a whole message with name compression.

    Raises UsageError if it does not fit in ``max_size`` octets; use
    :class:`MessageBuilder` directly to split instead.
    """
    builder = MessageBuilder(message.id, message.flags, max_size)
    fits = all(builder.add_question(q) for q in message.questions)
    fits = fits and all(builder.add_answer(r) for r in message.answers)
    fits = fits and all(builder.add_authority(r) for r in message.authorities)
    fits = fits and all(builder.add_additional(r) for r in message.additionals)
    if not fits:
        raise UsageError("message", f"does not fit in max_size={max_size} octets", max_size)
    return builder.to_wire()


def split_query(
    questions: Iterable[Question],
    known_answers: Iterable[Record],
    max_size: int = MAX_MESSAGE_SIZE,
    *,
    id: int = 0,
    flags: int = 0,
) -> list[bytes]:
    """A query as one or more packets, known answers spread over them (RFC 6762 §7.2).

    The first packet carries every question and as many known answers as fit;
    the rest follow in packets with no questions. Every packet except the last
    has the TC bit set. A known answer too large for a packet of its own is
    left out: known-answer suppression is only an optimisation (§7.1), and
    the question still goes out. Raises UsageError if the questions alone do
    not fit.
    """
    packets: list[bytes] = []
    flags &= 0xFFFF & ~int(Flag.TC)
    builder = MessageBuilder(id, flags, max_size)
    for question in questions:
        if not builder.add_question(question):
            raise UsageError("questions", f"do not fit in max_size={max_size} octets", max_size)
    for record in known_answers:
        if builder.add_answer(record):
            continue
        if builder.counts[_ANSWERS] == 0 and builder.counts[_QUESTIONS] == 0:
            continue  # does not fit even alone
        fresh = MessageBuilder(id, flags, max_size)
        if not fresh.add_answer(record):
            continue  # does not fit even alone; keep filling the current packet
        builder.flags = flags | Flag.TC
        packets.append(builder.to_wire())
        builder = fresh
    packets.append(builder.to_wire())
    return packets
