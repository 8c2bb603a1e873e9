"""Instance resolution over the mDNS cache, sans-IO: one set of rules for the
browser (per interface, as answers come) and for ``Responder.resolve`` (every
interface, polled until settled).

An instance resolves from its SRV (RFC 6763 §5: host and port; RFC 2782: the
lowest priority wins, among equals the heaviest weight), its TXT (§6) and its
host's A/AAAA records on the same interface (an IPv6 link-local address gets
that interface as its zone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import IPv6Address

from lanwise.dns import AAAA, SRV, TXT, A, Name, Record, RRType
from lanwise.dnssd.model import IPAddress, ServiceInfo
from lanwise.dnssd.names import ServiceType

__all__ = [
    "AddressReader",
    "CacheLookup",
    "InstanceState",
    "best_srv",
    "resolve_instance",
    "resolve_on",
    "scoped_address",
]

CacheLookup = Callable[[Name, int, int], list[Record]]
"""``lookup(name, rtype, interface)``: the records the cache holds now."""

# Bounds the scoped-address memo: a link of any size has far fewer distinct
# link-local addresses; clearing it on overflow only costs re-formatting.
_SCOPED_MEMO_SIZE = 4096


def _address_order(address: IPAddress) -> tuple[int, bytes]:
    return (address.version, address.packed)


def scoped_address(address: IPAddress, scope: str | None) -> IPAddress:
    """Give an IPv6 link-local address its zone (the interface name), as Python spells it."""
    if (
        isinstance(address, IPv6Address)
        and address.is_link_local
        and scope
        and not address.scope_id
    ):
        return IPv6Address(f"{address}%{scope}")
    return address


def best_srv(records: Iterable[Record]) -> SRV | None:
    """The SRV to use of those cached (RFC 2782: lowest priority, then heaviest weight)."""
    if type(records) is list and len(records) == 1:  # the usual case: one SRV, no list built
        rdata = records[0].rdata
        return rdata if isinstance(rdata, SRV) else None
    srvs = [r.rdata for r in records if isinstance(r.rdata, SRV)]
    if not srvs:
        return None
    return srvs[0] if len(srvs) == 1 else min(srvs, key=lambda s: (s.priority, -s.weight))


class AddressReader:
    """A host's addresses on one interface, read from the cache, sorted, IPv4 first.

    ``families`` limits them (4, 6 or both); ``scope(index)`` names an interface
    for IPv6 link-local zones. Reads are memoised until :meth:`forget`: resolving
    N instances of one host then costs one address lookup (call it whenever the
    cache may have changed). Scoped forms of link-local addresses are kept across
    calls, keyed by the AAAA rdata and the zone.
    """

    def __init__(
        self,
        lookup: CacheLookup,
        families: frozenset[int],
        scope: Callable[[int], str | None] = lambda index: None,
    ) -> None:
        self._lookup = lookup
        self.families = families
        self.types = tuple(t for v, t in ((4, RRType.A), (6, RRType.AAAA)) if v in families)
        self._scope = scope
        self._zones: dict[int, str | None] = {}
        self._found: dict[tuple[int, Name], tuple[IPAddress, ...]] = {}
        self._scoped: dict[tuple[AAAA, str | None], IPAddress] = {}

    def forget(self) -> None:
        """The cache (or an interface's name) may have changed: read again."""
        self._zones.clear()
        self._found.clear()

    def addresses(self, interface: int, host: Name) -> tuple[IPAddress, ...]:
        """The addresses of ``host`` cached on ``interface``."""
        memo_key = (interface, host)
        memo = self._found.get(memo_key)
        if memo is not None:
            return memo
        found: list[IPAddress] = []
        if 4 in self.families:
            for record in self._lookup(host, RRType.A, interface):
                rdata = record.rdata
                if isinstance(rdata, A):
                    found.append(rdata.address)
        if 6 in self.families:
            aaaa = [r.rdata for r in self._lookup(host, RRType.AAAA, interface)]
            if aaaa:
                zone = self._zone(interface)
                scoped = self._scoped
                for rdata in aaaa:
                    if isinstance(rdata, AAAA):
                        address = scoped.get((rdata, zone))
                        if address is None:
                            if len(scoped) >= _SCOPED_MEMO_SIZE:
                                scoped.clear()
                            address = scoped[(rdata, zone)] = scoped_address(rdata.address, zone)
                        found.append(address)
        unique = dict.fromkeys(found)
        result = tuple(sorted(unique, key=_address_order)) if len(unique) > 1 else tuple(unique)
        self._found[memo_key] = result
        return result

    def _zone(self, interface: int) -> str | None:
        if interface in self._zones:
            return self._zones[interface]
        zone = self._zones[interface] = self._scope(interface)
        return zone


@dataclass(frozen=True, slots=True)
class InstanceState:
    """What the cache knows of one instance on the interfaces asked about.

    ``info`` is None until an SRV is known on one of them; ``hosts`` maps each
    interface with an SRV to its target (whose addresses resolution needs).
    ``complete``: SRV, TXT and an address on at least one interface; ``settled``:
    complete, and on every interface asked about with every address family.
    """

    info: ServiceInfo | None
    hosts: dict[int, Name] = field(default_factory=dict)
    complete: bool = False
    settled: bool = False


_NOTHING = InstanceState(None)


def resolve_instance(
    instance: Name,
    label: str,
    stype: ServiceType,
    *,
    interfaces: Iterable[int],
    lookup: CacheLookup,
    addresses: AddressReader,
) -> InstanceState:
    """Resolve ``instance`` (``label`` under ``stype``) from the cache on ``interfaces``.

    The first interface (in the order given) with an SRV gives host, port and
    priority; the first with a TXT gives the TXT (b"" until one is known);
    addresses are kept per interface, each from that interface's own SRV target.
    """
    srv: SRV | None = None
    txt: TXT | None = None
    hosts: dict[int, Name] = {}
    found: dict[int, tuple[IPAddress, ...]] = {}
    settled = True
    for index in interfaces:
        here = best_srv(lookup(instance, RRType.SRV, index))
        if here is None:
            settled = False  # it may yet answer on this interface too
            continue
        srv = srv or here
        hosts[index] = here.target
        if txt is None:
            txt = next(
                (r.rdata for r in lookup(instance, RRType.TXT, index) if isinstance(r.rdata, TXT)),
                None,
            )
        at = addresses.addresses(index, here.target)
        if at:
            found[index] = at
        if len({a.version for a in at}) != len(addresses.families):
            settled = False
    if srv is None:
        return _NOTHING
    info = ServiceInfo(
        name=label,
        type=stype,
        host=str(srv.target),
        port=srv.port,
        txt_strings=txt.strings if txt is not None else (b"",),
        addresses=found,
        interfaces=tuple(hosts),
        priority=srv.priority,
        weight=srv.weight,
    )
    complete = txt is not None and bool(found)
    return InstanceState(info, hosts, complete, complete and settled)


def resolve_on(
    instance: Name,
    label: str,
    stype: ServiceType,
    interface: int,
    *,
    lookup: CacheLookup,
    addresses: AddressReader,
) -> tuple[Name | None, ServiceInfo | None]:
    """:func:`resolve_instance` on one interface, for the browser (once per instance and
    packet): the SRV target (None without an SRV) and the info if complete there, else None.

    The same rules, without what only a multi-interface resolve needs (``settled``,
    an incomplete info).
    """
    srv = best_srv(lookup(instance, RRType.SRV, interface))
    if srv is None:
        return None, None
    host = srv.target
    txt = None
    for record in lookup(instance, RRType.TXT, interface):
        if isinstance(record.rdata, TXT):
            txt = record.rdata
            break
    if txt is None:
        return host, None
    at = addresses.addresses(interface, host)
    if not at:
        return host, None
    info = ServiceInfo(
        name=label,
        type=stype,
        host=str(host),
        port=srv.port,
        txt_strings=txt.strings,
        addresses={interface: at},
        interfaces=(interface,),
        priority=srv.priority,
        weight=srv.weight,
    )
    return host, info
