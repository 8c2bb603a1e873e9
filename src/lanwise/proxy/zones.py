"""The zone a Discovery Proxy serves for one link, and its administrative records (RFC 8766 §6).

These records are the proxy's own, answered at once and never asked on the
link:

- at the apex: SOA (§6.1: serial 0, refresh 7200, retry 3600, expire 86400,
  minimum 10) and NS (§6.2) naming the proxy's host, with that host's
  routable addresses on the link as A/AAAA (the glue the parent zone copies);
- ``b``, ``db`` and ``lb._dns-sd._udp.<domain>`` PTR ``<domain>`` (RFC 6763
  §11), so a client told to browse the domain finds it as a browsing domain;
- the same three under the reverse-mapping name of each subnet of the link
  (``b._dns-sd._udp.0.1.0.10.in-addr.arpa`` for 10.0.1.0/24), the
  address-derived names RFC 6763 §11 clients ask (§6.5);
- records other parts add (the DNS Push SRV, RFC 8765 §6.1) through
  :meth:`Zone.add`.

Reverse mapping (§5.4): the reverse zone of each subnet of the link
(``1.0.10.in-addr.arpa`` for 10.0.1.0/24: whole octets, or nibbles for IPv6,
of the prefix) is served too, with its own SOA and NS; a question under it is
asked on the link by the same name (mDNS responders answer for their own
addresses, RFC 6762 §4) and the host names in the answers come back under the
domain. These are answered when such questions reach the proxy: the reverse zone
delegated to it, or the resolver told to forward it.

Below an apex, SOA, NS and DS questions, the DNS Update and LLQ service
names, the registration-domain names (``r``, ``dr._dns-sd._udp``), and A/AAAA
at names whose first label starts with ``_`` (never a host name; what a
resolver minimising QNAMEs asks, RFC 9156) have an immediate negative answer
(§6.3, §6.4): nothing on the link can answer them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface
from typing import Final

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.NS
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.SOA
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.reversename
import dns.rrset

from lanwise.proxy.names import LinkNames
from lanwise.proxy.records import MAX_UNICAST_TTL

__all__ = ["ADMIN_TTL", "NEGATIVE_TTL", "Zone", "enumeration_names"]

ADMIN_TTL: Final = 3600
"""TTL of the proxy's own records: they change only when it is reconfigured."""

NEGATIVE_TTL: Final = MAX_UNICAST_TTL
"""§6.1: the SOA MINIMUM (and the TTL of the SOA in a negative answer, RFC 2308
§3) is 10 s, so a name that appears on the link is seen soon."""

_IN: Final = dns.rdataclass.IN
_T = dns.rdatatype

# RFC 6763 §11: browse (b), default browse (db) and legacy browse (lb) domains.
_ENUMERATION_LABELS: Final = (b"b", b"db", b"lb")
_DNS_SD_UDP: Final = (b"_dns-sd", b"_udp")

# RFC 6763 §11 registration domains (r, dr): the proxy takes no registrations.
_NO_REGISTRATION: Final = (b"r", b"dr")

# §6.4: services a proxy does not offer on its zone. Answered at once with no
# data rather than asked on the link, where nothing could answer them.
_NOT_OFFERED: Final = (
    (b"_dns-update", b"_udp"),
    (b"_dns-update", b"_tcp"),
    (b"_dns-update-tls", b"_tcp"),
    (b"_dns-llq", b"_udp"),
    (b"_dns-llq", b"_tcp"),
    (b"_dns-llq-tls", b"_tcp"),
    # RFC 8765 §6.1: the proxy's own record, SRV when DNS Push is served (added with
    # Zone.add), else no data at once: never asked on the link, where a browser's
    # look for it would otherwise wait the whole §5.6 window.
    (b"_dns-push-tls", b"_tcp"),
)


def enumeration_names(parent: dns.name.Name) -> list[dns.name.Name]:
    """``b``, ``db`` and ``lb._dns-sd._udp.<parent>``."""
    return [dns.name.Name((label, *_DNS_SD_UDP, *parent.labels)) for label in _ENUMERATION_LABELS]


def _ns(target: dns.name.Name) -> dns.rdata.Rdata:
    return dns.rdtypes.ANY.NS.NS(_IN, _T.NS, target)  # type: ignore[no-untyped-call]


def _reverse_subnet(interface: IPv4Interface | IPv6Interface) -> dns.name.Name:
    """RFC 6763 §11: the network address (host bits zero), reversed, in in-addr.arpa
    or ip6.arpa."""
    return dns.reversename.from_address(str(interface.network.network_address))


def reverse_zone(interface: IPv4Interface | IPv6Interface) -> dns.name.Name | None:
    """The reverse zone of a subnet: its prefix's whole octets (IPv4) or nibbles (IPv6).

    None for a prefix too short to be a link's (under /8, or /16 for IPv6).
    """
    full = _reverse_subnet(interface)
    prefix = interface.network.prefixlen
    if interface.version == 4:
        kept, minimum, total = prefix // 8, 1, 4
    else:
        kept, minimum, total = prefix // 4, 4, 32
    if kept < minimum:
        return None
    labels = full.labels
    return dns.name.Name(labels[total - kept :])


@dataclass
class Zone:
    """The zone of one link: ``domain`` served from the link with index ``interface``.

    ``ns_name`` is the proxy's host name in NS and SOA MNAME (default: the
    apex itself, which keeps it out of the link's namespace: §6.2 lets an NS
    target fall inside the zone only at its apex). ``addresses`` are the
    proxy's routable addresses on the link, served as that host's A/AAAA.
    ``subnets`` are the link's subnets (an address with its prefix), for the
    reverse zones and enumeration names. ``rname`` is the SOA mailbox (default
    ``hostmaster.<domain>``).
    """

    domain: dns.name.Name
    interface: int
    addresses: Sequence[IPv4Address | IPv6Address] = ()
    subnets: Sequence[IPv4Interface | IPv6Interface] = ()
    ns_name: dns.name.Name | None = None
    rname: dns.name.Name | None = None
    _records: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = field(
        default_factory=dict, init=False, repr=False
    )
    _negative: set[dns.name.Name] = field(default_factory=set, init=False, repr=False)
    _enumeration: set[dns.name.Name] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        self.names = LinkNames(self.domain)
        self.version = 0  # moves when :meth:`add` changes the records
        if self.ns_name is None:
            self.ns_name = self.domain
        if self.rname is None:
            self.rname = dns.name.Name((b"hostmaster", *self.domain.labels))
        self._build()

    # -- the records -------------------------------------------------------------------
    def _build(self) -> None:
        domain = self.domain
        assert self.ns_name is not None and self.rname is not None
        soa = dns.rdtypes.ANY.SOA.SOA(  # type: ignore[no-untyped-call]
            _IN, _T.SOA, self.ns_name, self.rname, 0, 7200, 3600, 86400, NEGATIVE_TTL
        )
        reverse = [zone for zone in map(reverse_zone, self.subnets) if zone is not None]
        self.reverse_zones = list(dict.fromkeys(reverse))
        self.apexes = [domain, *self.reverse_zones]
        self._negative_soas: dict[dns.name.Name, dns.rrset.RRset] = {}
        for apex in self.apexes:
            self._put(apex, ADMIN_TTL, [soa])
            negative = dns.rrset.RRset(apex, _IN, _T.SOA)
            negative.add(soa, NEGATIVE_TTL)
            self._negative_soas[apex] = negative
            self._put(apex, ADMIN_TTL, [_ns(self.ns_name)])
        if self.ns_name.is_subdomain(domain):
            # Our host's addresses, served only when the name is ours to serve.
            v4: list[dns.rdata.Rdata] = []
            v6: list[dns.rdata.Rdata] = []
            for address in self.addresses:
                if isinstance(address, IPv4Address):
                    v4.append(dns.rdtypes.IN.A.A(_IN, _T.A, str(address)))  # type: ignore[no-untyped-call]
                else:
                    v6.append(dns.rdtypes.IN.AAAA.AAAA(_IN, _T.AAAA, str(address)))  # type: ignore[no-untyped-call]
            self._put(self.ns_name, ADMIN_TTL, v4)
            self._put(self.ns_name, ADMIN_TTL, v6)
            if self.ns_name != domain:
                self._negative.add(self.ns_name)
        pointer = dns.rdtypes.ANY.PTR.PTR(_IN, _T.PTR, domain)  # type: ignore[no-untyped-call]
        parents = [domain, *(_reverse_subnet(s) for s in self.subnets)]
        for parent in parents:
            for name in enumeration_names(parent):
                self._put(name, ADMIN_TTL, [pointer])
                self._enumeration.add(name)
        for service in _NOT_OFFERED:
            self._negative.add(dns.name.Name((*service, *domain.labels)))
        for label in _NO_REGISTRATION:
            self._negative.add(dns.name.Name((label, *_DNS_SD_UDP, *domain.labels)))

    def _put(self, name: dns.name.Name, ttl: int, rdatas: Iterable[dns.rdata.Rdata]) -> None:
        items = list(rdatas)
        if not items:
            return
        rrset = dns.rrset.RRset(name, _IN, items[0].rdtype)
        for rdata in items:
            rrset.add(rdata, ttl)
        self._records[(name, items[0].rdtype)] = rrset

    def add(self, rrset: dns.rrset.RRset) -> None:
        """Serve ``rrset`` as one of the proxy's own records (e.g. the DNS Push SRV).

        Its owner must be in this zone; the name is then answered from these
        records only, never asked on the link.
        """
        if not rrset.name.is_subdomain(self.domain):
            raise ValueError(f"{rrset.name} is outside {self.domain}")
        self._records[(rrset.name, rrset.rdtype)] = rrset
        self.version += 1
        if rrset.name != self.domain:
            self._negative.add(rrset.name)

    # -- questions ---------------------------------------------------------------------
    def owns(self, name: dns.name.Name) -> bool:
        """True for a name at or under the domain or one of the reverse zones."""
        return name.is_subdomain(self.domain) or any(
            name.is_subdomain(zone) for zone in self.reverse_zones
        )

    def apex_of(self, name: dns.name.Name) -> dns.name.Name:
        """The apex of the zone ``name`` is in (the domain or a reverse zone)."""
        for apex in self.reverse_zones:
            if name.is_subdomain(apex):
                return apex
        return self.domain

    def local_name(self, name: dns.name.Name) -> dns.name.Name | None:
        """What to ask on the link for ``name``: ``<x>.local`` for ``<x>.<domain>``
        (§5.1), the name itself under a reverse zone (§5.4); None at an apex."""
        if name.is_subdomain(self.domain):
            return self.names.to_local(name)
        if name in self.apexes:
            return None
        return name

    @property
    def soa(self) -> dns.rrset.RRset:
        return self._records[(self.domain, _T.SOA)]

    @property
    def negative_soa(self) -> dns.rrset.RRset:
        """The domain's SOA for a negative answer: TTL its MINIMUM (RFC 2308 §3, §6.1)."""
        return self._negative_soas[self.domain]

    def negative_soa_for(self, name: dns.name.Name) -> dns.rrset.RRset:
        """The SOA of the zone holding ``name``, for a negative answer about it."""
        return self._negative_soas[self.apex_of(name)]

    @property
    def ns(self) -> dns.rrset.RRset:
        return self._records[(self.domain, _T.NS)]

    def is_own(self, name: dns.name.Name, rdtype: int) -> bool:
        """True when (name, type) is answered from the proxy's own records alone (§6)."""
        if name in self.apexes or name in self._negative or name in self._enumeration:
            return True
        # §6.3: no zone cut below the apex; SOA, NS and DS there have no answer.
        if rdtype in (_T.SOA, _T.NS, _T.DS):
            return True
        # A host name is letters, digits and hyphens (RFC 952, RFC 1123 §2.1): a name
        # starting with "_" (a service type, _tcp) has no address. Resolvers doing
        # QNAME minimisation ask exactly that (RFC 9156 §3: A for _tcp.<domain>),
        # and must not wait for the link at each label.
        return rdtype in (_T.A, _T.AAAA) and name.labels[0][:1] == b"_"

    def own(self, name: dns.name.Name, rdtype: int) -> list[dns.rrset.RRset]:
        """The proxy's own record sets for (name, type); type ANY: every type of the name."""
        if rdtype == _T.ANY:
            return [r for (n, _), r in self._records.items() if n == name]
        rrset = self._records.get((name, rdtype))
        return [rrset] if rrset is not None else []
