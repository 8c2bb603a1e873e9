"""mDNS cache records as unicast DNS record sets (RFC 8766 §5.5).

Each record learned on a link becomes a dnspython rdata with its names
rewritten into the link's domain (owner, and the names inside PTR, SRV and
CNAME rdata), its TTL capped (§5.5.1) and, for addresses that cannot be
reached from off the link, left out (§5.5.2). Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Final

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from lanwise.dns import Record as MdnsRecord
from lanwise.dns import RRType
from lanwise.dns.rdata import AAAA, A
from lanwise.proxy.names import LinkNames, from_lanwise

__all__ = ["MAX_UNICAST_TTL", "reachable", "translate", "unicast_rdata"]

MAX_UNICAST_TTL: Final = 10
"""§5.5.1: records answered to ordinary unicast queries carry TTLs of at most ten
seconds, so that a change on the link is seen soon by clients polling."""

# §5.5.2: addresses that cannot be used from off the link. The RFC names IPv4
# link-local (169.254/16) and IPv6 link-local (fe80::/10); loopback, unspecified
# and multicast addresses are no more usable by a remote client, so they go too.
_UNREACHABLE_V4: Final = (
    IPv4Network("169.254.0.0/16"),
    IPv4Network("127.0.0.0/8"),
    IPv4Network("0.0.0.0/8"),
    IPv4Network("224.0.0.0/4"),
)
_UNREACHABLE_V6: Final = (
    IPv6Network("fe80::/10"),
    IPv6Network("::1/128"),
    IPv6Network("::/128"),
    IPv6Network("ff00::/8"),
)

# Types served from the link. NSEC is left out: an mDNS NSEC says what one
# responder has, not what the unicast zone holds (§5.5.3); OPT is not a record.
_DROPPED_TYPES: Final = frozenset({RRType.NSEC, RRType.OPT})
_NAME_TYPES: Final = frozenset({RRType.PTR, RRType.CNAME, RRType.SRV})


def reachable(address: IPv4Address | IPv6Address) -> bool:
    """False for an address a client off the link cannot use (§5.5.2)."""
    if isinstance(address, IPv4Address):
        return not any(address in net for net in _UNREACHABLE_V4)
    if address.ipv4_mapped is not None:
        return reachable(address.ipv4_mapped)
    return not any(address in net for net in _UNREACHABLE_V6)


_MEMO_MAX: Final = 4096


def unicast_rdata(record: MdnsRecord, names: LinkNames) -> dns.rdata.Rdata | None:
    """The rdata of ``record`` in unicast DNS, names rewritten; None to leave it out.

    Remembered per link (rdata is immutable on both sides): a link repeats the
    same records, and each is translated once, not on every answer.
    """
    memo = names.memo
    key = record.rdata
    if key in memo:
        return memo[key]
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo[key] = found = _unicast_rdata(record, names)
    return found


def _unicast_rdata(record: MdnsRecord, names: LinkNames) -> dns.rdata.Rdata | None:
    rtype = record.rtype
    if rtype in _DROPPED_TYPES:
        return None
    rdata = record.rdata
    if isinstance(rdata, A | AAAA) and not reachable(rdata.address):
        return None
    wire = rdata.to_wire()
    try:
        parsed = dns.rdata.from_wire(
            dns.rdataclass.IN, dns.rdatatype.RdataType.make(rtype), wire, 0, len(wire)
        )
    except dns.exception.DNSException:
        return None  # rdata dnspython cannot read: not servable
    if rtype in _NAME_TYPES:
        target = names.from_local(parsed.target)  # type: ignore[attr-defined]
        if target is None:
            return None
        parsed = parsed.replace(target=target)
    return parsed


def translate(
    records: Iterable[tuple[MdnsRecord, float]],
    names: LinkNames,
    *,
    max_ttl: int = MAX_UNICAST_TTL,
) -> list[dns.rrset.RRset]:
    """Record sets, one per (owner, type), from (record, seconds left) pairs.

    Owners are rewritten from ``.local`` into the domain; a record whose owner
    or rdata cannot be served is left out. TTLs are what is left of each
    record's, at most ``max_ttl`` (§5.5.1) and at least 1 (a record still in the
    cache has not expired; TTL 0 would tell a resolver not to keep it at all).
    A set takes the lowest TTL of its records (RFC 2181 §5.2).
    """
    sets: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = {}
    for record, remaining in records:
        rdata = unicast_rdata(record, names)
        if rdata is None:
            continue
        owner = names.from_local(from_lanwise(record.name))
        if owner is None:
            continue
        ttl = max(1, min(max_ttl, int(remaining)))
        key = (owner, record.rtype)
        rrset = sets.get(key)
        if rrset is None:
            rrset = sets[key] = dns.rrset.RRset(
                owner, dns.rdataclass.IN, dns.rdatatype.RdataType.make(record.rtype)
            )
        rrset.add(rdata, ttl)
    return list(sets.values())
