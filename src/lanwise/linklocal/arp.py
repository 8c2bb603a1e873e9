"""ARP packets for Ethernet and IPv4 (RFC 826), with their Ethernet framing.

Only the one ARP flavour link-local addressing uses is understood: hardware
type Ethernet, protocol IPv4, operations request and reply. Anything else
raises :class:`ArpFormatError`, which callers that read the network count and
drop. The layout is declared once (:data:`_ARP`) and both directions use it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from ipaddress import IPv4Address

from lanwise.errors import ProtocolError, UsageError

__all__ = [
    "ARP_LENGTH",
    "BROADCAST_MAC",
    "ETHERTYPE_ARP",
    "UNSPECIFIED",
    "ZERO_MAC",
    "ArpFormatError",
    "ArpOperation",
    "ArpPacket",
    "format_mac",
    "parse_mac",
]

ETHERTYPE_ARP = 0x0806
_ETHERTYPE_IPV4 = 0x0800
_HTYPE_ETHERNET = 1
BROADCAST_MAC = b"\xff" * 6
ZERO_MAC = bytes(6)
UNSPECIFIED = IPv4Address(0)

# htype, ptype, hlen, plen, oper, sha, spa, tha, tpa (RFC 826 for Ethernet/IPv4).
_ARP = struct.Struct("!HHBBH6s4s6s4s")
ARP_LENGTH = _ARP.size  # 28
# destination, source, ethertype.
_ETHERNET = struct.Struct("!6s6sH")
# Ethernet's minimum frame without the FCS; shorter frames are padded with zeros.
_MIN_FRAME = 60


class ArpFormatError(ProtocolError):
    """An ARP packet or frame that is malformed or of a kind not handled here."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"bad ARP packet: {reason}")


class ArpOperation(IntEnum):
    """ARP operation codes (RFC 826)."""

    REQUEST = 1
    REPLY = 2


@dataclass(frozen=True, slots=True)
class ArpPacket:
    """One Ethernet/IPv4 ARP packet; hardware addresses are 6 raw bytes."""

    operation: ArpOperation
    sender_mac: bytes
    sender_ip: IPv4Address
    target_mac: bytes
    target_ip: IPv4Address

    def __post_init__(self) -> None:
        for name in ("sender_mac", "target_mac"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != 6:
                raise UsageError(name, "must be 6 bytes", value)

    @classmethod
    def probe(cls, mac: bytes, address: IPv4Address) -> ArpPacket:
        """An RFC 3927 §2.2.1 probe: a request for ``address`` with sender IP 0.0.0.0."""
        return cls(ArpOperation.REQUEST, mac, UNSPECIFIED, ZERO_MAC, address)

    @classmethod
    def announcement(cls, mac: bytes, address: IPv4Address) -> ArpPacket:
        """An RFC 3927 §2.4 announcement: a request with sender and target IP ``address``."""
        return cls(ArpOperation.REQUEST, mac, address, ZERO_MAC, address)

    @property
    def is_probe(self) -> bool:
        """A request whose sender IP is 0.0.0.0 (§2.2.1)."""
        return self.operation is ArpOperation.REQUEST and self.sender_ip == UNSPECIFIED

    @property
    def is_announcement(self) -> bool:
        """A request whose sender and target IP are the same address (§2.4)."""
        return (
            self.operation is ArpOperation.REQUEST
            and self.sender_ip == self.target_ip
            and self.sender_ip != UNSPECIFIED
        )

    # -- wire format ---------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The 28-byte ARP payload."""
        return _ARP.pack(
            _HTYPE_ETHERNET,
            _ETHERTYPE_IPV4,
            6,
            4,
            self.operation,
            self.sender_mac,
            self.sender_ip.packed,
            self.target_mac,
            self.target_ip.packed,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ArpPacket:
        """Parse an ARP payload; trailing bytes (Ethernet padding) are ignored."""
        if len(data) < ARP_LENGTH:
            raise ArpFormatError(f"truncated: {len(data)} bytes, need {ARP_LENGTH}")
        htype, ptype, hlen, plen, oper, sha, spa, tha, tpa = _ARP.unpack_from(data)
        if htype != _HTYPE_ETHERNET or hlen != 6:
            raise ArpFormatError(f"hardware type {htype} length {hlen}, not Ethernet")
        if ptype != _ETHERTYPE_IPV4 or plen != 4:
            raise ArpFormatError(f"protocol type {ptype:#06x} length {plen}, not IPv4")
        try:
            operation = ArpOperation(oper)
        except ValueError:
            raise ArpFormatError(f"operation {oper} is neither request nor reply") from None
        return cls(operation, sha, IPv4Address(spa), tha, IPv4Address(tpa))

    def to_frame(self, destination: bytes = BROADCAST_MAC) -> bytes:
        """An Ethernet frame carrying this packet, from ``sender_mac``, padded to 60 bytes.

        RFC 3927 sends probes and announcements to the broadcast address, the default.
        """
        if len(destination) != 6:
            raise UsageError("destination", "must be 6 bytes", destination)
        frame = _ETHERNET.pack(destination, self.sender_mac, ETHERTYPE_ARP) + self.to_bytes()
        return frame.ljust(_MIN_FRAME, b"\x00")

    @classmethod
    def from_frame(cls, frame: bytes) -> ArpPacket:
        """Parse an Ethernet frame holding an ARP packet."""
        if len(frame) < _ETHERNET.size:
            raise ArpFormatError(f"truncated Ethernet header: {len(frame)} bytes")
        _, _, ethertype = _ETHERNET.unpack_from(frame)
        if ethertype != ETHERTYPE_ARP:
            raise ArpFormatError(f"ethertype {ethertype:#06x} is not ARP")
        return cls.from_bytes(frame[_ETHERNET.size :])

    def __str__(self) -> str:
        kind = (
            "probe"
            if self.is_probe
            else "announcement"
            if self.is_announcement
            else self.operation.name.lower()
        )
        return (
            f"ARP {kind} {format_mac(self.sender_mac)} {self.sender_ip} -> "
            f"{format_mac(self.target_mac)} {self.target_ip}"
        )


def parse_mac(text: str) -> bytes:
    """``"02:00:5e:10:00:01"`` (or with dashes) → 6 bytes; UsageError otherwise."""
    parts = text.replace("-", ":").split(":")
    if len(parts) != 6 or not all(1 <= len(p) <= 2 for p in parts):
        raise UsageError("hardware address", "must be six hex octets like 02:00:5e:10:00:01", text)
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise UsageError(
            "hardware address", "must be six hex octets like 02:00:5e:10:00:01", text
        ) from None


def format_mac(mac: bytes) -> str:
    """6 bytes → ``"02:00:5e:10:00:01"``."""
    return ":".join(f"{b:02x}" for b in mac)
