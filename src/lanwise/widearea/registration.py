"""Register DNS-SD services in a unicast zone by DNS UPDATE (RFC 2136), signed with TSIG
(RFC 8945), with a lease (RFC 9664) that lanwise keeps refreshed.

``open_registrar`` finds the zone and its primary server once (RFC 2136 §4: the
SOA of the domain names the zone, its MNAME the primary) unless a server is
given, and runs one refresh task for all its registrations, driven by the
sans-IO :class:`~lanwise.widearea.lease.LeaseClock`. A name clash (YXDOMAIN on
the "name not in use" prerequisite) renames "Name" → "Name (2)" as on ``.local``
(RFC 6763 §4.1 via RFC 6762 §9's rule). Withdrawal deletes exactly what was
added; host records shared by several registrations stay until the last one goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.tsig

from lanwise.dnssd.model import Service
from lanwise.dnssd.names import host_label_from_system
from lanwise.dnssd.txt import TxtInput, encode_txt
from lanwise.errors import UsageError
from lanwise.mdns.registration import next_instance_label
from lanwise.net.resolvers import RESOLV_CONF
from lanwise.widearea.addresses import publishable_addresses
from lanwise.widearea.browse import domain_name
from lanwise.widearea.client import DEFAULT_TIMEOUT, DnsClient, ServerAddress
from lanwise.widearea.errors import DnsServerError
from lanwise.widearea.events import (
    LeaseLost,
    LeaseRefreshed,
    LeaseRefreshFailed,
    RegistrationEvent,
)
from lanwise.widearea.lease import DEFAULT_LEASE, MAX_LEASE, MIN_LEASE, LeaseClock
from lanwise.widearea.records import (
    DEFAULT_TTL,
    Record,
    ServiceRecords,
    granted_lease,
    host_records,
    registration_update,
    service_records,
    withdrawal_update,
)
from lanwise.widearea.servers import ServersInput, pick_servers
from lanwise.widearea.tsigkey import TsigKey, read_key_file

__all__ = [
    "MAX_RENAMES",
    "UPDATE_WINDOW",
    "Registrar",
    "WideAreaRegistration",
    "find_zone",
    "open_registrar",
    "register",
]

_log = logging.getLogger(__name__)

MAX_RENAMES = 15  # "Name (2)" … "Name (16)": then the clash is reported
# UPDATEs in flight per registrar: the server applies them one at a time, so a
# window hides the round trips without queueing more than it can take.
UPDATE_WINDOW = 64
EventCallback = Callable[["WideAreaRegistration", RegistrationEvent], None]


async def find_zone(
    client: DnsClient, domain: dns.name.Name, servers: Sequence[ServerAddress]
) -> tuple[dns.name.Name, dns.name.Name | None]:
    """The zone holding ``domain`` and its primary's name (SOA MNAME), per RFC 2136 §4."""
    reply, _server = await client.query(domain, dns.rdatatype.SOA, servers)
    for section in (reply.answer, reply.authority):
        for rrset in section:
            if rrset.rdtype == dns.rdatatype.SOA and domain.is_subdomain(rrset.name):
                return rrset.name, next(iter(rrset)).mname
    raise DnsServerError(
        ", ".join(str(s) for s in servers),
        domain.to_text(omit_final_dot=True),
        "no SOA found",
        "zone lookup",
    )


async def _primary_addresses(
    client: DnsClient, mname: dns.name.Name, servers: Sequence[ServerAddress]
) -> list[ServerAddress]:
    found: list[ServerAddress] = []
    for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        with contextlib.suppress(DnsServerError):
            reply, _ = await client.query(mname, rdtype, servers)
            for rrset in reply.answer:
                if rrset.name == mname and rrset.rdtype == rdtype:
                    found.extend(ServerAddress(rdata.address) for rdata in rrset)
    return found


class WideAreaRegistration:
    """A service registered in a unicast zone: its name, its lease, TXT updates, withdrawal."""

    def __init__(self, registrar: Registrar, service: Service, records: ServiceRecords) -> None:
        self._registrar = registrar
        self._service = service
        self._records = records
        self.clock = LeaseClock(registrar.lease)
        self._withdrawn = False
        self._lost = False
        self._callbacks: list[EventCallback] = []
        self._events: asyncio.Queue[RegistrationEvent] = asyncio.Queue()

    @property
    def service(self) -> Service:
        """The service as registered (its ``name`` is the final one after renames)."""
        return self._service

    @property
    def name(self) -> str:
        """The instance name in the zone."""
        return self._service.name

    @property
    def instance(self) -> str:
        """The full instance name, e.g. ``Kitchen._http._tcp.example.test``."""
        return self._records.instance.to_text(omit_final_dot=True)

    @property
    def zone(self) -> str:
        """The zone the records were added to."""
        return self._registrar.zone.to_text(omit_final_dot=True)

    @property
    def server(self) -> ServerAddress:
        """The server the UPDATEs go to."""
        return self._registrar.server

    @property
    def lease(self) -> float:
        """The lease the server granted (the requested one when it sent no lease option)."""
        return self.clock.lease

    @property
    def records(self) -> tuple[Record, ...]:
        """Every record this registration added."""
        return self._records.all

    @property
    def withdrawn(self) -> bool:
        """True once :meth:`withdraw` ran."""
        return self._withdrawn

    @property
    def lost(self) -> bool:
        """True when the lease ran out without a successful refresh."""
        return self._lost

    def add_event_callback(self, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback(registration, event)`` on each lease event; returns a remover."""
        self._callbacks.append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._callbacks.remove(callback)

        return remove

    async def wait_event(self, timeout: float | None = None) -> RegistrationEvent:
        """The next lease event (refreshed, refresh failed, lost)."""
        return await asyncio.wait_for(self._events.get(), timeout)

    def _emit(self, event: RegistrationEvent) -> None:
        self._events.put_nowait(event)
        for callback in list(self._callbacks):
            try:
                callback(self, event)
            except Exception:
                _log.exception("registration event callback failed")

    async def update_txt(self, txt: TxtInput) -> None:
        """Replace the TXT record in the zone (one UPDATE: delete the old, add the new)."""
        self._check_live()
        service = self._service.with_txt(encode_txt(txt))
        records = self._registrar.records_for(service)
        old = [r for r in self._records.service if r.rdata.rdtype == dns.rdatatype.TXT]
        new = [r for r in records.service if r.rdata.rdtype == dns.rdatatype.TXT]
        await self._registrar.send(
            registration_update(
                self._registrar.zone,
                new,
                key=self._registrar.key,
                delete=old,
                lease=self._registrar.lease,
            ),
            f"update TXT of {self.name}",
        )
        self._service = service
        self._records = ServiceRecords(records.instance, records.service, self._records.host)

    async def withdraw(self) -> None:
        """Delete exactly the records this registration added (host records when last)."""
        if self._withdrawn:
            return
        self._withdrawn = True
        try:
            await self._registrar.withdraw(self)
        finally:
            if self._registrar.owned_by is self:
                await self._registrar.close(withdraw=False)

    def _check_live(self) -> None:
        if self._withdrawn:
            raise UsageError("registration", "it has been withdrawn")

    async def __aenter__(self) -> WideAreaRegistration:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.withdraw()


class Registrar:
    """Registers services in one zone on one server; keeps their leases refreshed."""

    def __init__(
        self,
        client: DnsClient,
        domain: dns.name.Name,
        zone: dns.name.Name,
        server: ServerAddress,
        *,
        key: dns.tsig.Key | None,
        lease: int,
        ttl: int,
        host: str | None,
        addresses: Sequence[IPv4Address | IPv6Address] | None,
    ) -> None:
        self.client = client
        self.domain = domain
        self.zone = zone
        self.server = server
        self.key = key
        self.lease = lease
        self.ttl = ttl
        self.host_label = host or host_label_from_system()
        self._addresses = addresses
        self.host_name = dns.name.Name((self.host_label.encode("ascii"),)).concatenate(domain)
        self._host_records: tuple[Record, ...] | None = None
        self._preexisting: set[tuple[dns.name.Name, str]] | None = None
        self._learning = asyncio.Lock()
        self._registrations: list[WideAreaRegistration] = []
        self._host_uses: Counter[tuple[dns.name.Name, str]] = Counter()
        self._window = asyncio.Semaphore(UPDATE_WINDOW)
        self._wake = asyncio.Event()
        self._sleep_until = -math.inf  # the first registration starts the loop's clock
        self._task: asyncio.Task[None] | None = None
        self._follower: asyncio.Task[None] | None = None
        self.owned_by: WideAreaRegistration | None = None
        self.closed = False

    @property
    def registrations(self) -> tuple[WideAreaRegistration, ...]:
        """The live registrations."""
        return tuple(self._registrations)

    def records_for(self, service: Service) -> ServiceRecords:
        """The records ``service`` gets in this registrar's domain."""
        if self._host_records is None:
            # Built once: an interface dump per registration would dominate a batch.
            addresses = publishable_addresses() if self._addresses is None else self._addresses
            self._host_records = host_records(self.host_name, addresses, ttl=self.ttl)
        target = self.host_name
        if service.host is not None and service.host.lower() != self.host_label.lower():
            # Another host's label: the SRV points there, and its addresses are not ours.
            target = dns.name.Name((service.host.encode("ascii"),)).concatenate(self.domain)
        records = service_records(service, self.domain, target, (), ttl=self.ttl)
        host = self._host_records if target == self.host_name else ()
        return ServiceRecords(records.instance, records.service, host)

    async def send(self, message: dns.message.Message, action: str) -> dns.message.Message:
        """Send an UPDATE; raise :class:`DnsServerError` unless the reply is NOERROR."""
        zone = self.zone.to_text(omit_final_dot=True)
        async with self._window:
            reply = await self.client.exchange(
                message, self.server, zone=zone, action=action, check_rcode=False
            )
        if reply.rcode() != dns.rcode.NOERROR:
            raise DnsServerError(str(self.server), zone, dns.rcode.to_text(reply.rcode()), action)
        return reply

    async def register_many(self, services: Iterable[Service]) -> list[WideAreaRegistration]:
        """Register every service, one UPDATE each, up to ``UPDATE_WINDOW`` in flight.

        Returns the registrations in the order given. If one fails, the ones that
        succeeded are withdrawn and the first error is raised.
        """
        todo = list(services)
        results: list[WideAreaRegistration | BaseException | None] = [None] * len(todo)
        positions = iter(range(len(todo)))

        async def worker() -> None:
            # A fixed set of workers, not a task per service: each builds its next
            # UPDATE only when a slot is free.
            for position in positions:
                try:
                    results[position] = await self.register(todo[position])
                except Exception as exc:  # reported below, after the others finish
                    results[position] = exc

        await asyncio.gather(*(worker() for _ in range(min(UPDATE_WINDOW, len(todo)))))
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            for result in results:
                if isinstance(result, WideAreaRegistration):
                    with contextlib.suppress(DnsServerError):
                        await result.withdraw()
            raise errors[0]
        return [r for r in results if isinstance(r, WideAreaRegistration)]

    async def register(self, service: Service) -> WideAreaRegistration:
        """Add ``service`` (renamed on a clash); returns once the server accepted it.

        Concurrent calls share the registrar's window of ``UPDATE_WINDOW`` UPDATEs
        in flight on one socket (replies matched by ID and TSIG).
        """
        if self.closed:
            raise UsageError("registrar", "it is closed")
        zone = self.zone.to_text(omit_final_dot=True)
        async with self._learning:  # concurrent first registrations ask once
            if self._preexisting is None:
                await self._learn_preexisting()
        for _attempt in range(MAX_RENAMES + 1):
            records = self.records_for(service)
            message = registration_update(
                self.zone, records.all, key=self.key, lease=self.lease, absent=records.instance
            )
            async with self._window:
                reply = await self.client.exchange(
                    message,
                    self.server,
                    zone=zone,
                    action=f"register {service.name}",
                    check_rcode=False,
                )
            rcode = reply.rcode()
            if rcode == dns.rcode.YXDOMAIN:
                # RFC 2136 §3.2.5: the name is in use; take the next name (RFC 6763 §4.1).
                _log.info("%s: name in use in %s, renaming", service.name, zone)
                service = service.with_name(next_instance_label(service.name))
                continue
            if rcode != dns.rcode.NOERROR:
                raise DnsServerError(
                    str(self.server), zone, dns.rcode.to_text(rcode), f"register {service.name}"
                )
            registration = WideAreaRegistration(self, service, records)
            now = asyncio.get_running_loop().time()
            registration.clock.granted(now, granted_lease(reply.options))
            for record in records.host:
                self._host_uses[(record.name, record.rdata.to_text())] += 1
            self._registrations.append(registration)
            self._start(registration)
            return registration
        raise DnsServerError(str(self.server), zone, "YXDOMAIN", f"register {service.name}")

    async def withdraw(self, registration: WideAreaRegistration) -> None:
        """Delete a registration's records (see :meth:`WideAreaRegistration.withdraw`)."""
        with contextlib.suppress(ValueError):
            self._registrations.remove(registration)
        records = list(registration._records.service)
        for record in registration._records.host:
            key = (record.name, record.rdata.to_text())
            self._host_uses[key] -= 1
            if self._host_uses[key] <= 0:
                del self._host_uses[key]
                if key not in (self._preexisting or set()):
                    records.append(record)  # ours alone: it was not there before
        await self.send(
            withdrawal_update(self.zone, records, key=self.key), f"withdraw {registration.name}"
        )

    async def _learn_preexisting(self) -> None:
        """Note which of the host's A/AAAA records the zone already holds.

        Adding an existing record changes nothing (RFC 2136 §3.4.2.2), so those
        were not added by us and a withdrawal must leave them.
        """
        found: set[tuple[dns.name.Name, str]] = set()
        zone = self.zone.to_text(omit_final_dot=True)
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            query = dns.message.make_query(self.host_name, rdtype)
            reply = await self.client.exchange(query, self.server, zone=zone, action="lookup")
            for rrset in reply.answer:
                if rrset.name == self.host_name and rrset.rdtype == rdtype:
                    found.update((rrset.name, rdata.to_text()) for rdata in rrset)
        self._preexisting = found

    async def update_addresses(self, addresses: Sequence[IPv4Address | IPv6Address]) -> bool:
        """Publish ``addresses`` as the host's A/AAAA instead of the current ones.

        One UPDATE removes the addresses that went and adds the new ones for every
        live registration; returns True when something changed.
        """
        new = host_records(self.host_name, addresses, ttl=self.ttl)
        old = self._host_records or ()
        self._addresses = list(addresses)
        self._host_records = new
        live = [r for r in self._registrations if not r.lost]
        theirs = self._preexisting or set()
        gone = [r for r in old if r not in new and (r.name, r.rdata.to_text()) not in theirs]
        added = [r for r in new if r not in old]
        if not live or not (gone or added):
            return bool(gone or added)
        await self.send(
            registration_update(self.zone, added, key=self.key, lease=self.lease, delete=gone),
            f"update addresses of {self.host_name.to_text(omit_final_dot=True)}",
        )
        self._host_uses.clear()
        for registration in live:
            registration._records = ServiceRecords(
                registration._records.instance, registration._records.service, new
            )
            for record in new:
                self._host_uses[(record.name, record.rdata.to_text())] += 1
        return True

    async def follow_addresses(self) -> None:
        """Keep the host records equal to the host's routable addresses until cancelled.

        Interface and address changes come from the interface monitor; each batch of
        changes leads to at most one UPDATE.
        """
        from lanwise.interfaces import open_monitor  # noqa: PLC0415 (netlink only when used)

        async with open_monitor() as monitor:
            while not self.closed:
                batch = await monitor.next_batch()
                if not batch:
                    return
                addresses = publishable_addresses(monitor.snapshot().values())
                try:
                    await self.update_addresses(addresses)
                except DnsServerError as exc:
                    _log.warning("could not update host addresses: %s", exc)

    def _start(self, registration: WideAreaRegistration) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._refresh_loop(), name="lanwise-widearea-leases")
        # Wake the loop only when this lease comes due before the one it sleeps for.
        if registration.clock.deadline() < self._sleep_until:
            self._wake.set()

    async def _refresh_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.closed:
            live = [r for r in self._registrations if not r.lost]
            if live:
                self._sleep_until = min(r.clock.deadline() for r in live)
                delay: float | None = max(0.0, self._sleep_until - loop.time())
            else:
                self._sleep_until, delay = math.inf, None
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            now = loop.time()
            due: list[WideAreaRegistration] = []
            for registration in [r for r in self._registrations if not r.lost]:
                state = registration.clock.due(now)
                if state == "lost":
                    registration._lost = True
                    registration._emit(LeaseLost(registration.name, "lease expired"))
                elif registration.clock.due_soon(now):
                    due.append(registration)
            # Leases granted together come due together: refresh them through the
            # window, not one round trip after another.
            await asyncio.gather(*(self._refresh(r) for r in due))

    async def _refresh(self, registration: WideAreaRegistration) -> None:
        # RFC 9664: a refresh repeats the records with the lease option, no prerequisite.
        message = registration_update(
            self.zone, registration._records.all, key=self.key, lease=self.lease
        )
        try:
            reply = await self.send(message, f"refresh {registration.name}")
        except DnsServerError as exc:
            now = asyncio.get_running_loop().time()
            registration.clock.failed(now)
            registration._emit(LeaseRefreshFailed(registration.name, str(exc)))
            if registration.clock.due(now) == "lost":
                registration._lost = True
                registration._emit(LeaseLost(registration.name, str(exc)))
            return
        registration.clock.granted(asyncio.get_running_loop().time(), granted_lease(reply.options))
        registration.clock.refreshes += 1
        registration._emit(LeaseRefreshed(registration.name, registration.clock.lease))

    async def close(self, *, withdraw: bool = True) -> None:
        """Withdraw every live registration (unless ``withdraw`` is false), stop refreshing."""
        if self.closed:
            return
        if withdraw:
            for registration in list(self._registrations):
                with contextlib.suppress(DnsServerError):
                    await registration.withdraw()
        self.closed = True
        for task in (self._task, self._follower):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.client.close()

    def abandon(self) -> None:
        """Stop refreshing without withdrawing (the records stay until their lease ends)."""
        self.closed = True
        for task in (self._task, self._follower):
            if task is not None:
                task.cancel()
        self.client.close()


def _load_key(tsig: TsigKey | Path | str | None) -> dns.tsig.Key | None:
    if tsig is None:
        return None
    key = tsig if isinstance(tsig, TsigKey) else read_key_file(tsig)
    return key.to_dnspython()


def _check_lease(lease: int) -> int:
    if isinstance(lease, bool) or not isinstance(lease, int) or not MIN_LEASE <= lease <= MAX_LEASE:
        raise UsageError(
            "lease", f"must be whole seconds {MIN_LEASE}..{MAX_LEASE} (RFC 9664 §4)", lease
        )
    return lease


async def _make_registrar(
    domain: str,
    *,
    server: ServersInput,
    tsig: TsigKey | Path | str | None,
    lease: int,
    ttl: int,
    host: str | None,
    addresses: Iterable[IPv4Address | IPv6Address] | None,
    resolv_conf: Path | str,
    timeout: float,
) -> Registrar:
    name = domain_name(domain)
    _check_lease(lease)
    key = _load_key(tsig)
    client = DnsClient(timeout=timeout, shared_socket=True)
    if server is not None:
        target = (await pick_servers(server))[0]
        zone, _mname = await find_zone(client, name, [target])
    else:
        resolvers = await pick_servers(None, resolv_conf)
        zone, mname = await find_zone(client, name, resolvers)
        primaries = await _primary_addresses(client, mname, resolvers) if mname else []
        if not primaries:
            raise DnsServerError(
                ", ".join(str(s) for s in resolvers),
                zone.to_text(True),
                "primary has no address",
                "zone lookup",
            )
        target = primaries[0]
    return Registrar(
        client,
        name,
        zone,
        target,
        key=key,
        lease=lease,
        ttl=ttl,
        host=host,
        addresses=None if addresses is None else list(addresses),
    )


@contextlib.asynccontextmanager
async def open_registrar(
    domain: str,
    *,
    server: ServersInput = None,
    tsig: TsigKey | Path | str | None = None,
    lease: int = DEFAULT_LEASE,
    ttl: int = DEFAULT_TTL,
    host: str | None = None,
    addresses: Iterable[IPv4Address | IPv6Address] | None = None,
    resolv_conf: Path | str = RESOLV_CONF,
    timeout: float = DEFAULT_TIMEOUT,
    follow_addresses: bool = True,
) -> AsyncIterator[Registrar]:
    """A :class:`Registrar` for ``domain``; withdraws everything it registered on exit.

    ``server`` is the server to send UPDATEs to (default: the zone's primary,
    found through the host's resolvers); ``tsig`` a :class:`TsigKey` or the path
    of a BIND key file; ``lease`` the lease to ask for in seconds; ``host`` the
    host label of the SRV target (default: the system's); ``addresses`` the
    host's addresses to publish (default: every routable address it has, kept
    up to date as interfaces and addresses change unless ``follow_addresses``
    is false).
    """
    registrar = await _make_registrar(
        domain,
        server=server,
        tsig=tsig,
        lease=lease,
        ttl=ttl,
        host=host,
        addresses=addresses,
        resolv_conf=resolv_conf,
        timeout=timeout,
    )
    if addresses is None and follow_addresses:
        registrar._follower = asyncio.create_task(
            registrar.follow_addresses(), name="lanwise-widearea-addresses"
        )
    try:
        yield registrar
    finally:
        await registrar.close()


async def register(
    service: Service,
    domain: str,
    *,
    server: ServersInput = None,
    tsig: TsigKey | Path | str | None = None,
    lease: int = DEFAULT_LEASE,
    ttl: int = DEFAULT_TTL,
    host: str | None = None,
    addresses: Iterable[IPv4Address | IPv6Address] | None = None,
    resolv_conf: Path | str = RESOLV_CONF,
    timeout: float = DEFAULT_TIMEOUT,
) -> WideAreaRegistration:
    """Register one service in ``domain``; see :func:`open_registrar` for the arguments.

    The registration keeps its own lease refreshed; ``await reg.withdraw()`` or
    ``async with await register(...)`` removes it.
    """
    registrar = await _make_registrar(
        domain,
        server=server,
        tsig=tsig,
        lease=lease,
        ttl=ttl,
        host=host,
        addresses=addresses,
        resolv_conf=resolv_conf,
        timeout=timeout,
    )
    registration = await registrar.register(service)
    registrar.owned_by = registration
    return registration
