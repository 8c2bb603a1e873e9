"""A deliberately broken IPv4 link-local claimer for the link-local phase: it
sends ARP by hand on a lab host's eth0 and breaks the RFC 3927 rules its
:class:`ClaimFaults` name. Small and plain on purpose; not a model claimer."""

from __future__ import annotations

import random
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass
from ipaddress import IPv4Address

from lanwise.conformance.linklocal import arp_frame, parse_arp
from tests.harness import Host

ZERO = IPv4Address(0)
MDNS_GROUP = IPv4Address("224.0.0.251")


def _checksum(header: bytes) -> int:
    total: int = sum(struct.unpack(f"!{len(header) // 2}H", header))
    total = (total & 0xFFFF) + (total >> 16)
    return ~((total & 0xFFFF) + (total >> 16)) & 0xFFFF


def mdns_probe_frame(mac: bytes, address: IPv4Address) -> bytes:
    """An mDNS probe (RFC 6762 §8.1: ANY, QU, the A record proposed in Authority)
    for broken-claimer.local, multicast from ``address`` to 224.0.0.251:5353."""
    name = b"\x0fbroken-claimer\x05local\x00"
    dns = struct.pack("!6H", 0, 0, 1, 0, 1, 0) + name + struct.pack("!HH", 255, 0x8001)
    dns += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 120, 4) + address.packed
    udp = struct.pack("!HHHH", 5353, 5353, 8 + len(dns), 0) + dns
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 255, 17, 0,
        address.packed, MDNS_GROUP.packed,
    )  # fmt: skip
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return bytes.fromhex("01005e0000fb") + mac + b"\x08\x00" + header + udp


@dataclass(frozen=True, slots=True)
class ClaimFaults:
    probe_gap: float = 1.5  # §2.2.1: 1-2 s
    announce_gap: float = 2.0  # §2.4: 2 s
    out_of_range: bool = False  # §2.1: choose from 169.254.1.0-169.254.254.255
    ignore_conflicts: bool = False  # §2.2.1, §2.5: a conflict means another address
    rate_limit: bool = True  # §2.2.1: after 10 conflicts one address a minute
    new_address_on_restart: bool = False  # L8: probe the previous address first
    mdns_while_probing: bool = False  # L7: no mDNS before the first announcement


class BrokenClaimer:
    def __init__(self, host: Host, faults: ClaimFaults) -> None:
        self.host = host
        self.faults = faults
        with host.entered():
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
            self.sock.bind(("eth0", 0x0806))
        self.mac: bytes = self.sock.getsockname()[4]
        self.address: IPv4Address | None = None
        self.bound = False
        self.conflicts = 0
        self._generation = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _pick(self) -> IPv4Address:
        if self.faults.out_of_range:
            return IPv4Address(f"169.254.0.{random.randint(1, 254)}")
        return IPv4Address(f"169.254.{random.randint(1, 254)}.{random.randint(1, 254)}")

    def _send(self, spa: IPv4Address, tpa: IPv4Address) -> None:
        self.sock.send(arp_frame(1, self.mac, spa, tpa))

    def _claim(self, address: IPv4Address, delay: float) -> None:
        with self._lock:
            self._generation += 1
            generation = self._generation
            self.address, self.bound = address, False

        def run() -> None:
            time.sleep(delay)
            steps = [(ZERO, self.faults.probe_gap)] * 3
            for k, (spa, gap) in enumerate(steps):
                if generation != self._generation or self._stop.is_set():
                    return
                self._send(spa, address)
                if k < 2:
                    time.sleep(gap)
            if self.faults.mdns_while_probing:
                time.sleep(0.5)  # inside ANNOUNCE_WAIT: probes done, not announced
                if generation != self._generation or self._stop.is_set():
                    return
                self.sock.send(mdns_probe_frame(self.mac, address))
                time.sleep(1.5)
            else:
                time.sleep(2.0)
            for k in range(2):
                if generation != self._generation or self._stop.is_set():
                    return
                self.bound = True
                self._send(address, address)
                if k == 0:
                    time.sleep(self.faults.announce_gap)

        threading.Thread(target=run, daemon=True).start()

    def start(self) -> None:
        self._claim(self._pick(), random.uniform(0, 1))

    def restart(self) -> None:
        previous = self.address
        self.conflicts = 0
        if self.faults.new_address_on_restart or previous is None:
            previous = self._pick()
        self._claim(previous, random.uniform(0, 1))

    def cycle_link(self) -> None:
        self.restart()

    def stop(self) -> None:
        self._stop.set()
        self._generation += 1
        self._thread.join(2)
        self.sock.close()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.sock], [], [], 0.05)
                if not ready:
                    continue
                frame, address = self.sock.recvfrom(2048)
            except (OSError, ValueError):
                return
            if address[2] == 4:  # our own, looped back
                continue
            packet = parse_arp(frame, time.monotonic())
            if packet is None or packet.sha == self.mac or self.address is None:
                continue
            if packet.spa != self.address:
                continue
            # Another host claims our address.
            if self.faults.ignore_conflicts:
                if self.bound:
                    self._send(self.address, self.address)  # defend, every time
                continue
            self.conflicts += 1
            wait = 0.0 if not self.faults.rate_limit or self.conflicts < 10 else 60.0
            self._claim(self._pick(), wait + random.uniform(0, 1))
