"""A sans-IO limit on failed attempts per source (wrong passcodes), clock passed in.

Each source has a bucket of ``burst`` failures that refills by one every
``refill`` seconds. A failure takes one; with the bucket empty the source is
refused until the next refill. A 6-digit passcode then takes an attacker at
one source about ``10**6 * refill / 2`` seconds on average, and the host can
show a new passcode long before that. Sources are keyed by address, so
many sources can still try in parallel: the passcode should be changed per
game (the party host picks a fresh one each run).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from lanwise.errors import UsageError

__all__ = ["AttemptLimiter"]


class AttemptLimiter:
    """Counts failed attempts per source; :meth:`retry_after` says when one may try again."""

    def __init__(self, burst: int = 5, refill: float = 10.0, max_sources: int = 4096) -> None:
        if not isinstance(burst, int) or burst < 1:
            raise UsageError("burst", "must be an integer >= 1", burst)
        if not refill > 0:
            raise UsageError("refill", "must be a number of seconds > 0", refill)
        if not isinstance(max_sources, int) or max_sources < 1:
            raise UsageError("max_sources", "must be an integer >= 1", max_sources)
        self.burst = burst
        self.refill = refill
        self.max_sources = max_sources
        # source -> (failures still allowed, when that count was last brought up to date)
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()
        self._refused = 0

    def _tokens(self, source: Hashable, now: float) -> float:
        tokens, since = self._buckets.get(source, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - since) / self.refill)

    def retry_after(self, source: Hashable, now: float) -> float:
        """0 when ``source`` may try now, else the seconds until it may (counted as a refusal)."""
        tokens = self._tokens(source, now)
        if tokens >= 1:
            return 0.0
        self._refused += 1
        return (1 - tokens) * self.refill

    def failed(self, source: Hashable, now: float) -> None:
        """Record a failed attempt (a wrong passcode) from ``source``."""
        tokens = max(0.0, self._tokens(source, now) - 1)
        self._buckets[source] = (tokens, now)
        self._buckets.move_to_end(source)
        while len(self._buckets) > self.max_sources:
            self._buckets.popitem(last=False)  # forget the source idle longest

    def succeeded(self, source: Hashable) -> None:
        """A success clears the source's failures."""
        self._buckets.pop(source, None)

    def statistics(self) -> dict[str, int]:
        """``sources`` with failures on record, attempts ``refused``."""
        return {"sources": len(self._buckets), "refused": self._refused}
