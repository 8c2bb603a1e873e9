"""The monitor's queueing, resync and collapse logic, over a fake backend (no kernel)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
from collections.abc import Callable
from ipaddress import IPv4Address

import pytest

from lanwise.errors import PlatformError
from lanwise.interfaces import events as ev
from lanwise.interfaces.model import Address, Interface, InterfaceFlags, InterfaceType, OperState
from lanwise.interfaces.monitor import InterfaceMonitor
from lanwise.interfaces.rtnl import NetlinkFormatError

Op = Callable[[dict[int, Interface]], list[ev.InterfaceEvent]]


def iface(index: int, *addresses: Address) -> Interface:
    return Interface(
        index, f"eth{index}", InterfaceType.WIRED, "veth",
        InterfaceFlags.UP | InterfaceFlags.RUNNING | InterfaceFlags.MULTICAST,
        1500, None, OperState.UP, ev.sort_addresses(list(addresses)),
    )  # fmt: skip


def addr(index: int, last: int) -> Address:
    return Address(IPv4Address(f"10.0.{index}.{last}"), 24, index)


class FakeWatcher:
    """Notifications the test queues; a pipe makes the event loop call us."""

    def __init__(self) -> None:
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self.pending: list[Op] = []
        self.overrun = False
        self.fail: OSError | None = None
        self.notifications = 0
        self.malformed = 0
        self.garbage_after_ops = False

    def push(self, *ops: Op, overrun: bool = False) -> None:
        self.pending += ops
        self.overrun = self.overrun or overrun
        os.write(self._w, b"x")

    def fileno(self) -> int:
        return self._r

    def read(self, state: dict[int, Interface]) -> tuple[list[ev.InterfaceEvent], bool]:
        with contextlib.suppress(BlockingIOError):
            os.read(self._r, 4096)
        if self.fail is not None:
            raise self.fail
        out: list[ev.InterfaceEvent] = []
        self.notifications += len(self.pending)
        for op in self.pending:
            out += op(state)
        self.pending.clear()
        if self.garbage_after_ops:
            self.garbage_after_ops = False
            raise NetlinkFormatError(0, "test garbage")  # the state changed, events lost
        overrun, self.overrun = self.overrun, False
        return out, overrun

    def close(self) -> None:
        os.close(self._r)
        os.close(self._w)


class FakeBackend:
    def __init__(self, truth: dict[int, Interface]) -> None:
        self.truth = truth
        self.watcher = FakeWatcher()
        self.dumps = 0
        self.failing_dumps = 0  # how many of the next dumps fail (interrupted by changes)

    def dump(self) -> dict[int, Interface]:
        self.dumps += 1
        if self.failing_dumps:
            self.failing_dumps -= 1
            raise PlatformError(errno.EAGAIN, "netlink dump kept being interrupted by changes")
        return dict(self.truth)

    def open_watcher(self, *, receive_buffer: int | None = None) -> FakeWatcher:
        return self.watcher


def _adder(address: Address) -> Op:
    return lambda state: ev.update_address(state, address)


async def _drain(monitor: InterfaceMonitor) -> list[ev.InterfaceEvent]:
    await asyncio.sleep(0.01)  # let the reader callback run
    out = []
    while (event := monitor.next_event_nowait()) is not None:
        out.append(event)
    return out


def _fold(state: dict[int, Interface], events: list[ev.InterfaceEvent]) -> dict[int, Interface]:
    out = dict(state)
    for event in events:
        ev.apply_event(out, event)
    return out


async def test_notifications_become_events_and_update_the_snapshot() -> None:
    backend = FakeBackend({1: iface(1)})
    async with InterfaceMonitor(backend) as monitor:
        assert monitor.snapshot() == {1: iface(1)}
        backend.watcher.push(lambda s: ev.update_address(s, addr(1, 5)))
        event = await asyncio.wait_for(anext(monitor), 2)
        assert event == ev.AddressAdded(addr(1, 5))
        assert monitor.snapshot()[1].addresses == (addr(1, 5),)
        assert monitor.statistics().notifications == 1


async def test_overrun_resyncs_with_a_fresh_dump_and_emits_the_difference() -> None:
    backend = FakeBackend({1: iface(1, addr(1, 1))})
    async with InterfaceMonitor(backend) as monitor:
        first = monitor.snapshot()
        backend.truth = {1: iface(1, addr(1, 2)), 2: iface(2)}
        backend.watcher.push(overrun=True)
        events = await _drain(monitor)
        assert monitor.statistics().resyncs == 1 and backend.dumps == 2
        assert monitor.statistics().malformed == 0
        assert monitor.snapshot() == backend.truth
        assert _fold(first, events) == backend.truth
        assert {type(e) for e in events} == {ev.AddressRemoved, ev.AddressAdded, ev.InterfaceAdded}


async def test_full_queue_collapses_into_the_difference_from_what_was_read() -> None:
    backend = FakeBackend({1: iface(1)})
    async with InterfaceMonitor(backend, max_queued=4) as monitor:
        first = monitor.snapshot()
        backend.watcher.push(lambda s: ev.update_address(s, addr(1, 1)))
        [added] = await _drain(monitor)  # the consumer has seen addr 1 …
        ops: list[Op] = [_adder(addr(1, n)) for n in range(2, 12)]
        ops.append(lambda s: ev.remove_address(s, addr(1, 1).key))
        backend.watcher.push(*ops)  # … then 11 changes arrive, more than fit
        await asyncio.sleep(0.01)
        stats = monitor.statistics()
        assert stats.collapses == 1 and stats.queued == 0
        rest = await _drain(monitor)
        # Only the net difference is delivered: addr 1 removed, 2..11 added.
        assert len(rest) == 11
        assert _fold(first, [added, *rest]) == monitor.snapshot()


async def test_next_batch_returns_everything_waiting() -> None:
    backend = FakeBackend({1: iface(1)})
    async with InterfaceMonitor(backend) as monitor:
        backend.watcher.push(*[_adder(addr(1, n)) for n in range(1, 4)])
        batch = await asyncio.wait_for(monitor.next_batch(), 2)
        assert batch == [ev.AddressAdded(addr(1, n)) for n in range(1, 4)]
        monitor.close()
        assert await monitor.next_batch() == []


async def test_a_failing_socket_stops_the_monitor_with_a_platform_error() -> None:
    backend = FakeBackend({1: iface(1)})
    async with InterfaceMonitor(backend) as monitor:
        backend.watcher.fail = OSError(errno.EBADF, "Bad file descriptor")
        backend.watcher.push()
        with pytest.raises(PlatformError) as info:
            await asyncio.wait_for(monitor.next_event(), 2)
        assert info.value.errno == errno.EBADF


async def test_malformed_notification_still_leaves_a_consistent_stream() -> None:
    backend = FakeBackend({1: iface(1)})
    async with InterfaceMonitor(backend) as monitor:
        first = monitor.snapshot()
        backend.watcher.garbage_after_ops = True
        backend.truth = {1: iface(1, addr(1, 7), addr(1, 8))}
        backend.watcher.push(_adder(addr(1, 7)))
        events = await _drain(monitor)
        stats = monitor.statistics()
        assert stats.malformed == 1 and stats.resyncs == 1
        assert monitor.snapshot() == backend.truth
        assert _fold(first, events) == backend.truth


async def test_close_ends_the_iteration() -> None:
    backend = FakeBackend({})
    monitor = InterfaceMonitor(backend)
    monitor.start()
    waiter = asyncio.ensure_future(monitor.next_event())
    await asyncio.sleep(0)
    monitor.close()
    assert await asyncio.wait_for(waiter, 2) is None
    assert [e async for e in monitor] == []


async def test_a_failed_resync_is_retried_once_however_many_overruns_follow() -> None:
    backend = FakeBackend({1: iface(1)})
    async with InterfaceMonitor(backend) as monitor:
        first = monitor.snapshot()
        backend.truth = {1: iface(1, addr(1, 3))}
        backend.failing_dumps = 1
        backend.watcher.push(overrun=True)
        await asyncio.sleep(0.01)  # the resync dump failed: a retry is scheduled
        assert backend.dumps == 2 and monitor.statistics().resyncs == 0
        backend.watcher.push(overrun=True)  # more overruns while the retry is pending …
        backend.watcher.push(overrun=True)
        await asyncio.sleep(0.01)
        assert backend.dumps == 2  # … wait for it instead of dumping again
        event = await asyncio.wait_for(monitor.next_event(), 2)
        assert event is not None
        events = [event]
        assert backend.dumps == 3 and monitor.statistics().resyncs == 1
        assert monitor.snapshot() == backend.truth
        assert _fold(first, events) == backend.truth
