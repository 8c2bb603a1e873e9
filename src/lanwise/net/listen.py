"""``listen``: TCP listeners on all addresses, or one per chosen interface.

All addresses (``interfaces=None``): two sockets, ``0.0.0.0`` and ``::`` with
IPV6_V6ONLY=1, on the same port. Two sockets rather than one dual-stack
socket because peers then show up as plain IPv4 (no ``::ffff:`` mapped
addresses), because it works the same where IPv6 is disabled, and because
the default of IPV6_V6ONLY differs between systems.

Chosen interfaces (indexes, names or a predicate over
:class:`~lanwise.interfaces.Interface`): per matching interface one IPv4 and
one IPv6 socket, each bound to the interface with SO_BINDTODEVICE and to the
wildcard address. A socket bound to an interface accepts on whatever
addresses the interface has now or gets later, so address changes need no
action; the interface monitor opens and closes sockets as matching
interfaces come and go.

Failing loudly: :func:`listen` raises :class:`~lanwise.net.ListenError` when
it could bind nothing (each interface with its errno), and
:class:`~lanwise.errors.UsageError` when an interface named by index or name
does not exist. A socket that cannot be opened later (an interface appears
while the port is taken on it) is reported to the ``on_error`` callback as a
:class:`~lanwise.net.ListenFailure` and listed in :attr:`Listener.failures`
until the interface goes away or a later attempt succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType

from lanwise.errors import UsageError
from lanwise.interfaces.model import Interface, InterfaceType
from lanwise.net.errors import ListenError, ListenFailure, describe_errno
from lanwise.net.follow import follow_interfaces
from lanwise.net.sockopts import bind_to_interface

__all__ = [
    "ClientConnected",
    "InterfaceSelector",
    "ListenErrorCallback",
    "Listener",
    "interface_matcher",
    "listen",
]

_log = logging.getLogger(__name__)

ClientConnected = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None] | None]
# Indexes, names, InterfaceType values (functional type), or a predicate.
InterfaceSelector = Iterable[int | str] | int | str | Callable[[Interface], bool]
# Called (on the event loop) for each socket a running listener could not open.
ListenErrorCallback = Callable[[ListenFailure], None]

_PORT_TRIES = 20  # attempts to find a port free on every socket when port=0


def interface_matcher(interfaces: InterfaceSelector) -> Callable[[Interface], bool]:
    """A predicate from indexes, names, :class:`InterfaceType` values, or a predicate."""
    if callable(interfaces):
        return interfaces
    if isinstance(interfaces, str | int):
        interfaces = (interfaces,)
    refs = list(interfaces)
    for ref in refs:
        if not isinstance(ref, int | str):
            raise UsageError("interfaces", "must be indexes, names, types or a predicate", ref)
    types = {r for r in refs if isinstance(r, InterfaceType)}
    indexes = {r for r in refs if isinstance(r, int)}
    names = {r for r in refs if isinstance(r, str) and not isinstance(r, InterfaceType)}
    return lambda i: i.index in indexes or i.name in names or i.type in types


def _named(interfaces: InterfaceSelector) -> list[int | str]:
    """The interfaces a selector names by index or name (not by type or predicate)."""
    if callable(interfaces):
        return []
    if isinstance(interfaces, str | int):
        interfaces = (interfaces,)
    return [r for r in interfaces if not isinstance(r, InterfaceType)]


def _make_socket(family: int, port: int, iface: Interface | None) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if iface is not None:
            bind_to_interface(sock, iface.index, iface.name)
        sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _ipv6_available() -> bool:
    return socket.has_ipv6 and _can_create(socket.AF_INET6)


def _can_create(family: int) -> bool:
    try:
        socket.socket(family, socket.SOCK_STREAM).close()
    except OSError:
        return False
    return True


class Listener:
    """A running listener; an async context manager. Get one from :func:`listen`."""

    def __init__(
        self,
        callback: ClientConnected,
        port: int,
        interfaces: InterfaceSelector | None,
        backlog: int,
        limit: int,
        *,
        on_error: ListenErrorCallback | None = None,
    ) -> None:
        self._callback = callback
        self._requested_port = port
        self._port = port
        self._named = [] if interfaces is None else _named(interfaces)
        self._match = None if interfaces is None else interface_matcher(interfaces)
        self._on_error = on_error
        self._failures: dict[int, ListenFailure] = {}
        self._started = False
        self._backlog = backlog
        self._limit = limit
        # (interface index or 0 for the wildcard listener, family) -> server
        self._servers: dict[tuple[int, int], asyncio.Server] = {}
        self._names: dict[int, str] = {}
        self._monitor_task: asyncio.Task[None] | None = None
        self._closed = False
        self._ready = asyncio.Event()

    # -- public ------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The port every socket listens on (chosen by the OS when 0 was asked)."""
        return self._port

    @property
    def interface_indexes(self) -> frozenset[int]:
        """Indexes of the interfaces with a socket now (empty for an all-address listener)."""
        return frozenset(index for index, _family in self._servers if index)

    @property
    def failures(self) -> tuple[ListenFailure, ...]:
        """Matching interfaces with no socket now because opening one failed."""
        return tuple(self._failures.values())

    def serves(self, iface: Interface) -> bool:
        """Whether this listener accepts connections arriving on ``iface``."""
        return self._match is None or self._match(iface)

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return tuple(s for server in self._servers.values() for s in server.sockets)

    async def close(self) -> None:
        """Stop accepting and close every socket."""
        self._closed = True
        if self._monitor_task is not None:
            self._monitor_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor_task
        servers = list(self._servers.values())
        self._servers.clear()
        # Like asyncio.Server.close(): stop accepting; established connections belong to
        # their handlers. (wait_closed() is not awaited: since Python 3.12 it also waits
        # for every established connection to end.)
        for server in servers:
            server.close()
        await asyncio.sleep(0)

    async def __aenter__(self) -> Listener:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- opening -----------------------------------------------------------------
    async def _start(self) -> None:
        if self._match is None:
            await self._open_group(None)
            return
        self._monitor_task = await follow_interfaces(
            self._sync, f"listener on port {self._requested_port}"
        )
        self._started = True

    def _check_first(self, snapshot: dict[int, Interface]) -> None:
        """At the call: every interface named by index or name exists."""
        missing = [
            ref
            for ref in self._named
            if not any(ref in (i.index, i.name) for i in snapshot.values())
        ]
        if missing:
            known = ", ".join(i.name for i in sorted(snapshot.values(), key=lambda i: i.index))
            hint = ""
            if missing[0] in {t.value for t in InterfaceType}:
                hint = f"; for the type, pass InterfaceType.{InterfaceType(missing[0]).name}"
            raise UsageError(
                "interfaces",
                f"no such interface on this host (it has: {known}){hint}",
                missing[0],
            )

    async def _sync(self, snapshot: dict[int, Interface]) -> None:
        """Open sockets for matching interfaces that lack them; close the ones gone."""
        assert self._match is not None
        if not self._started:
            self._check_first(snapshot)
        wanted = {i.index: i for i in snapshot.values() if self._match(i)}
        for index in set(self._failures) - set(wanted):
            del self._failures[index]
        for index in {i for i, _f in self._servers} - set(wanted):
            for key in [k for k in self._servers if k[0] == index]:
                server = self._servers.pop(key)
                server.close()
                _log.debug("port %d: closed socket on %s", self._port, self._names.get(index))
        for index, iface in wanted.items():
            if self._names.get(index) != iface.name:
                # Renamed: SO_BINDTODEVICE holds the index, but reopen to keep names honest.
                for key in [k for k in self._servers if k[0] == index]:
                    self._servers.pop(key).close()
            if not any(k[0] == index for k in self._servers):
                self._names[index] = iface.name
                try:
                    await self._open_group(iface)
                except ListenError as exc:
                    self._failed(exc.failures[0])
                else:
                    self._failures.pop(index, None)
        if not self._started and self._failures and not self._servers:
            raise ListenError(self._requested_port, list(self._failures.values()))

    def _failed(self, failure: ListenFailure) -> None:
        known = self._failures.get(failure.interface_index)
        self._failures[failure.interface_index] = failure
        if known == failure:
            return  # reported already (a later batch of changes retried it)
        _log.warning("cannot listen: %s", failure)
        if self._started and self._on_error is not None:
            try:
                self._on_error(failure)
            except Exception:
                _log.exception("listener on_error callback failed")

    async def _open_group(self, iface: Interface | None) -> None:
        """Open the IPv4 and IPv6 sockets of one interface (or of the wildcard)."""
        families = [socket.AF_INET] + ([socket.AF_INET6] if _ipv6_available() else [])
        socks: list[socket.socket] = []
        for attempt in range(_PORT_TRIES):
            port = self._port
            socks = []
            try:
                for family in families:
                    sock = _make_socket(family, port, iface)
                    socks.append(sock)
                    if port == 0:
                        port = sock.getsockname()[1]
            except OSError as exc:
                for sock in socks:
                    sock.close()
                # With port 0 the first socket picks a port that may be taken for the
                # other family: pick again.
                if exc.errno == errno.EADDRINUSE and self._port == 0 and attempt + 1 < _PORT_TRIES:
                    continue
                code = exc.errno or errno.EADDRINUSE
                failure = ListenFailure(
                    iface.index if iface else 0,
                    iface.name if iface else "",
                    port or self._requested_port,
                    code,
                    describe_errno(code),
                )
                raise ListenError(failure.port, [failure]) from exc
            self._port = port
            break
        for n, sock in enumerate(socks):
            try:
                server = await asyncio.start_server(
                    self._callback,
                    sock=sock,
                    backlog=self._backlog,
                    limit=self._limit,
                )
            except BaseException:
                for unserved in socks[n:]:  # the server did not take them over
                    unserved.close()
                raise
            self._servers[(iface.index if iface else 0, sock.family)] = server


async def listen(
    port: int,
    client_connected: ClientConnected,
    *,
    interfaces: InterfaceSelector | None = None,
    backlog: int = 100,
    limit: int = 2**16,
    on_error: ListenErrorCallback | None = None,
) -> Listener:
    """Start listening on ``port`` (0: the OS picks one; see :attr:`Listener.port`).

    ``client_connected(reader, writer)`` runs for every connection, as with
    :func:`asyncio.start_server`. Without ``interfaces``: every address,
    IPv4 and IPv6, loopback included. With ``interfaces`` (indexes, names,
    functional types such as ``[InterfaceType.WIRED]``, or a predicate over
    :class:`~lanwise.interfaces.Interface`): one
    socket per family per matching interface, bound to the interface, and
    followed as interfaces come and go. Use the result as an async context
    manager, or call :meth:`Listener.close`.

    Raises :class:`~lanwise.net.ListenError` when no socket could be bound
    (its ``failures`` name each interface and errno), and :class:`UsageError`
    when an interface named by index or name does not exist. With some
    interfaces bound, the others are in :attr:`Listener.failures`. Later
    failures (an interface that appears while the port is taken on it) call
    ``on_error(failure)`` with a :class:`~lanwise.net.ListenFailure`.
    """
    if not isinstance(port, int) or not 0 <= port < 65536:
        raise UsageError("port", "must be an integer 0-65535", port)
    listener = Listener(client_connected, port, interfaces, backlog, limit, on_error=on_error)
    try:
        await listener._start()
    except BaseException:
        await listener.close()
        raise
    return listener
