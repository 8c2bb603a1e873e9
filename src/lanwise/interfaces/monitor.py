"""Live interface changes as an async iterator of typed events.

    async with open_monitor() as monitor:
        for interface in monitor.snapshot().values():
            ...                                    # set up what exists now
        async for event in monitor:
            ...                                    # follow the changes

Driven by kernel notifications (netlink on Linux), never by polling. When the
kernel drops notifications because the receive buffer overflowed (ENOBUFS under
an event storm), the monitor takes a fresh dump and emits the differences, so
the events folded onto the first snapshot always end at the real state.

``snapshot()`` is the current state, updated as notifications arrive, even if
nobody iterates. Events queue up meanwhile; if more than ``max_queued`` are
waiting, the queue is replaced by the difference between what the consumer has
seen and the current state, so memory stays bounded.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType

from lanwise.errors import LanwiseError, PlatformError, ProtocolError
from lanwise.interfaces.backend import Backend, Watcher, get_backend
from lanwise.interfaces.events import InterfaceEvent, apply_event, diff
from lanwise.interfaces.model import Interface

__all__ = ["InterfaceMonitor", "MonitorStatistics", "open_monitor"]

_log = logging.getLogger(__name__)

DEFAULT_MAX_QUEUED = 10_000
_RESYNC_RETRY = 0.05  # seconds between attempts when a resync dump fails


@dataclass(frozen=True, slots=True)
class MonitorStatistics:
    notifications: int  # kernel messages read
    events: int  # events produced
    resyncs: int  # fresh dumps after lost notifications
    collapses: int  # times a full event queue was replaced by a difference
    queued: int  # events waiting to be read
    malformed: int  # notifications that did not parse (each answered with a resync)


class InterfaceMonitor:
    """Follows interface and address changes; use :func:`open_monitor` to get one."""

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        receive_buffer: int | None = None,
        max_queued: int = DEFAULT_MAX_QUEUED,
    ) -> None:
        self._backend = backend if backend is not None else get_backend()
        self._receive_buffer = receive_buffer
        self._max_queued = max_queued
        self._watcher: Watcher | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._state: dict[int, Interface] = {}
        self._seen: dict[int, Interface] = {}  # the state as of the last event handed out
        self._queue: collections.deque[InterfaceEvent] = collections.deque()
        self._collapsed = False
        self._wakeup: asyncio.Event | None = None
        self._closed = False
        self._error: PlatformError | None = None
        self._retry: asyncio.TimerHandle | None = None  # a pending resync retry
        self._events = self._resyncs = self._collapses = self._malformed = 0
        self._notifications = self._watcher_malformed = 0

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Subscribe, then take the first dump (must run inside the event loop).

        Subscribing first means no change falls between dump and subscription;
        notifications that raced with the dump are already in it, and applying
        them again changes nothing.
        """
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._watcher = self._backend.open_watcher(receive_buffer=self._receive_buffer)
        try:
            self._state = self._backend.dump()
            self._seen = dict(self._state)
            self._loop.add_reader(self._watcher.fileno(), self._on_readable)
        except BaseException:
            self._watcher.close()
            self._watcher = None
            raise

    def close(self) -> None:
        """Stop watching; a pending or later ``__anext__`` ends the iteration."""
        if self._closed:
            return
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._watcher is not None:
            self._notifications = self._watcher.notifications
            self._watcher_malformed = self._watcher.malformed
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._watcher.fileno())
            self._watcher.close()
            self._watcher = None
        if self._wakeup is not None:
            self._wakeup.set()

    async def __aenter__(self) -> InterfaceMonitor:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------
    def snapshot(self) -> dict[int, Interface]:
        """The current interfaces, keyed by index (a copy)."""
        return dict(self._state)

    def statistics(self) -> MonitorStatistics:
        """Counters since the monitor started."""
        if self._watcher is not None:
            self._notifications = self._watcher.notifications
            self._watcher_malformed = self._watcher.malformed
        return MonitorStatistics(
            notifications=self._notifications,
            events=self._events,
            resyncs=self._resyncs,
            collapses=self._collapses,
            queued=len(self._queue),
            malformed=self._malformed + self._watcher_malformed,
        )

    def __aiter__(self) -> InterfaceMonitor:
        return self

    async def __anext__(self) -> InterfaceEvent:
        event = await self.next_event()
        if event is None:
            raise StopAsyncIteration
        return event

    async def next_event(self) -> InterfaceEvent | None:
        """The next change, waiting for one; None once the monitor is closed.

        Raises PlatformError if the monitor stopped because the system failed it.
        """
        while True:
            event = self.next_event_nowait()
            if event is not None:
                return event
            if self._error is not None:
                raise self._error
            if self._closed or self._wakeup is None:
                return None
            self._wakeup.clear()
            await self._wakeup.wait()

    async def next_batch(self) -> list[InterfaceEvent]:
        """Every waiting change, waiting for at least one; empty once closed.

        For consumers that re-plan from :meth:`snapshot` after changes: one
        re-plan per batch instead of one per event during a storm.
        """
        first = await self.next_event()
        if first is None:
            return []
        batch = [first]
        while (event := self.next_event_nowait()) is not None:
            batch.append(event)
        return batch

    def next_event_nowait(self) -> InterfaceEvent | None:
        """The next change if one is waiting, else None."""
        if self._collapsed:
            self._collapsed = False
            self._queue.extend(diff(self._seen, self._state))
        if not self._queue:
            return None
        event = self._queue.popleft()
        apply_event(self._seen, event)
        return event

    # -- the reader callback ---------------------------------------------------------
    def _on_readable(self) -> None:
        watcher = self._watcher
        if watcher is None:
            return
        try:
            events, resync = watcher.read(self._state)
        except ProtocolError as exc:
            # The state may be half updated and its events lost: hand the consumer the
            # difference from what it has seen instead, then resync with the kernel.
            self._malformed += 1
            _log.debug("interface monitor: %s; resyncing", exc)
            self._collapse()
            events, resync = [], True
        except OSError as exc:
            # The notification socket failed for good: stop, and tell the consumer.
            self._error = PlatformError(exc.errno or errno.EIO, f"interface monitor stopped: {exc}")
            self.close()
            return
        self._push(events)
        if resync:
            self._try_resync()
        if self._wakeup is not None and (self._queue or self._collapsed):
            self._wakeup.set()

    def _try_resync(self) -> None:
        if self._retry is not None:
            return  # a retry is already scheduled; one dump then covers both
        try:
            self.resync()
        except LanwiseError as exc:
            # A dump can fail while the storm that caused the overrun goes on (it keeps
            # being interrupted); try again shortly rather than lose the monitor.
            _log.debug("interface monitor: resync failed (%s); retrying", exc)
            if self._loop is not None and not self._closed:
                self._retry = self._loop.call_later(_RESYNC_RETRY, self._retry_resync)

    def _retry_resync(self) -> None:
        self._retry = None
        if self._closed:
            return
        self._try_resync()
        if self._wakeup is not None and (self._queue or self._collapsed):
            self._wakeup.set()

    def resync(self) -> None:
        """Replace the state with a fresh dump and queue the differences."""
        fresh = self._backend.dump()
        events = diff(self._state, fresh)
        self._state = fresh
        self._resyncs += 1
        _log.debug("interface monitor: resynced, %d differences", len(events))
        self._push(events)

    def _push(self, events: list[InterfaceEvent]) -> None:
        self._events += len(events)
        if self._collapsed:
            return  # the queue will be rebuilt from the state when read
        self._queue.extend(events)
        if len(self._queue) > self._max_queued:
            self._collapse()

    def _collapse(self) -> None:
        """Drop the queue; the next read hands out the difference between what
        the consumer has seen and the current state instead."""
        self._queue.clear()
        if not self._collapsed:
            self._collapsed = True
            self._collapses += 1


@contextlib.asynccontextmanager
async def open_monitor(
    *, receive_buffer: int | None = None, max_queued: int = DEFAULT_MAX_QUEUED
) -> AsyncIterator[InterfaceMonitor]:
    """Watch this host's interfaces for the duration of the block.

    ``receive_buffer`` sets the kernel receive buffer (SO_RCVBUF) of the
    notification socket; by default it is 1 MiB where the process may exceed
    net.core.rmem_max (CAP_NET_ADMIN), else the system's default.
    """
    monitor = InterfaceMonitor(receive_buffer=receive_buffer, max_queued=max_queued)
    monitor.start()
    try:
        yield monitor
    finally:
        monitor.close()
