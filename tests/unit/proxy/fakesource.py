"""An in-memory RecordSource and a throwaway TLS certificate for Push tests."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import inf
from pathlib import Path

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from lanwise.proxy.source import ChangeCallback, Unsubscribe
from lanwise.proxy.zones import Zone

DOMAIN = dns.name.from_text("lan-a.example.test.")
SERVICE = dns.name.from_text("_http._tcp.lan-a.example.test.")
PUSH_HOST = "proxy.lan-a.example.test"


@dataclass
class FakeSource:
    """Records by (name, type); :meth:`add` and :meth:`remove` call the subscribers."""

    domain: dns.name.Name = DOMAIN
    records: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = field(default_factory=dict)
    subscribers: list[tuple[dns.name.Name, int, ChangeCallback]] = field(default_factory=list)
    reconfirmed: list[tuple[dns.name.Name, int, dns.rdata.Rdata]] = field(default_factory=list)
    revision: int = 0  # bumps on every change (a ZoneSource, for the Answerer)
    zone: Zone = field(init=False)

    def __post_init__(self) -> None:
        self.zone = Zone(self.domain, 1)

    def zone_of(self, name: dns.name.Name) -> Zone | None:
        return self.zone if self.zone.owns(name) else None

    def cached_until(self, name: dns.name.Name, rdtype: int) -> tuple[list[dns.rrset.RRset], float]:
        if self.zone.is_own(name, rdtype):
            return self.zone.own(name, rdtype), inf
        return self.cached(name, rdtype), inf

    def serves(self, name: dns.name.Name) -> bool:
        return name.is_subdomain(self.domain)

    def cached(self, name: dns.name.Name, rdtype: int) -> list[dns.rrset.RRset]:
        return [
            rrset
            for (n, t), rrset in self.records.items()
            if n == name and (rdtype in (dns.rdatatype.ANY, t))
        ]

    def subscribe(self, name: dns.name.Name, rdtype: int, on_change: ChangeCallback) -> Unsubscribe:
        entry = (name, rdtype, on_change)
        self.subscribers.append(entry)
        return lambda: self.subscribers.remove(entry)

    def reconfirm(self, name: dns.name.Name, rdtype: int, rdata: dns.rdata.Rdata) -> None:
        self.reconfirmed.append((name, rdtype, rdata))

    def _notify(self, rrset: dns.rrset.RRset, added: bool) -> None:
        for name, rdtype, callback in list(self.subscribers):
            if name == rrset.name and rdtype in (rrset.rdtype, dns.rdatatype.ANY):
                callback([rrset] if added else [], [] if added else [rrset])

    def add(
        self, name: str | dns.name.Name, ttl: int, rdtype: str, *rdatas: str
    ) -> dns.rrset.RRset:
        owner = dns.name.from_text(name) if isinstance(name, str) else name
        rrset = dns.rrset.from_text(owner, ttl, "IN", rdtype, *rdatas)
        held = self.records.setdefault(
            (owner, rrset.rdtype), dns.rrset.RRset(owner, dns.rdataclass.IN, rrset.rdtype)
        )
        held.update(rrset)  # type: ignore[no-untyped-call]
        held.ttl = ttl
        self.revision += 1
        self._notify(rrset, True)
        return rrset

    def remove(self, name: str | dns.name.Name, rdtype: str, *rdatas: str) -> None:
        owner = dns.name.from_text(name) if isinstance(name, str) else name
        rrset = dns.rrset.from_text(owner, 0, "IN", rdtype, *rdatas)
        held = self.records[(owner, rrset.rdtype)]
        for rdata in rrset:
            held.discard(rdata)  # type: ignore[no-untyped-call]
        if not held:
            del self.records[(owner, rrset.rdtype)]
        self.revision += 1
        self._notify(rrset, False)

    def subscribed(self) -> Sequence[tuple[dns.name.Name, int]]:
        return [(n, t) for n, t, _cb in self.subscribers]


def make_certificate(directory: Path, host: str = PUSH_HOST) -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` (and 127.0.0.1) and its key, made by openssl."""
    cert, key = directory / "push.pem", directory / "push.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", f"/CN={host}",
            "-addext", f"subjectAltName=DNS:{host},IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
