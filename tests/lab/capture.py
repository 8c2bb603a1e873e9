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

import ipaddress
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.lab.netns import Host, Lan

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
    """Seconds since the first packet of the capture (tshark's frame.time_relative)."""
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


def _entries(section: Any) -> Iterator[dict[str, Any]]:
    # With --no-duplicate-keys, records whose summaries coincide become a list.
    if not isinstance(section, dict):
        return
    for value in section.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield item


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


def _record(entry: dict[str, Any]) -> CapturedRecord:
    return CapturedRecord(
        name=str(_first(entry.get("dns.resp.name", ""))),
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
        for q in _entries(mdns.get("Queries"))
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
        answers=tuple(_record(e) for e in _entries(mdns.get("Answers"))),
        authorities=tuple(_record(e) for e in _entries(mdns.get("Authoritative nameservers"))),
        additionals=tuple(_record(e) for e in _entries(mdns.get("Additional records"))),
    )


@dataclass(eq=False)
class Capture:
    """A running (or finished) tshark capture on one interface of a lab host."""

    host: Host
    interface: str
    path: Path
    process: subprocess.Popen[Any]
    log_path: Path

    def stop(self) -> None:
        """Stop tshark; it writes out what it has before it exits."""
        if self.process.poll() is None:
            # Let the kernel hand over datagrams sent just before the stop.
            time.sleep(0.2)
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
    """
    ifname = interface or host.ifname(lan)
    stem = name or f"capture-{host.name}-{ifname}-{time.monotonic_ns()}"
    path = host.lab.workdir / f"{stem}.pcapng"
    log_path = host.lab.workdir / f"{stem}.log"
    with log_path.open("wb") as log:
        process = host.popen(
            "tshark",
            "-q",
            "-i",
            ifname,
            "-f",
            capture_filter,
            "-w",
            str(path),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    capture = Capture(host, ifname, path, process, log_path)
    deadline = time.monotonic() + timeout
    while "Capturing on" not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            capture.stop()
            raise RuntimeError(f"{host.name}: tshark did not start:\n{log_path.read_text()}")
        time.sleep(0.02)
    return capture
