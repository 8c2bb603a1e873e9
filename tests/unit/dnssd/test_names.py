"""Service types, subtypes, instance and host names (RFC 6763 §4.1, §7, §7.1; RFC 6335 §5.1)."""

from __future__ import annotations

import pytest

from lanwise.dnssd.names import (
    ServiceType,
    parse_host_name,
    sanitize_host_label,
    validate_instance_name,
)
from lanwise.errors import UsageError


@pytest.mark.parametrize(
    "text", ["_http._tcp", "_http._tcp.local", "_http._tcp.local.", "_HTTP._TCP", "_a1-b2._udp"]
)
def test_valid_service_types_parse(text: str) -> None:
    stype = ServiceType.parse(text)
    service, protocol = text.split(".")[:2]
    assert stype == ServiceType.parse(f"{service.lower()}.{protocol}")
    assert stype.domain == "local"


def test_service_type_keeps_case_but_compares_without_it() -> None:
    stype = ServiceType.parse("_HTTP._TCP")
    assert stype.service == "_HTTP"
    assert stype.protocol == "_tcp"
    assert stype == ServiceType.parse("_http._tcp")
    assert hash(stype) == hash(ServiceType.parse("_http._tcp"))
    assert str(ServiceType.parse("_ipp._tcp.local.")) == "_ipp._tcp"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("http._tcp", "start with '_'"),
        ("_http._sctp", "'_tcp' or '_udp'"),
        ("_http", "look like"),
        ("_._tcp", "1-15 characters"),
        ("_abcdefghijklmnop._tcp", "1-15 characters"),  # 16 characters
        ("_123._tcp", "at least one letter"),
        ("_-http._tcp", "single hyphens"),
        ("_http-._tcp", "single hyphens"),
        ("_ht--tp._tcp", "single hyphens"),
        ("_ht_tp._tcp", "single hyphens"),
        ("_htté._tcp", "single hyphens"),
        ("_http._tcp.example.com", "'local' domain"),
        ("_printer._sub._http._tcp", "subtype"),
    ],
)
def test_invalid_service_types_name_the_rule(text: str, rule: str) -> None:
    """RFC 6763 §7 and RFC 6335 §5.1: the error names the field and the broken rule."""
    with pytest.raises(UsageError) as caught:
        ServiceType.parse(text)
    assert caught.value.field == "service type"
    assert rule in caught.value.rule


def test_fifteen_character_service_name_is_the_limit() -> None:
    assert ServiceType.parse("_abcdefghijklmno._tcp").service == "_abcdefghijklmno"


def test_enumeration_type_is_recognised() -> None:
    """RFC 6763 §9: _services._dns-sd._udp.local."""
    assert ServiceType.parse("_services._dns-sd._udp").is_enumeration
    assert not ServiceType.parse("_http._tcp").is_enumeration


def test_subtypes_accept_label_or_full_name() -> None:
    """RFC 6763 §7.1: _printer._sub._http._tcp."""
    stype = ServiceType.parse("_http._tcp")
    assert stype.parse_subtype("_printer") == "_printer"
    assert stype.parse_subtype("_printer._sub._http._tcp.local.") == "_printer"
    assert stype.subtype_labels("_printer") == ("_printer", "_sub", "_http", "_tcp", "local")
    with pytest.raises(UsageError, match="service's type"):
        stype.parse_subtype("_printer._sub._ipp._tcp")
    with pytest.raises(UsageError, match="63 octets"):
        stype.parse_subtype("_" + "x" * 63)


def test_instance_names_allow_dots_spaces_and_utf8() -> None:
    """RFC 6763 §4.1.1: any UTF-8 except control characters, ≤ 63 octets, NFC (§4.1.3)."""
    assert validate_instance_name("Bob's Printer. 2nd floor") == "Bob's Printer. 2nd floor"
    assert validate_instance_name("Cafe\u0301") == "Caf\u00e9"
    assert validate_instance_name("é" * 31) == "é" * 31  # 62 octets
    with pytest.raises(UsageError, match="63 octets"):
        validate_instance_name("é" * 32)  # 64 octets
    with pytest.raises(UsageError, match="control characters"):
        validate_instance_name("tab\there")
    with pytest.raises(UsageError, match="empty"):
        validate_instance_name("")


def test_system_names_become_legal_labels() -> None:
    assert sanitize_host_label("My Laptop.example.com") == "My-Laptop"
    assert sanitize_host_label("Jérôme's_pc") == "Jerome-s-pc"
    assert sanitize_host_label("---") == ""
    assert len(sanitize_host_label("x" * 100)) == 63


def test_host_names_parse_with_or_without_local() -> None:
    assert parse_host_name("box.local.") == "box"
    assert parse_host_name("box") == "box"
    for bad in ("a.b.local", "-box", "b_x", ""):
        with pytest.raises(UsageError):
            parse_host_name(bad)
