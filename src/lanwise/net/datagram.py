"""A per-interface UDP endpoint: directed broadcast, multicast per interface, arrival interface.

One IPv4 and one IPv6 socket per interface, all on the same port, each bound
to its interface (SO_BINDTODEVICE) and to the wildcard address. Every
received datagram says which interface it arrived on (IP_PKTINFO /
IPV6_PKTINFO). :meth:`DatagramEndpoint.broadcast` sends one *directed*
broadcast per broadcast-capable interface, computed from each address's real
prefix; lanwise never sends to 255.255.255.255 on its own, because that
address follows the routing table (usually out of the default route only).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from types import TracebackType
from typing import Any

from lanwise.errors import PlatformError, UsageError
from lanwise.interfaces.model import Interface
from lanwise.net.endpoint import Endpoint, endpoint_of
from lanwise.net.errors import BroadcastError, explain_send_error
from lanwise.net.follow import follow_interfaces
from lanwise.net.listen import InterfaceSelector, interface_matcher
from lanwise.net.sockopts import (
    bind_to_interface,
    enable_packet_info,
    ip_mreqn,
    ipv6_mreq,
    parse_packet_info,
    set_multicast_interface,
)

__all__ = [
    "DatagramEndpoint",
    "ReceivedDatagram",
    "directed_broadcasts",
    "open_datagram_endpoint",
    "sendto",
]

_log = logging.getLogger(__name__)
_ANCILLARY = socket.CMSG_SPACE(64)
_MAX_DATAGRAM = 65535
_QUEUE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class ReceivedDatagram:
    """A datagram with its sender, its destination address and its arrival interface."""

    data: bytes
    source: Endpoint
    destination: IPv4Address | IPv6Address | None
    interface_index: int


def directed_broadcasts(iface: Interface) -> list[IPv4Address]:
    """The directed broadcast address of each IPv4 prefix on ``iface``.

    The kernel's broadcast address for the address wins when set; otherwise
    the prefix's all-ones address. /31 and /32 prefixes have none (RFC 3021).
    """
    if not iface.supports_broadcast or iface.is_loopback:
        return []
    found: list[IPv4Address] = []
    for addr in iface.ipv4_addresses:
        if addr.broadcast is not None:
            bcast = addr.broadcast
        elif addr.prefixlen <= 30:
            bcast = IPv4Address(addr.network.broadcast_address)
        else:
            continue
        if bcast not in found:
            found.append(bcast)
    return found


def sendto(sock: socket.socket, data: bytes, address: Any, interface: str | None = None) -> None:
    """``sock.sendto`` with OS refusals turned into lanwise errors that say the fix."""
    try:
        sock.sendto(data, address)
    except OSError as exc:
        raise explain_send_error(exc, str(address[0]), interface) from exc


def _default_selector(iface: Interface) -> bool:
    return not iface.is_loopback


def _matcher(interfaces: InterfaceSelector | None) -> Callable[[Interface], bool]:
    return _default_selector if interfaces is None else interface_matcher(interfaces)


def _ip(value: str | IPv4Address | IPv6Address, field: str) -> IPv4Address | IPv6Address:
    if isinstance(value, IPv4Address | IPv6Address):
        return value
    try:
        return ip_address(value)
    except ValueError:
        raise UsageError(field, "must be an IP address", value) from None


def _multicast(group: str | IPv4Address | IPv6Address) -> IPv4Address | IPv6Address:
    ip = _ip(group, "group")
    if not ip.is_multicast:
        raise UsageError("group", "must be a multicast address", str(group))
    return ip


def _check_port(port: int) -> None:
    if not isinstance(port, int) or not 0 < port < 65536:
        raise UsageError("port", "must be an integer 1-65535", port)


class DatagramEndpoint:
    """Per-interface UDP sockets on one port. Get one from :func:`open_datagram_endpoint`."""

    def __init__(
        self, port: int, interfaces: InterfaceSelector | None, ipv4: bool, ipv6: bool
    ) -> None:
        self._requested_port = port
        self._port = port
        self._match = _matcher(interfaces)
        self._families = [f for f, on in ((socket.AF_INET, ipv4), (socket.AF_INET6, ipv6)) if on]
        self._socks: dict[tuple[int, int], socket.socket] = {}
        self._snapshot: dict[int, Interface] = {}
        self._names: dict[int, str] = {}  # index -> name, for the zones of IPv6 sources
        self._groups: list[IPv4Address | IPv6Address] = []
        self._queue: asyncio.Queue[ReceivedDatagram] = asyncio.Queue(_QUEUE_SIZE)
        self._loop = asyncio.get_running_loop()
        self._monitor_task: asyncio.Task[None] | None = None
        self._dropped = 0

    # -- lifecycle ---------------------------------------------------------------
    async def _start(self) -> None:
        self._monitor_task = await follow_interfaces(
            self._sync, f"UDP endpoint on port {self._requested_port}"
        )

    async def close(self) -> None:
        """Close every socket."""
        if self._monitor_task is not None:
            self._monitor_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor_task
        for key in list(self._socks):
            self._close(key)

    async def __aenter__(self) -> DatagramEndpoint:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- state -------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._port

    @property
    def interface_indexes(self) -> frozenset[int]:
        return frozenset(index for index, _family in self._socks)

    def statistics(self) -> dict[str, int]:
        return {"sockets": len(self._socks), "dropped_queue_full": self._dropped}

    # -- receiving ---------------------------------------------------------------
    async def receive(self) -> ReceivedDatagram:
        """The next datagram from any interface."""
        return await self._queue.get()

    def receive_nowait(self) -> ReceivedDatagram:
        """The next queued datagram; raises asyncio.QueueEmpty when none is waiting."""
        return self._queue.get_nowait()

    async def __aiter__(self) -> AsyncIterator[ReceivedDatagram]:
        while True:
            yield await self._queue.get()

    # -- sending -----------------------------------------------------------------
    def broadcast(self, data: bytes, port: int) -> list[tuple[int, IPv4Address]]:
        """One directed broadcast per broadcast-capable interface (and prefix).

        Returns the (interface index, broadcast address) pairs sent to. A refusal
        on one interface does not stop the others; the first is raised afterwards
        as a :class:`~lanwise.net.errors.BroadcastError`. No interface to
        broadcast on at all is a BroadcastError too.
        """
        _check_port(port)
        sent: list[tuple[int, IPv4Address]] = []
        errors: list[PlatformError] = []
        for (index, family), sock in sorted(self._socks.items()):
            if family != socket.AF_INET:
                continue
            iface = self._snapshot.get(index)
            if iface is None:
                continue
            for bcast in directed_broadcasts(iface):
                try:
                    sendto(sock, data, (str(bcast), port), iface.name)
                except PlatformError as exc:
                    errors.append(exc)
                else:
                    sent.append((index, bcast))
        if errors:
            raise errors[0]
        if not sent:
            raise BroadcastError(
                errno.ENETUNREACH,
                "no interface to broadcast on: none is up with an IPv4 address and the "
                "BROADCAST flag",
            )
        return sent

    def send(
        self,
        data: bytes,
        address: str | IPv4Address | IPv6Address,
        port: int,
        *,
        interface: int | str | None = None,
    ) -> int:
        """Send one datagram out of one interface; returns that interface's index.

        Without ``interface``: the zone of a scoped IPv6 address, else the
        interface whose prefix holds the address. Multicast and broadcast need
        ``interface`` (or use :meth:`send_multicast`, :meth:`broadcast`).
        """
        ip = _ip(address, "address")
        _check_port(port)
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        index = self._pick_interface(ip, interface)
        sock = self._socks.get((index, family))
        if sock is None:
            raise UsageError(
                "interface", "this endpoint has no socket of that family there", interface
            )
        name = self._snapshot[index].name if index in self._snapshot else None
        if isinstance(ip, IPv6Address):
            bare = str(ip).split("%", 1)[0]
            scope = index if (ip.is_link_local or ip.is_multicast) else 0
            sendto(sock, data, (bare, port, 0, scope), name)
        else:
            sendto(sock, data, (str(ip), port), name)
        return index

    def send_multicast(
        self, data: bytes, group: str | IPv4Address | IPv6Address, port: int
    ) -> list[int]:
        """Send to a multicast group on every interface of the endpoint; returns the indexes."""
        ip = _multicast(group)
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        sent = []
        for (index, fam), _sock in sorted(self._socks.items()):
            iface = self._snapshot.get(index)
            if fam == family and iface is not None and iface.supports_multicast:
                self.send(data, ip, port, interface=index)
                sent.append(index)
        return sent

    def join_group(self, group: str | IPv4Address | IPv6Address) -> None:
        """Join a multicast group on every interface, now and as interfaces come."""
        ip = _multicast(group)
        if ip in self._groups:
            return
        self._groups.append(ip)
        for (index, family), sock in self._socks.items():
            if family == (socket.AF_INET6 if ip.version == 6 else socket.AF_INET):
                self._join(sock, ip, index)

    def leave_group(self, group: str | IPv4Address | IPv6Address) -> None:
        """Leave a group joined with :meth:`join_group`, on every interface."""
        ip = _multicast(group)
        if ip not in self._groups:
            return
        self._groups.remove(ip)
        for (index, family), sock in self._socks.items():
            if family == (socket.AF_INET6 if ip.version == 6 else socket.AF_INET):
                with contextlib.suppress(OSError):
                    if isinstance(ip, IPv6Address):
                        sock.setsockopt(
                            socket.IPPROTO_IPV6, socket.IPV6_LEAVE_GROUP, ipv6_mreq(ip, index)
                        )
                    else:
                        sock.setsockopt(
                            socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, ip_mreqn(ip, index)
                        )

    # -- internals ---------------------------------------------------------------
    def _pick_interface(self, ip: IPv4Address | IPv6Address, interface: int | str | None) -> int:
        if interface is not None:
            for iface in self._snapshot.values():
                if interface in (iface.index, iface.name):
                    return iface.index
            raise UsageError("interface", "no such interface on this endpoint", interface)
        if isinstance(ip, IPv6Address) and ip.scope_id:
            for iface in self._snapshot.values():
                if ip.scope_id in (iface.name, str(iface.index)):
                    return iface.index
        bare = ip_address(str(ip).split("%", 1)[0])
        for index, _family in sorted(self._socks):
            owner = self._snapshot.get(index)
            if owner and any(
                a.version == bare.version and bare in a.network for a in owner.addresses
            ):
                return index
        raise UsageError("interface", "required: the address is on no interface's prefix", str(ip))

    def _join(self, sock: socket.socket, ip: IPv4Address | IPv6Address, index: int) -> None:
        try:
            if isinstance(ip, IPv6Address):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, ipv6_mreq(ip, index))
            else:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, ip_mreqn(ip, index))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:  # already a member
                _log.warning("cannot join %s on interface %d: %s", ip, index, exc)

    async def _sync(self, snapshot: dict[int, Interface]) -> None:
        self._snapshot = dict(snapshot)
        self._names = {i.index: i.name for i in snapshot.values()}
        wanted = {i.index: i for i in snapshot.values() if i.is_up and self._match(i)}
        for key in [k for k in self._socks if k[0] not in wanted]:
            self._close(key)
        for index, iface in wanted.items():
            for family in self._families:
                if (index, family) not in self._socks:
                    try:
                        self._open(iface, family)
                    except OSError as exc:
                        _log.warning("UDP port %d: cannot open on %s: %s", self._port, iface, exc)

    def _open(self, iface: Interface, family: int) -> None:
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            else:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            bind_to_interface(sock, iface.index, iface.name)
            enable_packet_info(sock)
            set_multicast_interface(sock, iface.index)
            sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", self._port))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        if self._port == 0:
            self._port = sock.getsockname()[1]
        self._socks[(iface.index, family)] = sock
        for group in self._groups:
            if group.version == (6 if family == socket.AF_INET6 else 4):
                self._join(sock, group, iface.index)
        self._loop.add_reader(sock.fileno(), self._readable, sock, iface.index)

    def _close(self, key: tuple[int, int]) -> None:
        sock = self._socks.pop(key)
        with contextlib.suppress(Exception):
            self._loop.remove_reader(sock.fileno())
        sock.close()

    def _readable(self, sock: socket.socket, index: int) -> None:
        names = self._names
        for _ in range(64):  # bounded, so one busy socket cannot starve the loop
            try:
                data, ancdata, _flags, source = sock.recvmsg(_MAX_DATAGRAM, _ANCILLARY)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                _log.debug("UDP receive on interface %d: %s", index, exc)
                return
            info = parse_packet_info(ancdata)
            datagram = ReceivedDatagram(
                data,
                endpoint_of(source, names),
                info.destination if info else None,
                info.interface_index if info else index,
            )
            try:
                self._queue.put_nowait(datagram)
            except asyncio.QueueFull:
                self._dropped += 1


async def open_datagram_endpoint(
    port: int = 0,
    *,
    interfaces: InterfaceSelector | None = None,
    ipv4: bool = True,
    ipv6: bool = True,
) -> DatagramEndpoint:
    """Open per-interface UDP sockets on ``port`` (0: the OS picks one).

    ``interfaces`` selects interfaces like :func:`~lanwise.net.listen.listen`
    (default: every interface but loopback); sockets open and close as
    matching interfaces come and go.
    """
    if not isinstance(port, int) or not 0 <= port < 65536:
        raise UsageError("port", "must be an integer 0-65535", port)
    if not (ipv4 or ipv6):
        raise UsageError("ipv4/ipv6", "at least one family is needed")
    endpoint = DatagramEndpoint(port, interfaces, ipv4, ipv6)
    try:
        await endpoint._start()
    except BaseException:
        await endpoint.close()
        raise
    return endpoint
