"""Socket options the scoped-socket layer needs, with their platform differences.

Binding is to the *interface*, never to an address: the socket keeps working
when the interface's addresses change. Linux has SO_BINDTODEVICE (by name);
macOS has IP_BOUND_IF / IPV6_BOUND_IF (by index).
"""

from __future__ import annotations

import errno
import socket
import struct
import sys
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from lanwise.errors import PlatformError

__all__ = [
    "PacketInfo",
    "bind_to_interface",
    "bound_interface",
    "enable_packet_info",
    "ip_mreqn",
    "ipv6_mreq",
    "parse_packet_info",
    "set_multicast_interface",
]

# Linux values, used when the socket module does not export them.
_SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
_IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
_IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
_IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)
# macOS <netinet/in.h>: IP_BOUND_IF 25, IPV6_BOUND_IF 125.
_IP_BOUND_IF = 25
_IPV6_BOUND_IF = 125


def bind_to_interface(sock: socket.socket, index: int, name: str) -> None:
    """Restrict ``sock`` to one interface (SO_BINDTODEVICE / IP_BOUND_IF)."""
    try:
        if sys.platform == "linux":
            sock.setsockopt(socket.SOL_SOCKET, _SO_BINDTODEVICE, name.encode())
        elif sys.platform == "darwin":
            if sock.family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_BOUND_IF, index)
            else:
                sock.setsockopt(socket.IPPROTO_IP, _IP_BOUND_IF, index)
        else:
            raise PlatformError(
                errno.EOPNOTSUPP,
                f"binding a socket to an interface is not supported on {sys.platform}",
            )
    except PermissionError as exc:
        raise PlatformError(
            exc.errno,
            f"binding a socket to {name} needs CAP_NET_RAW on Linux kernels before 5.7",
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ENODEV:
            raise PlatformError(exc.errno, f"interface {name} (index {index}) is gone") from exc
        raise


def bound_interface(sock: socket.socket) -> str | None:
    """The interface name ``sock`` is bound to (Linux), or None."""
    if sys.platform != "linux":
        return None
    raw = sock.getsockopt(socket.SOL_SOCKET, _SO_BINDTODEVICE, 16)
    name = raw.split(b"\0", 1)[0].decode()
    return name or None


def enable_packet_info(sock: socket.socket) -> None:
    """Ask for the arrival interface and destination address of every datagram."""
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVPKTINFO, 1)
    else:
        sock.setsockopt(socket.IPPROTO_IP, _IP_PKTINFO, 1)


@dataclass(frozen=True, slots=True)
class PacketInfo:
    """What IP_PKTINFO / IPV6_PKTINFO says about a received datagram."""

    interface_index: int
    destination: IPv4Address | IPv6Address


def parse_packet_info(ancdata: list[tuple[int, int, bytes]]) -> PacketInfo | None:
    """Read the packet-info control message out of ``recvmsg``'s ancillary data."""
    for level, kind, data in ancdata:
        if level == socket.IPPROTO_IP and kind == _IP_PKTINFO and len(data) >= 12:
            # struct in_pktinfo { int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr; }
            index = struct.unpack_from("=i", data)[0]
            return PacketInfo(index, IPv4Address(data[8:12]))
        if level == socket.IPPROTO_IPV6 and kind == _IPV6_PKTINFO and len(data) >= 20:
            # struct in6_pktinfo { in6_addr ipi6_addr; unsigned ipi6_ifindex; }
            index = struct.unpack_from("=I", data, 16)[0]
            return PacketInfo(index, IPv6Address(data[:16]))
    return None


def ip_mreqn(group: IPv4Address, index: int) -> bytes:
    """struct ip_mreqn for IP_ADD_MEMBERSHIP / IP_MULTICAST_IF, by interface index."""
    return group.packed + b"\0\0\0\0" + struct.pack("=i", index)


def ipv6_mreq(group: IPv6Address, index: int) -> bytes:
    """struct ipv6_mreq for IPV6_JOIN_GROUP, by interface index."""
    return group.packed + struct.pack("=I", index)


def set_multicast_interface(sock: socket.socket, index: int) -> None:
    """Send multicast out of interface ``index`` (by index, so no address is needed)."""
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
    else:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, ip_mreqn(IPv4Address(0), index))
