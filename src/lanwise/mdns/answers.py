"""Choosing answers: matching questions, NSEC negatives, additional records, suppression.

Pure functions over a :class:`RecordView` (the records the responder may
answer with on one interface). The responder decides when and where the
answers go; this module decides what they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Protocol

from lanwise.dns import NSEC, PTR, SRV, Name, Question, Rdata, Record, RRClass, RRType
from lanwise.mdns.constants import (
    ANY_CLASS,
    ANY_TYPE,
    KNOWN_ANSWER_TTL_FRACTION,
    LEGACY_UNICAST_TTL,
)

__all__ = [
    "RecordView",
    "additionals_for",
    "answer_question",
    "known_answer_suppressed",
    "legacy_copy",
    "nsec_for",
]

_ADDRESS_TYPES = (int(RRType.A), int(RRType.AAAA))


class RecordView(Protocol):
    """Records the responder answers with on one interface."""

    def at(self, name: Name) -> Sequence[Record]:
        """Every answerable record owned at ``name`` (empty if none)."""
        ...

    def owns_uniquely(self, name: Name) -> bool:
        """True if we hold unique records at ``name``, so we may deny other types (§6.1)."""
        ...


def nsec_for(name: Name, records: Iterable[Record]) -> Record:
    """§6.1: the NSEC (restricted form: next name = own name) listing the types at ``name``."""
    records = list(records)
    ttl = min((r.ttl for r in records), default=120)
    return _nsec(name, frozenset(r.rtype for r in records), ttl)


@lru_cache(maxsize=1024)
def _nsec(name: Name, types: frozenset[int], ttl: int) -> Record:
    # The same few denials are asked for again and again; build each once.
    return Record(name, RRType.NSEC, RRClass.IN, ttl, NSEC(name, types), True)


def answer_question(question: Question, view: RecordView) -> list[Record]:
    """§6: the records answering ``question``; for a missing type of an owned name, NSEC (§6.1)."""
    records = view.at(question.name)
    if not records:
        return []
    qtype, qclass = question.qtype, question.qclass
    matched = [
        r for r in records if qtype in (ANY_TYPE, r.rtype) and qclass in (r.rclass, ANY_CLASS)
    ]
    if matched or qtype == ANY_TYPE:
        return matched
    if qclass in (RRClass.IN, ANY_CLASS) and view.owns_uniquely(question.name):
        return [nsec_for(question.name, records)]
    return []


def _address_additionals(host: Name, view: RecordView) -> list[Record]:
    records = [r for r in view.at(host) if r.rtype in _ADDRESS_TYPES]
    out = list(records)
    present = {r.rtype for r in records}
    if records and len(present) < len(_ADDRESS_TYPES) and view.owns_uniquely(host):
        out.append(nsec_for(host, view.at(host)))  # §6.1: say the other family has none
    return out


def additionals_for(answers: Sequence[Record], view: RecordView) -> list[Record]:
    """RFC 6763 §12 and RFC 6762 §6.1: what to put in the Additional Section.

    PTR → the instance's SRV and TXT and the SRV target's A/AAAA; SRV → A/AAAA;
    A or AAAA without the other family → NSEC saying so. No record that is
    already an answer, and none twice.
    """
    have = {r.key for r in answers}
    out: list[Record] = []

    def add(records: Iterable[Record]) -> None:
        for record in records:
            if record.key not in have:
                have.add(record.key)
                out.append(record)

    for answer in answers:
        rdata = answer.rdata
        if answer.rtype == RRType.PTR and isinstance(rdata, PTR):
            instance = [r for r in view.at(rdata.target) if r.rtype in (RRType.SRV, RRType.TXT)]
            add(instance)
            for record in instance:
                if isinstance(record.rdata, SRV):
                    add(_address_additionals(record.rdata.target, view))
        elif answer.rtype == RRType.SRV and isinstance(rdata, SRV):
            add(_address_additionals(rdata.target, view))
        elif answer.rtype in _ADDRESS_TYPES:
            at_name = view.at(answer.name)
            present = {r.rtype for r in at_name if r.rtype in _ADDRESS_TYPES}
            if len(present) < len(_ADDRESS_TYPES) and view.owns_uniquely(answer.name):
                add([nsec_for(answer.name, at_name)])
    return out


def known_answer_suppressed(
    record: Record, known: Mapping[tuple[Name, int, int, Rdata], int]
) -> bool:
    """§7.1: the querier already holds ``record`` with at least half its true TTL."""
    ttl = known.get(record.key)
    return ttl is not None and ttl >= record.ttl * KNOWN_ANSWER_TTL_FRACTION


def legacy_copy(record: Record) -> Record:
    """§6.7: a record as sent to a legacy resolver: TTL at most 10 s, no cache-flush bit."""
    return Record(
        record.name,
        record.rtype,
        record.rclass,
        min(record.ttl, LEGACY_UNICAST_TTL),
        record.rdata,
        False,
    )
