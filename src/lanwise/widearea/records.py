"""The records of one wide-area registration and the UPDATE messages that carry them.

Pure functions over dnspython types. One service is one UPDATE (RFC 2136 §2):
PTR for the type and each subtype (RFC 6763 §4.1, §7.1), SRV and TXT for the
instance (RFC 6763 §5, §6), and A/AAAA for the host in the same domain. The
instance name is guarded by a "name is not in use" prerequisite (RFC 2136
§2.4.5), so a clash comes back as YXDOMAIN instead of overwriting someone
else's service. Withdrawal deletes exactly those records, one RR at a time
(RFC 2136 §2.5.4), never a whole RRset another registrant may share.
"""

from __future__ import annotations

import functools
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address

import dns.edns
import dns.name
import dns.opcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.OPT
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.TSIG
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rdtypes.IN.SRV
import dns.tsig
import dns.update

from lanwise.dnssd.model import Service
from lanwise.widearea.lease import LEASE_OPTION_CODE, decode_lease_option, encode_lease_option

__all__ = [
    "DEFAULT_TTL",
    "Record",
    "RenderedUpdate",
    "ServiceRecords",
    "granted_lease",
    "host_records",
    "instance_name",
    "registration_update",
    "service_records",
    "type_name",
    "withdrawal_update",
]

DEFAULT_TTL = 120  # RFC 6763 §11 leaves it to the registrant; short, as records move

IN = dns.rdataclass.IN


def _name_wire(name: dns.name.Name) -> bytes:
    # Without a file, dnspython returns the bytes of the (absolute) name uncompressed.
    return name.to_wire() or b""


@dataclass(frozen=True, slots=True)
class Record:
    """One resource record to add or delete."""

    name: dns.name.Name
    ttl: int
    rdata: dns.rdata.Rdata
    # Owner and RDATA in wire form, rendered once: a record is sent again on every
    # refresh and withdrawal, and the host's records go in every registration.
    owner_wire: bytes = field(init=False, repr=False, compare=False)
    rdata_wire: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "owner_wire", _name_wire(self.name))
        object.__setattr__(self, "rdata_wire", self.rdata.to_wire() or b"")


@dataclass(frozen=True, slots=True)
class ServiceRecords:
    """Everything one registration puts in the zone: service records, then host records."""

    instance: dns.name.Name
    service: tuple[Record, ...]
    host: tuple[Record, ...]

    @property
    def all(self) -> tuple[Record, ...]:
        """Service records then host records."""
        return self.service + self.host


def _ptr(target: dns.name.Name) -> dns.rdata.Rdata:
    # Typed constructors, not text parsing: a batch of 1000 registrations spends
    # most of its client time building rdata otherwise.
    return dns.rdtypes.ANY.PTR.PTR(IN, dns.rdatatype.PTR, target)  # type: ignore[no-untyped-call]


def _srv(port: int, target: dns.name.Name) -> dns.rdata.Rdata:
    return dns.rdtypes.IN.SRV.SRV(IN, dns.rdatatype.SRV, 0, 0, port, target)  # type: ignore[no-untyped-call]


def _address(address: IPv4Address | IPv6Address) -> dns.rdata.Rdata:
    if isinstance(address, IPv4Address):
        return dns.rdtypes.IN.A.A(IN, dns.rdatatype.A, str(address))  # type: ignore[no-untyped-call]
    return dns.rdtypes.IN.AAAA.AAAA(IN, dns.rdatatype.AAAA, str(address))  # type: ignore[no-untyped-call]


@functools.lru_cache(maxsize=256)
def type_name(service_type: str, domain: dns.name.Name) -> dns.name.Name:
    """``_http._tcp.example.test.`` for ``"_http._tcp"`` in ``example.test.``."""
    return dns.name.from_text(service_type, origin=domain)


def instance_name(instance: str, service_type: str, domain: dns.name.Name) -> dns.name.Name:
    """The instance's owner name; the instance label is taken as raw UTF-8 (RFC 6763 §4.3)."""
    return dns.name.Name((instance.encode("utf-8"),)).concatenate(type_name(service_type, domain))


def _txt_strings(txt: Sequence[bytes]) -> tuple[bytes, ...]:
    # RFC 6763 §6.1: a TXT record with no data is one empty string.
    return tuple(txt) if txt else (b"",)


def service_records(
    service: Service,
    domain: dns.name.Name,
    host: dns.name.Name,
    addresses: Iterable[IPv4Address | IPv6Address],
    *,
    ttl: int = DEFAULT_TTL,
) -> ServiceRecords:
    """The records registering ``service`` in ``domain`` with SRV target ``host``."""
    stype = f"{service.type.service}.{service.type.protocol}"
    owner = instance_name(service.name, stype, domain)
    base = type_name(stype, domain)
    records = [Record(base, ttl, _ptr(owner))]
    for sub in service.subtypes:
        sub_owner = dns.name.Name((sub.encode("utf-8"), b"_sub")).concatenate(base)
        records.append(Record(sub_owner, ttl, _ptr(owner)))
    records.append(Record(owner, ttl, _srv(service.port, host)))
    records.append(
        Record(
            owner, ttl, dns.rdtypes.ANY.TXT.TXT(IN, dns.rdatatype.TXT, _txt_strings(service.txt))
        )
    )
    return ServiceRecords(owner, tuple(records), host_records(host, addresses, ttl=ttl))


def host_records(
    host: dns.name.Name, addresses: Iterable[IPv4Address | IPv6Address], *, ttl: int = DEFAULT_TTL
) -> tuple[Record, ...]:
    """A and AAAA records for ``host`` (the caller has already dropped non-routable ones)."""
    records: list[Record] = []
    for address in sorted(set(addresses), key=lambda a: (a.version, a.packed)):
        records.append(Record(host, ttl, _address(address)))
    return tuple(records)


_HEADER = struct.Struct("!HHHHHH")
_RR_HEADER = struct.Struct("!HHIH")  # type, class, TTL, RDLENGTH
_UPDATE_FLAGS = dns.opcode.to_flags(dns.opcode.UPDATE)
_EDNS_PAYLOAD = 1232


class RenderedUpdate(dns.update.UpdateMessage):
    """An UPDATE kept as records and rendered straight to wire, TSIG-signed.

    ``dns.update.UpdateMessage.add`` puts every record in an RRset, which hashes
    each rdata (rendering it canonically) and renders it again into the
    message: for a batch of registrations that dominated the client's time.
    This message keeps the records and writes each one once with dnspython's
    own name and rdata codecs (names compressed as usual), signs with
    ``dns.tsig.sign`` and keeps the MAC for checking the reply (RFC 8945 §5.3).
    Parsing its wire gives the same UPDATE an ``UpdateMessage`` would send.
    """

    def __init__(
        self,
        zone: dns.name.Name,
        *,
        key: dns.tsig.Key | None = None,
        absent: dns.name.Name | None = None,
        delete: Sequence[Record] = (),
        add: Sequence[Record] = (),
        lease: int | None = None,
    ) -> None:
        super().__init__(zone)
        self.zone_name = zone
        self.absent_name = absent
        self.deletes = tuple(delete)
        self.adds = tuple(add)
        self.lease = lease
        self.key = key
        self.keyring = key
        self._mac: bytes | None = None

    @property
    def mac(self) -> bytes | None:
        """The MAC of the last rendering (None before it or without a key)."""
        return self._mac

    def to_wire(  # type: ignore[override]
        self,
        origin: dns.name.Name | None = None,
        max_size: int = 0,
        *,
        prepend_length: bool = False,
        **kw: object,
    ) -> bytes:
        """The message in wire format, signed when a key was given (``prepend_length``:
        with the 2-octet length of TCP, as dnspython's).

        Names are not compressed (RFC 1035 §4.1.4 makes it optional): the
        records' wire forms are rendered once and reused as they are.
        """
        # The zone section: the zone's name, type SOA, class IN (RFC 2136 §2.3).
        parts = [b"", _name_wire(self.zone_name), b"\x00\x06\x00\x01"]
        prerequisites = 0
        if self.absent_name is not None:
            # RFC 2136 §2.4.5: NAME, class NONE, type ANY, TTL 0, no RDATA.
            parts += (_name_wire(self.absent_name), _ABSENT)
            prerequisites = 1
        for record in self.deletes:  # RFC 2136 §2.5.4: class NONE, TTL 0
            parts += _rr(record, dns.rdataclass.NONE, 0)
        for record in self.adds:
            parts += _rr(record, record.rdata.rdclass, record.ttl)
        additional = 0
        if self.lease is not None:
            parts.append(_lease_opt(self.lease))
            additional = 1
        updates = len(self.deletes) + len(self.adds)
        flags = self.flags | _UPDATE_FLAGS
        parts[0] = _HEADER.pack(self.id, flags, 1, prerequisites, updates, additional)
        wire = b"".join(parts)
        if self.key is not None:
            template = dns.rdtypes.ANY.TSIG.TSIG(  # type: ignore[no-untyped-call]
                dns.rdataclass.ANY,
                dns.rdatatype.TSIG,
                self.key.algorithm,
                0,
                300,  # fudge, seconds (RFC 8945 §5.2.3)
                b"",
                self.id,
                0,
                b"",
            )
            signed, _ctx = dns.tsig.sign(  # type: ignore[no-untyped-call]
                wire, self.key, template, int(time.time()), b""
            )
            rdata = signed.to_wire() or b""
            header = _HEADER.pack(self.id, flags, 1, prerequisites, updates, additional + 1)
            tsig_rr = _RR_HEADER.pack(dns.rdatatype.TSIG, dns.rdataclass.ANY, 0, len(rdata))
            wire = header + wire[_HEADER.size :] + _name_wire(self.key.name) + tsig_rr + rdata
            self._mac = signed.mac
        self.wire = wire
        if prepend_length:
            return struct.pack("!H", len(wire)) + wire
        return wire


_ABSENT = _RR_HEADER.pack(dns.rdatatype.ANY, dns.rdataclass.NONE, 0, 0)


def _rr(record: Record, rdclass: int, ttl: int) -> tuple[bytes, bytes, bytes]:
    header = _RR_HEADER.pack(record.rdata.rdtype, rdclass, ttl, len(record.rdata_wire))
    return record.owner_wire, header, record.rdata_wire


@functools.lru_cache(maxsize=16)
def _lease_opt(lease: int) -> bytes:
    """The OPT record carrying the Update Lease option (RFC 9664 §4), root owner."""
    option = dns.edns.GenericOption(
        dns.edns.OptionType(LEASE_OPTION_CODE), encode_lease_option(lease)
    )
    opt = dns.rdtypes.ANY.OPT.OPT(_EDNS_PAYLOAD, dns.rdatatype.OPT, [option])  # type: ignore[no-untyped-call]
    rdata = opt.to_wire() or b""
    return b"\x00" + _RR_HEADER.pack(dns.rdatatype.OPT, _EDNS_PAYLOAD, 0, len(rdata)) + rdata


def registration_update(
    zone: dns.name.Name,
    records: Iterable[Record],
    *,
    key: dns.tsig.Key | None = None,
    lease: int | None = None,
    absent: dns.name.Name | None = None,
    delete: Iterable[Record] = (),
) -> RenderedUpdate:
    """An UPDATE adding ``records``, optionally deleting others first.

    ``absent`` adds the prerequisite "name is not in use" (RFC 2136 §2.4.5);
    ``lease`` adds the Update Lease option (RFC 9664 §4).
    """
    return RenderedUpdate(
        zone, key=key, absent=absent, delete=tuple(delete), add=tuple(records), lease=lease
    )


def withdrawal_update(
    zone: dns.name.Name, records: Iterable[Record], *, key: dns.tsig.Key | None = None
) -> RenderedUpdate:
    """An UPDATE deleting exactly ``records``, one RR each (RFC 2136 §2.5.4)."""
    return RenderedUpdate(zone, key=key, delete=tuple(records))


def granted_lease(options: Iterable[dns.edns.Option]) -> int | None:
    """The LEASE a reply's OPT record grants, or None without a (well-formed) option."""
    for option in options:
        if option.otype == LEASE_OPTION_CODE:
            data = option.to_wire() or b""
            decoded = decode_lease_option(data)
            if decoded is not None:
                return decoded[0]
    return None
