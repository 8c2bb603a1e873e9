"""The asyncio face of DNS-SD: one in-process responder per program.

::

    async with lanwise.open_responder() as responder:
        registration = await responder.register(Service("Kitchen", "_http._tcp", 8080))
        print("published as", registration.name)
        async with responder.browse("_ipp._tcp", resolve=True) as browser:
            async for event in browser:
                ...

The responder runs the mDNS engine on real sockets through
:func:`lanwise.mdns.transport.open_mdns` (no daemon needed) and uses only the
transport's operations. The engine probes, announces, answers, renames after
conflicts and says goodbye. The parts of this side, each in its module:

- registering: :mod:`lanwise.dnssd.registration` (services) and
  :mod:`lanwise.dnssd.hosts` (address records for other hosts);
- browsing: :mod:`lanwise.dnssd.browsing`, over the sans-IO
  :class:`~lanwise.dnssd.browser.ServiceBrowser`;
- resolving: :mod:`lanwise.dnssd.resolving`, over the sans-IO
  :func:`~lanwise.dnssd.resolution.resolve_instance` (the browser's rule too);
- the queries and cache reads they share: :mod:`lanwise.dnssd.querying`;
- who holds the host name: :mod:`lanwise.dnssd.system` (planned in
  :func:`open_responder`).

This module ties them together: the :class:`Responder` hands the engine's events
to the registrations and browses, and :func:`open_responder` picks the backend
and the host mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Collection, Iterable
from typing import Any, Literal, overload

from lanwise.dns import Name, Record
from lanwise.dnssd.backend import DnssdResponder, check_backend
from lanwise.dnssd.browser import BrowseTarget
from lanwise.dnssd.browsing import SETTLE_MINIMUM, SETTLE_QUIET, Browser
from lanwise.dnssd.hosts import HostRegistration, parse_address
from lanwise.dnssd.model import (
    AddressInfo,
    BrowseOverflow,
    HostInfo,
    IPAddress,
    ResolvedServiceAdded,
    Service,
    ServiceAdded,
    ServiceInfo,
)
from lanwise.dnssd.names import ServiceType, parse_host_name, validate_instance_name
from lanwise.dnssd.querying import PORT_CHECK_INTERVAL, Questions
from lanwise.dnssd.registration import HOST_CHECK_TIMEOUT, Registration, check_host, service_records
from lanwise.dnssd.resolving import (
    DEFAULT_RESOLVE_TIMEOUT,
    RESOLVE_SETTLE,
    ResolveTimeoutError,
    cached_service,
    resolve_address,
    resolve_host,
    resolve_service,
)
from lanwise.dnssd.system import (
    HostMode,
    HostPlan,
    SystemResponder,
    detect_system_responders,
    plan_host,
    port_shared,
)
from lanwise.errors import UsageError
from lanwise.mdns.cache import DEFAULT_MAX_RECORDS, DEFAULT_MAX_WANTED_RECORDS
from lanwise.mdns.events import (
    CacheOverflow,
    Event,
    RecordAdded,
    RecordRemoved,
    RecordUpdated,
)
from lanwise.mdns.registration import AddressRecords, EngineRegistration, reverse_name
from lanwise.mdns.selection import InterfaceSelection, normalise_families
from lanwise.mdns.transport import MdnsTransport, open_mdns

__all__ = [
    "DEFAULT_RESOLVE_TIMEOUT",
    "HOST_CHECK_TIMEOUT",
    "PORT_CHECK_INTERVAL",
    "RESOLVE_SETTLE",
    "SETTLE_MINIMUM",
    "SETTLE_QUIET",
    "Browser",
    "Registration",
    "ResolveTimeoutError",
    "Responder",
    "open_responder",
]

_log = logging.getLogger(__name__)


class Responder:
    """A DNS-SD responder and browser on this host's network; see :func:`open_responder`."""

    def __init__(
        self, transport: MdnsTransport, families: frozenset[int], plan: HostPlan | None = None
    ) -> None:
        self._mdns = transport
        self.families = families
        self._plan = plan
        self._questions = Questions(transport, families)
        self._registrations: dict[EngineRegistration, Registration] = {}
        self._hosts: dict[EngineRegistration, HostRegistration] = {}
        self._checks: set[asyncio.Task[None]] = set()  # see check_host
        self._browsers: set[Browser[Any]] = set()
        self._flush_scheduled = False
        self._closed = False
        # The cache shed records asked for (CacheOverflow): every browse, including
        # those started later, may be partial from then on (shed records stay unknown).
        self._overflow: BrowseOverflow | None = None
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
        return self._mdns.shares_port

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
        # The transport flushes once for every register call made in the same loop
        # iteration: registering N services at once then costs one pass over the
        # engine's timers, not N (and they share their probe packets, RFC 6762 §8.1).
        engine_registration = self._mdns.register_nowait(service_records(service))
        registration = Registration(self, service, engine_registration)
        self._registrations[engine_registration] = registration
        if engine_registration.established:
            registration._established.set()
        if service.host is not None:
            check = asyncio.get_running_loop().create_task(
                check_host(registration, self._questions)
            )
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
        engine_registration = self._mdns.register_addresses(records)
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

    def _forget(self, registration: Registration) -> None:
        self._registrations.pop(registration._engine, None)

    # -- browsing -----------------------------------------------------------------------
    @overload
    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: Literal[True],
        only_interfaces: Collection[int | str] | None = None,
    ) -> Browser[ResolvedServiceAdded]: ...

    @overload
    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: bool = False,
        only_interfaces: Collection[int | str] | None = None,
    ) -> Browser[ServiceAdded]: ...

    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: bool = False,
        only_interfaces: Collection[int | str] | None = None,
    ) -> Browser[ServiceAdded] | Browser[ResolvedServiceAdded]:
        """Browse for instances of ``type`` (``"_http._tcp"``, ``"_printer._sub._http._tcp"``).

        ``None`` browses every type found by service type enumeration (RFC 6763
        §9); ``"_services._dns-sd._udp"`` reports the types themselves (each
        event's ``name`` is a type). With ``resolve`` an instance is reported
        once its SRV, TXT and an address are known, with a :class:`ServiceInfo`.
        ``only_interfaces`` (indexes or names) keeps the events of those interfaces
        only: the queries still go out on every interface the responder serves
        (its ``interfaces=`` selection, see :func:`open_responder`).
        """
        self._check_open()
        target = None if type is None else BrowseTarget.parse(type)
        browser: Browser[Any] = Browser(
            self._questions,
            target,
            resolve=resolve,
            only_interfaces=self._indexes(only_interfaces),
            overflow=self._overflow,
            on_close=self._browsers.discard,
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
        only = self._indexes(interfaces)
        return await resolve_service(self._questions, label, stype, only=only, timeout=timeout)

    def cached_info(self, name: str, type: ServiceType | str) -> ServiceInfo | None:
        """What the cache knows now about an instance (no query is sent), or None."""
        label = validate_instance_name(name)
        stype = type if isinstance(type, ServiceType) else ServiceType.parse(type)
        return cached_service(self._questions, label, stype)

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
        return await resolve_host(self._questions, name, only=only, timeout=timeout)

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
        return await resolve_address(
            self._questions, ip, reverse_name(ip), only=only, timeout=timeout, shown=shown
        )

    # -- the engine's events ------------------------------------------------------------
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
            self._overflow = BrowseOverflow(event.limit, event.shed)
            for browser in self._browsers:
                browser._overflowed(self._overflow)
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
        self._questions.wake()
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
        self._questions.closed = True
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
    each browse reports one :class:`~lanwise.dnssd.model.BrowseOverflow` event
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
