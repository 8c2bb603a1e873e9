"""Building the parser's frozen objects slot by slot, without their constructors.

A parsed :class:`~lanwise.dns.Question`, :class:`~lanwise.dns.Record` or
:class:`~lanwise.dns.Message` skips its validating ``__init__``: the packet
was already checked (:mod:`lanwise.dns.twins` says why). Compiled
(docs/compiled.md), these functions allocate the instance and write its slots
from C (``_slots.pxd``), which costs a fraction of a Python-level object
build; in pure Python they set each field with ``object.__setattr__``, and
the pure-Python parser uses its twin classes instead, which are faster there.
Either way the result is an ordinary frozen instance.
"""

from __future__ import annotations

from typing import Final, TypeVar

__all__ = ["new_message", "new_question", "new_record"]

T = TypeVar("T")
_new = object.__new__
_set = object.__setattr__
# True when this module runs compiled: then the _c_* functions of _slots.pxd exist.
_COMPILED: Final = not __file__.endswith(".py")

_QUESTION_FIELDS: Final = ("name", "qtype", "qclass", "unicast_response")
_RECORD_FIELDS: Final = ("name", "rtype", "rclass", "ttl", "rdata", "cache_flush")
_MESSAGE_FIELDS: Final = ("id", "flags", "questions", "answers", "authorities", "additionals")


def _fill(cls: type[T], fields: tuple[str, ...], values: tuple[object, ...]) -> T:
    obj = _new(cls)
    for field_name, value in zip(fields, values, strict=True):
        _set(obj, field_name, value)
    return obj


def new_question(cls: type[T], name: object, qtype: int, qclass: int, qu: bool) -> T:
    """A ``cls`` (Question) with its four fields set, not validated."""
    if _COMPILED:
        return _c_new_question(cls, name, qtype, qclass, qu)  # type: ignore[name-defined,no-any-return]
    return _fill(cls, _QUESTION_FIELDS, (name, qtype, qclass, qu))


def new_record(
    cls: type[T], name: object, rtype: int, rclass: int, ttl: int, rdata: object, flush: bool
) -> T:
    """A ``cls`` (Record) with its six fields set, not validated."""
    if _COMPILED:
        return _c_new_record(cls, name, rtype, rclass, ttl, rdata, flush)  # type: ignore[name-defined,no-any-return]
    return _fill(cls, _RECORD_FIELDS, (name, rtype, rclass, ttl, rdata, flush))


def new_message(
    cls: type[T], ident: int, flags: int, qd: object, an: object, ns: object, ar: object
) -> T:
    """A ``cls`` (Message) with its six fields set, not validated."""
    if _COMPILED:
        return _c_new_message(cls, ident, flags, qd, an, ns, ar)  # type: ignore[name-defined,no-any-return]
    return _fill(cls, _MESSAGE_FIELDS, (ident, flags, qd, an, ns, ar))
