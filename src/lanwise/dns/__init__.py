"""The DNS wire format as multicast DNS uses it: names, records, messages.

Parse with :func:`parse_message` (raises only :class:`WireFormatError`),
build with :class:`MessageBuilder` or :func:`build_message`, split a query's
known answers over several packets with :func:`split_query`. See docs/dns.md.
"""

from __future__ import annotations

from lanwise.dns.builder import MessageBuilder, build_message, split_query
from lanwise.dns.constants import (
    CACHE_FLUSH,
    MAX_MESSAGE_SIZE,
    UNICAST_RESPONSE,
    Flag,
    Opcode,
    Rcode,
    RRClass,
    RRType,
)
from lanwise.dns.errors import WireFormatError
from lanwise.dns.message import Message
from lanwise.dns.name import MAX_LABEL_LENGTH, MAX_NAME_LENGTH, ROOT, Name
from lanwise.dns.parser import parse_message
from lanwise.dns.rdata import AAAA, CNAME, HINFO, NSEC, OPT, PTR, SRV, TXT, A, Rdata, Unknown
from lanwise.dns.record import MAX_TTL, Question, Record
from lanwise.dns.txt import TXTMapping

__all__ = [
    "AAAA",
    "CACHE_FLUSH",
    "CNAME",
    "HINFO",
    "MAX_LABEL_LENGTH",
    "MAX_MESSAGE_SIZE",
    "MAX_NAME_LENGTH",
    "MAX_TTL",
    "NSEC",
    "OPT",
    "PTR",
    "ROOT",
    "SRV",
    "TXT",
    "UNICAST_RESPONSE",
    "A",
    "Flag",
    "Message",
    "MessageBuilder",
    "Name",
    "Opcode",
    "Question",
    "RRClass",
    "RRType",
    "Rcode",
    "Rdata",
    "Record",
    "TXTMapping",
    "Unknown",
    "WireFormatError",
    "build_message",
    "parse_message",
    "split_query",
]
