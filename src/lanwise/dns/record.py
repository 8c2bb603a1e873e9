"""Questions and resource records, with the mDNS class bits as fields of their own.

The top bit of the class field means something else in mDNS: the
unicast-response (QU) bit in questions (RFC 6762 §5.4) and the cache-flush
bit in records (RFC 6762 §10.2). The codec splits it off into
``unicast_response`` / ``cache_flush`` so ``qclass`` / ``rclass`` are always
the plain class. The one exception is OPT, whose class field is the UDP
payload size (RFC 6891 §6.1.2) and is kept whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lanwise.dns.constants import RRClass, RRType
from lanwise.dns.name import Name
from lanwise.dns.rdata import Rdata
from lanwise.errors import UsageError

__all__ = ["MAX_TTL", "Question", "Record"]

MAX_TTL: Final = 0xFFFFFFFF  # RFC 1035 §3.2.1: unsigned 32-bit (RFC 2181 §8 caps use at 2**31-1)

_OPT: Final = int(RRType.OPT)


def _check_name(value: object) -> None:
    if not isinstance(value, Name):
        raise UsageError("name", "a lanwise.dns.Name", value)


def _check_type(field_name: str, value: object) -> None:
    if not isinstance(value, int) or not 0 <= value <= 0xFFFF:
        raise UsageError(field_name, "an integer from 0 to 65535", value)


def _check_class(field_name: str, value: object, flag: str) -> None:
    if not isinstance(value, int) or not 0 <= value <= 0x7FFF:
        raise UsageError(field_name, f"an integer from 0 to 32767 (the top bit is {flag})", value)


@dataclass(frozen=True, slots=True)
class Question:
    """A question; ``unicast_response`` is the QU bit (RFC 6762 §5.4)."""

    name: Name
    qtype: int
    qclass: int = RRClass.IN
    unicast_response: bool = False

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_type("qtype", self.qtype)
        _check_class("qclass", self.qclass, "the separate unicast_response field")
        # Plain ints, as the parser produces: equal reprs and no enum surprises.
        object.__setattr__(self, "qtype", int(self.qtype))
        object.__setattr__(self, "qclass", int(self.qclass))


@dataclass(frozen=True, slots=True)
class Record:
    """A resource record; ``cache_flush`` is the mDNS cache-flush bit (RFC 6762 §10.2)."""

    name: Name
    rtype: int
    rclass: int
    ttl: int
    rdata: Rdata
    cache_flush: bool = False

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_type("rtype", self.rtype)
        if self.rtype == _OPT:
            _check_type("rclass", self.rclass)  # the UDP payload size (RFC 6891 §6.1.2)
            if self.cache_flush:
                raise UsageError("cache_flush", "OPT records have no cache-flush bit")
        else:
            _check_class("rclass", self.rclass, "the separate cache_flush field")
        if not isinstance(self.ttl, int) or not 0 <= self.ttl <= MAX_TTL:
            raise UsageError("ttl", "an integer from 0 to 4294967295", self.ttl)
        if not isinstance(self.rdata, Rdata):
            raise UsageError("rdata", "a lanwise.dns rdata object", self.rdata)
        if self.rdata.rtype != self.rtype:
            raise UsageError(
                "rdata", f"rdata of type {self.rdata.rtype} in a type {self.rtype} record"
            )
        # Plain ints, as the parser produces: equal reprs and no enum surprises.
        object.__setattr__(self, "rtype", int(self.rtype))
        object.__setattr__(self, "rclass", int(self.rclass))

    @classmethod
    def of(
        cls,
        name: Name,
        rdata: Rdata,
        ttl: int,
        *,
        rclass: int = RRClass.IN,
        cache_flush: bool = False,
    ) -> Record:
        """A record whose type is taken from its rdata."""
        return cls(name, rdata.rtype, rclass, ttl, rdata, cache_flush)

    @property
    def key(self) -> tuple[Name, int, int, Rdata]:
        """Identity ignoring TTL and the cache-flush bit: (name, rtype, rclass, rdata)."""
        return (self.name, self.rtype, self.rclass, self.rdata)
