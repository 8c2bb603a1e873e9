"""Probing helpers: the simultaneous-probe tie-break (§8.2.1) and the conflict rate limit (§8.1)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from lanwise.dns import Record
from lanwise.mdns.constants import (
    CONFLICT_RATE_COUNT,
    CONFLICT_RATE_DELAY,
    CONFLICT_RATE_WINDOW,
)

__all__ = ["ConflictRateLimiter", "compare_probe_records"]


def _sort_key(record: Record) -> tuple[int, int, bytes]:
    # §8.2.1: class (cache-flush bit excluded: the codec keeps it apart), type, raw rdata.
    return (record.rclass, record.rtype, record.rdata.to_wire())


def compare_probe_records(ours: Iterable[Record], theirs: Iterable[Record]) -> int:
    """§8.2, §8.2.1: compare two hosts' proposed records for one name.

    Both sides are sorted, then compared record by record — class, then type,
    then the rdata octets as unsigned bytes; if one list is a prefix of the
    other, the longer list is the greater. Returns a negative number when our
    data is lexicographically earlier (we lose and must defer), zero when the
    data are identical (no conflict), positive when we win.
    """
    mine = sorted(_sort_key(r) for r in ours)
    other = sorted(_sort_key(r) for r in theirs)
    if mine == other:
        return 0
    return -1 if mine < other else 1


class ConflictRateLimiter:
    """§8.1: after 15 conflicts within any 10 s, each further probe attempt waits 5 s.

    Once limited, the limit holds until 10 s pass without a conflict: the slow
    pace itself keeps fewer than 15 conflicts in the window, and dropping back to
    full speed then would only start the storm again.
    """

    __slots__ = ("_limited", "_times")

    def __init__(self) -> None:
        self._times: deque[float] = deque()
        self._limited = False

    def record(self, now: float) -> None:
        """Count one conflict at ``now``."""
        self._times.append(now)
        self._prune(now)
        if len(self._times) >= CONFLICT_RATE_COUNT:
            self._limited = True

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] <= now - CONFLICT_RATE_WINDOW:
            self._times.popleft()
        if not self._times:
            self._limited = False

    def limited(self, now: float) -> bool:
        """True while probe attempts must be 5 s apart."""
        self._prune(now)
        return self._limited

    def earliest_probe(self, now: float) -> float | None:
        """When the next probe attempt may start, if limited; None if not limited."""
        return now + CONFLICT_RATE_DELAY if self.limited(now) else None
