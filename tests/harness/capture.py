"""Packet captures on lab hosts with tshark, read back through tshark's own dissector.

Usage::

    with start_capture(host) as capture:          # tshark -i eth0 -f "udp port 5353"
        ...                                        # traffic
    for packet in capture.packets():               # stops the capture first if needed
        for record in packet.authorities:
            assert not record.cache_flush

Reading the bits with Wireshark's mDNS dissector (not lanwise's codec) keeps
the check independent of the code under test. Each packet also keeps its UDP
``payload`` bytes for tests that want to parse it themselves.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.harness.netns import Host, Lan

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class CapturedQuestion:
    """A question as tshark dissected it."""

    name: str
    qtype: int
    qclass: int
    unicast_response: bool


@dataclass(frozen=True, slots=True)
class CapturedRecord:
    """A resource record as tshark dissected it; ``fields`` holds every dns.* field."""

    name: str
    rtype: int
    rclass: int
    cache_flush: bool
    ttl: int
    fields: dict[str, Any] = field(compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class CapturedPacket:
    """One captured mDNS datagram."""

    time: float
    """Seconds since the capture began (tshark's frame.time_relative)."""
    source: IPAddress
    destination: IPAddress
    source_port: int
    destination_port: int
    hop_limit: int
    """IPv4 TTL or IPv6 hop limit."""
    payload: bytes
    flags: int
    questions: tuple[CapturedQuestion, ...]
    answers: tuple[CapturedRecord, ...]
    authorities: tuple[CapturedRecord, ...]
    additionals: tuple[CapturedRecord, ...]

    @property
    def is_response(self) -> bool:
        return bool(self.flags & 0x8000)

    @property
    def records(self) -> tuple[CapturedRecord, ...]:
        return self.answers + self.authorities + self.additionals


def _entries(section: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(summary line, fields) of each entry of a Queries/Answers/... section."""
    # With --no-duplicate-keys, records whose summaries coincide become a list.
    if not isinstance(section, dict):
        return
    for summary, value in section.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield summary, item


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


def _record(summary: str, entry: dict[str, Any]) -> CapturedRecord:
    # SRV owner names are split into dns.srv.service/proto/name fields; the
    # summary ("NAME: type SRV, class IN, ...") has the whole name.
    name = entry.get("dns.resp.name")
    return CapturedRecord(
        name=str(_first(name)) if name is not None else summary.split(": type ", 1)[0],
        rtype=int(_first(entry.get("dns.resp.type", "0"))),
        rclass=int(str(_first(entry.get("dns.resp.class", "0"))), 0),
        cache_flush=str(_first(entry.get("dns.resp.cache_flush", "0"))) in ("1", "True"),
        ttl=int(_first(entry.get("dns.resp.ttl", "0"))),
        fields=entry,
    )


def _packet(layers: dict[str, Any]) -> CapturedPacket | None:
    mdns = layers.get("mdns")
    udp = layers.get("udp")
    if not isinstance(mdns, dict) or not isinstance(udp, dict):
        return None
    if "ip" in layers:
        ip, hop_limit_key = layers["ip"], "ip.ttl"
        source, destination = ip["ip.src"], ip["ip.dst"]
    else:
        ip, hop_limit_key = layers["ipv6"], "ipv6.hlim"
        source, destination = ip["ipv6.src"], ip["ipv6.dst"]
    payload = bytes.fromhex(str(udp.get("udp.payload", "")).replace(":", ""))
    questions = tuple(
        CapturedQuestion(
            name=str(_first(q.get("dns.qry.name", ""))),
            qtype=int(_first(q.get("dns.qry.type", "0"))),
            qclass=int(str(_first(q.get("dns.qry.class", "0"))), 0),
            unicast_response=str(_first(q.get("dns.qry.qu", "0"))) in ("1", "True"),
        )
        for _summary, q in _entries(mdns.get("Queries"))
    )
    return CapturedPacket(
        time=float(layers["frame"]["frame.time_relative"]),
        source=ipaddress.ip_address(source),
        destination=ipaddress.ip_address(destination),
        source_port=int(udp["udp.srcport"]),
        destination_port=int(udp["udp.dstport"]),
        hop_limit=int(ip[hop_limit_key]),
        payload=payload,
        flags=int(str(mdns.get("dns.flags", "0")), 0),
        questions=questions,
        answers=tuple(_record(*e) for e in _entries(mdns.get("Answers"))),
        authorities=tuple(_record(*e) for e in _entries(mdns.get("Authoritative nameservers"))),
        additionals=tuple(_record(*e) for e in _entries(mdns.get("Additional records"))),
    )


@dataclass(eq=False)
class Capture:
    """A running (or finished) tshark capture on one interface of a lab host."""

    host: Host
    interface: str
    path: Path
    process: subprocess.Popen[Any]
    log_path: Path
    live_path: Path

    def stop(self) -> None:
        """Stop tshark once everything sent so far is in its file.

        A marker sent now and seen in tshark's live output proves that every
        packet before it has been written.
        """
        if self.process.poll() is None:
            with contextlib.suppress(TimeoutError):
                _await_marker(self.host, self.interface, self.live_path, self.process)
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def packets(self) -> list[CapturedPacket]:
        """Stop the capture if still running and return its mDNS packets, in order."""
        self.stop()
        done = self.host.run(
            "tshark",
            "-r",
            str(self.path),
            "-T",
            "json",
            "--no-duplicate-keys",
        )
        packets = (_packet(item["_source"]["layers"]) for item in json.loads(done.stdout or "[]"))
        return [packet for packet in packets if packet is not None]

    def __enter__(self) -> Capture:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


_MARKER_PORT = 9  # discard: the readiness markers go nowhere


def _send_marker(host: Host, ifname: str) -> None:
    with host.entered():
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        with contextlib.suppress(OSError):
            sock.sendto(b"lanwise capture marker", ("224.0.0.1", _MARKER_PORT))


def _marker_lines(live_path: Path) -> int:
    lines = live_path.read_text(errors="replace").splitlines()
    return sum(1 for line in lines if f"→ {_MARKER_PORT} " in line or f"-> {_MARKER_PORT} " in line)


def _await_marker(
    host: Host,
    ifname: str,
    live_path: Path,
    process: subprocess.Popen[Any],
    timeout: float = 10.0,
) -> None:
    """Send markers until tshark shows a new one; TimeoutError if it never does."""
    seen = _marker_lines(live_path)
    deadline = time.monotonic() + timeout
    while _marker_lines(live_path) == seen:
        if process.poll() is not None or time.monotonic() > deadline:
            raise TimeoutError
        _send_marker(host, ifname)
        time.sleep(0.05)


def start_capture(
    host: Host,
    lan: Lan | None = None,
    *,
    interface: str | None = None,
    capture_filter: str = "udp port 5353",
    name: str | None = None,
    timeout: float = 15.0,
) -> Capture:
    """Start ``tshark -i IFACE -f FILTER -w FILE`` on ``host``; return once it captures.

    The interface is ``interface`` if given, else the host's interface on
    ``lan`` (default: its first). The file goes to the lab's directory.

    tshark says "Capturing on" (and even "Capture started") a moment before
    the kernel hands it packets, so readiness is proven instead: the host
    multicasts small UDP markers to port 9 on the interface until tshark
    prints one. Markers are in the file but are no mDNS, so
    :meth:`Capture.packets` never returns them.
    """
    ifname = interface or host.ifname(lan)
    stem = name or f"capture-{host.name}-{ifname}-{time.monotonic_ns()}"
    path = host.lab.workdir / f"{stem}.pcapng"
    log_path = host.lab.workdir / f"{stem}.log"
    live_path = host.lab.workdir / f"{stem}.live"
    with log_path.open("wb") as log, live_path.open("wb") as live:
        process = host.popen(
            "tshark",
            "-l",
            "-P",
            "-n",
            "-i",
            ifname,
            "-f",
            f"({capture_filter}) or (udp dst port {_MARKER_PORT})",
            "-w",
            str(path),
            stdout=live,
            stderr=log,
        )
    capture = Capture(host, ifname, path, process, log_path, live_path)
    try:
        _await_marker(host, ifname, live_path, process, timeout=timeout)
    except TimeoutError:
        capture.stop()
        raise RuntimeError(f"{host.name}: tshark did not start:\n{log_path.read_text()}") from None
    return capture
