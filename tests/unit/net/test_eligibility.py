"""Which interfaces a connection may use, and the reasons given for the others."""

from __future__ import annotations

import pytest

from lanwise.errors import PlatformError, UsageError
from lanwise.interfaces.model import InterfaceFlags, InterfaceType
from lanwise.net.eligibility import Requirements, evaluate
from lanwise.net.errors import NoEligibleInterfaceError
from lanwise.net.listen import interface_matcher
from lanwise.net.metered import PathCost
from tests.unit.net.factory import make_interface

LO = make_interface(1, "lo", InterfaceType.LOOPBACK, ("127.0.0.1/8", "::1/128"))
ETH0 = make_interface(2, "eth0", InterfaceType.WIRED, ("10.0.0.2/24",))
WLAN0 = make_interface(3, "wlan0", InterfaceType.WIFI, ("192.168.1.5/24",))
WWAN0 = make_interface(4, "wwan0", InterfaceType.CELLULAR, ("100.64.0.9/10",))
ALL = [LO, ETH0, WLAN0, WWAN0]


def names(req: Requirements, costs: dict[int, PathCost] | None = None) -> list[str]:
    return [i.name for i in evaluate(ALL, req, costs).eligible]


def test_no_requirements_orders_wired_wifi_cellular_loopback() -> None:
    assert names(Requirements()) == ["eth0", "wlan0", "wwan0", "lo"]


def test_required_interface_by_name_and_by_index() -> None:
    assert names(Requirements.build(required_interface="wlan0")) == ["wlan0"]
    assert names(Requirements.build(required_interface=4)) == ["wwan0"]


def test_unknown_required_interface_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        evaluate(ALL, Requirements.build(required_interface="eth9"))
    assert info.value.field == "required_interface"


def test_required_type_and_prohibited_types() -> None:
    assert names(Requirements.build(required_interface_type="wifi")) == ["wlan0"]
    req = Requirements.build(prohibited_interface_types=["cellular", InterfaceType.LOOPBACK])
    assert names(req) == ["eth0", "wlan0"]


def test_bad_type_names_the_field_and_the_choices() -> None:
    with pytest.raises(UsageError) as info:
        Requirements.build(prohibited_interface_types=["ethernet"])
    assert info.value.field == "prohibited_interface_types"
    assert "wired" in info.value.rule


def test_prohibited_interfaces_by_name_or_index() -> None:
    assert names(Requirements.build(prohibited_interfaces=["eth0", 1])) == ["wlan0", "wwan0"]


def test_expensive_and_constrained_rules() -> None:
    costs = {
        3: PathCost(constrained=True, constrained_source="LANWISE_CONSTRAINED override"),
        4: PathCost(expensive=True, expensive_source="cellular"),
    }
    assert names(Requirements.build(prohibit_expensive=True), costs) == ["eth0", "wlan0", "lo"]
    assert names(Requirements.build(prohibit_constrained=True), costs) == ["eth0", "wwan0", "lo"]


def test_expensive_interfaces_sort_after_cheap_ones() -> None:
    costs = {2: PathCost(expensive=True, expensive_source="NetworkManager: metered (yes)")}
    assert names(Requirements(), costs) == ["wlan0", "wwan0", "eth0", "lo"]


def test_down_and_addressless_interfaces_are_ruled_out() -> None:
    down = make_interface(5, "eth1", addresses=("10.1.0.2/24",), flags=InterfaceFlags.BROADCAST)
    bare = make_interface(6, "eth2")
    dad = make_interface(7, "eth3", addresses=("fd00::7/64",), tentative=("fd00::7/64",))
    outcome = evaluate([down, bare, dad], Requirements())
    assert outcome.eligible == ()
    assert outcome.rejections[5].reasons == ("administratively down",)
    assert outcome.rejections[6].reasons == ("no usable IPv4 or IPv6 address",)
    assert outcome.rejections[7].reasons == ("no usable IPv4 or IPv6 address",)


def test_no_eligible_interface_says_why_for_each() -> None:
    """The one error lists every interface with every reason it was ruled out."""
    costs = {4: PathCost(expensive=True, expensive_source="cellular")}
    req = Requirements.build(
        required_interface_type="cellular", prohibit_expensive=True, prohibited_interfaces=["lo"]
    )
    outcome = evaluate(ALL, req, costs)
    with pytest.raises(NoEligibleInterfaceError) as info:
        outcome.raise_if_empty()
    error = info.value
    assert isinstance(error, PlatformError)
    assert set(error.rejections) == {1, 2, 3, 4}
    assert error.rejections[4].reasons == (
        "expensive (cellular) and expensive paths are prohibited",
    )
    assert error.rejections[1].reasons == (
        "type loopback, but cellular is required",
        "listed in prohibited_interfaces",
    )
    text = str(error)
    assert "wwan0 (index 4): expensive (cellular)" in text
    assert "eth0 (index 2): type wired, but cellular is required" in text


def test_interface_selector_by_index_name_type_or_predicate() -> None:
    assert [i.name for i in ALL if interface_matcher([2, "wlan0"])(i)] == ["eth0", "wlan0"]
    assert [i.name for i in ALL if interface_matcher([InterfaceType.CELLULAR])(i)] == ["wwan0"]
    assert [i.name for i in ALL if interface_matcher("lo")(i)] == ["lo"]
    assert [i.name for i in ALL if interface_matcher(lambda i: i.index > 3)(i)] == ["wwan0"]
    with pytest.raises(UsageError):
        interface_matcher([2.5])  # type: ignore[list-item]
