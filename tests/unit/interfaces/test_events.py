"""Event diffing: events folded onto the old state give the new one."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address, IPv6Address

from hypothesis import given, settings
from hypothesis import strategies as st

from lanwise.interfaces import events as ev
from lanwise.interfaces.model import (
    Address,
    AddressScope,
    Interface,
    InterfaceFlags,
    InterfaceType,
    OperState,
)

UP = (
    InterfaceFlags.UP | InterfaceFlags.RUNNING | InterfaceFlags.BROADCAST | InterfaceFlags.MULTICAST
)


def iface(index: int, name: str = "", flags: InterfaceFlags = UP, *addresses: Address) -> Interface:
    return Interface(
        index=index, name=name or f"eth{index}", type=InterfaceType.WIRED, kind="veth",
        flags=flags, mtu=1500, hardware_address="02:00:00:00:00:01", oper_state=OperState.UP,
        addresses=ev.sort_addresses(list(addresses)),
    )  # fmt: skip


def v4(index: int, last: int, prefixlen: int = 24, **kw: bool) -> Address:
    return Address(IPv4Address(f"10.0.{index}.{last}"), prefixlen, index, **kw)  # type: ignore[arg-type]


def ll(index: int, name: str, *, tentative: bool = False) -> Address:
    return Address(
        IPv6Address(f"fe80::{index}%{name}"),
        64,
        index,
        scope=AddressScope.LINK,
        tentative=tentative,
    )


def fold(state: dict[int, Interface], events: list[ev.InterfaceEvent]) -> dict[int, Interface]:
    out = dict(state)
    for event in events:
        ev.apply_event(out, event)
    return out


def test_link_set_down_is_an_interface_down_event() -> None:
    state = {1: iface(1)}
    down = dataclasses.replace(state[1], flags=InterfaceFlags.BROADCAST)
    [event] = ev.update_link(state, down)
    assert isinstance(event, ev.InterfaceDown)
    [event] = ev.update_link(state, iface(1))
    assert isinstance(event, ev.InterfaceUp)
    # Another change (MTU) is a plain InterfaceChanged; a repeat is no event at all.
    [event] = ev.update_link(state, dataclasses.replace(iface(1), mtu=9000))
    assert type(event) is ev.InterfaceChanged
    assert ev.update_link(state, dataclasses.replace(iface(1), mtu=9000)) == []


def test_link_notification_keeps_known_addresses() -> None:
    state = {1: iface(1, "", UP, v4(1, 2))}
    ev.update_link(state, dataclasses.replace(iface(1), mtu=1400))
    assert state[1].addresses == (v4(1, 2),) and state[1].mtu == 1400


def test_rename_rescopes_link_local_addresses() -> None:
    state = {2: iface(2, "eth0", UP, ll(2, "eth0"), v4(2, 9))}
    events = ev.update_link(state, iface(2, "lan0"))
    assert [type(e) for e in events] == [ev.InterfaceChanged, ev.AddressChanged]
    changed = events[1]
    assert isinstance(changed, ev.AddressChanged)
    assert str(changed.new.address) == "fe80::2%lan0" and str(changed.old.address) == "fe80::2%eth0"
    assert str(state[2].ipv6_addresses[0].address) == "fe80::2%lan0"


def test_dad_finishing_is_an_address_change() -> None:
    """RFC 4862 §5.4: a tentative address becomes preferred when DAD ends."""
    state = {3: iface(3)}
    assert [type(e) for e in ev.update_address(state, ll(3, "eth3", tentative=True))] == [
        ev.AddressAdded
    ]
    [event] = ev.update_address(state, ll(3, "eth3"))
    assert isinstance(event, ev.AddressChanged)
    assert event.old.tentative and not event.new.tentative
    assert ev.update_address(state, ll(3, "eth3")) == []


def test_removing_a_link_removes_its_addresses_first() -> None:
    state = {4: iface(4, "", UP, v4(4, 1), ll(4, "eth4"))}
    events = ev.remove_link(state, 4)
    assert [type(e) for e in events] == [ev.AddressRemoved, ev.AddressRemoved, ev.InterfaceRemoved]
    assert state == {}
    assert ev.remove_link(state, 4) == []
    assert ev.remove_address(state, v4(4, 1).key) == []


def test_diff_of_added_interface_announces_it_then_its_addresses() -> None:
    new = {5: iface(5, "", UP, v4(5, 1))}
    events = ev.diff({}, new)
    assert [type(e) for e in events] == [ev.InterfaceAdded, ev.AddressAdded]
    added = events[0]
    assert isinstance(added, ev.InterfaceAdded) and added.interface.addresses == ()
    assert fold({}, events) == new


def test_address_key_ignores_flags_but_not_prefix_or_peer() -> None:
    assert v4(1, 2).key == v4(1, 2, permanent=True).key
    assert v4(1, 2).key != v4(1, 2, prefixlen=16).key
    # Linux keeps 10.0.0.1 peer 10.0.0.2 and 10.0.0.1 peer 10.0.0.3 as two addresses.
    one = Address(IPv4Address("10.0.0.1"), 32, 1, peer=IPv4Address("10.0.0.2"))
    two = Address(IPv4Address("10.0.0.1"), 32, 1, peer=IPv4Address("10.0.0.3"))
    state = {1: iface(1)}
    assert [type(e) for e in ev.update_address(state, one) + ev.update_address(state, two)] == [
        ev.AddressAdded,
        ev.AddressAdded,
    ]
    assert len(state[1].addresses) == 2


# -- property: diff then fold is the identity ------------------------------------------------
_addresses = st.builds(
    lambda index, last, prefix, tentative: v4(index, last, prefix, tentative=tentative),
    st.integers(1, 3),
    st.integers(1, 4),
    st.sampled_from([16, 24]),
    st.booleans(),
)


@st.composite
def states(draw: st.DrawFn) -> dict[int, Interface]:
    out: dict[int, Interface] = {}
    for index in draw(st.sets(st.integers(1, 3))):
        name = draw(st.sampled_from([f"eth{index}", f"lan{index}"]))
        flags = draw(st.sampled_from([UP, InterfaceFlags.BROADCAST]))
        mine = [a for a in draw(st.lists(_addresses, max_size=5)) if a.interface_index == index]
        unique = list({a.key: a for a in mine}.values())
        unique.append(ll(index, name, tentative=draw(st.booleans())))
        out[index] = iface(index, name, flags, *unique)
    return out


@settings(max_examples=200, deadline=None)
@given(states(), states())
def test_diff_folds_to_the_new_state(old: dict[int, Interface], new: dict[int, Interface]) -> None:
    events = ev.diff(old, new)
    assert fold(old, events) == new
    if old == new:
        assert events == []
    # Every event carries a state consistent with the stream so far.
    for event in events:
        if isinstance(event, ev.InterfaceAdded):
            assert event.interface.addresses == ()
