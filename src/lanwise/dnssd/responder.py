"""The asyncio face of DNS-SD: one in-process responder per program.

::

    async with lanwise.open_responder() as responder:
        registration = await responder.register(Service("Kitchen", "_http._tcp", 8080))
        print("published as", registration.name)
        async with responder.browse("_ipp._tcp", resolve=True) as browser:
            async for event in browser:
                ...

The responder runs the mDNS engine on real sockets through
:func:`lanwise.mdns.transport.open_mdns` (no daemon needed). The engine probes,
announces, answers, renames after conflicts and says goodbye; this module turns
services into the engine's records, and the engine's cache events into browse
events (through the sans-IO :class:`~lanwise.dnssd.browser.ServiceBrowser`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from ipaddress import IPv4Address, IPv6Address
from types import TracebackType
from typing import Any, Final, Generic, Literal, TypeVar, cast, overload

from lanwise.dns import PTR, SRV, TXT, Name, Record, RRType
from lanwise.dnssd.backend import DnssdResponder, check_backend
from lanwise.dnssd.browser import BrowseTarget, ServiceBrowser, scoped_address
from lanwise.dnssd.hosts import HostRegistration, parse_address
from lanwise.dnssd.model import (
    AddressInfo,
    BrowseEvent,
    HostInfo,
    IPAddress,
    ResolvedServiceAdded,
    Service,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceUpdated,
)
from lanwise.dnssd.names import (
    SERVICE_TYPE_ENUMERATION,
    ServiceType,
    parse_host_name,
    validate_instance_name,
)
from lanwise.dnssd.system import (
    HostMode,
    HostPlan,
    SystemResponder,
    detect_system_responders,
    plan_host,
    port_shared,
)
from lanwise.dnssd.txt import TxtInput, encode_txt
from lanwise.errors import LanwiseError, UsageError
from lanwise.mdns.cache import DEFAULT_MAX_RECORDS, DEFAULT_MAX_WANTED_RECORDS
from lanwise.mdns.events import (
    CacheOverflow,
    Event,
    RecordAdded,
    RecordRemoved,
    RecordUpdated,
    RegistrationEstablished,
    RegistrationRenamed,
)
from lanwise.mdns.registration import (
    AddressRecords,
    EngineRegistration,
    ServiceRecords,
    reverse_name,
)
from lanwise.mdns.selection import InterfaceSelection, normalise_families
from lanwise.mdns.transport import MdnsTransport, open_mdns

__all__ = [
    "HOST_CHECK_TIMEOUT",
    "Browser",
    "Registration",
    "ResolveTimeoutError",
    "Responder",
    "open_responder",
]

_log = logging.getLogger(__name__)

# Once a resolve has a complete answer on one interface, how long it waits for
# the other interfaces and the other address family to answer too. The records
# of one responder arrive together (RFC 6763 §12), so this only matters for
# multi-homed peers; 250 ms spans the 20-120 ms shared-answer delay (RFC 6762 §6)
# with room for a second responder's packet.
RESOLVE_SETTLE: Final = 0.25
DEFAULT_RESOLVE_TIMEOUT: Final = 5.0
# A browse has its "first round" once it has listened SETTLE_MINIMUM and heard
# nothing new for SETTLE_QUIET: the first query leaves within 120 ms and answers
# within another 120 ms (RFC 6762 §5.2, §6); the second query, a second later,
# draws answers from responders that missed the first, or that stayed silent
# (avahi-daemon remembers for about a second the known answers a querier's
# address listed, so a browse just after another from the same host hears it
# only then). The minimum spans that second query and its answers: 120 ms +
# 1 s + 120 ms, with room for a loaded host.
SETTLE_QUIET: Final = 1.0
# How often the port-5353 table is read again, at most, as queries start (a file read).
PORT_CHECK_INTERVAL: Final = 1.0
SETTLE_MINIMUM: Final = 1.5

# How long a service naming another host (``Service(host=…)``) waits, once
# established, for that host's A/AAAA before warning that nobody can reach it:
# the default resolve timeout, which spans three queries (RFC 6762 §5.2).
HOST_CHECK_TIMEOUT: Final = DEFAULT_RESOLVE_TIMEOUT

RenameCallback = Callable[["Registration", str, str], None]
WarningCallback = Callable[["Registration", str], None]


class ResolveTimeoutError(LanwiseError, TimeoutError):
    """Nothing answered a resolve within its timeout."""


def _interface_scope(index: int) -> str | None:
    try:
        return socket.if_indextoname(index)
    except OSError:
        return None


def _service_records(service: Service) -> ServiceRecords:
    return ServiceRecords(
        instance=service.name,
        service_type=f"{service.type.service}.{service.type.protocol}",
        port=service.port,
        txt=service.txt,
        subtypes=service.subtypes,
        domain=service.type.domain,
        host=service.host,
    )


class Registration:
    """A registered service: its final name, TXT updates, and withdrawal.

    Get one from :meth:`Responder.register`. :attr:`name` is the instance name
    in use now, which changes if another responder on the link claims it
    (``"Kitchen"`` → ``"Kitchen (2)"``); :meth:`add_rename_callback` reports that.
    """

    def __init__(self, responder: Responder, service: Service, engine: EngineRegistration) -> None:
        self._responder = responder
        self._service = service
        self._engine = engine
        self._established = asyncio.Event()
        self._rename_callbacks: list[RenameCallback] = []
        self._warning_callbacks: list[WarningCallback] = []
        self._warnings: list[str] = []
        self._host_check: asyncio.Task[None] | None = None  # see Responder._check_host
        self._withdrawn = False

    @property
    def service(self) -> Service:
        """The service as published now (its ``name`` follows renames)."""
        return self._service

    @property
    def name(self) -> str:
        """The instance name in use now."""
        return self._service.name

    @property
    def established(self) -> bool:
        """True once probing has won the name on at least one interface (RFC 6762 §8.1)."""
        return self._established.is_set()

    @property
    def withdrawn(self) -> bool:
        return self._withdrawn

    @property
    def interfaces(self) -> dict[int, str]:
        """State per interface index (``"probing"``, ``"announcing"``, ``"announced"``)."""
        return {index: str(state) for index, state in self._engine.interfaces.items()}

    async def wait_established(self, timeout: float | None = None) -> str:
        """Wait until the name is ours on some interface; return the final name."""
        await asyncio.wait_for(self._established.wait(), timeout)
        return self.name

    def add_rename_callback(self, callback: RenameCallback) -> Callable[[], None]:
        """Call ``callback(registration, old_name, new_name)`` on each rename; returns a remover."""
        self._rename_callbacks.append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._rename_callbacks.remove(callback)

        return remove

    @property
    def warnings(self) -> tuple[str, ...]:
        """What went wrong without stopping the service (its ``host`` has no address)."""
        return tuple(self._warnings)

    def add_warning_callback(self, callback: WarningCallback) -> Callable[[], None]:
        """Call ``callback(registration, message)`` on each warning; returns a remover.

        A service whose ``host`` names another host gets one warning when, once
        established, nobody answers for that host's addresses within
        :data:`HOST_CHECK_TIMEOUT` seconds: nobody could reach the service.
        Without a callback the warning is logged (logger ``lanwise.dnssd.responder``,
        level WARNING); with one, the callback reports it (the log gets INFO).
        """
        self._warning_callbacks.append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._warning_callbacks.remove(callback)

        return remove

    def _warn(self, message: str) -> None:
        self._warnings.append(message)
        # Told once: to the callbacks if there are any, else as a logged warning.
        level = logging.INFO if self._warning_callbacks else logging.WARNING
        _log.log(level, "%s: %s", self._service, message)
        for callback in tuple(self._warning_callbacks):
            try:
                callback(self, message)
            except Exception:
                _log.exception("warning callback %r failed", callback)

    async def update_txt(self, txt: TxtInput) -> None:
        """Publish new TXT data; the engine re-announces it (RFC 6762 §8.4)."""
        self._check_live()
        strings = encode_txt(txt)
        self._service = self._service.with_txt(strings)
        mdns = self._responder.transport
        mdns.engine.update(self._engine, asyncio.get_running_loop().time(), txt=strings)
        mdns.flush()

    async def rename(self, name: str) -> None:
        """Move to another instance name: goodbye for the old one, then probe the new one."""
        self._check_live()
        name = validate_instance_name(name)
        mdns = self._responder.transport
        self._established.clear()
        mdns.engine.rename(self._engine, name, asyncio.get_running_loop().time())
        mdns.flush()

    async def withdraw(self) -> None:
        """Send goodbyes (TTL 0, RFC 6762 §10.1) and stop answering for this service."""
        if self._withdrawn:
            return
        self._withdrawn = True
        self._responder._forget(self)
        if self._host_check is not None:
            self._host_check.cancel()
        if not self._responder.closed:
            await self._responder.transport.unregister(self._engine)

    def _check_live(self) -> None:
        if self._withdrawn:
            raise UsageError("registration", "it has been withdrawn")
        if self._responder.closed:
            raise UsageError("registration", "its responder is closed")

    # -- engine events ------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, RegistrationEstablished):
            self._sync_name(event.name)
            self._established.set()
        elif isinstance(event, RegistrationRenamed):
            old = self._service.name
            self._sync_name(event.new_name)
            new = self._service.name
            if old != new:
                for callback in tuple(self._rename_callbacks):
                    try:
                        callback(self, old, new)
                    except Exception:
                        _log.exception("rename callback %r failed", callback)

    def _sync_name(self, name: Name) -> None:
        label = name.first_label
        if label != self._service.name:
            self._service = self._service.with_name(label)

    def __repr__(self) -> str:
        return f"<Registration {self._service} {self.interfaces}>"


AddedT = TypeVar("AddedT", bound=ServiceAdded)


class Browser(Generic[AddedT]):
    """Browse events as an async iterator; get one from :meth:`Responder.browse`.

    Use it as ``async with responder.browse(...) as browser: async for event in
    browser`` so that its queries stop when the block ends (or call
    :meth:`aclose`). :meth:`current` lists what is present now.

    ``Browser[ResolvedServiceAdded]`` (from ``resolve=True``) reports additions
    whose ``info`` is never None; ``Browser[ServiceAdded]`` the plain ones.
    """

    def __init__(
        self,
        responder: Responder,
        target: BrowseTarget | None,
        *,
        resolve: bool,
        interfaces: frozenset[int] | None,
    ) -> None:
        self._responder = responder
        self._resolve = resolve
        self._only = interfaces
        self._queue: asyncio.Queue[BrowseEvent | None] = asyncio.Queue()
        self._changed = asyncio.Event()
        self._started = asyncio.get_running_loop().time()
        self._last_event = self._started
        self._browsers: dict[BrowseTarget, ServiceBrowser] = {}
        self._queries: dict[tuple[Name, int], Any] = {}
        # Query changes wait for the next loop iteration (see _flush), with the cache
        # revision the flush read.
        self._pending_changes: list[tuple[tuple[Name, int], bool]] = []
        self._read_revision = 0
        self._closed = False
        self._partial = responder._cache_partial  # shed before this browse began
        self._all_types = target is None
        if target is None:
            enumeration = BrowseTarget(ServiceType.parse(".".join(SERVICE_TYPE_ENUMERATION)))
            self._enumeration: ServiceBrowser | None = self._new_browser(enumeration, False)
        else:
            self._enumeration = None
            self._new_browser(target, resolve)

    @property
    def closed(self) -> bool:
        return self._closed

    def _new_browser(self, target: BrowseTarget, resolve: bool) -> ServiceBrowser:
        mdns = self._responder.transport
        browser = ServiceBrowser(
            target,
            self._responder._lookup,
            resolve=resolve,
            scope=_interface_scope,
            families=self._responder.families,
        )
        self._browsers[target] = browser
        if self._partial:
            browser.set_partial()
        self._start(browser.ptr_name, RRType.PTR)
        browser.seed(sorted(mdns.interfaces))
        return browser

    def _start(self, name: Name, rtype: int, *, cached_since: int | None = None) -> None:
        key = (name, rtype)
        if key not in self._queries:
            self._queries[key] = self._responder._start_query(
                name, rtype, cached_since=cached_since
            )

    def _on_record(self, interface: int, record: Record, present: bool) -> None:
        if self._only is not None and interface not in self._only:
            return
        for browser in self._browsers.values():
            browser.record_changed(interface, record, present)

    def _flush(self) -> None:
        if self._closed:
            return
        enumeration = self._enumeration
        if enumeration is not None:
            for event in enumeration.flush():
                if isinstance(event, ServiceAdded):
                    try:
                        target = BrowseTarget(ServiceType.parse(event.name))
                    except UsageError:
                        continue  # a peer enumerated a type that breaks §7: not browsable
                    if target not in self._browsers:
                        self._new_browser(target, self._resolve)
        changes: list[tuple[tuple[Name, int], bool]] = []
        now = asyncio.get_running_loop().time()
        for browser in self._browsers.values():
            if browser is enumeration:
                continue
            for event in browser.flush():
                self._queue.put_nowait(event)
                self._last_event = now
                self._changed.set()
            changes += browser.take_wanted_changes()
        if changes:
            # The consumer, woken by the first event above, runs before thousands of
            # queries start (they go out 20-120 ms later anyway, §5.2).
            if not self._pending_changes:
                self._read_revision = self._responder._cache_revision()
                asyncio.get_running_loop().call_soon(self._apply_changes)
            self._pending_changes += changes

    def _apply_changes(self) -> None:
        changes, self._pending_changes = self._pending_changes, []
        if self._closed or self._responder.closed:
            return
        # Records that reached the cache since the flush read it landed unwatched (no
        # query wanted them yet): the new queries report those as news, so no answer
        # slips past the browser.
        self._sync_queries(changes, cached_since=self._read_revision)

    def _sync_queries(
        self, changes: list[tuple[tuple[Name, int], bool]], *, cached_since: int | None = None
    ) -> None:
        """Keep one continuous query per record resolution needs (RFC 6762 §5.2).

        Only what changed is visited (a browse of a thousand instances flushes
        dozens of times while the answers come in).
        """
        if not changes:
            return
        browsers = self._browsers.values()
        ptrs = {b.ptr_name for b in browsers}
        for key, wanted in changes:
            if wanted:
                self._start(*key, cached_since=cached_since)
            elif (
                key in self._queries
                and key[0] not in ptrs
                and not any(b.wants(key) for b in browsers)
            ):
                self._responder._stop_query(self._queries.pop(key))

    @property
    def partial(self) -> bool:
        """True once the cache has had to shed records browses asked for.

        Past its bound for records asked for (``max_wanted_records``, see
        docs/mdns.md) the cache drops some to bound memory. Those services are
        not reported removed, as they are not known to be gone; but from then on
        (for this browse and any started later on the same responder) what a
        browse reports may be incomplete.
        """
        return self._partial

    def _overflowed(self) -> None:
        self._partial = True
        for browser in self._browsers.values():
            browser.set_partial()

    def current(self) -> list[AddedT]:
        """The instances reported and still present, one entry per interface."""
        found: list[ServiceAdded] = []
        for browser in self._browsers.values():
            if browser is not self._enumeration:
                found.extend(browser.current())
        return cast(list[AddedT], found)

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
        while not self._closed:
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

    def __aiter__(self) -> Browser[AddedT]:
        return self

    async def __anext__(self) -> AddedT | ServiceUpdated | ServiceRemoved:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return cast(AddedT | ServiceUpdated | ServiceRemoved, event)

    def get_nowait(self) -> AddedT | ServiceUpdated | ServiceRemoved | None:
        """The next queued event, or None."""
        try:
            return cast(AddedT | ServiceUpdated | ServiceRemoved | None, self._queue.get_nowait())
        except asyncio.QueueEmpty:
            return None

    async def aclose(self) -> None:
        """Stop browsing: end the iteration and stop the queries."""
        if self._closed:
            return
        self._closed = True
        self._responder._browsers.discard(self)
        if not self._responder.closed:
            for query in self._queries.values():
                self._responder._stop_query(query)
        self._queries.clear()
        self._queue.put_nowait(None)
        self._changed.set()

    async def __aenter__(self) -> Browser[AddedT]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class Responder:
    """A DNS-SD responder and browser on this host's network; see :func:`open_responder`."""

    def __init__(
        self, transport: MdnsTransport, families: frozenset[int], plan: HostPlan | None = None
    ) -> None:
        self._mdns = transport
        self.families = families
        self._plan = plan
        self._port_checked = transport.now()  # open_responder has just looked
        self._registrations: dict[EngineRegistration, Registration] = {}
        self._hosts: dict[EngineRegistration, HostRegistration] = {}
        self._checks: set[asyncio.Task[None]] = set()  # see _check_host
        self._browsers: set[Browser[Any]] = set()
        self._wakers: set[asyncio.Event] = set()
        self._flush_scheduled = False
        self._mdns_flush_scheduled = False
        self._closed = False
        # The cache shed records asked for (CacheOverflow): every browse, including
        # those started later, may be partial from then on (shed records stay unknown).
        self._cache_partial = False
        self._remove_listener = transport.add_listener(self._on_event)

    @property
    def transport(self) -> MdnsTransport:
        """The mDNS transport underneath (for statistics and low-level queries)."""
        return self._mdns

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def host_mode(self) -> str:
        """``"own"`` (lanwise holds the host name), ``"system"`` or ``"querier-only"``."""
        return "querier-only" if self._plan is None else self._plan.mode

    @property
    def host_holder(self) -> SystemResponder | None:
        """The system responder holding the host name in ``system`` mode (None if unseen)."""
        return None if self._plan is None else self._plan.holder

    @property
    def shares_port(self) -> bool:
        """True when another mDNS stack was bound to port 5353 here as this one opened."""
        return self._mdns.engine.shares_port

    @property
    def interfaces(self) -> dict[int, str]:
        """The interfaces served now: index → name."""
        return {index: state.name for index, state in self._mdns.interfaces.items()}

    @property
    def registrations(self) -> list[Registration]:
        return list(self._registrations.values())

    # -- registering ------------------------------------------------------------------
    async def register(
        self, service: Service, *, wait: bool = True, timeout: float | None = None
    ) -> Registration:
        """Publish ``service``: probe its name, announce it, answer for it.

        With ``wait`` (the default) this returns once the name is ours on at
        least one interface, so :attr:`Registration.name` is the final name
        (``"Name (2)"`` if another responder had ``"Name"``). Returns at once
        when no interface is served yet. Raises TimeoutError after ``timeout``;
        the service is withdrawn then (and when the wait is cancelled), since
        the caller holds no registration to withdraw it with.
        """
        if not isinstance(service, Service):
            raise UsageError("service", "a lanwise.dnssd.Service", service)
        self._check_open()
        # Hand the service to the engine now, but flush once for every register
        # call made in the same loop iteration: registering N services at once
        # then costs one pass over the engine's timers, not N (and they share
        # their probe packets, RFC 6762 §8.1).
        now = asyncio.get_running_loop().time()
        engine_registration = self._mdns.engine.register(_service_records(service), now)
        self._schedule_mdns_flush()
        registration = Registration(self, service, engine_registration)
        self._registrations[engine_registration] = registration
        if engine_registration.established:
            registration._established.set()
        if service.host is not None:
            check = asyncio.get_running_loop().create_task(self._check_host(registration))
            self._checks.add(check)
            check.add_done_callback(self._checks.discard)
            registration._host_check = check
        if wait and self._mdns.interfaces:
            try:
                await registration.wait_established(timeout)
            except BaseException:
                await registration.withdraw()
                raise
        return registration

    async def _check_host(self, registration: Registration) -> None:
        """Warn once if the host a service names has no address anyone answers with.

        Asked once the service is established (its probes are done), so address
        records registered with it (:meth:`register_host`) have had their turn.
        """
        host = registration.service.host
        if host is None:
            return
        await registration._established.wait()
        if registration.withdrawn or self._closed:
            return
        try:
            await self.resolve_host(host, timeout=HOST_CHECK_TIMEOUT)
        except ResolveTimeoutError:
            if not registration.withdrawn and not self._closed:
                registration._warn(
                    f"nobody answers for {host}.local's addresses: the service cannot be "
                    "reached (publish its addresses with register_host / --address)"
                )
        except UsageError:
            return  # closed meanwhile

    async def register_host(
        self,
        host: str,
        addresses: Iterable[IPAddress | str],
        *,
        reverse: bool = True,
        rename: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> HostRegistration:
        """Publish ``host.local`` with ``addresses`` (another host's, an alias): like
        ``avahi-publish -a``.

        The name is unique (RFC 6762 §8.1 probing, §9 defence), the same on every
        interface. If another host holds it the registration fails with
        :class:`~lanwise.dnssd.hosts.NameConflictError` (as avahi refuses a
        taken host name); ``rename=True`` takes ``host-2`` instead. ``reverse``
        (the default, as avahi's; its ``-R`` is ``reverse=False``) also publishes
        each address's reverse-mapping PTR, except where another responder
        answers for that reverse name already: that one is left to it
        (:attr:`HostRegistration.reverse` lists what is published). A name this
        responder publishes already raises :class:`UsageError`. ``wait`` and
        ``timeout`` work as for :meth:`register`.
        """
        self._check_open()
        if isinstance(addresses, str):
            addresses = [addresses]
        parsed = tuple(parse_address(a)[0] for a in addresses)
        records = AddressRecords(host, parsed, reverse=reverse, rename=rename)
        now = asyncio.get_running_loop().time()
        engine_registration = self._mdns.engine.register_addresses(records, now)
        self._schedule_mdns_flush()
        registration = HostRegistration(self, engine_registration)
        self._hosts[engine_registration] = registration
        if wait and self._mdns.interfaces:
            try:
                await registration.wait_established(timeout)
            except BaseException:
                await registration.withdraw()
                raise
        return registration

    def _forget_host(self, registration: HostRegistration) -> None:
        self._hosts.pop(registration._engine, None)

    def _flush_mdns(self) -> None:
        self._mdns_flush_scheduled = False
        if not self._closed:
            self._mdns.flush()

    def _forget(self, registration: Registration) -> None:
        self._registrations.pop(registration._engine, None)

    # -- browsing -----------------------------------------------------------------------
    @overload
    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: Literal[True],
        interfaces: Collection[int | str] | None = None,
    ) -> Browser[ResolvedServiceAdded]: ...

    @overload
    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: bool = False,
        interfaces: Collection[int | str] | None = None,
    ) -> Browser[ServiceAdded]: ...

    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: bool = False,
        interfaces: Collection[int | str] | None = None,
    ) -> Browser[ServiceAdded] | Browser[ResolvedServiceAdded]:
        """Browse for instances of ``type`` (``"_http._tcp"``, ``"_printer._sub._http._tcp"``).

        ``None`` browses every type found by service type enumeration (RFC 6763
        §9); ``"_services._dns-sd._udp"`` reports the types themselves (each
        event's ``name`` is a type). With ``resolve`` an instance is reported
        once its SRV, TXT and an address are known, with a :class:`ServiceInfo`.
        ``interfaces`` (indexes or names) limits the events to those interfaces.
        """
        self._check_open()
        target = None if type is None else BrowseTarget.parse(type)
        browser: Browser[Any] = Browser(
            self, target, resolve=resolve, interfaces=self._indexes(interfaces)
        )
        self._browsers.add(browser)
        self._schedule_flush()
        return browser

    def _indexes(self, interfaces: Collection[int | str] | None) -> frozenset[int] | None:
        if interfaces is None:
            return None
        if isinstance(interfaces, str | int):
            interfaces = [interfaces]
        by_name = {name: index for index, name in self.interfaces.items()}
        found: set[int] = set()
        for item in interfaces:
            if isinstance(item, int) and not isinstance(item, bool):
                found.add(item)
            elif isinstance(item, str) and item in by_name:
                found.add(by_name[item])
            elif isinstance(item, str) and item.isdigit():
                found.add(int(item))
            else:
                raise UsageError("interface", "an index or the name of a served interface", item)
        return frozenset(found)

    # -- resolving ----------------------------------------------------------------------
    async def resolve(
        self,
        name: str,
        type: ServiceType | str,
        *,
        timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        interfaces: Collection[int | str] | None = None,
    ) -> ServiceInfo:
        """Host, port, TXT and addresses (per interface) of one service instance.

        Raises :class:`ResolveTimeoutError` if no SRV record arrives within
        ``timeout`` seconds. If the SRV and TXT come but no address does, the
        result has empty ``addresses``.
        """
        self._check_open()
        label = validate_instance_name(name)
        stype = type if isinstance(type, ServiceType) else ServiceType.parse(type)
        instance = Name.from_labels((label, *stype.labels))
        only = self._indexes(interfaces)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        queries: dict[tuple[Name, int], Any] = {}
        waker = asyncio.Event()
        self._wakers.add(waker)
        complete_at: float | None = None
        try:
            while True:
                info, complete, settled, hosts = self._resolve_state(instance, label, stype, only)
                wanted = {(instance, int(RRType.SRV)), (instance, int(RRType.TXT))}
                for host in hosts:
                    wanted |= {(host, int(t)) for t in self._address_types()}
                for key in wanted - queries.keys():
                    queries[key] = self._start_query(*key)
                now = loop.time()
                if complete and complete_at is None:
                    complete_at = now
                if info is not None and (
                    settled or (complete_at is not None and now >= complete_at + RESOLVE_SETTLE)
                ):
                    return info
                if now >= deadline:
                    if info is not None:
                        return info
                    raise ResolveTimeoutError(f"no answer for {label}.{stype}.{stype.domain}")
                wake_at = (
                    deadline if complete_at is None else min(deadline, complete_at + RESOLVE_SETTLE)
                )
                waker.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waker.wait(), max(0.0, wake_at - now))
        finally:
            self._wakers.discard(waker)
            if not self._closed:
                for query in queries.values():
                    self._stop_query(query)

    def cached_info(self, name: str, type: ServiceType | str) -> ServiceInfo | None:
        """What the cache knows now about an instance (no query is sent), or None."""
        label = validate_instance_name(name)
        stype = type if isinstance(type, ServiceType) else ServiceType.parse(type)
        instance = Name.from_labels((label, *stype.labels))
        return self._resolve_state(instance, label, stype, None)[0]

    def _address_types(self) -> list[int]:
        return [t for v, t in ((4, RRType.A), (6, RRType.AAAA)) if v in self.families]

    def _resolve_state(
        self, instance: Name, label: str, stype: ServiceType, only: frozenset[int] | None
    ) -> tuple[ServiceInfo | None, bool, bool, set[Name]]:
        """(info so far, complete somewhere, complete everywhere, hosts to look up)."""
        srv: SRV | None = None
        txt: TXT | None = None
        hosts: set[Name] = set()
        addresses: dict[int, tuple[IPAddress, ...]] = {}
        seen_on: list[int] = []
        settled = True
        for index in sorted(self._mdns.interfaces):
            if only is not None and index not in only:
                continue
            rdatas = [r.rdata for r in self._lookup(instance, RRType.SRV, index)]
            srvs = [s for s in rdatas if isinstance(s, SRV)]
            if not srvs:
                settled = False  # it may yet answer on this interface too
                continue
            seen_on.append(index)
            here = min(srvs, key=lambda s: (s.priority, -s.weight))
            srv = srv or here
            hosts.add(here.target)
            txts = [r.rdata for r in self._lookup(instance, RRType.TXT, index)]
            txt = txt or next((t for t in txts if isinstance(t, TXT)), None)
            found = self._host_addresses(here.target, index)
            if found:
                addresses[index] = found
            if {a.version for a in found} != set(self.families):
                settled = False
        if srv is None:
            return None, False, False, hosts
        info = ServiceInfo(
            name=label,
            type=stype,
            host=str(srv.target),
            port=srv.port,
            txt_strings=txt.strings if txt is not None else (b"",),
            addresses=addresses,
            interfaces=tuple(seen_on),
            priority=srv.priority,
            weight=srv.weight,
        )
        complete = txt is not None and bool(addresses)
        return info, complete, complete and settled, hosts

    def _host_addresses(self, host: Name, index: int) -> tuple[IPAddress, ...]:
        found: list[IPAddress] = []
        scope = _interface_scope(index)
        for rtype in self._address_types():
            for record in self._lookup(host, rtype, index):
                address = getattr(record.rdata, "address", None)
                if isinstance(address, IPv4Address):
                    found.append(address)
                elif isinstance(address, IPv6Address):
                    found.append(scoped_address(address, scope))
        unique = dict.fromkeys(found)
        return tuple(sorted(unique, key=lambda a: (a.version, a.packed)))

    async def resolve_host(
        self,
        host: str,
        *,
        timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        interfaces: Collection[int | str] | None = None,
    ) -> HostInfo:
        """The addresses of ``name.local`` per interface (IPv6 link-local with scope).

        Raises :class:`ResolveTimeoutError` if no address arrives within ``timeout``.
        """
        self._check_open()
        name = Name.from_labels((parse_host_name(host), "local"))
        only = self._indexes(interfaces)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        queries = [self._start_query(name, rtype) for rtype in self._address_types()]
        waker = asyncio.Event()
        self._wakers.add(waker)
        first_at: float | None = None
        try:
            while True:
                addresses: dict[int, tuple[IPAddress, ...]] = {}
                for index in sorted(self._mdns.interfaces):
                    if only is None or index in only:
                        found = self._host_addresses(name, index)
                        if found:
                            addresses[index] = found
                now = loop.time()
                versions = {a.version for found in addresses.values() for a in found}
                if addresses and first_at is None:
                    first_at = now
                done = versions == set(self.families)
                if addresses and (done or now >= (first_at or now) + RESOLVE_SETTLE):
                    return HostInfo(str(name), addresses)
                if now >= deadline:
                    if addresses:
                        return HostInfo(str(name), addresses)
                    raise ResolveTimeoutError(f"no address for {name}")
                wake_at = deadline if first_at is None else min(deadline, first_at + RESOLVE_SETTLE)
                waker.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waker.wait(), max(0.0, wake_at - now))
        finally:
            self._wakers.discard(waker)
            if not self._closed:
                for query in queries:
                    self._stop_query(query)

    async def resolve_address(
        self,
        address: IPAddress | str,
        *,
        timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        interfaces: Collection[int | str] | None = None,
    ) -> AddressInfo:
        """The ``.local`` name of ``address``, from its reverse-mapping PTR (in-addr.arpa /
        ip6.arpa, RFC 6762 §4) over multicast DNS: like ``avahi-resolve -a``.

        ``address`` is IPv4 or IPv6, text or an address object; an IPv6 zone
        (``"fe80::5%eth0"``) asks on that interface only. Names come per interface.
        Raises :class:`ResolveTimeoutError` naming the address if none answers.
        """
        self._check_open()
        shown = str(address)
        ip, zone = parse_address(address)
        only = self._indexes(interfaces)
        if zone is not None:
            try:
                zoned = self._indexes([zone]) or frozenset()
            except UsageError:
                zoned = frozenset()
            index = next(iter(zoned), 0)
            if index not in self._mdns.interfaces:
                raise UsageError("address", "its zone must name a served interface", shown)
            if only is not None and index not in only:
                raise UsageError("address", "its zone is not one of the interfaces given", shown)
            only = frozenset({index})
        name = reverse_name(ip)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        where: list[int | None] = [None]
        if only is not None:
            where = [i for i in sorted(only)]
        queries = [self._start_query(name, RRType.PTR, interface=i) for i in where]
        waker = asyncio.Event()
        self._wakers.add(waker)
        first_at: float | None = None
        try:
            while True:
                names: dict[int, tuple[str, ...]] = {}
                for index in sorted(self._mdns.interfaces):
                    if only is None or index in only:
                        found = [
                            str(r.rdata.target)
                            for r in self._lookup(name, RRType.PTR, index)
                            if isinstance(r.rdata, PTR)
                        ]
                        if found:
                            names[index] = tuple(sorted(dict.fromkeys(found)))
                now = loop.time()
                if names and first_at is None:
                    first_at = now
                # One interface asked: its answer is the whole answer. Otherwise wait a
                # little for the other links (the same address may name a host on each).
                done = bool(names) and len(where) == 1 and where[0] is not None
                if names and (done or now >= (first_at or now) + RESOLVE_SETTLE):
                    return AddressInfo(ip, names)
                if now >= deadline:
                    if names:
                        return AddressInfo(ip, names)
                    raise ResolveTimeoutError(f"no .local name for {shown} (no PTR answer)")
                wake_at = deadline if first_at is None else min(deadline, first_at + RESOLVE_SETTLE)
                waker.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waker.wait(), max(0.0, wake_at - now))
        finally:
            self._wakers.discard(waker)
            if not self._closed:
                for query in queries:
                    self._stop_query(query)

    # -- the engine's events ------------------------------------------------------------
    def _start_query(
        self,
        name: Name,
        rtype: int,
        *,
        cached_since: int | None = None,
        interface: int | None = None,
    ) -> Any:
        """A continuous query whose first question asks for a unicast reply (QU).

        RFC 6762 §5.4: a querier that has just started asks QU first; responders
        that multicast the answer recently reply at once by unicast instead of
        multicasting it again after the 20-120 ms shared-answer delay (§6).
        Records already cached are not re-reported as events: every caller
        (browsers at their flush, resolves in their loop) reads the cache
        itself; ``cached_since`` reports those cached after that revision.
        ``interface``: ask on that interface index only.
        """
        self._check_port_sharing()
        query = self._mdns.engine.start_query(
            name,
            rtype,
            self._mdns.now(),
            interface=interface,
            unicast_first=True,
            report_cached=cached_since is not None,
            cached_since=cached_since,
        )
        self._schedule_mdns_flush()
        return query

    def _check_port_sharing(self) -> None:
        """Has another stack bound port 5353 since we opened (avahi started)? Then a
        QU question's unicast reply may reach it instead of us (RFC 6762 §15.1)."""
        now = self._mdns.now()
        if now < self._port_checked + PORT_CHECK_INTERVAL:
            return
        self._port_checked = now
        engine = self._mdns.engine
        engine.set_shares_port(port_shared(exclude=self._mdns.socket_inodes()))

    def _cache_revision(self) -> int:
        return self._mdns.engine.cache_revision

    def _stop_query(self, query: Any) -> None:
        self._mdns.engine.stop_query(query)
        self._schedule_mdns_flush()

    def _schedule_mdns_flush(self) -> None:
        # One flush for every engine call of this loop iteration (a browse of a
        # thousand instances starts thousands of queries in one go).
        if not self._mdns_flush_scheduled:
            self._mdns_flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_mdns)

    def _lookup(self, name: Name, rtype: int, interface: int) -> list[Record]:
        # The hot path of a browse (two or three lookups per instance): bare records.
        mdns = self._mdns
        return mdns.engine.cached_records(name, rtype, mdns.now(), interface=interface)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, RecordAdded):
            self._record(event.interface, event.record, True)
        elif isinstance(event, RecordRemoved):
            self._record(event.interface, event.record, False)
        elif isinstance(event, RecordUpdated):
            self._record(event.interface, event.new, True)
        elif isinstance(event, CacheOverflow):
            _log.warning(
                "the mDNS cache reached its bound of %d records asked for and shed %d: "
                "browse results may be incomplete",
                event.limit,
                event.shed,
            )
            self._cache_partial = True
            for browser in self._browsers:
                browser._overflowed()
        else:
            registration = getattr(event, "registration", None)
            if registration is not None:
                mine = self._registrations.get(registration)
                if mine is not None:
                    mine._on_event(event)
                host = self._hosts.get(registration)
                if host is not None:
                    host._on_event(event)

    def _record(self, interface: int, record: Record, present: bool) -> None:
        for browser in self._browsers:
            browser._on_record(interface, record, present)
        for waker in self._wakers:
            waker.set()
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        # Every record of one packet is reported before this runs, so a browser
        # sees a whole answer (PTR + SRV + TXT + addresses) at once.
        if not self._flush_scheduled and not self._closed:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_browsers)

    def _flush_browsers(self) -> None:
        self._flush_scheduled = False
        if self._closed:
            return
        for browser in tuple(self._browsers):
            try:
                browser._flush()
            except Exception:
                _log.exception("browse update failed")

    # -- lifetime ---------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise UsageError("responder", "it is closed")

    async def _close(self) -> None:
        """Stop every browse; the registrations' goodbyes go when the transport closes."""
        if self._closed:
            return
        for browser in tuple(self._browsers):
            await browser.aclose()
        # The transport's close has the engine send every goodbye in one go
        # (RFC 6762 §10.1), packed together rather than one service at a time.
        for registration in tuple(self._registrations.values()):
            registration._withdrawn = True
        self._registrations.clear()
        for host in tuple(self._hosts.values()):
            host._withdrawn = True
        self._hosts.clear()
        for check in tuple(self._checks):
            check.cancel()
        self._closed = True
        self._remove_listener()

    def __repr__(self) -> str:
        return f"<Responder on {self.interfaces}>"


@overload
def open_responder(
    *,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    host_name: str | None = None,
    querier_only: bool = False,
    backend: Literal["engine"] = "engine",
    host: HostMode = "auto",
    max_cached_records: int = DEFAULT_MAX_RECORDS,
    max_wanted_records: int = DEFAULT_MAX_WANTED_RECORDS,
) -> contextlib.AbstractAsyncContextManager[Responder]: ...
@overload
def open_responder(
    *,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    host_name: str | None = None,
    querier_only: bool = False,
    backend: str,
    host: HostMode = "auto",
    max_cached_records: int = DEFAULT_MAX_RECORDS,
    max_wanted_records: int = DEFAULT_MAX_WANTED_RECORDS,
) -> contextlib.AbstractAsyncContextManager[DnssdResponder]: ...
@contextlib.asynccontextmanager
async def open_responder(
    *,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    host_name: str | None = None,
    querier_only: bool = False,
    backend: str = "engine",
    host: HostMode = "auto",
    max_cached_records: int = DEFAULT_MAX_RECORDS,
    max_wanted_records: int = DEFAULT_MAX_WANTED_RECORDS,
) -> AsyncIterator[Any]:  # the overloads above give callers the precise type
    """Run a DNS-SD responder for the duration of the block.

    ``interfaces``: every local-network interface (None, the default), a list
    of indexes and names, an :class:`~lanwise.interfaces.InterfaceType` (or
    several), or a predicate over :class:`~lanwise.interfaces.Interface`.
    ``families``: ``(4,)``, ``(6,)`` or both. ``host_name``: the label published
    for this host (default: the system host name made a legal label; renamed
    ``name-2`` on conflict). On exit every registration says goodbye.
    ``querier_only=True``: only browse and resolve — no host name is probed,
    announced or answered for (the engine's ``host_name=None``); registering a
    service then needs a ``host`` of its own (``UsageError`` otherwise).
    ``backend``: ``"engine"`` (the default: the in-process engine above) or
    ``"avahi"``: the host's avahi-daemon does the work over D-Bus
    (:mod:`lanwise.dnssd.avahi`; it owns the host name, so no ``host_name``).

    ``host`` says who holds this host's name (see :mod:`lanwise.dnssd.system`):
    ``"own"``: lanwise probes, announces and defends it with the host's
    addresses; ``"system"``: the system responder (avahi-daemon,
    systemd-resolved) does: services' SRV records name its host name (or
    ``host_name``), and lanwise publishes no address record and answers no
    question about it; ``"auto"`` (the default): ``"system"`` when such a
    responder runs here and no ``host_name`` is given, else ``"own"``. While
    any other mDNS stack is bound to port 5353 here, the engine asks no QU
    questions and publishes no reverse-mapping PTRs (``Engine(shares_port=True)``).

    ``max_cached_records`` bounds the cached records nobody asked for,
    ``max_wanted_records`` those browses and resolves asked for (the engine
    backend; avahi-daemon keeps its own cache): past the latter, memory is shed
    and :attr:`Browser.partial` turns true (docs/mdns.md gives the memory per
    instance).
    """
    if check_backend(backend) == "avahi":
        if host_name is not None:
            raise UsageError("host_name", "not with backend='avahi' (avahi-daemon owns it)")
        if host not in ("auto", "system"):
            raise UsageError("host", "'auto' or 'system' with backend='avahi' (it owns it)", host)
        from lanwise.dnssd.avahi import open_avahi_responder  # noqa: PLC0415 - D-Bus on demand

        async with open_avahi_responder(
            interfaces=interfaces, families=families, querier_only=querier_only
        ) as avahi:
            yield avahi
        return
    versions = normalise_families(families)
    if not isinstance(querier_only, bool):
        raise UsageError("querier_only", "True or False", querier_only)
    if querier_only and host_name is not None:
        raise UsageError("host_name", "not with querier_only=True (nothing is published)")
    plan: HostPlan | None = None
    if querier_only:
        plan_host(host, ())  # the same check of ``host``; nothing is held in this mode
        options: dict[str, Any] = {"host_name": None, "shares_port": port_shared()}
    else:
        plan = plan_host(host, await detect_system_responders(), host_name=host_name)
        options = {
            "host_name": plan.label,
            "publish_addresses": plan.mode == "own",
            "shares_port": plan.shares_port,
        }
        _log.debug("host name %s.local held by %s", plan.label, plan.holder or "lanwise")
    async with open_mdns(
        interfaces=interfaces,
        families=versions,
        max_cached_records=max_cached_records,
        max_wanted_records=max_wanted_records,
        **options,
    ) as mdns:
        responder = Responder(mdns, versions, plan)
        try:
            yield responder
        finally:
            await responder._close()
