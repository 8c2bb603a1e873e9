"""The mDNS sockets: one UDP socket per address family on port 5353, for every interface.

One socket per family, bound to the wildcard address, serves all interfaces:
the arrival interface and the destination address of each datagram come from
IP_PKTINFO / IPV6_RECVPKTINFO ancillary data, and the outgoing interface of
each datagram is chosen with IP_PKTINFO / IPV6_PKTINFO in ``sendmsg``. Group
membership is per interface (by index). This costs two file descriptors
however many interfaces there are, and an interface coming or going is one
``setsockopt``, not a socket to open, bind and register with the event loop.

Options, and why:

- SO_REUSEADDR: other mDNS stacks (avahi-daemon, mDNSResponder, another
  lanwise) may hold port 5353 on the same host, and every socket bound with it
  receives each multicast datagram of the groups it joined. Not SO_REUSEPORT
  on Linux unless binding needs it (a stack that set only SO_REUSEPORT holds
  the port): Linux (6.x) hands a multicast datagram that matches exactly one
  socket of a reuseport group to a member the group picks by hash, so a stack
  serving other interfaces than its neighbour in the group can lose its
  traffic to that neighbour (seen in the lab on 6.18; tested in
  tests/lab/mdns/test_sockets.py). Other systems share multicast ports
  through SO_REUSEPORT, so it is set there.
- IP_MULTICAST_ALL / IPV6_MULTICAST_ALL off (Linux): otherwise a wildcard-bound
  socket receives the group's traffic from every interface *any* socket on the
  host joined, including interfaces this transport was told to leave alone.
- IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP on (the default, set explicitly):
  another stack on the same host must hear our probes and announcements, and we
  theirs, or two stacks on one host could both claim a name. Our own datagrams
  come back too; the transport recognises and drops those echoes
  (:class:`~lanwise.mdns.transport.EchoFilter`).
- TTL / hop limit 255 for multicast and unicast (RFC 6762 §11).
- IPV6_V6ONLY: IPv4 traffic stays on the IPv4 socket.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import struct
import sys
from ipaddress import IPv4Address, IPv6Address
from typing import Final

from lanwise.errors import PlatformError
from lanwise.mdns.constants import MAX_MESSAGE_SIZE, MDNS_PORT
from lanwise.mdns.endpoints import MDNS_IPV4_GROUP, MDNS_IPV6_GROUP

__all__ = [
    "RECEIVE_BUFFER",
    "SEND_ERRNOS",
    "ancillary_size",
    "arrival",
    "join_group",
    "leave_group",
    "open_mdns_socket",
    "packet_info",
    "send_packet_info",
]

# Linux values, for Python builds whose socket module lacks a name.
IP_PKTINFO: Final = getattr(socket, "IP_PKTINFO", 8)
IP_MULTICAST_ALL: Final = getattr(socket, "IP_MULTICAST_ALL", 49)
IPV6_RECVPKTINFO: Final = getattr(socket, "IPV6_RECVPKTINFO", 49)
IPV6_PKTINFO: Final = getattr(socket, "IPV6_PKTINFO", 50)
IPV6_MULTICAST_ALL: Final = getattr(socket, "IPV6_MULTICAST_ALL", 29)
SO_REUSEPORT: Final = getattr(socket, "SO_REUSEPORT", 15)

# §11: every mDNS packet, multicast or unicast, goes out with IP TTL / hop limit 255.
MDNS_TTL: Final = 255

# §17: no mDNS message may exceed 9000 bytes; one that does arrives truncated
# (MSG_TRUNC) and is dropped as malformed.
RECEIVE_BUFFER: Final = MAX_MESSAGE_SIZE
# Ask for more kernel buffer than the default so a burst of announcements from
# many peers is not dropped while the event loop is busy (capped by rmem_max).
_SOCKET_RECEIVE_BUFFER: Final = 1 << 20

# struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst, ipi_addr; }
_IN_PKTINFO: Final = struct.Struct("=i4s4s")
# struct in6_pktinfo { struct in6_addr ipi6_addr; unsigned int ipi6_ifindex; }
_IN6_PKTINFO: Final = struct.Struct("=16sI")
_INT: Final = struct.Struct("=i")
_UINT: Final = struct.Struct("=I")

# Errors that concern one destination or one interface (it went down, lost its
# address, the queue is full): the transport counts them and carries on.
SEND_ERRNOS: Final = frozenset(
    {
        errno.ENETDOWN,
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.EHOSTDOWN,
        errno.EADDRNOTAVAIL,
        errno.ENOBUFS,
        errno.ENODEV,
        errno.ENXIO,
        errno.EAGAIN,
        errno.EPERM,
        errno.EACCES,
        errno.EINVAL,
        errno.EMSGSIZE,
    }
)


def ancillary_size(family: int) -> int:
    """The ``ancbufsize`` for ``recvmsg`` that fits the packet-info message."""
    size = _IN6_PKTINFO.size if family == socket.AF_INET6 else _IN_PKTINFO.size
    return socket.CMSG_SPACE(size)


def open_mdns_socket(family: int) -> socket.socket:
    """A non-blocking UDP socket on ``*:5353`` set up for mDNS (see the module doc).

    Raises :class:`PlatformError` when the system refuses (no IPv6, port 5353
    held exclusively by another program, no permission).
    """
    ipv6 = family == socket.AF_INET6
    try:
        sock = socket.socket(family, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    except OSError as exc:
        raise PlatformError(
            exc.errno, f"cannot open an IPv{6 if ipv6 else 4} UDP socket: {exc}"
        ) from exc
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if sys.platform != "linux":
            sock.setsockopt(socket.SOL_SOCKET, SO_REUSEPORT, 1)
        # A smaller buffer only makes overflow under bursts likelier.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SOCKET_RECEIVE_BUFFER)
        if ipv6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, MDNS_TTL)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, MDNS_TTL)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 1)
            _set_optional(sock, socket.IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0)
            _bind(sock, ("::", MDNS_PORT))
        else:
            sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, MDNS_TTL)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, MDNS_TTL)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
            _set_optional(sock, socket.IPPROTO_IP, IP_MULTICAST_ALL, 0)
            _bind(sock, ("0.0.0.0", MDNS_PORT))
    except OSError as exc:
        sock.close()
        raise PlatformError(
            exc.errno,
            f"cannot set up the IPv{6 if ipv6 else 4} mDNS socket on port {MDNS_PORT}: {exc}",
        ) from exc
    return sock


def _bind(sock: socket.socket, address: tuple[str, int]) -> None:
    try:
        sock.bind(address)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or sock.getsockopt(socket.SOL_SOCKET, SO_REUSEPORT):
            raise
        # Another stack holds the port with SO_REUSEPORT alone: join its group.
        sock.setsockopt(socket.SOL_SOCKET, SO_REUSEPORT, 1)
        sock.bind(address)


def _set_optional(sock: socket.socket, level: int, option: int, value: int) -> None:
    # Kernels before 4.20 have no IPV6_MULTICAST_ALL; the interface check in the
    # transport still drops traffic from interfaces it does not serve.
    try:
        sock.setsockopt(level, option, value)
    except OSError as exc:
        if exc.errno not in (errno.ENOPROTOOPT, errno.EINVAL):
            raise


def _membership(family: int, index: int, *, join: bool) -> tuple[int, int, bytes]:
    if family == socket.AF_INET6:
        # struct ipv6_mreq { in6_addr ipv6mr_multiaddr; unsigned ipv6mr_interface; }
        mreq = MDNS_IPV6_GROUP.packed + struct.pack("=I", index)
        option = socket.IPV6_JOIN_GROUP if join else socket.IPV6_LEAVE_GROUP
        return socket.IPPROTO_IPV6, option, mreq
    # struct ip_mreqn { in_addr imr_multiaddr, imr_address; int imr_ifindex; }
    mreqn = MDNS_IPV4_GROUP.packed + bytes(4) + struct.pack("=i", index)
    option = socket.IP_ADD_MEMBERSHIP if join else socket.IP_DROP_MEMBERSHIP
    return socket.IPPROTO_IP, option, mreqn


def join_group(sock: socket.socket, index: int) -> None:
    """Join the mDNS group of the socket's family on interface ``index``.

    Joining twice is not an error. Raises :class:`PlatformError` if the kernel
    refuses (the interface is gone or has no multicast).
    """
    level, option, mreq = _membership(sock.family, index, join=True)
    try:
        sock.setsockopt(level, option, mreq)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return
        raise PlatformError(
            exc.errno, f"cannot join the mDNS group on interface {index}: {exc}"
        ) from exc


def leave_group(sock: socket.socket, index: int) -> None:
    """Leave the mDNS group on interface ``index``; quiet if not joined or gone."""
    level, option, mreq = _membership(sock.family, index, join=False)
    try:
        sock.setsockopt(level, option, mreq)
    except OSError as exc:
        if exc.errno not in (errno.EADDRNOTAVAIL, errno.ENODEV, errno.EINVAL, errno.ENOENT):
            raise PlatformError(
                exc.errno, f"cannot leave the mDNS group on interface {index}: {exc}"
            ) from exc


def packet_info(
    ancdata: list[tuple[int, int, bytes]],
) -> tuple[int, IPv4Address | IPv6Address] | None:
    """(arrival interface index, destination address) from ``recvmsg`` ancillary data.

    The destination is the address in the IP header: the group for multicast,
    one of ours for unicast. None if the kernel sent no packet info.
    """
    for level, kind, data in ancdata:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= _IN_PKTINFO.size:
            index, _local, header_destination = _IN_PKTINFO.unpack_from(data)
            return index, IPv4Address(header_destination)
        if level == socket.IPPROTO_IPV6 and kind == IPV6_PKTINFO and len(data) >= _IN6_PKTINFO.size:
            destination, index = _IN6_PKTINFO.unpack_from(data)
            return index, IPv6Address(destination)
    return None


_IPV4_GROUP_BYTES: Final = MDNS_IPV4_GROUP.packed
_IPV6_GROUP_BYTES: Final = MDNS_IPV6_GROUP.packed


def arrival(ancdata: list[tuple[int, int, bytes]]) -> tuple[int, bool] | None:
    """(arrival interface index, sent to the mDNS group?) for the receive path.

    :func:`packet_info` without building an address object: the engine only
    needs to know whether a datagram was multicast to the group or unicast to
    us. None if the kernel sent no packet info.
    """
    for level, kind, data in ancdata:
        if kind == IP_PKTINFO and level == socket.IPPROTO_IP and len(data) >= _IN_PKTINFO.size:
            return _INT.unpack_from(data)[0], data[8:12] == _IPV4_GROUP_BYTES
        if kind == IPV6_PKTINFO and level == socket.IPPROTO_IPV6 and len(data) >= _IN6_PKTINFO.size:
            return _UINT.unpack_from(data, 16)[0], data[:16] == _IPV6_GROUP_BYTES
    return None


def send_packet_info(family: int, index: int) -> tuple[int, int, bytes]:
    """The ``sendmsg`` control message that sends out of interface ``index``.

    The source address is left to the kernel (that interface's address), so
    this works before an interface has any particular address settled.
    """
    if family == socket.AF_INET6:
        return socket.IPPROTO_IPV6, IPV6_PKTINFO, _IN6_PKTINFO.pack(bytes(16), index)
    return socket.IPPROTO_IP, IP_PKTINFO, _IN_PKTINFO.pack(index, bytes(4), bytes(4))
