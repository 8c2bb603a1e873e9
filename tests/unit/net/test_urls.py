"""URL formatting: IPv6 brackets, RFC 6874 zones, default ports."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.errors import UsageError
from lanwise.net.urls import format_host, format_url


def test_ipv4() -> None:
    assert format_url("http", IPv4Address("10.0.0.2"), 8000) == "http://10.0.0.2:8000/"


def test_ipv6_in_brackets() -> None:
    assert format_url("http", IPv6Address("fd99::2"), 8000) == "http://[fd99::2]:8000/"


def test_rfc_6874_zone_is_percent_encoded() -> None:
    """RFC 6874 §2: the zone separator '%' is written '%25' inside the URL."""
    address = IPv6Address("fe80::1%eth0")
    assert format_host(address) == "[fe80::1%25eth0]"
    assert format_url("http", address, 8080) == "http://[fe80::1%25eth0]:8080/"


def test_zone_characters_outside_unreserved_are_encoded() -> None:
    assert format_host(IPv6Address("fe80::1%br-lan 1")) == "[fe80::1%25br-lan%201]"


def test_default_port_is_left_out() -> None:
    assert format_url("https", "printer.local", 443) == "https://printer.local/"
    assert format_url("http", "printer.local", 80, "status") == "http://printer.local/status"
    assert format_url("ssh", IPv4Address("10.0.0.2"), 2222) == "ssh://10.0.0.2:2222"


def test_bad_scheme_and_port() -> None:
    with pytest.raises(UsageError):
        format_url("1http", "x.local", 80)
    with pytest.raises(UsageError):
        format_url("http", "x.local", 0)
