"""Which interfaces the mDNS transport serves, and how it follows changes (pure planning)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface

import pytest

from lanwise.errors import UsageError
from lanwise.interfaces import (
    Address,
    AddressScope,
    Interface,
    InterfaceFlags,
    InterfaceType,
    OperState,
)
from lanwise.mdns.selection import (
    LinkState,
    check_selection,
    normalise_families,
    plan_changes,
    selected,
    usable_addresses,
)

_UP = (
    InterfaceFlags.UP
    | InterfaceFlags.RUNNING
    | InterfaceFlags.BROADCAST
    | InterfaceFlags.MULTICAST
    | InterfaceFlags.LOWER_UP
)


def v4(text: str, index: int) -> Address:
    iface = IPv4Interface(text)
    return Address(iface.ip, iface.network.prefixlen, index)


def v6(
    text: str, index: int, name: str = "eth0", *, tentative: bool = False, dad_failed: bool = False
) -> Address:
    iface = IPv6Interface(text)
    ip = IPv6Address(f"{iface.ip}%{name}") if iface.ip.is_link_local else iface.ip
    scope = AddressScope.LINK if iface.ip.is_link_local else AddressScope.GLOBAL
    return Address(
        ip, iface.network.prefixlen, index, scope=scope, tentative=tentative, dad_failed=dad_failed
    )


def interface(
    index: int,
    name: str,
    *addresses: Address,
    flags: InterfaceFlags = _UP,
    type: InterfaceType = InterfaceType.WIRED,
) -> Interface:
    return Interface(
        index=index,
        name=name,
        type=type,
        kind="veth",
        flags=flags,
        mtu=1500,
        hardware_address="02:00:00:00:00:01",
        oper_state=OperState.UP,
        addresses=addresses,
    )


LO = interface(
    1,
    "lo",
    v4("127.0.0.1/8", 1),
    flags=InterfaceFlags.UP | InterfaceFlags.RUNNING | InterfaceFlags.LOOPBACK,
    type=InterfaceType.LOOPBACK,
)
ETH0 = interface(2, "eth0", v4("10.99.1.1/24", 2), v6("fe80::1/64", 2))
ETH1 = interface(3, "eth1", v4("10.99.2.1/24", 3), v6("fe80::2/64", 3, "eth1"))
TUN = interface(4, "tun0", v4("10.8.0.2/24", 4), type=InterfaceType.OTHER)
BOTH = frozenset({4, 6})


def test_default_selection_is_local_network_interfaces_only() -> None:
    assert [i.name for i in (LO, ETH0, ETH1, TUN) if selected(i, None)] == ["eth0", "eth1"]


def test_interfaces_that_are_down_or_without_multicast_are_never_selected() -> None:
    down = interface(2, "eth0", v4("10.0.0.1/24", 2), flags=_UP & ~InterfaceFlags.RUNNING)
    no_multicast = interface(2, "eth0", flags=_UP & ~InterfaceFlags.MULTICAST)
    for candidate in (down, no_multicast):
        assert not selected(candidate, None)
        assert not selected(candidate, ["eth0"])
        assert not selected(candidate, lambda _: True)


def test_explicit_names_indexes_types_and_predicates() -> None:
    assert selected(ETH1, ["eth1"]) and not selected(ETH0, ["eth1"])
    assert selected(ETH0, [2]) and not selected(ETH1, [2])
    assert selected(TUN, InterfaceType.OTHER) and not selected(ETH0, InterfaceType.OTHER)
    assert selected(TUN, [InterfaceType.OTHER, "eth0"]) and selected(
        ETH0, [InterfaceType.OTHER, "eth0"]
    )
    assert selected(ETH1, lambda i: i.index == 3) and not selected(ETH0, lambda i: i.index == 3)


def test_check_selection_rejects_unknown_interfaces_and_bare_strings() -> None:
    snapshot = {1: LO, 2: ETH0}
    check_selection(None, snapshot)
    check_selection(["eth0", 1], snapshot)
    check_selection(InterfaceType.WIFI, snapshot)  # may match later
    with pytest.raises(UsageError, match="interfaces"):
        check_selection(["eth9"], snapshot)
    with pytest.raises(UsageError, match="interfaces"):
        check_selection([42], snapshot)
    with pytest.raises(UsageError, match="not one string"):
        check_selection("eth0", snapshot)


def test_families_must_be_a_non_empty_subset_of_4_and_6() -> None:
    assert normalise_families([6, 4, 4]) == BOTH
    for bad in ([], [5], [4, 7]):
        with pytest.raises(UsageError, match="families"):
            normalise_families(bad)


def test_usable_addresses_skip_tentative_and_failed_ipv6_and_keep_scope() -> None:
    eth = interface(
        2,
        "eth0",
        v6("fd00::5/64", 2, tentative=True),
        v6("fd00::6/64", 2, dad_failed=True),
        v6("fe80::1/64", 2),
        v4("10.0.0.1/24", 2),
    )
    found = usable_addresses(eth, BOTH)
    assert [str(a) for a in found] == ["10.0.0.1/24", "fe80::1%eth0/64"]
    assert usable_addresses(eth, {4}) == (IPv4Interface("10.0.0.1/24"),)


def test_plan_adds_new_interfaces_then_nothing_while_unchanged() -> None:
    snapshot = {1: LO, 2: ETH0, 3: ETH1}
    changes = plan_changes({}, snapshot, None, BOTH)
    assert [(c.action, c.index) for c in changes] == [("add", 2), ("add", 3)]
    current = {c.index: c.new for c in changes if c.new is not None}
    assert plan_changes(current, snapshot, None, BOTH) == []


def test_plan_updates_on_address_change_and_renames_quietly() -> None:
    current = {2: LinkState(2, "eth0", usable_addresses(ETH0, BOTH))}
    renumbered = interface(2, "eth0", v4("10.99.1.7/24", 2), v6("fe80::1/64", 2))
    [change] = plan_changes(current, {2: renumbered}, None, BOTH)
    assert change.action == "update"
    assert change.new is not None and IPv4Interface("10.99.1.7/24") in change.new.addresses
    renamed = interface(2, "lan0", v4("10.99.1.1/24", 2), v6("fe80::1/64", 2))
    [change] = plan_changes(current, {2: renamed}, None, BOTH)
    assert change.action == "rename"


def test_plan_removes_interfaces_that_vanish_go_down_or_lose_their_addresses() -> None:
    current = {
        2: LinkState(2, "eth0", usable_addresses(ETH0, BOTH)),
        3: LinkState(3, "eth1", usable_addresses(ETH1, BOTH)),
    }
    down = interface(3, "eth1", v4("10.99.2.1/24", 3), flags=_UP & ~InterfaceFlags.UP)
    changes = plan_changes(current, {3: down}, None, BOTH)
    assert [(c.action, c.index) for c in changes] == [("remove", 2), ("remove", 3)]
    bare = interface(2, "eth0")
    assert [c.action for c in plan_changes({2: current[2]}, {2: bare}, None, BOTH)] == ["remove"]


def test_plan_with_one_family_serves_only_interfaces_that_have_it() -> None:
    v6_only = interface(5, "eth5", v6("fe80::5/64", 5, "eth5"))
    changes = plan_changes({}, {2: ETH0, 5: v6_only}, None, {4})
    assert [(c.action, c.index) for c in changes] == [("add", 2)]
    assert changes[0].new is not None
    assert changes[0].new.versions == frozenset({4})
    assert changes[0].new.addresses == (IPv4Interface("10.99.1.1/24"),)


def test_link_state_versions_follow_addresses() -> None:
    state = LinkState(2, "eth0", usable_addresses(ETH0, BOTH))
    assert state.versions == BOTH
    assert IPv4Address("10.99.1.1") in {a.ip for a in state.addresses}
