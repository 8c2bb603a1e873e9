"""Per-client limits of a Discovery Proxy's DNS servers: sans-IO, clock passed in.

:class:`RateLimiter` is a token bucket per source address: each client may
send ``rate`` queries a second on average, ``burst`` at once; a query over the
limit is dropped and counted (no reply: a flood with a forged source then
reflects nothing). The table of buckets is bounded; when full, the bucket
unused longest is forgotten (a forgotten client starts again with a full
bucket, which a flood of distinct sources cannot turn into more than
``burst`` queries each).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

from lanwise.errors import UsageError

__all__ = ["DEFAULT_BURST", "DEFAULT_RATE", "RateLimiter"]

DEFAULT_RATE: Final = 200.0
"""Queries a second one client may send on average. A recursive resolver in front of
many clients is one client here, but it keeps answers for their TTL; raise it for a
busy one (``--rate``)."""
DEFAULT_BURST: Final = 400.0
_DEFAULT_CLIENTS: Final = 16384


class RateLimiter:
    """A token bucket per client address (any hashable key)."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: float = DEFAULT_BURST,
        *,
        max_clients: int = _DEFAULT_CLIENTS,
    ) -> None:
        if not rate > 0:
            raise UsageError("rate", "a number of queries a second > 0", rate)
        if not burst >= 1:
            raise UsageError("burst", "a number of queries >= 1", burst)
        if max_clients < 1:
            raise UsageError("max_clients", "at least 1", max_clients)
        self.rate = float(rate)
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: OrderedDict[object, list[float]] = OrderedDict()
        self.dropped = 0

    def allow(self, client: object, now: float) -> bool:
        """Take one token from ``client``'s bucket at ``now``; False (and counted) if empty."""
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= self.max_clients:
                self._buckets.popitem(last=False)
            bucket = self._buckets[client] = [self.burst, now]
        else:
            self._buckets.move_to_end(client)
            tokens, last = bucket
            if now > last:
                bucket[0] = min(self.burst, tokens + (now - last) * self.rate)
                bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return True
        self.dropped += 1
        return False

    def __len__(self) -> int:
        return len(self._buckets)
