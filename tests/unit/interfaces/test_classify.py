"""The functional-type table, on netlink facts and on sysfs trees the tests write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lanwise.interfaces.classify import RULES, classify, link_kind, rules_markdown
from lanwise.interfaces.model import InterfaceType
from lanwise.interfaces.rtnl import LinkMessage

MAC = "02:11:22:33:44:55"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "interfaces.md"


def link(
    name: str = "x0",
    *,
    index: int = 5,
    hwtype: int = 1,
    kind: str | None = None,
    flags: int = 0x1043,
    mac: str | None = MAC,
) -> LinkMessage:
    return LinkMessage(
        family=0, ifindex=index, hardware_type=hwtype, flags=flags, name=name, mtu=1500,
        hardware_address=mac, operstate=6, kind=kind,
    )  # fmt: skip


def write_device(
    root: Path,
    name: str,
    *,
    index: int = 5,
    devtype: str | None = None,
    mac: str = MAC,
    entries: tuple[str, ...] = (),
    driver: str | None = None,
) -> None:
    """A /sys/class/net/NAME directory as the kernel shows it."""
    base = root / "class" / "net" / name
    base.mkdir(parents=True)
    uevent = f"INTERFACE={name}\nIFINDEX={index}\n"
    if devtype:
        uevent += f"DEVTYPE={devtype}\n"
    (base / "uevent").write_text(uevent)
    (base / "ifindex").write_text(f"{index}\n")
    (base / "address").write_text(f"{mac}\n")
    for entry in entries:
        (base / entry).mkdir()
    if driver:
        drivers = root / "bus" / "usb" / "drivers" / driver
        drivers.mkdir(parents=True)
        (base / "device").mkdir()
        os.symlink(drivers, base / "device" / "driver")


@pytest.mark.parametrize(
    ("devtype", "entries"),
    [("wlan", ()), (None, ("phy80211",)), (None, ("wireless",))],
)
def test_wifi_from_sysfs(tmp_path: Path, devtype: str | None, entries: tuple[str, ...]) -> None:
    write_device(tmp_path, "wlp2s0", devtype=devtype, entries=entries)
    assert classify(link("wlp2s0"), str(tmp_path)) is InterfaceType.WIFI


def test_cellular_from_devtype_wwan(tmp_path: Path) -> None:
    write_device(tmp_path, "wwan0", devtype="wwan")
    assert classify(link("wwan0"), str(tmp_path)) is InterfaceType.CELLULAR


def test_cellular_from_usb_modem_driver(tmp_path: Path) -> None:
    write_device(tmp_path, "usb0", driver="qmi_wwan")
    assert classify(link("usb0"), str(tmp_path)) is InterfaceType.CELLULAR


def test_plain_usb_ethernet_driver_stays_wired(tmp_path: Path) -> None:
    write_device(tmp_path, "enx0", driver="r8152")
    assert classify(link("enx0"), str(tmp_path)) is InterfaceType.WIRED


def test_cellular_from_rawip_hardware_type_without_sysfs(tmp_path: Path) -> None:
    assert classify(link("rmnet0", hwtype=519, mac=None), str(tmp_path)) is InterfaceType.CELLULAR


def test_sysfs_entry_of_another_index_is_not_trusted(tmp_path: Path) -> None:
    # Same name, different ifindex: another namespace's device seen through /sys.
    write_device(tmp_path, "wlan0", index=9, devtype="wlan")
    assert classify(link("wlan0", index=5), str(tmp_path)) is InterfaceType.WIRED


def test_sysfs_entry_with_another_hardware_address_is_not_trusted(tmp_path: Path) -> None:
    write_device(tmp_path, "wlan1", index=5, devtype="wlan", mac="02:99:99:99:99:99")
    assert classify(link("wlan1", index=5), str(tmp_path)) is InterfaceType.WIRED


def test_virtual_kinds_never_read_sysfs(tmp_path: Path) -> None:
    # Even a sysfs tree that says "wlan" cannot make a veth or a bridge a radio.
    write_device(tmp_path, "v0", devtype="wlan")
    assert classify(link("v0", kind="veth"), str(tmp_path)) is InterfaceType.WIRED
    assert classify(link("v0", kind="bridge"), str(tmp_path)) is InterfaceType.WIRED


@pytest.mark.parametrize(
    ("hwtype", "kind", "flags", "expected"),
    [
        (772, None, 0x49, InterfaceType.LOOPBACK),
        (1, None, 0x1043 | 0x8, InterfaceType.LOOPBACK),  # IFF_LOOPBACK decides
        (1, "veth", 0x1043, InterfaceType.WIRED),
        (1, "bridge", 0x1043, InterfaceType.WIRED),
        (1, "bond", 0x1043, InterfaceType.WIRED),
        (1, "vlan", 0x1043, InterfaceType.WIRED),
        (1, "macvlan", 0x1043, InterfaceType.WIRED),
        (1, None, 0x1043, InterfaceType.WIRED),  # a NIC with no sysfs evidence of a radio
        (0xFFFE, "tun", 0x1091, InterfaceType.OTHER),
        (1, "tun", 0x1043, InterfaceType.OTHER),  # tap: a VPN's virtual Ethernet
        (0xFFFE, "wireguard", 0x91, InterfaceType.OTHER),
        (512, "ppp", 0x1091, InterfaceType.OTHER),
        (512, None, 0x1091, InterfaceType.OTHER),
        (768, "ipip", 0x91, InterfaceType.OTHER),
        (778, "gre", 0x91, InterfaceType.OTHER),
        (776, "sit", 0x91, InterfaceType.OTHER),
        (1, "vxlan", 0x1043, InterfaceType.OTHER),
        (1, "dummy", 0x83, InterfaceType.OTHER),
        (801, None, 0x1043, InterfaceType.WIFI),  # monitor-mode radio
        (0xFFFE, "wwan", 0x91, InterfaceType.CELLULAR),
        (32, None, 0x1043, InterfaceType.OTHER),  # InfiniBand: not in the table
    ],
)
def test_netlink_facts_alone(
    tmp_path: Path, hwtype: int, kind: str | None, flags: int, expected: InterfaceType
) -> None:
    assert classify(link("n0", hwtype=hwtype, kind=kind, flags=flags), str(tmp_path)) is expected


def test_link_kind_names() -> None:
    assert link_kind(link(kind="veth")) == "veth"
    assert link_kind(link()) == "ether"
    assert link_kind(link(hwtype=772)) == "loopback"
    assert link_kind(link(hwtype=4242)) == "arphrd4242"


def test_rules_end_with_a_catch_all_and_cover_every_type() -> None:
    assert {rule.type for rule in RULES} == set(InterfaceType)
    assert RULES[-1].evidence == "anything else"


def test_docs_show_exactly_the_rule_table() -> None:
    assert rules_markdown() in DOCS.read_text(encoding="utf-8")
