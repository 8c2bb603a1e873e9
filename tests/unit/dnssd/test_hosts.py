"""Reverse lookups and address records at the DNS-SD layer: parsing, results, the CLI's
formats and usage errors (no network: every error comes before a socket)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.cli import main
from lanwise.cli.lookup import format_address
from lanwise.dnssd import AddressInfo
from lanwise.dnssd.hosts import NameConflictError, parse_address
from lanwise.errors import LanwiseError, UsageError


def test_parse_address_splits_the_zone_off() -> None:
    assert parse_address("10.77.0.3") == (IPv4Address("10.77.0.3"), None)
    assert parse_address("fe80::5%eth0") == (IPv6Address("fe80::5"), "eth0")
    assert parse_address("fe80::5%3") == (IPv6Address("fe80::5"), "3")
    assert parse_address(IPv6Address("fe80::5%eth1")) == (IPv6Address("fe80::5"), "eth1")
    assert parse_address(IPv6Address("2001:db8::1")) == (IPv6Address("2001:db8::1"), None)


@pytest.mark.parametrize("text", ["10.77.0.3%eth0", "box.local", "10.0.0", "", "fe80::5%"])
def test_parse_address_refuses_what_is_not_an_address(text: str) -> None:
    with pytest.raises(UsageError, match="address"):
        parse_address(text)


def test_address_info_keeps_names_per_interface() -> None:
    info = AddressInfo(
        IPv4Address("192.168.1.1"), {3: ("router.local",), 2: ("nas.local", "router.local")}
    )
    assert info.all_names == ["nas.local", "router.local"]
    lines = format_address(info).splitlines()
    assert lines[0].startswith("192.168.1.1  nas.local  (")
    assert len(lines) == 3


def test_name_conflict_error_names_the_name() -> None:
    error = NameConflictError("nas.local")
    assert isinstance(error, LanwiseError) and error.name == "nas.local"
    assert "nas.local" in str(error)


@pytest.mark.parametrize(
    "argv",
    [
        ["publish"],
        ["publish", "x", "_http._tcp"],
        ["publish", "--address", "10.0.0.5"],
        ["publish", "--host", "nas", "--address", "10.0.0.300"],
        ["publish", "--host", "nas", "--address", "224.0.0.251"],
        ["publish", "--host", "not_a_label", "--address", "10.0.0.5"],
        ["publish", "--host", "nas", "--address", "10.0.0.5", "--subtype", "_x"],
        ["lookup", "10.0.0.5%eth0"],
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
