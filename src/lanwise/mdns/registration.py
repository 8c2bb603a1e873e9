"""What the responder publishes: the host name and services, and the records they make.

The engine owns record construction so that renaming after a conflict
("Name (2)", "host-2") lives in one place. DNS-SD describes a service with
:class:`ServiceRecords`; the engine turns it into (RFC 6763 §4, §5, §6, §7.1, §9):

- ``<instance>.<type>.<domain>`` SRV (unique, TTL 120 s) and TXT (unique, 4500 s),
- ``<type>.<domain>`` PTR → instance (shared, 4500 s),
- ``<subtype>._sub.<type>.<domain>`` PTR → instance for each subtype (shared),
- ``_services._dns-sd._udp.<domain>`` PTR → ``<type>.<domain>`` (shared).

The host name makes, per interface, an A or AAAA record for each of that
interface's addresses and a reverse-mapping PTR for each (unique, 120 s; §10).

:class:`AddressRecords` describes another host's address records (an alias, as
``avahi-publish -a`` makes): the same A/AAAA and reverse PTRs for the given
addresses on every interface, every one of them probed (§8.1), the reverse names
too, so that two responders never both claim one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface
from typing import TYPE_CHECKING, Final

from lanwise.dns import AAAA, PTR, SRV, TXT, A, Name, Record, RRClass, RRType
from lanwise.errors import UsageError
from lanwise.mdns.constants import HOST_NAME_TTL, OTHER_TTL
from lanwise.mdns.records_state import ANSWERING_STATES, RecordState

if TYPE_CHECKING:
    from lanwise.mdns.records_state import StateEntry

__all__ = [
    "AddressRecords",
    "EngineRegistration",
    "RegistrationKind",
    "ServiceRecords",
    "address_records",
    "check_port",
    "host_records",
    "local_host_name",
    "next_host_label",
    "next_instance_label",
    "service_records",
]

_SERVICES_LABELS: Final = ("_services", "_dns-sd", "_udp")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_SERVICE_LABEL = re.compile(r"^_[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?$")
_RENAMED_INSTANCE = re.compile(r"^(?P<base>.*) \((?P<n>[0-9]+)\)$")
_RENAMED_HOST = re.compile(r"^(?P<base>.*)-(?P<n>[0-9]+)$")


def check_port(port: object, *, placeholder: bool = False) -> int:
    """A service's SRV port: 1..65535; 0 only for a placeholder, a name held for a
    service that is not running (RFC 2782, RFC 6763 §8). The one rule for
    :class:`ServiceRecords` and for DNS-SD's ``Service``."""
    if isinstance(port, bool) or not isinstance(port, int):
        raise UsageError("port", "must be an integer 1..65535", port)
    if port == 0 and placeholder:
        return 0
    if not 1 <= port <= 0xFFFF:
        raise UsageError(
            "port",
            "must be 1..65535 (0 only with placeholder=True, RFC 6763 §8 / RFC 2782)",
            port,
        )
    return port


class RegistrationKind(StrEnum):
    HOST = "host"
    SERVICE = "service"
    ADDRESSES = "addresses"  # another host's address records (AddressRecords)


@dataclass(frozen=True, slots=True)
class ServiceRecords:
    """A service instance for the engine to publish (built by DNS-SD from the user's call).

    ``service_type`` is ``"_name._tcp"`` or ``"_name._udp"``; ``txt`` holds the TXT
    character-strings (empty means one zero-length string, RFC 6763 §6.1);
    ``subtypes`` are subtype labels such as ``"_printer"``; ``host`` is a host
    name to point the SRV at, or None for the engine's own (renamed along with it).
    ``port`` is 1..65535, or 0 with ``placeholder`` (:func:`check_port`).
    """

    instance: str
    service_type: str
    port: int
    txt: tuple[bytes, ...] = (b"",)
    subtypes: tuple[str, ...] = ()
    domain: str = "local"
    host: str | None = None
    priority: int = 0
    weight: int = 0
    placeholder: bool = False

    def __post_init__(self) -> None:
        raw = self.instance.encode("utf-8", "surrogateescape")
        if not raw or len(raw) > 63:
            raise UsageError("instance", "1 to 63 octets of UTF-8 (RFC 6763 §4.1.1)", self.instance)
        parts = self.service_type.split(".")
        if (
            len(parts) != 2
            or not _SERVICE_LABEL.match(parts[0])
            or parts[1] not in ("_tcp", "_udp")
        ):
            raise UsageError(
                "service type", '"_name._tcp" or "_name._udp" (RFC 6763 §7)', self.service_type
            )
        check_port(self.port, placeholder=self.placeholder)
        for field_name, value in (
            ("priority", self.priority),
            ("weight", self.weight),
        ):
            if not 0 <= value <= 0xFFFF:
                raise UsageError(field_name, "an integer from 0 to 65535", value)
        if isinstance(self.txt, bytes | str):
            raise UsageError("txt", "a sequence of byte strings, not one string", self.txt)
        for string in self.txt:
            if not isinstance(string, bytes) or len(string) > 255:
                raise UsageError(
                    "txt", "byte strings of at most 255 octets (RFC 6763 §6.1)", string
                )
        for subtype in self.subtypes:
            raw_sub = subtype.encode("utf-8", "surrogateescape")
            if not raw_sub or len(raw_sub) > 63:
                raise UsageError("subtype", "1 to 63 octets (RFC 6763 §7.1)", subtype)
        if not self.domain.strip("."):
            raise UsageError("domain", "a non-empty domain name", self.domain)
        if self.host is not None:
            local_host_name(self.host)

    def with_instance(self, instance: str) -> ServiceRecords:
        return replace(self, instance=instance)

    @property
    def type_name(self) -> Name:
        """``_type._proto.<domain>``"""
        return _type_name(self.service_type, self.domain)

    @property
    def instance_name(self) -> Name:
        """``<instance>._type._proto.<domain>``"""
        return Name.from_labels((self.instance, *_type_name(self.service_type, self.domain).labels))


@dataclass(frozen=True, slots=True)
class AddressRecords:
    """Address records of another host name (an alias) for the engine to publish.

    ``host`` is its label (``"nas"`` or ``"nas.local"``); ``addresses`` are the
    IPv4/IPv6 addresses its A/AAAA records give, the same on every interface
    (an IPv6 scope is dropped: the record holds the bare address). ``reverse``
    also publishes a reverse-mapping PTR for each address (as ``avahi-publish -a``
    does unless given ``-R``); those whose reverse name another responder answers
    for are left to it and listed in ``dropped``. ``rename``: when another host
    holds the name, take ``nas-2`` (§9) instead of giving the registration up.
    """

    host: str
    addresses: tuple[IPv4Address | IPv6Address, ...]
    reverse: bool = True
    rename: bool = False
    dropped: frozenset[Name] = frozenset()

    def __post_init__(self) -> None:
        local_host_name(self.host)
        if isinstance(self.addresses, str | bytes | IPv4Address | IPv6Address):
            raise UsageError("addresses", "a sequence of IPv4/IPv6 addresses", self.addresses)
        plain: dict[IPv4Address | IPv6Address, None] = {}
        for address in self.addresses:
            if not isinstance(address, IPv4Address | IPv6Address):
                raise UsageError("addresses", "IPv4Address or IPv6Address values", address)
            if address.is_multicast or address.is_unspecified:
                raise UsageError("addresses", "unicast addresses (RFC 6762 §6)", address)
            if isinstance(address, IPv6Address) and address.scope_id is not None:
                plain[IPv6Address(address.packed)] = None
            else:
                plain[address] = None
        if not plain:
            raise UsageError("addresses", "at least one address", self.addresses)
        object.__setattr__(self, "addresses", tuple(plain))
        for field_name, value in (("reverse", self.reverse), ("rename", self.rename)):
            if not isinstance(value, bool):
                raise UsageError(field_name, "True or False", value)

    @property
    def name(self) -> Name:
        """``<host>.local``"""
        return local_host_name(self.host)

    @property
    def reverse_names(self) -> tuple[Name, ...]:
        """The reverse-mapping names published now (none without ``reverse``)."""
        if not self.reverse:
            return ()
        names = (reverse_name(a) for a in self.addresses)
        return tuple(n for n in names if n not in self.dropped)


# Many services share a few types and one domain: their names are built once each
# (Names are immutable, so records may share them).
@lru_cache(maxsize=256)
def _domain_labels(domain: str) -> tuple[str, ...]:
    return Name.from_text(domain).labels


@lru_cache(maxsize=256)
def _type_name(service_type: str, domain: str) -> Name:
    return Name.from_labels((*service_type.split("."), *_domain_labels(domain)))


@lru_cache(maxsize=256)
def _services_name(domain: str) -> Name:
    return Name.from_labels((*_SERVICES_LABELS, *_domain_labels(domain)))


def local_host_name(text: str) -> Name:
    """``"myhost"`` or ``"myhost.local"`` → the ``.local`` host name, checking its label.

    Host names use letters, digits and hyphens (RFC 952/1123) so that every
    address record's name is legal (BCT summary checks).
    """
    labels = Name.from_text(text).labels
    if len(labels) == 1:
        labels = (labels[0], "local")
    if len(labels) != 2 or labels[1].lower() != "local" or not _HOST_LABEL.match(labels[0]):
        raise UsageError(
            "host name",
            "one label of letters, digits and hyphens (optionally followed by .local)",
            text,
        )
    return Name.from_labels(labels)


def next_instance_label(label: str) -> str:
    """§9, RFC 6763 §4.1: "Name" → "Name (2)" → "Name (3)" …, kept within 63 octets."""
    match = _RENAMED_INSTANCE.match(label)
    base, number = (match["base"], int(match["n"]) + 1) if match else (label, 2)
    suffix = f" ({number})"
    return _truncate(base, 63 - len(suffix.encode())) + suffix


def next_host_label(label: str) -> str:
    """§9: "name" → "name-2" → "name-3" …, kept within 63 octets."""
    match = _RENAMED_HOST.match(label)
    base, number = (match["base"], int(match["n"]) + 1) if match else (label, 2)
    suffix = f"-{number}"
    return _truncate(base, 63 - len(suffix)).rstrip("-") + suffix


def _truncate(text: str, limit: int) -> str:
    raw = text.encode("utf-8", "surrogateescape")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", "ignore")


def reverse_name(address: IPv4Interface | IPv6Interface | IPv4Address | IPv6Address) -> Name:
    """§4: ``4.3.2.1.in-addr.arpa`` / nibble ``….ip6.arpa`` for an address."""
    if isinstance(address, IPv4Interface | IPv6Interface):
        address = address.ip
    if isinstance(address, IPv6Address) and address.scope_id is not None:
        address = IPv6Address(address.packed)  # the zone is not part of the name
    return Name.from_text(address.reverse_pointer)


def host_records(
    host: Name, addresses: Iterable[IPv4Interface | IPv6Interface]
) -> tuple[tuple[Record, ...], tuple[Record, ...]]:
    """The host's (address records, reverse PTRs) for one interface's addresses (§10 TTLs).

    Unique records carry the cache-flush bit here; probes clear it (§8.1).
    """
    forward: list[Record] = []
    reverse: list[Record] = []
    seen: set[object] = set()
    for address in addresses:
        if address.ip in seen:
            continue
        seen.add(address.ip)
        if isinstance(address, IPv4Interface):
            forward.append(Record(host, RRType.A, RRClass.IN, HOST_NAME_TTL, A(address.ip), True))
        else:
            forward.append(
                Record(host, RRType.AAAA, RRClass.IN, HOST_NAME_TTL, AAAA(address.ip), True)
            )
        reverse.append(
            Record(reverse_name(address), RRType.PTR, RRClass.IN, HOST_NAME_TTL, PTR(host), True)
        )
    return tuple(forward), tuple(reverse)


def address_records(records: AddressRecords) -> tuple[Record, ...]:
    """Another host's A/AAAA and reverse PTRs (unique, 120 s as host-name records, §10)."""
    host = records.name
    out: list[Record] = []
    for address in records.addresses:
        rdata = A(address) if isinstance(address, IPv4Address) else AAAA(address)
        out.append(Record(host, rdata.rtype, RRClass.IN, HOST_NAME_TTL, rdata, True))
    out.extend(
        Record(name, RRType.PTR, RRClass.IN, HOST_NAME_TTL, PTR(host), True)
        for name in records.reverse_names
    )
    return tuple(out)


def service_records(
    service: ServiceRecords, host: Name
) -> tuple[tuple[Record, ...], tuple[Record, ...]]:
    """The service's (unique SRV+TXT, shared PTRs) records (RFC 6763 §4–§9; §10 TTLs)."""
    instance = service.instance_name
    type_name = service.type_name
    target = local_host_name(service.host) if service.host is not None else host
    unique = (
        Record(
            instance,
            RRType.SRV,
            RRClass.IN,
            HOST_NAME_TTL,
            SRV(service.priority, service.weight, service.port, target),
            True,
        ),
        Record(instance, RRType.TXT, RRClass.IN, OTHER_TTL, TXT(service.txt), True),
    )
    domain = _domain_labels(service.domain)
    shared = [
        Record(type_name, RRType.PTR, RRClass.IN, OTHER_TTL, PTR(instance), False),
        Record(
            _services_name(service.domain),
            RRType.PTR,
            RRClass.IN,
            OTHER_TTL,
            PTR(type_name),
            False,
        ),
    ]
    for subtype in service.subtypes:
        sub_name = Name.from_labels((subtype, "_sub", *service.service_type.split("."), *domain))
        shared.append(Record(sub_name, RRType.PTR, RRClass.IN, OTHER_TTL, PTR(instance), False))
    return unique, tuple(shared)


class EngineRegistration:
    """A handle on something the engine publishes: its host name, one service, or
    another host's address records.

    Read its current :attr:`name` (it changes on a rename) and its
    :meth:`state` per interface. Compared by identity.
    """

    __slots__ = ("_addresses", "_entries", "_name", "_service", "active", "kind")

    def __init__(
        self,
        kind: RegistrationKind,
        name: Name,
        service: ServiceRecords | None = None,
        addresses: AddressRecords | None = None,
    ) -> None:
        self.kind = kind
        self._name = name
        self._service = service
        self._addresses = addresses
        self._entries: dict[int, StateEntry[EngineRegistration]] = {}
        self.active = True

    @property
    def name(self) -> Name:
        """The unique name being probed and defended (host, instance or alias name)."""
        return self._name

    @property
    def service(self) -> ServiceRecords | None:
        """The service as currently published (its instance reflects renames)."""
        return self._service

    @property
    def addresses(self) -> AddressRecords | None:
        """Another host's address records as published now (its host follows renames)."""
        return self._addresses

    def state(self, interface: int) -> RecordState | None:
        """The state on ``interface`` (by index), or None if not published there."""
        entry = self._entries.get(interface)
        return entry.state if entry is not None else None

    @property
    def interfaces(self) -> dict[int, RecordState]:
        """State per interface index."""
        return {index: entry.state for index, entry in self._entries.items()}

    @property
    def established(self) -> bool:
        """True once the name is ours (announcing or announced) on some interface."""
        return any(entry.state in ANSWERING_STATES for entry in self._entries.values())

    def __repr__(self) -> str:
        return f"<EngineRegistration {self.kind} {self._name} {self.interfaces}>"
