"""The asyncio driver: runs a :class:`LinkLocalMachine` on one Linux interface.

It is a thin adapter. ARP frames come from an AF_PACKET socket
(:class:`~lanwise.linklocal.packet_socket.ArpSocket`), time is the event
loop's monotonic clock, the claimed address is configured and removed with
the netlink requests of :mod:`lanwise.interfaces.netlink`, and link and
address changes come from :func:`lanwise.interfaces.open_monitor`:

- the link going down pauses the machine (the address is removed); coming
  back up probes the previous address first (BCT I.6);
- with ``stop_when_routable``, a routable (non-link-local) IPv4 address on the
  interface pauses the machine in the same way, and its removal resumes it.

Netlink requests are made synchronously on the loop's thread: the kernel
answers them at once, and a worker thread could sit in another network
namespace than the loop's.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import random
from collections.abc import AsyncIterator, Callable
from ipaddress import IPv4Address, IPv4Interface

from lanwise.errors import LanwiseError, PlatformError
from lanwise.interfaces import AddressScope, Interface, InterfaceRemoved, open_monitor
from lanwise.interfaces.netlink import add_address, add_route, delete_address, delete_route
from lanwise.linklocal.constants import BROADCAST_ADDRESS, LINK_LOCAL_NETWORK, RFC_TIMING, Timing
from lanwise.linklocal.events import AddressClaimed, AddressReleased, Event
from lanwise.linklocal.machine import LinkLocalMachine, Statistics
from lanwise.linklocal.packet_socket import ArpSocket
from lanwise.linklocal.states import State

__all__ = ["LINK_DOWN", "ROUTABLE_ADDRESS", "LinkLocalClient", "open_link_local"]

_log = logging.getLogger(__name__)

# Pause reasons the driver uses.
LINK_DOWN = "link down"
ROUTABLE_ADDRESS = "routable address present"

# The 169.254/16 route gets a metric per interface (as avahi-autoipd's script does),
# so several interfaces can each carry one without the kernel refusing a duplicate.
_ROUTE_METRIC_BASE = 1000
# Errors that mean "already gone" when removing what we configured.
_GONE = frozenset({errno.EADDRNOTAVAIL, errno.ESRCH, errno.ENODEV, errno.ENOENT})


class LinkLocalClient:
    """IPv4 link-local addressing on one interface; make one with :func:`open_link_local`.

    Iterate over it (``async for event in client``) for the machine's events;
    the iteration ends when the client closes and raises if it failed.
    """

    def __init__(
        self,
        interface: int,
        *,
        requested: IPv4Address | str | None = None,
        timing: Timing = RFC_TIMING,
        rng: random.Random | None = None,
        stop_when_routable: bool = False,
    ) -> None:
        self._index = interface
        self._stop_when_routable = stop_when_routable
        self._socket = ArpSocket(interface)
        try:
            self._machine = LinkLocalMachine(
                self._socket.hardware_address, requested=requested, timing=timing, rng=rng
            )
        except BaseException:
            self._socket.close()
            raise
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._monitor_task: asyncio.Task[None] | None = None
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._configured: IPv4Address | None = None
        self._failure: BaseException | None = None
        self._closed = False

    # -- read-outs -----------------------------------------------------------------
    @property
    def interface(self) -> int:
        """The interface index."""
        return self._index

    @property
    def interface_name(self) -> str:
        """The interface's name when the client opened (a label only)."""
        return self._socket.name

    @property
    def hardware_address(self) -> bytes:
        return self._socket.hardware_address

    @property
    def state(self) -> State:
        return self._machine.state

    @property
    def address(self) -> IPv4Address | None:
        """The link-local address configured on the interface now, or None."""
        return self._configured

    def statistics(self) -> Statistics:
        return self._machine.statistics()

    # -- waiting -------------------------------------------------------------------
    async def wait_bound(self) -> IPv4Address:
        """Wait until an address is claimed and announced; returns it."""
        await self._wait_for(lambda: self._machine.state is State.BOUND)
        address = self._machine.address
        assert address is not None
        return address

    async def wait_state(self, *states: State) -> State:
        """Wait until the machine is in one of ``states``; returns that state."""
        await self._wait_for(lambda: self._machine.state in states)
        return self._machine.state

    async def _wait_for(self, predicate: Callable[[], bool]) -> None:
        if not predicate():
            self._check_open()
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append((predicate, future))
            try:
                await future
            finally:
                self._waiters = [w for w in self._waiters if w[1] is not future]

    def _check_open(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._closed:
            raise PlatformError(errno.ESHUTDOWN, "the link-local client is closed")

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            event = await self._events.get()
            if event is None:
                if self._failure is not None:
                    raise self._failure
                return
            yield event

    # -- life cycle ----------------------------------------------------------------
    async def start(self) -> None:
        """Start probing and following the interface. Called by :func:`open_link_local`."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._machine.start(loop.time())
        ready: asyncio.Future[None] = loop.create_future()
        self._monitor_task = loop.create_task(self._follow_interface(ready))
        # The initial link and address state applies before any probe goes out, so
        # nothing may arm the machine's timer before then: frames that arrive meanwhile
        # wait in the socket and are read once the reader is added below.
        await asyncio.wait({ready, self._monitor_task}, return_when=asyncio.FIRST_COMPLETED)
        if ready.done():
            ready.result()
        else:
            self._monitor_task.result()
        loop.add_reader(self._socket.fileno(), self._on_readable)
        self._service()

    async def aclose(self) -> None:
        """Stop, release the address and close the socket. Safe to call twice."""
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        task = self._monitor_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, LanwiseError):
                await task
        self._machine.stop(loop.time())
        try:
            self._service()
        finally:
            self._shut()

    def _shut(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._loop is not None:
            self._loop.remove_reader(self._socket.fileno())
        self._socket.close()
        if self._configured is not None:
            try:
                self._unconfigure(self._configured)
            except LanwiseError as exc:
                _log.error("could not remove %s: %s", self._configured, exc)
        self._events.put_nowait(None)
        self._wake_waiters()

    def _fail(self, exc: BaseException) -> None:
        """A platform error stops everything; iterators and waiters see the exception."""
        _log.error("link-local on %s failed: %s", self._socket.name, exc)
        if self._failure is None:
            self._failure = exc
        if self._loop is not None and not self._closed:
            self._machine.stop(self._loop.time())
            while self._machine.next_event() is not None:
                pass
        self._shut()
        if self._monitor_task is not None and self._monitor_task is not asyncio.current_task():
            self._monitor_task.cancel()

    # -- the adapter ---------------------------------------------------------------
    def _now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    def _on_readable(self) -> None:
        try:
            frames = self._socket.receive()
            now = self._now()
            for frame in frames:
                self._machine.receive_arp(frame, now)
            self._service()
        except LanwiseError as exc:
            self._fail(exc)

    def _on_timer(self) -> None:
        self._timer = None
        try:
            self._machine.handle_timer(self._now())
            self._service()
        except LanwiseError as exc:
            self._fail(exc)

    def _service(self) -> None:
        """Act on the machine's events, send its packets, re-arm its timer."""
        if self._closed:
            return
        machine = self._machine
        claimed: list[IPv4Address] = []
        while (event := machine.next_event()) is not None:
            if isinstance(event, AddressClaimed):
                claimed.append(event.address)
            elif isinstance(event, AddressReleased):
                # Gone before the next probe leaves: a released address is not used.
                self._unconfigure(event.address)
            self._events.put_nowait(event)
        for packet in machine.packets_to_send():
            self._socket.send(packet.to_frame())
        # A claimed address goes on the interface only once its first announcement has
        # left (RFC 3927 §2.4): before that, a program watching the interface (an mDNS
        # responder) could already send from it while it is still being claimed.
        for address in claimed:
            self._configure(address)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = machine.get_timer()
        if deadline is not None and self._loop is not None:
            self._timer = self._loop.call_at(deadline, self._on_timer)
        self._wake_waiters()

    def _wake_waiters(self) -> None:
        for predicate, future in self._waiters:
            if future.done():
                continue
            if self._failure is not None:
                future.set_exception(self._failure)
            elif self._closed:
                future.set_exception(
                    PlatformError(errno.ESHUTDOWN, "the link-local client is closed")
                )
            elif predicate():
                future.set_result(None)

    # -- the interface's configuration ---------------------------------------------
    def _configure(self, address: IPv4Address) -> None:
        index = self._index
        add_address(
            index,
            IPv4Interface((address, LINK_LOCAL_NETWORK.prefixlen)),
            scope=AddressScope.LINK,
            broadcast=BROADCAST_ADDRESS,
            noprefixroute=True,
            replace=True,
        )
        self._configured = address
        add_route(
            index,
            LINK_LOCAL_NETWORK,
            scope=AddressScope.LINK,
            metric=_ROUTE_METRIC_BASE + index,
            source=address,
            replace=True,
        )
        _log.info("configured %s/16 on %s", address, self._socket.name)

    def _unconfigure(self, address: IPv4Address) -> None:
        self._configured = None
        index = self._index
        try:
            delete_route(index, LINK_LOCAL_NETWORK, metric=_ROUTE_METRIC_BASE + index)
        except PlatformError as exc:
            if exc.errno not in _GONE:
                _log.warning("removing the 169.254.0.0/16 route: %s", exc)
        try:
            delete_address(index, IPv4Interface((address, LINK_LOCAL_NETWORK.prefixlen)))
        except PlatformError as exc:
            if exc.errno not in _GONE:
                raise
        _log.info("removed %s/16 from %s", address, self._socket.name)

    # -- following the interface ---------------------------------------------------
    async def _follow_interface(self, ready: asyncio.Future[None]) -> None:
        try:
            async with open_monitor() as monitor:
                current = monitor.snapshot().get(self._index)
                if current is None:
                    raise PlatformError(errno.ENODEV, f"interface #{self._index} disappeared")
                self._apply(current)
                ready.set_result(None)
                async for event in monitor:
                    if event.index != self._index:
                        continue
                    if isinstance(event, InterfaceRemoved):
                        raise PlatformError(
                            errno.ENODEV, f"interface {self._socket.name} was removed"
                        )
                    # The snapshot is the newest state, possibly ahead of this event.
                    current = monitor.snapshot().get(self._index)
                    if current is not None:
                        self._apply(current)
        except LanwiseError as exc:
            if not ready.done():
                ready.set_exception(exc)
                raise
            self._fail(exc)

    def _apply(self, interface: Interface) -> None:
        """Pause or resume the machine to match the interface's state."""
        now = self._now()
        machine = self._machine
        if interface.is_operational:
            machine.resume(now, LINK_DOWN)
        else:
            machine.pause(now, LINK_DOWN)
        if self._stop_when_routable:
            if _has_routable_ipv4(interface):
                machine.pause(now, ROUTABLE_ADDRESS)
            else:
                machine.resume(now, ROUTABLE_ADDRESS)
        self._service()


def _has_routable_ipv4(interface: Interface) -> bool:
    return any(
        a.address.version == 4 and not a.address.is_link_local and not a.address.is_loopback
        for a in interface.addresses
    )


@contextlib.asynccontextmanager
async def open_link_local(
    interface: int,
    *,
    requested: IPv4Address | str | None = None,
    timing: Timing = RFC_TIMING,
    rng: random.Random | None = None,
    stop_when_routable: bool = False,
) -> AsyncIterator[LinkLocalClient]:
    """Claim and hold an IPv4 link-local address on interface ``interface`` (an index).

    ``requested`` is probed first (a previous address); otherwise the first
    candidate is derived from the interface's MAC. ``stop_when_routable``
    stands aside while the interface has a routable IPv4 address. ``timing``
    is for tests and labs only (see :meth:`Timing.scaled`). On exit, and on
    any failure, the address is removed from the interface.

    Needs Linux, CAP_NET_RAW (packet socket) and CAP_NET_ADMIN (addresses).
    """
    client = LinkLocalClient(
        interface,
        requested=requested,
        timing=timing,
        rng=rng,
        stop_when_routable=stop_when_routable,
    )
    try:
        await client.start()
        yield client
    finally:
        await client.aclose()
