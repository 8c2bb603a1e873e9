"""The codec's per-object work done through slots: building parsed objects, writing records.

A parsed :class:`~lanwise.dns.Question`, :class:`~lanwise.dns.Record` or
:class:`~lanwise.dns.Message` skips its validating ``__init__``: the packet
was already checked (:mod:`lanwise.dns.twins` says why). Compiled
(docs/compiled.md), these functions allocate the instance and write its slots
from C (``_slots.pxd``), which costs a fraction of a Python-level object
build; in pure Python they set each field with ``object.__setattr__``, and
the pure-Python parser uses its twin classes instead, which are faster there.
Either way the result is an ordinary frozen instance.

The writers (:func:`write_name`, :func:`put_record_head`, :func:`put_rdata`,
:func:`patch_length`) are the message builder's per-record work: compiled,
they read the records' and names' slots from C and write octets straight into
the builder's buffer; the pure-Python builder writes the same octets inline
with :mod:`struct`, and calls :func:`write_name` here as its name writer.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Final, TypeVar

from lanwise.dns.message import Message
from lanwise.dns.name import Name
from lanwise.dns.rdata import AAAA, CNAME, PTR, SRV, TXT, A, Rdata
from lanwise.dns.record import Question, Record

__all__ = [
    "new_message",
    "new_question",
    "new_record",
    "patch_length",
    "put_rdata",
    "put_record_head",
    "record_key",
    "write_name",
]

T = TypeVar("T")
_new = object.__new__
_set = object.__setattr__
# True when this module runs compiled: then the _c_* functions of _slots.pxd exist.
_COMPILED: Final = not __file__.endswith(".py")

# The C functions of _slots.pxd, named here for the type checker and linters only:
# the compiled module has them, the Python one never reaches the lines that call them.
_c_new_question: Callable[..., Question]
_c_new_record: Callable[..., Record]
_c_new_message: Callable[..., Message]
_c_writer_init: Callable[..., None]
_c_write_name: Callable[[bytearray, dict[bytes, int], Name], None]
_c_put_record_head: Callable[[bytearray, dict[bytes, int], Record], Rdata]
_c_put_rdata: Callable[[bytearray, dict[bytes, int], Rdata], int]
_c_patch_length: Callable[[bytearray, int], None]
_c_record_key: Callable[[Record], tuple[Name, int, int, Rdata]]

_QUESTION_FIELDS: Final = ("name", "qtype", "qclass", "unicast_response")
_RECORD_FIELDS: Final = ("name", "rtype", "rclass", "ttl", "rdata", "cache_flush")
_MESSAGE_FIELDS: Final = ("id", "flags", "questions", "answers", "authorities", "additionals")

_pack_record = struct.Struct("!HHIH").pack
_pack_u16_into = struct.Struct("!H").pack_into
_pack_pointer = struct.Struct("!H").pack
_pack_srv = struct.Struct("!HHH").pack


def _fill(cls: type[T], fields: tuple[str, ...], values: tuple[object, ...]) -> T:
    obj = _new(cls)
    for field_name, value in zip(fields, values, strict=True):
        _set(obj, field_name, value)
    return obj


def new_question(cls: type[Question], name: Name, qtype: int, qclass: int, qu: bool) -> Question:
    """A ``cls`` (Question) with its four fields set, not validated."""
    if _COMPILED:
        return _c_new_question(cls, name, qtype, qclass, qu)  # noqa: F821 (C: see above)
    return _fill(cls, _QUESTION_FIELDS, (name, qtype, qclass, qu))


def new_record(  # noqa: PLR0917 (the parser's hot path: positional arguments)
    cls: type[Record], name: Name, rtype: int, rclass: int, ttl: int, rdata: Rdata, flush: bool
) -> Record:
    """A ``cls`` (Record) with its six fields set, not validated."""
    if _COMPILED:
        return _c_new_record(cls, name, rtype, rclass, ttl, rdata, flush)  # noqa: F821 (C: see above)
    return _fill(cls, _RECORD_FIELDS, (name, rtype, rclass, ttl, rdata, flush))


def new_message(  # noqa: PLR0917 (the parser's hot path: positional arguments)
    cls: type[Message],
    ident: int,
    flags: int,
    qd: tuple[Question, ...],
    an: tuple[Record, ...],
    ns: tuple[Record, ...],
    ar: tuple[Record, ...],
) -> Message:
    """A ``cls`` (Message) with its six fields set, not validated."""
    if _COMPILED:
        return _c_new_message(cls, ident, flags, qd, an, ns, ar)  # noqa: F821 (C: see above)
    return _fill(cls, _MESSAGE_FIELDS, (ident, flags, qd, an, ns, ar))


# -- writing ---------------------------------------------------------------------------
def write_name(buf: bytearray, names: dict[bytes, int], name: Name) -> None:
    """Append ``name``, its longest suffix already in the message as a pointer
    (RFC 1035 §4.1.4), and enter its new suffixes in ``names`` (octets → offset)."""
    if _COMPILED:
        _c_write_name(buf, names, name)  # noqa: F821 (C: see above)
        return
    try:
        suffixes = name._suffixes
    except AttributeError:
        suffixes = name._suffix_table()
    base = len(buf)
    for suffix, start in suffixes:
        offset = names.get(suffix)
        if offset is not None:
            if start:
                buf += name._wire[:start]
            buf += _pack_pointer(0xC000 | offset)
            for known, at in suffixes:
                if at == start:
                    break
                names[known] = base + at
            return
    buf += name._wire
    for known, at in suffixes:
        names[known] = base + at


def put_record_head(buf: bytearray, names: dict[bytes, int], record: Record) -> Rdata:
    """Append the owner name and the type, class (with the cache-flush bit), TTL and a
    zero rdata length; return the rdata, for the caller to write and then
    :func:`patch_length`."""
    if _COMPILED:
        return _c_put_record_head(buf, names, record)  # noqa: F821 (C: see above)
    write_name(buf, names, record.name)
    rclass = record.rclass | 0x8000 if record.cache_flush else record.rclass
    buf += _pack_record(record.rtype, rclass, record.ttl, 0)
    return record.rdata


def put_rdata(buf: bytearray, names: dict[bytes, int], rdata: Rdata) -> bool:
    """Append the rdata of an A, AAAA, TXT, PTR, CNAME or SRV record, names compressed
    (RFC 6762 §18.14); False, and nothing written, for any other type."""
    if _COMPILED:
        return bool(_c_put_rdata(buf, names, rdata))  # noqa: F821 (C: see above)
    kind = type(rdata)
    if kind is A or kind is AAAA or kind is TXT:
        buf += rdata.to_wire()
    elif kind is PTR or kind is CNAME:
        assert isinstance(rdata, PTR | CNAME)
        write_name(buf, names, rdata.target)
    elif kind is SRV:
        assert isinstance(rdata, SRV)
        buf += _pack_srv(rdata.priority, rdata.weight, rdata.port)
        write_name(buf, names, rdata.target)
    else:
        return False
    return True


def patch_length(buf: bytearray, start: int) -> None:
    """Set the rdata length of the record whose 10-octet header starts at ``start``."""
    if _COMPILED:
        _c_patch_length(buf, start)  # noqa: F821 (C: see above)
        return
    _pack_u16_into(buf, start + 8, len(buf) - start - 10)


def record_key(record: Record) -> tuple[Name, int, int, Rdata]:
    """``record.key``: compiled, built from the record's slots in C (no property call)."""
    if _COMPILED:
        return _c_record_key(record)  # noqa: F821 (C: see above)
    return record.key


if _COMPILED:  # where the C writers find each class's slots
    _c_writer_init(Record, Name, PTR, CNAME, SRV, A, AAAA, TXT)  # noqa: F821 (C: see above)
