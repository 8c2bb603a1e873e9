"""Domain enumeration (RFC 6763 §11): which domains a network suggests for browsing
and registering.

The questions are PTR queries for ``b`` (browse), ``db`` (default browse), ``r``
(register), ``dr`` (default register) and ``lb`` (legacy browse: browse
automatically) under ``_dns-sd._udp.`` of each base name: every search domain
the host is configured with (resolv.conf ``search``/``domain`` lines), and the
reverse-mapping name of each subnet the host is on (§11: the address with its
host bits zeroed, e.g. ``lb._dns-sd._udp.0.1.99.10.in-addr.arpa.``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network
from pathlib import Path

import dns.name
import dns.rdatatype

from lanwise.interfaces import list_interfaces
from lanwise.interfaces.model import Interface
from lanwise.net.resolvers import RESOLV_CONF
from lanwise.widearea.addresses import is_publishable
from lanwise.widearea.client import DnsClient, ServerAddress
from lanwise.widearea.errors import DnsServerError
from lanwise.widearea.servers import ServersInput, pick_servers

__all__ = [
    "DOMAIN_KINDS",
    "DomainEntry",
    "enumerate_domains",
    "host_subnets",
    "parse_search_domains",
    "reverse_base",
]

# RFC 6763 §11: the five enumeration labels, and what each means.
DOMAIN_KINDS: dict[str, str] = {
    "b": "browse",
    "db": "default browse",
    "r": "register",
    "dr": "default register",
    "lb": "legacy browse",
}


@dataclass(frozen=True, slots=True)
class DomainEntry:
    """One domain found: its kind (``"b"``, ``"db"``, ``"r"``, ``"dr"``, ``"lb"``),
    the domain, and where it came from (the base name asked and why it was asked)."""

    kind: str
    domain: str
    base: str
    source: str

    def to_json(self) -> dict[str, str]:
        """A JSON-ready dict."""
        return {
            "kind": self.kind,
            "meaning": DOMAIN_KINDS[self.kind],
            "domain": self.domain,
            "base": self.base,
            "source": self.source,
        }


def parse_search_domains(text: str) -> list[str]:
    """The ``search`` and ``domain`` names of a resolv.conf text, in order, no repeats."""
    found: list[str] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(words) >= 2 and words[0] in ("search", "domain"):
            for word in words[1:]:
                domain = word.strip(".").lower()
                if domain and domain not in found:
                    found.append(domain)
    return found


def host_subnets(interfaces: Iterable[Interface] | None = None) -> list[IPv4Network | IPv6Network]:
    """The subnets of the host's publishable addresses (no link-local, no loopback)."""
    found: list[IPv4Network | IPv6Network] = []
    for iface in list_interfaces() if interfaces is None else interfaces:
        for entry in iface.addresses:
            address = entry.address
            if isinstance(address, IPv6Address) and address.scope_id:
                continue
            if not is_publishable(address):
                continue
            network = ip_network(f"{address}/{entry.prefixlen}", strict=False)
            if network not in found:
                found.append(network)
    return found


def reverse_base(network: IPv4Network | IPv6Network) -> str:
    """§11: the reverse-mapping name of the subnet's address with host bits zeroed."""
    address: IPv4Address | IPv6Address = network.network_address
    return address.reverse_pointer


async def enumerate_domains(
    *,
    servers: ServersInput = None,
    resolv_conf: Path | str = RESOLV_CONF,
    search_domains: Sequence[str] | None = None,
    subnets: Sequence[IPv4Network | IPv6Network] | None = None,
    kinds: Sequence[str] = tuple(DOMAIN_KINDS),
    timeout: float = 2.0,
) -> list[DomainEntry]:
    """Every domain the network suggests, asking each base name for each kind.

    ``search_domains`` defaults to resolv.conf's; ``subnets`` to the host's.
    Servers that do not answer are skipped; the result may be empty.
    """
    if search_domains is None:
        try:
            text = Path(resolv_conf).read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        search_domains = parse_search_domains(text)
        source_file = str(resolv_conf)
    else:
        source_file = "given"
    if subnets is None:
        subnets = host_subnets()
    bases: list[tuple[str, str]] = [
        (domain, f"search domain ({source_file})") for domain in search_domains
    ]
    bases += [(reverse_base(net), f"reverse zone of {net}") for net in subnets]
    chosen = await pick_servers(servers, resolv_conf)
    if not chosen:
        return []
    client = DnsClient(timeout=timeout)
    jobs = [_ask(client, chosen, kind, base, source) for base, source in bases for kind in kinds]
    found: list[DomainEntry] = []
    for entries in await asyncio.gather(*jobs):
        for entry in entries:
            if entry not in found:
                found.append(entry)
    return found


async def _ask(
    client: DnsClient, servers: Sequence[ServerAddress], kind: str, base: str, source: str
) -> list[DomainEntry]:
    name = dns.name.from_text(f"{kind}._dns-sd._udp.{base}")
    try:
        reply, _server = await client.query(name, dns.rdatatype.PTR, servers, zone=base)
    except DnsServerError:
        return []
    entries: list[DomainEntry] = []
    for rrset in reply.answer:
        if rrset.name == name and rrset.rdtype == dns.rdatatype.PTR:
            for rdata in rrset:
                domain = rdata.target.to_text(omit_final_dot=True)
                entries.append(DomainEntry(kind, domain, base, source))
    return entries
