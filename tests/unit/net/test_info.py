"""Connection info snapshots: order, URLs, the no-interface state."""

from __future__ import annotations

from lanwise.interfaces.model import InterfaceFlags, InterfaceType
from lanwise.net.info import InfoState, build_connection_info
from tests.unit.net.factory import make_interface

LO = make_interface(1, "lo", InterfaceType.LOOPBACK, ("127.0.0.1/8", "::1/128"))
WLAN0 = make_interface(
    2,
    "wlan0",
    InterfaceType.WIFI,
    ("fe80::2/64", "2001:db8::2/64", "192.168.1.5/24", "2001:db8::99/64"),
    temporary=("2001:db8::99/64",),
)
ETH0 = make_interface(
    3,
    "eth0",
    InterfaceType.WIRED,
    ("fe80::3/64", "fd00::3/64", "10.0.0.2/24", "169.254.7.7/16", "fd00::4/64"),
    tentative=("fd00::4/64",),
)
VPN = make_interface(4, "tun0", InterfaceType.OTHER, ("10.8.0.2/24",))


def test_order_service_host_then_wired_wifi_other() -> None:
    info = build_connection_info(
        [LO, WLAN0, ETH0, VPN],
        8000,
        host_name="box.local",
        service_name="Box",
        service_type="_http._tcp",
    )
    assert info.state == InfoState.READY
    assert [i.name for i in info.interfaces] == ["eth0", "wlan0", "tun0"]
    assert info.urls == (
        "http://box.local:8000/",
        # eth0: IPv4, ULA, IPv4 link-local, IPv6 link-local with its zone (RFC 6874)
        "http://10.0.0.2:8000/",
        "http://[fd00::3]:8000/",
        "http://169.254.7.7:8000/",
        "http://[fe80::3%25eth0]:8000/",
        # wlan0: IPv4, stable global, temporary global, link-local
        "http://192.168.1.5:8000/",
        "http://[2001:db8::2]:8000/",
        "http://[2001:db8::99]:8000/",
        "http://[fe80::2%25wlan0]:8000/",
        "http://10.8.0.2:8000/",
    )
    assert info.best_url == "http://10.0.0.2:8000/"
    assert info.to_json()["service_name"] == "Box"


def test_loopback_only_is_the_no_interface_state() -> None:
    down = make_interface(5, "eth1", addresses=("10.1.0.2/24",), flags=InterfaceFlags.UP)
    info = build_connection_info([LO, down], 8000, host_name="box.local")
    assert info.state == InfoState.NO_INTERFACE
    assert info.interfaces == () and info.urls == () and info.best_url is None


def test_serves_limits_the_interfaces() -> None:
    info = build_connection_info([WLAN0, ETH0], 443, scheme="https", serves=lambda i: i.index == 2)
    assert [i.name for i in info.interfaces] == ["wlan0"]
    assert info.best_url == "https://192.168.1.5/"
