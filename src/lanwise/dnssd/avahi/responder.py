"""The avahi backend: lanwise's DNS-SD API carried out by avahi-daemon over D-Bus.

``open_responder(backend="avahi")`` yields an :class:`AvahiResponder`. It gives
the same API, events and errors as the in-process engine
(:mod:`lanwise.dnssd.responder`), but avahi-daemon does the protocol work, so
one daemon holds every service of the host (as mDNSResponder does for Apple's
dns_sd API):

- a registration is an avahi EntryGroup (``AddService``, ``AddServiceSubtype``,
  ``Commit``). When another host holds the name the group goes to COLLISION;
  lanwise then picks the next name by its own rule (``"Name"`` → ``"Name (2)"``,
  as the engine does, not avahi's ``"Name #2"``), adds the service again, and
  reports the rename through the same rename callbacks and ``name``;
- a browse is a ServiceBrowser (a ServiceTypeBrowser for every type), with a
  ServiceResolver per (interface, protocol) when resolving; the signals are
  merged per interface index by :class:`~lanwise.dnssd.avahi.browse_state.AvahiBrowseState`;
- ``resolve`` and ``resolve_host`` ask avahi's ``ResolveService`` and
  ``ResolveHostName`` (one address per family and interface: avahi's
  resolvers stop at the first address record).

When avahi-daemon stops (its bus name loses its owner) or the bus connection
drops, browsers report their instances removed and every registration waits;
when the daemon is back and running, browsers start again and every service is
registered again (renamed if its name is taken meanwhile). If the daemon is not
back within :data:`RESTART_GRACE` seconds, each registration's error callbacks
get an :class:`~lanwise.dnssd.avahi.client.AvahiError` (and ``error`` holds it):
a service is never lost without a word.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable, Collection
from typing import Any, Final, Literal, overload

from lanwise.dnssd.avahi.browse_state import parse_address, txt_strings
from lanwise.dnssd.avahi.browser import AvahiBrowser
from lanwise.dnssd.avahi.client import AvahiClient, AvahiError
from lanwise.dnssd.avahi.constants import (
    BUS_NAME,
    ERROR_NOT_FOUND,
    ERROR_TIMEOUT,
    ERROR_UNKNOWN_METHOD,
    IF_UNSPEC,
    PROTO_INET,
    PROTO_INET6,
    SERVER,
    SERVER2,
    ServerState,
    protocol_for,
)
from lanwise.dnssd.avahi.names import interface_scope as _interface_scope
from lanwise.dnssd.avahi.names import type_text as _type_text
from lanwise.dnssd.avahi.registration import AvahiRegistration
from lanwise.dnssd.browser import BrowseTarget
from lanwise.dnssd.model import (
    HostInfo,
    IPAddress,
    ResolvedServiceAdded,
    Service,
    ServiceAdded,
    ServiceInfo,
)
from lanwise.dnssd.names import ServiceType, parse_host_name, validate_instance_name
from lanwise.dnssd.resolving import DEFAULT_RESOLVE_TIMEOUT, RESOLVE_SETTLE, ResolveTimeoutError
from lanwise.errors import LanwiseError, UsageError
from lanwise.interfaces import list_interfaces
from lanwise.mdns.selection import InterfaceSelection, normalise_families, selected
from lanwise.net.dbus import system_bus_address

__all__ = [
    "RESTART_GRACE",
    "AvahiResponder",
    "open_avahi_responder",
]

_log = logging.getLogger(__name__)

# How long registrations wait for a stopped avahi-daemon to come back before
# their error callbacks hear of it (a restart by the service manager takes ~1 s).
RESTART_GRACE: Final = 10.0
# How often a dropped bus connection is tried again, and how long a returning
# daemon may take to win its host name before services are added anyway.
RECONNECT_INTERVAL: Final = 1.0
RUNNING_WAIT: Final = 10.0


class AvahiResponder:
    """DNS-SD through avahi-daemon; see :func:`open_avahi_responder`."""

    def __init__(
        self,
        bus_address: str,
        families: frozenset[int],
        selection: InterfaceSelection,
        *,
        querier_only: bool = False,
        restart_grace: float = RESTART_GRACE,
    ) -> None:
        self.bus_address = bus_address
        self.restart_grace = restart_grace
        self.families = families
        self._selection = selection
        self._querier_only = querier_only
        self._protocol = protocol_for(families)
        self._client: AvahiClient | None = None
        self._registrations: dict[AvahiRegistration, None] = {}
        self._browsers: set[AvahiBrowser[Any]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._daemon_present = False
        self._prepare = True  # avahi >= 0.8: *Prepare + Start
        self._grace: asyncio.TimerHandle | None = None
        self._resyncing: asyncio.Task[None] | None = None
        self._reconnecting: asyncio.Task[None] | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def daemon_present(self) -> bool:
        """Whether avahi-daemon is on the bus now."""
        return self._daemon_present

    @property
    def interfaces(self) -> dict[int, str]:
        """The interfaces chosen (avahi serves those of them it is allowed to): index → name."""
        return {i.index: i.name for i in list_interfaces() if selected(i, self._selection)}

    @property
    def registrations(self) -> list[AvahiRegistration]:
        return list(self._registrations)

    def _publish_indexes(self) -> list[int]:
        if self._selection is None:
            return [IF_UNSPEC]
        return sorted(self.interfaces) or [IF_UNSPEC]

    def _event_indexes(self) -> frozenset[int] | None:
        return None if self._selection is None else frozenset(self.interfaces)

    # -- lifetime -----------------------------------------------------------------------
    async def _open(self) -> None:
        self._client = await self._connect()
        if not await self._owner_present(self._client):
            self._client.close()
            self._client = None
            raise AvahiError(
                f"avahi-daemon is not running (no {BUS_NAME} on the bus at {self.bus_address})"
            )
        self._daemon_present = True

    async def _connect(self) -> AvahiClient:
        client = await AvahiClient.connect(self.bus_address)
        client.on_owner_changed = self._on_owner_changed
        client.on_server_state = self._on_server_state
        client.on_disconnect = lambda: self._on_disconnect(client)
        return client

    @staticmethod
    async def _owner_present(client: AvahiClient) -> bool:
        (present,) = await client.call_bus("NameHasOwner", "s", [BUS_NAME])
        return bool(present)

    async def _close(self) -> None:
        if self._closed:
            return
        for browser in tuple(self._browsers):
            await browser.aclose()
        for registration in tuple(self._registrations):
            await registration.withdraw()
        self._closed = True
        for handle in (self._grace,):
            if handle is not None:
                handle.cancel()
        for task in (*self._tasks, self._resyncing, self._reconnecting):
            if task is not None:
                task.cancel()
        if self._client is not None:
            self._client.close()
            self._client = None

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.warning("avahi backend: %s", task.exception())

    def _check_open(self) -> None:
        if self._closed:
            raise UsageError("responder", "it is closed")

    async def _new_object(
        self,
        interface: str,
        kind: str,
        signature: str,
        body: list[Any],
        handler: Callable[[str, list[Any]], None],
    ) -> str:
        """A browser or resolver: avahi >= 0.8 prepares it, we listen, then it starts."""
        client = self._client
        if client is None:
            raise AvahiError("avahi-daemon is not on the bus")
        if self._prepare:
            try:
                path = await client.create(SERVER2, f"{kind}Prepare", signature, body, handler)
            except AvahiError as exc:
                if exc.name != ERROR_UNKNOWN_METHOD:
                    raise
                self._prepare = False  # avahi < 0.8: created started; early signals buffered
            else:
                await client.call(path, interface, "Start")
                return path
        return await client.create(SERVER, f"{kind}New", signature, body, handler)

    # -- the daemon coming and going ------------------------------------------------------
    def _on_owner_changed(self, present: bool) -> None:
        if self._closed:
            return
        if present:
            _log.info("avahi-daemon is back on the bus")
            self._daemon_present = True
            self._resync()
        else:
            self._daemon_lost("avahi-daemon left the bus")

    def _on_disconnect(self, client: AvahiClient) -> None:
        if self._closed or client is not self._client:
            return
        self._client = None
        self._daemon_lost("the D-Bus connection to avahi-daemon dropped")
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.ensure_future(self._reconnect())

    def _daemon_lost(self, why: str) -> None:
        was_present = self._daemon_present
        self._daemon_present = False
        if was_present:
            _log.warning("%s; services come back when it does", why)
        for registration in self._registrations:
            registration._lost()
        for browser in self._browsers:
            browser._lost()
        if self._grace is None:
            self._grace = asyncio.get_running_loop().call_later(
                self.restart_grace, self._grace_over
            )

    def _grace_over(self) -> None:
        self._grace = None
        if self._daemon_present or self._closed:
            return
        for registration in tuple(self._registrations):
            if registration._group is None:
                registration._fail(
                    AvahiError(
                        f"avahi-daemon stopped and is not back after {self.restart_grace:g} s: "
                        f"{registration.service} is not published (it will be when avahi returns)"
                    )
                )

    async def _reconnect(self) -> None:
        while not self._closed and self._client is None:
            await asyncio.sleep(RECONNECT_INTERVAL)
            try:
                client = await self._connect()
            except AvahiError:
                continue
            self._client = client
            try:
                present = await self._owner_present(client)
            except AvahiError:
                present = False  # NameOwnerChanged says when it comes
            if present:
                self._on_owner_changed(True)

    def _on_server_state(self, state: int, error: str) -> None:
        if self._closed:
            return
        if state in (ServerState.REGISTERING, ServerState.COLLISION):
            # The daemon is probing a (new) host name: the SRV records must follow it,
            # so the groups are added again once it runs (avahi's client rule).
            for registration in self._registrations:
                if registration._group is not None and registration.service.host is None:
                    self._spawn(registration._unpublish())
        elif state == ServerState.RUNNING:
            self._resync()
        elif state == ServerState.FAILURE:
            _log.error("avahi-daemon failed: %s", error)

    def _resync(self) -> None:
        if self._resyncing is None or self._resyncing.done():
            self._resyncing = asyncio.ensure_future(self._resync_now())

    async def _resync_now(self) -> None:
        """Once the daemon runs: register what is not registered, browse again."""
        client = self._client
        if client is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RUNNING_WAIT
        while loop.time() < deadline:
            try:
                (state,) = await client.call("/", SERVER, "GetState")
            except AvahiError:
                state = ServerState.INVALID
            if state == ServerState.RUNNING:
                break
            await asyncio.sleep(0.1)
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        await asyncio.sleep(0)  # the unpublish tasks of a host-name change go first
        for registration in tuple(self._registrations):
            if registration._group is None and not registration.withdrawn:
                try:
                    await registration._publish()
                    _log.info("avahi: %s registered again", registration.service)
                except AvahiError as exc:
                    registration._fail(exc)
        for browser in tuple(self._browsers):
            if not browser._paths and not browser.closed:
                try:
                    await browser._start()
                except AvahiError as exc:
                    _log.warning("avahi browse could not start again: %s", exc)

    # -- registering ------------------------------------------------------------------
    async def register(
        self, service: Service, *, wait: bool = True, timeout: float | None = None
    ) -> AvahiRegistration:
        """Publish ``service`` through avahi-daemon (an EntryGroup).

        With ``wait`` (the default) this returns once avahi has established it,
        so :attr:`AvahiRegistration.name` is final (``"Name (2)"`` if taken).
        Raises TimeoutError after ``timeout`` (the service is withdrawn then),
        :class:`AvahiError` if avahi refuses it.
        """
        if not isinstance(service, Service):
            raise UsageError("service", "a lanwise.dnssd.Service", service)
        self._check_open()
        if self._querier_only and service.host is None:
            raise UsageError(
                "service", "a querier-only responder registers only services with a host", service
            )
        registration = AvahiRegistration(self, service)
        self._registrations[registration] = None
        try:
            await registration._publish()
            if wait:
                await registration.wait_established(timeout)
        except BaseException:
            await registration.withdraw()
            raise
        return registration

    def _forget(self, registration: AvahiRegistration) -> None:
        self._registrations.pop(registration, None)

    # -- browsing -----------------------------------------------------------------------
    @overload
    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: Literal[True],
        only_interfaces: Collection[int | str] | None = None,
    ) -> AvahiBrowser[ResolvedServiceAdded]: ...

    @overload
    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: bool = False,
        only_interfaces: Collection[int | str] | None = None,
    ) -> AvahiBrowser[ServiceAdded]: ...

    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: bool = False,
        only_interfaces: Collection[int | str] | None = None,
    ) -> AvahiBrowser[ServiceAdded] | AvahiBrowser[ResolvedServiceAdded]:
        """Browse through avahi (ServiceBrowser; ServiceTypeBrowser when ``type`` is None).

        The same arguments and events as :meth:`lanwise.dnssd.Responder.browse`.
        """
        self._check_open()
        target = None if type is None else BrowseTarget.parse(type)
        only = self._indexes(only_interfaces)
        if only is None:
            only = self._event_indexes()
        browser: AvahiBrowser[Any] = AvahiBrowser(
            self, target, resolve=resolve, only_interfaces=only
        )
        self._browsers.add(browser)
        self._spawn(browser._start())
        return browser

    def _indexes(self, interfaces: Collection[int | str] | None) -> frozenset[int] | None:
        if interfaces is None:
            return None
        if isinstance(interfaces, str | int):
            interfaces = [interfaces]
        found: set[int] = set()
        for item in interfaces:
            if isinstance(item, int) and not isinstance(item, bool):
                found.add(item)
            elif isinstance(item, str) and item.isdigit():
                found.add(int(item))
            elif isinstance(item, str):
                try:
                    found.add(socket.if_nametoindex(item))
                except OSError:
                    raise UsageError("interface", "an index or an interface name", item) from None
            else:
                raise UsageError("interface", "an index or an interface name", item)
        return frozenset(found)

    def _one_interface(self, interfaces: Collection[int | str] | None) -> int:
        only = self._indexes(interfaces) or self._event_indexes()
        return next(iter(only)) if only is not None and len(only) == 1 else IF_UNSPEC

    # -- resolving ------------------------------------------------------------------------
    async def resolve(
        self,
        name: str,
        type: ServiceType | str,
        *,
        timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        interfaces: Collection[int | str] | None = None,
    ) -> ServiceInfo:
        """Host, port, TXT and addresses of one instance (avahi's ``ResolveService``).

        The interface avahi answered on, with an address of each family in
        ``families``. Raises :class:`ResolveTimeoutError` if avahi finds nothing
        within ``timeout``.
        """
        self._check_open()
        label = validate_instance_name(name)
        stype = type if isinstance(type, ServiceType) else ServiceType.parse(type)
        client = self._require_client()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        body = [
            self._one_interface(interfaces),
            self._protocol,
            label,
            _type_text(stype),
            stype.domain,
            self._protocol,  # the address family: the one chosen, or whichever comes first
            0,
        ]
        try:
            reply = await client.call(
                "/", SERVER, "ResolveService", "iisssiu", body, timeout=timeout
            )
        except AvahiError as exc:
            raise self._not_found(exc, f"{label}.{stype}.{stype.domain}") from exc
        interface, host = int(reply[0]), str(reply[5]).rstrip(".")
        found_aprotocol, address = int(reply[6]), str(reply[7])
        scope = _interface_scope(interface)
        addresses: list[IPAddress] = []
        first = parse_address(address, found_aprotocol, scope)
        if first is not None:
            addresses.append(first)
        others = {4, 6} & self.families - {a.version for a in addresses}
        for family in sorted(others):
            remaining = min(deadline - loop.time(), RESOLVE_SETTLE * 4)
            addresses += await self._host_address(client, interface, host, family, remaining)
        ordered = tuple(sorted(set(addresses), key=lambda a: (a.version, a.packed)))
        return ServiceInfo(
            name=str(reply[2]),
            type=stype,
            host=host,
            port=int(reply[8]),
            txt_strings=txt_strings(list(reply[9])),
            addresses={interface: ordered} if ordered else {},
            interfaces=(interface,),
        )

    async def _host_address(
        self, client: AvahiClient, interface: int, host: str, family: int, timeout: float
    ) -> list[IPAddress]:
        if timeout <= 0:
            return []
        aprotocol = PROTO_INET if family == 4 else PROTO_INET6
        body = [interface, self._protocol, host, aprotocol, 0]
        try:
            reply = await client.call(
                "/", SERVER, "ResolveHostName", "iisiu", body, timeout=timeout
            )
        except AvahiError:
            return []
        found = parse_address(str(reply[4]), int(reply[3]), _interface_scope(int(reply[0])))
        return [] if found is None else [found]

    async def resolve_host(
        self,
        host: str,
        *,
        timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        interfaces: Collection[int | str] | None = None,
    ) -> HostInfo:
        """The addresses of ``name.local`` (avahi's ``ResolveHostName``, once per family).

        Raises :class:`ResolveTimeoutError` if no address is found within ``timeout``.
        """
        self._check_open()
        name = f"{parse_host_name(host)}.local"
        client = self._require_client()
        interface = self._one_interface(interfaces)
        calls = [
            client.call(
                "/",
                SERVER,
                "ResolveHostName",
                "iisiu",
                [interface, self._protocol, name, aprotocol, 0],
                timeout=timeout,
            )
            for family, aprotocol in ((4, PROTO_INET), (6, PROTO_INET6))
            if family in self.families
        ]
        addresses: dict[int, list[IPAddress]] = {}
        errors: list[AvahiError] = []
        for result in await asyncio.gather(*calls, return_exceptions=True):
            if isinstance(result, AvahiError):
                errors.append(result)
                continue
            if isinstance(result, BaseException):
                raise result
            index = int(result[0])
            found = parse_address(str(result[4]), int(result[3]), _interface_scope(index))
            if found is not None:
                addresses.setdefault(index, []).append(found)
        if not addresses:
            raise self._not_found(errors[0] if errors else None, name)
        return HostInfo(
            name,
            {
                index: tuple(sorted(set(found), key=lambda a: (a.version, a.packed)))
                for index, found in sorted(addresses.items())
            },
        )

    def _require_client(self) -> AvahiClient:
        if self._client is None or not self._daemon_present:
            raise AvahiError("avahi-daemon is not on the bus (stopped, or restarting)")
        return self._client

    @staticmethod
    def _not_found(exc: AvahiError | None, what: str) -> LanwiseError:
        if exc is None or exc.name in (ERROR_TIMEOUT, ERROR_NOT_FOUND) or "no reply" in str(exc):
            return ResolveTimeoutError(f"no answer for {what}")
        return exc

    def __repr__(self) -> str:
        return f"<AvahiResponder on {self.bus_address}>"


@contextlib.asynccontextmanager
async def open_avahi_responder(
    *,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    querier_only: bool = False,
    bus_address: str | None = None,
    restart_grace: float = RESTART_GRACE,
) -> AsyncIterator[AvahiResponder]:
    """Register, browse and resolve through avahi-daemon for the duration of the block.

    ``bus_address``: the D-Bus system bus avahi-daemon is on (default:
    ``$DBUS_SYSTEM_BUS_ADDRESS``, else the standard socket). ``interfaces`` and
    ``families`` as for :func:`lanwise.open_responder`; avahi itself serves only
    the interfaces its configuration allows. avahi-daemon owns the host name,
    so there is no ``host_name``. ``restart_grace``: how long registrations
    wait for a stopped avahi-daemon before their error callbacks run. Raises
    :class:`AvahiError` when no avahi-daemon is on that bus. On exit every registration is withdrawn
    (avahi sends the goodbyes).
    """
    versions = normalise_families(families)
    if not isinstance(querier_only, bool):
        raise UsageError("querier_only", "True or False", querier_only)
    responder = AvahiResponder(
        bus_address or system_bus_address(),
        versions,
        interfaces,
        querier_only=querier_only,
        restart_grace=restart_grace,
    )
    await responder._open()
    try:
        yield responder
    finally:
        await responder._close()
