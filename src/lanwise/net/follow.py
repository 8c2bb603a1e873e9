"""Following the interface list for a consumer that re-plans from a snapshot.

Listeners and datagram endpoints keep one socket per matching interface. They
do not care which events happened, only what the interfaces are now, so they
re-plan from :meth:`~lanwise.interfaces.InterfaceMonitor.snapshot` once per
batch of changes (one re-plan per storm, not one per event).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from lanwise.interfaces.model import Interface
from lanwise.interfaces.monitor import open_monitor

__all__ = ["Sync", "follow_interfaces"]

_log = logging.getLogger(__name__)

Sync = Callable[[dict[int, Interface]], Awaitable[None]]


async def follow_interfaces(sync: Sync, what: str) -> asyncio.Task[None]:
    """Run ``sync(snapshot)`` now and after every batch of interface changes.

    Returns once the first ``sync`` has run, with the task that goes on
    following (cancel it to stop). A failure before that is raised here. A later
    failure of the monitor is logged with ``what`` and ends the task quietly:
    the consumer keeps its sockets as they are, and closing it raises nothing.
    """
    ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def follow() -> None:
        try:
            async with open_monitor() as monitor:
                await sync(monitor.snapshot())
                ready.set_result(None)
                while await monitor.next_batch():
                    await sync(monitor.snapshot())
        except asyncio.CancelledError:
            if not ready.done():
                ready.cancel()
            raise
        except Exception as exc:
            if not ready.done():
                ready.set_exception(exc)
            else:
                _log.exception("%s: following interface changes failed", what)

    task = asyncio.create_task(follow())
    try:
        await ready
    except BaseException:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise
    return task
