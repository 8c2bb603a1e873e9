"""Packing records into messages that never exceed a size limit (RFC 6762 §17).

Records travel in groups that belong together — a probe's question with its
proposed records (§8.1), an answer with its additional records (RFC 6763 §12).
:class:`Packer` fills one message group by group and says when a group no
longer fits, so the caller starts the next message. Fitting is decided with
an upper bound (uncompressed sizes) first and by building the message only
when the bound is exceeded, so packing n groups costs far fewer than n builds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lanwise.dns import MessageBuilder, Question, Record
from lanwise.mdns.constants import MAX_MESSAGE_SIZE

__all__ = ["Packer", "record_bound"]

_HEADER = 12


def record_bound(record: Record) -> int:
    """Octets a record takes at most (no name compression)."""
    return len(record.name.to_wire()) + 10 + len(record.rdata.to_wire())


def _question_bound(question: Question) -> int:
    return len(question.name.to_wire()) + 4


class Packer:
    """Accumulate groups of questions/records for one message of at most ``max_size`` octets."""

    __slots__ = (
        "_additionals",
        "_answers",
        "_authorities",
        "_bound",
        "_flags",
        "_id",
        "_max_size",
        "_questions",
        "_seen",
    )

    def __init__(self, max_size: int, *, id: int = 0, flags: int = 0) -> None:
        self._max_size = min(max_size, MAX_MESSAGE_SIZE)
        self._id = id
        self._flags = flags
        self._questions: list[Question] = []
        self._answers: list[Record] = []
        self._authorities: list[Record] = []
        self._additionals: list[Record] = []
        self._seen: set[tuple[object, ...]] = set()  # no record twice in one message (BCT)
        self._bound = _HEADER

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
        """Add a group all-or-nothing; the additionals are dropped if only they do not fit.

        Returns False (and adds nothing) when the required part does not fit; the
        caller then builds this message and starts another. A group too large for
        an empty message is accepted anyway, up to the 9000-octet ceiling of §17
        (the IP layer fragments it).
        """
        answers = [r for r in answers if (0, r.key) not in self._seen]
        authorities = [r for r in authorities if (1, r.key) not in self._seen]
        extra = [
            r
            for r in _unique(additionals)
            if (0, r.key) not in self._seen
            and (2, r.key) not in self._seen
            and all(r.key != a.key for a in answers)
        ]
        required = (
            sum(_question_bound(q) for q in questions)
            + sum(record_bound(r) for r in answers)
            + sum(record_bound(r) for r in authorities)
        )
        optional = sum(record_bound(r) for r in extra)
        if self._bound + required + optional <= self._max_size:
            self._accept(questions, answers, authorities, extra, required + optional)
            return True
        if extra and self._fits(questions, answers, authorities, extra):
            self._accept(questions, answers, authorities, extra, 0)
            self._bound = len(self.build())
            return True
        if self._bound + required <= self._max_size or self._fits(
            questions, answers, authorities, ()
        ):
            self._accept(questions, answers, authorities, (), required)
            self._bound = min(self._bound, len(self.build()))
            return True
        if self.empty:  # one oversized group: send it alone, fragmented (§17)
            self._max_size = MAX_MESSAGE_SIZE
            if self._fits(questions, answers, authorities, ()):
                self._accept(questions, answers, authorities, (), required)
                return True
        return False

    def _accept(
        self,
        questions: Iterable[Question],
        answers: Iterable[Record],
        authorities: Iterable[Record],
        additionals: Iterable[Record],
        bound: int,
    ) -> None:
        self._questions.extend(questions)
        for section, target, records in (
            (0, self._answers, answers),
            (1, self._authorities, authorities),
            (2, self._additionals, additionals),
        ):
            for record in records:
                if section == 0 and (2, record.key) in self._seen:
                    # now an answer: not also an additional (no record twice)
                    self._additionals = [r for r in self._additionals if r.key != record.key]
                self._seen.add((section, record.key))
                target.append(record)
        self._bound += bound

    def _fits(
        self,
        questions: Sequence[Question],
        answers: Sequence[Record],
        authorities: Sequence[Record],
        additionals: Sequence[Record],
    ) -> bool:
        builder = MessageBuilder(id=self._id, flags=self._flags, max_size=self._max_size)
        return (
            all(builder.add_question(q) for q in (*self._questions, *questions))
            and all(builder.add_answer(r) for r in (*self._answers, *answers))
            and all(builder.add_authority(r) for r in (*self._authorities, *authorities))
            and all(builder.add_additional(r) for r in (*self._additionals, *additionals))
        )

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


def _unique(records: Iterable[Record]) -> list[Record]:
    seen: set[object] = set()
    out: list[Record] = []
    for record in records:
        if record.key not in seen:
            seen.add(record.key)
            out.append(record)
    return out
