"""The records and UPDATE messages of one registration (RFC 6763 §4–§7, RFC 2136)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import dns.message
import dns.name
import dns.opcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update

from lanwise.dnssd.model import Service
from lanwise.widearea.addresses import is_publishable
from lanwise.widearea.lease import LEASE_OPTION_CODE
from lanwise.widearea.records import (
    granted_lease,
    registration_update,
    service_records,
    withdrawal_update,
)

DOMAIN = dns.name.from_text("example.test")
HOST = dns.name.from_text("box.example.test")


def _records() -> tuple[object, ...]:
    service = Service("Lab Printer", "_ipp._tcp", 631, {"rp": "x"}, subtypes=["_universal"])
    return service_records(
        service, DOMAIN, HOST, [IPv4Address("10.0.0.5"), IPv6Address("fd00::5")], ttl=60
    ).all


def test_one_service_gives_ptr_subtype_ptr_srv_txt_and_host_records() -> None:
    records = _records()
    seen = {(r.name.to_text(), dns.rdatatype.to_text(r.rdata.rdtype)) for r in records}  # type: ignore[attr-defined]
    instance = "Lab\\032Printer._ipp._tcp.example.test."
    assert seen == {
        ("_ipp._tcp.example.test.", "PTR"),
        ("_universal._sub._ipp._tcp.example.test.", "PTR"),
        (instance, "SRV"),
        (instance, "TXT"),
        ("box.example.test.", "A"),
        ("box.example.test.", "AAAA"),
    }


def test_registration_update_has_prerequisite_and_lease() -> None:
    """RFC 2136 §2.4.5 "name not in use" on the instance; RFC 9664 §4 lease option."""
    service = Service("Lab Printer", "_ipp._tcp", 631)
    recs = service_records(service, DOMAIN, HOST, [IPv4Address("10.0.0.5")])
    message = registration_update(DOMAIN, recs.all, lease=3600, absent=recs.instance)
    wire = message.to_wire()
    parsed = dns.message.from_wire(wire)
    assert parsed.opcode() == dns.opcode.UPDATE
    assert isinstance(parsed, dns.update.UpdateMessage)
    assert [rr.name for rr in parsed.prerequisite] == [recs.instance]
    prereq = parsed.prerequisite[0]
    assert (prereq.deleting, prereq.rdtype) == (dns.rdataclass.NONE, dns.rdatatype.ANY)
    assert len(parsed.update) == 4
    assert granted_lease(parsed.options) == 3600
    assert parsed.options[0].otype == LEASE_OPTION_CODE


def test_withdrawal_deletes_each_record_not_rrsets() -> None:
    """RFC 2136 §2.5.4: class NONE deletes one RR, leaving others' records alone."""
    service = Service("Lab Printer", "_ipp._tcp", 631)
    recs = service_records(service, DOMAIN, HOST, [])
    parsed = dns.message.from_wire(withdrawal_update(DOMAIN, recs.all).to_wire())
    assert isinstance(parsed, dns.update.UpdateMessage)
    assert {rr.deleting for rr in parsed.update} == {dns.rdataclass.NONE}
    assert sum(len(rr) for rr in parsed.update) == 3


def test_only_routable_addresses_are_published() -> None:
    assert is_publishable(IPv4Address("10.0.0.5"))
    assert is_publishable(IPv6Address("fd00::5"))
    assert not is_publishable(IPv4Address("169.254.3.4"))
    assert not is_publishable(IPv6Address("fe80::1"))
    assert not is_publishable(IPv4Address("127.0.0.1"))
    assert not is_publishable(IPv6Address("::1"))


def test_rendered_update_is_the_update_dnspython_would_send_and_verifies() -> None:
    """The records are rendered once and sent as they are (RFC 2136 §2, RFC 8945 §5.3)."""
    key = dns.tsig.Key("lab-key.", b"k" * 32, dns.tsig.HMAC_SHA256)
    service = Service("Lab Printer", "_ipp._tcp", 631, {"rp": "x"}, subtypes=["_universal"])
    recs = service_records(service, DOMAIN, HOST, [IPv4Address("10.0.0.5"), IPv6Address("fd00::5")])
    old = service_records(service.with_txt({"a": "b"}), DOMAIN, HOST, []).service[-1:]
    ours = registration_update(
        DOMAIN, recs.all, key=key, lease=3600, absent=recs.instance, delete=old
    )
    theirs = dns.update.UpdateMessage(DOMAIN, id=ours.id)
    theirs.absent(recs.instance)
    for record in old:
        theirs.delete(record.name, record.rdata)
    for record in recs.all:
        theirs.add(record.name, record.ttl, record.rdata)
    wire = ours.to_wire()
    parsed = dns.message.from_wire(wire, keyring=key)  # raises unless the TSIG verifies
    assert isinstance(parsed, dns.update.UpdateMessage)
    assert parsed.id == ours.id and parsed.opcode() == dns.opcode.UPDATE
    expected = dns.message.from_wire(theirs.to_wire())
    for section in range(3):  # zone, prerequisite, update: the same records
        assert sorted(rrset.to_text() for rrset in parsed.sections[section]) == sorted(
            rrset.to_text() for rrset in expected.sections[section]
        )
    assert granted_lease(parsed.options) == 3600
    # The reply is checked against this message's MAC, as the client does.
    reply = dns.message.make_response(parsed)
    checked = dns.message.from_wire(reply.to_wire(), keyring=ours.keyring, request_mac=ours.mac)
    assert ours.is_response(checked)
    # A changed ID after building (pipelining renumbers) is signed as sent.
    ours.id = (ours.id + 1) & 0xFFFF
    assert dns.message.from_wire(ours.to_wire(), keyring=key).id == ours.id
    framed = ours.to_wire(prepend_length=True)  # as dnspython's, for TCP
    assert int.from_bytes(framed[:2], "big") == len(framed) - 2
