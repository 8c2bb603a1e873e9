"""A Linux AF_PACKET socket that sends and receives ARP frames on one interface.

The socket is opened with protocol 0 (it receives nothing) and only then bound
to ``(interface, ETH_P_ARP)``, so no frame from another interface or of another
protocol is ever queued on it. Frames the host itself sends (the kernel's own
ARP traffic, our probes) are looped back to packet sockets as
``PACKET_OUTGOING``; :meth:`ArpSocket.receive` drops those.
"""

from __future__ import annotations

import errno
import socket
import sys

from lanwise.errors import PlatformError, UsageError
from lanwise.linklocal.arp import ETHERTYPE_ARP

__all__ = ["ArpSocket"]

_PACKET_OUTGOING = 4  # linux/if_packet.h
_ARPHRD_ETHER = 1  # linux/if_arp.h: Ethernet and everything that looks like it (veth, Wi-Fi)
_MAX_FRAME = 2048
_MAX_BATCH = 64  # frames read per wake-up, so a flood cannot starve the event loop


class ArpSocket:
    """ARP frames on the interface with index ``index`` (Linux, needs CAP_NET_RAW)."""

    def __init__(self, index: int) -> None:
        if sys.platform != "linux":
            raise PlatformError(errno.ENOSYS, "IPv4 link-local addressing needs Linux AF_PACKET")
        try:
            name = socket.if_indextoname(index)
        except OSError:
            raise UsageError("interface", "no interface has this index", index) from None
        try:
            sock = socket.socket(
                socket.AF_PACKET, socket.SOCK_RAW | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC, 0
            )
        except OSError as exc:
            code = exc.errno or errno.EIO
            raise PlatformError(code, f"cannot open a packet socket: {exc.strerror}") from exc
        try:
            sock.bind((name, ETHERTYPE_ARP))
            address = sock.getsockname()
        except OSError as exc:
            sock.close()
            code = exc.errno or errno.EIO
            raise PlatformError(
                code, f"cannot bind a packet socket to {name}: {exc.strerror}"
            ) from exc
        hatype, mac = address[3], address[4]
        if hatype != _ARPHRD_ETHER or len(mac) != 6:
            sock.close()
            raise UsageError("interface", "must be an Ethernet-like interface that uses ARP", name)
        self._sock = sock
        self.index = index
        self.name = name
        self.hardware_address: bytes = mac

    def fileno(self) -> int:
        return self._sock.fileno()

    def receive(self) -> list[bytes]:
        """The frames waiting now, other hosts' only; empty when there are none."""
        frames: list[bytes] = []
        for _ in range(_MAX_BATCH):
            try:
                data, address = self._sock.recvfrom(_MAX_FRAME)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                if exc.errno == errno.ENETDOWN:
                    break  # the link went down; the monitor reports it
                raise PlatformError(
                    exc.errno or errno.EIO, f"receive on {self.name}: {exc}"
                ) from exc
            if address[2] != _PACKET_OUTGOING:
                frames.append(data)
        return frames

    def send(self, frame: bytes) -> None:
        """Send one Ethernet frame. A link that is down drops it silently."""
        try:
            self._sock.send(frame)
        except OSError as exc:
            if exc.errno in (errno.ENETDOWN, errno.ENXIO, errno.EAGAIN, errno.ENOBUFS):
                return  # transient: the machine's timers will send again or the link is down
            raise PlatformError(exc.errno or errno.EIO, f"send on {self.name}: {exc}") from exc

    def close(self) -> None:
        self._sock.close()
