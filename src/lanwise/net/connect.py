"""``connect``: an outgoing TCP connection over an interface that meets requirements.

A thin asyncio driver around :class:`~lanwise.net.happy_eyeballs.Planner`:
it resolves A and AAAA separately (one ``getaddrinfo`` per family, or one call
of the caller's ``resolver`` per family), starts the attempts the planner hands
out, each on a socket bound to its interface (SO_BINDTODEVICE, not to an
address), and reports back how they ended.

Name resolution beyond the system resolver is a hook, not an import: ``net``
sits below ``dnssd`` (arrows point down), so ``.local`` names and DNS-SD
service instances are resolved by :func:`lanwise.dnssd.connect`, which hands
its mDNS answers to this function as ``resolver``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address
from types import TracebackType
from typing import Any

from lanwise.errors import LanwiseError, UsageError
from lanwise.interfaces.lookup import list_interfaces
from lanwise.interfaces.model import Interface, InterfaceType
from lanwise.net.eligibility import Requirements, evaluate
from lanwise.net.endpoint import Endpoint, InterfaceRef, endpoint_of
from lanwise.net.errors import (
    AttemptFailure,
    ConnectError,
    ConnectTimeoutError,
    NoEligibleInterfaceError,
    Rejection,
    describe_errno,
)
from lanwise.net.happy_eyeballs import (
    CONNECTION_ATTEMPT_DELAY,
    Attempt,
    PathInterface,
    Planner,
    Target,
)
from lanwise.net.metered import get_path_costs
from lanwise.net.sockopts import bind_to_interface

__all__ = ["Connection", "NameResolver", "connect"]

_STREAM_LIMIT = 2**16

NameResolver = Callable[[str, int], Awaitable[Sequence[Target]]]
"""``resolver(host, family)``: the addresses of ``host`` for AF_INET6 (AAAA) or
AF_INET (A). A scoped :class:`Target` (``scope`` = interface index) is tried
only over that interface. An empty answer is a negative one; a raised
:class:`OSError` or :class:`~lanwise.errors.LanwiseError` is reported in the
:class:`ConnectError`."""

# The kernel answers these at once when no route leads to the destination.
_UNREACHABLE = (errno.ENETUNREACH, errno.EHOSTUNREACH)


class Connection:
    """An established connection: asyncio streams plus where it runs.

    ``local`` is the getsockname answer (the address to hand a peer),
    ``remote`` the peer, ``interface`` the interface the socket is bound to.
    Use as an async context manager, or call :meth:`close`.
    """

    __slots__ = ("interface", "local", "reader", "remote", "writer")

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        local: Endpoint,
        remote: Endpoint,
        interface: InterfaceRef,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.local = local
        self.remote = remote
        self.interface = interface

    def __repr__(self) -> str:
        return (
            f"<Connection {self.local} -> {self.remote} over {self.interface.name} "
            f"(#{self.interface.index}, {self.interface.type.value})>"
        )

    async def close(self) -> None:
        """Close the writer and wait until it is closed."""
        self.writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await self.writer.wait_closed()

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _usable(iface: Interface, version: int) -> bool:
    if iface.is_loopback:
        return True
    return any(a.address.version == version and not a.tentative for a in iface.addresses)


def _literal(host: str | IPv4Address | IPv6Address) -> IPv4Address | IPv6Address | None:
    if isinstance(host, IPv4Address | IPv6Address):
        return host
    try:
        return ip_address(host.strip("[]"))
    except ValueError:
        return None


def _scope_index(address: IPv4Address | IPv6Address, interfaces: list[Interface]) -> int:
    scope = address.scope_id if isinstance(address, IPv6Address) else None
    if not scope:
        return 0
    for iface in interfaces:
        if iface.name == scope or str(iface.index) == scope:
            return iface.index
    raise UsageError("host", "the address's zone names no interface on this host", str(address))


async def connect(
    host: str | IPv4Address | IPv6Address,
    port: int,
    *,
    required_interface: int | str | None = None,
    required_interface_type: InterfaceType | str | None = None,
    prohibited_interfaces: Iterable[int | str] = (),
    prohibited_interface_types: Iterable[InterfaceType | str] = (),
    prohibit_expensive: bool = False,
    prohibit_constrained: bool = False,
    local_address: str | IPv4Address | IPv6Address | None = None,
    connection_attempt_delay: float = CONNECTION_ATTEMPT_DELAY,
    timeout: float | None = None,
    limit: int = _STREAM_LIMIT,
    interfaces: list[Interface] | None = None,
    bus_address: str | None = None,
    resolver: NameResolver | None = None,
) -> Connection:
    """Connect to ``host``:``port`` over an eligible interface (Happy Eyeballs v2).

    Interfaces are named by index or name; types by :class:`InterfaceType` or
    its value (``"wifi"``). Expensive/constrained come from NetworkManager,
    the cellular rule and the ``LANWISE_EXPENSIVE`` / ``LANWISE_CONSTRAINED``
    overrides (:mod:`lanwise.net.metered`). ``local_address`` additionally binds
    the source address (only interfaces that own it stay eligible).

    An IPv6 link-local address needs its zone (``fe80::1%eth0``) unless
    exactly one eligible interface could carry it: :class:`UsageError`
    otherwise. ``resolver`` replaces ``getaddrinfo`` for names (see
    :data:`NameResolver`); :func:`lanwise.dnssd.connect` passes one that asks
    multicast DNS for ``.local`` names.

    Raises :class:`NoEligibleInterfaceError` (saying, per interface, why it
    was ruled out) when no interface qualifies, :class:`ConnectError` when
    every attempt failed (each attempt's address, interface and errno in
    ``failures``; a destination no route leads to fails at once), and
    :class:`ConnectTimeoutError` (a TimeoutError) after ``timeout`` seconds.
    ``interfaces`` and ``bus_address`` are for callers that already hold an
    interface list or use another D-Bus.
    """
    if not isinstance(port, int) or not 0 < port < 65536:
        raise UsageError("port", "must be an integer 1-65535", port)
    requirements = Requirements.build(
        required_interface=required_interface,
        required_interface_type=required_interface_type,
        prohibited_interfaces=prohibited_interfaces,
        prohibited_interface_types=prohibited_interface_types,
        prohibit_expensive=prohibit_expensive,
        prohibit_constrained=prohibit_constrained,
    )
    local: IPv4Address | IPv6Address | None = None
    if local_address is not None:
        local = _literal(local_address)
        if local is None:
            raise UsageError("local_address", "must be an IP address", local_address)
    if interfaces is None:
        interfaces = list_interfaces()
    costs = (
        await get_path_costs(interfaces, bus_address=bus_address)
        if requirements.needs_costs
        else None
    )
    outcome = evaluate(interfaces, requirements, costs)
    eligible = list(outcome.eligible)
    rejections = dict(outcome.rejections)
    if local is not None:
        bare = ip_address(str(local).split("%", 1)[0])
        for iface in list(eligible):
            if not any(
                ip_address(str(a.address).split("%", 1)[0]) == bare for a in iface.addresses
            ):
                eligible.remove(iface)
                rejections[iface.index] = Rejection(
                    iface.index, iface.name, [f"does not have local_address {local}"]
                )
    if not eligible:
        raise NoEligibleInterfaceError(rejections)
    paths = [
        PathInterface(
            i.index,
            ipv4=_usable(i, 4) and (local is None or local.version == 4),
            ipv6=_usable(i, 6) and (local is None or local.version == 6),
            loopback=i.is_loopback,
        )
        for i in eligible
    ]
    literal = _literal(host)
    target: Target | None = None
    if literal is not None:
        target = Target(literal, _scope_index(literal, interfaces))
        if isinstance(literal, IPv6Address) and literal.is_link_local and not target.scope:
            target = _zone_from_the_only_carrier(literal, eligible)
    driver = _Driver(
        str(host),
        port,
        eligible,
        Planner(paths, connection_attempt_delay=connection_attempt_delay),
        local,
        resolver=resolver,
    )
    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            if target is not None:
                sock, attempt = await driver.run_literal(target)
            else:
                sock, attempt = await driver.run()
    except TimeoutError:
        if not deadline.expired():
            raise
        raise ConnectTimeoutError(str(host), port, timeout or 0.0, driver.report()) from None
    except _NoPathError as exc:
        for iface in eligible:
            rejections[iface.index] = Rejection(
                iface.index, iface.name, [_no_path_reason(iface, exc.targets)]
            )
        raise NoEligibleInterfaceError(dict(sorted(rejections.items()))) from None
    try:
        reader, writer = await asyncio.open_connection(sock=sock, limit=limit)
    except BaseException:
        sock.close()
        raise
    names = {i.index: i.name for i in interfaces}
    iface = next(i for i in eligible if i.index == attempt.interface_index)
    return Connection(
        reader,
        writer,
        endpoint_of(sock.getsockname(), names),
        endpoint_of(sock.getpeername(), names),
        InterfaceRef.of(iface),
    )


def _zone_from_the_only_carrier(address: IPv6Address, eligible: list[Interface]) -> Target:
    """A link-local address without zone: the one eligible interface, or a UsageError."""
    carriers = [i for i in eligible if not i.is_loopback and _usable(i, 6)]
    if len(carriers) == 1:
        return Target(IPv6Address(f"{address}%{carriers[0].name}"), carriers[0].index)
    shown = ", ".join(i.name for i in carriers) or "none"
    raise UsageError(
        "host",
        f"a link-local address needs its interface as zone (e.g. {address}%"
        f"{carriers[0].name if carriers else 'eth0'}, RFC 4007 §11): {len(carriers)} eligible "
        f"interfaces could carry it ({shown})",
        str(address),
    )


def _route_error(address: IPv4Address | IPv6Address) -> OSError | None:
    """ENETUNREACH/EHOSTUNREACH when no route leads to ``address`` at all.

    A socket bound to an interface (SO_BINDTODEVICE) never hears this: with no
    route the kernel takes the destination to be on that link and gives up
    only after address resolution times out (3 s for ARP), so the routing
    table is asked first, with an unbound UDP socket (connect() on it sends
    nothing). Link-local and loopback destinations need no route.
    """
    if address.is_link_local or address.is_loopback:
        return None
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_DGRAM)
    try:
        probe.connect((str(address).split("%", 1)[0], 9))
    except OSError as exc:
        if exc.errno in _UNREACHABLE:
            return OSError(exc.errno, describe_errno(exc.errno))
    finally:
        probe.close()
    return None


class _Driver:
    """Runs one Planner: resolution tasks, attempt tasks, timers."""

    def __init__(
        self,
        host: str,
        port: int,
        interfaces: list[Interface],
        planner: Planner,
        local: IPv4Address | IPv6Address | None,
        *,
        resolver: NameResolver | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._names = {i.index: i.name for i in interfaces}
        self._planner = planner
        self._local = local
        self._resolver = resolver
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._tasks: dict[int, tuple[Attempt, asyncio.Task[socket.socket]]] = {}
        self._failures: list[AttemptFailure] = []
        self._resolving: set[int] = set()
        self._unfinished: list[Attempt] = []
        self._winner: tuple[socket.socket, Attempt] | None = None
        self._closing = False

    def report(self) -> list[AttemptFailure]:
        """Every failure so far, then what was still under way when the time ran out."""
        late = [
            AttemptFailure(
                None,
                0,
                "",
                errno.ETIMEDOUT,
                f"resolving {self._host} ({_family_name(family)}): no answer before the timeout",
            )
            for family in sorted(self._resolving)
        ]
        late += [
            AttemptFailure(
                str(a.address),
                a.interface_index,
                self._names.get(a.interface_index, ""),
                errno.ETIMEDOUT,
                "no answer before the timeout",
            )
            for a in self._unfinished
        ]
        return [*self._failures, *late]

    async def run_literal(self, target: Target) -> tuple[socket.socket, Attempt]:
        now = self._loop.time()
        family = socket.AF_INET6 if target.address.version == 6 else socket.AF_INET
        other = socket.AF_INET if family == socket.AF_INET6 else socket.AF_INET6
        self._planner.resolved(family, [target], now)
        self._planner.resolved(other, [], now)
        return await self._drive([])

    async def run(self) -> tuple[socket.socket, Attempt]:
        resolvers = [
            asyncio.create_task(self._resolve(socket.AF_INET6)),
            asyncio.create_task(self._resolve(socket.AF_INET)),
        ]
        return await self._drive(resolvers)

    async def _resolve(self, family: int) -> None:
        targets: list[Target] = []
        self._resolving.add(family)
        try:
            if self._resolver is not None:
                found: Iterable[Target] = await self._resolver(self._host, family)
            else:
                found = await self._system_resolve(family)
            for target in found:
                if target not in targets:
                    targets.append(target)
        except (OSError, UnicodeError, LanwiseError) as exc:
            # UnicodeError: a name the IDNA codec refuses (a label over 63 characters).
            if isinstance(exc, socket.gaierror) or not isinstance(exc, OSError):
                code, reason = 0, str(exc.strerror if isinstance(exc, OSError) else exc)
                if isinstance(exc, UnicodeError):
                    reason = f"not a valid host name: {exc}"
                elif self._host.rstrip(".").lower().endswith(".local"):
                    # The system resolver knows .local only through nss-mdns.
                    reason += " (lanwise.connect resolves .local names over multicast DNS)"
            else:
                code, reason = exc.errno or 0, describe_errno(exc.errno, str(exc))
            where = f"resolving {self._host} ({_family_name(family)})"
            self._failures.append(AttemptFailure(None, 0, "", code, f"{where}: {reason}"))
        finally:
            self._resolving.discard(family)
            # The planner must hear an answer, negative if need be, or it waits forever.
            self._planner.resolved(family, targets, self._loop.time())
            self._wake.set()

    async def _system_resolve(self, family: int) -> list[Target]:
        targets: list[Target] = []
        infos = await self._loop.getaddrinfo(
            self._host, self._port, family=family, type=socket.SOCK_STREAM
        )
        for _fam, _type, _proto, _canon, sockaddr in infos:
            address = ip_address(str(sockaddr[0]).split("%", 1)[0])
            scope = int(sockaddr[3]) if len(sockaddr) >= 4 else 0
            if scope and isinstance(address, IPv6Address):
                address = IPv6Address(f"{address}%{self._names.get(scope, scope)}")
            targets.append(Target(address, scope))
        return targets

    async def _drive(self, resolvers: list[asyncio.Task[None]]) -> tuple[socket.socket, Attempt]:
        won = False
        try:
            while True:
                now = self._loop.time()
                while (attempt := self._planner.next_attempt(now)) is not None:
                    self._start(attempt)
                if self._winner is not None:
                    won = True
                    return self._winner
                if self._planner.exhausted:
                    if self._planner.targets and not self._planner.started_any:
                        raise _NoPathError(self._planner.targets)
                    raise ConnectError(self._host, self._port, self._failures)
                timer = self._planner.get_timer()
                delay = None if timer is None else max(0.0, timer - self._loop.time())
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
        finally:
            # RFC 8305 §5: once one attempt succeeds, cancel the others (and the lookups).
            # From here on a late success is closed, not kept (see _finished).
            self._closing = True
            self._unfinished = [attempt for attempt, _task in self._tasks.values()]
            if not won and self._winner is not None:
                self._winner[0].close()  # cancelled (timeout) right after a success
            pending: list[asyncio.Task[Any]] = [*resolvers]
            pending += [task for _attempt, task in self._tasks.values()]
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    def _start(self, attempt: Attempt) -> None:
        task = asyncio.create_task(self._connect(attempt))
        self._tasks[attempt.number] = (attempt, task)
        task.add_done_callback(functools.partial(self._finished, attempt))

    def _finished(self, attempt: Attempt, task: asyncio.Task[socket.socket]) -> None:
        self._tasks.pop(attempt.number, None)
        now = self._loop.time()
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            sock = task.result()
            if self._winner is None and not self._closing:
                self._planner.attempt_succeeded(attempt, now)
                self._winner = (sock, attempt)
            else:
                sock.close()
        else:
            code = exc.errno or 0 if isinstance(exc, OSError) else 0
            self._failures.append(
                AttemptFailure(
                    str(attempt.address),
                    attempt.interface_index,
                    self._names.get(attempt.interface_index, ""),
                    code,
                    describe_errno(code, str(exc)),
                )
            )
            self._planner.attempt_failed(attempt, now)
        self._wake.set()

    async def _connect(self, attempt: Attempt) -> socket.socket:
        family = attempt.family
        if not attempt.target.scope and (unreachable := _route_error(attempt.address)):
            raise unreachable
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            bind_to_interface(sock, attempt.interface_index, self._names[attempt.interface_index])
            if self._local is not None:
                if isinstance(self._local, IPv6Address):
                    bare = str(self._local).split("%", 1)[0]
                    scope = attempt.interface_index if self._local.is_link_local else 0
                    sock.bind((bare, 0, 0, scope))
                else:
                    sock.bind((str(self._local), 0))
            address = attempt.address
            if isinstance(address, IPv6Address):
                bare = str(address).split("%", 1)[0]
                scope = attempt.target.scope or (
                    attempt.interface_index if address.is_link_local else 0
                )
                await self._loop.sock_connect(sock, (bare, self._port, 0, scope))
            else:
                await self._loop.sock_connect(sock, (str(address), self._port))
        except BaseException:
            sock.close()
            raise
        return sock


class _NoPathError(Exception):
    """The destination has addresses, but no eligible interface can carry any of them."""

    def __init__(self, targets: tuple[Target, ...]) -> None:
        super().__init__(targets)
        self.targets = targets


def _no_path_reason(iface: Interface, targets: tuple[Target, ...]) -> str:
    shown = ", ".join(str(t.address) for t in targets[:4]) + (", …" if len(targets) > 4 else "")
    if iface.is_loopback:
        return f"loopback only reaches this host, not {shown}"
    families = sorted({f"IPv{t.address.version}" for t in targets})
    return f"no {' or '.join(families)} address to reach {shown} with"


def _family_name(family: int) -> str:
    return "AAAA" if family == socket.AF_INET6 else "A"
