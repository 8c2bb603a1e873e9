"""Expensive / constrained decisions: NetworkManager's Metered, cellular, overrides."""

from __future__ import annotations

from lanwise.interfaces.model import InterfaceType
from lanwise.net.metered import NMMetered, path_costs
from tests.unit.net.factory import make_interface

ETH0 = make_interface(2, "eth0", InterfaceType.WIRED, ("10.0.0.2/24",))
WLAN0 = make_interface(3, "wlan0", InterfaceType.WIFI, ("192.168.1.5/24",))
WWAN0 = make_interface(4, "wwan0", InterfaceType.CELLULAR, ("100.64.0.9/10",))
ALL = [ETH0, WLAN0, WWAN0]


def test_without_networkmanager_cellular_is_expensive() -> None:
    costs = path_costs(ALL, metered=None, environ={})
    assert [costs[i].expensive for i in (2, 3, 4)] == [False, False, True]
    assert costs[4].expensive_source == "cellular"
    assert not any(c.constrained for c in costs.values())


def test_networkmanager_metered_values() -> None:
    """YES and GUESS_YES count as expensive; NO and GUESS_NO do not, even for cellular."""
    metered = {2: NMMetered.GUESS_YES, 3: NMMetered.YES, 4: NMMetered.GUESS_NO}
    costs = path_costs(ALL, metered=metered, environ={})
    assert [costs[i].expensive for i in (2, 3, 4)] == [True, True, False]
    assert costs[2].expensive_source == "NetworkManager: metered (guess_yes)"


def test_unmanaged_or_unknown_falls_back_to_the_cellular_rule() -> None:
    costs = path_costs(ALL, metered={4: NMMetered.UNKNOWN}, environ={})
    assert costs[4].expensive and costs[4].expensive_source == "cellular"
    assert not costs[2].expensive


def test_environment_overrides_win() -> None:
    env = {"LANWISE_EXPENSIVE": "eth0, -wwan0", "LANWISE_CONSTRAINED": "3"}
    costs = path_costs(ALL, metered={4: NMMetered.YES}, environ=env)
    assert costs[2].expensive and costs[2].expensive_source == "LANWISE_EXPENSIVE override"
    assert not costs[4].expensive
    assert costs[3].constrained and costs[3].constrained_source == "LANWISE_CONSTRAINED override"
