"""What DNS-SD callers hand in and get back: services, resolved info, browse events.

Every value here is a frozen dataclass. Addresses are always grouped per
interface (keyed by index); IPv6 link-local addresses carry their scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from typing import TypeAlias

from lanwise.dnssd.names import (
    ServiceType,
    parse_host_name,
    validate_instance_name,
)
from lanwise.dnssd.txt import TxtInput, TXTMapping, decode_txt, encode_txt
from lanwise.errors import UsageError
from lanwise.mdns.registration import check_port

__all__ = [
    "AddressInfo",
    "BrowseEvent",
    "BrowseOverflow",
    "HostInfo",
    "IPAddress",
    "ResolvedBrowseEvent",
    "ResolvedServiceAdded",
    "Service",
    "ServiceAdded",
    "ServiceInfo",
    "ServiceRemoved",
    "ServiceUpdated",
    "instance_text",
]

IPAddress: TypeAlias = IPv4Address | IPv6Address


def _service_type(value: ServiceType | str, field: str = "service type") -> ServiceType:
    return value if isinstance(value, ServiceType) else ServiceType.parse(value, field=field)


@dataclass(frozen=True, slots=True, init=False)
class Service:
    """A service to register: ``Service("Living room", "_ipp._tcp", 631, txt={...})``.

    - ``name``: the instance name, any UTF-8 text up to 63 octets (RFC 6763 §4.1.1).
    - ``type``: ``"_name._tcp"`` or ``"_name._udp"`` (RFC 6763 §7, RFC 6335 §5.1).
    - ``port``: 1..65535. Port 0 is accepted only with ``placeholder=True``: a
      name held for a service that is not running (RFC 2782, RFC 6763 §8).
    - ``txt``: a mapping (``{"path": "/", "tls": None}``) or the raw strings.
    - ``subtypes``: ``"_printer"`` or ``"_printer._sub._http._tcp"`` (RFC 6763 §7.1);
      the label must start with ``_`` (avahi refuses others).
    - ``host``: the SRV target's label (``"box"`` or ``"box.local"``); None means the
      responder's own host name.

    Every rule is checked here; a broken one raises :class:`UsageError`.
    """

    name: str
    type: ServiceType
    port: int
    txt: tuple[bytes, ...]
    subtypes: tuple[str, ...]
    host: str | None
    placeholder: bool

    def __init__(
        self,
        name: str,
        type: ServiceType | str,
        port: int,
        txt: TxtInput = None,
        *,
        subtypes: Iterable[str] = (),
        host: str | None = None,
        placeholder: bool = False,
    ) -> None:
        stype = _service_type(type)
        if isinstance(subtypes, str):
            subtypes = (subtypes,)
        labels: list[str] = []
        for text in subtypes:
            label = stype.parse_subtype(text)
            if not label.startswith("_"):
                # RFC 6763 §7.1 allows any label, but avahi and Android refuse one
                # without '_' and every registered subtype has one: refuse it here.
                raise UsageError(
                    "subtype",
                    "must start with '_', like '_printer' (RFC 6763 §7.1's form; "
                    "avahi refuses others)",
                    text,
                )
            if label.lower() not in (seen.lower() for seen in labels):
                labels.append(label)
        setattr_ = object.__setattr__
        setattr_(self, "name", validate_instance_name(name))
        setattr_(self, "type", stype)
        setattr_(self, "port", check_port(port, placeholder=placeholder))
        setattr_(self, "txt", encode_txt(txt))
        setattr_(self, "subtypes", tuple(labels))
        setattr_(self, "host", None if host is None else parse_host_name(host))
        setattr_(self, "placeholder", placeholder)

    @property
    def txt_mapping(self) -> TXTMapping:
        """The TXT attributes as a receiver reads them (RFC 6763 §6.4)."""
        return decode_txt(self.txt)

    def with_name(self, name: str) -> Service:
        """The same service under another instance name."""
        return self._replace(name=name)

    def with_txt(self, txt: TxtInput) -> Service:
        """The same service with other TXT data."""
        return self._replace(txt=txt)

    def _replace(self, **changes: object) -> Service:
        fields: dict[str, object] = {
            "name": self.name,
            "type": self.type,
            "port": self.port,
            "txt": self.txt,
            "subtypes": self.subtypes,
            "host": self.host,
            "placeholder": self.placeholder,
        }
        fields.update(changes)
        return Service(**fields)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return instance_text(self.name, self.type)


def instance_text(name: str, stype: ServiceType) -> str:
    """``Living room._ipp._tcp.local`` for people (the instance label unescaped)."""
    return f"{name}.{stype}.{stype.domain}"


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """A resolved service instance: where to connect, and its TXT data.

    ``addresses`` maps each interface index where the host answered to its
    addresses there (IPv6 link-local ones carry the interface as scope).
    ``interfaces`` lists every interface the instance was seen on.
    """

    name: str
    type: ServiceType
    host: str  # the SRV target, e.g. "printer.local"
    port: int
    txt_strings: tuple[bytes, ...]
    addresses: Mapping[int, tuple[IPAddress, ...]] = field(default_factory=dict, hash=False)
    interfaces: tuple[int, ...] = ()
    priority: int = 0
    weight: int = 0

    @property
    def txt(self) -> TXTMapping:
        """The TXT attributes (RFC 6763 §6.4: first occurrence of a key wins)."""
        return decode_txt(self.txt_strings)

    @property
    def all_addresses(self) -> list[IPAddress]:
        """Every address on every interface, IPv4 first, without duplicates."""
        seen: dict[IPAddress, None] = {}
        for index in sorted(self.addresses):
            for address in self.addresses[index]:
                seen.setdefault(address, None)
        return sorted(seen, key=lambda a: (a.version, a.packed))

    def __str__(self) -> str:
        return instance_text(self.name, self.type)


@dataclass(frozen=True, slots=True)
class HostInfo:
    """The addresses of a ``.local`` host name, per interface index."""

    name: str
    addresses: Mapping[int, tuple[IPAddress, ...]] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class AddressInfo:
    """The ``.local`` names an address's reverse-mapping PTR gives, per interface index.

    One address may name different hosts on two links (a private address reused),
    so the names stay grouped by the interface they were heard on.
    """

    address: IPAddress
    names: Mapping[int, tuple[str, ...]] = field(default_factory=dict, hash=False)

    @property
    def all_names(self) -> list[str]:
        """Every name heard, on any interface, without duplicates (lowest index first)."""
        seen: dict[str, None] = {}
        for index in sorted(self.names):
            for name in self.names[index]:
                seen.setdefault(name, None)
        return list(seen)


@dataclass(frozen=True, slots=True)
class ServiceAdded:
    """An instance appeared on ``interface`` (a PTR record for it arrived there).

    When the browse resolves, ``info`` holds what is known so far (it may still
    lack addresses; a :class:`ServiceUpdated` follows as they arrive). When
    browsing ``_services._dns-sd._udp`` (RFC 6763 §9), ``name`` is a service type
    such as ``"_http._tcp"``.
    """

    name: str
    type: ServiceType
    interface: int
    info: ServiceInfo | None = None


@dataclass(frozen=True, slots=True)
class ResolvedServiceAdded(ServiceAdded):
    """A :class:`ServiceAdded` from a resolving browse: ``info`` is always there.

    Browses with ``resolve=True`` report these, so typed code reads
    ``event.info.addresses`` with no ``None`` check; ``isinstance(event,
    ServiceAdded)`` still holds.
    """

    info: ServiceInfo


@dataclass(frozen=True, slots=True)
class ServiceUpdated:
    """A resolved instance changed on ``interface``: TXT, host, port or addresses."""

    name: str
    type: ServiceType
    interface: int
    info: ServiceInfo


@dataclass(frozen=True, slots=True)
class ServiceRemoved:
    """Gone from ``interface``: its PTR left, or (when resolving) its SRV, TXT or addresses."""

    name: str
    type: ServiceType
    interface: int


@dataclass(frozen=True, slots=True)
class BrowseOverflow:
    """The browse's view is partial from here on: memory had to be shed.

    Reported once per browse, when the mDNS cache reaches its bound for
    records asked for (``max_wanted_records``) and drops some, or at the start
    of a browse on a responder where that happened already. Services whose
    records were shed are not reported removed (they are not known to be gone),
    so :meth:`Browser.current` may lack some from then on. ``limit`` is the
    bound, ``shed`` how many records the shedding dropped.
    """

    limit: int
    shed: int


# What happened to one service instance (a browse also yields BrowseOverflow).
BrowseEvent: TypeAlias = ServiceAdded | ServiceUpdated | ServiceRemoved
ResolvedBrowseEvent: TypeAlias = ResolvedServiceAdded | ServiceUpdated | ServiceRemoved
