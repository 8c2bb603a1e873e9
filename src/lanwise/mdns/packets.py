"""Packing records into messages that never exceed a size limit (RFC 6762 §17).

Records travel in groups that belong together — a probe's question with its
proposed records (§8.1), an answer with its additional records (RFC 6763 §12).
:class:`Packer` fills one message group by group and says when a group no
longer fits, so the caller starts the next message; the message is built once,
at the end.

Fitting is decided by counting octets as the builder will write them, with
name compression (RFC 1035 §4.1.4): a name costs its labels up to the longest
suffix already written, plus a 2-octet pointer. The count only ever credits a
suffix written *earlier in wire order* — Answer and Authority names for
Answer/Authority records, every name for Additional records — so it is an
upper bound on the real size, never an underestimate, whatever order the
groups arrive in.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from lanwise.dns import PTR, SRV, MessageBuilder, Name, Question, Rdata, Record
from lanwise.mdns.constants import MAX_MESSAGE_SIZE

__all__ = ["Packer"]

_HEADER = 12
_RECORD_FIXED = 10  # type, class, TTL, rdata length
_QUESTION_FIXED = 4  # type, class
_POINTER = 2

RecordKey = tuple[Name, int, int, Rdata]


def _suffixes(name: Name) -> tuple[bytes, ...]:
    """Every suffix of the name's wire form that starts at a label (root excluded)."""
    return _wire_suffixes(name.to_wire())


@lru_cache(maxsize=4096)
def _wire_suffixes(wire: bytes) -> tuple[bytes, ...]:
    # A responder writes the same few names over and over: split each once.
    out: list[bytes] = []
    i = 0
    while wire[i]:
        out.append(wire[i:])
        i += wire[i] + 1
    return tuple(out)


def _question_cost(question: Question, names: set[bytes], *written: set[bytes]) -> int:
    cost = _name_cost(question.name, names, *written) + _QUESTION_FIXED
    names.update(_suffixes(question.name))
    return cost


def _record_cost(record: Record, names: set[bytes], *written: set[bytes]) -> int:
    """Octets ``record`` adds; suffixes in ``names`` (updated) and ``written`` precede it."""
    cost = _name_cost(record.name, names, *written) + _RECORD_FIXED
    names.update(_suffixes(record.name))
    rdata = record.rdata
    # The builder compresses PTR and SRV targets too (RFC 6762 §18.14).
    if isinstance(rdata, PTR):
        cost += _name_cost(rdata.target, names, *written)
        names.update(_suffixes(rdata.target))
    elif isinstance(rdata, SRV):
        cost += 6 + _name_cost(rdata.target, names, *written)
        names.update(_suffixes(rdata.target))
    else:
        cost += len(rdata.to_wire())
    return cost


def _name_cost(name: Name, *written: set[bytes]) -> int:
    wire = name.to_wire()
    for tail in _wire_suffixes(wire):
        for table in written:
            if tail in table:
                return len(wire) - len(tail) + _POINTER
    return len(wire)


def _new_records(
    records: Sequence[Record], present: set[RecordKey], group: set[RecordKey]
) -> list[Record]:
    out: list[Record] = []
    for record in records:
        key = record.key
        if key not in present and key not in group:
            group.add(key)
            out.append(record)
    return out


class Packer:
    """Accumulate groups of questions/records for one message of at most ``max_size`` octets."""

    __slots__ = (
        "_additionals",
        "_answers",
        "_authorities",
        "_extra_keys",
        "_extra_names",
        "_flags",
        "_full",
        "_id",
        "_main_keys",
        "_main_names",
        "_max_size",
        "_questions",
        "_size",
    )

    def __init__(self, max_size: int, *, id: int = 0, flags: int = 0) -> None:
        self._max_size = min(max_size, MAX_MESSAGE_SIZE)
        self._id = id
        self._flags = flags
        self._questions: list[Question] = []
        self._answers: list[Record] = []
        self._authorities: list[Record] = []
        self._additionals: list[Record] = []
        # No record twice in one message (BCT): keys in Answer/Authority, and in Additional.
        self._main_keys: set[RecordKey] = set()
        self._extra_keys: set[RecordKey] = set()
        # Name suffixes written in the question/answer/authority sections, and in additional.
        self._main_names: set[bytes] = set()
        self._extra_names: set[bytes] = set()
        self._size = _HEADER  # an upper bound on the built message's length
        self._full = False

    @property
    def flags(self) -> int:
        """The header flags the message will carry (settable, e.g. to add TC)."""
        return self._flags

    @flags.setter
    def flags(self, value: int) -> None:
        self._flags = value

    @property
    def empty(self) -> bool:
        return not (self._questions or self._answers or self._authorities)

    def add(
        self,
        *,
        questions: Sequence[Question] = (),
        answers: Sequence[Record] = (),
        authorities: Sequence[Record] = (),
        additionals: Sequence[Record] = (),
    ) -> bool:
        """Add a group all-or-nothing; additionals that do not fit are left out.

        Returns False (and adds nothing) when the questions, answers and
        authorities do not fit; the caller then builds this message and starts
        another. A group too large for an empty message is accepted anyway, up
        to the 9000-octet ceiling of §17 (the IP layer fragments it).
        """
        if self._full:
            return False
        main_keys = self._main_keys
        group_keys: set[RecordKey] = set()
        answers = _new_records(answers, main_keys, group_keys)
        authorities = _new_records(authorities, main_keys, group_keys)
        main_names = self._main_names
        names: set[bytes] = set()  # suffixes this group writes in the main sections
        cost = sum(_question_cost(q, names, main_names) for q in questions)
        cost += sum(_record_cost(r, names, main_names) for r in answers)
        cost += sum(_record_cost(r, names, main_names) for r in authorities)
        if self._size + cost > self._max_size:
            if not self.empty:
                return False
            if self._size + cost > MAX_MESSAGE_SIZE:
                return False
            # One oversized group: it goes alone, fragmented by IP (§17); nothing joins it.
            self._full = True
        self._questions.extend(questions)
        for record in answers:
            self._take_main(record, self._answers)
        for record in authorities:
            self._take_main(record, self._authorities)
        main_names |= names
        self._size += cost
        extra_names = self._extra_names
        for record in additionals:
            key = record.key
            if key in main_keys or key in self._extra_keys:
                continue
            added: set[bytes] = set()
            extra_cost = _record_cost(record, added, extra_names, main_names)
            if self._size + extra_cost > self._max_size:
                continue  # optional: leave it out, try the next (smaller) one
            extra_names |= added
            self._extra_keys.add(key)
            self._additionals.append(record)
            self._size += extra_cost
        return True

    def _take_main(self, record: Record, section: list[Record]) -> None:
        key = record.key
        if key in self._extra_keys:
            # now an answer: not also an additional (no record twice in a message)
            self._extra_keys.discard(key)
            self._additionals = [r for r in self._additionals if r.key != key]
        self._main_keys.add(key)
        section.append(record)

    def build(self) -> bytes:
        """The message as it stands."""
        builder = MessageBuilder(id=self._id, flags=self._flags, max_size=MAX_MESSAGE_SIZE)
        for question in self._questions:
            builder.add_question(question)
        for record in self._answers:
            builder.add_answer(record)
        for record in self._authorities:
            builder.add_authority(record)
        for record in self._additionals:
            builder.add_additional(record)
        return builder.to_wire()
