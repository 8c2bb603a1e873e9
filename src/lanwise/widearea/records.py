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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

import dns.edns
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rdtypes.IN.SRV
import dns.rrset
import dns.tsig
import dns.update

from lanwise.dnssd.model import Service
from lanwise.widearea.lease import LEASE_OPTION_CODE, decode_lease_option, encode_lease_option

__all__ = [
    "DEFAULT_TTL",
    "Record",
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


@dataclass(frozen=True, slots=True)
class Record:
    """One resource record to add or delete."""

    name: dns.name.Name
    ttl: int
    rdata: dns.rdata.Rdata


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


def _message(zone: dns.name.Name, key: dns.tsig.Key | None) -> dns.update.UpdateMessage:
    message = dns.update.UpdateMessage(zone)
    if key is not None:
        message.use_tsig(key)
    return message


def registration_update(
    zone: dns.name.Name,
    records: Iterable[Record],
    *,
    key: dns.tsig.Key | None = None,
    lease: int | None = None,
    absent: dns.name.Name | None = None,
    delete: Iterable[Record] = (),
) -> dns.update.UpdateMessage:
    """An UPDATE adding ``records``, optionally deleting others first.

    ``absent`` adds the prerequisite "name is not in use" (RFC 2136 §2.4.5);
    ``lease`` adds the Update Lease option (RFC 9664 §4).
    """
    message = _message(zone, key)
    if absent is not None:
        message.absent(absent)
    for record in delete:
        message.delete(record.name, record.rdata)
    for record in records:
        # One RRset per record straight into the section: the same wire as
        # message.add(), at half its cost (no search for an RRset to merge into).
        message.update.append(dns.rrset.from_rdata(record.name, record.ttl, record.rdata))
    if lease is not None:
        message.use_edns(
            0,
            options=[
                dns.edns.GenericOption(
                    dns.edns.OptionType(LEASE_OPTION_CODE), encode_lease_option(lease)
                )
            ],
        )
    return message


def withdrawal_update(
    zone: dns.name.Name, records: Iterable[Record], *, key: dns.tsig.Key | None = None
) -> dns.update.UpdateMessage:
    """An UPDATE deleting exactly ``records``, one RR each (RFC 2136 §2.5.4)."""
    message = _message(zone, key)
    for record in records:
        message.delete(record.name, record.rdata)
    return message


def granted_lease(options: Iterable[dns.edns.Option]) -> int | None:
    """The LEASE a reply's OPT record grants, or None without a (well-formed) option."""
    for option in options:
        if option.otype == LEASE_OPTION_CODE:
            data = option.to_wire() or b""
            decoded = decode_lease_option(data)
            if decoded is not None:
                return decoded[0]
    return None
