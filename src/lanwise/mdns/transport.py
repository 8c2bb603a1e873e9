"""The asyncio driver of the sans-IO mDNS engine: sockets, timer, interface changes.

::

    async with open_mdns(host_name="printer") as mdns:
        registration = await mdns.register(service)
        records = await mdns.resolve(Name.from_text("other.local"), RRType.A)

The transport is a thin adapter (in the manner of aioquic's asyncio protocol):

- a datagram arrives → ``engine.receive(data, source, interface, now)``;
- after anything that can make the engine act (a datagram, the timer, a call
  from the application, an interface change) it flushes
  ``engine.datagrams_to_send(now)``, re-arms one ``loop.call_at`` timer at
  ``engine.get_timer()`` and hands ``engine.next_event()`` events to
  listeners;
- it follows the interface monitor: an interface that appears (or comes up)
  is joined and given to the engine (``add_interface``: probe and announce
  there); one that goes away (or down) is left and taken from the engine
  (``remove_interface``: its cache is flushed); an address change becomes
  ``update_interface`` (re-announce).

The receive path does nothing but ``recvmsg``, drop what is not ours to see
(an interface we do not serve, our own multicast echo) and call the engine;
all protocol work happens there. Sockets: see :mod:`lanwise.mdns.sockets`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address
from math import inf
from types import TracebackType
from typing import Any, Final

from lanwise.dns import Name, Record
from lanwise.errors import PlatformError
from lanwise.interfaces import Interface, open_monitor
from lanwise.mdns.cache import CachedRecord
from lanwise.mdns.echoes import EchoFilter
from lanwise.mdns.endpoints import Datagram, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.events import Event, RecordAdded, RegistrationEstablished
from lanwise.mdns.querier import Query
from lanwise.mdns.registration import AddressRecords, EngineRegistration, ServiceRecords
from lanwise.mdns.selection import (
    InterfaceSelection,
    LinkChange,
    LinkState,
    check_selection,
    normalise_families,
    plan_changes,
)
from lanwise.mdns.sockets import (
    RECEIVE_BUFFER,
    SEND_ERRNOS,
    ancillary_size,
    arrival,
    join_group,
    leave_group,
    open_mdns_socket,
    send_packet_info,
)
from lanwise.mdns.statistics import EngineStatistics

__all__ = [
    "EventStream",
    "LinkTraffic",
    "MdnsTransport",
    "TransportStatistics",
    "open_mdns",
]

_log = logging.getLogger(__name__)

# Datagrams drained per readiness callback before yielding to the loop, so one
# busy socket cannot starve timers and the other socket.
_RECEIVE_BATCH: Final = 64
# A readiness callback within this many seconds of the previous one on the same
# socket means datagrams are arriving in a burst: read until EAGAIN (up to the
# batch). Otherwise read one datagram only; if more are queued the loop calls
# again at once (level-triggered), and that call drains. At ordinary LAN rates
# this spares every callback a second recvmsg failing with EAGAIN and its exception.
_BURST_GAP: Final = 0.005
# Source endpoints are cached to skip re-parsing addresses of busy peers.
_ENDPOINT_CACHE_SIZE: Final = 1024
# A plain int: socket.MSG_TRUNC is an IntFlag, and ``int & IntFlag`` costs microseconds.
_MSG_TRUNC: Final = int(socket.MSG_TRUNC)
_FAMILIES: Final = {4: socket.AF_INET, 6: socket.AF_INET6}


@dataclass(slots=True)
class LinkTraffic:
    """What the transport itself counted on one interface (the engine counts the rest)."""

    packets_sent: int = 0
    bytes_sent: int = 0
    send_errors: int = 0
    last_send_error: str | None = None


@dataclass(slots=True)
class TransportStatistics:
    """``MdnsTransport.statistics()``: the engine's counters plus the transport's own.

    ``engine`` has packets in per interface, malformed dropped, conflicts and
    cache size; ``links`` has packets actually sent and send errors per
    interface index. ``echoes_dropped`` counts our own multicast looped back,
    ``foreign_dropped`` datagrams that arrived on an interface not served,
    ``oversized_dropped`` datagrams over 9000 bytes (§17), ``unsendable``
    datagrams the engine wanted sent on an interface or family that had no
    group membership at that moment.
    """

    engine: EngineStatistics
    links: dict[int, LinkTraffic] = field(default_factory=dict)
    interfaces: dict[int, str] = field(default_factory=dict)
    echoes_dropped: int = 0
    foreign_dropped: int = 0
    oversized_dropped: int = 0
    receive_errors: int = 0
    unsendable: int = 0

    @property
    def send_errors(self) -> int:
        return sum(link.send_errors for link in self.links.values())


class EventStream:
    """Engine events as an async iterator (from :meth:`MdnsTransport.subscribe`).

    Events are queued without bound while the subscriber is slow; leave the
    ``async with`` block to stop receiving them.
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Event] = asyncio.Queue()

    def _put(self, event: Event) -> None:
        self._queue.put_nowait(event)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        return await self._queue.get()

    def get_nowait(self) -> Event | None:
        """The next queued event, or None."""
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None


class _Socket:
    """One family's socket with its per-packet state, kept together for the hot paths."""

    __slots__ = ("ancillary", "family", "joined", "last_readable", "sock", "version")

    def __init__(self, version: int, sock: socket.socket) -> None:
        self.version = version
        self.family = sock.family
        self.sock = sock
        self.ancillary = ancillary_size(sock.family)  # recvmsg's ancbufsize
        self.joined: dict[int, list[tuple[int, int, bytes]]] = {}  # index → sendmsg cmsg
        self.last_readable = -inf  # loop time of the last readiness callback (_BURST_GAP)


class MdnsTransport:
    """A running mDNS engine on real sockets; get one from :func:`open_mdns`.

    The engine's operations are offered here so that each one is followed by
    a flush of what the engine wants sent and a re-armed timer. The synchronous
    ones ask for that flush with :meth:`flush_soon`: every call made in one
    event-loop iteration shares one pass over the engine's timers (registering
    or querying a thousand names at once then costs one flush, not a thousand).
    Everything runs on the event loop that opened it; none of it is thread-safe.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        selection: InterfaceSelection,
        families: frozenset[int],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._engine = engine
        self._selection = selection
        self._families = families
        self._loop = loop
        self._sockets: dict[int, _Socket] = {}
        self._links: dict[int, LinkState] = {}
        self._traffic: dict[int, LinkTraffic] = {}
        self._echoes = EchoFilter()
        self._endpoints: dict[Any, EngineEndpoint] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._flush_scheduled = False
        self._listeners: list[Callable[[Event], None]] = []
        self._waiters: list[tuple[Callable[[Event], bool], asyncio.Future[Event]]] = []
        self._closed = False
        self._echoes_dropped = 0
        self._foreign_dropped = 0
        self._oversized_dropped = 0
        self._receive_errors = 0
        self._unsendable = 0

    # -- the engine, and what it is doing ------------------------------------------
    @property
    def engine(self) -> Engine:
        """The sans-IO engine. Calling it directly is fine; call :meth:`flush` (or
        :meth:`flush_soon`) afterwards so that what it queued is sent and its timer
        re-armed."""
        return self._engine

    @property
    def interfaces(self) -> dict[int, LinkState]:
        """The interfaces served now, by index, with the addresses given to the engine."""
        return dict(self._links)

    def statistics(self) -> TransportStatistics:
        """Counters of the engine and of the transport (see :class:`TransportStatistics`)."""
        return TransportStatistics(
            engine=self._engine.statistics(),
            links={index: _copy_traffic(t) for index, t in self._traffic.items()},
            interfaces={index: state.name for index, state in self._links.items()},
            echoes_dropped=self._echoes_dropped,
            foreign_dropped=self._foreign_dropped,
            oversized_dropped=self._oversized_dropped,
            receive_errors=self._receive_errors,
            unsendable=self._unsendable,
        )

    # -- responder ---------------------------------------------------------------------
    def register_nowait(self, service: ServiceRecords) -> EngineRegistration:
        """Hand ``service`` to the engine (it probes, then announces); return its registration."""
        registration = self._engine.register(service, self._loop.time())
        self.flush_soon()
        return registration

    def register_addresses(self, records: AddressRecords) -> EngineRegistration:
        """Hand another host's address records to the engine (probed, then announced)."""
        registration = self._engine.register_addresses(records, self._loop.time())
        self.flush_soon()
        return registration

    async def register(
        self, service: ServiceRecords, *, timeout: float | None = None
    ) -> EngineRegistration:
        """Register ``service`` and wait until probing has won it on at least one interface.

        Returns the registration at once when no interface is served yet (it
        will be probed on each interface as one appears). The name it ends up
        with may differ from the one asked for if a conflict forced a rename
        (``registration.name``). Raises TimeoutError after ``timeout`` seconds.
        """
        registration = self.register_nowait(service)
        if not self._links:
            return registration
        # Probing takes three 250 ms rounds (§8.1), so the event cannot come
        # before the waiter is in place.
        future = self._waiter(
            lambda e: isinstance(e, RegistrationEstablished) and e.registration is registration
        )
        await self._wait(future, timeout)
        return registration

    def update(
        self,
        registration: EngineRegistration,
        *,
        txt: Sequence[bytes] | None = None,
        port: int | None = None,
    ) -> None:
        """Change a service's TXT strings or port; announced again at once (§8.4)."""
        self._engine.update(registration, self._loop.time(), txt=txt, port=port)
        self.flush_soon()

    def rename(self, registration: EngineRegistration, instance: str) -> None:
        """Give a service a new instance name: goodbye for the old, probe the new (§8.4)."""
        self._engine.rename(registration, instance, self._loop.time())
        self.flush_soon()

    async def unregister(self, registration: EngineRegistration) -> None:
        """Withdraw a registration: its goodbyes (TTL 0) are sent before this returns."""
        self._engine.unregister(registration, self._loop.time())
        self.flush()

    # -- querier ---------------------------------------------------------------------------
    def start_query(
        self,
        name: Name,
        qtype: int,
        *,
        interface: int | None = None,
        unicast_first: bool = False,
        one_shot: bool = False,
        timeout: float | None = None,
        report_cached: bool = True,
        cached_since: int | None = None,
    ) -> Query:
        """Start a query (continuous, §5.2, unless ``one_shot``).

        Answers arrive as :class:`~lanwise.mdns.events.RecordAdded` events and
        in the cache. ``report_cached`` and ``cached_since`` say which records
        cached already are reported too (see :meth:`Engine.start_query`).
        """
        query = self._engine.start_query(
            name,
            qtype,
            self._loop.time(),
            interface=interface,
            unicast_first=unicast_first,
            one_shot=one_shot,
            timeout=timeout,
            report_cached=report_cached,
            cached_since=cached_since,
        )
        self.flush_soon()
        return query

    def stop_query(self, query: Query) -> None:
        """Stop a query started with :meth:`start_query` (idempotent)."""
        self._engine.stop_query(query, self._loop.time())
        self.flush_soon()

    def now(self) -> float:
        """The transport's clock (its event loop's time), as the engine sees it."""
        return self._loop.time()

    def cached(self, name: Name, qtype: int, *, interface: int | None = None) -> list[CachedRecord]:
        """The records the cache holds now for ``name``/``qtype``, per interface."""
        return self._engine.cached(name, qtype, self._loop.time(), interface=interface)

    def cached_records(self, name: Name, qtype: int, *, interface: int) -> list[Record]:
        """The bare records cached now for ``name``/``qtype`` on one interface (no
        snapshots: the hot path of a browse)."""
        return self._engine.cached_records(name, qtype, self._loop.time(), interface=interface)

    @property
    def cache_revision(self) -> int:
        """Moves whenever cached records may have changed (compare two readings)."""
        return self._engine.cache_revision

    @property
    def shares_port(self) -> bool:
        """True while another mDNS stack shares port 5353 here (see :meth:`set_shares_port`)."""
        return self._engine.shares_port

    def set_shares_port(self, shares_port: bool) -> None:
        """Tell the engine whether another mDNS stack shares port 5353 (RFC 6762 §15.1)."""
        self._engine.set_shares_port(shares_port)
        self.flush_soon()

    async def resolve(
        self, name: Name, qtype: int, *, interface: int | None = None, timeout: float = 3.0
    ) -> list[CachedRecord]:
        """Records for ``name``/``qtype`` from the cache, or after querying for them.

        Queries until the first answer arrives (or ``timeout`` seconds pass),
        then returns what the cache holds: empty if nobody answered.
        """
        found = self.cached(name, qtype, interface=interface)
        if found:
            return found
        future = self._waiter(
            lambda e: (
                isinstance(e, RecordAdded)
                and e.record.name == name
                and e.record.rtype == qtype
                and (interface is None or e.interface == interface)
            )
        )
        query = self.start_query(name, qtype, interface=interface)
        try:
            await self._wait(future, timeout)
        except TimeoutError:
            pass
        finally:
            self.stop_query(query)
        return self.cached(name, qtype, interface=interface)

    # -- events ------------------------------------------------------------------------------
    def add_listener(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for every engine event; returns a function that stops it.

        Callbacks run on the event loop in the driver's flush: keep them short
        and do not call back into the transport from them.
        """
        self._listeners.append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return remove

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[EventStream]:
        """``async with mdns.subscribe() as events: async for event in events: ...``"""
        stream = EventStream()
        remove = self.add_listener(stream._put)
        try:
            yield stream
        finally:
            remove()

    async def wait_event(
        self, predicate: Callable[[Event], bool], *, timeout: float | None = None
    ) -> Event:
        """Wait for the next engine event for which ``predicate`` is true.

        Raises TimeoutError after ``timeout`` seconds (None: wait forever).
        """
        return await self._wait(self._waiter(predicate), timeout)

    def _waiter(self, predicate: Callable[[Event], bool]) -> asyncio.Future[Event]:
        future: asyncio.Future[Event] = self._loop.create_future()
        self._waiters.append((predicate, future))
        return future

    async def _wait(self, future: asyncio.Future[Event], timeout: float | None) -> Event:
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiters = [w for w in self._waiters if w[1] is not future]

    # -- the driver --------------------------------------------------------------------------
    def flush_soon(self) -> None:
        """Flush at the next turn of the event loop, once for every call made until then.

        Synchronous operations call this rather than :meth:`flush` (aioquic's
        ``_transmit_soon``). Nothing waits on the wire meanwhile: a query's first
        packet leaves 20-120 ms later (RFC 6762 §5.2), a probe 0-250 ms later (§8.1).
        """
        if not self._flush_scheduled and not self._closed:
            self._flush_scheduled = True
            self._loop.call_soon(self._scheduled_flush)

    def _scheduled_flush(self) -> None:
        self._flush_scheduled = False
        self.flush()

    def flush(self) -> None:
        """Send what the engine has queued, re-arm the timer, deliver events."""
        if self._closed:
            return
        now = self._loop.time()
        for datagram in self._engine.datagrams_to_send(now):
            self._send(datagram, now)
        self._arm_timer()
        self._deliver_events()

    def _arm_timer(self) -> None:
        deadline = self._engine.get_timer()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        if self._closed:
            return
        self._engine.handle_timer(self._loop.time())
        self.flush()

    def _deliver_events(self) -> None:
        next_event = self._engine.next_event
        event = next_event()
        while event is not None:
            for callback in tuple(self._listeners):
                try:
                    callback(event)
                except Exception:
                    _log.exception("mDNS event listener %r failed on %r", callback, event)
            if self._waiters:
                for predicate, future in tuple(self._waiters):
                    if not future.done() and predicate(event):
                        future.set_result(event)
            event = next_event()

    def _on_readable(self, entry: _Socket) -> None:
        sock, joined, receive = entry.sock, entry.joined, self._engine.receive
        ancillary = entry.ancillary
        echoes, endpoint = self._echoes, self._endpoint
        now = self._loop.time()
        batch = _RECEIVE_BATCH if now - entry.last_readable < _BURST_GAP else 1
        entry.last_readable = now
        for _ in range(batch):
            try:
                data, ancdata, flags, address = sock.recvmsg(RECEIVE_BUFFER, ancillary)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                # e.g. an ICMP error queued on the socket; the next read is fine.
                self._receive_errors += 1
                _log.debug("mDNS receive error on IPv%d: %s", entry.version, exc)
                break
            info = arrival(ancdata)
            # IPv6 group membership is not filtered per interface by the kernel.
            if info is None or info[0] not in joined:
                self._foreign_dropped += 1
                continue
            if flags & _MSG_TRUNC:
                self._oversized_dropped += 1
                continue
            if echoes.is_echo(data):
                self._echoes_dropped += 1
                continue
            receive(data, endpoint(address), info[0], now, unicast=not info[1])
        self.flush()

    def _endpoint(self, address: Any) -> EngineEndpoint:
        cached = self._endpoints.get(address)
        if cached is None:
            host = address[0].partition("%")[0]  # the interface index is the scope
            cached = EngineEndpoint(ip_address(host), address[1])
            if len(self._endpoints) >= _ENDPOINT_CACHE_SIZE:
                self._endpoints.clear()
            self._endpoints[address] = cached
        return cached

    def _send(self, datagram: Datagram, now: float) -> None:
        destination = datagram.destination
        version = destination.address.version
        entry = self._sockets.get(version)
        index = datagram.interface
        cmsg = entry.joined.get(index) if entry is not None else None
        if entry is None or cmsg is None:
            self._unsendable += 1
            return
        traffic = self._traffic.get(index)
        if traffic is None:
            traffic = self._traffic[index] = LinkTraffic()
        multicast = destination.address.is_multicast
        host = str(destination.address).partition("%")[0]
        sockaddr: tuple[Any, ...]
        if version == 6:
            scoped = multicast or destination.address.is_link_local
            sockaddr = (host, destination.port, 0, index if scoped else 0)
        else:
            sockaddr = (host, destination.port)
        try:
            entry.sock.sendmsg([datagram.data], cmsg, 0, sockaddr)
        except OSError as exc:
            if exc.errno not in SEND_ERRNOS:
                _log.warning("mDNS send to %s on interface %d failed: %s", destination, index, exc)
            else:
                _log.debug("mDNS send to %s on interface %d failed: %s", destination, index, exc)
            traffic.send_errors += 1
            traffic.last_send_error = exc.strerror or str(exc)
            return
        traffic.packets_sent += 1
        traffic.bytes_sent += len(datagram.data)
        if multicast:
            self._echoes.sent(datagram.data, now)

    # -- interfaces ----------------------------------------------------------------------------
    def apply_interfaces(self, snapshot: dict[int, Interface]) -> list[LinkChange]:
        """Bring the served interfaces in line with ``snapshot``; return what changed.

        Called with the monitor's snapshot after every batch of interface events. A group
        that cannot be joined (the interface vanished in the meantime) is
        skipped with a debug log; the next event sets things right.
        """
        changes = plan_changes(self._links, snapshot, self._selection, self._families)
        now = self._loop.time()
        for change in changes:
            if change.action == "remove":
                self._leave(change.index)
                del self._links[change.index]
                self._engine.remove_interface(change.index, now)
                _log.debug("mDNS: interface %d removed", change.index)
                continue
            assert change.new is not None
            state = change.new
            self._links[change.index] = state
            if change.action == "rename":
                continue
            self._join(state)
            addresses = list(state.addresses)
            if change.action == "add":
                self._engine.add_interface(change.index, addresses, now, mtu=state.mtu)
                _log.debug("mDNS: interface %s (%d) added: %s", state.name, state.index, addresses)
            else:
                self._engine.update_interface(change.index, addresses, now, mtu=state.mtu)
                _log.debug("mDNS: interface %s (%d) now has %s", state.name, state.index, addresses)
        if changes:
            self.flush()
        return changes

    def _join(self, state: LinkState) -> None:
        versions = state.versions
        for version, entry in self._sockets.items():
            if version in versions and state.index not in entry.joined:
                try:
                    join_group(entry.sock, state.index)
                except PlatformError as exc:
                    _log.debug("mDNS: %s", exc)
                    continue
                entry.joined[state.index] = [send_packet_info(entry.family, state.index)]
            elif version not in versions and state.index in entry.joined:
                del entry.joined[state.index]
                leave_group(entry.sock, state.index)

    def _leave(self, index: int) -> None:
        for entry in self._sockets.values():
            if entry.joined.pop(index, None) is not None:
                try:
                    leave_group(entry.sock, index)
                except PlatformError as exc:
                    _log.debug("mDNS: %s", exc)

    # -- lifetime --------------------------------------------------------------------------------
    def _open_sockets(self) -> None:
        failures: list[PlatformError] = []
        for version in sorted(self._families):
            try:
                sock = open_mdns_socket(_FAMILIES[version])
            except PlatformError as exc:
                failures.append(exc)
                _log.warning("mDNS over IPv%d unavailable: %s", version, exc)
                continue
            self._attach(version, sock)
        if not self._sockets:
            raise failures[0]

    def socket_inodes(self) -> frozenset[int]:
        """The inode numbers of our sockets (what /proc/net/udp lists them under)."""
        return frozenset(os.fstat(e.sock.fileno()).st_ino for e in self._sockets.values())

    def _attach(self, version: int, sock: socket.socket) -> None:
        entry = _Socket(version, sock)
        self._sockets[version] = entry
        self._loop.add_reader(sock.fileno(), self._on_readable, entry)

    def close(self) -> None:
        """Say goodbye (the engine's goodbyes for every registration), then close the sockets."""
        if self._closed:
            return
        self._engine.close(self._loop.time())
        now = self._loop.time()
        for datagram in self._engine.datagrams_to_send(now):
            self._send(datagram, now)
        self._deliver_events()
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for entry in self._sockets.values():
            self._loop.remove_reader(entry.sock.fileno())
            entry.sock.close()
        self._sockets.clear()
        for _, future in self._waiters:
            if not future.done():
                future.cancel()

    async def __aenter__(self) -> MdnsTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _copy_traffic(traffic: LinkTraffic) -> LinkTraffic:
    return LinkTraffic(
        traffic.packets_sent, traffic.bytes_sent, traffic.send_errors, traffic.last_send_error
    )


@contextlib.asynccontextmanager
async def open_mdns(
    *,
    host_name: str | None = None,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    engine: Engine | None = None,
    **engine_options: Any,
) -> AsyncIterator[MdnsTransport]:
    """Run an mDNS engine on this host's network for the duration of the block.

    ``interfaces`` chooses where (see :data:`~lanwise.mdns.selection.InterfaceSelection`;
    default: every local-network interface, following changes as they happen);
    ``families`` which IP versions (4, 6 or both) carry mDNS and which
    addresses are published. Pass either ``host_name`` (and any other engine
    options, e.g. ``publish_addresses=False``) or a ready ``engine``; without
    either the engine is querier-only (``Engine(host_name=None)``: no host name
    is probed, announced or published, for one-off lookups and browsing).

    On leaving the block the engine says goodbye to everything registered and
    the sockets close. Raises :class:`~lanwise.errors.UsageError` for an
    unknown interface or bad family, :class:`~lanwise.errors.PlatformError` if
    no mDNS socket can be opened.
    """
    versions = normalise_families(families)
    if engine is None:
        engine = Engine(host_name=host_name, **engine_options)
    loop = asyncio.get_running_loop()
    async with open_monitor() as monitor:
        snapshot = monitor.snapshot()
        check_selection(interfaces, snapshot)
        transport = MdnsTransport(engine, selection=interfaces, families=versions, loop=loop)
        transport._open_sockets()
        try:
            transport.apply_interfaces(snapshot)

            async def follow() -> None:
                # One re-plan per batch of changes, from the newest snapshot.
                while await monitor.next_batch():
                    try:
                        transport.apply_interfaces(monitor.snapshot())
                    except Exception:
                        _log.exception("mDNS: following an interface change failed")

            follower = asyncio.create_task(follow(), name="lanwise-mdns-interfaces")
            try:
                yield transport
            finally:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower
        finally:
            transport.close()
