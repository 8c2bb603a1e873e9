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


@lru_cache(maxsize=4096)
def _wire_suffixes(wire: bytes) -> tuple[bytes, ...]:
    # A responder writes the same few names over and over: split each once.
    out: list[bytes] = []
    i = 0
    while wire[i]:
        out.append(wire[i:])
        i += wire[i] + 1
    return tuple(out)


def _enter_name(wire: bytes, table: set[bytes], entered: list[bytes]) -> int:
    """Octets the name ``wire`` costs against the suffixes in ``table``; enters its own.

    ``table`` always holds every suffix of each name entered, so once one suffix
    is found, all shorter ones are there too: only the longer ones are new. The
    new ones are also listed in ``entered``, so the caller can take them back.
    """
    suffixes = _wire_suffixes(wire)
    for i, tail in enumerate(suffixes):
        if tail in table:
            for new in suffixes[:i]:
                table.add(new)
                entered.append(new)
            return len(wire) - len(tail) + _POINTER
    for new in suffixes:
        table.add(new)
        entered.append(new)
    return len(wire)


def _record_cost(record: Record, table: set[bytes], entered: list[bytes]) -> int:
    """Octets ``record`` adds, compressed against ``table`` (updated, see _enter_name)."""
    cost = _enter_name(record.name._wire, table, entered) + _RECORD_FIXED
    rdata = record.rdata
    # The builder compresses PTR and SRV targets too (RFC 6762 §18.14).
    if isinstance(rdata, PTR):
        return cost + _enter_name(rdata.target._wire, table, entered)
    if isinstance(rdata, SRV):
        return cost + 6 + _enter_name(rdata.target._wire, table, entered)
    return cost + len(rdata.to_wire())


class Packer:
    """Accumulate groups of questions/records for one message of at most ``max_size`` octets."""

    __slots__ = (
        "_additionals",
        "_all_names",
        "_answers",
        "_authorities",
        "_extra_keys",
        "_flags",
        "_full",
        "_id",
        "_left_over",
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
        # Name suffixes written in the question/answer/authority sections, and in any
        # section: Answer/Authority names compress only against the first, Additional
        # names against both (see the module docstring).
        self._main_names: set[bytes] = set()
        self._all_names: set[bytes] = set()
        self._size = _HEADER  # an upper bound on the built message's length
        self._full = False
        self._left_over: tuple[Record, ...] = ()

    @property
    def flags(self) -> int:
        """The header flags the message will carry (settable, e.g. to add TC)."""
        return self._flags

    @flags.setter
    def flags(self, value: int) -> None:
        self._flags = value

    @property
    def empty(self) -> bool:
        """Nothing added yet, in any section."""
        return not (self._questions or self._answers or self._authorities or self._additionals)

    @property
    def left_over(self) -> tuple[Record, ...]:
        """Additional records of the last group added that did not fit beside it.

        Only a group that had the message to itself leaves any (see :meth:`add`):
        the caller sends them in the next message, ``add(additionals=left_over)``.
        """
        return self._left_over

    def add(
        self,
        *,
        questions: Sequence[Question] = (),
        answers: Sequence[Record] = (),
        authorities: Sequence[Record] = (),
        additionals: Sequence[Record] = (),
    ) -> bool:
        """Add a group all-or-nothing, its additional records counted.

        Returns False (and adds nothing) when the group, additionals included,
        does not fit beside what the message already holds; the caller then
        builds this message and starts another, so an answer travels with its
        additional records (RFC 6763 §12) whenever they fit one message. A
        group alone in a message always goes in: larger than the limit, it is
        sent alone up to the 9000-octet ceiling of §17 (the IP layer fragments
        it); its additionals that do not fit are kept in :attr:`left_over` for
        the caller's next message, never dropped, and never push a message over
        the limit (RFC 6762 §17).
        """
        if self._full:
            return False
        blank = self.empty
        main_keys = self._main_keys
        main_names = self._main_names
        # The group's names and keys go straight into the message's tables and are
        # taken back if it does not fit: one set lookup per suffix, no merging.
        entered: list[bytes] = []
        cost = 0
        for question in questions:
            cost += _enter_name(question.name._wire, main_names, entered) + _QUESTION_FIXED
        taken: list[tuple[Record, RecordKey, list[Record]]] = []
        for records, section in ((answers, self._answers), (authorities, self._authorities)):
            for record in records:
                key = record.key
                if key in main_keys:
                    continue  # no record twice in a message (BCT), nor twice in the group
                main_keys.add(key)
                taken.append((record, key, section))
                cost += _record_cost(record, main_names, entered)
        size = self._size + cost
        if size > self._max_size and (not blank or size > MAX_MESSAGE_SIZE):
            main_names.difference_update(entered)
            main_keys.difference_update([key for _, key, _ in taken])
            return False
        # One oversized group goes alone, fragmented by IP (§17); nothing joins it.
        oversized = size > self._max_size
        # Plan the additionals before committing: beside other groups, all of them must
        # fit, or the whole group moves to the next message.
        all_names = self._all_names
        extra_keys = self._extra_keys
        new_names = [name for name in entered if name not in all_names]
        all_names.update(new_names)
        planned: list[Record] = []
        planned_keys: set[RecordKey] = set()
        left: list[Record] = []
        alone = blank and not (questions or taken)  # an additionals-only message
        for record in additionals:
            key = record.key
            if key in main_keys or key in extra_keys or key in planned_keys:
                continue
            record_names: list[bytes] = []
            extra_cost = _record_cost(record, all_names, record_names)
            if size + extra_cost > self._max_size and not oversized:
                if not blank:
                    all_names.difference_update(record_names)
                    all_names.difference_update(new_names)
                    main_names.difference_update(entered)
                    main_keys.difference_update([key for _, key, _ in taken])
                    return False
                if not (alone and not planned and size + extra_cost <= MAX_MESSAGE_SIZE):
                    all_names.difference_update(record_names)
                    if alone and not planned:
                        continue  # larger than any message can be: never sendable
                    left.append(record)  # continues in the next message
                    continue
                oversized = True  # one record larger than the limit: alone (§17)
            elif oversized:
                all_names.difference_update(record_names)
                left.append(record)  # nothing joins an oversized message
                continue
            new_names.extend(record_names)
            planned_keys.add(key)
            planned.append(record)
            size += extra_cost
        self._full = oversized
        self._questions.extend(questions)
        for record, key, section in taken:
            if key in extra_keys:
                # now an answer: not also an additional (no record twice in a message)
                extra_keys.discard(key)
                self._additionals = [r for r in self._additionals if r.key != key]
            section.append(record)
        extra_keys |= planned_keys
        self._additionals.extend(planned)
        self._size = size
        self._left_over = tuple(left)
        return True

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
