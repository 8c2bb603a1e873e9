"""Which names go to multicast DNS, and how mDNS answers become connect targets."""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.dnssd import connect_service
from lanwise.dnssd.connect import is_local_name, targets_from
from lanwise.errors import UsageError
from lanwise.net import Target


def test_local_names_and_the_rest() -> None:
    assert is_local_name("printer.local") and is_local_name("Printer.LOCAL.")
    assert not is_local_name("printer.example.com")
    assert not is_local_name("local")
    assert not is_local_name("fe80::1%eth0")
    assert not is_local_name(IPv4Address("10.0.0.1"))


def test_link_local_answers_keep_the_interface_they_came_on() -> None:
    """Issue 12: an fe80:: or 169.254 address learned on an interface is tried there only;
    a routable one may go over any eligible interface."""
    addresses = {
        3: (IPv4Address("169.254.7.1"), IPv6Address("fe80::1%eth1"), IPv6Address("fd00::1")),
        2: (IPv4Address("10.0.0.5"), IPv6Address("fd00::1")),
    }
    assert targets_from(addresses, socket.AF_INET6) == [
        Target(IPv6Address("fd00::1"), 0),
        Target(IPv6Address("fe80::1%eth1"), 3),
    ]
    assert targets_from(addresses, socket.AF_INET) == [
        Target(IPv4Address("10.0.0.5"), 0),
        Target(IPv4Address("169.254.7.1"), 3),
    ]


async def test_only_the_local_domain_is_served() -> None:
    with pytest.raises(UsageError) as info:
        await connect_service("Kitchen", "_http._tcp", "example.com")
    assert info.value.field == "domain"
