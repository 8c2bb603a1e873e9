"""Names and records between .local and the link's domain (RFC 8766 §5.1, §5.5)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_interface

import dns.name
import dns.rdatatype
import pytest

from lanwise.dns import AAAA, CNAME, NSEC, PTR, SRV, TXT, A, Name, Record
from lanwise.errors import UsageError
from lanwise.proxy.names import LinkNames, parse_domain
from lanwise.proxy.records import reachable, translate
from lanwise.proxy.zones import reverse_zone

DOMAIN = dns.name.from_text("lan-a.example.test")
NAMES = LinkNames(DOMAIN)


def n(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


def test_rfc8766_s5_1_a_question_in_the_domain_is_asked_as_local() -> None:
    assert NAMES.to_local(n("_http._tcp.lan-a.example.test")) == n("_http._tcp.local")
    assert NAMES.to_local(n("lan-a.example.test")) is None  # the apex is the proxy's own
    assert NAMES.to_local(n("_http._tcp.example.org")) is None


def test_rfc8766_s5_5_4_labels_pass_as_octets_with_their_case() -> None:
    name = dns.name.Name((b"Caf\xc3\xa9 Printer", b"_IPP", b"_tcp", *DOMAIN.labels))
    local = NAMES.to_local(name)
    assert local is not None and local.labels[:3] == (b"Caf\xc3\xa9 Printer", b"_IPP", b"_tcp")
    back = NAMES.from_local(local)
    assert back is not None and back.labels == name.labels


def test_a_name_too_long_once_rewritten_is_not_served() -> None:
    long_domain = LinkNames(dns.name.from_text(".".join(["d" * 60] * 3)))
    local = dns.name.Name((b"x" * 63, b"y" * 63, b"z" * 50, b"local", b""))
    assert long_domain.from_local(local) is None


@pytest.mark.parametrize(
    "text", ["", ".", "local", "printer.local", "a..b", "x" * 64 + ".test", ".".join(["abc"] * 60)]
)
def test_a_bad_domain_is_a_usage_error_naming_the_field(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_domain(text)
    assert caught.value.field == "domain"


def record(name: str, rdata: object, ttl: int = 120) -> Record:
    return Record.of(Name(name), rdata, ttl)  # type: ignore[arg-type]


def test_rfc8766_s5_5_names_inside_ptr_srv_and_cname_rdata_are_rewritten() -> None:
    instance = Name("Web._http._tcp.local")
    sets = translate(
        [
            (record("_http._tcp.local", PTR(instance)), 4500),
            (record("Web._http._tcp.local", SRV(0, 0, 80, Name("host.local"))), 120),
            (record("alias.local", CNAME(Name("host.local"))), 120),
            (record("other.local", CNAME(Name("www.example.org"))), 120),
        ],
        NAMES,
    )
    by_type = {(s.name.to_text(), dns.rdatatype.to_text(s.rdtype)): s for s in sets}
    assert by_type[("_http._tcp.lan-a.example.test.", "PTR")][0].target == n(
        "Web._http._tcp.lan-a.example.test"
    )
    assert by_type[("Web._http._tcp.lan-a.example.test.", "SRV")][0].target == n(
        "host.lan-a.example.test"
    )
    assert by_type[("alias.lan-a.example.test.", "CNAME")][0].target == n("host.lan-a.example.test")
    assert by_type[("other.lan-a.example.test.", "CNAME")][0].target == n("www.example.org")


def test_rfc8766_s5_5_1_ttls_are_what_is_left_at_most_ten_and_at_least_one() -> None:
    sets = translate(
        [
            (record("a.local", TXT((b"x=1",)), 4500), 4499.5),
            (record("b.local", TXT((b"x=1",)), 120), 3.7),
            (record("c.local", TXT((b"x=1",)), 120), 0.2),
        ],
        NAMES,
    )
    assert [s.ttl for s in sets] == [10, 3, 1]


def test_rfc8766_s5_5_2_unreachable_addresses_are_left_out() -> None:
    host = "host.local"
    sets = translate(
        [
            (record(host, A(IPv4Address("169.254.1.9"))), 120),
            (record(host, A(IPv4Address("127.0.0.1"))), 120),
            (record(host, A(IPv4Address("192.0.2.7"))), 120),
            (record(host, AAAA(IPv6Address("fe80::9"))), 120),
            (record(host, AAAA(IPv6Address("::1"))), 120),
            (record(host, AAAA(IPv6Address("::ffff:169.254.0.1"))), 120),
            (record(host, AAAA(IPv6Address("2001:db8::7"))), 120),
            (record(host, AAAA(IPv6Address("fd00::7"))), 120),  # ULA: routable in the site
        ],
        NAMES,
    )
    addresses = sorted(r.address for s in sets for r in s)
    assert addresses == ["192.0.2.7", "2001:db8::7", "fd00::7"]


def test_reachable_rules() -> None:
    assert not reachable(IPv4Address("169.254.0.1"))
    assert not reachable(IPv6Address("fe80::1"))
    assert not reachable(IPv6Address("febf::1"))  # fe80::/10 ends at febf
    assert reachable(IPv6Address("fec0::1"))
    assert reachable(IPv4Address("10.1.2.3"))


def test_rfc8766_s5_5_3_mdns_nsec_records_are_not_forwarded() -> None:
    nsec = record("host.local", NSEC(Name("host.local"), frozenset({1, 28})))
    assert translate([(nsec, 120)], NAMES) == []


@pytest.mark.parametrize(
    ("subnet", "zone"),
    [
        ("10.0.1.53/24", "1.0.10.in-addr.arpa"),
        ("10.9.0.1/16", "9.10.in-addr.arpa"),
        ("10.9.0.1/20", "9.10.in-addr.arpa"),  # whole octets of the prefix only
        ("2001:db8:1::53/64", "0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"),
        ("10.0.0.1/7", None),
    ],
)
def test_rfc8766_s5_4_a_subnets_reverse_zone(subnet: str, zone: str | None) -> None:
    found = reverse_zone(ip_interface(subnet))
    assert (found.to_text(omit_final_dot=True) if found else None) == zone
