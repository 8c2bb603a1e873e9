"""Filters by functional type and capability, and lookup by name or index."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from lanwise.errors import UsageError
from lanwise.interfaces import (
    Address,
    Interface,
    InterfaceFlags,
    InterfaceType,
    OperState,
    broadcast_capable,
    filter_interfaces,
    find_interface,
    local_network,
    multicast_capable,
    of_type,
)

F = InterfaceFlags
LAN = F.UP | F.RUNNING | F.BROADCAST | F.MULTICAST


def make(index: int, name: str, kind: InterfaceType, flags: InterfaceFlags) -> Interface:
    address = Address(IPv4Address(f"10.0.0.{index}"), 24, index)
    return Interface(index, name, kind, "x", flags, 1500, None, OperState.UP, (address,))


LO = make(1, "lo", InterfaceType.LOOPBACK, F.UP | F.RUNNING | F.LOOPBACK)
ETH = make(2, "eth0", InterfaceType.WIRED, LAN)
WLAN = make(3, "wlan0", InterfaceType.WIFI, F.UP | F.RUNNING | F.MULTICAST)
WWAN = make(4, "wwan0", InterfaceType.CELLULAR, F.UP | F.RUNNING | F.MULTICAST | F.POINTOPOINT)
TUN = make(5, "tun0", InterfaceType.OTHER, F.UP | F.RUNNING | F.MULTICAST | F.POINTOPOINT)
DOWN = make(6, "eth1", InterfaceType.WIRED, F.BROADCAST | F.MULTICAST)
NOT_RUNNING = make(7, "eth2", InterfaceType.WIRED, F.UP | F.BROADCAST | F.MULTICAST)
NO_CAST = make(8, "eth3", InterfaceType.WIRED, F.UP | F.RUNNING)
ALL = [LO, ETH, WLAN, WWAN, TUN, DOWN, NOT_RUNNING, NO_CAST]


def test_local_network_is_up_running_casting_lan_types() -> None:
    assert local_network(ALL) == [ETH, WLAN]
    assert [i.is_local_network for i in ALL] == [
        False,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
    ]


def test_by_type() -> None:
    assert of_type(ALL, InterfaceType.WIFI, "cellular") == [WLAN, WWAN]
    with pytest.raises(UsageError, match="bogus"):
        of_type(ALL, "bogus")
    with pytest.raises(UsageError, match="bogus"):
        filter_interfaces(ALL, types=["wired", "bogus"])


def test_capabilities() -> None:
    assert broadcast_capable(ALL) == [ETH, DOWN, NOT_RUNNING]
    assert multicast_capable(ALL) == [ETH, WLAN, WWAN, TUN, DOWN, NOT_RUNNING]


def test_filter_interfaces_combines_and_none_means_any() -> None:
    assert filter_interfaces(ALL) == ALL
    assert filter_interfaces(ALL, types=["wired"], broadcast=True, local=False) == [
        DOWN,
        NOT_RUNNING,
    ]
    assert filter_interfaces(ALL, multicast=False) == [LO, NO_CAST]


def test_find_by_index_name_or_digits() -> None:
    assert find_interface(ALL, 3) is WLAN
    assert find_interface(ALL, "wlan0") is WLAN
    assert find_interface(ALL, "4") is WWAN
    for bad in ("nope", 99, "99"):
        with pytest.raises(UsageError) as info:
            find_interface(ALL, bad)
        assert info.value.field == "interface"


def test_address_views() -> None:
    assert ETH.ipv4_addresses == ETH.addresses and ETH.ipv6_addresses == ()
    assert str(ETH.addresses[0].network) == "10.0.0.0/24"
