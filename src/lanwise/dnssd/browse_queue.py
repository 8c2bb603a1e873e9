"""The event queue and settle wait that every DNS-SD browser shares.

The engine's :class:`~lanwise.dnssd.browsing.Browser`, avahi's
:class:`~lanwise.dnssd.avahi.browser.AvahiBrowser` and the unicast
:class:`~lanwise.dnssd.unicast.UnicastBrowser` differ in where events come from;
how they are queued, iterated and waited on to settle is this one base.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final, Generic, Self, TypeVar, cast

from lanwise.dnssd.model import (
    BrowseEvent,
    BrowseOverflow,
    ServiceAdded,
    ServiceRemoved,
    ServiceUpdated,
)

# A browse has its "first round" once it has listened SETTLE_MINIMUM and heard
# nothing new for SETTLE_QUIET: the first query leaves within 120 ms and answers
# within another 120 ms (RFC 6762 §5.2, §6); the second query, a second later,
# draws answers from responders that missed the first, or that stayed silent
# (avahi-daemon remembers for about a second the known answers a querier's
# address listed, so a browse just after another from the same host hears it
# only then). The minimum spans that second query and its answers: 120 ms +
# 1 s + 120 ms, with room for a loaded host.
SETTLE_QUIET: Final = 1.0
SETTLE_MINIMUM: Final = 1.5

AddedT = TypeVar("AddedT", bound=ServiceAdded)


class BrowseQueue(Generic[AddedT]):
    """Queued browse events, async iteration over them and :meth:`wait_settled`.

    Subclasses push events with :meth:`_push`, end the iteration by queueing
    None, and give :meth:`current` and :meth:`aclose` (``async with`` calls it).
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[BrowseEvent | BrowseOverflow | None] = asyncio.Queue()
        self._changed = asyncio.Event()
        self._started = self._last_event = asyncio.get_running_loop().time()
        self._closed = False

    def current(self) -> list[AddedT]:
        """The instances reported and still present."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Stop browsing and end the iteration."""
        raise NotImplementedError

    def _push(self, event: BrowseEvent | BrowseOverflow, *, news: bool = True) -> None:
        """Queue ``event`` and wake a settle wait; ``news`` restarts its quiet period."""
        self._queue.put_nowait(event)
        if news:
            self._last_event = asyncio.get_running_loop().time()
        self._changed.set()

    def _end(self) -> None:
        """End the iteration once the queued events are read."""
        self._queue.put_nowait(None)
        self._changed.set()

    def _settle_over(self) -> bool:
        """True when waiting to settle is pointless (no more events will come)."""
        return self._closed

    def _ended(self) -> None:
        """Called when the iteration reaches its end marker, before it stops."""

    async def wait_settled(
        self,
        *,
        quiet: float = SETTLE_QUIET,
        minimum: float = SETTLE_MINIMUM,
        timeout: float | None = None,
    ) -> list[AddedT]:
        """Wait for the first round of answers; return :meth:`current`.

        Returns once the browse has run ``minimum`` seconds and no event came
        for ``quiet`` seconds, or after ``timeout`` seconds in any case. Events
        stay queued for the iterator.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else self._started + timeout
        while not self._settle_over():
            now = loop.time()
            done_at = max(self._started + minimum, self._last_event + quiet)
            if deadline is not None:
                done_at = min(done_at, deadline)
            if now >= done_at:
                break
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), done_at - now)
        return self.current()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> AddedT | ServiceUpdated | ServiceRemoved | BrowseOverflow:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:
            self._ended()
            raise StopAsyncIteration
        # The type as a string: a union with a TypeVar is built anew at each evaluation
        # (microseconds per event, a thousand events per large browse).
        return cast("AddedT | ServiceUpdated | ServiceRemoved | BrowseOverflow", event)

    def get_nowait(self) -> AddedT | ServiceUpdated | ServiceRemoved | BrowseOverflow | None:
        """The next queued event, or None."""
        try:
            event = self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None
        return cast("AddedT | ServiceUpdated | ServiceRemoved | BrowseOverflow | None", event)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
